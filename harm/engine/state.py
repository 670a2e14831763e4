"""The cluster as the scheduler sees it: a typed, frozen view built by :mod:`harm.engine.unpack`.

Pacemaker's scheduler first *unpacks* the CIB into a working set (``unpack.c``): which nodes
are up, what every resource instance is doing where, what failed. This module holds the
result; the scheduling modules read it and never look at raw ``lrm_rsc_op`` records again.

    ClusterState
     ├── options:   ClusterOptions        (cluster properties, parsed and defaulted)
     ├── nodes:     NodeInfo…             (configured + seen nodes, in CIB order)
     ├── resources: ResourceState…        (tree flattened parents-first; clone instances
     │                                      ``rsc:0`` … are children of their clone)
     │    └── history: NodeHistory…       (per node: what the op history says)
     ├── failcounts: FailCount…           (per resource and node, with expiry applied)
     ├── bans:      Ban…                  (placements implied by recorded failures, orphans)
     ├── clear_failcounts: ClearFailcount… (expired failures to clear)
     ├── failed_ops: FailedOp…            (failed operations, as crm_mon lists them)
     ├── tickets:   TicketState…          (granted / standby, from the status)
     ├── recheck_by                       (when time alone changes it: failures expire …)
     └── configuration / now              (for constraints and rules)

Collections are tuples; lookup tables (``by_id``) are built once in ``__post_init__``
and exposed read-only through methods, so the state is safe to share.
"""

from __future__ import annotations

import enum
import functools
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from harm.cib.config import AgentRef, Configuration, Op, Role
from harm.cib.status import OpRecord, TicketState


class OnFail(enum.IntEnum):
    """What to do when an operation fails (Pacemaker's ``action_fail_response``).

    Ordered by severity as Pacemaker compares them: a later, worse failure on the same
    resource and node replaces a milder one.
    """

    IGNORE = 0
    DEMOTE = 1
    RESTART = 2  # Pacemaker's "recover"
    MIGRATE = 3  # ban from the node (migration-threshold reached)
    BLOCK = 4
    STOP = 5
    STANDBY = 6
    FENCE = 7

    @classmethod
    def parse(cls, text: str) -> OnFail:
        """``on-fail`` values: ignore, demote, restart, block, stop, standby, fence."""
        word = text.strip().lower()
        mapping = {
            "ignore": cls.IGNORE,
            "demote": cls.DEMOTE,
            "restart": cls.RESTART,
            "block": cls.BLOCK,
            "stop": cls.STOP,
            "standby": cls.STANDBY,
            "fence": cls.FENCE,
        }
        try:
            return mapping[word]
        except KeyError:
            raise ValueError(f"unknown on-fail value {text!r}") from None


class Variant(enum.Enum):
    """The kind of a resource in the flattened tree."""

    PRIMITIVE = "primitive"
    GROUP = "group"
    CLONE = "clone"


@dataclass(frozen=True)
class ClusterOptions:
    """Cluster properties that change scheduling, with Pacemaker 2.1's defaults."""

    have_quorum: bool = True
    no_quorum_policy: str = "stop"  # ignore | freeze | stop | demote | suicide
    stonith_enabled: bool = True
    symmetric_cluster: bool = True
    maintenance_mode: bool = False
    stop_all_resources: bool = False
    stop_orphan_resources: bool = True
    stop_orphan_actions: bool = True
    start_failure_is_fatal: bool = True
    startup_fencing: bool = True
    placement_strategy: str = "default"
    default_stickiness: int = 0
    default_migration_threshold: int = 1_000_000
    dc_uuid: str | None = None
    shutdown_lock: bool = False  # resources of a cleanly stopped node wait for it
    shutdown_lock_limit_s: int = 0  # 0: locks never expire
    have_fencing: bool = False  # a fencing device is configured, or a watchdog

    def can_fence(self, node_online: bool) -> bool:
        """Pacemaker's ``pe_can_fence``: fencing is enabled and possible, and the cluster
        has quorum (or ignores its loss), or the node is still in our membership."""
        if not (self.stonith_enabled and self.have_fencing):
            return False
        return self.have_quorum or self.no_quorum_policy == "ignore" or node_online


@dataclass(frozen=True)
class NodeInfo:
    """One cluster node: membership, flags and its attributes (permanent + transient).

    ``attributes`` merges the node's permanent attributes (configuration) with its
    transient ones (status), transient winning, and adds the built-ins ``#uname``,
    ``#id``, ``#kind`` and ``#is_dc``.
    """

    name: str
    id: str
    kind: str = "member"  # member | remote | ping
    online: bool = False
    standby: bool = False
    standby_onfail: bool = False
    maintenance: bool = False
    unclean: bool = False
    shutdown: bool = False
    pending: bool = False
    expected_up: bool = False
    is_dc: bool = False
    unseen: bool = False  # configured but no node_state at all
    fence_reason: str | None = None  # why it must be fenced (when unclean)
    attributes: Mapping[str, str] = field(default_factory=dict, compare=False)

    def attribute(self, name: str) -> str | None:
        return self.attributes.get(name)

    @property
    def can_run_resources(self) -> bool:
        """Online, clean, not standby, not pending and not shutting down."""
        return (self.online and not self.unclean and not self.standby
                and not self.pending and not self.shutdown)


