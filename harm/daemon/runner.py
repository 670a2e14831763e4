"""harmd's event loop: sockets in, the pure Membership decides, datagrams and logs out.

The loop owns every piece of I/O; :class:`~harm.membership.machine.Membership` and the
controller (:class:`~harm.daemon.cluster.ClusterService`) own every decision. The loop wakes
when a datagram arrives on a link, when the executor has results, for control requests, and
at the Membership's and the controller's deadlines; it then feeds what arrived, ticks, sends
the frames on every link and hands the events to the controller. A datagram is handled as
it arrives, then the links are left alone for COALESCE_MS (20 ms) and whatever came in
meanwhile is handled in one batch: a cluster message (an operation for a node, its result)
costs at most 20 ms, and the heartbeats of 16 peers on two links cost a few wake-ups per
keepalive instead of one each (a wake-up costs more than decoding a packet).

Every input is handled under :class:`~harm.daemon.isolation.Isolation`: a datagram, a
control request, an event handed to the controller, a timer. What raises is logged, counted
per kind (``inputs_dropped`` in ``status``) and the loop goes on.
"""

from __future__ import annotations

import base64
import functools
import logging
import selectors
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from harm.control.wire import MAGIC as CONTROLLER_MAGIC
from harm.daemon.isolation import Isolation
from harm.errors import ControlError
from harm.membership.events import (
    Delivered,
    Dropped,
    Event,
    LateHeartbeat,
    LinkDead,
    NodeDead,
    ViewChanged,
    describe,
)
from harm.membership.machine import Membership, Step
from harm.membership.transport import UdpLink

RECENT_MESSAGES = 200
RECENT_CHANGES = 200
COALESCE_MS = 20  # after a datagram, further ones are read in a batch this much later
MAX_SEND = 60_000  # a cluster message must fit one datagram
FAULT_PAUSE_S = 0.05  # after a turn of the loop itself raised, before the next one


def monotonic_ms() -> int:
    return time.monotonic_ns() // 1_000_000


