"""The controller on every node: election, the CIB replica, this node's resources; and,
on the elected node, the coordinator (:mod:`harm.control.coordinator`).

Messages between controllers (kinds, on the membership layer's reliable streams)::

    hello    all → all   who I see, whom I take for DC, my CIB version and configuration,
                         my operation history and my transient attributes
    resync   any → one   "send me your hello again" (after a gap in that node's stream)
    cib      DC  → all   the whole CIB (configuration and status); replicas persist it
    op       DC  → node  run this executor request (an action of the current transition)
    cancel   DC  → node  stop a recurring operation
    forget   DC  → node  drop a resource's history (cleanup), so it is probed again
    fail     DC  → node  record a failed operation (``harm resource fail``)
    fence    DC  → node  run this fencing operation (the DC is its target)
    fenced   node → DC   how a fencing operation ended
    state    node → DC   my operation history, and the result that changed it
    request  any → DC    an operator's request (commit, attribute, cleanup, fail)
    reply    DC  → one   how the request ended

Election (:func:`harm.control.election.elect`): every member computes the DC from the view
and the DC each member announced in its hello. The partition is *settled* when every member's
latest hello names the same members and the same DC; only a settled DC acts, so two nodes
never both act as DC of the same view. A node obeys DC messages only from the node it takes
for DC.

Everything here is single-threaded and driven by the daemon loop through :class:`Io`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from harm.cib.cib import Cib
from harm.cib.config import Configuration
from harm.cib.status import ExecStatus, NodeState, Status
from harm.cib.xml_export import cib_to_xml
from harm.cib.xml_import import parse_cib_xml
from harm.control import messages as msg
from harm.control.election import elect
from harm.control.lrm import LocalHistory
from harm.errors import ControlError, HarmError
from harm.executor.build import request_for
from harm.executor.request import OpRequest
from harm.executor.result import OpResult
from harm.fencing.coordination import plan_from_message
from harm.fencing.fencer import FenceOutcome
from harm.fencing.plan import FencePlan
from harm.membership.events import View

log = logging.getLogger("harm.control")



class Io(Protocol):
    """What the controller needs from the daemon."""

    def send(self, kind: str, payload: dict[str, Any], dest: str | None = None) -> None: ...

    def submit(self, request: OpRequest) -> None: ...

    def cancel(self, rsc: str, action: str, interval_ms: int) -> None: ...

    def persist(self, cib: Cib, xml: str) -> None: ...

    def save_input(self, cib: Cib) -> None: ...

    def now_ms(self) -> int: ...

    def wall(self) -> int: ...

    def fence(self, plan: FencePlan) -> None: ...


class Hello:
    """What one member last told about itself. Its CIB (the member's configuration and its
    own node_state: history, transient attributes) is parsed only when a DC needs it:
    every member hears every hello, only the DC reads them whole."""

    def __init__(self, members: frozenset[str], dc: str | None, xml: str, sender: str) -> None:
        self.members = members
        self.dc = dc
        self.xml = xml
        self.sender = sender
        self._cib: Cib | None = None

    @property
    def cib(self) -> Cib:
        if self._cib is None:
            self._cib = parse_cib_xml(self.xml, f"hello from {self.sender}")
        return self._cib


@dataclass
class Pending:
    """An operator's request this node passed on, until the DC answers."""

    payload: dict[str, Any]
    state: str = "pending"
    message: str | None = None
    sent_to: str | None = None  # the DC it was passed to (it is passed again only to another)


def result_info(result: OpResult) -> dict[str, Any]:
    request = result.request
    return {
        "key": request.transition_key,
        "rsc": request.rsc,
        "action": request.action,
        "interval_ms": request.interval_ms,
        "rc": result.rc,
        "status": int(result.status),
        "target_rc": request.target_rc,
        "exit_reason": result.exit_reason,
        "anonymous": bool(request.clone is not None and not request.clone.globally_unique),
    }


def own_state(cib: Cib, node: str, history: LocalHistory) -> NodeState:
    """This node's ``node_state`` as it reports it: its history and known attributes."""
    known = cib.status.node(node)
    configured = cib.configuration.node_by_uname(node)
    node_id = configured.id if configured else known.id if known else node
    attrs = known.transient_attributes if known else ()
    return NodeState(id=node_id, uname=node, in_ccm=True, crmd="online", join="member",
                     expected="member", transient_attributes=attrs,
                     resources=history.resources())


def mini_cib(cib: Cib, state: NodeState) -> str:
    """The configuration plus one node_state (and the fencing history this node knows,
    for a new DC to merge), as XML."""
    return cib_to_xml(replace(cib, status=Status(nodes=(state,), fencing=cib.status.fencing)))


