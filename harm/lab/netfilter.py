"""Faults made of iptables rules inside a lab node's network namespace.

    cut(spec, node, peer)              node and peer drop each other's packets on every
                                       link (both namespaces); the gateway reaches both
    loss(spec, node, nic, percent)     that share of the node's packets in and out of NIC
                                       dropped (``statistic``)
    duplicate(spec, node, nic, percent) that share of what the node sends on NIC sent
                                       twice (``TEE`` to each peer on the link)
    clear(spec, node)                  every rule gone (a lab namespace holds only these)

The kernel here has no ``sch_netem`` (and no tc actions), so these are what stands in for
netem; there is no delay.
"""

from __future__ import annotations

import shutil
import subprocess

from harm.errors import LabError
from harm.lab import netns
from harm.lab.spec import LabSpec

CHAIN = "HARMLAB"


def _iptables(spec: LabSpec, node: str, args: list[str], check: bool = True) -> None:
    if shutil.which("iptables") is None:
        raise LabError("iptables is not installed (scripts/setup.sh installs it)")
    netns.run(["ip", "netns", "exec", spec.node_ns(node), "iptables", "-w", *args],
              check=check)


def _chain(spec: LabSpec, node: str) -> None:
    """The filter chain the rules go in, hooked into INPUT and OUTPUT (once)."""
    probe = subprocess.run(["ip", "netns", "exec", spec.node_ns(node), "iptables", "-w",
                            "-S", CHAIN], capture_output=True, check=False)
    if probe.returncode != 0:
        _iptables(spec, node, ["-N", CHAIN])
        for hook in ("INPUT", "OUTPUT"):
            _iptables(spec, node, ["-I", hook, "-j", CHAIN])


def cut(spec: LabSpec, node: str, peer: str) -> None:
    for one, other in ((node, peer), (peer, node)):
        _chain(spec, one)
        for link in range(spec.links):
            address = spec.address(other, link).split("/")[0]
            _iptables(spec, one, ["-A", CHAIN, "-s", address, "-j", "DROP"])
            _iptables(spec, one, ["-A", CHAIN, "-d", address, "-j", "DROP"])


def _chance(percent: float) -> list[str]:
    if not 0 < percent <= 100:
        raise LabError(f"{percent:g}%: the share must be in (0, 100]")
    return ["-m", "statistic", "--mode", "random", "--probability", f"{percent / 100:.3f}"]


def loss(spec: LabSpec, node: str, nic: str, percent: float) -> None:
    chance = _chance(percent)
    _chain(spec, node)
    for flag in ("-i", "-o"):
        _iptables(spec, node, ["-A", CHAIN, flag, nic, *chance, "-j", "DROP"])


def duplicate(spec: LabSpec, node: str, link: int, percent: float) -> None:
    chance = _chance(percent)
    nic = spec.nic(link)
    for peer in spec.nodes:
        if peer != node:
            _iptables(spec, node, ["-t", "mangle", "-A", "POSTROUTING", "-o", nic, *chance,
                                   "-j", "TEE", "--gateway",
                                   spec.address(peer, link).split("/")[0]])


def clear(spec: LabSpec, node: str) -> None:
    if shutil.which("iptables") is None:
        return
    for table in ("filter", "mangle"):
        for flag in ("-F", "-X"):
            _iptables(spec, node, ["-t", table, flag], check=False)
