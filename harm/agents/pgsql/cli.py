"""``harm pgsql rejoin``: re-seed an old primary from the current one, in one step.

Wire it into the CLI with ``cli.add_command(harm.agents.pgsql.cli.command, "pgsql")``.
The agent parameters come as ``-p NAME=VALUE`` (the resource's instance attributes);
``--primary HOST[:PORT]`` says where the current primary listens (default: master_ip and
master_port from the parameters).
"""

from __future__ import annotations

import click

from harm.errors import AgentError
from harm.ocf.outcome import ActionError

from .rejoin import rejoin_detailed
from .settings import settings_from_params


@click.group()
def command() -> None:
    """PostgreSQL replication helpers for the pgsql agent."""


@command.command("rejoin")
@click.option("--resource", "-r", default="pgsql", show_default=True, help="Resource id.")
@click.option("--node", "-N", required=True, help="This node's name (as in node_list).")
@click.option("--param", "-p", "params", multiple=True, metavar="NAME=VALUE",
              help="An instance parameter of the resource (repeat).")
@click.option("--primary", default="", metavar="HOST[:PORT]",
              help="The current primary (default: master_ip:master_port).")
@click.option("--method", type=click.Choice(["auto", "rewind", "basebackup"]), default="auto",
              show_default=True)
def rejoin_command(
    resource: str, node: str, params: tuple[str, ...], primary: str, method: str
) -> None:
    """Re-seed this node's data from the primary, then remove PGSQL.lock."""
    values: dict[str, str] = {}
    for item in params:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise AgentError(f"--param {item!r}: expected NAME=VALUE")
        values[name] = value
    try:
        settings = settings_from_params(values, resource, node)
    except ActionError as error:
        raise AgentError(error.reason) from None
    host, port = settings.master_ip, settings.master_port
    if primary:
        host, _, raw_port = primary.rpartition(":") if ":" in primary else (primary, "", "")
        port = int(raw_port) if raw_port else settings.master_port
    if not host:
        raise AgentError("no primary: give --primary or the master_ip parameter")
    outcome = rejoin_detailed(settings, host, port, method=method)
    click.echo(
        f"{node}: re-seeded from {host}:{port} with {outcome.method}; {outcome.detail}; "
        f"{settings.lock_file} removed. Now run: harm resource cleanup {resource}"
    )
