"""Clones: up to ``clone-max`` instances, at most ``clone-node-max`` per node.

Assignment (Pacemaker's ``pcmk__clone_allocate`` and ``distribute_children``):

1. place the primaries of the clone's colocations, and fold in the preferences of
   resources colocated with the clone (only non-negative ones);
2. instances already running on a node that can run them stay there first, up to an even
   share per node (``clone-max`` / available nodes, at least 1);
3. the remaining instances go, one by one, to the best node that has fewer than
   ``clone-node-max`` instances; instances beyond ``clone-max`` are stopped;
4. for a promotable clone, instance roles are chosen (:mod:`harm.engine.promotable`).

The clone owns pseudo-actions (``clone_start_0`` … ``clone_stopped_0``, and
``promote``/``promoted``/``demote``/``demoted`` when promotable) that bracket its
instances' actions.
"""

from __future__ import annotations

from harm.cib.scores import INFINITY, add
from harm.engine.actions import create_resource_actions, internal_orderings, order_rsc
from harm.engine.colocation import add_colocated_scores
from harm.engine.instances import instance_key
from harm.engine.nodes import sort_nodes
from harm.engine.notify import create_pseudo_ops, notifies
from harm.engine.placement import assign, unassign
from harm.engine.promotable import add_promotion_scores, set_instance_roles
from harm.engine.transition import OrderKind as K
from harm.engine.work import Rsc, Work


def _settings(rsc: Rsc) -> tuple[int, int]:
    settings = rsc.state.clone
    if settings is None:
        return (len(rsc.children), 1)
    return (settings.clone_max, settings.clone_node_max)


def is_promotable(rsc: Rsc) -> bool:
    return rsc.state.clone is not None and rsc.state.clone.promotable


def assign_clone(work: Work, rsc: Rsc, prefer: str | None) -> str | None:
    if not rsc.provisional or rsc.assigning:
        return None
    if is_promotable(rsc):
        add_promotion_scores(work, rsc)
    rsc.assigning = True
    for coloc in rsc.this_with:
        assign(work, coloc.primary, prefer)
    for coloc in rsc.with_this:
        if coloc.influence:
            rsc.allowed = add_colocated_scores(
                work, coloc.dependent, rsc.allowed, coloc.node_attribute,
                coloc.score / INFINITY, only_positive=True, select_active=True)
    work.record_scores(rsc, "pcmk__clone_allocate")
    for child in rsc.children:
        work.record_scores(child, "pcmk__clone_allocate")
    nodes = sort_nodes(work, rsc.allowed, None)
    clone_max, per_node = _settings(rsc)
    instances = sorted(rsc.children, key=lambda c: instance_key(work, c))
    _distribute(work, rsc, instances, nodes, clone_max, per_node=per_node)
    if is_promotable(rsc):
        set_instance_roles(work, rsc)
    rsc.provisional = False
    rsc.assigning = False
    return None


