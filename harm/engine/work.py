"""The scheduler's scratch pad for one run: resources being placed and actions being built.

Pacemaker keeps this state in its working set (``pe_working_set_t``) and mutates it in
place. harm does the same, but only inside one call of
:func:`harm.engine.schedule.schedule`: a :class:`Work` is created from a frozen
:class:`~harm.engine.state.ClusterState`, the scheduling modules fill it in, and
:meth:`Work.freeze` turns it into a frozen :class:`~harm.engine.transition.Transition`.
Nothing here outlives the call.

Action flags follow Pacemaker's: an action is *optional* until something requires it,
and *runnable* until something (an unavailable node, an unrunnable predecessor) blocks it.
Orderings carry :class:`~harm.engine.transition.OrderKind` flags that propagate those two
properties (see :meth:`Work.propagate`).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from harm.cib.config import ROLE_RANK, Resource, Role, iter_resources
from harm.cib.scores import INFINITY
from harm.engine.state import ClusterState, NodeInfo, ResourceState, Variant
from harm.engine.transition import (
    Action,
    ActionKind,
    Decision,
    Fencing,
    Note,
    Ordering,
    OrderKind,
    Score,
    Transition,
)


@dataclass(eq=False)
class Coloc:
    """One colocation between two resources (constraint sets are expanded to pairs)."""

    id: str
    dependent: Rsc
    primary: Rsc
    score: int
    dependent_role: Role | None = None
    primary_role: Role | None = None
    node_attribute: str = "#uname"
    influence: bool = True


@dataclass(eq=False)
class Act:
    """An action being built (mutable twin of :class:`~harm.engine.transition.Action`)."""

    id: int
    task: str
    rsc: Rsc | None
    node: str | None
    interval_ms: int = 0
    kind: ActionKind = ActionKind.RESOURCE
    optional: bool = True
    runnable: bool = True
    reason: str | None = None
    meta: dict[str, str] = field(default_factory=dict)
    name: str | None = None  # overrides the resource id in the key (pseudo/cluster)
    before: list[tuple[Act, int]] = field(default_factory=list)  # (action, OrderKind value)
    after: list[tuple[Act, int]] = field(default_factory=list)
    touching: list[int] = field(default_factory=list)  # indexes of orderings it is in
    members: list[Act] | None = None  # for a collective pseudo-action: what it summarises
    migrate_runnable: bool = False  # part of a live migration that can still happen

    @property
    def owner(self) -> str:
        if self.name is not None:
            return self.name
        return self.rsc.id if self.rsc is not None else (self.node or "cluster")

    @property
    def uuid(self) -> str:
        return self.meta.get("key") or f"{self.owner}_{self.task}_{self.interval_ms}"


@dataclass(eq=False)
class Rsc:
    """A resource (or clone instance) during scheduling."""

    state: ResourceState
    parent: Rsc | None = None
    children: list[Rsc] = field(default_factory=list)
    allowed: dict[str, int] = field(default_factory=dict)
    provisional: bool = True
    assigning: bool = False
    merging: bool = False
    assigned: str | None = None
    next_role: Role | None = None
    role: Role = Role.STOPPED
    running_on: list[str] = field(default_factory=list)
    managed: bool = True
    failed: bool = False
    blocked: bool = False
    restarting: bool = False
    priority: int = 0
    this_with: list[Coloc] = field(default_factory=list)
    with_this: list[Coloc] = field(default_factory=list)
    actions: list[Act] = field(default_factory=list)
    by_task: dict[str, list[Act]] = field(default_factory=dict)
    promotion_score: int = 0
    next_role_reason: str | None = None
    all_coloc: bool = False
    sort_index: int = 0
    _primitives: list[Rsc] | None = field(default=None, repr=False)
    notify: bool = False
    lock_node: str | None = None  # shutdown-locked to this node

    @property
    def id(self) -> str:
        return self.state.id

    @property
    def variant(self) -> Variant:
        return self.state.variant

    @property
    def is_primitive(self) -> bool:
        return self.state.variant is Variant.PRIMITIVE

    @property
    def current_node(self) -> str | None:
        return self.running_on[0] if self.running_on else None

    def top(self) -> Rsc:
        rsc = self
        while rsc.parent is not None:
            rsc = rsc.parent
        return rsc

    def clone_parent(self) -> Rsc | None:
        """The clone this resource is (part of) an instance of, if any."""
        rsc = self.parent
        while rsc is not None:
            if rsc.variant is Variant.CLONE:
                return rsc
            rsc = rsc.parent
        return None

    def primitives(self) -> list[Rsc]:
        """This primitive, or every primitive below this resource (the tree is fixed
        for the whole run, so the list is computed once)."""
        if self._primitives is None:
            if self.is_primitive:
                self._primitives = [self]
            else:
                self._primitives = [p for child in self.children for p in child.primitives()]
        return self._primitives

    def find_actions(self, task: str, node: str | None = None) -> list[Act]:
        return [a for a in self.by_task.get(task, ())
                if a.interval_ms == 0 and (node is None or a.node == node)]

    def find_action(self, task: str, node: str | None = None) -> Act | None:
        found = self.find_actions(task, node)
        return found[0] if found else None


@dataclass(frozen=True)
class VariantMethods:
    """What each kind of resource does at each step (Pacemaker's
    ``resource_alloc_functions_t``): one table, built by :mod:`harm.engine.schedule`,
    instead of modules calling each other's variants by name."""

    assign: Callable[[Work, Rsc, str | None], str | None]
    create_actions: Callable[[Work, Rsc], None]
    internal_orderings: Callable[[Work, Rsc], None]


