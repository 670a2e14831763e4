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
"""

from __future__ import annotations

import logging
import selectors
import socket
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from harm.control.wire import MAGIC as CONTROLLER_MAGIC
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
    ) -> None:
        self.membership = membership
        self.links = list(links)
        self.control = control
        self.log = logger
        self.clock = clock
        self.started = clock()
        self.stopping = False
        self.messages: deque[dict[str, Any]] = deque(maxlen=RECENT_MESSAGES)
        self.changes: deque[dict[str, Any]] = deque(maxlen=RECENT_CHANGES)
        self.cluster = cluster
        self._muted_until: int | None = None
        self._selector = selectors.DefaultSelector()
        for link in self.links:
            self._selector.register(link.sock, selectors.EVENT_READ, ("link", link))
        if control is not None:
            self._selector.register(control.sock, selectors.EVENT_READ, control)
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
        return status

    def _send(self, request: Mapping[str, Any]) -> dict[str, Any]:
        body = request.get("body")
        dest = request.get("dest")
        if not isinstance(body, str) or (dest is not None and not isinstance(dest, str)):
            raise ControlError('send needs "body" (text) and optionally "dest" (a node)')
        self.apply(self.membership.send(self.clock(), body.encode(), dest))
        return {"queued": True}

    def _messages(self, _request: Mapping[str, Any]) -> list[dict[str, Any]]:
        return list(self.messages)

    # ----------------------------------------------------------- the loop

    def attach(self, cluster: Any) -> None:
        """Hand membership events to the controller and serve its control requests."""
        self.cluster = cluster
        self._selector.register(cluster.inbox.fileno(), selectors.EVENT_READ, ("results",))
        fencer = getattr(cluster, "fencer", None)
        if fencer is not None:
            self._selector.register(fencer.fileno(), selectors.EVENT_READ, ("fencing",))
        if self.control is not None:
            for name, handler in cluster.handlers().items():
                self.control.register(name, handler)

    def apply(self, step: Step) -> None:
        for frame in step.frames:
            for link in self.links:
                link.send(frame)
        for event in step.events:
            self._record(event)
            if self.cluster is not None:
                self.cluster.on_event(event)


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
                self.apply(self.membership.receive(self.clock(), link.nic, data))

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
        results = fenced = False
        for key, _mask in self._selector.select(wait):
            target = key.data
            if target is self.control:
                conn = self.control.accept()
                if conn is not None:
                    self._selector.register(conn, selectors.EVENT_READ, ("client", conn))
            elif target[0] == "link":
                if self._muted_until is None:
                    self._drain_links()
                    self._mute_links(self.clock())
            elif target[0] == "results":
                results = True
            elif target[0] == "fencing":
                fenced = True
            else:
                conn = target[1]
                assert isinstance(conn, socket.socket)
                self._selector.unregister(conn)
                if not self.control.readable(conn):
                    self._selector.register(conn, selectors.EVENT_READ, ("client", conn))
        if results and self.cluster is not None:
            self.cluster.on_results()
        if fenced and self.cluster is not None:
            self.cluster.on_fence_outcomes()
        now = self.clock()
        if self._muted_until is not None and now >= self._muted_until:
            self._unmute_links()
        if now >= self.membership.next_deadline():
            self.apply(self.membership.tick(now))
        if self.cluster is not None:
            deadline = self.cluster.next_deadline()
            if deadline is not None and self.clock() >= deadline:
                self.cluster.tick()
            self.cluster.flush()

    def run(self, until: Callable[[], bool] | None = None) -> None:
        while not self.stopping and not (until and until()):
            self.turn()

    def close(self) -> None:
        if self.cluster is not None:
            self.cluster.close()
        self._selector.close()
        for link in self.links:
            link.close()
        if self.control is not None:
            self.control.close()
