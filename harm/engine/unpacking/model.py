"""The unpacker's working records (mutable, never leaving the unpacking) and the small
rules about operation records that the steps share.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, field

from harm.cib.config import (
    ROLE_RANK,
    AgentRef,
    Op,
    Role,
    is_true,
)
from harm.cib.durations import parse_ms
from harm.cib.scores import INFINITY
from harm.cib.status import ExecStatus, OcfRc, OpRecord
from harm.engine.state import (
    CloneSettings,
    NodeInfo,
    OnFail,
    Variant,
)

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

