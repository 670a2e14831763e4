"""Turn a CIB into a :class:`~harm.engine.state.ClusterState`, as Pacemaker's ``unpack.c`` does.

The steps, in Pacemaker's order:

1. cluster options (``unpack_config``);
2. nodes and their attributes (``unpack_nodes``; ``#uname``, ``#id``, ``#is_dc`` built in),
   then each ``node_state`` (transient attributes, standby/maintenance, online status with or
   without fencing, unclean nodes and the reason they must be fenced);
3. resources: the configuration tree flattened, clones expanded into ``clone-max`` instances
   ``rsc:0`` … with meta-attributes inherited (own < parent < ``rsc_defaults``);
4. each node's operation history (online nodes only when fencing is disabled): a history
   entry is matched to a resource — anonymous clone histories to the instance already active
   on that node, else the first inactive instance, else a new orphan instance — then its
   operations are replayed by call id (``unpack_rsc_op``): the expected result comes from the
   transition key, failures pick their ``on-fail`` handling, later successes clear them,
   expired failures (``failure-timeout``) are ignored, stop failures and hard errors ban the
   resource from the node;
5. what is left is frozen: roles, running nodes, failed/blocked/managed flags, fail counts
   with expiry, the active recurring monitors, and the bans the history implies.

The function is pure: ``now`` (seconds since the epoch) stands in for the clock.
"""

from __future__ import annotations

import contextlib
import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from harm.cib.cib import Cib
from harm.cib.config import (
    ROLE_RANK,
    AgentRef,
    Clone,
    Group,
    NvSet,
    Op,
    Primitive,
    Resource,
    Role,
    is_true,
    merge_sets,
)
from harm.cib.durations import parse_ms
from harm.cib.scores import INFINITY, char2score
from harm.cib.status import ExecStatus, NodeState, OcfRc, OpRecord, ResourceHistory
from harm.engine.rules import RuleInput, rule_matches
from harm.engine.state import (
    Ban,
    ClearFailcount,
    CloneSettings,
    ClusterOptions,
    ClusterState,
    FailCount,
    FailedOp,
    NodeHistory,
    NodeInfo,
    OnFail,
    ResourceState,
    Variant,
    node_name_key,
)
from harm.engine.templates import expand

# Plain ints for the hot path (IntEnum comparisons are slow)
_ST_CANCELLED = int(ExecStatus.CANCELLED)
_ST_DONE = int(ExecStatus.DONE)
_ST_ERROR = int(ExecStatus.ERROR)
_ST_ERROR_FATAL = int(ExecStatus.ERROR_FATAL)
_ST_ERROR_HARD = int(ExecStatus.ERROR_HARD)
_ST_NOT_INSTALLED = int(ExecStatus.NOT_INSTALLED)
_ST_NOT_SUPPORTED = int(ExecStatus.NOT_SUPPORTED)
_ST_NO_FENCE_DEVICE = int(ExecStatus.NO_FENCE_DEVICE)
_ST_NO_SECRETS = int(ExecStatus.NO_SECRETS)
_ST_PENDING = int(ExecStatus.PENDING)
_RC_ERR_ARGS = int(OcfRc.ERR_ARGS)
_RC_ERR_CONFIGURED = int(OcfRc.ERR_CONFIGURED)
_RC_ERR_INSTALLED = int(OcfRc.ERR_INSTALLED)
_RC_ERR_PERM = int(OcfRc.ERR_PERM)
_RC_ERR_UNIMPLEMENTED = int(OcfRc.ERR_UNIMPLEMENTED)
_RC_FAILED_PROMOTED = int(OcfRc.FAILED_PROMOTED)
_RC_NOT_RUNNING = int(OcfRc.NOT_RUNNING)
_RC_OK = int(OcfRc.OK)
_RC_RUNNING_PROMOTED = int(OcfRc.RUNNING_PROMOTED)

# Pacemaker's role order (enum rsc_role_e): unknown < stopped < started < unpromoted < promoted
_UNKNOWN, _STOPPED, _STARTED, _UNPROMOTED, _PROMOTED = range(5)
_ROLE_OF = {_STOPPED: Role.STOPPED, _STARTED: Role.STARTED,
            _UNPROMOTED: Role.UNPROMOTED, _PROMOTED: Role.PROMOTED}
_RANK = ROLE_RANK  # the same numbers (harm.cib.config)


def unpack(cib: Cib, now: int) -> ClusterState:
    """The scheduler's view of ``cib`` at time ``now`` (seconds since the epoch)."""
    return _Unpacker(cib, now).run()


# ----------------------------------------------------------------------------- working types


@dataclass(slots=True)
class _Node:
    name: str
    id: str
    kind: str = "member"
    online: bool = False
    standby: bool = False
    standby_onfail: bool = False
    maintenance: bool = False
    unclean: bool = False
    shutdown: bool = False
    pending: bool = False
    expected_up: bool = False
    is_dc: bool = False
    unseen: bool = True
    fence_reason: str | None = None
    attrs: dict[str, str] = field(default_factory=dict)

    def freeze(self) -> NodeInfo:
        return NodeInfo(
            name=self.name, id=self.id, kind=self.kind, online=self.online,
            standby=self.standby, standby_onfail=self.standby_onfail,
            maintenance=self.maintenance, unclean=self.unclean, shutdown=self.shutdown,
            pending=self.pending, expected_up=self.expected_up, is_dc=self.is_dc,
            unseen=self.unseen, fence_reason=self.fence_reason, attributes=dict(self.attrs),
        )


@dataclass(slots=True)
class _Hist:
    node: str
    ops: tuple[OpRecord, ...] = ()
    role: int = _UNKNOWN
    failed: bool = False
    on_fail: OnFail = OnFail.IGNORE
    monitors: tuple[tuple[str, int], ...] = ()
    last_failure: OpRecord | None = None
    pending: OpRecord | None = None
    not_installed: bool = False


@dataclass(slots=True)
class _Rsc:
    id: str
    config_id: str
    variant: Variant
    parent: _Rsc | None = None
    children: list[_Rsc] = field(default_factory=list)
    agent: AgentRef | None = None
    meta: dict[str, str] = field(default_factory=dict)
    params: dict[str, str] = field(default_factory=dict)
    ops: tuple[Op, ...] = ()
    clone: CloneSettings | None = None
    instance: int | None = None
    unique: bool = True
    promotable: bool = False  # the top-level parent is a promotable clone
    target_role: Role | None = None
    role: int = _STOPPED
    next_role: int = _UNKNOWN
    running_on: list[str] = field(default_factory=list)
    managed: bool = True
    failed: bool = False
    failure_ignored: bool = False
    orphan: bool = False
    blocked: bool = False
    pending_task: str | None = None
    pending_node: str | None = None
    lock_node: str | None = None
    lock_time: int | None = None
    clone_name: str | None = None
    known_on: list[str] = field(default_factory=list)
    history: dict[str, _Hist] = field(default_factory=dict)
    stickiness: int = 0
    priority: int = 0
    migration_threshold: int = INFINITY
    failure_timeout_s: int = 0
    needs_fencing: bool = True
    total_clones: int = 0  # clones only: instances created so far

    def top(self) -> _Rsc:
        rsc = self
        while rsc.parent is not None:
            rsc = rsc.parent
        return rsc

    def walk(self) -> list[_Rsc]:
        found = [self]
        for child in self.children:
            found += child.walk()
        return found

    def locations(self) -> list[str]:
        """Nodes where it (or, for a group, any member) runs or has a pending action."""
        nodes = list(self.running_on)
        if self.pending_node and self.pending_node not in nodes:
            nodes.append(self.pending_node)
        for child in self.children:
            for node in child.locations():
                if node not in nodes:
                    nodes.append(node)
        return nodes