@dataclass(frozen=True)
class CloneSettings:
    """A clone's meta-attributes, parsed and defaulted as Pacemaker does."""

    clone_max: int
    clone_node_max: int = 1
    promotable: bool = False
    promoted_max: int = 1
    promoted_node_max: int = 1
    unique: bool = False
    interleave: bool = False
    notify: bool = False
    ordered: bool = False


@dataclass(frozen=True)
class NodeHistory:
    """What one resource's operation history on one node says.

    ``ops`` are sorted as Pacemaker replays them (by call id). ``role`` is the role the
    history leaves the resource in on that node; ``on_fail`` the strongest failure
    handling still in force (``IGNORE`` once a later success cleared it).
    ``active_monitors`` are the recurring operations (task, interval ms) that have been
    running since the last start/promote/demote/migrate, as Pacemaker's
    ``process_recurring`` finds them; ``last_failure`` the last failed operation seen.
    """

    node: str
    ops: tuple[OpRecord, ...] = ()
    role: Role = Role.STOPPED
    failed: bool = False
    on_fail: OnFail = OnFail.IGNORE
    active_monitors: tuple[tuple[str, int], ...] = ()
    last_failure: OpRecord | None = None
    pending: OpRecord | None = None
    not_installed: bool = False

    @property
    def active(self) -> bool:
        return self.role is not Role.STOPPED

    def last_op(self, task: str, interval_ms: int = 0) -> OpRecord | None:
        """The most recent (by call id) record of ``task`` at ``interval_ms``."""
        found = None
        for record in self.ops:
            if record.operation == task and record.interval_ms == interval_ms:
                found = record
        return found


@dataclass(frozen=True)
class FailCount:
    """Failures of a resource (instance) on a node, from the ``fail-count-*`` attributes.

    ``count`` is after failure-timeout expiry (0 when expired); ``raw_count`` as recorded.
    """

    rsc: str
    node: str
    count: int
    raw_count: int
    last_failure: int | None = None
    expired: bool = False


@dataclass(frozen=True)
class Ban:
    """A placement that recorded history implies, as Pacemaker's unpacking adds them.

    Mostly -INFINITY bans (``__stop_fail__``, ``hard-error``, ``__action_migration_auto__``,
    ``fatal-error``, ``__orphan_do_not_run__``); an unmanaged active resource gets
    +INFINITY where it runs (``not_managed_default``).
    """

    rsc: str
    node: str | None  # None: every node
    reason: str
    score: int = -1_000_000


@dataclass(frozen=True)
class FailedOp:
    """A recorded operation result that counts as a failure (crm_mon's "Failed Resource
    Actions"); ``rsc`` is the resource id as the history names it."""

    rsc: str
    node: str
    record: OpRecord

    @property
    def is_probe(self) -> bool:
        return self.record.operation == "monitor" and self.record.interval_ms == 0


@dataclass(frozen=True)
class ClearFailcount:
    """A fail count to clear on a node, and why (expired failure, changed parameters)."""

    rsc: str
    node: str
    reason: str


@dataclass(frozen=True)
class ResourceState:
    """One resource or clone instance, with its configuration and what it does now.

    * ``id`` is the scheduler's name (``vip``, ``db:1``); ``config_id`` the id in the
      configuration (``db``); ``parent``/``children`` link the flattened tree.
    * ``meta`` is the effective meta-attributes (``rsc_defaults`` < parents < own);
      ``params`` the effective instance attributes (primitives only).
    * ``running_on`` lists the nodes where it is active (more than one: multiply active);
      ``role`` is its current role (the highest over those nodes).
    * ``target_role`` comes from the ``target-role`` meta-attribute; ``next_role`` is the
      role recorded failures force (``Stopped`` for on-fail=stop), if any.
    """

    id: str
    config_id: str
    variant: Variant
    parent: str | None = None
    children: tuple[str, ...] = ()
    agent: AgentRef | None = None
    meta: Mapping[str, str] = field(default_factory=dict, compare=False)
    params: Mapping[str, str] = field(default_factory=dict, compare=False)
    ops: tuple[Op, ...] = ()
    clone: CloneSettings | None = None
    instance: int | None = None  # the N of rsc:N inside a clone
    history_name: str | None = None  # the name its history uses, when not ``id`` (clone_name)
    unique: bool = True  # False for anonymous clone instances (and their members)
    needs_fencing: bool = True  # "requires=fencing": recovery waits for fencing
    running_on: tuple[str, ...] = ()
    role: Role = Role.STOPPED
    target_role: Role | None = None
    next_role: Role | None = None
    managed: bool = True
    failed: bool = False
    failure_ignored: bool = False
    orphan: bool = False
    blocked: bool = False
    pending_task: str | None = None
    pending_node: str | None = None
    lock_node: str | None = None  # shutdown-locked to this node (shutdown-lock=true)
    lock_time: int | None = None
    stickiness: int = 0
    priority: int = 0
    migration_threshold: int = 1_000_000
    failure_timeout_ms: int = 0
    history: tuple[NodeHistory, ...] = ()
    known_on: tuple[str, ...] = ()  # nodes where its state is known (no probe needed)

    @property
    def active(self) -> bool:
        return bool(self.running_on)

    @property
    def is_clone_instance(self) -> bool:
        return self.instance is not None

    def history_on(self, node: str) -> NodeHistory | None:
        for entry in self.history:
            if entry.node == node:
                return entry
        return None

    def meta_value(self, name: str) -> str | None:
        return self.meta.get(name)


