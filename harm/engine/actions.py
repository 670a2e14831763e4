"""Creating every resource's actions: role changes, probes and recurring monitors.

* Probes (Pacemaker's ``pcmk__schedule_probes``): a one-off ``monitor`` on every online
  node where a resource's state is unknown (no history there). For an anonymous clone one
  instance is probed per node: the one placed there, else the first.
* Recurring monitors (``pcmk_sched_recurring``): each configured monitor with an interval
  whose role matches the role the resource will have; it is optional when the resource
  stays started and the monitor already runs, required otherwise. A running monitor for
  the wrong role is cancelled.
* Collective resources (groups, clones) get their pseudo-actions; a pseudo-action is
  required when a member's matching action is, and unrunnable when none can run.
"""

from __future__ import annotations

from harm.cib.config import Location, Role, is_true
from harm.engine.migration import create_migration_actions
from harm.engine.primitive import create_actions
from harm.engine.state import Variant
from harm.engine.transition import ActionKind
from harm.engine.transition import OrderKind as K
from harm.engine.work import SUMMARY_TASK, Rsc, Work, member_actions_of


def create_resource_actions(work: Work, rsc: Rsc) -> None:
    """Every action of ``rsc`` (and its members), by its variant."""
    work.methods(rsc).create_actions(work, rsc)


def create_primitive_actions(work: Work, rsc: Rsc) -> None:
    """Role changes, recurring monitors and migration of one primitive."""
    create_actions(work, rsc)
    create_recurring(work, rsc)
    create_migration_actions(work, rsc)


def internal_orderings(work: Work, rsc: Rsc) -> None:
    """The orderings inside ``rsc`` (and its members), by its variant."""
    work.methods(rsc).internal_orderings(work, rsc)


def order_rsc(work: Work, first: Rsc, first_task: str, then: Rsc, then_task: str,
              *, kind: K) -> None:
    """Order every ``first_task`` action of ``first`` before every ``then_task`` of ``then``."""
    firsts = first.find_actions(first_task)
    thens = then.find_actions(then_task)
    for a in firsts:
        for b in thens:
            work.order(a, b, kind)


# ----------------------------------------------------------------------------- probes


def schedule_probes(work: Work) -> None:
    if not _probes_enabled(work):
        return
    for node in work.nodes:
        if not node.online or node.unclean or node.pending or node.shutdown:
            continue
        if node.maintenance:
            continue
        for rsc in work.top:
            _probe(work, rsc, node.name)


def _probes_enabled(work: Work) -> bool:
    value = work.state.configuration.property("enable-startup-probes")
    return True if value is None else is_true(value)


def _probe(work: Work, rsc: Rsc, node: str) -> bool:
    if rsc.variant is Variant.GROUP:
        any_probe = False
        for member in rsc.children:
            any_probe = _probe(work, member, node) or any_probe
        return any_probe
    if rsc.variant is Variant.CLONE:
        settings = rsc.state.clone
        if settings is not None and not settings.unique:
            for child in rsc.children:
                if _known_on(child, node):
                    return False
            chosen = next((c for c in rsc.children if _placed_on(c, node)), None)
            if chosen is None and rsc.children:
                chosen = rsc.children[0]
            return chosen is not None and _probe(work, chosen, node)
        any_probe = False
        for child in rsc.children:
            any_probe = _probe(work, child, node) or any_probe
        return any_probe
    if rsc.state.orphan or _known_on(rsc, node):
        return False
    if _discovery_never(work, rsc, node):
        return False
    probe = work.action(rsc, "monitor", node, optional=False)
    probe.meta["probe"] = "true"
    work.probes.append(probe)
    return True


def order_probes(work: Work) -> None:
    """Each probe comes before its resource's start and stop (created after the probes,
    as Pacemaker creates them, so the graph lists them in the same order)."""
    for probe in work.probes:
        rsc = probe.rsc
        if rsc is None:
            continue
        for start in rsc.find_actions("start"):
            work.order(probe, start, K.OPTIONAL)
        for stop in rsc.find_actions("stop"):
            work.order(probe, stop, K.OPTIONAL)


def _placed_on(rsc: Rsc, node: str) -> bool:
    return rsc.assigned == node or any(p.assigned == node for p in rsc.primitives())


def _known_on(rsc: Rsc, node: str) -> bool:
    if rsc.variant is not Variant.PRIMITIVE:
        return all(_known_on(c, node) for c in rsc.children) if rsc.children else False
    return node in rsc.state.known_on or node in rsc.running_on


def _discovery_never(work: Work, rsc: Rsc, node: str) -> bool:
    never = _never_discover(work)
    if not never:
        return False
    current: Rsc | None = rsc
    while current is not None:
        if (current.id, node) in never or (current.state.config_id, node) in never:
            return True
        current = current.parent
    return False


