"""Tickets, as crm_mon lists them in XML: every ticket a ``rsc_ticket`` constraint names or
the status records, with its state (``granted``/``revoked``, standby, last granted)."""

from __future__ import annotations

from dataclasses import dataclass

from harm.cib.cib import Cib
from harm.cib.config import Ticket as TicketConstraint


@dataclass(frozen=True)
class Ticket:
    id: str
    granted: bool = False
    standby: bool = False
    last_granted: int | None = None


def tickets(cib: Cib) -> tuple[Ticket, ...]:
    """The known tickets, by id."""
    found: dict[str, Ticket] = {}
    for constraint in cib.configuration.constraints:
        if isinstance(constraint, TicketConstraint):
            found.setdefault(constraint.ticket, Ticket(constraint.ticket))
    for state in cib.status.tickets:
        found[state.id] = Ticket(state.id, state.granted, state.standby, state.last_granted)
    return tuple(found[name] for name in sorted(found))
