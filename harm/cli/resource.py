"""``harm resource …`` and ``harm node …``: operator actions, applied to a CIB file.

Each action is a pure CIB transformation (:mod:`harm.operations.resources`), so what is
changed here is exactly what the running cluster will change when harmd applies it.
"""

from __future__ import annotations

import time
from pathlib import Path

import click

from harm.cib.store import load_cib, save_cib
from harm.cli.cibfile import cib_option, require_cib
from harm.crmsh.render import render_location
from harm.errors import ControlError
from harm.operations import resources


@click.group(name="resource")
def resource_command() -> None:
    """Start, stop, move, ban, clear, clean up, promote, demote or fail a resource."""


def _role_command(action: str) -> click.Command:
    @cib_option
    @click.argument("rsc", metavar="RSC")
    def run(cib_file: Path | None, rsc: str) -> None:
        path = require_cib(cib_file)
        save_cib(path, resources.set_target_role(load_cib(path), rsc, action))
        role = resources.TARGET_ROLES[action].value
        click.echo(f"{rsc}: target-role={role}", err=True)

    run.__doc__ = f"Set RSC's target-role so the cluster will {action} it."
    return click.command(name=action)(run)


for _action in resources.TARGET_ROLES:
    resource_command.add_command(_role_command(_action))


@resource_command.command("restart")
@cib_option
@click.argument("rsc", metavar="RSC")
def restart_command(cib_file: Path | None, rsc: str) -> None:
    """Stop and start RSC (needs a running cluster)."""
    del cib_file
    raise ControlError(f"restarting {rsc} needs a running cluster; a CIB file has no processes")


@resource_command.command("move")
@cib_option
@click.argument("rsc", metavar="RSC")
@click.argument("node", metavar="NODE")
def move_command(cib_file: Path | None, rsc: str, node: str) -> None:
    """Move RSC (the Promoted role of a promotable clone) to NODE until 'clear'."""
    path = require_cib(cib_file)
    cib = resources.move(load_cib(path), rsc, node, int(time.time()))
    save_cib(path, cib)
    for constraint in resources.cli_constraints(cib.configuration):
        if constraint.rsc == rsc:
            click.echo(f"created: {render_location(constraint)}", err=True)


@resource_command.command("ban")
@cib_option
@click.argument("rsc", metavar="RSC")
@click.argument("node", metavar="NODE")
def ban_command(cib_file: Path | None, rsc: str, node: str) -> None:
    """Keep RSC off NODE until 'clear'."""
    path = require_cib(cib_file)
    save_cib(path, resources.ban(load_cib(path), rsc, node))
    click.echo(f"created: cli-ban-{rsc}-on-{node}", err=True)


@resource_command.command("clear")
@cib_option
@click.argument("rsc", metavar="RSC")
def clear_command(cib_file: Path | None, rsc: str) -> None:
    """Remove the constraints that 'move' and 'ban' created for RSC."""
    path = require_cib(cib_file)
    cib, removed = resources.clear(load_cib(path), rsc)
    if removed:
        save_cib(path, cib)
    click.echo(f"removed: {', '.join(removed)}" if removed else f"{rsc}: nothing to clear",
               err=True)


@resource_command.command("constraints")
@cib_option
def constraints_command(cib_file: Path | None) -> None:
    """List the constraints that 'move' and 'ban' created."""
    cib = load_cib(require_cib(cib_file))
    for constraint in resources.cli_constraints(cib.configuration):
        click.echo(render_location(constraint))


@resource_command.command("cleanup")
@cib_option
@click.argument("rsc", metavar="RSC")
@click.argument("node", metavar="[NODE]", required=False)
def cleanup_command(cib_file: Path | None, rsc: str, node: str | None) -> None:
    """Forget RSC's failures (fail-counts and failed history) so it is probed again."""
    path = require_cib(cib_file)
    cib, cleaned = resources.cleanup(load_cib(path), rsc, node)
    if cleaned:
        save_cib(path, cib)
        click.echo("cleaned up " + ", ".join(cleaned), err=True)
    else:
        click.echo(f"{rsc}: no failures to clean up", err=True)


@resource_command.command("fail")
@cib_option
@click.argument("rsc", metavar="RSC")
@click.argument("node", metavar="NODE")
def fail_command(cib_file: Path | None, rsc: str, node: str) -> None:
    """Record a failed monitor of RSC on NODE, as crm_resource --fail does."""
    path = require_cib(cib_file)
    save_cib(path, resources.fail(load_cib(path), rsc, node, int(time.time())))
    click.echo(f"recorded a failed monitor of {rsc} on {node}", err=True)


@click.group(name="node")
def node_command() -> None:
    """Put a node in standby or maintenance, or bring it back."""


def _node_state_command(state: str) -> click.Command:
    @cib_option
    @click.argument("node", metavar="NODE")
    def run(cib_file: Path | None, node: str) -> None:
        path = require_cib(cib_file)
        save_cib(path, resources.set_node_state(load_cib(path), node, state))
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