def _never_discover(work: Work) -> set[tuple[str, str]]:
    """(resource, node) pairs with ``resource-discovery=never`` (computed once per run)."""
    cached: set[tuple[str, str]] | None = work.cache.get("never_discover")
    if cached is None:
        cached = {
            (c.rsc, c.node)
            for c in work.state.configuration.constraints
            if isinstance(c, Location) and c.rsc is not None and c.node is not None
            and c.resource_discovery == "never"
        }
        work.cache["never_discover"] = cached
    return cached


# ----------------------------------------------------------------------------- monitors


def create_recurring(work: Work, rsc: Rsc) -> None:
    node = rsc.assigned
    starts = rsc.find_actions("start", node) if node else []
    start = starts[0] if starts else None
    for op in rsc.state.ops:
        if op.name != "monitor":
            continue
        try:
            interval = op.interval_ms
        except ValueError:
            continue
        if interval <= 0:
            continue
        enabled = op.attr("enabled")
        if enabled is not None and not is_true(enabled):
            continue
        if op.role is Role.STOPPED:
            continue
        active_here = node is not None and _monitor_active(rsc, node, interval)
        optional = (start is None or start.optional) and active_here
        wrong_role = (
            (op.role is not None and op.role is not Role.STARTED
             and op.role is not rsc.next_role
             and not (op.role is Role.UNPROMOTED and rsc.next_role is Role.STARTED))
            or (op.role in (None, Role.STARTED) and rsc.next_role is Role.PROMOTED)
        )
        if wrong_role:
            if optional and node is not None:
                cancel = work.action(rsc, "cancel", node, optional=False,
                                     interval_ms=interval)
                after = None
                if rsc.role in (Role.UNPROMOTED, Role.STARTED):
                    if rsc.next_role is Role.PROMOTED:
                        after = rsc.find_actions("promote")
                    elif rsc.next_role is Role.STOPPED:
                        after = rsc.find_actions("stop")
                elif rsc.role is Role.PROMOTED:
                    after = rsc.find_actions("demote")
                for then in after or []:
                    work.order(cancel, then, K.RUNNABLE_LEFT)
            continue
        if node is None or rsc.next_role is Role.STOPPED:
            continue
        mon = work.action(rsc, "monitor", node, optional=optional, interval_ms=interval)
        if (start is not None and not start.runnable) or not work.node_online(node):
            mon.runnable = False
        if rsc.managed:
            for first in rsc.find_actions("start"):
                work.order(first, mon, K.IMPLIES_THEN | K.RUNNABLE_LEFT)
            if rsc.next_role is Role.PROMOTED:
                for first in rsc.find_actions("promote"):
                    work.order(first, mon, K.OPTIONAL | K.RUNNABLE_LEFT)
            elif rsc.role is Role.PROMOTED:
                for first in rsc.find_actions("demote"):
                    work.order(first, mon, K.OPTIONAL | K.RUNNABLE_LEFT)


def _monitor_active(rsc: Rsc, node: str, interval: int) -> bool:
    history = rsc.state.history_on(node)
    if history is None:
        return False
    return ("monitor", interval) in history.active_monitors


# ----------------------------------------------------------------------------- pseudo flags


def summarize_pseudo(work: Work) -> bool:
    """Derive collective pseudo-actions' flags from their members' actions."""
    changed = False
    for act in work.actions:
        if act.kind is not ActionKind.PSEUDO or act.rsc is None or not act.rsc.children:
            continue
        task = SUMMARY_TASK.get(act.task)
        if task is None:
            continue
        members = [a for child in act.rsc.children for a in member_actions_of(child, task)]
        if not members:
            # a clone none of whose instances will do it cannot do it either
            if act.rsc.variant is Variant.CLONE and act.runnable:
                act.runnable = False
                changed = True
            continue
        deciding = members
        if act.rsc.variant is Variant.CLONE and task == "start":
            # the stand-in start an ordering created for an instance (on no node) does
            # not make the clone start: Pacemaker looks at the instances' own actions
            deciding = [m for m in members if m.node is not None]
        if act.optional and any(not m.optional for m in deciding):
            act.optional = False
            changed = True
        if act.rsc.variant is Variant.CLONE:
            blocked = not any(m.runnable for m in members)
        else:
            blocked = any(not m.runnable and not m.optional for m in members) and \
                not any(m.runnable and not m.optional for m in members)
        if act.runnable and blocked and act.task in ("running", "promoted", "stopped",
                                                     "demoted"):
            act.runnable = False
            changed = True
    return changed


