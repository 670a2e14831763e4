"""The coordinator's (DC's) side of fencing.

    a node leaves ──► unclean (its last history kept, "expected member", not in the
                      membership): the engine sees a node that must be fenced, and its
                      resources stay where they were (blocked) until it is
    engine: Fence ──► start(): a plan (harm.fencing.plan) run here, or by another member
                      when this node is the target; a "pending" event in the history
    outcome ───────► the event is completed (who, whom, action, when, device, result);
                      success: the node is clean (down, no resources) and the graph's
                      fence action confirmed, so recovery elsewhere can go on; failure:
                      the action fails, the transition is recomputed and the fence tried
                      again, not sooner than the retry back-off, escalating through the
                      levels each time

The history travels in the CIB's status section (``<fencing_history>``), so every node
has it and a new DC starts from it; so do the unclean nodes (their ``node_state``), which
a new DC takes over from its replica (a node that was online or unclean there and is not
a member now must be fenced).
"""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from harm.cib.cib import Cib
from harm.cib.status import (
    FENCE_HISTORY_KEPT,
    FenceEvent,
    FenceState,
    NodeState,
    ResourceHistory,
)
from harm.errors import ControlError
from harm.fencing.fencer import FenceOutcome
from harm.fencing.plan import RETRY_BACKOFF_MS, FencePlan, fencing_active, plan
from harm.fencing.priority import node_priorities

if TYPE_CHECKING:
    from harm.control.coordinator import Coordinator
    from harm.engine.state import ClusterState

log = logging.getLogger("harm.control.dc")

FENCE_ACTIONS = ("reboot", "off", "on")


ADOPTED_DEADLINE_MS = 180_000  # an operation a previous DC started, still under way


@dataclass
class _Operation:
    target: str
    action: str
    runner: str
    origin: str
    client: str
    deadline: int
    graph_action: int | None = None  # the transition's fence action it stands for
    reply_to: list[tuple[str, str]] | None = None  # operators' requests: (origin, id)
    adopted: bool = False  # a previous DC started it


