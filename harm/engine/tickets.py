"""Ticket constraints (``rsc_ticket``): resources that may run only while a ticket is theirs.

A ticket is granted to a site (by booth or ``harm ticket grant``) and may be put on
standby. Pacemaker's ``pcmk_sched_tickets``: while a ticket is granted and not on standby
nothing happens. Otherwise every primitive the constraint names (each member of a group,
each clone instance) is treated by the constraint's role (``rsc-role``; Started or none
means any role) and its ``loss-policy``:

* a ticket that is **revoked** from an **active** resource applies the loss policy:
  ``stop`` bans it from every node; ``demote`` does the same unless the role is Promoted
  (then only promotion is forbidden); ``fence`` (only with fencing enabled, else ``stop``)
  bans it and fences the nodes it runs on, when its current role matches; ``freeze``
  leaves it where it is, unmanaged and blocked, when its current role matches;
* a ticket **never granted**, or on **standby**, bans the resource from every node unless
  the role is Promoted with a policy other than stop (then only promotion is forbidden).

The policy defaults to ``demote`` for the Promoted role and ``stop`` otherwise. Promotion is
forbidden through :func:`forbids_promotion`, which the promotion step asks.
"""

from __future__ import annotations

from dataclasses import dataclass

from harm.cib.config import Role, Ticket
from harm.cib.scores import INFINITY, add
from harm.cib.status import TicketState
from harm.engine.work import Rsc, Work

FENCE_REASON = "deadman ticket was lost"


@dataclass(frozen=True)
class _Dependency:
    """One resource's dependency on one ticket."""

    constraint: str
    ticket: TicketState
    role: Role | None  # None: any role
    policy: str  # stop | demote | fence | freeze


def apply_tickets(work: Work) -> None:
    """Apply every ticket constraint whose ticket is revoked or on standby."""
    for constraint in work.state.configuration.constraints:
        if not isinstance(constraint, Ticket):
            continue
        state = _state(work, constraint.ticket)
        for rsc, role in _targets(work, constraint):
            policy = _policy(work, constraint.ticket, constraint.loss_policy, role)
            dependency = _Dependency(constraint.id, state, role, policy)
            if role is Role.PROMOTED and (not state.granted or state.standby):
                work.promotion_forbidden.add(rsc.id)
            if not state.granted or state.standby:
                _constrain(work, rsc, dependency)


def forbids_promotion(work: Work, clone: Rsc) -> bool:
    """Whether a ticket for the Promoted role of ``clone`` is revoked or on standby
    (Pacemaker's ``pcmk__require_promotion_tickets``)."""
    return clone.id in work.promotion_forbidden


def _state(work: Work, ticket_id: str) -> TicketState:
    for state in work.state.tickets:
        if state.id == ticket_id:
            return state
    return TicketState(ticket_id)  # a ticket nobody granted yet


def _policy(work: Work, ticket: str, written: str | None, role: Role | None) -> str:
    word = (written or "").lower()
    if word == "fence" and not work.options.stonith_enabled:
        work.warnings.append(f"Resetting 'loss-policy' for ticket '{ticket}' to 'stop' "
                             "because fencing is not configured")
        return "stop"
    if word in ("stop", "demote", "fence", "freeze"):
        return word
    return "demote" if role is Role.PROMOTED else "stop"


def _targets(work: Work, constraint: Ticket) -> list[tuple[Rsc, Role | None]]:
    """The resources a constraint names, each with the role it applies to."""
    found: list[tuple[Rsc, Role | None]] = []
    if constraint.sets:
        for rset in constraint.sets:
            for rsc in work.named(constraint.id, rset.resources, rset.id) or []:
                found.append((rsc, _role(rset.role)))
    elif constraint.rsc is not None:
        for rsc in work.named(constraint.id, (constraint.rsc,)) or []:
            found.append((rsc, _role(constraint.rsc_role)))
    return found


def _role(role: Role | None) -> Role | None:
    return None if role is Role.STARTED else role


def _constrain(work: Work, rsc: Rsc, dep: _Dependency) -> None:
    if rsc.children:
        for child in rsc.children:
            _constrain(work, child, dep)
        return
    role_matches = dep.role is None or dep.role is rsc.role
    if not dep.ticket.granted and rsc.running_on:
        if dep.policy == "stop" or (dep.policy == "demote" and dep.role is not Role.PROMOTED):
            _ban(work, rsc)
        elif dep.policy == "fence" and role_matches:
            _ban(work, rsc)
            for node in rsc.running_on:
                work.mark_unclean(node, FENCE_REASON)
        elif dep.policy == "freeze" and role_matches:
            rsc.managed = False  # left where it is, with no actions
    elif dep.role is not Role.PROMOTED or dep.policy == "stop":
        _ban(work, rsc)


def _ban(work: Work, rsc: Rsc) -> None:
    """-INFINITY on every node (Pacemaker's ``resource_location`` with no node)."""
    for node in work.nodes:
        rsc.allowed[node.name] = add(rsc.allowed.get(node.name, 0), -INFINITY)
