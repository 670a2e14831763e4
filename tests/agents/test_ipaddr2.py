"""IPaddr2 in a network namespace the test creates: real addresses, real kernel errors."""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from pyroute2 import NetNS
from pyroute2.netlink.exceptions import NetlinkError

from .netns import in_ns, ip, veth_lab

pytestmark = pytest.mark.netns

REPO = Path(__file__).resolve().parents[2]
AGENT = str(REPO / "agents" / "IPaddr2")
CAPTURE = str(Path(__file__).with_name("capture.py"))


def env_for(**params: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OCF_")}
    env["OCF_RESOURCE_INSTANCE"] = "vip"
    env.update({f"OCF_RESKEY_{k}": v for k, v in params.items()})
    return env


def agent(ns: str, action: str, **params: str) -> subprocess.CompletedProcess[str]:
    return in_ns(ns, [AGENT, action], env=env_for(**params))


def addresses(ns: str) -> str:
    return in_ns(ns, ["ip", "addr", "show", "dev", "va"]).stdout


def test_kernel_errno_for_add_twice_and_delete_missing() -> None:
    with veth_lab() as ns, NetNS(ns) as ipr:
        index = ipr.link_lookup(ifname="va")[0]
        ipr.addr("add", index=index, address="10.98.0.1", prefixlen=24)
        with pytest.raises(NetlinkError) as twice:
            ipr.addr("add", index=index, address="10.98.0.1", prefixlen=24)
        assert twice.value.code == errno.EEXIST
        ipr.addr("del", index=index, address="10.98.0.1", prefixlen=24)
        with pytest.raises(NetlinkError) as missing:
            ipr.addr("del", index=index, address="10.98.0.1", prefixlen=24)
        assert missing.value.code == errno.EADDRNOTAVAIL


@pytest.mark.parametrize(
    ("address", "prefix", "kind"),
    [("10.98.0.10", "24", "arp"), ("fd00:98::10", "64", "na")],
)
def test_start_announces_monitor_stop(address: str, prefix: str, kind: str) -> None:
    params = {"ip": address, "nic": "va", "cidr_netmask": prefix, "arp_count": "3",
              "arp_interval": "100"}
    with veth_lab() as ns:
        assert agent(ns, "monitor", **params).returncode == 7  # probe on a clean node
        capture = subprocess.Popen(
            ["ip", "netns", "exec", ns, sys.executable, CAPTURE, "vb", address, "8"],
            stdout=subprocess.PIPE, text=True,
        )
        try:
            assert capture.stdout is not None
            assert capture.stdout.readline().strip() == "ready"
            started = agent(ns, "start", **params)
            assert started.returncode == 0, started.stderr
            counts = json.loads(capture.stdout.readline())
        finally:
            capture.kill()
            capture.wait()
        assert counts[kind] == 3
        assert f"{address}/{prefix}" in addresses(ns)
        assert "tentative" not in addresses(ns)
        assert agent(ns, "start", **params).returncode == 0  # already there: success
        assert agent(ns, "monitor", **params).returncode == 0
        assert agent(ns, "stop", **params).returncode == 0
        assert address not in addresses(ns)
        assert agent(ns, "stop", **params).returncode == 0  # already gone: success
        assert agent(ns, "monitor", **params).returncode == 7


def test_monitor_fails_when_the_link_goes_down() -> None:
    params = {"ip": "10.98.0.11", "nic": "va", "cidr_netmask": "24", "arp_count": "0"}
    with veth_lab() as ns:
        assert agent(ns, "start", **params).returncode == 0
        ip("-n", ns, "link", "set", "vb", "down")  # peer down: va has no carrier
        lost = agent(ns, "monitor", **params)
        assert lost.returncode == 1
        assert "no carrier" in lost.stderr
        ip("-n", ns, "link", "set", "vb", "up")
        ip("-n", ns, "link", "set", "va", "down")
        down = agent(ns, "monitor", **params)
        assert down.returncode == 1
        assert "link is down" in down.stderr
        assert agent(ns, "start", **params).returncode == 0  # start brings the link up
        assert agent(ns, "monitor", **params).returncode == 0


def test_label_nic_from_route_and_configuration_errors() -> None:
    with veth_lab() as ns:
        ip("-n", ns, "addr", "add", "10.98.1.1/24", "dev", "va")
        params = {"ip": "10.98.1.20", "iflabel": "svc", "nic": "va", "arp_count": "1"}
        assert agent(ns, "start", **params).returncode == 0
        shown = addresses(ns)
        assert "10.98.1.20/24" in shown  # prefix taken from the connected route
        assert "va:svc" in shown
        no_nic = agent(ns, "start", ip="10.98.1.21", arp_count="0")  # nic found by route
        assert no_nic.returncode == 0, no_nic.stderr
        assert "10.98.1.21/24" in addresses(ns)
        assert agent(ns, "start", ip="not-an-ip").returncode == 6
        assert agent(ns, "start", ip="10.98.1.22", nic="va", cidr_netmask="40").returncode == 6
        missing = agent(ns, "start", ip="10.98.1.23", nic="nosuch0")
        assert missing.returncode == 6  # as the stock agent: a nic this node lacks
        assert agent(ns, "monitor", ip="10.98.1.23", nic="nosuch0").returncode == 7
        assert agent(ns, "stop", ip="10.98.1.23", nic="nosuch0").returncode == 0


def test_ocf_tester_passes_in_the_namespace() -> None:
    with veth_lab() as ns:
        argv = ["ocf-tester", "-n", "vip", "-o", "ip=10.98.2.10", "-o", "nic=va",
                "-o", "cidr_netmask=24", "-o", "arp_count=1", AGENT]
        env = {k: v for k, v in os.environ.items() if not k.startswith("OCF_")}
        done = in_ns(ns, argv, env=env, timeout=300)
        assert done.returncode == 0, done.stdout + done.stderr
        assert "passed all tests" in done.stdout


@pytest.mark.parametrize("family", ["ipv4", "ipv6"])
def test_stop_with_only_ip_removes_the_address(family: str) -> None:
    """The address start added is found where it is: a stop naming only ip= removes it,
    whichever route exists (none for a /32 or /128 outside every connected network)."""
    with veth_lab() as ns:
        if family == "ipv4":
            ip("-n", ns, "addr", "add", "10.98.3.1/24", "dev", "va")
            cases = [("10.98.3.40", {}), ("10.97.0.5", {"cidr_netmask": "32"})]
        else:
            ip("-n", ns, "addr", "add", "fd00:98:3::1/64", "dev", "va", "nodad")
            cases = [("fd00:98:3::40", {"nodad": "true"}),
                     ("fd00:97::5", {"cidr_netmask": "128", "nodad": "true"})]
        for address, extra in cases:
            started = agent(ns, "start", ip=address, nic="va", arp_count="0", **extra)
            assert started.returncode == 0, started.stderr
            assert address in addresses(ns)
            assert agent(ns, "monitor", ip=address).returncode == 0  # found without nic=
            stopped = agent(ns, "stop", ip=address)
            assert stopped.returncode == 0, stopped.stderr
            assert address not in addresses(ns)
            assert agent(ns, "monitor", ip=address).returncode == 7
            assert agent(ns, "stop", ip=address).returncode == 0


STOCK = "/usr/lib/ocf/resource.d/heartbeat/IPaddr2"

# (action, parameters): the combinations of the stock agent's meta-data; arp_count=1
# because the stock agent refuses 0 (harm's IPaddr2 takes it as "announce nothing")
PARITY: list[tuple[str, dict[str, str]]] = [
    ("start", {"ip": "10.98.4.20"}),
    ("start", {"ip": "10.98.4.21", "nic": "va"}),
    ("start", {"ip": "10.98.4.22", "cidr_netmask": "28"}),
    ("start", {"ip": "10.98.4.23", "nic": "va", "cidr_netmask": "255.255.255.0"}),
    ("start", {"ip": "10.98.4.24", "nic": "va", "broadcast": "10.98.4.200"}),
    ("start", {"ip": "10.98.4.25", "nic": "va:lab"}),
    ("start", {"ip": "10.98.4.26", "nic": "va", "iflabel": "svc"}),
    ("start", {"ip": "10.97.0.5", "nic": "va", "cidr_netmask": "32"}),
    ("start", {"ip": "127.0.0.9"}),
    ("start", {"ip": "127.0.0.10", "nic": "lo"}),
    ("start", {"ip": "10.97.0.6"}),  # no route, no nic: cannot place it (1)
    ("start", {"ip": "10.97.0.7", "nic": "va"}),  # no route on va, no netmask (1)
    ("start", {"ip": "not-an-ip"}),
    ("start", {"ip": "10.98.4.27", "nic": "nosuch0"}),
    ("start", {"ip": "10.98.4.28", "nic": "va", "cidr_netmask": "40"}),
    ("start", {"ip": "10.98.4.29", "nic": "va", "cidr_netmask": "0"}),
    ("start", {"ip": "10.98.4.30", "nic": "va", "cidr_netmask": "255.0.255.0"}),
    ("start", {"ip": "10.98.4.31", "nic": "va", "broadcast": "bogus"}),
    ("start", {"ip": "10.98.4.32", "nic": "va", "iflabel": "muchtoolonglabel"}),
    ("start", {"ip": "fe80::99"}),
    ("validate-all", {"ip": "10.98.4.33", "nic": "va", "cidr_netmask": "40"}),
    ("validate-all", {"ip": "10.98.4.34", "nic": "nosuch0"}),
    ("monitor", {"ip": "10.98.4.35", "nic": "nosuch0"}),
    ("monitor", {"ip": "10.98.4.36"}),
    ("stop", {"ip": "10.98.4.37", "nic": "nosuch0"}),
    ("stop", {"ip": "10.97.0.8"}),
]


def _placed(ns: str) -> set[str]:
    """The IPv4 addresses the agent added, as ``ADDRESS/PREFIX LABEL BROADCAST`` (the
    broadcast only when one was given: the stock agent adds none unless told)."""
    shown = json.loads(in_ns(ns, ["ip", "-j", "-4", "addr", "show"]).stdout)
    seen = set()
    for link in shown:
        for entry in link.get("addr_info", []):
            if entry["local"] in {"10.98.4.1", "127.0.0.1"}:
                continue
            brd = entry.get("broadcast", "")
            seen.add(f"{entry['local']}/{entry['prefixlen']} {entry.get('label', '')} "
                     f"{brd if brd.endswith('.200') else ''}")
    return seen


@pytest.mark.parametrize(("action", "params"), PARITY,
                         ids=[f"{a}-{'-'.join(p.values())}" for a, p in PARITY])
def test_exit_code_and_address_as_the_stock_agent(action: str, params: dict[str, str]) -> None:
    """The same call in two identical namespaces, one per agent: the same exit code, and
    the same address, prefix, label and given broadcast on the node afterwards."""
    outcomes = []
    for program in (STOCK, AGENT):
        with veth_lab() as ns:
            ip("-n", ns, "addr", "add", "10.98.4.1/24", "dev", "va")
            env = {**env_for(arp_count="1", **params), "OCF_ROOT": "/usr/lib/ocf"}
            done = in_ns(ns, [program, action], env=env)
            outcomes.append((done.returncode, _placed(ns)))
    assert outcomes[1] == outcomes[0], outcomes
