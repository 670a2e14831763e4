"""Pure decisions of the pgsql agent: no I/O, no clock; every input is an argument.

Attribute values (the ones operators know from the stock agent):

    <rsc>-status       STOP | HS:alone | HS:async | HS:sync | HS:potential | PRI
    <rsc>-data-status  LATEST | STREAMING|SYNC | STREAMING|ASYNC | STREAMING|POTENTIAL
                       | DISCONNECT   (lifetime forever: kept across reboots)
    master-<rsc>       1000 primary or elected standby, 100 sync (or async-mode) standby,
                       -INFINITY otherwise

A standby that has lost its primary publishes ``<rsc>-candidate`` = ``TLI/LSN/UNIXTIME``
every monitor. After ``xlog_check_count`` such monitors it compares itself with the fresh
candidates of its peers (timeline first, then LSN, as PAF does); a candidate older than
``max_age`` belongs to a node that is gone and is ignored, so a departed node cannot block
the election with a stale value.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from .settings import RepMode, SyncFallback

STATUS_STOP = "STOP"
STATUS_ALONE = "HS:alone"
STATUS_ASYNC = "HS:async"
STATUS_SYNC = "HS:sync"
STATUS_POTENTIAL = "HS:potential"
STATUS_PRIMARY = "PRI"

DATA_LATEST = "LATEST"
DATA_SYNC = "STREAMING|SYNC"
DATA_ASYNC = "STREAMING|ASYNC"
DATA_POTENTIAL = "STREAMING|POTENTIAL"
DATA_DISCONNECT = "DISCONNECT"

SCORE_PRIMARY = "1000"
SCORE_STANDBY = "100"
SCORE_NEVER = "-INFINITY"


def parse_lsn(text: str) -> int:
    """``0/3000060`` (PostgreSQL) or ``0000000003000060`` (xlog-loc) as an integer."""
    if "/" in text:
        high, low = text.split("/", 1)
        return (int(high, 16) << 32) | int(low, 16)
    return int(text, 16)


def format_lsn(lsn: int) -> str:
    """The stock agent's ``xlog-loc`` form: 16 hex digits."""
    return f"{lsn >> 32:08X}{lsn & 0xFFFFFFFF:08X}"


@dataclass(frozen=True, order=True)
class Position:
    """How far a node's data goes: timeline first, then LSN."""

    timeline: int
    lsn: int

    def encode(self, stamp: float) -> str:
        return f"{self.timeline}/{format_lsn(self.lsn)}/{int(stamp)}"


@dataclass(frozen=True)
class Candidate:
    node: str
    position: Position
    stamp: float


def decode_candidate(node: str, text: str | None) -> Candidate | None:
    """Read a ``TLI/LSN/UNIXTIME`` value; anything malformed is no candidate."""
    if not text:
        return None
    parts = text.split("/")
    if len(parts) != 3:
        return None
    try:
        return Candidate(node, Position(int(parts[0]), int(parts[1], 16)), float(parts[2]))
    except ValueError:
        return None


def promotion_refusal(data_status: str | None, rep_mode: RepMode) -> str | None:
    """Why a standby with this data status must not become primary (None: it may).

    DISCONNECT means the primary saw this node fall behind: its data may lack commits.
    In sync mode only a node that was the synchronous standby (or the primary) is known
    to hold every commit; in async mode an asynchronous standby is accepted. A node that
    never had a data status (a new cluster) may be promoted.
    """
    if data_status is None or data_status in {DATA_LATEST, DATA_SYNC}:
        return None
    if data_status == DATA_ASYNC and rep_mode is RepMode.ASYNC:
        return None
    if data_status == DATA_DISCONNECT:
        return "its data status is DISCONNECT: it fell behind the primary and may lack commits"
    return (
        f"its data status is {data_status}, not LATEST or STREAMING|SYNC"
        f" in {rep_mode.value} mode"
    )


@dataclass(frozen=True)
class Election:
    """The outcome of one standby's election round: the score to publish and why."""

    score: str
    reason: str


def elect(
    me: Candidate,
    *,
    peers: Sequence[Candidate],
    data_status: str | None,
    rep_mode: RepMode,
    now: float,
    max_age: float,
) -> Election:
    """The promotion score a standby without a primary gives itself."""
    refusal = promotion_refusal(data_status, rep_mode)
    if refusal:
        return Election(SCORE_NEVER, f"{me.node} may not be promoted: {refusal}")
    live = [p for p in peers if now - p.stamp <= max_age]
    stale = sorted(p.node for p in peers if now - p.stamp > max_age)
    ahead = sorted(p.node for p in live if p.position > me.position)
    note = f" (ignored stale candidates of {', '.join(stale)})" if stale else ""
    if ahead:
        return Election(
            SCORE_NEVER, f"{me.node} is behind {', '.join(ahead)}{note}"
        )
    return Election(
        SCORE_PRIMARY,
        f"{me.node} has the most recent data (timeline {me.position.timeline}, "
        f"lsn {format_lsn(me.position.lsn)}){note}",
    )


