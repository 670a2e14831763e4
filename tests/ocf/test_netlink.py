"""harm.ocf.netlink against pyroute2, in a network namespace the test creates.

The reader answers IPaddr2's monitor, so it must see exactly what pyroute2 sees: links (up,
down, without carrier), IPv4 and IPv6 addresses with their prefix and flags, and the
interface of the route to an address (none when there is no route).
"""

from __future__ import annotations

import sys

import pytest

from tests.agents.netns import in_ns, ip, namespace

pytestmark = pytest.mark.netns

COMPARE = """
import ipaddress, sys
from pyroute2 import IPRoute
from harm.ocf.netlink import Rtnetlink

with IPRoute() as ipr, Rtnetlink() as nl:
    links = ipr.get_links()
    assert len(links) >= 3
    for msg in links:
        name, index = msg.get_attr("IFLA_IFNAME"), msg["index"]
        mine = nl.link_by_name(name)
        assert mine is not None and mine == nl.link_by_index(index), name
        carrier = msg.get_attr("IFLA_CARRIER")
        theirs = (index, name, msg.get_attr("IFLA_ADDRESS") or "00:00:00:00:00:00",
                  bool(msg["flags"] & 1), carrier is None or bool(carrier))
        assert (mine.index, mine.name, mine.mac, mine.up, mine.carrier) == theirs, (mine, theirs)
        for family, version in ((2, 4), (10, 6)):
            want = sorted(
                (str(m.get_attr("IFA_LOCAL") or m.get_attr("IFA_ADDRESS")), m["prefixlen"],
                 int(m.get_attr("IFA_FLAGS") or m["flags"]))
                for m in ipr.get_addr(family=family, index=index))
            got = sorted((str(a.address), a.prefixlen, a.flags)
                         for a in nl.addresses(index, version))
            assert want == got, (name, want, got)
    for dst in sys.argv[1:]:
        try:
            want = ipr.route("get", dst=dst)[0].get_attr("RTA_OIF")
        except Exception:
            want = None
        assert nl.route_interface(ipaddress.ip_address(dst)) == want, dst
    assert nl.link_by_name("nosuchlink0") is None
    assert nl.link_by_index(999999) is None
    print("same", len(links), "links")
"""


def test_the_reader_sees_what_pyroute2_sees() -> None:
    with namespace() as ns:
        ip("-n", ns, "link", "add", "va", "type", "veth", "peer", "name", "vb")
        ip("-n", ns, "link", "add", "vc", "type", "veth", "peer", "name", "vd")
        ip("-n", ns, "link", "set", "va", "up")
        ip("-n", ns, "link", "set", "vb", "up")
        ip("-n", ns, "link", "set", "vc", "up")  # up, but its peer is down: no carrier
        ip("-n", ns, "addr", "add", "10.77.0.1/24", "dev", "va")
        ip("-n", ns, "addr", "add", "10.77.0.9/32", "dev", "va", "label", "va:vip")
        ip("-n", ns, "addr", "add", "fd77::1/64", "dev", "va", "nodad")
        ip("-n", ns, "addr", "add", "fd78::1/64", "dev", "vc", "nodad", "noprefixroute")
        ip("-n", ns, "addr", "add", "10.78.0.1/24", "dev", "vd")  # on a link that is down
        done = in_ns(
            ns, [sys.executable, "-c", COMPARE, "10.77.0.200", "127.0.0.1", "fd77::5",
                 "192.0.2.1", "fd99::1"],
        )
        assert done.returncode == 0, done.stderr
        assert done.stdout.startswith("same 5 links")
