"""Failing and healing lab nodes: a NIC, harmd, the whole node, partitions.

- ``link=NIC``: the switch-side end of the node's NIC goes down (a pulled cable);
- ``harmd``: kill -9 of the node's harmd;
- ``node``: every process in the node's namespace killed and every link down;
- ``postgres``: kill -9 of the node's postmaster only (its backends notice and exit);
- ``partition=A,B``: for every link, a new bridge takes the ports of the listed nodes (plus
  the failed node), so they see each other and nobody else. The gateway stays on the
  original bridge.
- ``cut=OTHER``: the node and OTHER stop hearing each other on every link (iptables DROP
  in both namespaces, chain ``HARMLAB-CUT``) while the gateway, its clients and the
  witness still reach both: the cross-connect between two racks died;
- ``cut=witness``: the node no longer reaches the witness (its UDP port dropped there);
- ``gateway witness``: the witness's host is lost (kill -9 of ``harm witness``).

- ``loss=NIC:PERCENT``, ``duplicate=NIC:PERCENT``: that share of the node's packets on
  NIC dropped, or sent twice (iptables inside the node, :mod:`harm.lab.netfilter`).

``heal NODE`` puts the node's ports back on the original bridges, up, removes its iptables
rules and restarts harmd
(not PostgreSQL: restarting it is the cluster's job);
``heal`` without a node does that for every node and removes the partition bridges;
either way every iptables cut goes. ``heal gateway`` (or ``heal``) restarts the witness.
"""

from __future__ import annotations

import json
import re

from harm.errors import LabError
from harm.lab import lab, netfilter, netns
from harm.lab.netns import ip, ip_batch
from harm.lab.spec import GATEWAY, LabSpec

CUT_CHAIN = "HARMLAB-CUT"
ISLAND_BRIDGE = re.compile(r"^br(\d+)p(\d+)$")


def _check_node(spec: LabSpec, node: str) -> None:
    if node not in spec.nodes:
        raise LabError(f"no node {node!r} in lab {spec.name} ({', '.join(spec.nodes)})")


def _links(spec: LabSpec, nic: str) -> int:
    for link in range(spec.links):
        if spec.nic(link) == nic:
            return link
    raise LabError(f"no link {nic!r} (the lab has {', '.join(map(spec.nic, range(spec.links)))})")


def switch_ports(spec: LabSpec) -> dict[str, dict[str, str]]:
    """Every switch port: ``{"n0l1": {"state": "up"|"down", "master": "br1"}}``."""
    out = ip("-j", "link", "show", namespace=spec.switch_ns)
    ports = {}
    for entry in json.loads(out or "[]"):
        name = entry.get("ifname", "")
        up = "UP" in entry.get("flags", [])
        ports[name] = {"state": "up" if up else "down", "master": entry.get("master", "")}
    return ports


def fail(spec: LabSpec, node: str, what: str) -> str:
    """Apply one fault; a sentence saying what was done."""
    if node == GATEWAY and what == "witness":
        if not lab.stop_witness(spec):
            raise LabError("the witness is not running (harm lab up --witness)")
        return "killed the witness (its host is lost)"
    _check_node(spec, node)
    sw = spec.switch_ns
    if what == "harmd":
        if not lab.stop_harmd(spec, node):
            raise LabError(f"harmd is not running on {node}")
        return f"killed harmd on {node}"
    if what == "postgres":
        from harm.lab.postgres import kill_postmaster

        return f"killed the postmaster (pid {kill_postmaster(spec, node)}) on {node}"
    if what == "node":
        lab.stop_harmd(spec, node)
        netns.kill_namespace_processes(spec.node_ns(node))
        ip_batch([f"link set {spec.port(node, link)} down" for link in range(spec.links)],
                 namespace=sw)
        # a crashed machine comes back without the addresses its agents had added (VIPs):
        # only the node's own address is left on each NIC
        lines = []
        for link in range(spec.links):
            nic = spec.nic(link)
            lines += [f"addr flush dev {nic} scope global",
                      f"addr add {spec.address(node, link)} dev {nic}"]
        ip_batch(lines, namespace=spec.node_ns(node))
        return f"node {node}: every process killed, every link down, added addresses gone"
    if what.startswith("link="):
        link = _links(spec, what.split("=", 1)[1])
        ip("link", "set", spec.port(node, link), "down", namespace=sw)
        return f"{node}: {spec.nic(link)} is down"
    if what == "cut=witness":
        _cut_witness(spec, node)
        return f"{node} no longer reaches the witness (everything else still does)"
    if what.startswith("cut="):
        other = what.split("=", 1)[1]
        _check_node(spec, other)
        if other == node:
            raise LabError("cut=NODE needs another node")
        _cut(spec, node, other)
        _cut(spec, other, node)
        return f"{node} and {other} no longer hear each other (the gateway reaches both)"
    if what.startswith("partition="):
        members = {n for n in what.split("=", 1)[1].split(",") if n} | {node}
        for member in members:
            _check_node(spec, member)
        ports = switch_ports(spec)
        used = {int(m.group(2)) for name in ports if (m := ISLAND_BRIDGE.match(name))}
        island = max(used, default=0) + 1
        lines = []
        for link in range(spec.links):
            bridge = f"br{link}p{island}"
            lines += [f"link add {bridge} type bridge mcast_snooping 0", f"link set {bridge} up"]
            lines += [f"link set {spec.port(m, link)} master {bridge}" for m in sorted(members)]
        ip_batch(lines, namespace=sw)
        return f"partition: {', '.join(sorted(members))} now only see each other"
    if what.startswith(("loss=", "duplicate=")):
        return _share_fault(spec, node, what)
    raise LabError(f"unknown fault {what!r} (harmd, postgres, node, link=NIC, "
                   "partition=NODE,..., cut=NODE, loss=NIC:PERCENT, duplicate=NIC:PERCENT)")


