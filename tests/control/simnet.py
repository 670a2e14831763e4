"""An in-memory cluster of real :class:`~harm.control.controller.Controller`\\ s.

Everything around the controllers is simulated, deterministically and on a virtual clock:

    SimNet ─┬─ bus ........ every message goes through the real wire Encoder/Decoder; kept in
            │               one queue, so each sender's messages arrive in order; addressed to
            │               one node or to every other node the sender can reach; a partition
            │               (or a node going down) drops what is in flight across it;
            │               ``lose_next`` loses one message and reports the gap, as the
            │               membership layer does
            ├─ views ...... the test drives membership: each node's View holds the up nodes
            │               of its side of the partition
            └─ SimNode ──── the controller's Io, one per node
                 ├─ SimExecutor  runs requests in order on this node, recurring monitors
                 │               every interval (reporting the first result and changes
                 │               only, as harm's executor does), cancels with a CANCELLED
                 │               result, and a stop cancels the resource's monitors first;
                 │               results reach the controller through an inbox, never
                 │               inside the controller's own call
                 └─ Machine ...  what really runs on the node (it survives a harmd restart)
                                 and the failures a test wants the next call to return

Agents (chosen by the agent's type):

    Dummy     start/stop; monitor: 0 when running, else 7
    Stateful  start (unpromoted), promote, demote, stop; monitor: 8 promoted, 0 unpromoted,
              7 stopped. On start, and on a probe that finds it running, it writes its
              promotion score ``master-<primitive>`` through its controller
              (``submit_request({"op": "attribute", ...})``); on stop it deletes it, as
              Pacemaker's stock Stateful agent does with crm_master.

Nothing runs in the background: :meth:`SimNet.drain` delivers messages and runs queued
operations until nothing is left, :meth:`SimNet.advance` moves the clock, calling each
controller's ``tick`` at every deadline on the way.
"""

from __future__ import annotations

from collections import Counter, deque
from dataclasses import dataclass, field
from typing import Any

from harm.cib.cib import Cib
from harm.cib.config import Role
from harm.cib.status import ExecStatus
from harm.control.controller import Controller
from harm.control.failures import failure_name
from harm.control.wire import Decoder, Encoder
from harm.executor.digest import op_digest
from harm.executor.request import OpRequest
from harm.executor.result import OpResult
from harm.fencing.fencer import FenceOutcome
from harm.fencing.plan import FencePlan
from harm.membership.events import View

WALL_START = 1_700_000_000  # wall-clock seconds at virtual time 0
MAX_STEPS = 200_000

OCF_SUCCESS, OCF_ERR_GENERIC, OCF_NOT_RUNNING, OCF_RUNNING_PROMOTED = 0, 1, 7, 8


Sent = tuple[str, tuple[str, ...], str, list[bytes]]  # sender, targets, kind, chunks


class LivelockError(AssertionError):
    """The cluster kept exchanging messages or running operations without end."""


@dataclass(frozen=True)
class OpLog:
    """One operation an executor ran (cancellations are not logged)."""

    at: int  # virtual ms
    node: str
    rsc: str
    action: str
    interval_ms: int
    rc: int

    @property
    def resource(self) -> str:
        return failure_name(self.rsc)


@dataclass
class Machine:
    """What runs on one node, whatever harmd does: resource (primitive id) → role."""

    roles: dict[str, Role] = field(default_factory=dict)
    fail_next: dict[tuple[str, str], int] = field(default_factory=dict)  # (rsc, action) → rc


@dataclass
class _Recurring:
    request: OpRequest
    call_id: int
    due: int
    last: tuple[int, int] | None = None  # (rc, status) last reported


