"""Primitives: choosing a node, then the actions that take it from its role to the next.

Assignment (Pacemaker's ``pcmk__primitive_assign``): place the primaries of this
resource's colocations first and fold their placement into its node scores; fold in the
(attenuated) preferences of resources colocated with it; then take the best node:
highest score, then fewest resources already assigned, then the node it runs on, then
the lowest name. A node with a negative score, or one that cannot run resources, is never
chosen; an unmanaged resource stays where it is; ``stop-all-resources`` stops everything.

Actions (``pcmk__primitive_create_actions``): walk the role ladder
Stopped → Started/Unpromoted → Promoted. A move, a failure or a block requires a stop
(and the start again); anything not required is created optional so that orderings can
still require it later (a restart because something it depends on restarts).
"""

from __future__ import annotations

from harm.cib.config import Role
from harm.cib.scores import INFINITY, format_score
from harm.engine.colocation import (
    add_colocated_scores,
    any_available,
    this_with_for,
    with_this_for,
)
from harm.engine.nodes import sort_nodes
from harm.engine.placement import apply_colocation, assign
from harm.engine.state import OnFail
from harm.engine.transition import Note
from harm.engine.transition import OrderKind as K
from harm.engine.utilization import ban_insufficient_capacity, consume, order_load
from harm.engine.work import ROLE_RANK, Act, Rsc, Work

# the immediate next role on the way from a role to a target role
_NEXT: dict[Role, dict[Role, Role]] = {
    Role.STOPPED: {Role.STOPPED: Role.STOPPED, Role.STARTED: Role.STARTED,
                   Role.UNPROMOTED: Role.UNPROMOTED, Role.PROMOTED: Role.UNPROMOTED},
    Role.STARTED: {Role.STOPPED: Role.STOPPED, Role.STARTED: Role.STARTED,
                   Role.UNPROMOTED: Role.UNPROMOTED, Role.PROMOTED: Role.PROMOTED},
    Role.UNPROMOTED: {Role.STOPPED: Role.STOPPED, Role.STARTED: Role.STOPPED,
                      Role.UNPROMOTED: Role.UNPROMOTED, Role.PROMOTED: Role.PROMOTED},
    Role.PROMOTED: {Role.STOPPED: Role.UNPROMOTED, Role.STARTED: Role.UNPROMOTED,
                    Role.UNPROMOTED: Role.UNPROMOTED, Role.PROMOTED: Role.PROMOTED},
}


def assign_best_node(work: Work, rsc: Rsc, prefer: str | None) -> str | None:
    most_free = ban_insufficient_capacity(work, rsc)
    if prefer is None:
        prefer = most_free
    nodes = sort_nodes(work, rsc.allowed, rsc.current_node)
    chosen: str | None = None
    best = nodes[0] if nodes else None
    if prefer is not None and best is not None:
        weight = rsc.allowed.get(prefer)
        if weight is not None and weight >= rsc.allowed[best] and work.available(prefer) \
                and weight >= 0:
            chosen = prefer
    if chosen is None and best is not None:
        chosen = best
        clone = rsc.clone_parent()
        unique = clone is not None and clone.state.clone is not None and clone.state.clone.unique
        running = rsc.current_node
        if (not unique and rsc.allowed[chosen] > 0 and work.available(chosen)
                and running is not None and work.available(running)):
            for other in nodes[1:]:
                if rsc.allowed[other] != rsc.allowed[chosen]:
                    break
                if other == running:
                    chosen = other
    return finalize(work, rsc, chosen, force=False)


def finalize(work: Work, rsc: Rsc, node: str | None, *, force: bool) -> str | None:
    """Record the assignment (or that the resource will not run)."""
    rsc.provisional = False
    if node is not None and not force:
        weight = rsc.allowed.get(node, -INFINITY)
        if weight < 0 or not work.available(node):
            node = None
    if node is None:
        rsc.assigned = None
        if rsc.next_role is None or rsc.next_role is not Role.STOPPED:
            rsc.next_role = Role.STOPPED
            rsc.next_role_reason = "node availability"
        return None
    rsc.assigned = node
    work.assigned_count[node] = work.assigned_count.get(node, 0) + 1
    consume(work, node, rsc)
    return node


