"""Tickets in a CIB, as ``crm_ticket`` changes them: grant, revoke, standby, activate.

A ticket's state lives in the status (``<tickets><ticket_state …/>``): granted to this
cluster or not, and on standby or not. Granting records when (``last-granted``). These
functions are pure: (CIB, change, now) → new CIB; the engine then stops, demotes, fences or
freezes what depends on a ticket that was revoked (``rsc_ticket``'s loss-policy).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from harm.cib.cib import Cib
from harm.cib.config import Ticket
from harm.cib.status import TicketState
from harm.errors import ConfigError

CHANGES = ("grant", "revoke", "standby", "activate")


def known_tickets(cib: Cib) -> list[str]:
    """Tickets the configuration names or the status records, by name."""
    names = {c.ticket for c in cib.configuration.constraints if isinstance(c, Ticket)}
    names |= {state.id for state in cib.status.tickets}
    return sorted(names)


def change(cib: Cib, ticket: str, what: str, now: int) -> Cib:
    """``cib`` with ``ticket`` granted, revoked, put on standby or activated (the same CIB
    when nothing changes). A ticket nothing names yet may be granted all the same, as
    crm_ticket allows: constraints may name it later."""
    if what not in CHANGES:
        raise ConfigError(f"a ticket can be {', '.join(CHANGES)}, not {what!r}")
    state = cib.status.ticket(ticket) or TicketState(ticket)
    if what == "grant":
        new = replace(state, granted=True, last_granted=now) if not state.granted else state
    elif what == "revoke":
        new = replace(state, granted=False)
    elif what == "standby":
        new = replace(state, standby=True)
    else:
        new = replace(state, standby=False)
    if cib.status.ticket(ticket) == new:
        return cib
    return cib.with_status(cib.status.with_ticket(new))


def show(cib: Cib, when: Callable[[int], str] = str) -> list[str]:
    """One line per ticket, as ``crm_ticket -l`` prints them (``when`` writes the time
    it was last granted; crm_ticket writes local time)."""
    lines = []
    for name in known_tickets(cib):
        state = cib.status.ticket(name) or TicketState(name)
        text = f"{name}\t{'granted' if state.granted else 'revoked'} "
        text += "[standby]" if state.standby else " " * 9
        if state.last_granted is not None:
            text += f" last-granted='{when(state.last_granted)}'"
        lines.append(text)
    return lines