# ----------------------------------------------------------------------------- the unpacker


class _Unpacker:
    """Holds the working set while one CIB is unpacked (never shared, never kept)."""

    def __init__(self, cib: Cib, now: int) -> None:
        self.cib = cib
        self.config, expanded_warnings = expand(cib.configuration)
        self.now = now
        self.warnings: list[str] = expanded_warnings
        self.bans: list[Ban] = []
        self.clears: list[ClearFailcount] = []
        self.failed_ops: list[FailedOp] = []
        self.expired_locks: list[tuple[str, str]] = []
        self._failure_cache: dict[str, dict[str, list[tuple[str, str]]]] = {}
        self._pattern_cache: dict[tuple[str, bool],
                                  tuple[re.Pattern[str], re.Pattern[str]]] = {}
        self._history_id = ""
        self.options = self._options()
        self.nodes: dict[str, _Node] = {}
        self.node_order: list[str] = []
        self.by_id: dict[str, _Rsc] = {}
        self.top: list[_Rsc] = []
        feature_set = cib.attr("crm_feature_set")
        self.legacy_failcounts = _version_lt(feature_set, "3.0.13")

    # -- 1. options

    def _options(self) -> ClusterOptions:
        config = self.config
        props = self._sets(config.crm_config)

        def flag(name: str, default: bool) -> bool:
            value = props.get(name)
            return default if value is None else is_true(value)

        stonith = flag("stonith-enabled", True)
        policy = (props.get("no-quorum-policy") or "stop").strip().lower()
        if policy not in ("ignore", "freeze", "stop", "demote", "suicide"):
            self.warnings.append(f"Ignoring invalid no-quorum-policy {policy!r}; using 'stop'")
            policy = "stop"
        if policy == "suicide" and not (stonith and (
                self.cib.have_quorum or is_true(self.cib.attr("no-quorum-panic") or "0"))):
            policy = "stop"  # suicide needs fencing, and a cluster that once had quorum
        defaults = self._sets(config.rsc_defaults)
        stickiness = 0
        sticky_text = defaults.get("resource-stickiness") or props.get(
            "default-resource-stickiness")
        if sticky_text is not None:
            stickiness = char2score(sticky_text)
        threshold = INFINITY
        if "migration-threshold" in defaults:
            threshold = char2score(defaults["migration-threshold"])
        return ClusterOptions(
            have_quorum=self.cib.have_quorum,
            no_quorum_policy=policy,
            stonith_enabled=stonith,
            symmetric_cluster=flag("symmetric-cluster", True),
            maintenance_mode=flag("maintenance-mode", False),
            stop_all_resources=flag("stop-all-resources", False),
            stop_orphan_resources=flag("stop-orphan-resources", True),
            stop_orphan_actions=flag("stop-orphan-actions", True),
            start_failure_is_fatal=flag("start-failure-is-fatal", True),
            startup_fencing=flag("startup-fencing", True) if stonith else False,
            placement_strategy=props.get("placement-strategy", "default"),
            default_stickiness=stickiness,
            default_migration_threshold=threshold,
            dc_uuid=self.cib.dc_uuid,
            shutdown_lock=flag("shutdown-lock", False),
            shutdown_lock_limit_s=_seconds(props.get("shutdown-lock-limit", "0")),
            have_fencing=any(p.agent.cls == "stonith" for p in self.config.primitives())
            or is_true(props.get("have-watchdog", "false")),
        )

    def _sets(self, sets: tuple[NvSet, ...], agent: AgentRef | None = None) -> dict[str, str]:
        """Name/value sets merged by :func:`~harm.cib.config.merge_sets`, rules evaluated
        at ``now`` (for that agent)."""
        given = RuleInput(
            now=self.now,
            rsc_class=agent.cls if agent else None,
            rsc_provider=agent.provider if agent else None,
            rsc_type=agent.type if agent else None,
        )
        return merge_sets(sets, lambda nvset: nvset.rule is None
                          or rule_matches(nvset.rule, given))

    # -- 2. nodes

    def _unpack_nodes(self) -> None:
        cluster_name = self.config.property("cluster-name")
        for configured in self.config.nodes:
            node = _Node(name=configured.uname or configured.id, id=configured.id,
                         kind=configured.type or "member")
            node.unclean = self.options.startup_fencing
            node.unseen = True
            self._builtin_attrs(node, cluster_name)
            for key, value in self._sets(configured.attributes).items():
                node.attrs.setdefault(key, value)
            self.nodes[node.name] = node
            self.node_order.append(node.name)
        self.node_order.sort(key=node_name_key)
        for state in self.cib.status.nodes:
            found = self._find_node(state)
            if found is None:
                self.warnings.append(
                    f"Ignoring recorded node state for '{state.uname}' because it is no "
                    "longer in the configuration")
                continue
            self._unpack_node_state(found, state)

    def _builtin_attrs(self, node: _Node, cluster_name: str | None) -> None:
        node.attrs["#uname"] = node.name
        node.attrs["#id"] = node.id
        node.attrs["#kind"] = "cluster" if node.kind == "member" else node.kind
        node.is_dc = self.options.dc_uuid is not None and node.id == self.options.dc_uuid
        node.attrs["#is_dc"] = "true" if node.is_dc else "false"
        if cluster_name:
            node.attrs["#cluster-name"] = cluster_name

    def _find_node(self, state: NodeState) -> _Node | None:
        for node in self.nodes.values():
            if node.id == state.id:
                return node
        return self.nodes.get(state.uname)

    def _unpack_node_state(self, node: _Node, state: NodeState) -> None:
        for key, value in self._sets(state.transient_attributes).items():
            node.attrs[key] = value
        if "#site-name" not in node.attrs and "site-name" in node.attrs:
            node.attrs["#site-name"] = node.attrs["site-name"]
        if is_true(node.attrs.get("standby", "false")):
            node.standby = True
        if is_true(node.attrs.get("maintenance", "false")):
            node.maintenance = True
        node.unclean = False
        node.unseen = False
        self._online_status(node, state)
        if (not self.options.have_quorum and node.online
                and self.options.no_quorum_policy == "suicide"):
            self._fence(node, "cluster does not have quorum")

    def _fence(self, node: _Node, reason: str) -> None:
        if not node.unclean:
            node.unclean = True
            node.fence_reason = reason

    def _online_status(self, node: _Node, state: NodeState) -> None:
        extra = dict(state.extra)
        expected = state.expected or extra.get("expected")
        node.shutdown = False
        node.expected_up = False
        shutdown = node.attrs.get("shutdown")
        if shutdown is not None and shutdown.strip() not in ("", "0"):
            node.shutdown = True
        elif (expected or "").lower() == "member":
            node.expected_up = True
        in_cluster: bool | None = state.in_ccm
        if "in_ccm" in extra and extra["in_ccm"] == "":
            in_cluster = None
        crmd_online = (state.crmd or "").lower() == "online"
        join = (state.join or "").lower()
        if node.kind == "ping":
            node.unclean = False
            online = False
        elif not self.options.stonith_enabled:
            online = False
            if not in_cluster:
                pass
            elif crmd_online:
                online = join == "member"
            elif node.expected_up:
                self._fence(node, "peer is unexpectedly down")
        else:
            online = self._online_fencing(node, in_cluster, crmd_online=crmd_online,
                                          join=join, expected=(expected or "down").lower())
        node.online = online

    def _online_fencing(self, node: _Node, in_cluster: bool | None, *,
                        crmd_online: bool, join: str, expected: str) -> bool:
        terminate = node.attrs.get("terminate")
        do_terminate = False
        if terminate is not None and (
                is_true(terminate)
                or (terminate and terminate[0] != "0" and terminate[0].isdigit())):
            do_terminate = True
        online = bool(in_cluster)
        if node.shutdown:
            online = crmd_online
        elif in_cluster is None:
            self._fence(node, "peer has not been seen by the cluster")
        elif join == "banned":
            self._fence(node, "peer failed Pacemaker membership criteria")
        elif not do_terminate and expected == "down":
            if in_cluster or crmd_online:
                node.standby = True
                node.pending = True
        elif do_terminate and join == "down" and not in_cluster and not crmd_online:
            online = False
        elif not in_cluster:
            self._fence(node, "peer is no longer part of the cluster")
        elif not crmd_online:
            self._fence(node, "peer process is no longer available")
        elif do_terminate:
            self._fence(node, "termination was requested")
        elif join == "member":
            pass
        elif join in ("pending", "down"):
            node.standby = True
            node.pending = True
        else:
            self._fence(node, "peer was in an unknown state")
        return online

    # -- 3. resources

    def _unpack_resources(self) -> None:
        for resource in self.config.resources:
            rsc = self._build(resource, None)
            self.top.append(rsc)
        # Pacemaker keeps resources sorted by priority, highest first (a stable sort).
        self.top.sort(key=lambda r: -r.priority)

    def _build(self, resource: Resource, parent: _Rsc | None, suffix: str = "") -> _Rsc:
        agent = resource.agent if isinstance(resource, Primitive) else None
        own = self._sets(resource.meta, agent)
        meta = dict(own)
        if parent is not None:
            for key, value in parent.meta.items():
                meta.setdefault(key, value)
        for key, value in self._sets(self.config.rsc_defaults, agent).items():
            meta.setdefault(key, value)
        if isinstance(resource, Primitive):
            rsc = _Rsc(id=resource.id + suffix, config_id=resource.id,
                       variant=Variant.PRIMITIVE, parent=parent, agent=resource.agent,
                       meta=meta, ops=resource.ops)
            params = self._sets(resource.params, agent)
            node = parent
            while node is not None:
                for key, value in node.params.items():
                    params.setdefault(key, value)
                node = node.parent
            rsc.params = params
        elif isinstance(resource, Group):
            rsc = _Rsc(id=resource.id + suffix, config_id=resource.id, variant=Variant.GROUP,
                       parent=parent, meta=meta, params=self._sets(resource.params))
        else:
            rsc = _Rsc(id=resource.id, config_id=resource.id, variant=Variant.CLONE,
                       parent=parent, meta=meta, params=self._sets(resource.params))
        self._common_meta(rsc)
        self.by_id[rsc.id] = rsc
        if isinstance(resource, Group):
            for child in resource.children:
                rsc.children.append(self._build(child, rsc, suffix))
        elif isinstance(resource, Clone):
            rsc.clone = self._clone_settings(resource, meta)
            rsc.unique = rsc.clone.unique
            count = rsc.clone.clone_max if rsc.clone.clone_max > 0 else 0
            for index in range(count):
                self._new_instance(rsc, resource, index, orphan=False)
            if count == 0:
                self._new_instance(rsc, resource, 0, orphan=True)
        return rsc

    def _new_instance(self, clone: _Rsc, resource: Clone, index: int, orphan: bool) -> _Rsc:
        instance = self._build(resource.child, clone, f":{index}")
        for member in instance.walk():
            member.instance = index
            member.orphan = orphan
        clone.children.append(instance)
        clone.total_clones = max(clone.total_clones, index + 1)
        return instance

    def _clone_settings(self, resource: Clone, meta: Mapping[str, str]) -> CloneSettings:
        promotable = resource.promotable

        def count(names: tuple[str, ...], default: int) -> int:
            for name in names:
                if name in meta:
                    try:
                        return max(0, int(meta[name]))
                    except ValueError:
                        return 0
            return default

        unique = is_true(meta.get("globally-unique", "false"))
        node_max = count(("clone-node-max",), 1)
        clone_max = count(("clone-max",), max(1, len(self.config.nodes)))
        if unique:
            children = (resource.child.children if isinstance(resource.child, Group)
                        else (resource.child,))
            for child in children:
                if child.agent.cls.lower() not in ("ocf", "stonith"):
                    self.warnings.append(
                        f"Ignoring globally-unique for {resource.id} because "
                        f"{child.agent.cls} resources such as {child.id} can be used only "
                        "as anonymous clones")
                    unique = False
                    node_max = 1
                    clone_max = min(clone_max, len(self.config.nodes))
                    break
        if not unique and node_max > 1:
            self.warnings.append(
                f"Ignoring clone-node-max for {resource.id} because anonymous clones "
                "support only one instance per node")
            node_max = 1
        return CloneSettings(
            clone_max=clone_max,
            clone_node_max=node_max,
            promotable=promotable,
            promoted_max=count(("promoted-max", "master-max"), 1) if promotable else 0,
            promoted_node_max=count(("promoted-node-max", "master-node-max"), 1)
            if promotable else 0,
            unique=unique,
            interleave=is_true(meta.get("interleave", "false")),
            notify=is_true(meta.get("notify", "false")),
            ordered=is_true(meta.get("ordered", "false")),
        )

    def _common_meta(self, rsc: _Rsc) -> None:
        meta = rsc.meta
        rsc.managed = not self.options.maintenance_mode
        managed = meta.get("is-managed")
        if managed is not None and managed.lower() != "default":
            rsc.managed = is_true(managed)
        if is_true(meta.get("maintenance", "false")) or self.options.maintenance_mode:
            rsc.managed = False
        top = rsc
        while top.parent is not None:
            top = top.parent
        if top.variant is Variant.CLONE or (rsc.parent is not None and _in_clone(rsc)):
            rsc.unique = is_true(meta.get("globally-unique", "false"))
            if top.clone is not None:
                rsc.unique = top.clone.unique
            rsc.promotable = _is_promotable(meta) or _parent_promotable(rsc)
        else:
            rsc.unique = True
        rsc.priority = char2score(meta.get("priority", "0"))
        rsc.stickiness = self.options.default_stickiness
        sticky = meta.get("resource-stickiness")
        if sticky is not None and sticky.lower() != "default":
            rsc.stickiness = char2score(sticky)
        threshold = meta.get("migration-threshold")
        if threshold is not None and threshold.lower() != "default":
            rsc.migration_threshold = char2score(threshold)
            if rsc.migration_threshold < 0:
                rsc.migration_threshold = 1
        timeout = meta.get("failure-timeout")
        if timeout is not None:
            try:
                rsc.failure_timeout_s = parse_ms(timeout) // 1000
            except ValueError:
                self.warnings.append(f"Ignoring invalid failure-timeout {timeout!r} "
                                     f"for {rsc.id}")
        requires = (meta.get("requires") or "").lower()
        is_stonith = rsc.agent is not None and rsc.agent.cls == "stonith"
        if requires in ("quorum", "nothing") or is_stonith:
            rsc.needs_fencing = False
        else:
            rsc.needs_fencing = self.options.stonith_enabled
        target = meta.get("target-role")
        if target is not None and target.strip().lower() != "default":
            try:
                rsc.target_role = Role.parse(target)
            except ValueError:
                self.warnings.append(f"Ignoring invalid target-role {target!r} for {rsc.id}")

    # -- 4. history

    def _unpack_histories(self) -> None:
        for state in self.cib.status.nodes:
            node = self._find_node(state)
            if node is None or node.kind != "member":
                continue
            if not (self.options.stonith_enabled or self.options.shutdown_lock) \
                    and not node.online:
                continue
            for history in state.resources:
                self._unpack_lrm_resource(node, history)

    def _unpack_lrm_resource(self, node: _Node, history: ResourceHistory) -> None:
        if not history.ops and not self.options.shutdown_lock:
            return
        self._history_id = history.id
        rsc = self._find_resource(node, history.id)
        if rsc is None:
            if history.id in self.by_id or not history.ops:
                return
            rsc = self._orphan(history)
        if self.options.shutdown_lock:
            self._shutdown_lock(rsc, node, history)
        if history.id != rsc.id:
            rsc.clone_name = history.id
        hist = rsc.history.get(node.name)
        if hist is None:
            hist = _Hist(node=node.name)
            rsc.history[node.name] = hist
        saved_role = rsc.role
        rsc.role = _UNKNOWN
        ops = _sorted_ops(history.ops)
        hist.ops = hist.ops + tuple(ops)
        state = _OpState()
        for record in ops:
            self._unpack_op(rsc, node, record, state, hist)
        hist.monitors = _active_monitors(ops) if node.online else ()
        hist.role = rsc.role
        hist.last_failure = state.last_failure
        self._process_state(rsc, node, state.on_fail, hist)
        hist.on_fail = state.on_fail
        if rsc.target_role is not None:
            wanted = _RANK[rsc.target_role]
            if rsc.next_role == _UNKNOWN or wanted < rsc.next_role:
                rsc.next_role = wanted
        rsc.role = max(rsc.role, saved_role)

    def _shutdown_lock(self, rsc: _Rsc, node: _Node, history: ResourceHistory) -> None:
        """Pacemaker's ``unpack_shutdown_lock``: lock to the node, or expire the lock."""
        text = dict(history.extra).get("shutdown-lock")
        if not text or not text.strip().isdigit() or int(text) == 0:
            return
        when = int(text)
        limit = self.options.shutdown_lock_limit_s
        if limit > 0 and self.now > when + limit:
            self.expired_locks.append((rsc.id, node.name))
        else:
            rsc.lock_node = node.name
            rsc.lock_time = when

    def _find_resource(self, node: _Node, rsc_id: str) -> _Rsc | None:
        rsc = self.by_id.get(rsc_id)
        parent: _Rsc | None = None
        if rsc is None:
            zero = self.by_id.get(_base_name(rsc_id) + ":0")
            if zero is not None and not zero.unique:
                rsc = zero
                parent = zero.top()
        elif rsc.variant is not Variant.PRIMITIVE:
            self.warnings.append(f"Ignoring history of {rsc_id} on {node.name}: "
                                 "it is no longer a primitive")
            return None
        else:
            parent = rsc.top()
        if parent is not None and parent.variant is Variant.CLONE and not parent.unique:
            rsc = self._find_anonymous(node, parent, _base_name(rsc_id))
        return rsc

    def _find_anonymous(self, node: _Node, parent: _Rsc, base: str) -> _Rsc:
        found: _Rsc | None = None
        inactive: _Rsc | None = None
        skip_inactive = False
        for child in parent.children:
            locations = child.locations()
            if locations:
                if locations[0] == node.name:
                    member = _find_member(child, base)
                    if member is not None:
                        if member.running_on:
                            skip_inactive = True
                        else:
                            found = member
                            break
            elif not skip_inactive and inactive is None and not child.blocked:
                candidate = _find_member(child, base)
                if (candidate is not None and candidate.pending_node is not None
                        and candidate.pending_node != node.name):
                    candidate = None
                inactive = candidate
        if found is None and not skip_inactive and inactive is not None:
            found = inactive
        universal = parent.clone is not None and parent.clone.clone_max >= len(self.nodes)
        if (found is not None and not found.needs_fencing
                and (not node.online or node.unclean) and not universal):
            found = None
        if found is None:
            found = self._anonymous_orphan(parent, base)
        return found

    def _anonymous_orphan(self, parent: _Rsc, base: str) -> _Rsc:
        resource = self.config.find_resource(parent.config_id)
        assert isinstance(resource, Clone)
        instance = self._new_instance(parent, resource, parent.total_clones, orphan=True)
        member = _find_member(instance, base)
        return member if member is not None else instance

    def _orphan(self, history: ResourceHistory) -> _Rsc:
        agent = AgentRef(history.cls, history.provider, history.type)
        rsc = _Rsc(id=history.id, config_id=history.id, variant=Variant.PRIMITIVE,
                   agent=agent, orphan=True)
        rsc.meta = self._sets(self.config.rsc_defaults, agent)
        self._common_meta(rsc)
        if self.options.stop_orphan_resources:
            self.bans.append(Ban(rsc.id, None, "__orphan_do_not_run__"))
        else:
            rsc.managed = False
        self.by_id[rsc.id] = rsc
        self.top.append(rsc)
        return rsc

    # -- one operation (unpack_rsc_op)

    def _unpack_op(self, rsc: _Rsc, node: _Node, record: OpRecord, state: _OpState,
                   hist: _Hist) -> None:
        task = record.operation
        if task in ("notify", "meta-data"):
            return
        target_rc = _target_rc(record)
        rc = record.rc
        status = int(record.status)
        is_probe = task == "monitor" and record.interval_ms == 0
        ban_rsc = rsc if rsc.unique else rsc.top()
        expired = False
        if status != _ST_NOT_INSTALLED and self._expired(rsc, node, record, rc):
            expired = True
        masked = _masked_probe_failure(record)
        old_rc, old_target = rc, target_rc
        rc, status = self._remap(rsc, node, record, state, target_rc=target_rc, rc=rc,
                                 status=status, is_probe=is_probe)
        if expired and masked and old_rc != old_target:
            if rsc.role <= _STOPPED:
                rsc.role = _UNKNOWN
            return
        if expired and rc != target_rc:
            if record.interval_ms == 0:
                return
            if node.online and not node.unclean:
                return
        if masked:
            self._update_state(rsc, record, task, target_rc, state)
            self._record_failed(node, record)
            self.bans.append(Ban(ban_rsc.id, node.name, "masked-probe-failure"))
            return
        if status == _ST_CANCELLED:
            return
        if status == _ST_PENDING:
            if task == "start":
                self._set_active(rsc)
            elif task == "promote":
                rsc.role = _PROMOTED
            if rsc.pending_task is None and (record.interval_ms != 0 or task != "monitor"):
                rsc.pending_task = task
                rsc.pending_node = node.name
            hist.pending = record
            return
        if status == _ST_DONE:
            self._update_state(rsc, record, task, rc, state)
            return
        if status == _ST_NOT_INSTALLED:
            strategy, _ = self._on_fail(rsc, record)
            if strategy is OnFail.IGNORE:
                state.on_fail = OnFail.MIGRATE
            self.bans.append(Ban(ban_rsc.id, node.name, "hard-error"))
            hist.not_installed = True
            self._op_failure(rsc, node, rc, record, state)
            return
        if status in (_ST_NO_FENCE_DEVICE, _ST_NO_SECRETS):
            status = _ST_ERROR_HARD
        strategy, _ = self._on_fail(rsc, record)
        if strategy is OnFail.IGNORE:
            self._update_state(rsc, record, task, target_rc, state)
            rsc.failure_ignored = True
            self._record_failed(node, record)
            return
        self._op_failure(rsc, node, rc, record, state)
        if status == _ST_ERROR_HARD:
            if rc == _RC_ERR_INSTALLED:
                hist.not_installed = True
            self.bans.append(Ban(ban_rsc.id, node.name, "hard-error"))
        elif status == _ST_ERROR_FATAL:
            self.bans.append(Ban(ban_rsc.id, None, "fatal-error"))

    def _remap(self, rsc: _Rsc, node: _Node, record: OpRecord, state: _OpState, *,
               target_rc: int, rc: int, status: int, is_probe: bool) -> tuple[int, int]:
        """Pacemaker's ``remap_operation``: decide from the expected result whether it failed."""
        task = record.operation
        if task == "monitor" and rc in (190, 191):  # degraded results count as running
            rc = _RC_OK if rc == 190 else _RC_RUNNING_PROMOTED
        if _masked_probe_failure(record):
            return _RC_NOT_RUNNING, _ST_DONE
        if status not in (_ST_DONE, _ST_ERROR):
            return rc, status
        status = _ST_DONE
        if target_rc < 0 or target_rc != rc:
            status = _ST_ERROR
        if rc == _RC_OK:
            if is_probe and target_rc == _RC_NOT_RUNNING:
                status = _ST_DONE
        elif rc == _RC_NOT_RUNNING:
            if is_probe or target_rc == rc or not rsc.managed:
                status = _ST_DONE
                rsc.role = _STOPPED
                state.on_fail = OnFail.IGNORE
                rsc.next_role = _UNKNOWN
        elif rc == _RC_RUNNING_PROMOTED:
            if is_probe and rc != target_rc:
                status = _ST_DONE
            rsc.role = _PROMOTED
        elif rc == _RC_FAILED_PROMOTED:
            rsc.role = _PROMOTED
            status = _ST_ERROR
        elif rc == _RC_ERR_CONFIGURED:
            status = _ST_ERROR_FATAL
        elif rc == _RC_ERR_UNIMPLEMENTED:
            if record.interval_ms == 0:
                self._check_recoverable(rsc, node, task)
                status = _ST_ERROR_HARD
            else:
                status = _ST_NOT_SUPPORTED
        elif rc in (_RC_ERR_INSTALLED, _RC_ERR_ARGS, _RC_ERR_PERM):
            self._check_recoverable(rsc, node, task)
            status = _ST_ERROR_HARD
        elif status == _ST_DONE:
            status = _ST_ERROR
        return rc, status

    def _record_failed(self, node: _Node, record: OpRecord) -> None:
        if not node.online:
            return
        key = _op_key(record)
        for failed in self.failed_ops:
            if failed.node == node.name and _op_key(failed.record) == key:
                return
        self.failed_ops.append(FailedOp(self._history_id, node.name, record))

    def _can_fence(self, node: _Node) -> bool:
        return self.options.can_fence(node.online)

    def _check_recoverable(self, rsc: _Rsc, node: _Node, task: str) -> None:
        if task != "stop" or self._can_fence(node):
            return
        rsc.managed = False
        rsc.blocked = True

    def _update_state(self, rsc: _Rsc, record: OpRecord, task: str, rc: int,
                      state: _OpState) -> None:
        clear = False
        if rc == _RC_ERR_INSTALLED or _masked_probe_failure(record):
            rsc.role = _STOPPED
        elif rc == _RC_NOT_RUNNING:
            clear = True
        elif task == "monitor":
            if state.last_failure is not None and _op_key(record) == _op_key(
                    state.last_failure):
                clear = True
            if rsc.role < _STARTED:
                self._set_active(rsc)
        elif task == "start":
            rsc.role = _STARTED
            clear = True
        elif task == "stop":
            rsc.role = _STOPPED
            clear = True
        elif task == "promote":
            rsc.role = _PROMOTED
            clear = True
        elif task == "demote":
            if state.on_fail is OnFail.DEMOTE:
                clear = True
            rsc.role = _UNPROMOTED
        elif task == "migrate_from":
            rsc.role = _STARTED
            clear = True
        elif task == "migrate_to":
            # A migration source stays active until the target has confirmed.
            if rsc.role < _STARTED:
                self._set_active(rsc)
        elif rsc.role < _STARTED:
            self._set_active(rsc)
        if clear and state.on_fail in (OnFail.BLOCK, OnFail.IGNORE, OnFail.DEMOTE,
                                       OnFail.RESTART):
            state.on_fail = OnFail.IGNORE
            rsc.next_role = _UNKNOWN

    def _op_failure(self, rsc: _Rsc, node: _Node, rc: int, record: OpRecord,
                    state: _OpState) -> None:
        """Pacemaker's ``unpack_rsc_op_failure``."""
        task = record.operation
        is_probe = task == "monitor" and record.interval_ms == 0
        state.last_failure = record
        if self.options.symmetric_cluster or rc != _RC_ERR_INSTALLED:
            self._record_failed(node, record)
        action_on_fail, fail_role = self._on_fail(rsc, record)
        state.on_fail = max(state.on_fail, action_on_fail)
        if task == "stop":
            self.bans.append(Ban(rsc.id, node.name, "__stop_fail__"))
        elif task == "promote":
            rsc.role = _PROMOTED
        elif task == "demote":
            if action_on_fail is OnFail.BLOCK:
                rsc.role = _PROMOTED
                rsc.next_role = _STOPPED
            elif rc == _RC_NOT_RUNNING:
                rsc.role = _STOPPED
            else:
                rsc.role = _UNPROMOTED
        if is_probe and rc == _RC_ERR_INSTALLED:
            rsc.role = _STOPPED
        elif rsc.role < _STARTED:
            self._set_active(rsc)
        if fail_role != _STARTED and rsc.next_role < fail_role:
            rsc.next_role = fail_role
        if fail_role == _STOPPED:
            fail_rsc = rsc
            top = rsc.top()
            if rsc.parent is not None and top.variant is Variant.CLONE and not top.unique:
                fail_rsc = top
            self.bans.append(Ban(fail_rsc.id, None, "on-fail=stop"))

    def _on_fail(self, rsc: _Rsc, record: OpRecord) -> tuple[OnFail, int]:
        """The ``on-fail`` handling (and role after failure) for a recorded operation."""
        task = record.operation
        op = _find_op(rsc.ops, task, record.interval_ms)
        value = op.attr("on-fail") if op is not None else None
        if value is None:
            value = self._sets(self.config.op_defaults).get("on-fail")
        if value is not None:
            value = value.strip().lower()
        if task == "stop" and value in ("standby", "demote", "stop"):
            self.warnings.append(f"Resetting 'on-fail' for {rsc.id} stop action to default "
                                 f"value because '{value}' is not allowed for stop")
            value = None
        elif task == "demote" and value is None:
            for candidate in rsc.ops:
                on_fail = candidate.attr("on-fail")
                enabled = candidate.attr("enabled")
                if on_fail is None or (enabled is not None and not is_true(enabled)):
                    continue
                if (candidate.name != "monitor" or candidate.role is not Role.PROMOTED
                        or _interval(candidate) == 0 or on_fail.lower() == "demote"):
                    continue
                value = on_fail.lower()
                break
        elif value == "demote":
            allowed = task == "promote" or (
                task == "monitor" and op is not None and op.role is Role.PROMOTED
                and record.interval_ms > 0)
            if not allowed:
                value = None
        fail_role = _UNKNOWN
        result: OnFail | None
        if value == "block":
            result = OnFail.BLOCK
        elif value == "fence":
            result = OnFail.FENCE
            if not self.options.stonith_enabled:
                result, fail_role = OnFail.STOP, _STOPPED
        elif value == "standby":
            result = OnFail.STANDBY
        elif value in ("ignore", "nothing"):
            result = OnFail.IGNORE
        elif value == "migrate":
            result = OnFail.MIGRATE
        elif value == "stop":
            result, fail_role = OnFail.STOP, _STOPPED
        elif value == "restart":
            result = OnFail.RESTART
        elif value == "demote":
            result = OnFail.DEMOTE
        else:
            result = None
        if result is None:
            if task == "stop":
                result = OnFail.FENCE if self.options.stonith_enabled else OnFail.BLOCK
            else:
                result = OnFail.RESTART
        if fail_role == _UNKNOWN:
            fail_role = _UNPROMOTED if task == "promote" else _STARTED
        return result, fail_role

    def _set_active(self, rsc: _Rsc) -> None:
        rsc.role = _UNPROMOTED if rsc.promotable else _STARTED

    # -- failure-timeout and fail counts

    def _expired(self, rsc: _Rsc, node: _Node, record: OpRecord, rc: int) -> bool:
        expired = False
        unexpired = 0
        if rsc.failure_timeout_s > 0 and record.last_rc_change is not None:
            if self.now >= record.last_rc_change + rsc.failure_timeout_s:
                expired = True
            unexpired, _ = self._failcount(rsc, node, effective=True)
        clear_reason = None
        if expired and self._failcount(rsc, node, effective=False)[0]:
            if unexpired == 0:
                clear_reason = "it expired"
            else:
                expired = False
        if clear_reason is not None:
            entry = ClearFailcount(rsc.id, node.name, clear_reason)
            if entry not in self.clears:
                self.clears.append(entry)
        if (expired and record.interval_ms == 0 and record.operation == "monitor"
                and rc in (0, 7, 8, 190, 191)):
            expired = False
        return expired

    def _failcount(self, rsc: _Rsc, node: _Node, effective: bool) -> tuple[int, int | None]:
        name = rsc.id if rsc.unique else _base_name(rsc.id)
        relevant = self._failure_attrs(node).get(_base_name(name))
        if not relevant:
            return 0, None
        count_re, last_re = self._failure_patterns(name, rsc.unique)
        count = 0
        last = 0
        for key, value in relevant:
            if count_re.match(key):
                count = _add(count, char2score(value))
            elif last_re.match(key):
                with contextlib.suppress(ValueError):
                    last = max(last, int(value))
        if (effective and count > 0 and last > 0 and rsc.failure_timeout_s
                and not self._blocks(rsc) and self.now > last + rsc.failure_timeout_s):
            count = 0
        return count, (last or None)

    def _failure_attrs(self, node: _Node) -> dict[str, list[tuple[str, str]]]:
        """The node's fail-count-* and last-failure-* attributes by resource base name
        (without operation or instance number), built once per node."""
        cached = self._failure_cache.get(node.name)
        if cached is None:
            cached = {}
            for key, value in node.attrs.items():
                if key.startswith("fail-count-"):
                    rest = key[len("fail-count-"):]
                elif key.startswith("last-failure-"):
                    rest = key[len("last-failure-"):]
                else:
                    continue
                base = _base_name(rest.split("#", 1)[0])
                cached.setdefault(base, []).append((key, value))
            self._failure_cache[node.name] = cached
        return cached

    def _failure_patterns(self, name: str, unique: bool) -> tuple[re.Pattern[str],
                                                                   re.Pattern[str]]:
        """Pacemaker's fail-count and last-failure name patterns for a resource."""
        cached = self._pattern_cache.get((name, unique))
        if cached is None:
            instance = "" if unique else r"(:[0-9]+)?"
            op_pattern = "" if self.legacy_failcounts else r"#.+_[0-9]+"
            cached = (re.compile(f"^fail-count-{re.escape(name)}{instance}{op_pattern}$"),
                      re.compile(f"^last-failure-{re.escape(name)}{instance}{op_pattern}$"))
            self._pattern_cache[(name, unique)] = cached
        return cached

    def _blocks(self, rsc: _Rsc) -> bool:
        return any((op.attr("on-fail") or "").lower() == "block" for op in rsc.ops)

    # -- process_rsc_state

    def _process_state(self, rsc: _Rsc, node: _Node, on_fail: OnFail, hist: _Hist) -> None:
        if rsc.role != _UNKNOWN:
            walker: _Rsc | None = rsc
            while walker is not None:
                if node.name not in walker.known_on:
                    walker.known_on.append(node.name)
                if walker.unique:
                    break
                walker = walker.parent
        if (rsc.role > _STOPPED and not node.online and not node.maintenance
                and rsc.managed and self.options.stonith_enabled):
            self._fence(node, f"{rsc.id} is thought to be active there")
        if node.unclean:
            on_fail = OnFail.IGNORE
        if on_fail is OnFail.DEMOTE:
            rsc.failed = True
        elif on_fail is OnFail.FENCE:
            self._fence(node, f"{rsc.id} failed there")
        elif on_fail is OnFail.STANDBY:
            node.standby = True
            node.standby_onfail = True
        elif on_fail is OnFail.BLOCK:
            rsc.managed = False
            rsc.blocked = True
        elif on_fail is OnFail.MIGRATE:
            self.bans.append(Ban(rsc.id, node.name, "__action_migration_auto__"))
        elif on_fail is OnFail.STOP:
            rsc.next_role = _STOPPED
        elif on_fail is OnFail.RESTART and rsc.role not in (_STOPPED, _UNKNOWN):
            rsc.failed = True
        if rsc.role not in (_STOPPED, _UNKNOWN):
            if rsc.orphan and rsc.managed:
                self.warnings.append(f"Detected active orphan {rsc.id} running on {node.name}")
            self._add_running(rsc, node)
            if on_fail is not OnFail.IGNORE:
                rsc.failed = True
            hist.failed = on_fail is not OnFail.IGNORE
        elif rsc.clone_name is not None and ":" in rsc.clone_name:
            rsc.clone_name = None

    def _add_running(self, rsc: _Rsc, node: _Node) -> None:
        if node.name in rsc.running_on:
            return
        rsc.running_on.append(node.name)
        if rsc.variant is Variant.PRIMITIVE and node.maintenance:
            rsc.managed = False
        if not rsc.managed:
            self.bans.append(Ban(rsc.id, node.name, "not_managed_default", INFINITY))
            parent = rsc.parent
            while parent is not None and node.online:
                parent.running_on.append(node.name)
                parent = parent.parent
            return
        if rsc.variant is Variant.PRIMITIVE and self._active_count(rsc) > 1:
            recovery = (rsc.meta.get("multiple-active") or "stop_start").lower()
            if recovery == "stop_only":
                self.bans.append(Ban(rsc.id, None, "multiple-active=stop_only"))
            elif recovery == "block":
                rsc.managed = False
                rsc.blocked = True
                group = rsc.parent
                if (group is not None and group.variant is Variant.GROUP
                        and (group.meta.get("multiple-active") or "").lower() == "block"):
                    for member in group.children:
                        member.managed = False
                        member.blocked = True
        if rsc.parent is not None:
            self._add_running(rsc.parent, node)

    def _active_count(self, rsc: _Rsc) -> int:
        """Nodes it is active on (only clean online ones unless it needs fencing)."""
        if rsc.needs_fencing:
            return len(rsc.running_on)
        return sum(1 for name in rsc.running_on
                   if self.nodes[name].online and not self.nodes[name].unclean)

    # -- 5. freeze

    def run(self) -> ClusterState:
        self._unpack_nodes()
        self._unpack_resources()
        self._unpack_histories()
        failcounts: list[FailCount] = []
        resources: list[ResourceState] = []
        for top in self.top:
            for rsc in top.walk():
                resources.append(self._freeze(rsc))
                if rsc.variant is Variant.PRIMITIVE:
                    failcounts += self._failcounts_of(rsc)
        return ClusterState(
            now=self.now,
            options=self.options,
            nodes=tuple(self.nodes[name].freeze() for name in self.node_order),
            resources=tuple(resources),
            top_level=tuple(r.id for r in self.top),
            failcounts=tuple(failcounts),
            bans=tuple(self.bans),
            clear_failcounts=tuple(self.clears),
            failed_ops=tuple(self.failed_ops),
            expired_locks=tuple(self.expired_locks),
            tickets=self.cib.status.tickets,
            recheck_by=self._recheck_by(failcounts),
            configuration=self.config,
            warnings=tuple(self.warnings),
        )

    def _recheck_by(self, failcounts: list[FailCount]) -> int | None:
        """The earliest time the state changes with nothing else happening (Pacemaker's
        ``recheck_by``): a counted failure expiring (``failure-timeout``), a shutdown lock
        running out (``shutdown-lock-limit``)."""
        times: list[int] = []
        for entry in failcounts:
            rsc = self.by_id.get(entry.rsc)
            if rsc is not None and rsc.failure_timeout_s > 0 and entry.count > 0 \
                    and entry.last_failure:
                times.append(entry.last_failure + rsc.failure_timeout_s + 1)
        limit = self.options.shutdown_lock_limit_s
        if limit > 0:
            times += [rsc.lock_time + limit for rsc in self.by_id.values()
                      if rsc.lock_time is not None]
        later = [t for t in times if t > self.now]
        return min(later) if later else None

    def _failcounts_of(self, rsc: _Rsc) -> list[FailCount]:
        result: list[FailCount] = []
        base = _base_name(rsc.id if rsc.unique else _base_name(rsc.id))
        for name in self.node_order:
            node = self.nodes[name]
            if base not in self._failure_attrs(node):
                continue
            raw, last = self._failcount(rsc, node, effective=False)
            if raw <= 0:
                continue
            count, _ = self._failcount(rsc, node, effective=True)
            result.append(FailCount(rsc.id, name, count, raw, last, expired=count == 0))
        return result

    def _freeze(self, rsc: _Rsc) -> ResourceState:
        histories = tuple(
            NodeHistory(
                node=h.node, ops=h.ops, role=_ROLE_OF.get(h.role, Role.STOPPED),
                failed=h.failed, on_fail=h.on_fail, active_monitors=h.monitors,
                last_failure=h.last_failure, pending=h.pending,
                not_installed=h.not_installed,
            )
            for h in rsc.history.values()
        )
        role = rsc.role
        if rsc.variant is not Variant.PRIMITIVE:
            role = max((_RANK[self._frozen_role(c)] for c in rsc.children), default=_STOPPED)
        return ResourceState(
            id=rsc.id,
            config_id=rsc.config_id,
            variant=rsc.variant,
            parent=rsc.parent.id if rsc.parent is not None else None,
            children=tuple(c.id for c in rsc.children),
            agent=rsc.agent,
            meta=dict(rsc.meta),
            params=dict(rsc.params),
            ops=rsc.ops,
            clone=rsc.clone,
            instance=rsc.instance,
            history_name=rsc.clone_name,
            unique=rsc.unique,
            needs_fencing=rsc.needs_fencing,
            running_on=tuple(rsc.running_on),
            role=_ROLE_OF.get(role, Role.STOPPED),
            target_role=rsc.target_role,
            next_role=_ROLE_OF.get(rsc.next_role),
            managed=rsc.managed,
            failed=rsc.failed,
            failure_ignored=rsc.failure_ignored,
            orphan=rsc.orphan,
            blocked=rsc.blocked,
            pending_task=rsc.pending_task,
            pending_node=rsc.pending_node,
            lock_node=rsc.lock_node,
            lock_time=rsc.lock_time,
            stickiness=rsc.stickiness,
            priority=rsc.priority,
            migration_threshold=rsc.migration_threshold,
            failure_timeout_ms=rsc.failure_timeout_s * 1000,
            history=histories,
            known_on=tuple(rsc.known_on),
        )

    def _frozen_role(self, rsc: _Rsc) -> Role:
        if rsc.variant is Variant.PRIMITIVE:
            return _ROLE_OF.get(rsc.role, Role.STOPPED)
        return _ROLE_OF.get(
            max((_RANK[self._frozen_role(c)] for c in rsc.children), default=_STOPPED),
            Role.STOPPED)


