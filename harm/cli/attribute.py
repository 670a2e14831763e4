"""``harm attribute``: read and write node attributes (like attrd_updater / crm_attribute)."""

from __future__ import annotations

from pathlib import Path

import click

from harm.cib.store import load_cib, save_cib
from harm.cli.cibfile import cib_option, require_cib
from harm.errors import ConfigError
from harm.operations import attributes
from harm.operations.attributes import Lifetime


@click.command(name="attribute")
@cib_option
@click.option("--node", "-N", required=True, help="The node the attribute belongs to.")
@click.option("--name", "-n", required=True, help="The attribute's name.")
@click.option("--update", "-U", "value", help="Set the attribute to this value.")
@click.option("--query", "-Q", is_flag=True, help="Print the attribute's value.")
@click.option("--delete", "-D", is_flag=True, help="Remove the attribute.")
@click.option("--lifetime", "-l", default="reboot", show_default=True,
              help="reboot (transient, in the status) or forever (in the configuration).")
@click.option("--delay", "-d", default=None,
              help="Dampening delay; applies in a running cluster only.")
def command(
    cib_file: Path | None,
    node: str,
    name: str,
    value: str | None,
    query: bool,
    delete: bool,
    lifetime: str,
    delay: str | None,
) -> None:
    """Update, query or delete a node attribute."""
    del delay  # a CIB file is written at once; dampening needs the running cluster
    chosen = [flag for flag, on in (("--update", value is not None), ("--query", query),
                                    ("--delete", delete)) if on]
    if len(chosen) != 1:
        raise ConfigError("give exactly one of --update VALUE, --query, --delete")
    path = require_cib(cib_file)
    cib = load_cib(path)
    life = Lifetime.parse(lifetime)
    if query:
        found = attributes.query(cib, node, name, life)
        if found is None:
            raise ConfigError(f"{name} is not set on {node} (lifetime {life.value})")
        click.echo(found)
        return
    updated = attributes.update(cib, node, name, None if delete else value, life)
    if updated is not cib:
        save_cib(path, updated)
