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
IFA_ADDRESS, IFA_LOCAL, IFA_FLAGS = 1, 2, 8
RTA_DST, RTA_OIF = 1, 4
IFF_UP = 0x1

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


@dataclass(frozen=True)
class AddressState:
    """One address on an interface."""

    address: ipaddress.IPv4Address | ipaddress.IPv6Address
    prefixlen: int
    flags: int


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
            if aindex != index or afamily != family:
                continue
            attrs = _attributes(payload[_IFADDR.size :])
            raw = attrs.get(IFA_LOCAL) or attrs.get(IFA_ADDRESS)
            if not raw:
                continue
            extended = attrs.get(IFA_FLAGS)
            found.append(
                AddressState(
                    address=ipaddress.ip_address(raw),
                    prefixlen=prefixlen,
                    flags=struct.unpack("=I", extended[:4])[0] if extended else flags,
                )
            )
        return found