class SimExecutor:
    """One node's executor: requests run in order, each when :meth:`run_one` is called."""

    def __init__(self, node: SimNode) -> None:
        self.node = node
        self.queue: deque[tuple[OpRequest, int, _Recurring | None]] = deque()
        self.recurring: dict[str, _Recurring] = {}
        self.call_id = 0

    def submit(self, request: OpRequest) -> None:
        if request.action == "stop":
            for key in [k for k, r in self.recurring.items() if r.request.rsc == request.rsc]:
                self._cancel(key)
        self.call_id += 1
        rec = None
        if request.recurring:
            old = self.recurring.pop(request.key, None)
            if old is not None:
                self.queue = deque(job for job in self.queue if job[2] is not old)
            rec = _Recurring(request, self.call_id, due=self.node.net.now + request.interval_ms)
            self.recurring[request.key] = rec
        self.queue.append((request, self.call_id, rec))

    def cancel(self, rsc: str, action: str, interval_ms: int) -> None:
        self._cancel(f"{rsc}_{action}_{interval_ms}")

    def _cancel(self, key: str) -> None:
        rec = self.recurring.pop(key, None)
        if rec is None:
            return
        self.queue = deque(job for job in self.queue if job[2] is not rec)
        rc = rec.last[0] if rec.last is not None else 0
        self.node.deliver(self.node.result(rec.request, rec.call_id, rc, ExecStatus.CANCELLED))

    def due(self) -> int | None:
        """When the next recurring run is due."""
        return min((r.due for r in self.recurring.values()), default=None)

    def queue_due(self, now: int) -> None:
        for rec in self.recurring.values():
            if rec.due <= now and all(job[2] is not rec for job in self.queue):
                rec.due = now + rec.request.interval_ms
                self.queue.append((rec.request, rec.call_id, rec))

    def run_one(self) -> bool:
        if not self.queue:
            return False
        request, call_id, rec = self.queue.popleft()
        if rec is not None and self.recurring.get(request.key) is not rec:
            return True  # cancelled meanwhile
        rc = self.node.run_agent(request)
        net = self.node.net
        net.ops.append(OpLog(net.now, self.node.name, request.rsc, request.action,
                             request.interval_ms, rc))
        if rec is not None:
            outcome = (rc, int(ExecStatus.DONE))
            if rec.last == outcome:
                return True  # a recurring operation reports changes only
            rec.last = outcome
        self.node.deliver(self.node.result(request, call_id, rc, ExecStatus.DONE))
        return True


class SimNode:
    """One node: a controller, its Io, its executor and its machine."""

    def __init__(self, net: SimNet, name: str, cib: Cib, machine: Machine | None = None) -> None:
        self.net = net
        self.name = name
        self.encoder = Encoder()
        self.decoder = Decoder()
        self.executor = SimExecutor(self)
        self.machine = machine if machine is not None else Machine()
        self.results: deque[OpResult] = deque()  # the executor's inbox
        self.persisted: Cib = cib
        self.inputs: list[Cib] = []  # the engine inputs this node saved as DC
        self.up = True
        self.controller = Controller(node=name, io=self, cib=cib, all_nodes=net.names,
                                     startup_until=net.now + net.initdead_ms)

    # ------------------------------------------------------------------ Io

    def send(self, kind: str, payload: dict[str, Any], dest: str | None = None) -> None:
        if not self.up:
            return
        if dest is None:
            targets = tuple(n for n in self.net.names
                            if n != self.name and self.net.connected(self.name, n))
        else:
            targets = (dest,)
        chunks = self.encoder.encode(kind, payload)
        self.net.bus.append((self.name, targets, kind, chunks))
        self.net.largest = max(self.net.largest, len(chunks))
        self.net.sent[kind] += 1

    def submit(self, request: OpRequest) -> None:
        self.executor.submit(request)

    def cancel(self, rsc: str, action: str, interval_ms: int) -> None:
        self.executor.cancel(rsc, action, interval_ms)

    def persist(self, cib: Cib, xml: str) -> None:
        self.persisted = cib

    def save_input(self, cib: Cib) -> None:
        self.inputs.append(cib)

    def now_ms(self) -> int:
        return self.net.now

    def wall(self) -> int:
        return WALL_START + self.net.now // 1000

    def fence(self, plan: FencePlan) -> None:
        """Queue a fencing operation: :meth:`SimNet.drain` carries it out (the device works
        while ``net.fence_works``; a working fence crashes the target)."""
        if self.up:  # it ends after the plan's delay
            self.net.fences.append((self.net.now + plan.delay_ms, self.name, plan))

    # ------------------------------------------------------------------ executor side

    def result(self, request: OpRequest, call_id: int, rc: int, status: ExecStatus) -> OpResult:
        wall = self.wall()
        return OpResult(request=request, node=self.name, call_id=call_id, rc=rc, status=status,
                        exit_reason=None, stdout="", stderr="", exec_ms=1, queue_ms=0,
                        started=wall, rc_changed=wall, digest=op_digest(request))

    def deliver(self, result: OpResult) -> None:
        """Results reach the controller from the daemon loop, never inside its own call."""
        self.results.append(result)

    def report_one(self) -> bool:
        if not self.results:
            return False
        self.controller.on_result(self.results.popleft())
        return True

    def run_agent(self, request: OpRequest) -> int:
        rsc = failure_name(request.rsc)
        forced = self.machine.fail_next.pop((rsc, request.action), None)
        if forced is not None:
            return forced
        if request.agent.type == "Stateful":
            return self._stateful(rsc, request.action, request.interval_ms)
        return self._dummy(rsc, request.action)

    def _dummy(self, rsc: str, action: str) -> int:
        roles = self.machine.roles
        if action == "start":
            roles[rsc] = Role.STARTED
        elif action == "stop":
            roles.pop(rsc, None)
        elif action == "monitor":
            return OCF_SUCCESS if rsc in roles else OCF_NOT_RUNNING
        return OCF_SUCCESS

    def _stateful(self, rsc: str, action: str, interval_ms: int) -> int:
        roles = self.machine.roles
        role = roles.get(rsc)
        if action == "monitor":
            if role is None:
                return OCF_NOT_RUNNING
            if interval_ms == 0:  # a probe restores the score, as the stock agent's does
                self._promotion_score(rsc, str(self.net.promotion_score(self.name, rsc)))
            return OCF_RUNNING_PROMOTED if role is Role.PROMOTED else OCF_SUCCESS
        if action == "start":
            roles[rsc] = Role.UNPROMOTED
            self._promotion_score(rsc, str(self.net.promotion_score(self.name, rsc)))
        elif action == "stop":
            roles.pop(rsc, None)
            self._promotion_score(rsc, None)
        elif action == "promote":
            if role is None:
                return OCF_NOT_RUNNING
            roles[rsc] = Role.PROMOTED
        elif action == "demote":
            if role is None:
                return OCF_NOT_RUNNING
            roles[rsc] = Role.UNPROMOTED
        return OCF_SUCCESS

    def _promotion_score(self, rsc: str, value: str | None) -> None:
        self.controller.submit_request({"op": "attribute", "node": self.name,
                                        "name": f"master-{rsc}", "value": value,
                                        "lifetime": "reboot", "delay_ms": 0})

    # ------------------------------------------------------------------ messages

    def receive(self, sender: str, chunk: bytes) -> None:
        envelope = self.decoder.feed(sender, chunk)
        if envelope is not None:
            self.controller.on_message(envelope.sender, envelope.kind, envelope.payload)


