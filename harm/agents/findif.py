"""Where a virtual address goes: its interface, prefix length and broadcast (pure).

The stock IPaddr2 asks ``findif`` (``ip route list match IP scope link``, longest prefix
wins); harm's IPaddr2 asks the same question of the kernel's tables read once
(:mod:`harm.ocf.netlink`) and answers it here, without I/O:

    1. the address is already on an interface (``nic``'s, when given): that interface,
       with the prefix it was added with, so stop and monitor find exactly what start
       added, whatever route exists now;
    2. else the longest connected route of the main table containing the address (IPv4:
       scope link; a default route never counts), through ``nic`` when it is given; a
       given ``cidr_netmask`` only takes routes at most that long, as ``route list match
       IP/MASK`` does;
    3. else, for 127.0.0.0/8, the loopback route of the local table (prefix 8 on ``lo``);
    4. else, with both ``nic`` and ``cidr_netmask`` given: exactly those;
    5. else nothing: the caller says "cannot find the interface or the netmask".

The broadcast is the one given (``+``: the prefix's broadcast, ``-``: its network
address), else the one of an address of the same network already on the interface, else
the prefix's broadcast.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass

from harm.ocf.netlink import (
    RT_SCOPE_LINK,
    RT_TABLE_LOCAL,
    RT_TABLE_MAIN,
    AddressState,
    RouteState,
)

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
LOOPBACK_NET = ipaddress.ip_network("127.0.0.0/8")


@dataclass(frozen=True)
class Placement:
    """The interface index and prefix an address goes on, and how they were found."""

    index: int
    prefixlen: int
    found_by: str  # "address", "route", "loopback" or "given"


def held(address: IPAddress, addresses: Sequence[AddressState],
         index: int | None = None) -> AddressState | None:
    """The address as it is on an interface (``index``'s when given), if it is anywhere."""
    for entry in addresses:
        if entry.address == address and (index is None or entry.index == index):
            return entry
    return None


def place(
    address: IPAddress,
    nic_index: int | None,
    prefixlen: int | None,
    addresses: Sequence[AddressState],
    routes: Sequence[RouteState],
) -> Placement | None:
    """Where ``address`` goes (see the module doc); None when nothing says."""
    present = held(address, addresses, nic_index)
    if present is not None:
        return Placement(present.index, prefixlen or present.prefixlen, "address")
    candidates = [
        route for route in routes
        if route.table == RT_TABLE_MAIN and route.contains(address)
        and (address.version == 6 or route.scope == RT_SCOPE_LINK)
        and (nic_index is None or route.oif == nic_index)
        and (prefixlen is None or route.dst_len <= prefixlen)
        and route.oif
    ]
    if candidates:
        best = max(candidates, key=lambda route: route.dst_len)
        return Placement(best.oif, prefixlen or best.dst_len, "route")
    if address in LOOPBACK_NET:
        for route in routes:
            if (route.table == RT_TABLE_LOCAL and route.contains(address)
                    and route.dst_len < address.max_prefixlen and route.oif
                    and (nic_index is None or route.oif == nic_index)):
                return Placement(route.oif, prefixlen or route.dst_len, "loopback")
    if nic_index is not None and prefixlen is not None:
        return Placement(nic_index, prefixlen, "given")
    return None


def broadcast_for(address: IPAddress, prefixlen: int, given: str, index: int,
                  addresses: Sequence[AddressState]) -> str:
    """The IPv4 broadcast to add ``address/prefixlen`` with ("" for IPv6)."""
    if address.version == 6:
        return ""
    network = ipaddress.ip_network(f"{address}/{prefixlen}", strict=False)
    if given == "-":
        return str(network.network_address)
    if given and given != "+":
        return given
    if not given:
        for entry in addresses:
            if (entry.index == index and entry.broadcast and entry.address != address
                    and entry.address in network):
                return entry.broadcast
    return str(network.broadcast_address) if prefixlen < 31 else ""