# pseudo-action tasks and the member task they summarise
SUMMARY_TASK = {
    "start": "start", "running": "start", "stop": "stop", "stopped": "stop",
    "promote": "promote", "promoted": "promote", "demote": "demote", "demoted": "demote",
}


def member_actions(act: Act) -> list[Act] | None:
    """The member actions a collective pseudo-action stands for (None: it stands alone)."""
    task = SUMMARY_TASK.get(act.task)
    if task is None or act.rsc is None:
        return None
    return [a for child in act.rsc.children for a in member_actions_of(child, task)]


def member_actions_of(rsc: Rsc, task: str) -> list[Act]:
    """``rsc``'s own ``task`` actions, else those of its members (recursively)."""
    if rsc.children:
        own = rsc.find_actions(task)
        return own if own else [a for c in rsc.children for a in member_actions_of(c, task)]
    return rsc.find_actions(task)


class Work:
    """Everything one scheduling run builds; created and consumed by ``schedule``."""

    def __init__(self, state: ClusterState,
                 variants: Mapping[Variant, VariantMethods]) -> None:
        self.state = state
        self.variants = variants
        self.now = state.now
        self.options = state.options
        self.nodes: list[NodeInfo] = list(state.nodes)
        self.node_by_name: dict[str, NodeInfo] = {n.name: n for n in state.nodes}
        self.rscs: dict[str, Rsc] = {}
        self.top: list[Rsc] = []
        self.colocations: list[Coloc] = []
        self.actions: list[Act] = []
        self.orderings: list[tuple[Act, Act, int]] = []
        self.relaxed: list[Act] = []  # one-or-more pseudo-actions
        self.probes: list[Act] = []
        self.cache: dict[str, Any] = {}  # values computed once per run
        self.decisions: list[Decision] = []
        self.fencing: list[Fencing] = []
        self.scores: list[Score] = []
        self.notes: list[Note] = []
        self.warnings: list[str] = list(state.warnings)
        self._index: dict[tuple[str, str, str | None, int], Act] = {}
        self.assigned_count: dict[str, int] = {}
        self.promoted_locations: list[Any] = []
        self._available = {
            n.name for n in state.nodes if n.can_run_resources and not n.maintenance
        }
        self._config_by_id: dict[str, Resource] = {
            r.id: r for r in iter_resources(state.configuration.resources)
        }
        self._failcounts = {(f.rsc, f.node): f for f in state.failcounts}
        self.promotion_forbidden: set[str] = set()  # clones a ticket keeps from promoting
        self.recheck_by: int | None = state.recheck_by  # schedule again by then (seconds)
        self.capacity: dict[str, dict[str, int]] = {}  # free utilization per node
        self.usage: dict[str, dict[str, int]] = {}  # utilization per primitive (cache)
        # per primitive using capacity: (nodes it runs on, nodes it may go to)
        self.load_nodes: dict[str, tuple[list[str], list[str]]] = {}
        self._build_resources()

    def mark_unclean(self, name: str, reason: str) -> None:
        """The scheduler decided to fence ``name`` (Pacemaker's ``pe_fence_node``): it
        runs nothing any more, and what ran there is stopped by the fencing."""
        info = self.node_by_name.get(name)
        if info is None or info.unclean:
            return
        info = replace(info, unclean=True, fence_reason=reason)
        self.node_by_name[name] = info
        self.nodes = [info if n.name == name else n for n in self.nodes]
        self._available.discard(name)

    # ------------------------------------------------------------------ resources

    def _build_resources(self) -> None:
        for rstate in self.state.resources:
            rsc = Rsc(state=rstate)
            rsc.role = rstate.role
            # the node it counts as running on is a clean one when there is one
            # (Pacemaker's pe__find_active_on)
            rsc.running_on = sorted(rstate.running_on, key=self._unclean)
            rsc.managed = rstate.managed and not self.options.maintenance_mode
            rsc.failed = rstate.failed
            rsc.blocked = rstate.blocked
            # an explicit "Started" limits nothing (a promotable instance may still be
            # promoted), so it counts as no next role yet
            rsc.next_role = None if rstate.next_role is Role.STARTED else rstate.next_role
            target = self._target_role(rstate)
            if target is not None and (rsc.next_role is None
                                       or ROLE_RANK[target] < ROLE_RANK[rsc.next_role]):
                rsc.next_role = None if target is Role.STARTED else target
            try:
                rsc.priority = int(rstate.meta.get("priority", "0"))
            except ValueError:
                rsc.priority = 0
            self.rscs[rstate.id] = rsc
        for rsc in self.rscs.values():
            if rsc.state.parent is not None and rsc.state.parent in self.rscs:
                rsc.parent = self.rscs[rsc.state.parent]
            rsc.children = [self.rscs[c] for c in rsc.state.children if c in self.rscs]
        self.top = [self.rscs[r] for r in self.state.top_level if r in self.rscs]

    def _unclean(self, node: str) -> bool:
        info = self.node_by_name.get(node)
        return info is None or info.unclean

    def _target_role(self, rstate: ResourceState) -> Role | None:
        """``target-role`` as a limit: roles above Started only for promotable clones."""
        target = rstate.target_role
        if target is None:
            return None
        if ROLE_RANK[target] > ROLE_RANK[Role.STARTED]:
            top = rstate
            while top.parent is not None:
                parent = self.state.resource(top.parent)
                if parent is None:
                    break
                top = parent
            if top.clone is None or not top.clone.promotable:
                return None
        return target

    def methods(self, rsc: Rsc) -> VariantMethods:
        """The variant table's entry for ``rsc``."""
        return self.variants[rsc.variant]

    def rsc(self, rsc_id: str) -> Rsc | None:
        return self.rscs.get(rsc_id)

    def named(
        self, constraint_id: str, names: Sequence[str | None], set_id: str | None = None
    ) -> list[Rsc] | None:
        """The resources a constraint (or one of its sets) names, in order; None, with a
        warning that the constraint is ignored, when one of them does not exist."""
        found = [self.rscs.get(name or "") for name in names]
        resolved = [rsc for rsc in found if rsc is not None]
        if len(resolved) == len(found):
            return resolved
        if set_id is not None:
            self.warnings.append(
                f"Ignoring constraint '{constraint_id}' because set '{set_id}' names a "
                f"resource that does not exist"
            )
        else:
            missing = next(name for name, rsc in zip(names, found, strict=True) if rsc is None)
            self.warnings.append(
                f"Ignoring constraint '{constraint_id}' because resource '{missing}' "
                f"does not exist"
            )
        return None

    def available(self, node: str) -> bool:
        """Whether ``node`` can run resources now (Pacemaker's ``pcmk__node_available``)."""
        return node in self._available

    def can_fence(self, node: NodeInfo) -> bool:
        """Whether ``node`` can be fenced (:meth:`ClusterOptions.can_fence`)."""
        return self.options.can_fence(node.online)

    def config_resource(self, config_id: str) -> Resource | None:
        """A configured resource (primitive, group or clone) by id."""
        return self._config_by_id.get(config_id)

    def failcount(self, rsc_id: str, node: str) -> int | None:
        entry = self._failcounts.get((rsc_id, node))
        return None if entry is None else entry.count

    def node_online(self, node: str) -> bool:
        info = self.node_by_name.get(node)
        return info is not None and info.online and not info.unclean

    def attr(self, node: str, name: str) -> str | None:
        info = self.node_by_name.get(node)
        return None if info is None else info.attributes.get(name)

    def record_scores(self, rsc: Rsc, function: str = "pcmk__primitive_assign") -> None:
        """Keep the node scores a resource was assigned with (``crm_simulate -s``)."""
        allowed = rsc.allowed
        rsc_id = rsc.id
        self.scores.extend(
            Score("allocation", rsc_id, node.name, allowed[node.name], function)
            for node in self.nodes if node.name in allowed
        )

    # ------------------------------------------------------------------ actions

    def action(
        self,
        rsc: Rsc | None,
        task: str,
        node: str | None,
        *,
        optional: bool = True,
        interval_ms: int = 0,
        kind: ActionKind = ActionKind.RESOURCE,
        name: str | None = None,
        meta: dict[str, str] | None = None,
    ) -> Act:
        """Find or create an action; asking for a required one makes it required."""
        owner = name if name is not None else (rsc.id if rsc is not None else "")
        fixed = (meta or {}).get("key")
        key = (fixed or owner, task, node, interval_ms)
        act = self._index.get(key)
        if act is None:
            act = Act(id=len(self.actions), task=task, rsc=rsc, node=node,
                      interval_ms=interval_ms, kind=kind, name=name, meta=dict(meta or {}))
            self.actions.append(act)
            self._index[key] = act
            if rsc is not None:
                rsc.actions.append(act)
                rsc.by_task.setdefault(task, []).append(act)
            if kind is ActionKind.RESOURCE:
                self._initial_flags(act)
        if not optional:
            act.optional = False
        return act

    def _initial_flags(self, act: Act) -> None:
        """Runnable unless the node, quorum or management forbids it."""
        node, task, rsc = act.node, act.task, act.rsc
        info = self.node_by_name.get(node) if node is not None else None
        if info is None:
            act.runnable = False
            return
        if info.unclean and task in ("stop", "demote") and self.can_fence(info):
            act.kind = ActionKind.PSEUDO  # implied by fencing the node
            return
        if not info.online or info.unclean:
            act.runnable = False
            return
        if rsc is not None and task in ("start", "promote"):
            if info.standby or info.shutdown or info.maintenance:
                act.runnable = False
                return
            if task == "start" and not self.options.have_quorum and _needs_quorum(rsc):
                policy = self.options.no_quorum_policy
                if policy in ("stop", "suicide") or (
                        policy == "demote" and not _in_promotable(rsc)):
                    act.runnable = False
                    act.reason = act.reason or "no quorum"
                elif policy == "freeze" and (not rsc.running_on or _elevating(rsc)):
                    act.runnable = False
                    act.reason = act.reason or "quorum freeze"

    def pseudo(self, name: str, task: str, *, optional: bool = True,
               rsc: Rsc | None = None) -> Act:
        """A pseudo-action such as ``clone_start_0`` or ``clone_running_0``."""
        return self.action(rsc, task, None, optional=optional, kind=ActionKind.PSEUDO,
                           name=name)

    def order(self, first: Act | None, then: Act | None, kind: OrderKind) -> None:
        if first is None or then is None or first is then:
            return
        value = kind.value
        for existing, existing_kind in then.before:
            if existing is first and existing_kind == value:
                return
        index = len(self.orderings)
        first.after.append((then, value))
        then.before.append((first, value))
        first.touching.append(index)
        then.touching.append(index)
        self.orderings.append((first, then, value))

    def unorder(self, first: Act, then: Act, kind: int) -> None:
        """Drop an ordering from the transition (only once propagation is over: the
        orderings' positions change)."""
        then.before = [(a, k) for a, k in then.before if not (a is first and k == kind)]
        first.after = [(a, k) for a, k in first.after if not (a is then and k == kind)]
        self.orderings = [(f, t, k) for f, t, k in self.orderings
                          if not (f is first and t is then and k == kind)]

    # ------------------------------------------------------------------ propagation

    def propagate(self) -> None:
        """Spread "required" and "unrunnable" along orderings until nothing changes.

        A work list of orderings: whenever an action's flags change, every ordering
        touching it (or, for a collective pseudo-action, its members) is looked at again.
        """
        self._index_members()
        queue = deque(range(len(self.orderings)))
        queued = [True] * len(self.orderings)
        while True:
            while queue:
                index = queue.popleft()
                queued[index] = False
                first, then, kind = self.orderings[index]
                changed: list[Act] = []
                self._apply(first, then, kind, changed)
                for act in changed:
                    for other in act.touching:
                        if not queued[other]:
                            queued[other] = True
                            queue.append(other)
            blocked = self._one_or_more()
            if not blocked:
                return
            for act in blocked:
                for other in act.touching:
                    if not queued[other]:
                        queued[other] = True
                        queue.append(other)

    def _one_or_more(self) -> list[Act]:
        """A pseudo-action needing "one or more" (or ``clone-min``) runnable firsts."""
        changed = []
        for act in self.relaxed:
            if not act.runnable:
                continue
            firsts = [f for f, k in act.before if k & _ONE_OR_MORE]
            needed = int(act.meta.get("required_runnable", "1"))
            if sum(1 for f in firsts if f.runnable) < needed:
                act.runnable = False
                changed.append(act)
        return changed

    def _index_members(self) -> None:
        """For each collective pseudo-action, the member actions it summarises."""
        for act in self.actions:
            if act.kind is ActionKind.PSEUDO and act.rsc is not None and act.rsc.children:
                act.members = member_actions(act)

    @staticmethod
    def _first_flags(first: Act) -> tuple[bool, bool]:
        """(optional, runnable) of ``first`` as an ordering sees it: a collective
        pseudo-action speaks for its members (Pacemaker's summary action flags)."""
        members = first.members
        if members is None or first.rsc is None:
            return first.optional, first.runnable
        optional = all(m.optional for m in members)
        if first.rsc.variant is Variant.CLONE:
            runnable = any(m.runnable for m in members)
        else:
            runnable = first.task in ("start", "stop", "promote", "demote") \
                or all(m.runnable for m in members)
        return optional, runnable

    def _apply(self, first: Act, then: Act, kind: int, changed: list[Act]) -> None:
        if then.members is not None and kind & _PASSED_DOWN:
            for member in _members(then):
                if member.runnable:
                    self._apply(first, member, kind & _PASSED_DOWN, changed)
        before = (first.optional, first.runnable, then.optional, then.runnable,
                  first.migrate_runnable, then.migrate_runnable)
        f_optional, f_runnable = self._first_flags(first)
        if kind & _IMPLIES_THEN and not f_optional and then.optional \
                and not first.migrate_runnable:
            then.optional = False
            _reason(then, first, "required")
        if kind & _MIGRATABLE:
            if not (then.migrate_runnable and then.runnable) and first.runnable:
                first.runnable = False
            if not then.optional and first.optional:
                first.optional = False
        if kind & _PSEUDO_LEFT and not first.runnable and then.migrate_runnable:
            then.migrate_runnable = False  # the migration cannot happen: a real start
            then.kind = ActionKind.RESOURCE
        if kind & _PROMOTED_FIRST and not then.optional and first.optional \
                and then.rsc is not None and then.rsc.role is Role.PROMOTED:
            first.optional = False
            _reason(first, then, "required")
        if kind & _RUNNABLE_LEFT and not f_runnable and then.runnable:
            then.runnable = False
            then.migrate_runnable = False
            _reason(then, first, "unrunnable")
        if kind & _RESTART:
            self._restart(first, then)
        if kind & _ASYMMETRIC:
            self._asymmetric(first, then, f_runnable)
        if kind & _BLOCKING and first.task == "stop" and not first.runnable \
                and then.runnable and first.rsc is not None and not first.rsc.managed \
                and first.rsc.blocked:
            then.runnable = False  # an unmanaged, blocked resource cannot be stopped
        if before[0] != first.optional or before[1] != first.runnable \
                or before[4] != first.migrate_runnable:
            changed.append(first)
        if before[2] != then.optional or before[3] != then.runnable \
                or before[5] != then.migrate_runnable:
            changed.append(then)

    @staticmethod
    def _restart(first: Act, then: Act) -> None:
        trigger = not then.optional or (
            not then.runnable and then.rsc is not None and then.rsc.managed
            and first.rsc is then.rsc
        )
        if not trigger:
            return
        if not then.migrate_runnable and first.migrate_runnable:
            first.migrate_runnable = False
            if first.rsc is not then.rsc and then.rsc is not None:
                first.reason = f"unrunnable {then.rsc.id} {then.task}"
        if first.runnable and first.optional:
            first.optional = False
            _reason(first, then, "required")
        if not then.optional and first.optional:
            first.optional = False
        if not first.optional and not first.runnable and then.runnable:
            then.runnable = False
            _reason(then, first, "unrunnable")

    @staticmethod
    def _asymmetric(first: Act, then: Act, first_runnable: bool) -> None:
        rsc = then.rsc
        if rsc is None:
            return
        role = _current_role(rsc)
        if role is Role.STOPPED and then.task == "stop":
            return
        if (ROLE_RANK[role] >= ROLE_RANK[Role.STARTED] and then.optional
                and then.task == "start" and len(rsc.running_on) == 1
                and then.node == rsc.running_on[0]):
            return
        if not first_runnable:
            if then.optional:
                then.optional = False
                _reason(then, first, "required")
            if then.runnable:
                then.runnable = False
                _reason(then, first, "unrunnable")

    # ------------------------------------------------------------------ output

    def freeze(self) -> Transition:
        """The frozen transition: actions renumbered, orderings between kept actions."""
        frozen = tuple(
            Action(
                id=act.id,
                task=act.task,
                rsc=act.owner if (act.rsc is not None or act.name is not None) else None,
                node=act.node,
                interval_ms=act.interval_ms,
                kind=act.kind,
                optional=act.optional,
                runnable=act.runnable,
                reason=act.reason,
                meta=tuple(sorted(act.meta.items())),
            )
            for act in self.actions
        )
        orderings = tuple(
            Ordering(first=f.id, then=t.id, kind=OrderKind(k)) for f, t, k in self.orderings
        )
        placements = tuple(
            (r.id, r.assigned, r.next_role or Role.STOPPED)
            for r in self.rscs.values() if r.is_primitive
        )
        return Transition(
            actions=frozen,
            orderings=orderings,
            decisions=tuple(self.decisions),
            fencing=tuple(self.fencing),
            scores=tuple(self.scores),
            notes=tuple(self.notes),
            warnings=tuple(self.warnings),
            placements=placements,
            recheck_by=self.recheck_by,
        )


