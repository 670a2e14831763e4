"""The client side of harmd's control socket (see :mod:`harm.daemon.control`)."""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path
from typing import Any

from harm.errors import ControlError

DEFAULT_SOCKET = Path("/run/harm/harmd.sock")


def default_socket() -> Path:
    return Path(os.environ.get("HARM_SOCKET", str(DEFAULT_SOCKET)))


def request(path: Path, kind: str, timeout: float = 5.0, **arguments: Any) -> Any:
    """Send one request and return its result; every failure is a ControlError."""
    message = json.dumps({"type": kind, **arguments}).encode() + b"\n"
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(timeout)
            sock.connect(str(path))
            sock.sendall(message)
            chunks = []
            while True:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                chunks.append(chunk)
    except FileNotFoundError:
        raise ControlError(f"{path}: no such socket (is harmd running?)") from None
    except ConnectionRefusedError:
        raise ControlError(f"{path}: connection refused (harmd is not running)") from None
    except OSError as error:
        raise ControlError(f"{path}: {error.strerror or error}") from None
    try:
        response = json.loads(b"".join(chunks))
    except ValueError:
        raise ControlError(f"{path}: harmd sent no valid answer") from None
    if not isinstance(response, dict):
        raise ControlError(f"{path}: harmd sent no valid answer")
    if not response.get("ok"):
        failure = response.get("error") or {}
        raise ControlError(f"{failure.get('type', 'Error')}: {failure.get('message', '?')}")
    return response.get("result")
