"""Reading links, addresses and routes from the kernel, for monitors that run every few seconds.

pyroute2 takes a few hundred ms to import (it loads its whole database layer), more than
everything else an agent call does. An IPaddr2 monitor only needs to read three things,
so it asks rtnetlink itself with the standard library; actions that change the kernel's
state keep using pyroute2.

    request   := nlmsghdr(len, type, NLM_F_REQUEST [| NLM_F_DUMP], seq, 0) body attributes*
    answer    := message* (a dump ends with NLMSG_DONE; an error is NLMSG_ERROR with -errno)
    attribute := rtattr(len, type) payload, padded to 4 bytes

Message bodies (``linux/rtnetlink.h``, ``linux/if_link.h``, ``linux/if_addr.h``)::

    ifinfomsg  family u8, pad u8, type u16, index i32, flags u32, change u32
    ifaddrmsg  family u8, prefixlen u8, flags u8, scope u8, index u32
    rtmsg      family u8, dst_len u8, src_len u8, tos u8, table u8, protocol u8, scope u8,
               type u8, flags u32
"""

from __future__ import annotations

import errno
import ipaddress
import os
import socket
import struct
from collections.abc import Iterator
from dataclasses import dataclass

from harm.errors import AgentError

NETLINK_ROUTE = 0
NLMSG_ERROR, NLMSG_DONE = 2, 3
NLM_F_REQUEST, NLM_F_DUMP = 0x1, 0x300
RTM_GETLINK, RTM_GETADDR, RTM_GETROUTE = 18, 22, 26
NEWLINK, NEWADDR, NEWROUTE = 16, 20, 24
IFLA_ADDRESS, IFLA_IFNAME, IFLA_CARRIER = 1, 3, 33
IFA_ADDRESS, IFA_LOCAL, IFA_LABEL, IFA_BROADCAST, IFA_FLAGS = 1, 2, 3, 4, 8
RTA_DST, RTA_OIF, RTA_TABLE = 1, 4, 15
IFF_UP, IFF_LOOPBACK = 0x1, 0x8
RT_TABLE_MAIN, RT_TABLE_LOCAL = 254, 255
RT_SCOPE_UNIVERSE, RT_SCOPE_LINK, RT_SCOPE_HOST = 0, 253, 254  # also in agents/ipaddr2.py

_HEADER = struct.Struct("=IHHII")
_IFINFO = struct.Struct("=BxHiII")
_IFADDR = struct.Struct("=BBBBI")
_RTMSG = struct.Struct("=BBBBBBBBI")
_RTATTR = struct.Struct("=HH")


@dataclass(frozen=True)
class LinkState:
    """One network interface as the kernel reports it."""

    index: int
    name: str
    mac: str
    up: bool
    carrier: bool
    loopback: bool = False


@dataclass(frozen=True)
class AddressState:
    """One address on an interface (``label`` and ``broadcast`` are IPv4's, else empty)."""

    address: ipaddress.IPv4Address | ipaddress.IPv6Address
    prefixlen: int
    flags: int
    index: int = 0
    label: str = ""
    broadcast: str = ""