_IMPLIES_THEN = OrderKind.IMPLIES_THEN.value
_IMPLIES_FIRST = OrderKind.IMPLIES_FIRST.value
_PROMOTED_FIRST = OrderKind.PROMOTED_IMPLIES_FIRST.value
_RUNNABLE_LEFT = OrderKind.RUNNABLE_LEFT.value
_RESTART = OrderKind.RESTART.value
_ASYMMETRIC = OrderKind.ASYMMETRIC.value
_ONE_OR_MORE = OrderKind.ONE_OR_MORE.value
_MIGRATABLE = OrderKind.IMPLIES_FIRST_MIGRATABLE.value
_PSEUDO_LEFT = OrderKind.PSEUDO_LEFT.value
_BLOCKING = _IMPLIES_THEN | _IMPLIES_FIRST | _RESTART
_PASSED_DOWN = _IMPLIES_THEN | _RUNNABLE_LEFT | _ASYMMETRIC


def _current_role(rsc: Rsc) -> Role:
    """The highest current role of a resource or of any of its descendants."""
    if not rsc.children:
        return rsc.role
    best = Role.STOPPED
    for child in rsc.children:
        role = _current_role(child)
        if ROLE_RANK[role] > ROLE_RANK[best]:
            best = role
    return best


def _members(act: Act) -> list[Act]:
    """Member actions a collective pseudo-action passes "required"/"blocked" down to."""
    rsc = act.rsc
    if act.kind is not ActionKind.PSEUDO or rsc is None or not rsc.children \
            or act.task not in ("start", "stop", "promote", "demote"):
        return []
    found: list[Act] = []
    for child in rsc.children:
        found.extend(child.find_actions(act.task))
    return found


