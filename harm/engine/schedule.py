"""The policy engine's entry point: cluster state and time in, transition out.

The steps are Pacemaker's (``pcmk__schedule_actions``), each in its own module:

1. node scores: tickets, health, locations, stickiness, bans  :mod:`harm.engine.location`
2. colocations unpacked, groups' internal ones added ....... :mod:`harm.engine.colocation`
3. assignment, top-level resources in configuration order .. :mod:`harm.engine.placement`
   (primitives, groups, clones and promotion)
4. actions: role changes, probes, recurring monitors ....... :mod:`harm.engine.actions`
5. orderings: internal ones, then order constraints ........ :mod:`harm.engine.ordering`
6. propagation of "required"/"unrunnable" along orderings .. :mod:`harm.engine.work`
7. fencing of unclean nodes and the transition summary ..... :mod:`harm.engine.summary`

No I/O and no clock: ``now`` is an argument.
"""

from __future__ import annotations

from types import MappingProxyType

from harm.cib.cib import Cib
from harm.engine.actions import (
    create_primitive_actions,
    create_resource_actions,
    internal_orderings,
    order_probes,
    schedule_probes,
    summarize_pseudo,
)
from harm.engine.clone import assign_clone, clone_internal_orderings, create_clone_actions
from harm.engine.colocation import block_dependents, unpack_colocations
from harm.engine.group import (
    add_internal_colocations,
    assign_group,
    create_group_actions,
    group_internal_orderings,
)
from harm.engine.health import apply_node_health
from harm.engine.location import (
    RoleLocation,
    apply_failure_bans,
    apply_locations,
    apply_stickiness,
    ban_everywhere,
    initial_scores,
)
from harm.engine.locks import apply_shutdown_locks
from harm.engine.notify import create_notifications
from harm.engine.ordering import apply_order_constraints
from harm.engine.placement import assign
from harm.engine.primitive import assign_primitive
from harm.engine.primitive import internal_orderings as primitive_orderings
from harm.engine.state import ClusterState, Variant
from harm.engine.summary import summarize
from harm.engine.tickets import apply_tickets
from harm.engine.transition import ActionKind, Fencing, Transition
from harm.engine.transition import OrderKind as K
from harm.engine.unpack import unpack
from harm.engine.utilization import (
    break_load_loops,
    create_load_ops,
    node_capacities,
    sort_resources,
    uses_utilization,
)
from harm.engine.work import VariantMethods, Work

# what each kind of resource does at each step (Pacemaker's resource_alloc_functions_t)
VARIANTS = MappingProxyType({
    Variant.PRIMITIVE: VariantMethods(assign=assign_primitive,
                                      create_actions=create_primitive_actions,
                                      internal_orderings=primitive_orderings),
    Variant.GROUP: VariantMethods(assign=assign_group, create_actions=create_group_actions,
                                  internal_orderings=group_internal_orderings),
    Variant.CLONE: VariantMethods(assign=assign_clone, create_actions=create_clone_actions,
                                  internal_orderings=clone_internal_orderings),
})


def schedule(state: ClusterState, now: int) -> Transition:
    """Decide what the cluster should do next (a pure function of its arguments)."""
    work = Work(state, VARIANTS)
    work.now = now
    work.promoted_locations = apply_node_criteria(work)
    unpack_colocations(work)
    add_internal_colocations(work)
    if uses_utilization(work):
        create_load_ops(work)
        work.capacity = node_capacities(work)
        sort_resources(work)
    for rsc in work.top:
        assign(work, rsc, None)
    schedule_probes(work)
    for rsc in work.top:
        create_resource_actions(work, rsc)
    order_probes(work)
    for rsc in work.top:
        internal_orderings(work, rsc)
    apply_order_constraints(work)
    _fence_unclean_nodes(work)
    _shut_down_nodes(work)
    for _ in range(10):
        work.propagate()
        pseudo_changed = summarize_pseudo(work)
        if not block_dependents(work) and not pseudo_changed:
            break
    create_notifications(work)
    break_load_loops(work)
    summarize(work)
    return work.freeze()


def schedule_cib(cib: Cib, now: int) -> Transition:
    """Unpack a CIB at ``now`` (seconds since the epoch) and schedule it."""
    return schedule(unpack(cib, now), now)


def apply_node_criteria(work: Work) -> list[RoleLocation]:
    """Node scores before assignment, in Pacemaker's order (``apply_node_criteria``, with
    the ticket constraints and node health unpacked before it); returns the locations
    that only apply to the Promoted role."""
    initial_scores(work)
    apply_tickets(work)
    apply_node_health(work)
    apply_shutdown_locks(work)
    promoted = apply_locations(work)
    apply_stickiness(work)
    apply_failure_bans(work)
    for rsc in work.rscs.values():
        if rsc.variant is Variant.PRIMITIVE and rsc.state.orphan:
            ban_everywhere(rsc, work)
    return promoted


def _shut_down_nodes(work: Work) -> None:
    """``do_shutdown`` for each online node that is shutting down cleanly, after every
    stop there of a managed (or blocked) resource; the DC's comes after the others'
    (Pacemaker's ``pcmk__new_shutdown_action`` and ``pcmk__order_stops_before_shutdown``)."""
    dc_down = None
    others = []
    for node in work.nodes:
        if not node.online or not node.shutdown or node.unclean:
            continue
        down = work.action(None, "do_shutdown", node.name, optional=False,
                           kind=ActionKind.CLUSTER,
                           meta={"key": f"do_shutdown-{node.name}", "op_no_wait": "true"})
        for act in reversed(work.actions):
            rsc = act.rsc
            if rsc is None or act.node != node.name or act.task != "stop":
                continue
            if node.maintenance or (not rsc.managed and not rsc.blocked):
                continue
            act.optional = False
            work.order(act, down, K.OPTIONAL | K.RUNNABLE_LEFT)
        if node.is_dc:
            dc_down = down
        else:
            others.append(down)
    if dc_down is not None:
        for down in others:
            work.order(down, dc_down, K.OPTIONAL)


def _fence_unclean_nodes(work: Work) -> None:
    # Pacemaker lists (and creates) the fencing of unclean nodes last node first
    for node in reversed(work.nodes):
        if not node.unclean or not work.can_fence(node):
            continue
        reason = node.fence_reason or "node is unclean"
        work.fencing.append(Fencing(node=node.name, action="reboot", reason=reason))
        fence = work.action(None, "stonith", node.name, optional=False,
                            kind=ActionKind.FENCE, name=f"stonith-{node.name}-reboot",
                            meta={"stonith_action": "reboot"})
        for act in list(work.actions):
            if act.node == node.name and act.kind is ActionKind.PSEUDO and act.rsc is not None:
                # the stop becomes a pseudo-action implied by fencing; it waits for the
                # fencing only when the resource needs fencing (not a fencing device)
                if not act.rsc.state.needs_fencing:
                    continue
                work.order(fence, act, K.OPTIONAL)
                if act.task == "stop":
                    work.order(fence, act.rsc.top().find_action("stop"), K.OPTIONAL)