@dataclass(slots=True)
class _OpState:
    """What replaying one resource's history on one node carries from op to op."""

    on_fail: OnFail = OnFail.IGNORE
    last_failure: OpRecord | None = None


# ----------------------------------------------------------------------------- helpers


def _in_clone(rsc: _Rsc) -> bool:
    parent = rsc.parent
    while parent is not None:
        if parent.variant is Variant.CLONE:
            return True
        parent = parent.parent
    return False


def _is_promotable(meta: Mapping[str, str]) -> bool:
    return is_true(meta.get("promotable", "false"))


def _parent_promotable(rsc: _Rsc) -> bool:
    parent = rsc.parent
    while parent is not None:
        if parent.clone is not None and parent.clone.promotable:
            return True
        if parent.promotable:
            return True
        parent = parent.parent
    return False


def _find_member(instance: _Rsc, base: str) -> _Rsc | None:
    """The member of a clone instance whose configuration id is ``base``."""
    for member in instance.walk():
        if member.variant is Variant.PRIMITIVE and member.config_id == base:
            return member
    return None


def _base_name(rsc_id: str) -> str:
    """``rsc:12`` → ``rsc`` (Pacemaker's ``clone_strip``)."""
    head, sep, tail = rsc_id.rpartition(":")
    if sep and head and tail.isdigit():
        return head
    return rsc_id