class DcFencing:
    """Fencing state of one :class:`~harm.control.coordinator.Coordinator`."""

    def __init__(self, dc: Coordinator) -> None:
        self.dc = dc
        self.unclean: dict[str, tuple[ResourceHistory, ...]] = {}
        self.history: list[FenceEvent] = []
        self.operations: dict[str, _Operation] = {}
        self.failed_at: dict[str, int] = {}
        self.fenced: set[str] = set()  # fenced off, and not a member since
        self._seq = 0
        self._random = random.Random()

    @property
    def active(self) -> bool:
        return fencing_active(self.dc.ctl.cib.configuration)

    # ------------------------------------------------------------------ unclean nodes

    def take_over(self, replica: Cib, members: frozenset[str],
                  others: list[Cib] | None = None) -> None:
        """Start from the replica: its history merged with the members' (a node that
        restarted has an old replica), and every node that was online or unclean there and
        is no member now (unless fencing is off)."""
        self.history = merge_histories([replica, *(others or [])])
        now = self.dc.io.now_ms()
        for index, event in enumerate(self.history):
            if event.state is not FenceState.PENDING or event.id in self.operations:
                continue
            if event.delegate in members:  # it may still report: wait for it
                self.operations[event.id] = _Operation(
                    event.target, event.action, event.delegate, event.origin, event.client,
                    now + ADOPTED_DEADLINE_MS, adopted=True)
            else:
                self.history[index] = replace(
                    event, state=FenceState.FAILED,
                    exit_reason="the node running it left before it ended")
        if not self.active:
            return
        for state in replica.status.nodes:
            if state.uname in members or state.uname == self.dc.ctl.node:
                continue
            if state.in_ccm or (state.expected == "member" and not state.in_ccm
                                and state.resources):
                log.warning("%s is not a member and may still run resources: it must be "
                            "fenced", state.uname)
                self.unclean[state.uname] = state.resources

    def node_lost(self, node: str, resources: tuple[ResourceHistory, ...]) -> None:
        if node in self.fenced:
            return  # its loss is the fence this DC saw succeed
        if self.active:
            log.warning("%s is lost: its resources stay where they were until it is fenced",
                        node)
            self.unclean[node] = resources

    def node_back(self, node: str) -> None:
        """A member again: it tells its own history."""
        self.unclean.pop(node, None)
        self.fenced.discard(node)

    def node_state(self, uname: str, node_id: str) -> NodeState | None:
        """The state the engine must see for an unclean node (None when it is not)."""
        resources = self.unclean.get(uname)
        if resources is None:
            return None
        return NodeState(id=node_id, uname=uname, in_ccm=False, crmd="offline", join="down",
                         expected="member", resources=resources)

    # ------------------------------------------------------------------ operations

    def _next_id(self) -> str:
        self._seq += 1
        return f"{self.dc.ctl.node}-{self.dc.io.wall()}-{self._seq}"

    def start(self, target: str, action: str, *, graph_action: int | None = None,
              client: str = "harm-dc", state: ClusterState | None = None,
              reply_to: tuple[str, str] | None = None, ident: str | None = None
              ) -> str | None:
        """Begin fencing ``target``; the operation's id, or None when nobody may fence it
        (the reason is recorded as a failed event)."""
        dc, config = self.dc, self.dc.ctl.cib.configuration
        for known, op in self.operations.items():
            if op.target == target and (op.action == action or (graph_action is not None
                                        and op.action in ("reboot", "off"))):
                if graph_action is not None:
                    op.graph_action = graph_action
                if reply_to is not None:
                    op.reply_to = [*(op.reply_to or []), reply_to]
                return known  # already under way
        now = dc.io.now_ms()
        backoff = 0
        if target in self.failed_at:
            backoff = max(0, self.failed_at[target] + RETRY_BACKOFF_MS - now)
        configured = config.node_by_uname(target)
        attrs = {}
        if configured is not None:
            for nvset in configured.attributes:
                attrs.update(dict(nvset.pairs))
        priorities = node_priorities(state) if state is not None else {}
        ident = ident or self._next_id()
        found = plan(config, plan_id=ident, target=target, action=action, local=dc.ctl.node,
                     members=dc.members, attrs=attrs, priorities=priorities,
                     cluster_size=max(len(config.nodes), len(dc.members)),
                     random_fraction=self._random.random(), backoff_ms=backoff,
                     client=client)
        if found is None:
            self._record(FenceEvent(ident, target, action, FenceState.FAILED, dc.ctl.node,
                                    client, dc.io.wall(),
                                    exit_reason="no other node may fence it"))
            self.failed_at[target] = now
            return None
        self.operations[ident] = _Operation(
            target, action, found.runner, found.origin, client, now + found.deadline_ms(),
            graph_action, [reply_to] if reply_to else None)
        self._record(FenceEvent(ident, target, action, FenceState.PENDING, dc.ctl.node,
                                client, dc.io.wall(), delegate=found.runner))
        log.info("fencing %s (%s) by %s: %d level(s), %d ms delay first", target, action,
                 found.runner, len(found.levels), found.delay_ms)
        if found.runner == dc.ctl.node:
            dc.io.fence(found)
        else:
            dc.io.send("fence", plan_message(found), found.runner)
        dc.publish()
        return ident

    def outcome(self, outcome: FenceOutcome) -> None:
        """A fencing operation ended (here or on the member that ran it)."""
        dc = self.dc
        op = self.operations.pop(outcome.plan_id, None)
        state = FenceState.SUCCESS if outcome.ok else FenceState.FAILED
        self._record(FenceEvent(outcome.plan_id, outcome.target, outcome.action, state,
                                outcome.origin, outcome.client, outcome.completed,
                                delegate=outcome.delegate, device=outcome.device,
                                exit_reason=outcome.reason))
        if outcome.ok:
            log.info("%s was fenced (%s) by %s with %s", outcome.target, outcome.action,
                     outcome.delegate, outcome.device)
            if outcome.action != "on":
                self.unclean.pop(outcome.target, None)
                if outcome.target not in dc.members:
                    self.fenced.add(outcome.target)
            self.failed_at.pop(outcome.target, None)
        else:
            log.error("fencing %s (%s) failed: %s", outcome.target, outcome.action,
                      outcome.reason)
            self.failed_at[outcome.target] = dc.io.now_ms()
        if op is not None and op.graph_action is not None and dc.graph is not None:
            dc.graph.confirm(op.graph_action, failed=not outcome.ok)
        for origin, ident in (op.reply_to or []) if op is not None else []:
            dc._reply(origin, ident, outcome.ok,
                      None if outcome.ok else f"fencing {outcome.target} failed: "
                      f"{outcome.reason}")
        dc._changed(f"fencing of {outcome.target} {state.value}")

    def tick(self, now: int) -> None:
        for ident, op in list(self.operations.items()):
            if now >= op.deadline:
                self.outcome(FenceOutcome(
                    ident, op.target, op.action, False, op.runner, "", "no result in time",
                    op.origin, op.client, self.dc.io.wall()))

    @property
    def waiting(self) -> bool:
        """A fencing operation a previous DC started is still under way: no transition
        until it ends (its target may be this very node, back from the power cycle the
        operation is in the middle of, which must not recover anything before it ends)."""
        return any(op.adopted for op in self.operations.values())

    def next_deadline(self) -> int | None:
        return min((op.deadline for op in self.operations.values()), default=None)

    def lose_runner(self, node: str) -> None:
        """``node`` left while running a fencing operation: it failed."""
        for ident, op in list(self.operations.items()):
            if op.runner == node and node != self.dc.ctl.node:
                self.outcome(FenceOutcome(
                    ident, op.target, op.action, False, node, "",
                    f"{node} left before it reported", op.origin, op.client,
                    self.dc.io.wall()))

    def operator_request(self, origin: str, ident: str, message: dict[str, Any]) -> None:
        """``harm node fence NODE [--off|--on]``: answered when the fence has ended."""
        target, action = message.get("node"), message.get("action") or "reboot"
        if not isinstance(target, str) or not target:
            raise ControlError("fence needs a node")
        if action not in FENCE_ACTIONS:
            raise ControlError(f"fence action must be one of {', '.join(FENCE_ACTIONS)}")
        if self.dc.ctl.cib.configuration.node_by_uname(target) is None and \
                target not in self.dc.members:
            raise ControlError(f"{target} is not a node of this cluster")
        # the same request again (passed on to a new DC after the old one went): the
        # operation it started, not a second one
        op_id = f"op-{ident}"
        for event in self.history:
            if event.id == op_id and event.state is not FenceState.PENDING:
                ok = event.state is FenceState.SUCCESS
                self.dc._reply(origin, ident, ok, None if ok else
                               f"fencing {target} failed: {event.exit_reason}")
                return
        if op_id in self.operations:
            op = self.operations[op_id]
            op.reply_to = [*(op.reply_to or []), (origin, ident)]
            return
        started = self.start(target, str(action), client="harm node fence",
                             reply_to=(origin, ident), ident=op_id)
        if started is None:
            raise ControlError(f"no other node may fence {target}")

    def _record(self, event: FenceEvent) -> None:
        for index, old in enumerate(self.history):
            if old.id == event.id:
                self.history[index] = event
                break
        else:
            self.history.append(event)
        del self.history[:-FENCE_HISTORY_KEPT]


