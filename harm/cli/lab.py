"""``harm lab``: placeholder until it is built."""

from __future__ import annotations

import click


@click.group(name="lab")
def command() -> None:
    """Not built yet."""