@dataclass
class Controller:
    """One node's controller (see the module doc)."""

    node: str
    io: Io
    cib: Cib
    all_nodes: tuple[str, ...]
    startup_until: int  # monotonic ms: before this a lone node does not act as DC
    history: LocalHistory = field(default_factory=LocalHistory)
    view: View | None = None
    dc: str | None = None
    hellos: dict[str, Hello] = field(default_factory=dict)
    pending: dict[str, Pending] = field(default_factory=dict)
    overlay: dict[tuple[str, str, str], str | None] = field(default_factory=dict)
    ignored: int = 0
    _request_no: int = 0
    _sent_hello: bool = False
    defer_publish: bool = False  # the daemon sends the DC's CIB once per loop turn (flush)
    _coordinator: Any = None  # harm.control.coordinator.Coordinator while this node is DC
    _held: list[tuple[str, dict[str, Any]]] = field(default_factory=list)  # requests
    # that reached this node elected but not acting yet (start-up grace)

    def __post_init__(self) -> None:
        # this node's transient attributes lived in the attribute store of the harmd that
        # saved this CIB: they died with it, as Pacemaker erases a node's attributes when
        # it leaves; stale ones (a promotion score) must not come back with the hello
        mine = self.cib.status.node(self.node)
        if mine is not None and mine.transient_attributes:
            nodes = tuple(replace(s, transient_attributes=()) if s.uname == self.node else s
                          for s in self.cib.status.nodes)
            self.cib = replace(self.cib, status=replace(self.cib.status, nodes=nodes))

    # ------------------------------------------------------------------ queries

    @property
    def informed(self) -> bool:
        """This node has a hello from every other member of its view."""
        return self.view is not None and all(
            m in self.hellos for m in self.view.members if m != self.node)

    @property
    def settled(self) -> bool:
        """Every member has told its view and agrees on the members and on the DC."""
        if self.view is None or self.dc is None:
            return False
        for member in self.view.members:
            if member == self.node:
                continue
            hello = self.hellos.get(member)
            if hello is None or hello.members != self.view.members or hello.dc != self.dc:
                return False
        return True

    @property
    def is_dc(self) -> bool:
        return self._coordinator is not None

    def status(self) -> dict[str, Any]:
        return {
            "dc": self.dc,
            "settled": self.settled,
            "is_dc": self.is_dc,
            "version": list(self.cib.version),
            "transition": self._coordinator.describe() if self._coordinator else None,
            "ignored_messages": self.ignored,
        }

    # ------------------------------------------------------------------ membership

    def on_view(self, view: View) -> None:
        self.view = view
        for name in list(self.hellos):
            if name not in view.members:
                del self.hellos[name]
        self._elect(force_hello=True)
        if self._coordinator is not None:
            self._coordinator.membership_changed()

    def on_restarted(self, node: str) -> None:
        """``node``'s harmd restarted (still a member): its hello and history are stale."""
        self.hellos.pop(node, None)
        for pending in self.pending.values():
            if pending.sent_to == node:
                pending.sent_to = None  # lost with the harmd that received it
        if self._coordinator is not None:
            self._coordinator.node_restarted(node)
        self._elect(force_hello=True)

    def on_gap(self, sender: str) -> None:
        """Messages from ``sender`` were lost: ask it to tell its state again."""
        self.io.send("resync", {}, sender)

    def _elect(self, force_hello: bool = False) -> None:
        """Recompute whom this node takes for DC. A node decides only once it has heard
        every member's hello; until then it keeps its belief (none after a start), so a
        restarted node does not claim the coordination it knows nothing about."""
        if self.view is None:
            return
        if self.informed:
            announced: dict[str, str | None] = {n: h.dc for n, h in self.hellos.items()}
            announced[self.node] = self.dc
            belief = elect(self.view.members, announced)
            if belief != self.dc:
                log.info("DC is %s (was %s)", belief, self.dc or "none")
                self.dc = belief
                force_hello = True
        if force_hello or not self._sent_hello:
            self._send_hello()
        self._check_role()

    def _send_hello(self) -> None:
        assert self.view is not None
        self._sent_hello = True
        state = own_state(self.cib, self.node, self.history)
        self.io.send("hello", {
            "members": sorted(self.view.members),
            "dc": self.dc,
            "cib": mini_cib(self.cib, state),
        })

    def _check_role(self) -> None:
        """Start being the coordinator once the partition is settled on this node (and,
        after a start, once every configured node is here or initdead has passed); stop
        as soon as another node is taken for DC."""
        from harm.control.coordinator import Coordinator

        if self._coordinator is not None:
            if self.dc != self.node:
                log.info("this node is no longer the DC (%s is)", self.dc)
                self._coordinator.resign()
                self._coordinator = None
            return
        if self.view is None or self.dc != self.node or not self.settled:
            if self.dc != self.node:
                self._held.clear()  # their senders pass them to the DC they elect
            if self.dc is not None and self.settled:
                self._flush_pending()
            return
        if self.io.now_ms() < self.startup_until and \
                not set(self.all_nodes) <= set(self.view.members):
            return
        log.info("this node is now the DC of %s", ", ".join(sorted(self.view.members)))
        self._coordinator = Coordinator(self)
        self._coordinator.take_over()
        held, self._held = self._held, []
        for sender, payload in held:
            self.on_message(sender, "request", payload)
        self._flush_pending()

    # ------------------------------------------------------------------ messages

    def on_message(self, sender: str, kind: str, payload: dict[str, Any]) -> None:
        """A message from ``sender``'s controller: decoded into its typed form first
        (:mod:`harm.control.messages`); DC kinds only from the DC; refusals are counted
        in ``ignored``."""
        if kind in msg.DC_KINDS and sender != self.dc:
            self.ignored += 1
            log.warning("ignored %s from %s, which is not the DC (%s)", kind, sender, self.dc)
            return
        try:
            self._dispatch(sender, msg.decode_message(kind, payload))
        except HarmError as error:
            self.ignored += 1
            log.warning("ignored %s from %s: %s", kind, sender, error)

    def _dispatch(self, sender: str, message: msg.Message) -> None:
        match message:
            case msg.Hello():
                self._on_hello(sender, message)
            case msg.Resync():
                self._send_hello()
                if self._coordinator is not None:
                    self._coordinator.publish(force=True)
            case msg.Request():
                if self._coordinator is None and self.dc == self.node and \
                        len(self._held) < 1000:
                    self._held.append((sender, message.payload()))  # acting after start-up
                    return
                if self._coordinator is None:
                    raise ControlError("a request reached a node that is not the DC")
                self._coordinator.request(sender, message.payload())
            case msg.State(cib, result):
                if self._coordinator is None:
                    return  # for a previous DC; the hello after the election carries it
                self._coordinator.node_state(
                    sender, {"cib": cib, "result": result.payload() if result else None})
            case msg.Reply():
                self._on_reply(message)
            case msg.CibUpdate(xml):
                self._on_cib(xml)
            case msg.RunOp(request):
                self.io.submit(request)
            case msg.CancelOp(rsc, action, interval_ms):
                self.io.cancel(rsc, action, interval_ms)
            case msg.ForgetRsc(rsc):
                self.forget(rsc)
            case msg.FailOp(rsc, action, interval_ms, rc):
                self.inject_failure(rsc, action, interval_ms, rc)
            case msg.RunFence():
                self.io.fence(plan_from_message(self.cib, self.node, message.payload()))
            case msg.Fenced(outcome):
                if self._coordinator is not None:
                    self._coordinator.fencing.outcome(FenceOutcome.from_json(outcome))

    def _on_hello(self, sender: str, message: msg.Hello) -> None:
        if not message.cib.rstrip().endswith("</cib>"):  # parsed later, only by a DC
            raise ControlError("malformed hello: its CIB is cut short")
        hello = Hello(frozenset(message.members), message.dc, message.cib, sender)
        self.hellos[sender] = hello
        if self._coordinator is not None:
            self._coordinator.hello(sender, hello)
        self._elect()

    def _on_cib(self, xml: str) -> None:
        cib = parse_cib_xml(xml, f"CIB from {self.dc}")
        self.cib = cib
        self.io.persist(cib, xml)

    def _on_reply(self, reply: msg.Reply) -> None:
        pending = self.pending.get(reply.id)
        if pending is None:
            return
        pending.state = "done" if reply.ok else "failed"
        pending.message = reply.message
        op = pending.payload
        if op.get("op") == "attribute":
            self.overlay.pop((str(op.get("node")), str(op.get("name")),
                              str(op.get("lifetime"))), None)

    # ------------------------------------------------------------------ this node's resources

    def on_result(self, result: OpResult) -> None:
        """A result from this node's executor."""
        changed = self.history.record(result)
        if not changed and result.request.action != "notify":
            return
        self.report(result_info(result))

    def report(self, info: dict[str, Any] | None) -> None:
        """Tell the DC this node's history (and the result that changed it)."""
        state = own_state(self.cib, self.node, self.history)
        payload = {"cib": mini_cib(replace(self.cib, configuration=Configuration()), state),
                   "result": info}
        if self._coordinator is not None:
            self._coordinator.node_state(self.node, payload)
        elif self.dc is not None:
            self.io.send("state", payload, self.dc)

    def on_fence_outcome(self, outcome: FenceOutcome) -> None:
        """A fencing operation this node ran has ended: to the DC (this one or another)."""
        if self._coordinator is not None:
            self._coordinator.fencing.outcome(outcome)
        elif self.dc is not None:
            self.io.send("fenced", {"outcome": outcome.to_json()}, self.dc)
        else:
            log.error("fencing of %s ended (%s) with no DC to tell", outcome.target,
                      "ok" if outcome.ok else outcome.reason)

    def forget(self, rsc: str | None) -> None:
        if self.history.forget(rsc):
            self.report(None)

    def inject_failure(self, rsc: str, action: str, interval_ms: int, rc: int) -> None:
        """Record a failed ``action`` of ``rsc`` as if the agent had returned ``rc``."""
        request = request_for(self.cib.configuration, rsc, action, interval_ms)
        now = self.io.wall()
        result = OpResult(
            request=replace(request, transition_key=None), node=self.node,
            call_id=self.history.max_call_id() + 1, rc=rc, status=ExecStatus.DONE,
            exit_reason="injected by harm resource fail", stdout="", stderr="", exec_ms=0,
            queue_ms=0, started=now, rc_changed=now, digest="")
        self.history.record(result)
        self.report(result_info(result))

    # ------------------------------------------------------------------ operator requests

    def submit_request(self, payload: dict[str, Any]) -> str:
        """Pass an operator's request to the DC; its id for :meth:`request_state`.
        ControlError when the request is malformed (it is decoded here, once)."""
        payload = msg.request_payload(msg.decode_request(payload))
        self._request_no += 1
        ident = f"{self.node}:{self.io.now_ms()}:{self._request_no}"
        self.pending[ident] = Pending(dict(payload))
        if len(self.pending) > 1000:
            for old in list(self.pending)[:100]:
                if self.pending[old].state != "pending":
                    del self.pending[old]
        if payload.get("op") == "attribute":
            key = (str(payload.get("node")), str(payload.get("name")),
                   str(payload.get("lifetime")))
            value = payload.get("value")
            self.overlay[key] = value if isinstance(value, str) else None
        self._forward(ident)
        return ident

    def request_state(self, ident: str) -> Pending:
        pending = self.pending.get(ident)
        if pending is None:
            raise ControlError(f"no request {ident!r} on this node")
        return pending

    def _forward(self, ident: str) -> None:
        pending = self.pending[ident]
        message = {"id": ident, **pending.payload}
        if self._coordinator is not None:
            pending.sent_to = self.node
            self._coordinator.request(self.node, message)
        elif self.dc is not None and self.dc != self.node and self.settled:
            pending.sent_to = self.dc
            self.io.send("request", message, self.dc)

    def _flush_pending(self) -> None:
        """Pass on the requests still unanswered that the DC has not had: a request goes
        again only to another DC (or one that restarted), never twice to the same one,
        so a commit is not refused as stale and a failure not counted twice."""
        for ident, pending in self.pending.items():
            if pending.state == "pending" and pending.sent_to != self.dc:
                self._forward(ident)

    def attribute_value(self, node: str, name: str, lifetime: str) -> str | None:
        key = (node, name, lifetime)
        if key in self.overlay:
            return self.overlay[key]
        if self._coordinator is not None:
            value: str | None = self._coordinator.attribute_value(node, name, lifetime)
            return value
        if lifetime == "forever":
            configured = self.cib.configuration.node_by_uname(node)
            return configured.attribute(name) if configured else None
        state = self.cib.status.node(node)
        return state.attribute(name) if state else None

    # ------------------------------------------------------------------ time

    def tick(self) -> None:
        if self._coordinator is not None:
            self._coordinator.tick()
        elif self.dc == self.node and not self.is_dc:
            self._check_role()  # the start-up grace may just have ended

    def flush(self) -> None:
        """End of a batch of events: the DC sends what it deferred."""
        if self._coordinator is not None:
            self._coordinator.flush()

    def next_deadline(self) -> int | None:
        if self._coordinator is not None:
            return int(self._coordinator.next_deadline())
        if self.dc == self.node:
            return self.startup_until
        return None

    def replied(self, ident: str, ok: bool, message: str | None) -> None:
        """The DC's answer to a request this node made itself."""
        self._on_reply(msg.Reply(ident, ok, message))