@dataclass(frozen=True)
class RouteState:
    """One route: ``dst``/``dst_len`` through interface ``oif`` (0 when it has none)."""

    dst: ipaddress.IPv4Address | ipaddress.IPv6Address | None
    dst_len: int
    oif: int
    table: int
    scope: int

    def contains(self, address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
        """Whether ``address`` lies in this route's destination (a default route never)."""
        if self.dst is None or self.dst_len == 0 or self.dst.version != address.version:
            return False
        network = ipaddress.ip_network(f"{self.dst}/{self.dst_len}", strict=False)
        return address in network


def _align(length: int) -> int:
    return (length + 3) & ~3


def _attribute(kind: int, payload: bytes) -> bytes:
    head = _RTATTR.pack(_RTATTR.size + len(payload), kind)
    return (head + payload).ljust(_align(len(head) + len(payload)), b"\0")


def _attributes(data: bytes) -> dict[int, bytes]:
    found: dict[int, bytes] = {}
    offset = 0
    while offset + _RTATTR.size <= len(data):
        length, kind = _RTATTR.unpack_from(data, offset)
        if length < _RTATTR.size:
            break
        found.setdefault(kind & 0x3FFF, data[offset + _RTATTR.size : offset + length])
        offset += _align(length)
    return found


def _text(raw: bytes) -> str:
    return raw.split(b"\0", 1)[0].decode("utf-8", "replace")


class Rtnetlink:
    """A read-only rtnetlink socket: ``with Rtnetlink() as nl: nl.link_by_name("eth0")``."""

    def __init__(self) -> None:
        try:
            self._sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_ROUTE)
            self._sock.bind((0, 0))
        except OSError as error:
            raise AgentError(f"cannot open rtnetlink: {error.strerror or error}") from None
        self._seq = 0

    def __enter__(self) -> Rtnetlink:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        self._sock.close()

    def _ask(self, kind: int, flags: int, body: bytes) -> Iterator[tuple[int, bytes]]:
        """Send one request; yield (type, body) of each answer until it is complete.

        An error answer raises OSError with the kernel's errno."""
        self._seq += 1
        seq = self._seq
        self._sock.send(_HEADER.pack(_HEADER.size + len(body), kind, flags, seq, 0) + body)
        while True:
            data = self._sock.recv(1 << 16)
            offset = 0
            while offset + _HEADER.size <= len(data):
                length, mtype, mflags, mseq, _ = _HEADER.unpack_from(data, offset)
                if length < _HEADER.size:
                    return
                payload = data[offset + _HEADER.size : offset + length]
                offset += _align(length)
                if mseq != seq:
                    continue
                if mtype == NLMSG_DONE:
                    return
                if mtype == NLMSG_ERROR:
                    code = -struct.unpack_from("=i", payload)[0]
                    if code:
                        raise OSError(code, os.strerror(code))
                    return
                yield mtype, payload
                if not mflags & 0x2:  # NLM_F_MULTI: more parts follow until NLMSG_DONE
                    return

    def _link(self, body: bytes) -> LinkState | None:
        try:
            for mtype, payload in self._ask(RTM_GETLINK, NLM_F_REQUEST, body):
                if mtype != NEWLINK:
                    continue
                _family, _type, index, flags, _change = _IFINFO.unpack_from(payload)
                attrs = _attributes(payload[_IFINFO.size :])
                mac = attrs.get(IFLA_ADDRESS, b"")
                carrier = attrs.get(IFLA_CARRIER)
                return LinkState(
                    index=index,
                    name=_text(attrs.get(IFLA_IFNAME, b"")),
                    mac=":".join(f"{b:02x}" for b in mac) if mac else "00:00:00:00:00:00",
                    up=bool(flags & IFF_UP),
                    carrier=carrier is None or bool(carrier[0]),
                    loopback=bool(flags & IFF_LOOPBACK),
                )
        except OSError as error:
            if error.errno in (errno.ENODEV, errno.EINVAL, errno.ENOENT):
                return None
            raise AgentError(f"rtnetlink: reading a link: {error.strerror}") from None
        return None

    def link_by_name(self, name: str) -> LinkState | None:
        """The interface called ``name`` (None when there is none)."""
        body = _IFINFO.pack(socket.AF_UNSPEC, 0, 0, 0, 0)
        return self._link(body + _attribute(IFLA_IFNAME, name.encode() + b"\0"))

    def link_by_index(self, index: int) -> LinkState | None:
        return self._link(_IFINFO.pack(socket.AF_UNSPEC, 0, index, 0, 0))

    def route_interface(
        self, address: ipaddress.IPv4Address | ipaddress.IPv6Address
    ) -> int | None:
        """The index of the interface the kernel would send to ``address`` through."""
        family = socket.AF_INET6 if address.version == 6 else socket.AF_INET
        body = _RTMSG.pack(family, address.max_prefixlen, 0, 0, 0, 0, 0, 0, 0)
        try:
            for mtype, payload in self._ask(
                RTM_GETROUTE, NLM_F_REQUEST, body + _attribute(RTA_DST, address.packed)
            ):
                if mtype == NEWROUTE:
                    oif = _attributes(payload[_RTMSG.size :]).get(RTA_OIF)
                    return struct.unpack("=i", oif[:4])[0] if oif else None
        except OSError:
            return None
        return None

    def addresses(self, index: int, version: int) -> list[AddressState]:
        """The IPv4 (``version`` 4) or IPv6 (6) addresses on interface ``index``."""
        return [a for a in self.all_addresses(version) if a.index == index]

    def all_addresses(self, version: int) -> list[AddressState]:
        """Every IPv4 (``version`` 4) or IPv6 (6) address of every interface."""
        family = socket.AF_INET6 if version == 6 else socket.AF_INET
        found: list[AddressState] = []
        body = _IFADDR.pack(family, 0, 0, 0, 0)
        try:
            answers = list(self._ask(RTM_GETADDR, NLM_F_REQUEST | NLM_F_DUMP, body))
        except OSError as error:
            raise AgentError(f"rtnetlink: reading addresses: {error.strerror}") from None
        for mtype, payload in answers:
            if mtype != NEWADDR:
                continue
            afamily, prefixlen, flags, _scope, aindex = _IFADDR.unpack_from(payload)
            if afamily != family:
                continue
            attrs = _attributes(payload[_IFADDR.size :])
            raw = attrs.get(IFA_LOCAL) or attrs.get(IFA_ADDRESS)
            if not raw:
                continue
            extended = attrs.get(IFA_FLAGS)
            broadcast = attrs.get(IFA_BROADCAST)
            found.append(
                AddressState(
                    address=ipaddress.ip_address(raw),
                    prefixlen=prefixlen,
                    flags=struct.unpack("=I", extended[:4])[0] if extended else flags,
                    index=aindex,
                    label=_text(attrs.get(IFA_LABEL, b"")),
                    broadcast=str(ipaddress.ip_address(broadcast)) if broadcast else "",
                )
            )
        return found

    def routes(self, version: int) -> list[RouteState]:
        """Every IPv4 (4) or IPv6 (6) route of every table (``ip route show table all``)."""
        family = socket.AF_INET6 if version == 6 else socket.AF_INET
        body = _RTMSG.pack(family, 0, 0, 0, 0, 0, 0, 0, 0)
        try:
            answers = list(self._ask(RTM_GETROUTE, NLM_F_REQUEST | NLM_F_DUMP, body))
        except OSError as error:
            raise AgentError(f"rtnetlink: reading routes: {error.strerror}") from None
        found: list[RouteState] = []
        for mtype, payload in answers:
            if mtype != NEWROUTE:
                continue
            rfamily, dst_len, _src, _tos, table, _proto, scope, _type, _flags = (
                _RTMSG.unpack_from(payload)
            )
            if rfamily != family:
                continue
            attrs = _attributes(payload[_RTMSG.size :])
            dst = attrs.get(RTA_DST)
            oif = attrs.get(RTA_OIF)
            full_table = attrs.get(RTA_TABLE)
            found.append(
                RouteState(
                    dst=ipaddress.ip_address(dst) if dst else None,
                    dst_len=dst_len,
                    oif=struct.unpack("=i", oif[:4])[0] if oif else 0,
                    table=struct.unpack("=I", full_table[:4])[0] if full_table else table,
                    scope=scope,
                )
            )
        return found
