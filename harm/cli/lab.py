"""``harm lab``: build and drive a multi-node cluster in network namespaces on this machine.

    harm lab up --nodes A,B[,C...] [--links 2] [--name harm] [--subnet CIDR ...]
                [--keepalive 200ms] [--deadtime 2s] [--transport bcast|mcast|ucast]
                [--no-start]
    harm lab status [--json]
    harm lab exec NODE -- CMD...         (NODE may be "gateway")
    harm lab fail NODE harmd|node|link=NIC|partition=NODE,...
    harm lab heal [NODE]
    harm lab down

Every sub-command takes ``--name`` (default ``$HARM_LAB`` or ``harm``), so several labs can
coexist.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable
from dataclasses import asdict
from typing import Any, TypeVar

import click

from harm.errors import LabError
from harm.lab import faults, lab
from harm.lab import status as lab_status
from harm.lab.spec import LabSpec, subnets_for

F = TypeVar("F", bound=Callable[..., Any])


def _name_option(func: F) -> F:
    return click.option(
        "--name", "lab_name", default=lambda: os.environ.get("HARM_LAB", "harm"),
        show_default="$HARM_LAB or harm", help="which lab",
    )(func)


@click.group(name="lab")
def command() -> None:
    """A real multi-node cluster on this machine, in network namespaces."""


@command.command("up")
@_name_option
@click.option("--nodes", required=True, help="comma-separated node names, e.g. A,B,C")
@click.option("--links", default=2, show_default=True, help="NICs per node (eth0, eth1, ...)")
@click.option("--subnet", "subnets", multiple=True,
              help="subnet of link 0, 1, ... (default 192.168.10.0/24, 192.168.11.0/24, ...)")
@click.option("--keepalive", default="200ms", show_default=True)
@click.option("--deadtime", default="2s", show_default=True)
@click.option("--warntime", default=None, help="default: deadtime / 2")
@click.option("--initdead", default=None, help="default: 2 x deadtime")
@click.option("--transport", type=click.Choice(["bcast", "mcast", "ucast"]), default="bcast",
              show_default=True, help="how heartbeats travel on every link")
@click.option("--start/--no-start", default=True, help="start harmd on every node")
def up_command(
    *,
    lab_name: str, nodes: str, links: int, subnets: tuple[str, ...], keepalive: str,
    deadtime: str, warntime: str | None, initdead: str | None, transport: str, start: bool,
) -> None:
    """Build a lab and start harmd on every node."""
    from harm.cib.durations import format_ms, parse_ms

    try:
        dead_ms = parse_ms(deadtime)
        parse_ms(keepalive)
    except ValueError as error:
        raise LabError(str(error)) from None
    spec = LabSpec(
        name=lab_name,
        nodes=tuple(n.strip() for n in nodes.split(",") if n.strip()),
        links=links,
        subnets=subnets_for(links, subnets),
        keepalive=keepalive,
        deadtime=deadtime,
        warntime=warntime or format_ms(dead_ms // 2),
        initdead=initdead or format_ms(dead_ms * 2),
        transport=transport,
    )
    spec = lab.up(spec, start=start)
    if start:
        lab.wait_sockets(spec, list(spec.nodes))
    click.echo(f"lab {spec.name} is up: {', '.join(spec.nodes)} "
               f"({spec.links} links; state in {spec.run_dir})")


@command.command("down")
@_name_option
def down_command(lab_name: str) -> None:
    """Remove every namespace, bridge, process and file of the lab (also after a crash)."""
    removed = lab.down(lab_name)
    click.echo(f"lab {lab_name}: removed {len(removed)} item(s)" if removed
               else f"lab {lab_name}: nothing to remove")


@command.command("status")
@_name_option
@click.option("--json", "as_json", is_flag=True, help="machine-readable output")
def status_command(lab_name: str, as_json: bool) -> None:
    """Nodes, links, harmd and the membership view each node has."""
    spec = lab.load(lab_name)
    reports = lab_status.collect(spec)
    if as_json:
        click.echo(json.dumps([asdict(r) for r in reports], indent=2))
    else:
        click.echo(lab_status.table(spec, reports))


@command.command("exec", context_settings={"ignore_unknown_options": True,
                                           "allow_interspersed_args": False})
@_name_option
@click.argument("node")
@click.argument("argv", nargs=-1, required=True, type=click.UNPROCESSED)
def exec_command(lab_name: str, node: str, argv: tuple[str, ...]) -> None:
    """Run a command as NODE (in its namespace, with its HARM_* and HA_RSCTMP)."""
    spec = lab.load(lab_name)
    command_argv = list(argv[1:] if argv and argv[0] == "--" else argv)
    if not command_argv:
        raise LabError("no command given: harm lab exec NODE -- CMD ...")
    args, env = lab.exec_argv(spec, node, command_argv)
    try:
        code = subprocess.run(args, env=env, check=False).returncode
    except OSError as error:
        raise LabError(f"cannot run {command_argv[0]}: {error.strerror}") from None
    if code:
        raise click.exceptions.Exit(code)


@command.command("fail")
@_name_option
@click.argument("node")
@click.argument("what")
def fail_command(lab_name: str, node: str, what: str) -> None:
    """Fail NODE: harmd, node, link=NIC or partition=NODE,..."""
    click.echo(faults.fail(lab.load(lab_name), node, what))


@command.command("heal")
@_name_option
@click.argument("node", required=False)
def heal_command(lab_name: str, node: str | None) -> None:
    """Undo the faults of NODE (or of every node) and restart harmd where needed."""
    click.echo(faults.heal(lab.load(lab_name), node))