@dataclass(frozen=True)
class ClusterState:
    """The whole unpacked cluster: options, nodes, resources, failures, at time ``now``."""

    now: int
    options: ClusterOptions
    nodes: tuple[NodeInfo, ...]
    resources: tuple[ResourceState, ...]
    top_level: tuple[str, ...]  # top-level ids: by priority (stable), then orphans
    failcounts: tuple[FailCount, ...] = ()
    bans: tuple[Ban, ...] = ()
    clear_failcounts: tuple[ClearFailcount, ...] = ()
    failed_ops: tuple[FailedOp, ...] = ()
    expired_locks: tuple[tuple[str, str], ...] = ()  # (rsc, node): history to clear
    tickets: tuple[TicketState, ...] = ()  # ticket states from the status
    recheck_by: int | None = None  # when the state changes by itself (failure expiry …)
    configuration: Configuration = field(default_factory=Configuration, compare=False)
    warnings: tuple[str, ...] = ()
    _nodes: Mapping[str, NodeInfo] = field(init=False, compare=False, repr=False)
    _resources: Mapping[str, ResourceState] = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_nodes", MappingProxyType({n.name: n for n in self.nodes}))
        object.__setattr__(
            self, "_resources", MappingProxyType({r.id: r for r in self.resources})
        )

    def node(self, name: str) -> NodeInfo | None:
        return self._nodes.get(name)

    def resource(self, rsc_id: str) -> ResourceState | None:
        return self._resources.get(rsc_id)

    def children_of(self, rsc_id: str) -> tuple[ResourceState, ...]:
        parent = self._resources.get(rsc_id)
        if parent is None:
            return ()
        return tuple(self._resources[c] for c in parent.children)

    def top_resources(self) -> tuple[ResourceState, ...]:
        return tuple(self._resources[r] for r in self.top_level)

    def primitives(self) -> Iterator[ResourceState]:
        """Every primitive and primitive clone instance, parents' order kept."""
        return (r for r in self.resources if r.variant is Variant.PRIMITIVE)

    def top_parent(self, rsc_id: str) -> ResourceState:
        """The top-level resource containing ``rsc_id`` (itself if it is top-level)."""
        rsc = self._resources[rsc_id]
        while rsc.parent is not None:
            rsc = self._resources[rsc.parent]
        return rsc

    def failcount(self, rsc_id: str, node: str) -> FailCount | None:
        for entry in self.failcounts:
            if entry.rsc == rsc_id and entry.node == node:
                return entry
        return None

    def online_nodes(self) -> tuple[NodeInfo, ...]:
        return tuple(n for n in self.nodes if n.online)


def compare_node_names(a: str, b: str) -> int:
    """Pacemaker's node-name order: case-insensitive, digit runs compared as numbers
    (``node2`` < ``node10``; with equal values the shorter run first: ``7`` < ``007``)."""
    i = j = 0
    while i < len(a) and j < len(b):
        if a[i].isdigit() and b[j].isdigit():
            i2, j2 = i, j
            while i2 < len(a) and a[i2].isdigit():
                i2 += 1
            while j2 < len(b) and b[j2].isdigit():
                j2 += 1
            n1, n2 = int(a[i:i2]), int(b[j:j2])
            if n1 != n2:
                return -1 if n1 < n2 else 1
            if (i2 - i) != (j2 - j):
                return -1 if (i2 - i) < (j2 - j) else 1
            i, j = i2, j2
        else:
            c1, c2 = a[i].lower(), b[j].lower()
            if c1 != c2:
                return -1 if c1 < c2 else 1
            i += 1
            j += 1
    if i >= len(a) and j < len(b):
        return -1
    if i < len(a) and j >= len(b):
        return 1
    return 0


node_name_key = functools.cmp_to_key(compare_node_names)
