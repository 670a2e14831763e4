"""Step 4: each node's operation history, replayed by call id (Pacemaker's
``unpack_lrm_resources``, ``unpack_rsc_op`` and ``process_rsc_state``).
"""

from __future__ import annotations

from harm.cib.config import (
    AgentRef,
    Clone,
    Role,
    is_true,
)
from harm.cib.scores import INFINITY
from harm.cib.status import OpRecord, ResourceHistory
from harm.engine.state import (
    Ban,
    FailedOp,
    OnFail,
    Variant,
)
from harm.engine.unpacking.failures import FailuresUnpacker
from harm.engine.unpacking.model import (
    _PROMOTED,
    _RANK,
    _RC_ERR_ARGS,
    _RC_ERR_CONFIGURED,
    _RC_ERR_INSTALLED,
    _RC_ERR_PERM,
    _RC_ERR_UNIMPLEMENTED,
    _RC_FAILED_PROMOTED,
    _RC_NOT_RUNNING,
    _RC_OK,
    _RC_RUNNING_PROMOTED,
    _ST_CANCELLED,
    _ST_DONE,
    _ST_ERROR,
    _ST_ERROR_FATAL,
    _ST_ERROR_HARD,
    _ST_NO_FENCE_DEVICE,
    _ST_NO_SECRETS,
    _ST_NOT_INSTALLED,
    _ST_NOT_SUPPORTED,
    _ST_PENDING,
    _STARTED,
    _STOPPED,
    _UNKNOWN,
    _UNPROMOTED,
    _active_monitors,
    _base_name,
    _find_member,
    _find_op,
    _Hist,
    _interval,
    _masked_probe_failure,
    _Node,
    _op_key,
    _OpState,
    _Rsc,
    _sorted_ops,
    _target_rc,
)


class HistoryUnpacker(FailuresUnpacker):
    """Operation histories: matched to resources and replayed."""

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

