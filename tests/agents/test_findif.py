"""Where IPaddr2 puts an address (harm.agents.findif), as pure functions of the kernel's tables."""

from __future__ import annotations

import ipaddress

from harm.agents.findif import broadcast_for, place
from harm.ocf.netlink import (
    RT_SCOPE_HOST,
    RT_SCOPE_LINK,
    RT_TABLE_LOCAL,
    RT_TABLE_MAIN,
    AddressState,
    RouteState,
)

A = ipaddress.ip_address
ETH0, ETH1, LO = 2, 3, 1
ROUTES = [
    RouteState(A("10.0.0.0"), 24, ETH0, RT_TABLE_MAIN, RT_SCOPE_LINK),
    RouteState(A("10.0.0.0"), 28, ETH1, RT_TABLE_MAIN, RT_SCOPE_LINK),
    RouteState(None, 0, ETH0, RT_TABLE_MAIN, 0),  # default route: never chosen
    RouteState(A("10.9.0.0"), 16, ETH0, RT_TABLE_MAIN, 0),  # via a gateway: not connected
    RouteState(A("127.0.0.0"), 8, LO, RT_TABLE_LOCAL, RT_SCOPE_HOST),
    RouteState(A("fd00::"), 64, ETH1, RT_TABLE_MAIN, 0),
]
ADDRESSES = [
    AddressState(A("10.0.0.1"), 24, 0, ETH0, "eth0", "10.0.0.255"),
    AddressState(A("10.0.0.99"), 32, 0, ETH1, "eth1:svc"),
]


def test_an_address_already_there_is_found_there_whatever_the_routes() -> None:
    spot = place(A("10.0.0.99"), None, None, ADDRESSES, ROUTES)
    assert spot is not None and (spot.index, spot.prefixlen, spot.found_by) == (ETH1, 32,
                                                                               "address")


def test_the_longest_connected_route_wins_and_a_netmask_limits_it() -> None:
    spot = place(A("10.0.0.5"), None, None, ADDRESSES, ROUTES)
    assert spot is not None and (spot.index, spot.prefixlen) == (ETH1, 28)
    spot = place(A("10.0.0.5"), ETH0, None, ADDRESSES, ROUTES)
    assert spot is not None and (spot.index, spot.prefixlen) == (ETH0, 24)
    spot = place(A("10.0.0.5"), None, 26, ADDRESSES, ROUTES)  # only routes up to /26
    assert spot is not None and (spot.index, spot.prefixlen) == (ETH0, 26)


def test_nothing_places_an_address_outside_every_connected_network() -> None:
    assert place(A("10.9.1.1"), None, None, ADDRESSES, ROUTES) is None  # gateway route
    assert place(A("192.0.2.1"), None, None, ADDRESSES, ROUTES) is None  # default only
    assert place(A("192.0.2.1"), ETH0, None, ADDRESSES, ROUTES) is None
    spot = place(A("192.0.2.1"), ETH0, 32, ADDRESSES, ROUTES)  # pinned by both parameters
    assert spot is not None and spot.found_by == "given"


def test_loopback_and_ipv6() -> None:
    spot = place(A("127.0.0.9"), None, None, ADDRESSES, ROUTES)
    assert spot is not None and (spot.index, spot.prefixlen, spot.found_by) == (LO, 8,
                                                                               "loopback")
    spot = place(A("fd00::5"), None, None, ADDRESSES, ROUTES)
    assert spot is not None and (spot.index, spot.prefixlen) == (ETH1, 64)


def test_broadcast_given_found_or_computed() -> None:
    assert broadcast_for(A("10.0.0.5"), 24, "10.0.0.200", ETH0, ADDRESSES) == "10.0.0.200"
    assert broadcast_for(A("10.0.0.5"), 24, "", ETH0, ADDRESSES) == "10.0.0.255"  # eth0's
    assert broadcast_for(A("10.0.0.5"), 24, "-", ETH0, ADDRESSES) == "10.0.0.0"
    assert broadcast_for(A("10.1.0.5"), 16, "+", ETH0, ADDRESSES) == "10.1.255.255"
    assert broadcast_for(A("10.1.0.5"), 32, "", ETH0, ADDRESSES) == ""
    assert broadcast_for(A("fd00::5"), 64, "", ETH1, ADDRESSES) == ""