class Runner:
    """Drives one Membership with real sockets and a real clock."""

    def __init__(
        self,
        membership: Membership,
        links: Sequence[UdpLink],
        control: Any,
        logger: logging.Logger,
        clock: Callable[[], int] = monotonic_ms,
        cluster: Any = None,
        witness: Any = None,
    ) -> None:
        self.membership = membership
        self.links = list(links)
        self.witness = witness  # harm.witness.link.WitnessLink when configured
        self.control = control
        self.log = logger
        self.clock = clock
        self.started = clock()
        self.stopping = False
        self.messages: deque[dict[str, Any]] = deque(maxlen=RECENT_MESSAGES)
        self.changes: deque[dict[str, Any]] = deque(maxlen=RECENT_CHANGES)
        self.cluster = cluster
        self.isolation: Isolation = getattr(control, "isolation", None) or Isolation(logger)
        self._muted_until: int | None = None
        self._selector = selectors.DefaultSelector()
        for link in self.links:
            self._selector.register(link.sock, selectors.EVENT_READ, ("link", link))
        if witness is not None:
            self._selector.register(witness.sock, selectors.EVENT_READ, ("witness",))
        if control is not None:
            self._selector.register(control.fileno(), selectors.EVENT_READ, ("control",))
            control.register("status", self._status)
            control.register("send", self._send)
            control.register("messages", self._messages)

    # ----------------------------------------------------------- control handlers

    def _status(self, _request: Mapping[str, Any]) -> dict[str, Any]:
        now = self.clock()
        status = self.membership.status(now)
        status["uptime_ms"] = now - self.started
        status["now_ms"] = now
        status["links"] = {
            link.nic: {"kind": link.link.kind.value, **vars(link.counters)} for link in self.links
        }
        status["changes"] = list(self.changes)[-50:]
        status["inputs_dropped"] = self.inputs_dropped()
        if self.control is not None:
            status["control"] = self.control.status()
        return status

    def inputs_dropped(self) -> dict[str, int]:
        """Inputs that were dropped after they got past the packet layer, per kind: those
        that raised (counted by the guard) and the cluster messages the controller refused
        (undecodable, malformed, or claiming the DC's role without being the DC)."""
        counts = dict(self.isolation.counts)
        if self.cluster is not None:
            for kind, count in self.cluster.refused().items():
                counts[kind] = counts.get(kind, 0) + count
        return {kind: count for kind, count in sorted(counts.items()) if count}

    def _send(self, request: Mapping[str, Any]) -> dict[str, Any]:
        """Send a cluster message from this node: ``body`` as text, or as base64 with
        ``"encoding": "base64"`` (any bytes: tests send controller messages this way)."""
        body = request.get("body")
        dest = request.get("dest")
        encoding = request.get("encoding", "text")
        if not isinstance(body, str) or (dest is not None and not isinstance(dest, str)) \
                or encoding not in ("text", "base64"):
            raise ControlError('send needs "body" (text), optionally "dest" (a node) and '
                               '"encoding" (text or base64)')
        try:
            data = base64.b64decode(body, validate=True) if encoding == "base64" \
                else body.encode()
        except ValueError:
            raise ControlError("send: body is not base64") from None
        if len(data) > MAX_SEND:
            raise ControlError(f"send: body larger than {MAX_SEND} bytes")
        self.apply(self.membership.send(self.clock(), data, dest))
        return {"queued": True}

    def _messages(self, _request: Mapping[str, Any]) -> list[dict[str, Any]]:
        return list(self.messages)

    # ----------------------------------------------------------- the loop

    def attach(self, cluster: Any) -> None:
        """Hand membership events to the controller and serve its control requests."""
        self.cluster = cluster
        self._selector.register(cluster.inbox.fileno(), selectors.EVENT_READ, ("results",))
        if self.control is not None:
            for name, handler in cluster.handlers().items():
                self.control.register(name, handler)

    def apply(self, step: Step) -> None:
        for frame in step.frames:
            for link in self.links:
                link.send(frame)
        if self.witness is not None:
            for frame in step.witness:
                self.witness.send(frame)
        for event in step.events:
            self.isolation.run("membership event", event, functools.partial(self._record, event))
            if self.cluster is not None:
                kind = "cluster message" if isinstance(event, Delivered) else \
                    "membership event"
                self.isolation.run(kind, event, functools.partial(self.cluster.on_event, event))

    def _record(self, event: Event) -> None:
        now = self.clock()
        if isinstance(event, Dropped):
            self.log.debug("%s", describe(event))
            return
        if isinstance(event, Delivered):
            m = event.message
            if m.body.startswith(CONTROLLER_MAGIC):
                return  # the controller's own traffic; "messages" shows what "send" sent
            self.messages.append({"sender": m.sender, "number": m.number, "dest": m.dest,
                                  "body": m.body.decode(errors="replace"), "at_ms": now})
            return
        level = logging.INFO
        if isinstance(event, LinkDead | NodeDead | LateHeartbeat):
            level = logging.WARNING
        text = describe(event)
        self.log.log(level, "%s", text)
        entry: dict[str, Any] = {"at_ms": now, "event": type(event).__name__, "text": text}
        if isinstance(event, ViewChanged):
            entry["members"] = sorted(event.view.members)
            entry["quorate"] = event.view.quorate
        self.changes.append(entry)

    def _deadline(self) -> int:
        deadline = self.membership.next_deadline()
        if self.cluster is not None:
            other = self.cluster.next_deadline()
            if other is not None:
                deadline = min(deadline, other)
        return deadline

    def _drain_links(self) -> None:
        for link in self.links:
            for data in link.receive():
                self.isolation.run("datagram", data,
                                   functools.partial(self._receive, link.nic, data))

    def _receive(self, nic: str, data: bytes) -> None:
        self.apply(self.membership.receive(self.clock(), nic, data))

    def _witness_receive(self, data: bytes) -> None:
        self.apply(self.membership.witness_receive(self.clock(), data))

    def _mute_links(self, now: int) -> None:
        """Stop waking for datagrams for :data:`COALESCE_MS`: what arrives meanwhile is
        handled in one batch (heartbeats of many peers cost one wake-up, not one each)."""
        if self._muted_until is None:
            for link in self.links:
                self._selector.unregister(link.sock)
        self._muted_until = now + COALESCE_MS

    def _unmute_links(self) -> None:
        self._drain_links()
        for link in self.links:
            self._selector.register(link.sock, selectors.EVENT_READ, ("link", link))
        self._muted_until = None

    def turn(self, max_wait_ms: int = 1000) -> None:
        """One pass of the loop."""
        now = self.clock()
        deadline = self._deadline()
        if self._muted_until is not None:
            deadline = min(deadline, self._muted_until)
        wait = max(0, min(deadline - now, max_wait_ms)) / 1000
        results = False
        for key, _mask in self._selector.select(wait):
            target = key.data
            if target[0] == "link":
                if self._muted_until is None:
                    self._drain_links()
                    self._mute_links(self.clock())
            elif target[0] == "results":
                results = True
            elif target[0] == "witness":
                for data in self.witness.receive():
                    self.isolation.run("witness datagram", data,
                                       functools.partial(self._witness_receive, data))
        if self.control is not None:
            self.control.service()  # requests, answers, idle clients: never blocks
        if results and self.cluster is not None:
            self.isolation.run("executor result", "results", self.cluster.on_results)
        now = self.clock()
        if self._muted_until is not None and now >= self._muted_until:
            self._unmute_links()
        if now >= self.membership.next_deadline():
            self.isolation.run("timer", "membership tick",
                               lambda: self.apply(self.membership.tick(now)))
        if self.cluster is not None:
            deadline = self.cluster.next_deadline()
            if deadline is not None and self.clock() >= deadline:
                self.isolation.run("timer", "controller tick", self.cluster.tick)
            self.isolation.run("timer", "controller flush", self.cluster.flush)

    def run(self, until: Callable[[], bool] | None = None) -> None:
        while not self.stopping and not (until and until()):
            if self.isolation.run("loop turn", "turn", self._turn_ok) is None:
                time.sleep(FAULT_PAUSE_S)  # the loop itself failed: do not spin

    def _turn_ok(self) -> bool:
        self.turn()
        return True

    def close(self) -> None:
        if self.cluster is not None:
            self.cluster.close()
        self._selector.close()
        for link in self.links:
            link.close()
        if self.witness is not None:
            self.witness.close()
        if self.control is not None:
            self.control.close()