def assign_primitive(work: Work, rsc: Rsc, prefer: str | None) -> str | None:
    if not rsc.provisional:
        return rsc.assigned
    if rsc.assigning:
        return None
    rsc.assigning = True
    for coloc in this_with_for(rsc):
        archive = None
        if coloc.dependent_role is Role.PROMOTED or -INFINITY < coloc.score < 0:
            archive = dict(rsc.allowed)
        assign(work, coloc.primary, None)
        apply_colocation(work, rsc, coloc.primary, coloc)
        if archive is not None and not any_available(work, rsc.allowed):
            rsc.allowed = archive
    for coloc in with_this_for(rsc):
        if coloc.influence:
            rsc.allowed = add_colocated_scores(
                work, coloc.dependent, rsc.allowed, coloc.node_attribute,
                coloc.score / INFINITY, select_active=True)
    if rsc.next_role is Role.STOPPED:
        for node in list(rsc.allowed):
            rsc.allowed[node] = -INFINITY
    elif (rsc.next_role is not None and ROLE_RANK[rsc.next_role] > ROLE_RANK[rsc.role]
          and not work.options.have_quorum and work.options.no_quorum_policy == "freeze"):
        rsc.next_role = rsc.role
    work.record_scores(rsc)  # as they stand before capacity bans (crm_simulate -s)
    if work.options.stonith_enabled and not work.options.have_fencing:
        rsc.managed = False
    if not rsc.managed:
        if rsc.next_role is None or rsc.next_role is not rsc.role:
            rsc.next_role = rsc.role
        finalize(work, rsc, rsc.current_node, force=True)
    elif work.options.stop_all_resources:
        finalize(work, rsc, None, force=True)
    else:
        assign_best_node(work, rsc, prefer)
    _explain_placement(work, rsc)
    rsc.assigning = False
    return rsc.assigned


def _explain_placement(work: Work, rsc: Rsc) -> None:
    """One sentence: where the resource goes, with the score that won and the best loser."""
    ranked = [n for n in sort_nodes(work, rsc.allowed, rsc.current_node)]
    shown = ", ".join(
        f"{n} {format_score(rsc.allowed[n])}" + ("" if work.available(n) else " (unavailable)")
        for n in ranked[:3])
    if not rsc.managed:
        text = f"unmanaged: stays where it is ({rsc.current_node or 'stopped'})"
    elif work.options.stop_all_resources:
        text = "stop-all-resources is set: stopped everywhere"
    elif rsc.assigned is None:
        text = f"cannot run anywhere: no available node with a score of 0 or more ({shown})"
    else:
        others = [n for n in ranked if n != rsc.assigned]
        text = f"placed on {rsc.assigned} with {format_score(rsc.allowed[rsc.assigned])}"
        if others:
            best = others[0]
            text += f"; next best {best} with {format_score(rsc.allowed[best])}"
        if rsc.current_node == rsc.assigned and rsc.state.stickiness:
            text += f" (stickiness {rsc.state.stickiness} counted where it runs)"
    work.notes.append(Note(rsc=rsc.id, text=text))


# ----------------------------------------------------------------------------- actions


def stop(work: Work, rsc: Rsc, optional: bool) -> None:
    for node in rsc.running_on:
        act = work.action(rsc, "stop", node, optional=optional)
        if rsc.assigned is None and act.reason is None:
            act.reason = "node availability"
        if not rsc.managed:
            act.runnable = False


def start(work: Work, rsc: Rsc, node: str | None, optional: bool) -> None:
    if node is None:
        return
    act = work.action(rsc, "start", node, optional=True)
    if act.runnable and not optional:
        act.optional = False


def promote(work: Work, rsc: Rsc, node: str | None, optional: bool) -> None:
    if node is None:
        return
    starts = rsc.find_actions("start", node)
    act = work.action(rsc, "promote", node, optional=optional)
    if not all(s.runnable for s in starts):
        act.runnable = False


def demote(work: Work, rsc: Rsc, optional: bool) -> None:
    for node in rsc.running_on:
        work.action(rsc, "demote", node, optional=optional)


def _transition(work: Work, rsc: Rsc, role: Role, nxt: Role, node: str | None,
                *, optional: bool) -> bool:
    """Run the action for one rung of the ladder; False when there is none."""
    if nxt is role:
        return False
    if nxt is Role.STOPPED:
        if role is Role.PROMOTED:
            demote(work, rsc, optional)
        else:
            stop(work, rsc, optional)
        return True
    if role is Role.STOPPED:
        start(work, rsc, node, optional)
        return True
    if role is Role.PROMOTED:
        demote(work, rsc, optional)
        return True
    if nxt is Role.PROMOTED:
        promote(work, rsc, node, optional)
        return True
    if role is Role.UNPROMOTED and nxt is Role.STARTED:
        stop(work, rsc, optional)
        return True
    return True