def _distribute(work: Work, clone: Rsc, instances: list[Rsc], nodes: list[str],
                clone_max: int, *, per_node: int) -> None:
    counts = {n: 0 for n in nodes}
    available = sum(1 for n in nodes if work.available(n))
    all_coloc = clone_max < available
    loop_max = max(1, clone_max // available) if available else 1
    allocated = 0
    for child in instances:
        if allocated >= clone_max:
            break
        current = child.current_node
        if current is None or not child.provisional or child.failed:
            continue
        if not work.available(current):
            continue
        if counts.get(current, 0) >= loop_max:
            continue
        if _allocate_instance(work, clone, child, current, all_coloc=all_coloc,
                              limit=per_node, counts=counts):
            allocated += 1
    for child in instances:
        if not child.provisional:
            continue
        if allocated >= clone_max:
            for member in [child, *child.primitives()]:
                for node in member.allowed:
                    member.allowed[node] = -INFINITY
            _stop_instance(work, child)
            continue
        if _allocate_instance(work, clone, child, None, all_coloc=all_coloc,
                              limit=per_node, counts=counts):
            allocated += 1


def _stop_instance(work: Work, child: Rsc) -> None:
    assign(work, child, None)


def _allocate_instance(work: Work, clone: Rsc, child: Rsc, prefer: str | None,
                       *, all_coloc: bool, limit: int, counts: dict[str, int]) -> bool:
    if not child.provisional:
        return child.assigned is not None
    if child.assigning:
        return False
    _set_all_coloc(child, all_coloc)
    if prefer is not None:
        weight = child.allowed.get(prefer)
        if weight is None or weight < 0:
            return False
    for member in [child, *child.primitives()]:
        _limit_nodes(work, clone, member, limit, counts)
    backup = {m.id: dict(m.allowed) for m in [child, *child.primitives()]}
    chosen = assign(work, child, prefer)
    if chosen is not None and prefer is not None and chosen != prefer:
        for member in [child, *child.primitives()]:
            member.allowed = backup[member.id]
        unassign(work, child)
        return False
    if chosen is not None:
        counts[chosen] = counts.get(chosen, 0) + 1
        return True
    return False


def _set_all_coloc(child: Rsc, all_coloc: bool) -> None:
    child.all_coloc = all_coloc
    if child.parent is not None:
        child.parent.all_coloc = all_coloc


def _limit_nodes(work: Work, clone: Rsc, member: Rsc, limit: int,
                 counts: dict[str, int]) -> None:
    for node in list(member.allowed):
        top = clone.allowed.get(node)
        if not work.available(node) or member.state.orphan or top is None:
            member.allowed[node] = -INFINITY
        elif top < 0:
            member.allowed[node] = add(member.allowed[node], top)
        elif counts.get(node, 0) >= limit:
            member.allowed[node] = -INFINITY


# ----------------------------------------------------------------------------- actions


def create_clone_actions(work: Work, rsc: Rsc) -> None:
    for child in rsc.children:
        create_resource_actions(work, child)
    for task in ("start", "running", "stop", "stopped"):
        work.pseudo(rsc.id, task, rsc=rsc)
    if is_promotable(rsc):
        for task in ("promote", "promoted", "demote", "demoted"):
            work.pseudo(rsc.id, task, rsc=rsc)
    if notifies(rsc):
        create_pseudo_ops(work, rsc)


def clone_internal_orderings(work: Work, rsc: Rsc) -> None:
    order_rsc(work, rsc, "stopped", rsc, "start", kind=K.OPTIONAL)
    order_rsc(work, rsc, "start", rsc, "running", kind=K.RUNNABLE_LEFT)
    order_rsc(work, rsc, "stop", rsc, "stopped", kind=K.RUNNABLE_LEFT)
    promotable = is_promotable(rsc)
    if promotable:
        order_rsc(work, rsc, "demoted", rsc, "stop", kind=K.OPTIONAL)
        order_rsc(work, rsc, "running", rsc, "promote", kind=K.RUNNABLE_LEFT)
        order_rsc(work, rsc, "demote", rsc, "demoted", kind=K.RUNNABLE_LEFT)
        order_rsc(work, rsc, "promote", rsc, "promoted", kind=K.RUNNABLE_LEFT)
        order_rsc(work, rsc, "demoted", rsc, "promote", kind=K.OPTIONAL)
        order_rsc(work, rsc, "demoted", rsc, "start", kind=K.OPTIONAL)
    ordered = rsc.state.clone is not None and rsc.state.clone.ordered
    last: Rsc | None = None
    for child in rsc.children:
        internal_orderings(work, child)
        order_rsc(work, rsc, "start", child, "start", kind=K.RUNNABLE_LEFT)
        order_rsc(work, child, "start", rsc, "running", kind=K.NONE)
        order_rsc(work, rsc, "stop", child, "stop", kind=K.NONE)
        order_rsc(work, child, "stop", rsc, "stopped", kind=K.NONE)
        if promotable:
            order_rsc(work, rsc, "promote", child, "promote", kind=K.RUNNABLE_LEFT)
            order_rsc(work, child, "promote", rsc, "promoted", kind=K.NONE)
            order_rsc(work, rsc, "demote", child, "demote", kind=K.NONE)
            order_rsc(work, child, "demote", rsc, "demoted", kind=K.NONE)
        if ordered and last is not None:
            order_rsc(work, last, "start", child, "start", kind=K.OPTIONAL)
            order_rsc(work, child, "stop", last, "stop", kind=K.OPTIONAL)
        last = child