def _iptables(spec: LabSpec, node: str, *args: str, check: bool = True) -> None:
    netns.run(["ip", "netns", "exec", spec.node_ns(node), "iptables", "-w", *args],
              check=check)


def _cut(spec: LabSpec, node: str, other: str) -> None:
    """In ``node``'s namespace, drop everything from and to ``other``'s addresses."""
    _iptables(spec, node, "-N", CUT_CHAIN, check=False)
    for chain in ("INPUT", "OUTPUT"):
        _iptables(spec, node, "-D", chain, "-j", CUT_CHAIN, check=False)
        _iptables(spec, node, "-I", chain, "-j", CUT_CHAIN)
    for link in range(spec.links):
        address = spec.address(other, link).split("/")[0]
        _iptables(spec, node, "-A", CUT_CHAIN, "-s", address, "-j", "DROP")
        _iptables(spec, node, "-A", CUT_CHAIN, "-d", address, "-j", "DROP")


def _cut_witness(spec: LabSpec, node: str) -> None:
    from harm.lab.files import WITNESS_PORT

    _iptables(spec, node, "-N", CUT_CHAIN, check=False)
    for chain in ("INPUT", "OUTPUT"):
        _iptables(spec, node, "-D", chain, "-j", CUT_CHAIN, check=False)
        _iptables(spec, node, "-I", chain, "-j", CUT_CHAIN)
    port = str(WITNESS_PORT)
    _iptables(spec, node, "-A", CUT_CHAIN, "-p", "udp", "--dport", port, "-j", "DROP")
    _iptables(spec, node, "-A", CUT_CHAIN, "-p", "udp", "--sport", port, "-j", "DROP")


def _uncut(spec: LabSpec, node: str) -> None:
    for chain in ("INPUT", "OUTPUT"):
        _iptables(spec, node, "-D", chain, "-j", CUT_CHAIN, check=False)
    _iptables(spec, node, "-F", CUT_CHAIN, check=False)
    _iptables(spec, node, "-X", CUT_CHAIN, check=False)



def _share_fault(spec: LabSpec, node: str, what: str) -> str:
    name, _, arg = what.partition("=")
    nic, _, percent = arg.partition(":")
    link = _links(spec, nic)
    try:
        share = float(percent.rstrip("%"))
    except ValueError:
        raise LabError(f"{what!r}: give {name}=NIC:PERCENT, e.g. {name}=eth0:20") from None
    if name == "loss":
        netfilter.loss(spec, node, nic, share)
        return f"{node}: {share:g}% of the packets in and out of {nic} dropped"
    netfilter.duplicate(spec, node, link, share)
    return f"{node}: {share:g}% of the packets it sends on {nic} sent twice"


def heal(spec: LabSpec, node: str | None = None) -> str:
    """Undo faults for ``node`` (or everything) and restart harmd where it is not running."""
    if node == GATEWAY:
        if not spec.witness:
            return "nothing to heal in the gateway"
        lab.start_witness(spec)
        return "restarted the witness"
    nodes = list(spec.nodes) if node is None else [node]
    for name in nodes:
        _check_node(spec, name)
    lines = []
    for name in nodes:
        for link in range(spec.links):
            port = spec.port(name, link)
            lines += [f"link set {port} master br{link}", f"link set {port} up"]
    if node is None:
        lines += [f"link del {name}" for name in switch_ports(spec) if ISLAND_BRIDGE.match(name)]
    ip_batch(lines, namespace=spec.switch_ns)
    for name in spec.nodes:
        _uncut(spec, name)  # a cut has two sides: every cut goes
    if node is None and spec.witness:
        lab.start_witness(spec)
    for name in nodes:
        netfilter.clear(spec, name)
    started = [name for name in nodes if lab.harmd_pid(spec, name) is None]
    for name in started:
        lab.start_harmd(spec, name)
    lab.wait_sockets(spec, started)
    done = f"healed {', '.join(nodes)}"
    return done + (f"; restarted harmd on {', '.join(started)}" if started else "")
