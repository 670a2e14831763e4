"""systemd's notify protocol, spoken directly: one datagram to ``$NOTIFY_SOCKET``."""

from __future__ import annotations

import socket
from collections.abc import Mapping


def notify(message: str, environ: Mapping[str, str]) -> bool:
    """Send ``message`` (e.g. ``READY=1``) if run under systemd; False when not."""
    address = environ.get("NOTIFY_SOCKET")
    if not address:
        return False
    if address.startswith("@"):
        address = "\0" + address[1:]
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
        try:
            sock.sendto(message.encode(), address)
        except OSError:
            return False
    return True
