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
import os
import socket
import struct
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from harm.errors import ControlError, HarmError

MAX_REQUEST = 1 << 20
Handler = Callable[[Mapping[str, Any]], Any]


def peer_uid(sock: socket.socket) -> int:
    creds = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    _pid, uid, _gid = struct.unpack("3i", creds)
    return int(uid)


class ControlServer:
    """A non-blocking listener the daemon's event loop drives."""

    def __init__(self, path: Path, allowed_uid: int = 0) -> None:
        self.path = path
        self._allowed_uid = allowed_uid
        self._handlers: dict[str, Handler] = {}
        self._buffers: dict[int, tuple[socket.socket, bytearray]] = {}
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
            sock.listen(16)
            sock.setblocking(False)
        except OSError as error:
            raise ControlError(f"{path}: cannot listen: {error.strerror}") from None
        self.sock = sock
        self.register("ping", lambda _request: "pong")
        self.register("help", lambda _request: sorted(self._handlers))

    def register(self, name: str, handler: Handler) -> None:
        if name in self._handlers and name not in ("ping", "help"):
            raise ValueError(f"control request {name!r} registered twice")
        self._handlers[name] = handler

    def fileno(self) -> int:
        return self.sock.fileno()

    def accept(self) -> socket.socket | None:
        """Take one waiting connection (None if there was none or it was refused)."""
        try:
            conn, _ = self.sock.accept()
        except (BlockingIOError, InterruptedError):
            return None
        if peer_uid(conn) != self._allowed_uid:
            self._reply(conn, _error(ControlError("only root may use the control socket")))
            conn.close()
            return None
        conn.setblocking(False)
        self._buffers[conn.fileno()] = (conn, bytearray())
        return conn

    def readable(self, conn: socket.socket) -> bool:
        """Read from a client; True when the connection is finished (answered or gone)."""
        _, buffer = self._buffers[conn.fileno()]
        try:
            chunk = conn.recv(65536)
        except (BlockingIOError, InterruptedError):
            return False
        except OSError:
            chunk = b""
        if not chunk:
            self._drop(conn)
            return True
        buffer += chunk
        if b"\n" not in buffer and len(buffer) < MAX_REQUEST:
            return False
        line = bytes(buffer.split(b"\n", 1)[0])
        self._reply(conn, self.handle(line))
        self._drop(conn)
        return True

    def handle(self, line: bytes) -> dict[str, Any]:
        """The response to one request line."""
        try:
            request = json.loads(line)
        except (ValueError, RecursionError):
            return _error(ControlError("request is not JSON"))
        if not isinstance(request, dict) or not isinstance(request.get("type"), str):
            return _error(ControlError('request must be an object with a "type"'))
        handler = self._handlers.get(request["type"])
        if handler is None:
            known = ", ".join(sorted(self._handlers))
            return _error(ControlError(f"unknown request {request['type']!r} (known: {known})"))
        try:
            return {"ok": True, "result": handler(request)}
        except HarmError as error:
            return _error(error)

    def _reply(self, conn: socket.socket, response: Mapping[str, Any]) -> None:
        try:
            conn.setblocking(True)
            conn.settimeout(2.0)
            conn.sendall(json.dumps(response, separators=(",", ":")).encode() + b"\n")
        except OSError:
            pass

    def _drop(self, conn: socket.socket) -> None:
        self._buffers.pop(conn.fileno(), None)
        conn.close()

    def close(self) -> None:
        for conn, _ in list(self._buffers.values()):
            conn.close()
        self._buffers.clear()
        self.sock.close()
        with contextlib.suppress(OSError):
            self.path.unlink()


def _error(error: HarmError) -> dict[str, Any]:
    return {"ok": False, "error": {"type": type(error).__name__, "message": str(error)}}
