"""Per-node resource history and failures, as crm_mon shows them.

* "Migration Summary" (-f): per online node (status order), each resource whose recorded
  fail count is above zero (crm_mon shows counts a failure-timeout has expired too):
  ``rsc: migration-threshold=1 fail-count=1 last-failure='…'``;
* "Operations" (-o): per online node, each resource's recorded operations by call id
  (probes that found it stopped and notifications left out);
* "Failed Resource Actions": every failed operation (probes that only found an agent
  missing are left out), in the order the unpacker recorded them.
"""

from __future__ import annotations

from dataclasses import dataclass

from harm.cib.status import NodeState, OpRecord, ResourceHistory
from harm.engine.state import ClusterState, FailedOp, ResourceState
from harm.mon.formats import (
    action_text,
    epoch_text,
    exec_status_text,
    exit_text,
    parse_op_key,
    readable_interval,
)
from harm.mon.snapshot import MonSnapshot


@dataclass(frozen=True)
class OpLine:
    """One operation of the "Operations" list."""

    call: int
    task: str  # "probe" for a zero-interval monitor
    interval_ms: int
    rc: int
    record: OpRecord


@dataclass(frozen=True)
class ResourceLine:
    """A resource's header in the node history: threshold, fail count, last failure."""

    id: str
    orphan: bool
    migration_threshold: int | None
    failcount: int
    last_failure: int | None
    ops: tuple[OpLine, ...] = ()

    def text(self) -> str:
        if self.orphan:
            return f"{self.id}: orphan"
        text = f"{self.id}: migration-threshold={self.migration_threshold}"
        if self.failcount > 0:
            text += f" fail-count={self.failcount}"
        if self.last_failure:
            text += f" last-failure='{epoch_text(self.last_failure)}'"
        return text


@dataclass(frozen=True)
class NodeHistoryBlock:
    node: str
    resources: tuple[ResourceLine, ...]


def node_history(snap: MonSnapshot, operations: bool) -> tuple[NodeHistoryBlock, ...] | None:
    """The blocks of "Migration Summary" (or "Operations"); None when no node is online.

    An empty tuple still means "print the heading": crm_mon does when any node is online.
    """
    state = snap.state
    blocks: list[NodeHistoryBlock] = []
    any_online = False
    for node_state in snap.cib.status.nodes:
        node = next((n for n in state.nodes if n.id == node_state.id), None)
        if node is None or not node.online:
            continue
        any_online = True
        lines = [line for line in (_resource_line(state, node.name, node_state, history,
                                                  operations)
                                   for history in node_state.resources) if line is not None]
        if lines:
            blocks.append(NodeHistoryBlock(node.name, tuple(lines)))
    return tuple(blocks) if any_online else None


def _resource_line(state: ClusterState, node: str, node_state: NodeState,
                   history: ResourceHistory, operations: bool) -> ResourceLine | None:
    rsc = find_history_resource(state, history.id, node)
    if not operations:
        if rsc is None:
            return None
        failcount = state.failcount(rsc.id, node)
        if failcount is None or failcount.raw_count <= 0:
            return None
        return ResourceLine(history.id, False, rsc.migration_threshold, failcount.raw_count,
                            failcount.last_failure)
    ops = []
    for record in _replay_order(rsc, node, history):
        task = action_text(record.operation, record.interval_ms)
        if record.operation == "notify" or (task == "probe" and record.rc == 7):
            continue
        ops.append(OpLine(record.call_id, task, record.interval_ms, record.rc, record))
    if not ops:
        return None
    if rsc is None:
        return ResourceLine(history.id, True, None, 0, None, tuple(ops))
    failcount = state.failcount(rsc.id, node)
    printable = rsc.config_id if not rsc.unique else rsc.id
    return ResourceLine(printable, False, rsc.migration_threshold,
                        failcount.raw_count if failcount else 0,
                        failcount.last_failure if failcount else None, tuple(ops))


def _replay_order(rsc: ResourceState | None, node: str,
                  history: ResourceHistory) -> tuple[OpRecord, ...]:
    """The records in the order the unpacker replayed them (Pacemaker's
    ``sort_op_by_callid``: pending calls and equal call ids have their own rules), else
    simply by call id."""
    replayed = rsc.history_on(node) if rsc is not None else None
    if replayed is not None and sorted(r.id for r in replayed.ops) == sorted(
            r.id for r in history.ops):
        return replayed.ops
    return tuple(sorted(history.ops, key=lambda r: r.call_id))


def find_history_resource(state: ClusterState, rsc_id: str, node: str) -> ResourceState | None:
    """The resource a history entry belongs to, as Pacemaker's ``pe_find_resource`` finds
    it: by id (at any level), else an anonymous clone instance by its configured name
    (``db:2`` finds an instance of ``db`` whatever its number), preferring the one holding
    a history on that node."""
    found = state.resource(rsc_id)
    if found is not None:
        return found
    base = rsc_id.split(":", 1)[0]
    fallback = None
    for rsc in state.primitives():
        if rsc.unique or rsc.config_id != base:
            continue
        if rsc.history_on(node) is not None:
            return rsc
        fallback = fallback or rsc
    return fallback


def history_lines(blocks: tuple[NodeHistoryBlock, ...] | None, operations: bool) -> list[str]:
    if blocks is None:
        return []
    lines = ["Operations:" if operations else "Migration Summary:"]
    for block in blocks:
        lines.append(f"  * Node: {block.node}:")
        for rsc in block.resources:
            if not operations:
                lines.append(f"    * {rsc.text()}")
                continue
            lines.append(f"    * {rsc.text()}:")
            for op in rsc.ops:
                text = f"({op.call}) {op.task}"
                if op.interval_ms:
                    text += f': interval="{op.interval_ms}ms"'
                lines.append(f"      * {text}")
    return lines


# ----------------------------------------------------------------------------- failed actions


def shown_failures(state: ClusterState) -> tuple[FailedOp, ...]:
    """Failed operations crm_mon lists (not probes that only found the agent missing)."""
    result = []
    for failed in state.failed_ops:
        record = failed.record
        if failed.is_probe and (record.rc in (2, 5) or record.status == 7):
            continue
        if parse_op_key(op_key(record)) is None:
            continue
        result.append(failed)
    return tuple(result)


def op_key(record: OpRecord) -> str:
    """The ``operation_key`` (``rsc_monitor_7000``), else the record id."""
    return dict(record.extra).get("operation_key") or record.id


def failed_action_text(failed: FailedOp) -> str:
    """``r_pgsql:0 7s-interval monitor on osspc30 returned 'not running' at … after 50ms``."""
    record = failed.record
    parsed = parse_op_key(op_key(record))
    rsc, task, interval = parsed if parsed else ("unknown resource", "unknown action", 0)
    text = f"{rsc} "
    if interval:
        text += f"{readable_interval(interval)}-interval "
    text += f"{action_text(task, interval)} on {failed.node}"
    if record.status == 0:
        text += f" returned '{exit_text(record.rc)}'"
        if record.exit_reason:
            text += f" ({record.exit_reason})"
    else:
        text += f" could not be executed ({exec_status_text(record.status)}"
        if record.exit_reason:
            text += f": {record.exit_reason}"
        text += ")"
    if record.last_rc_change is not None:
        text += f" at {epoch_text(record.last_rc_change)}"
    if record.exec_time:
        text += f" after {readable_interval(record.exec_time)}"
    return text


def failure_lines(state: ClusterState) -> list[str]:
    failures = shown_failures(state)
    if not failures:
        return []
    return ["Failed Resource Actions:"] + [f"  * {failed_action_text(f)}" for f in failures]
