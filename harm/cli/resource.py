"""``harm resource …`` and ``harm node …``: operator actions, on the cluster or a CIB file.

Each action is a pure CIB transformation (:mod:`harm.operations.resources`) applied through
a :mod:`harm.cli.session`: without ``--cib FILE`` it is committed to the running cluster
through harmd, with it the file is rewritten. Configuration changes (target-role, move, ban,
clear, node standby/maintenance) are configuration commits; ``cleanup`` and ``fail`` touch
the status, so on the cluster they are ``cluster-op`` requests.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import click

from harm.cib.cib import Cib
from harm.cib.config import Role
from harm.cib.status import FenceEvent
from harm.cli.cibfile import socket_option, target_options
from harm.cli.session import CleanupOp, fail_op, open_session, require_live
from harm.crmsh.render import render_location
from harm.errors import ControlError
from harm.operations import resources

DEFAULT_RESTART_TIMEOUT_S = 60.0


@click.group(name="resource")
def resource_command() -> None:
    """Start, stop, move, ban, clear, clean up, promote, demote or fail a resource."""


def _plain(transform: Callable[[Cib], Cib]) -> Callable[[Cib], tuple[Cib, None]]:
    """An edit that returns nothing besides the new CIB."""

    def edit(cib: Cib) -> tuple[Cib, None]:
        return transform(cib), None
    return edit


def _role_command(action: str) -> click.Command:
    @target_options
    @click.argument("rsc", metavar="RSC")
    def run(cib_file: Path | None, socket_path: Path, rsc: str) -> None:
        session = open_session(cib_file, socket_path)
        session.change(_plain(lambda cib: resources.set_target_role(cib, rsc, action)))
        role = resources.TARGET_ROLES[action].value
        click.echo(f"{rsc}: target-role={role}", err=True)

    run.__doc__ = f"Set RSC's target-role so the cluster will {action} it."
    return click.command(name=action)(run)


for _action in resources.TARGET_ROLES:
    resource_command.add_command(_role_command(_action))


def _target_role(cib: Cib, rsc: str) -> str | None:
    resource = cib.configuration.find_resource(rsc)
    if resource is None:
        return None
    for nvset in resource.meta:
        if nvset.rule is None and nvset.get("target-role") is not None:
            return nvset.get("target-role")
    return None


def _action_for(role_text: str | None) -> str:
    """The action that gives back the target-role RSC had (none given: start)."""
    if role_text is None:
        return "start"
    try:
        wanted = Role.parse(role_text)
    except ValueError:
        return "start"
    return next((action for action, role in resources.TARGET_ROLES.items() if role is wanted),
                "start")


@resource_command.command("restart")
@target_options
@click.option("--timeout", "timeout_s", type=float, default=DEFAULT_RESTART_TIMEOUT_S,
              show_default=True, help="Seconds to wait for RSC to stop.")
@click.argument("rsc", metavar="RSC")
def restart_command(cib_file: Path | None, socket_path: Path, timeout_s: float, rsc: str
                    ) -> None:
    """Stop RSC, wait until the cluster shows it stopped, then start it again."""
    session = require_live(open_session(cib_file, socket_path), f"restarting {rsc}")
    before = session.read()
    previous = _target_role(before, rsc)
    if previous is not None and previous.lower() == "stopped":
        raise ControlError(f"{rsc} has target-role=Stopped; start it instead of restarting it")
    session.change(_plain(lambda cib: resources.set_target_role(cib, rsc, "stop")))
    click.echo(f"{rsc}: target-role=Stopped, waiting for it to stop", err=True)

    def stopped(cib: Cib) -> bool:
        return not resources.current_nodes(cib, rsc, int(time.time()), promoted_only=False)

    action = _action_for(previous)
    try:
        session.wait_for(stopped, timeout_s)
    except ControlError:
        session.change(_plain(lambda cib: resources.set_target_role(cib, rsc, action)))
        raise ControlError(
            f"{rsc} did not stop within {timeout_s:g} s; its target-role is "
            f"{resources.TARGET_ROLES[action].value} again"
        ) from None
    session.change(_plain(lambda cib: resources.set_target_role(cib, rsc, action)))
    click.echo(f"{rsc}: stopped; target-role={resources.TARGET_ROLES[action].value}", err=True)


@resource_command.command("move")
@target_options
@click.argument("rsc", metavar="RSC")
@click.argument("node", metavar="NODE")
def move_command(cib_file: Path | None, socket_path: Path, rsc: str, node: str) -> None:
    """Move RSC (the Promoted role of a promotable clone) to NODE until 'clear'."""
    session = open_session(cib_file, socket_path)
    now = int(time.time())
    done = session.change(_plain(lambda cib: resources.move(cib, rsc, node, now)))
    for constraint in resources.cli_constraints(done.cib.configuration):
        if constraint.rsc == rsc:
            click.echo(f"created: {render_location(constraint)}", err=True)


@resource_command.command("ban")
@target_options
@click.argument("rsc", metavar="RSC")
@click.argument("node", metavar="NODE")
def ban_command(cib_file: Path | None, socket_path: Path, rsc: str, node: str) -> None:
    """Keep RSC off NODE until 'clear'."""
    session = open_session(cib_file, socket_path)
    session.change(_plain(lambda cib: resources.ban(cib, rsc, node)))
    click.echo(f"created: cli-ban-{rsc}-on-{node}", err=True)


@resource_command.command("clear")
@target_options
@click.argument("rsc", metavar="RSC")
def clear_command(cib_file: Path | None, socket_path: Path, rsc: str) -> None:
    """Remove the constraints that 'move' and 'ban' created for RSC."""
    session = open_session(cib_file, socket_path)
    removed = session.change(lambda cib: resources.clear(cib, rsc)).value
    click.echo(f"removed: {', '.join(removed)}" if removed else f"{rsc}: nothing to clear",
               err=True)


@resource_command.command("constraints")
@target_options
def constraints_command(cib_file: Path | None, socket_path: Path) -> None:
    """List the constraints that 'move' and 'ban' created."""
    cib = open_session(cib_file, socket_path).read()
    for constraint in resources.cli_constraints(cib.configuration):
        click.echo(render_location(constraint))


@resource_command.command("agents")
@target_options
@click.argument("rscs", nargs=-1, metavar="[RSC]…")
def agents_command(cib_file: Path | None, socket_path: Path, rscs: tuple[str, ...]) -> None:
    """Which agent file runs each primitive (of RSC…) on this node, and where it is from."""
    from harm.catalog import AgentCatalog, agent_lines

    cib = open_session(cib_file, socket_path).read()
    if rscs:
        primitives = [p for rsc in rscs for p in resources.primitives_of(
            resources.find_resource(cib, rsc))]
    else:
        primitives = list(cib.configuration.primitives())
    for line in agent_lines(primitives, AgentCatalog.scan()):
        click.echo(line)


@resource_command.command("cleanup")
@target_options
@click.argument("rsc", metavar="RSC")
@click.argument("node", metavar="[NODE]", required=False)
def cleanup_command(cib_file: Path | None, socket_path: Path, rsc: str, node: str | None
                    ) -> None:
    """Forget RSC's failures (fail-counts and failed history) so it is probed again."""
    session = open_session(cib_file, socket_path)
    _, cleaned = resources.cleanup(session.read(), rsc, node)
    if cleaned or session.live:  # the cluster also probes RSC again
        session.run(CleanupOp(rsc, node))
    if cleaned:
        click.echo("cleaned up " + ", ".join(cleaned), err=True)
    elif session.live:
        click.echo(f"{rsc}: no failures to clean up; the cluster probes it again", err=True)
    else:
        click.echo(f"{rsc}: no failures to clean up", err=True)


