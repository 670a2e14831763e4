"""harmd's event loop: sockets in, the pure Membership decides, datagrams and logs out.

The loop owns every piece of I/O; :class:`~harm.membership.machine.Membership` owns every
decision. The loop wakes at the Membership's deadlines (once per keepalive) and then
drains every link's socket, feeds what arrived, ticks, sends the frames on every link and
logs the events; in between it only wakes for control requests. Handling datagrams in
batches instead of one wake-up each keeps a 16-node cluster under 1% of a core per node
(a wake-up costs more than decoding a packet); the price is at most one keepalive of
extra detection and delivery latency.
"""

from __future__ import annotations

import logging
import selectors
import socket
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from typing import Any

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
        self._selector = selectors.DefaultSelector()
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
        self._apply(self.membership.send(self.clock(), body.encode(), dest))
        return {"queued": True}

    def _messages(self, _request: Mapping[str, Any]) -> list[dict[str, Any]]:
        return list(self.messages)

    # ----------------------------------------------------------- the loop

    def _apply(self, step: Step) -> None:
        for frame in step.frames:
            for link in self.links:
                link.send(frame)
        for event in step.events:
            self._record(event)

    def _record(self, event: Event) -> None:
        now = self.clock()
        if isinstance(event, Dropped):
            self.log.debug("%s", describe(event))
            return
        if isinstance(event, Delivered):
            m = event.message
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

    def turn(self, max_wait_ms: int = 1000) -> None:
        """One pass of the loop."""
        now = self.clock()
        wait = max(0, min(self.membership.next_deadline() - now, max_wait_ms)) / 1000
        for key, _mask in self._selector.select(wait):
            target = key.data
            if target is self.control:
                conn = self.control.accept()
                if conn is not None:
                    self._selector.register(conn, selectors.EVENT_READ, ("client", conn))
            else:
                conn = target[1]
                assert isinstance(conn, socket.socket)
                self._selector.unregister(conn)
                if not self.control.readable(conn):
                    self._selector.register(conn, selectors.EVENT_READ, ("client", conn))
        now = self.clock()
        if now >= self.membership.next_deadline():
            for link in self.links:
                for data in link.receive():
                    self._apply(self.membership.receive(now, link.nic, data))
            self._apply(self.membership.tick(self.clock()))

    def run(self, until: Callable[[], bool] | None = None) -> None:
        while not self.stopping and not (until and until()):
            self.turn()

    def close(self) -> None:
        self._selector.close()
        for link in self.links:
            link.close()
        if self.control is not None:
            self.control.close()
