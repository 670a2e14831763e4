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
@click.option("--node", "-N", required=True, envvar="HARM_NODE",
              help="This node's name (as in node_list); also HARM_NODE.")
@click.option("--param", "-p", "params", multiple=True, metavar="NAME=VALUE",
              help="An instance parameter of the resource (repeat).")
@click.option("--primary", default="", metavar="HOST[:PORT]",
              help="The current primary (default: master_ip:master_port).")
@click.option("--method", type=click.Choice(["auto", "rewind", "basebackup"]), default="auto",
              show_default=True)
@click.option("--cleanup/--no-cleanup", default=True, show_default=True,
              help="Then clean the resource up on this node through harmd, so the cluster "
              "starts it again as a standby.")
def rejoin_command(
    resource: str, node: str, params: tuple[str, ...], primary: str, method: str,
    cleanup: bool,
) -> None:
    """Re-seed this node's data from the primary, remove PGSQL.lock, clean up.

    Without -p, the parameters are the resource's in the running cluster (harmd's CIB)."""
    values: dict[str, str] = {}
    for item in params:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise AgentError(f"--param {item!r}: expected NAME=VALUE")
        values[name] = value
    if not values:
        values = _cluster_params(resource)
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
        f"{settings.lock_file} removed."
    )
    if not cleanup:
        click.echo(f"Now run: harm resource cleanup {resource}")
        return
    _cluster_cleanup(resource, node)
    click.echo(f"{resource} cleaned up on {node}: the cluster starts it as a standby.")


def _socket() -> str:
    import os

    from harm.daemon.client import DEFAULT_SOCKET

    return os.environ.get("HARM_SOCKET", str(DEFAULT_SOCKET))


def _cluster_params(resource: str) -> dict[str, str]:
    """The instance parameters of ``resource`` in the running cluster's configuration."""
    from pathlib import Path

    from harm.cib.config import Primitive, merged
    from harm.cib.xml_import import parse_cib_xml
    from harm.daemon.client import request

    xml = request(Path(_socket()), "cib")["xml"]
    found = parse_cib_xml(xml).configuration.find_resource(resource)
    if not isinstance(found, Primitive):
        raise AgentError(f"{resource} is not a primitive of the running cluster; name the "
                         "pgsql primitive with -r, or give its parameters with -p")
    return merged(found.params)


def _cluster_cleanup(resource: str, node: str, timeout_s: float = 30.0) -> None:
    import time
    from pathlib import Path

    from harm.daemon.client import request

    sock = Path(_socket())
    ident = request(sock, "cluster-op", op="cleanup", rsc=resource, node=node)["request"]
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        state = request(sock, "request-status", request=ident)
        if state["state"] == "done":
            return
        if state["state"] == "failed":
            raise AgentError(f"cleanup of {resource} on {node}: {state.get('message')}")
        time.sleep(0.1)
    raise AgentError(f"cleanup of {resource} on {node}: no answer from the cluster")