def _op_key(record: OpRecord) -> str:
    extra = dict(record.extra)
    return extra.get("operation_key") or record.id


def _target_rc(record: OpRecord) -> int:
    key = record.transition_key
    if not key:
        return -1
    parts = key.split(":")
    if len(parts) < 4:
        return -1
    try:
        return int(parts[2])
    except ValueError:
        return -1


def _magic_transition(record: OpRecord) -> tuple[str, int] | None:
    magic = record.transition_magic
    if not magic or ";" not in magic:
        return None
    key = magic.split(";", 1)[1]
    parts = key.split(":")
    if len(parts) < 4:
        return None
    try:
        return parts[3], int(parts[1])
    except ValueError:
        return None


def _masked_probe_failure(record: OpRecord) -> bool:
    """Probes that report "not installed/configured" count as "not running" (not a failure)."""
    if record.operation != "monitor" or record.interval_ms != 0:
        return False
    return record.rc in (_RC_ERR_INSTALLED, _RC_ERR_ARGS) or (
        record.status == _ST_NOT_INSTALLED)


def _compare_ops(a: OpRecord, b: OpRecord) -> int:
    """Pacemaker's ``pe__is_newer_op`` for ops on one node (negative: ``a`` is older)."""
    ca, cb = a.call_id, b.call_id
    if a.id == b.id:
        return 0
    if ca == -1 and cb == -1:
        return 0
    if ca >= 0 and ca < cb:
        return -1
    if cb >= 0 and ca > cb:
        return 1
    if ca >= 0 and cb >= 0 and ca == cb:
        la = a.last_rc_change if a.last_rc_change is not None else -1
        lb = b.last_rc_change if b.last_rc_change is not None else -1
        if la >= 0 and la < lb:
            return -1
        if lb >= 0 and la > lb:
            return 1
        return 0
    ma, mb = _magic_transition(a), _magic_transition(b)
    if ma is None or mb is None:
        return 0
    if ma[0] != mb[0] or ma[1] == mb[1]:
        if cb == -1:
            return -1
        if ca == -1:
            return 1
    elif (ma[1] >= 0 and ma[1] < mb[1]) or mb[1] == -1:
        return -1
    elif (mb[1] >= 0 and ma[1] > mb[1]) or ma[1] == -1:
        return 1
    return 0


