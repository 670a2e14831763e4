"""``harm ticket``: grant, revoke, put on standby, activate and list tickets (crm_ticket).

    harm ticket grant site-a          # resources that need site-a may run here
    harm ticket revoke site-a         # their rsc_ticket loss-policy applies
    harm ticket standby site-a        # granted, but not to be used: they stop
    harm ticket activate site-a       # out of standby again
    harm ticket show                  # every ticket with its state

On the running cluster a change is a ``cluster-op ticket`` the DC applies to the status;
on a CIB file (``--cib``) the file is changed at once.
"""

from __future__ import annotations

import time
from pathlib import Path

import click

from harm.cli.cibfile import target_options
from harm.cli.session import TicketOp, open_session
from harm.operations.tickets import CHANGES, show


@click.command(name="ticket")
@target_options
@click.argument("action", type=click.Choice([*CHANGES, "show"]))
@click.argument("ticket", required=False)
def command(cib_file: Path | None, socket_path: Path, action: str, ticket: str | None) -> None:
    """Grant, revoke, standby or activate a ticket, or show them all."""
    session = open_session(cib_file, socket_path)
    if action == "show":
        for line in show(session.read(), lambda t: time.asctime(time.localtime(t))):
            click.echo(line)
        return
    if not ticket:
        raise click.UsageError(f"'harm ticket {action}' needs a ticket name")
    session.run(TicketOp(ticket, action))
