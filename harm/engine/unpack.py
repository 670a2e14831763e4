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

Each step is a layer of the unpacker, in its own module under :mod:`harm.engine.unpacking`
(options, nodes, resources, failures, history); this module runs them and freezes the
result.
"""

from __future__ import annotations

from harm.cib.cib import Cib
from harm.cib.config import Role
from harm.engine.state import (
    ClusterState,
    FailCount,
    NodeHistory,
    ResourceState,
    Variant,
)
from harm.engine.unpacking.history import HistoryUnpacker
from harm.engine.unpacking.model import (
    _RANK,
    _ROLE_OF,
    _STOPPED,
    _base_name,
    _Rsc,
)


def unpack(cib: Cib, now: int) -> ClusterState:
    """The scheduler's view of ``cib`` at time ``now`` (seconds since the epoch)."""
    return _Unpacker(cib, now).run()


# ----------------------------------------------------------------------------- working types



class _Unpacker(HistoryUnpacker):
    """Holds the working set while one CIB is unpacked (never shared, never kept)."""

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


