"""``harm configure``: placeholder until it is built."""

from __future__ import annotations

import click


@click.group(name="configure")
def command() -> None:
    """Not built yet."""
