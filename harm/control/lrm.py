"""This node's own operation history, as Pacemaker's controller records it in the CIB.

Each node is the authority on what ran on it: the executor's results are recorded here
and the node sends its whole history to the coordinator, which puts it in the status
section (``lrm_resources`` of this node's ``node_state``). Rules (Pacemaker's):

- a one-shot operation (start, stop, promote, demote, probe) replaces ``RSC_last_0``;
- a recurring operation keeps its own entry ``RSC_monitor_INTERVAL`` while it runs; a
  cancelled one (stopped by the coordinator, or by a stop of its resource) is removed;
- a failure is also kept in ``RSC_last_failure_0`` (until a cleanup forgets it);
- notifications and meta-data calls are not recorded.

Pure apart from being mutable: no clock, no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from harm.cib.status import ExecStatus, OpRecord, ResourceHistory
from harm.executor.result import OpResult

NOT_RECORDED = frozenset({"notify", "meta-data", "validate-all"})


@dataclass
class _Entry:
    cls: str
    provider: str | None
    type: str
    ops: dict[str, OpRecord] = field(default_factory=dict)


@dataclass
class LocalHistory:
    """Operation records of every resource that ran on this node."""

    _resources: dict[str, _Entry] = field(default_factory=dict)

    def record(self, result: OpResult) -> bool:
        """Record one result; True when the history changed."""
        request = result.request
        if request.action in NOT_RECORDED:
            return False
        agent = request.agent
        entry = self._resources.setdefault(
            request.rsc, _Entry(agent.cls, agent.provider if agent.cls == "ocf" else None,
                                agent.type))
        if result.status == ExecStatus.CANCELLED:
            return entry.ops.pop(result.record_id(), None) is not None
        key = (("operation_key", request.key),)
        entry.ops[result.record_id()] = replace(result.op_record(), extra=key)
        failure = result.failure_record()
        if failure is not None:
            entry.ops[failure.id] = replace(failure, extra=key)
        return True

    def forget(self, rsc: str | None = None) -> bool:
        """Drop the history of ``rsc`` (every resource when None), as a cleanup does, so the
        coordinator probes it again. True when something was dropped."""
        if rsc is None:
            changed = bool(self._resources)
            self._resources.clear()
            return changed
        names = [name for name in self._resources
                 if name == rsc or name.split(":", 1)[0] == rsc]
        for name in names:
            del self._resources[name]
        return bool(names)

    def resources(self) -> tuple[ResourceHistory, ...]:
        """The ``lrm_resource`` entries, in the order resources were first seen."""
        return tuple(
            ResourceHistory(
                id=name, cls=entry.cls, provider=entry.provider, type=entry.type,
                ops=tuple(sorted(entry.ops.values(), key=lambda op: op.call_id)))
            for name, entry in self._resources.items())

    def promoted(self) -> bool:
        """Does a resource run promoted here, as its latest result says (a promote that
        succeeded, or a probe or monitor that found it promoted)?"""
        for entry in self._resources.values():
            ops = [op for op in entry.ops.values() if not op.is_failure_record]
            if not ops:
                continue
            last = max(ops, key=lambda op: op.call_id)
            if last.rc == 8 or (last.operation == "promote" and last.rc == 0):
                return True
        return False

    def max_call_id(self) -> int:
        return max((op.call_id for entry in self._resources.values()
                    for op in entry.ops.values()), default=0)