def _sorted_ops(ops: tuple[OpRecord, ...]) -> list[OpRecord]:
    # Pacemaker prepends while reading, then runs a stable sort.
    if len(ops) == 1:
        return [ops[0]]
    return sorted(reversed(ops), key=functools.cmp_to_key(_compare_ops))


def _active_monitors(ops: list[OpRecord]) -> tuple[tuple[str, int], ...]:
    """Recurring operations still running (``calculate_active_ops`` + ``process_recurring``)."""
    start = stop = -1
    implied_monitor = implied_clone = -1
    for index, record in enumerate(ops):
        task = record.operation
        if task == "stop" and record.status == _ST_DONE:
            stop = index
        elif task in ("start", "migrate_from"):
            start = index
        elif implied_monitor <= stop and task == "monitor":
            if record.rc in (0, 8):
                implied_monitor = index
        elif task in ("promote", "demote"):
            implied_clone = index
    if start == -1:
        if implied_clone != -1:
            start = implied_clone
        elif implied_monitor != -1:
            start = implied_monitor
    active: list[tuple[str, int]] = []
    for index, record in enumerate(ops):
        if start < stop and index <= stop:
            continue
        if index < start:
            continue
        if record.interval_ms == 0 or record.status == _ST_PENDING:
            continue
        key = (record.operation, record.interval_ms)
        if key not in active:
            active.append(key)
    return tuple(active)


