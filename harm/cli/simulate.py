"""``harm simulate``: placeholder until it is built."""

from __future__ import annotations

import click


@click.group(name="simulate")
def command() -> None:
    """Not built yet."""