def _elevating(rsc: Rsc) -> bool:
    nxt = rsc.next_role
    return nxt is not None and ROLE_RANK[nxt] > ROLE_RANK[rsc.role]


def _in_promotable(rsc: Rsc) -> bool:
    """Part of an instance of a promotable clone (no-quorum-policy=demote keeps those
    running, unpromoted, and stops everything else)."""
    clone = rsc.clone_parent()
    return clone is not None and clone.state.clone is not None and \
        clone.state.clone.promotable


def _needs_quorum(rsc: Rsc) -> bool:
    """Every resource needs quorum to start unless it ``requires=nothing``."""
    return rsc.state.meta.get("requires") != "nothing"


def _reason(action: Act, cause: Act, change: str) -> None:
    """Record why an action's flags changed (first reason wins), as Pacemaker words it."""
    if action.reason is not None or action.rsc is cause.rsc:
        return
    owner = cause.rsc.id if cause.rsc is not None else ""
    if cause.name is not None:
        owner = cause.rsc.id if cause.rsc is not None else ""
    action.reason = f"{change} {owner} {cause.task}" if owner else f"{change} {cause.task}"


def clamp_available(weights: dict[str, int], work: Work) -> bool:
    """True when some node in ``weights`` is available with a non-negative weight."""
    return any(w >= 0 and work.available(n) for n, w in weights.items())


__all__ = ["INFINITY", "ROLE_RANK", "Act", "Coloc", "Rsc", "Work", "clamp_available"]