def _find_op(ops: tuple[Op, ...], task: str, interval_ms: int) -> Op | None:
    """The configured operation matching a recorded one (name and interval)."""
    for op in ops:
        if op.name.lower() == task.lower() and _interval(op) == interval_ms:
            return op
    if task in ("migrate_to", "migrate_from"):
        return _find_op(ops, "migrate", 0) if task != "migrate" else None
    return None


def _interval(op: Op) -> int:
    try:
        return op.interval_ms
    except ValueError:
        pass
    text = op.interval.strip().upper()
    if text.startswith("P") and "T" not in text and text[-1:] in ("H", "S"):
        try:
            return parse_ms("PT" + text[1:])
        except ValueError:
            return 0
    return 0




def _seconds(text: str) -> int:
    try:
        return parse_ms(text) // 1000
    except ValueError:
        return 0


def _add(a: int, b: int) -> int:
    if a <= -INFINITY or b <= -INFINITY:
        return -INFINITY
    if a >= INFINITY or b >= INFINITY:
        return INFINITY
    return max(-INFINITY, min(INFINITY, a + b))


def _version_lt(version: str | None, other: str) -> bool:
    """Pacemaker's ``compare_version(version, other) < 0`` (a missing version is oldest)."""
    if not version:
        return True

    def parts(text: str) -> list[int]:
        result = []
        for piece in text.split("."):
            try:
                result.append(int(piece))
            except ValueError:
                result.append(0)
        return result

    return parts(version) < parts(other)