def parse_history(text: str) -> tuple[tuple[int, int], ...]:
    """A timeline history file: ``(timeline, LSN where it ended)`` for each ancestor."""
    out = []
    for line in text.splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[0].isdigit():
            try:
                out.append((int(parts[0]), parse_lsn(parts[1])))
            except ValueError:
                continue
    return tuple(out)


def diverged(mine: Position, primary_timeline: int,
             history: Sequence[tuple[int, int]]) -> bool:
    """Has this standby's data gone past the point where the primary's history left its
    timeline (so it cannot follow the primary without pg_rewind)?"""
    if mine.timeline == primary_timeline:
        return False
    ends = dict(history)
    if mine.timeline not in ends:
        return True  # a timeline the primary never had
    return mine.lsn > ends[mine.timeline]


@dataclass(frozen=True)
class Replica:
    """One row of ``pg_stat_replication`` on the primary."""

    application_name: str
    state: str  # startup | catchup | streaming | backup | stopping
    sync_state: str  # async | potential | sync | quorum


@dataclass(frozen=True)
class PeerView:
    """What the primary publishes about one standby node."""

    status: str | None  # None: leave the peer's own status alone
    data_status: str
    score: str


@dataclass(frozen=True)
class ReplicationPlan:
    sync_names: tuple[str, ...]
    read_only: bool
    peers: Mapping[str, PeerView]


def quote_standby_names(names: Sequence[str]) -> str:
    """The value of synchronous_standby_names: ``FIRST 1 ("a", "b")`` or empty."""
    if not names:
        return ""
    quoted = ", ".join('"' + n.replace('"', '""') + '"' for n in names)
    return f"FIRST 1 ({quoted})"


def plan_replication(
    replicas: Sequence[Replica],
    *,
    peers: Sequence[str],
    peer_status: Mapping[str, str | None],
    rep_mode: RepMode,
    fallback: SyncFallback,
    current_sync: Sequence[str],
    may_act_alone: bool = True,
) -> ReplicationPlan:
    """From what the primary sees, the attributes of each peer and the sync settings.

    In sync mode every streaming standby is listed in synchronous_standby_names (in
    node_list order; the first is synchronous, the others potential). When none streams,
    ``async`` fallback empties the list so writes go on, ``refuse`` keeps the list (commits
    wait) and turns new transactions read-only until a standby is back. The async fallback
    applies only while the primary ``may_act_alone`` (its partition has quorum, or
    no-quorum-policy is ignore): a primary cut off from the rest of the cluster must not
    acknowledge commits the other side may never see, so it refuses instead.
    """
    by_name = {r.application_name: r for r in replicas}
    views: dict[str, PeerView] = {}
    streaming: list[str] = []
    for node in peers:
        row = by_name.get(node)
        if row is not None and row.state == "streaming":
            streaming.append(node)
            if row.sync_state in {"sync", "quorum"}:
                views[node] = PeerView(STATUS_SYNC, DATA_SYNC, SCORE_STANDBY)
            elif row.sync_state == "potential":
                views[node] = PeerView(STATUS_POTENTIAL, DATA_POTENTIAL, SCORE_NEVER)
            else:
                score = SCORE_STANDBY if rep_mode is RepMode.ASYNC else SCORE_NEVER
                views[node] = PeerView(STATUS_ASYNC, DATA_ASYNC, score)
        else:
            before = peer_status.get(node)
            was_replicating = before in {STATUS_SYNC, STATUS_ASYNC, STATUS_POTENTIAL}
            views[node] = PeerView(
                STATUS_ALONE if was_replicating else None, DATA_DISCONNECT, SCORE_NEVER
            )
    if rep_mode is not RepMode.SYNC:
        return ReplicationPlan((), False, views)
    if streaming:
        return ReplicationPlan(tuple(streaming), False, views)
    if fallback is SyncFallback.REFUSE or not may_act_alone:
        kept = tuple(current_sync) or tuple(peers)
        return ReplicationPlan(kept, True, views)
    return ReplicationPlan((), False, views)
