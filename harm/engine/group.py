"""Groups: members started in order, stopped in reverse, kept on one node.

Each member after the first is colocated (INFINITY) with the one before it and ordered
after it, so placing the first member places the group (it incorporates the others'
preferences through the colocations). The group itself only owns pseudo-actions —
``grp_start_0``, ``grp_running_0``, ``grp_stop_0``, ``grp_stopped_0`` — that bracket its
members' starts and stops (Pacemaker's ``pcmk__group_internal_constraints``).
"""

from __future__ import annotations

from harm.cib.config import Group, is_true
from harm.engine.actions import create_resource_actions, internal_orderings, order_rsc
from harm.engine.colocation import new_colocation
from harm.engine.placement import assign
from harm.engine.state import Variant
from harm.engine.transition import OrderKind as K
from harm.engine.work import Rsc, Work


def group_flags(rsc: Rsc, work: Work | None = None) -> tuple[bool, bool]:
    """(ordered, colocated) from the group's own meta-attributes (both default true).

    A clone's ``ordered`` is about starting its instances in turn, so a cloned group
    does not inherit it: only what is written on the group itself counts.
    """
    ordered = rsc.state.meta.get("ordered")
    colocated = rsc.state.meta.get("collocated")
    if work is not None:
        own = work.config_resource(rsc.state.config_id)
        if isinstance(own, Group):
            ordered = own.meta_value("ordered")
            colocated = own.meta_value("collocated")
    return (True if ordered is None else is_true(ordered),
            True if colocated is None else is_true(colocated))


def add_internal_colocations(work: Work) -> None:
    for rsc in work.rscs.values():
        if rsc.variant is not Variant.GROUP:
            continue
        _, colocated = group_flags(rsc, work)
        if not colocated:
            continue
        for previous, member in zip(rsc.children, rsc.children[1:], strict=False):
            critical = member.state.meta.get("critical")
            new_colocation(work, "group:internal_colocation", member, previous,
                           1_000_000, influence=True if critical is None else is_true(critical))


def assign_group(work: Work, rsc: Rsc, prefer: str | None) -> str | None:
    if not rsc.provisional:
        return rsc.assigned
    if rsc.assigning:
        return None
    if not rsc.children:
        rsc.provisional = False
        return None
    rsc.assigning = True
    for member in rsc.children:
        work.record_scores(member, "pcmk__group_assign")
    work.record_scores(rsc, "pcmk__group_assign")
    first = rsc.children[0]
    rsc.role = first.role
    for member in rsc.children:
        assign(work, member, prefer)
    rsc.next_role = first.next_role
    rsc.assigned = first.assigned
    rsc.assigning = False
    rsc.provisional = False
    _, colocated = group_flags(rsc, work)
    return rsc.assigned if colocated else None


def create_group_actions(work: Work, rsc: Rsc) -> None:
    for member in rsc.children:
        create_resource_actions(work, member)
    for task in ("start", "running", "stop", "stopped"):
        work.pseudo(rsc.id, task, rsc=rsc)
    if _promotable(rsc):
        for task in ("demote", "demoted", "promote", "promoted"):
            work.pseudo(rsc.id, task, rsc=rsc)


def _promotable(rsc: Rsc) -> bool:
    top = rsc.top()
    return top.state.clone is not None and top.state.clone.promotable


def group_internal_orderings(work: Work, rsc: Rsc) -> None:
    order_rsc(work, rsc, "stop", rsc, "stopped", kind=K.RUNNABLE_LEFT)
    order_rsc(work, rsc, "stopped", rsc, "start", kind=K.OPTIONAL)
    order_rsc(work, rsc, "start", rsc, "running", kind=K.RUNNABLE_LEFT)
    ordered, _ = group_flags(rsc, work)
    promotable = _promotable(rsc)
    previous: Rsc | None = None
    last_active: Rsc | None = None
    for member in rsc.children:
        internal_orderings(work, member)
        down = K.NONE
        post_down = K.NONE
        if previous is None and ordered:
            down = K.OPTIONAL
            post_down = K.IMPLIES_THEN
        if promotable:
            order_rsc(work, rsc, "demote", member, "demote", kind=down)
            order_rsc(work, member, "demote", rsc, "demoted", kind=post_down)
            order_rsc(work, member, "promote", rsc, "promoted",
                      kind=K.RUNNABLE_LEFT | K.IMPLIES_THEN)
            order_rsc(work, rsc, "promote", member, "promote", kind=K.NONE)
        order_rsc(work, rsc, "stop", member, "stop", kind=down)
        order_rsc(work, member, "stop", rsc, "stopped", kind=post_down)
        order_rsc(work, rsc, "start", member, "start", kind=K.NONE)
        order_rsc(work, member, "start", rsc, "running", kind=K.RUNNABLE_LEFT | K.IMPLIES_THEN)
        if not ordered:
            order_rsc(work, rsc, "start", member, "start", kind=K.IMPLIES_THEN | K.RUNNABLE_LEFT)
            if promotable:
                order_rsc(work, rsc, "promote", member, "promote",
                          kind=K.IMPLIES_THEN | K.RUNNABLE_LEFT)
        elif previous is not None:
            order_rsc(work, previous, "start", member, "start",
                      kind=K.IMPLIES_THEN | K.RUNNABLE_LEFT)
            order_rsc(work, member, "stop", previous, "stop", kind=K.OPTIONAL | K.RESTART)
            if promotable:
                order_rsc(work, previous, "promote", member, "promote",
                          kind=K.IMPLIES_THEN | K.RUNNABLE_LEFT)
                order_rsc(work, member, "demote", previous, "demote", kind=K.OPTIONAL)
        if member.running_on:
            if (ordered and previous is not None and not previous.running_on
                    and last_active is not None and last_active.running_on):
                order_rsc(work, member, "stop", last_active, "stop", kind=K.OPTIONAL)
            last_active = member
        previous = member
