"""The local control socket: one JSON request per connection, one JSON response.

Protocol (UTF-8, each message one line ending in ``\\n``)::

    request  := {"type": NAME, ...arguments}
    response := {"ok": true, "result": ANY}
              | {"ok": false, "error": {"type": ERROR_CLASS, "message": TEXT}}

Only root may talk to it: the socket is mode 0600 in a 0700 directory and every peer's
credentials (``SO_PEERCRED``) are checked. Request types are registered by name with
:meth:`ControlServer.register`, so each part of harmd (membership now, the CIB and the
executor later) adds its own without touching the others. A handler raises a
:class:`~harm.errors.HarmError` to answer with an error.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import selectors
import socket
import struct
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harm.daemon.isolation import Isolation
from harm.errors import ControlError, HarmError
from harm.membership import boundedjson

MAX_REQUEST = 1 << 20
MAX_CLIENTS = 32  # connections served at once; more wait in the listen backlog
IDLE_S = 10.0  # a connection that neither sends its request nor reads its answer is closed
ACCEPTS_PER_TURN = 64
Handler = Callable[[Mapping[str, Any]], Any]

log = logging.getLogger("harm.daemon.control")


def peer_uid(sock: socket.socket) -> int:
    creds = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    _pid, uid, _gid = struct.unpack("3i", creds)
    return int(uid)


@dataclass
class _Client:
    sock: socket.socket
    last: float  # monotonic seconds of the last progress (bytes in or out)
    request: bytearray = field(default_factory=bytearray)
    answer: bytes | None = None  # what is left to send, once the request is handled


class ControlServer:
    """A non-blocking listener the daemon's event loop drives.

    It owns a selector of its own (the listener and every client): the loop waits on
    :meth:`fileno` and calls :meth:`service` when it is readable. Nothing blocks: a request
    is read as it comes, its answer is written as the client reads it; a connection idle
    for :data:`IDLE_S` is closed, and while :data:`MAX_CLIENTS` are open no new one is
    accepted: they wait in the listen backlog (the kernel's, bounded) until one closes.
    A handler that raises something other than a HarmError answers "internal error" and is
    counted (``isolation``) instead of stopping the daemon.
    """

    def __init__(self, path: Path, allowed_uid: int = 0, *,
                 isolation: Isolation | None = None, max_clients: int = MAX_CLIENTS,
                 idle_s: float = IDLE_S, clock: Callable[[], float] = time.monotonic) -> None:
        self.path = path
        self._allowed_uid = allowed_uid
        self._handlers: dict[str, Handler] = {}
        self._clients: dict[int, _Client] = {}
        self.isolation = isolation or Isolation(log)
        self.max_clients = max_clients
        self.idle_s = idle_s
        self._clock = clock
        self.counters: Counter[str] = Counter()
        try:
            path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            if path.is_socket() or path.exists():
                path.unlink()
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM | socket.SOCK_CLOEXEC)
            old = os.umask(0o177)
            try:
                sock.bind(str(path))
            finally:
                os.umask(old)
            sock.listen(64)
            sock.setblocking(False)
        except OSError as error:
            raise ControlError(f"{path}: cannot listen: {error.strerror}") from None
        self.sock = sock
        self._selector = selectors.DefaultSelector()
        self._selector.register(sock, selectors.EVENT_READ, None)
        self._listening = True
        self.register("ping", lambda _request: "pong")
        self.register("help", lambda _request: sorted(self._handlers))

    def register(self, name: str, handler: Handler) -> None:
        if name in self._handlers and name not in ("ping", "help"):
            raise ValueError(f"control request {name!r} registered twice")
        self._handlers[name] = handler

    def fileno(self) -> int:
        """Readable when the listener or a client is ready (the selector's own fd)."""
        return self._selector.fileno()

    @property
    def clients(self) -> int:
        return len(self._clients)

    def status(self) -> dict[str, Any]:
        return {"clients": len(self._clients), **self.counters}

    # ------------------------------------------------------------------ the loop's side

    def service(self, timeout: float = 0) -> None:
        """Do whatever is ready (accept, read, answer, write) and close idle clients."""
        for key, mask in self._selector.select(timeout):
            if key.data is None:
                self._accept_all()
                continue
            client = key.data
            assert isinstance(client, _Client)
            if mask & selectors.EVENT_READ and client.answer is None:
                self._read(client)
            elif mask & selectors.EVENT_WRITE and client.answer is not None:
                self._write(client)
        self.expire()

    def expire(self) -> None:
        now = self._clock()
        for client in [c for c in self._clients.values() if now - c.last > self.idle_s]:
            self.counters["idle closed"] += 1
            self._close(client)

    def next_deadline(self) -> float | None:
        """When the oldest idle client times out (monotonic seconds), if any."""
        if not self._clients:
            return None
        return min(c.last for c in self._clients.values()) + self.idle_s

    def _accept_all(self) -> None:
        for _ in range(ACCEPTS_PER_TURN):
            try:
                conn, _ = self.sock.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                self.counters["accept failed"] += 1
                return
            conn.setblocking(False)
            if peer_uid(conn) != self._allowed_uid:
                self.counters["refused: not root"] += 1
                self._refuse(conn, ControlError("only root may use the control socket"))
                continue
            client = _Client(conn, self._clock())
            self._clients[conn.fileno()] = client
            self._selector.register(conn, selectors.EVENT_READ, client)
            if len(self._clients) >= self.max_clients:
                self.counters["at the connection cap"] += 1
                self._selector.unregister(self.sock)  # the others wait in the backlog
                self._listening = False
                return

    def _refuse(self, conn: socket.socket, error: HarmError) -> None:
        with contextlib.suppress(OSError):  # best effort, never waits
            conn.send(_line(_error(error)))
        conn.close()

    def _read(self, client: _Client) -> None:
        try:
            chunk = client.sock.recv(65536)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            chunk = b""
        if not chunk:
            self._close(client)
            return
        client.last = self._clock()
        client.request += chunk
        if b"\n" not in client.request and len(client.request) < MAX_REQUEST:
            return
        line = bytes(client.request.split(b"\n", 1)[0])
        client.request.clear()
        client.answer = self.answer(line)
        self._selector.modify(client.sock, selectors.EVENT_WRITE, client)
        self._write(client)

    def _write(self, client: _Client) -> None:
        assert client.answer is not None
        try:
            sent = client.sock.send(client.answer)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            self._close(client)
            return
        client.last = self._clock()
        client.answer = client.answer[sent:]
        if not client.answer:
            self._close(client)

    def _close(self, client: _Client) -> None:
        if self._clients.pop(client.sock.fileno(), None) is not None:
            with contextlib.suppress(KeyError, ValueError):
                self._selector.unregister(client.sock)
        client.sock.close()
        if not self._listening and len(self._clients) < self.max_clients:
            self._selector.register(self.sock, selectors.EVENT_READ, None)
            self._listening = True

    # ------------------------------------------------------------------ requests

    def handle(self, line: bytes) -> dict[str, Any]:
        """The response to one request line; never raises."""
        answer = self.isolation.run("control request", line, lambda: self._handle(line))
        return _INTERNAL if answer is None else answer

    def answer(self, line: bytes) -> bytes:
        """The response line to one request line, serialised; never raises."""
        data = self.isolation.run("control request", line,
                                  lambda: _line(self._handle(line)))
        return _line(_INTERNAL) if data is None else data

    def _handle(self, line: bytes) -> dict[str, Any]:
        try:
            request = boundedjson.loads(line)
        except ValueError as error:
            self.counters["refused: not JSON"] += 1
            return _error(ControlError(f"request is not JSON ({error})"))
        if not isinstance(request, dict) or not isinstance(request.get("type"), str):
            self.counters["refused: malformed"] += 1
            return _error(ControlError('request must be an object with a "type"'))
        handler = self._handlers.get(request["type"])
        if handler is None:
            known = ", ".join(sorted(self._handlers))
            return _error(ControlError(f"unknown request {request['type']!r} (known: {known})"))
        try:
            result = handler(request)
        except HarmError as error:
            return _error(error)
        return {"ok": True, "result": result}

    def close(self) -> None:
        for client in list(self._clients.values()):
            self._close(client)
        self._selector.close()
        self.sock.close()
        with contextlib.suppress(OSError):
            self.path.unlink()


def _line(response: Mapping[str, Any]) -> bytes:
    return json.dumps(response, separators=(",", ":")).encode() + b"\n"


def _error(error: HarmError) -> dict[str, Any]:
    return {"ok": False, "error": {"type": type(error).__name__, "message": str(error)}}


_INTERNAL = _error(ControlError("internal error: the request was dropped (see harmd's log)"))