class SimNet:
    """The cluster: nodes, the message bus, membership and the virtual clock."""

    def __init__(self, names: tuple[str, ...], cib: Cib | None = None,
                 initdead_ms: int = 0,
                 promotion_scores: dict[str, int] | None = None) -> None:
        self.names = tuple(names)
        self.now = 0
        self.initdead_ms = initdead_ms
        self.scores = dict(promotion_scores or {})
        self.bus: deque[Sent] = deque()
        self.losses: list[tuple[str, str, str]] = []  # (sender, target, kind) to lose once
        self.groups: list[frozenset[str]] = [frozenset(self.names)]
        self.ops: list[OpLog] = []
        self.sent: Counter[str] = Counter()
        self.dropped = 0
        self.lost = 0
        self.largest = 0  # the most chunks one message took
        self.fences: list[tuple[int, str, FencePlan]] = []  # (due, runner, plan)
        self.fence_works = True
        self.fenced: list[tuple[int, str]] = []  # (len(ops) when it ended, target)
        self._view_id = 0
        self.nodes = {name: SimNode(self, name, cib or Cib()) for name in self.names}
        self.update_views()

    # ------------------------------------------------------------------ queries

    def node(self, name: str) -> SimNode:
        return self.nodes[name]

    def controller(self, name: str) -> Controller:
        return self.nodes[name].controller

    def promotion_score(self, node: str, rsc: str) -> int:
        return self.scores.get(node, 5)

    def connected(self, a: str, b: str) -> bool:
        if not (self.nodes[a].up and self.nodes[b].up):
            return False
        return any(a in group and b in group for group in self.groups)

    def members_of(self, name: str) -> frozenset[str]:
        for group in self.groups:
            if name in group:
                return frozenset(n for n in group if self.nodes[n].up)
        return frozenset({name})

    def dcs(self) -> dict[str, str | None]:
        """Whom each up node takes for DC."""
        return {n: node.controller.dc for n, node in self.nodes.items() if node.up}

    def running(self) -> set[tuple[str, str, Role]]:
        """What really runs: (primitive, node, role) on every up node."""
        return {(rsc, name, role) for name, node in self.nodes.items() if node.up
                for rsc, role in node.machine.roles.items()}

    def ops_since(self, mark: int) -> list[OpLog]:
        return self.ops[mark:]

    # ------------------------------------------------------------------ membership

    def update_views(self) -> None:
        """Give every up node whose membership changed its new view."""
        for name in self.names:
            node = self.nodes[name]
            if not node.up:
                continue
            members = self.members_of(name)
            current = node.controller.view
            if current is None or current.members != members:
                self._view_id += 1
                quorate = 2 * len(members) > len(self.names)
                node.controller.on_view(View(self._view_id, members, quorate))

    def partition(self, *groups: set[str] | frozenset[str]) -> None:
        listed = set().union(*groups)
        self.groups = [frozenset(g) for g in groups]
        self.groups += [frozenset({n}) for n in self.names if n not in listed]
        self._drop_unreachable()
        self.update_views()

    def heal(self) -> None:
        self.groups = [frozenset(self.names)]
        self.update_views()

    def crash(self, name: str) -> None:
        """The whole node is gone: harmd and everything that ran on it."""
        node = self.nodes[name]
        node.up = False
        node.machine.roles.clear()
        node.executor.queue.clear()
        node.executor.recurring.clear()
        node.results.clear()
        self._drop_unreachable()
        self.update_views()

    def restart_harmd(self, name: str) -> None:
        """harmd on ``name`` restarts: a new controller from the CIB it persisted, a new
        executor (no recurring operation), the same machine; the other members are told
        (as the membership layer reports a new generation of that node)."""
        old = self.nodes[name]
        self.bus = deque(item for item in self.bus if item[0] != name)
        node = SimNode(self, name, old.persisted, old.machine)
        self.nodes[name] = node
        for other in self.names:
            if other != name and self.nodes[other].up:
                self.nodes[other].decoder.gap(name)
        node.controller.on_view(View(self._next_view_id(), self.members_of(name),
                                     2 * len(self.members_of(name)) > len(self.names)))
        for other in self.names:
            if other != name and self.connected(other, name):
                self.nodes[other].controller.on_restarted(name)

    def _next_view_id(self) -> int:
        self._view_id += 1
        return self._view_id

    def _drop_unreachable(self) -> None:
        kept: deque[Sent] = deque()
        for sender, targets, kind, chunks in self.bus:
            reachable = tuple(t for t in targets if self.connected(sender, t))
            self.dropped += len(targets) - len(reachable)
            if reachable:
                kept.append((sender, reachable, kind, chunks))
        self.bus = kept

    # ------------------------------------------------------------------ running

    def drain(self) -> int:
        """Deliver messages and run queued operations until none is left; steps taken."""
        steps = 0
        while True:
            steps += 1
            if steps > MAX_STEPS:
                raise LivelockError(f"still busy after {MAX_STEPS} steps (sent {dict(self.sent)})")
            if self.bus:
                sender, targets, kind, chunks = self.bus.popleft()
                for target in targets:
                    if not self.connected(sender, target):
                        self.dropped += 1
                        continue
                    if (sender, target, kind) in self.losses:
                        self._lose(sender, target, kind, chunks)
                        continue
                    for chunk in chunks:
                        self.nodes[target].receive(sender, chunk)
                continue
            due = [f for f in self.fences if f[0] <= self.now]
            if due:
                self.fences.remove(due[0])
                self._fence(due[0][1], due[0][2])
                continue
            up = [node for node in self.nodes.values() if node.up]
            if any([node.report_one() for node in up]):
                continue
            if not any([node.executor.run_one() for node in up]):
                return steps

    def _fence(self, runner: str, plan: FencePlan) -> None:
        ok = self.fence_works
        if ok:
            if self.nodes[plan.target].up:
                self.crash(plan.target)
            self.fenced.append((len(self.ops), plan.target))
        outcome = FenceOutcome(plan.id, plan.target, plan.action, ok, runner,
                               ",".join(d.id for lv in plan.levels[:1] for d in lv.devices),
                               "" if ok else "the device failed", plan.origin, plan.client,
                               WALL_START + self.now // 1000)
        if self.nodes[runner].up:
            self.nodes[runner].controller.on_fence_outcome(outcome)

    def lose_next(self, sender: str, target: str, kind: str) -> None:
        """The next ``kind`` message from ``sender`` to ``target`` is lost on the way; the
        membership layer reports the gap to ``target`` (as a :class:`Lost` event)."""
        self.losses.append((sender, target, kind))

    def _lose(self, sender: str, target: str, kind: str, chunks: list[bytes]) -> None:
        self.losses.remove((sender, target, kind))
        self.lost += 1
        node = self.nodes[target]
        if len(chunks) > 1:
            node.receive(sender, chunks[0])  # the first chunk got through …
        node.decoder.gap(sender)  # … then the gap is reported
        node.controller.on_gap(sender)

    def _deadlines(self) -> list[int]:
        times = []
        for node in self.nodes.values():
            if not node.up:
                continue
            deadline = node.controller.next_deadline()
            if deadline is not None:
                times.append(deadline)
            due = node.executor.due()
            if due is not None:
                times.append(due)
        times += [f[0] for f in self.fences]
        return times

    def _tick(self) -> None:
        for name in self.names:
            node = self.nodes[name]
            if node.up:
                node.executor.queue_due(self.now)
                node.controller.tick()
        self.drain()

    def settle(self) -> None:
        """Deliver and run everything that is due now."""
        self.drain()
        self._tick()

    def advance(self, ms: int) -> None:
        """Let ``ms`` of virtual time pass, stopping at every deadline on the way."""
        end = self.now + ms
        self.settle()
        for _ in range(MAX_STEPS):
            later = [t for t in self._deadlines() if self.now < t <= end]
            if not later:
                break
            self.now = min(later)
            self._tick()
        else:
            raise LivelockError(f"deadlines kept coming before {end} ms")
        self.now = end
        self._tick()