def create_actions(work: Work, rsc: Rsc) -> None:
    """All actions for one primitive (or clone instance)."""
    if rsc.next_role is None:
        rsc.next_role = Role.STOPPED if rsc.assigned is None else Role.STARTED
    current = rsc.current_node
    need_stop = False
    need_promote = False
    moving = (current is not None and rsc.assigned is not None and current != rsc.assigned
              and ROLE_RANK[rsc.next_role] >= ROLE_RANK[Role.STARTED])
    if moving:
        need_stop = True
    if len([n for n in rsc.running_on if work.node_online(n)]) > 1:
        need_stop = True
    if rsc.state.pending_task == "start" and rsc.assigned is not None:
        work.action(rsc, "start", rsc.assigned, optional=True)
    if moving:
        pass
    elif rsc.failed:
        if _recovery_needs_stop(rsc):
            need_stop = True
        elif rsc.next_role is Role.PROMOTED:
            need_promote = True
    elif rsc.blocked:
        need_stop = True
    elif ROLE_RANK[rsc.role] > ROLE_RANK[Role.STARTED] and current is not None \
            and rsc.assigned is not None:
        act = work.action(rsc, "start", rsc.assigned, optional=True)
        if not act.optional:
            need_stop = True
    _restart_actions(work, rsc, current, need_stop, need_promote)
    role = rsc.role
    steps = 0
    while role is not rsc.next_role and steps < 6:
        nxt = _NEXT[role][rsc.next_role]
        if not _transition(work, rsc, role, nxt, rsc.assigned, optional=False):
            break
        role = nxt
        steps += 1


def _recovery_needs_stop(rsc: Rsc) -> bool:
    """A failure recovered by demotion alone does not stop (on-fail=demote)."""
    worst = OnFail.IGNORE
    for entry in rsc.state.history:
        worst = max(worst, entry.on_fail)
    return worst is not OnFail.DEMOTE


def _restart_actions(work: Work, rsc: Rsc, current: str | None, need_stop: bool,
                     need_promote: bool) -> None:
    role = rsc.role
    rsc.restarting = True
    steps = 0
    while role is not Role.STOPPED and steps < 6:
        nxt = _NEXT[role][Role.STOPPED]
        _transition(work, rsc, role, nxt, current, optional=not need_stop)
        role = nxt
        steps += 1
    steps = 0
    while (ROLE_RANK[rsc.role] <= ROLE_RANK[rsc.next_role or Role.STOPPED]
           and role is not rsc.role and not rsc.blocked and steps < 6):
        required = need_stop
        nxt = _NEXT[role][rsc.role]
        if nxt is Role.PROMOTED and need_promote:
            required = True
        if not _transition(work, rsc, role, nxt, rsc.assigned, optional=not required):
            break
        role = nxt
        steps += 1
    rsc.restarting = False


def internal_orderings(work: Work, rsc: Rsc) -> None:
    """stop → start, demote → stop, start → promote, demote → promote … for one primitive."""
    stops = rsc.find_actions("stop")
    starts = rsc.find_actions("start")
    promotes = rsc.find_actions("promote")
    demotes = rsc.find_actions("demote")
    for first in stops:
        for then in starts:
            work.order(first, then, K.OPTIONAL | K.IMPLIES_THEN | K.RESTART)
    for first in demotes:
        for then in stops:
            work.order(first, then, K.PROMOTED_IMPLIES_FIRST)
    for first in starts:
        for then in promotes:
            work.order(first, then, K.RUNNABLE_LEFT)
    for first in demotes:
        for then in starts:
            work.order(first, then, K.OPTIONAL)
    for first in demotes:
        for then in promotes:
            work.order(first, then, K.OPTIONAL)
    for first in starts:
        _order_monitors(work, rsc, first)
    order_load(work, rsc)


def _order_monitors(work: Work, rsc: Rsc, start_act: Act) -> None:
    for act in rsc.actions:
        if act.task == "monitor" and act.interval_ms > 0 and act.node == start_act.node:
            work.order(start_act, act, K.IMPLIES_THEN | K.RUNNABLE_LEFT)
