"""A node's UDP socket to the witness (the one piece of the witness client with I/O)."""

from __future__ import annotations

import socket

from harm.errors import SettingsError
from harm.membership.settings import Settings
from harm.witness.client import ClientParams

RECV_SIZE = 65_535


def client_params(settings: Settings, generation: int) -> ClientParams:
    """The client's timing from the node's settings (see docs/quorum.md):
    renew every keepalive, wait up to two keepalives (at least 300 ms) for an answer, and
    a node without a promoted resource asks after a split that much plus two keepalives
    later than one with."""
    assert settings.witness is not None
    keepalive = settings.keepalive_ms
    wait = max(2 * keepalive, 300)
    return ClientParams(
        cluster=settings.cluster, node=settings.node, generation=generation,
        lease_ms=settings.witness.lease_ms or settings.deadtime_ms,
        margin_ms=settings.witness.margin_ms or settings.deadtime_ms,
        renew_ms=keepalive, wait_ms=wait, defer_ms=wait + 2 * keepalive)


class WitnessLink:
    """Datagrams to and from ``address:port`` (routed like any traffic, on no one NIC)."""

    def __init__(self, address: str, port: int) -> None:
        self.target = (address, port)
        self.sent = 0
        self.send_errors = 0
        self.received = 0
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            sock.bind(("", 0))
            sock.setblocking(False)
        except OSError as error:
            sock.close()
            raise SettingsError(f"cannot open the witness socket: {error.strerror}") from None
        self.sock = sock

    def fileno(self) -> int:
        return self.sock.fileno()

    def send(self, data: bytes) -> None:
        try:
            self.sock.sendto(data, self.target)
            self.sent += 1
        except OSError:
            self.send_errors += 1  # no route, unreachable: the answer just does not come

    def receive(self) -> list[bytes]:
        out: list[bytes] = []
        while True:
            try:
                data, peer = self.sock.recvfrom(RECV_SIZE)
            except (BlockingIOError, InterruptedError):
                return out
            except OSError:  # ICMP unreachable reported on the socket
                return out
            if peer != self.target:
                continue
            self.received += 1
            out.append(data)

    def close(self) -> None:
        self.sock.close()
