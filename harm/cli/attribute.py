"""``harm attribute``: read and write node attributes (like attrd_updater / crm_attribute).

On the running cluster an update or delete is a ``cluster-op attribute`` (with ``--delay``
as its dampening delay) and a query asks harmd for the latest value given to the cluster,
even one that dampening has not written to the CIB yet. On a CIB file (``--cib``) the file is
changed at once and ``--delay`` does not apply.
"""

from __future__ import annotations

from pathlib import Path

import click

from harm.cib.durations import parse_ms
from harm.cli.cibfile import target_options
from harm.cli.session import AttributeOp, open_session
from harm.errors import ConfigError
from harm.operations.attributes import Lifetime


def _delay_ms(text: str | None) -> int:
    if text is None:
        return 0
    try:
        return parse_ms(text)
    except ValueError:
        raise ConfigError(f"--delay must be a duration (5, 5s, 500ms), not {text!r}") from None


@click.command(name="attribute")
@target_options
@click.option("--node", "-N", required=True, help="The node the attribute belongs to.")
@click.option("--name", "-n", required=True, help="The attribute's name.")
@click.option("--update", "-U", "value", help="Set the attribute to this value.")
@click.option("--query", "-Q", is_flag=True, help="Print the attribute's value.")
@click.option("--delete", "-D", is_flag=True, help="Remove the attribute.")
@click.option("--lifetime", "-l", default="reboot", show_default=True,
              help="reboot (transient, in the status) or forever (in the configuration).")
@click.option("--delay", "-d", default=None,
              help="Dampening delay (seconds, or 5s/500ms); applies in a running cluster only.")
def command(
    cib_file: Path | None,
    socket_path: Path,
    node: str,
    name: str,
    value: str | None,
    query: bool,
    delete: bool,
    lifetime: str,
    delay: str | None,
) -> None:
    """Update, query or delete a node attribute."""
    chosen = [flag for flag, on in (("--update", value is not None), ("--query", query),
                                    ("--delete", delete)) if on]
    if len(chosen) != 1:
        raise ConfigError("give exactly one of --update VALUE, --query, --delete")
    session = open_session(cib_file, socket_path)
    delay_ms = _delay_ms(delay) if session.live else 0
    life = Lifetime.parse(lifetime)
    if query:
        found = session.query_attribute(node, name, life)
        if found is None:
            raise ConfigError(f"{name} is not set on {node} (lifetime {life.value})")
        click.echo(found)
        return
    session.run(AttributeOp(node, name, None if delete else value, life, delay_ms))