@resource_command.command("fail")
@target_options
@click.argument("rsc", metavar="RSC")
@click.argument("node", metavar="NODE")
def fail_command(cib_file: Path | None, socket_path: Path, rsc: str, node: str) -> None:
    """Record a failed monitor of RSC on NODE, as crm_resource --fail does."""
    session = open_session(cib_file, socket_path)
    session.run(fail_op(session.read(), rsc, node, int(time.time())))
    click.echo(f"recorded a failed monitor of {rsc} on {node}", err=True)


@click.group(name="node")
def node_command() -> None:
    """Put a node in standby or maintenance, bring it back, or fence it."""


def _node_state_command(state: str) -> click.Command:
    @target_options
    @click.argument("node", metavar="NODE")
    def run(cib_file: Path | None, socket_path: Path, node: str) -> None:
        session = open_session(cib_file, socket_path)
        session.change(_plain(lambda cib: resources.set_node_state(cib, node, state)))
        name, value = resources.NODE_STATES[state]
        click.echo(f"{node}: {name}={value}", err=True)

    run.__doc__ = {
        "standby": "Move every resource off NODE and keep them off.",
        "online": "Let NODE run resources again (undo standby).",
        "maintenance": "Stop managing what runs on NODE (nothing is stopped or monitored).",
        "ready": "Manage NODE's resources again (undo maintenance).",
    }[state]
    return click.command(name=state)(run)


