"""Tickets, as crm_mon lists them in XML: every ticket a ``rsc_ticket`` constraint names or
the status records, with its state (``granted``/``revoked``, standby, last granted).

harm does not schedule on tickets; a CIB saved by Pacemaker may still carry them, and
crm_mon's readers expect the ``tickets`` element then. Both kinds of element reach harm's
model as raw XML kept verbatim, which is read here.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass

from harm.cib.cib import Cib
from harm.cib.config import is_true


@dataclass(frozen=True)
class Ticket:
    id: str
    granted: bool = False
    standby: bool = False
    last_granted: int | None = None


def tickets(cib: Cib) -> tuple[Ticket, ...]:
    """The known tickets, by id."""
    found: dict[str, Ticket] = {}
    for _path, raw in cib.configuration.extra_sections:
        for elem in _elements(raw):
            for constraint in elem.iter("rsc_ticket"):
                name = constraint.get("ticket")
                if name:
                    found.setdefault(name, Ticket(name))
    for _path, raw in cib.status.extra_sections:
        for elem in _elements(raw):
            for state in elem.iter("ticket_state"):
                name = state.get("id")
                if not name:
                    continue
                last = state.get("last-granted")
                found[name] = Ticket(
                    name, is_true(state.get("granted") or "false"),
                    is_true(state.get("standby") or "false"),
                    int(last) if last and last.lstrip("-").isdigit() else None)
    return tuple(found[name] for name in sorted(found))


def _elements(raw: str) -> list[ET.Element]:
    try:
        return [ET.fromstring(raw)]
    except ET.ParseError:
        return []
