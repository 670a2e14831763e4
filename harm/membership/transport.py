"""Real UDP: one socket per link, bound to its NIC with ``SO_BINDTODEVICE``.

- ``bcast``: sends to 255.255.255.255 out of the bound device;
- ``mcast``: joins the group on the device, sends to the group (loopback off);
- ``ucast``: sends to each listed peer address.

Every socket listens on the link's port on that device only, so a datagram's NIC is known
from the socket it arrived on. Counters of datagrams and bytes per link are kept here.
"""

from __future__ import annotations

import socket
import struct
from dataclasses import dataclass

from harm.errors import SettingsError
from harm.membership.settings import Link, LinkKind

RECV_SIZE = 65_535


@dataclass
class LinkCounters:
    tx_packets: int = 0
    tx_bytes: int = 0
    rx_packets: int = 0
    rx_bytes: int = 0
    tx_errors: int = 0


class UdpLink:
    """One NIC's socket (see the module docstring)."""

    def __init__(self, link: Link) -> None:
        self.link = link
        self.nic = link.dev
        self.counters = LinkCounters()
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, link.dev.encode())
            if link.kind is LinkKind.BCAST:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
                self._targets = [("255.255.255.255", link.port)]
            elif link.kind is LinkKind.MCAST:
                assert link.group is not None
                index = socket.if_nametoindex(link.dev)
                mreqn = struct.pack("=4s4si", socket.inet_aton(link.group), b"\0" * 4, index)
                sock.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, mreqn)
                sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, mreqn)
                sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, link.ttl)
                sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_LOOP, 0)
                self._targets = [(link.group, link.port)]
            else:
                self._targets = [(peer, link.port) for peer in link.peers]
            sock.bind(("", link.port))
            sock.setblocking(False)
        except OSError as error:
            sock.close()
            raise SettingsError(
                f"cannot open the {link.kind.value} link on {link.dev}: {error.strerror}"
            ) from None
        self.sock = sock

    def fileno(self) -> int:
        return self.sock.fileno()

    def send(self, data: bytes) -> None:
        """Send on this link; a NIC without carrier or route is not an error, just counted."""
        for target in self._targets:
            try:
                self.sock.sendto(data, target)
            except OSError:
                self.counters.tx_errors += 1
                continue
            self.counters.tx_packets += 1
            self.counters.tx_bytes += len(data)

    def receive(self) -> list[bytes]:
        """Every datagram waiting on the socket."""
        out: list[bytes] = []
        while True:
            try:
                data = self.sock.recv(RECV_SIZE)
            except (BlockingIOError, InterruptedError):
                return out
            except OSError:
                return out
            self.counters.rx_packets += 1
            self.counters.rx_bytes += len(data)
            out.append(data)

    def close(self) -> None:
        self.sock.close()