for _state in resources.NODE_STATES:
    node_command.add_command(_node_state_command(_state))


def _fence_event(socket_path: Path, event_id: str) -> FenceEvent | None:
    """The finished fencing operation ``event_id`` in this node's CIB, if it is there."""
    from harm.cib.xml_import import parse_cib_xml
    from harm.daemon.client import request

    answer = request(socket_path, "cib")
    xml = answer.get("xml") if isinstance(answer, dict) else None
    if not isinstance(xml, str):
        return None
    for event in parse_cib_xml(xml, "harmd").status.fencing:
        if event.id == event_id and event.state.value != "pending":
            return event
    return None


@node_command.command("fence")
@socket_option
@click.argument("node", metavar="NODE")
@click.option("--off", "action", flag_value="off", help="power NODE off")
@click.option("--on", "action", flag_value="on", help="power NODE on")
@click.option("--reboot", "action", flag_value="reboot", default=True,
              help="power NODE off and on again (the default)")
@click.option("--timeout", "timeout_s", default=300.0, show_default=True,
              help="seconds to wait for the fence to end")
def fence_command(socket_path: Path, node: str, action: str, timeout_s: float) -> None:
    """Fence NODE with its fence devices, as stonith_admin does (recorded in the history)."""
    from harm.daemon.client import request

    try:
        answer = request(socket_path, "cluster-op", op="fence", node=node, action=action)
    except ControlError as error:
        raise ControlError(str(error).removeprefix("ControlError: ")) from None
    ident = answer.get("request") if isinstance(answer, dict) else None
    if not isinstance(ident, str):
        raise ControlError("harmd gave no request id for the fence")
    deadline = time.monotonic() + timeout_s
    while True:
        status = request(socket_path, "request-status", request=ident)
        state = status.get("state") if isinstance(status, dict) else None
        event = _fence_event(socket_path, f"op-{ident}")  # the DC may change meanwhile:
        if event is not None:                             # the history tells the end too
            state = "done" if event.state.value == "success" else "failed"
            status = {"message": f"fencing {node} failed: {event.exit_reason}"}
        if state == "done":
            click.echo(f"{node}: {action} done", err=True)
            return
        if state == "failed":
            raise ControlError(str(status.get("message") or f"fencing {node} failed"))
        if time.monotonic() > deadline:
            raise ControlError(f"fencing {node} did not end within {timeout_s:g} s (see "
                               "harm_mon -m)")
        time.sleep(0.2)