def merge_histories(cibs: list[Cib]) -> list[FenceEvent]:
    """Every event any of the CIBs knows, by id (a finished one wins over pending), oldest
    first, the newest :data:`FENCE_HISTORY_KEPT`."""
    found: dict[str, FenceEvent] = {}
    for cib in cibs:
        for event in cib.status.fencing:
            known = found.get(event.id)
            if known is None or known.state is FenceState.PENDING:
                found[event.id] = event
    ordered = sorted(found.values(), key=lambda e: e.completed)
    return ordered[-FENCE_HISTORY_KEPT:]


def plan_message(found: FencePlan) -> dict[str, Any]:
    """What the DC sends the member that runs a plan (it rebuilds the levels from its own
    replica of the configuration, the same one)."""
    return {"id": found.id, "target": found.target, "action": found.action,
            "delay_ms": found.delay_ms, "origin": found.origin, "client": found.client}


def plan_from_message(config_cib: Cib, local: str, payload: dict[str, Any]) -> FencePlan:
    """The plan a member runs for the DC (see :func:`plan_message`)."""
    try:
        ident, target = str(payload["id"]), str(payload["target"])
        action, delay = str(payload["action"]), int(payload["delay_ms"])
        origin, client = str(payload["origin"]), str(payload["client"])
    except (KeyError, TypeError, ValueError):
        raise ControlError("malformed fence message") from None
    if target == local:
        raise ControlError("asked to fence this node itself")
    config = config_cib.configuration
    configured = config.node_by_uname(target)
    attrs = {}
    if configured is not None:
        for nvset in configured.attributes:
            attrs.update(dict(nvset.pairs))
    found = plan(config, plan_id=ident, target=target, action=action, local=local,
                 members=frozenset({local, target}), attrs=attrs, priorities={},
                 cluster_size=0, random_fraction=0.0, origin=origin, client=client)
    if found is None:
        raise ControlError(f"no device may fence {target} here")
    return replace(found, delay_ms=delay)
