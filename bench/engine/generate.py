"""Generate realistic Pacemaker CIB XML for the policy-engine benchmark.

    .venv/bin/python bench/engine/generate.py --nodes 16 --resources 200 [--no-history] -o F
    .venv/bin/python bench/engine/generate.py --standard DIR [--check]

A cluster of N nodes and M configured primitives (a clone's primitive counts once):

* nodes ``node01``… with permanent attributes ``site`` (dc1/dc2), ``rack`` and ``ssd``;
* about 1 in 200 primitives a promotable clone of ``ocf:pacemaker:Stateful``, about 1 in
  40 an anonymous clone of ``ocf:pacemaker:Dummy``, 45 % of the rest in groups of 3 to 5
  Dummies, the others standalone Dummies (half of them with a parameter);
* location constraints with scores, and with rules on ``site``, ``ssd`` and ``#uname``;
  node bans; each promotable clone prefers to be promoted in dc1;
* pairs of groups colocated (INFINITY) and ordered (Mandatory); one group or primitive per
  promotable clone colocated with its promoted instance and ordered after its promotion;
  anti-colocated (-INFINITY) primitive pairs; primitives ordered after a clone;
* ``resource-stickiness=100``, ``migration-threshold=3``; fencing disabled.

With history (the default), every node is online and every resource already runs where
its constraints allow and it last ran: each node's lrm holds, for every resource, either a
start (or promote) and its recurring monitor, or a probe that found it stopped (rc 7), with
call ids in order, Pacemaker's op digests, and promotion scores set as Stateful sets them;
a few primitives carry a fail-count and the recorded failure they recovered from. Pacemaker
has nothing to do on such a cluster. Without history the nodes are online and their lrm is
empty, so everything is probed and started.

The output depends only on the arguments (``--seed``). ``--check`` runs ``crm_verify -x``
and ``crm_simulate -x FILE -S`` on every file written and fails if either reports an error
(``-S`` takes minutes from 16x200 without history on: crm_simulate applies every simulated
result to its CIB one at a time).
"""

from __future__ import annotations

import argparse
import hashlib
import random
import subprocess
import sys
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

SIZES: dict[str, tuple[int, int]] = {
    "3x10": (3, 10),
    "16x200": (16, 200),
    "32x500": (32, 500),
    "32x1000": (32, 1000),
}
STANDARD = ("16x200", "32x500", "32x1000")

EXECUTION_DATE = 1_700_000_000  # the CIB's "now": every recorded operation is older
OP_TIMEOUT_MS = 20_000
MONITOR_MS = 10_000
PROMOTED_MONITOR_MS = 9_000
FAKE_UUID = "6b1c4e9e-3f0a-4a43-9d7e-0b5d1c2a7f10"
FEATURE_SET = "3.16.1"  # Pacemaker 2.1.5 refuses updates from a newer one


@dataclass(frozen=True)
class Prim:
    """One configured primitive."""

    id: str
    agent: str  # Dummy or Stateful (ocf:pacemaker)
    params: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Unit:
    """A top-level resource: a primitive, a group, an anonymous or a promotable clone."""

    kind: str  # "primitive" | "group" | "clone" | "promotable"
    id: str
    members: tuple[Prim, ...]


@dataclass
class Plan:
    """The generated cluster: configuration and where everything runs."""

    nodes: list[str]
    site: dict[str, str]
    ssd: dict[str, bool]
    units: list[Unit]
    locations: list[ET.Element] = field(default_factory=list)
    colocations: list[ET.Element] = field(default_factory=list)
    orders: list[ET.Element] = field(default_factory=list)
    placed: dict[str, str] = field(default_factory=dict)  # unit id -> node (not clones)
    promoted: dict[str, str] = field(default_factory=dict)  # promotable id -> node
    failed: set[str] = field(default_factory=set)  # primitive ids with a fail-count


_HYPHENATED = frozenset(("with_rsc", "with_rsc_role", "first_action", "then_action",
                         "validate_with", "have_quorum", "dc_uuid", "execution_date"))


def _el(tag: str, **attrs: str) -> ET.Element:
    """An element; keyword ``with_rsc`` stands for the attribute ``with-rsc`` (and so on)."""
    return ET.Element(tag, {k.replace("_", "-") if k in _HYPHENATED else k: v
                            for k, v in attrs.items()})


def _sub(parent: ET.Element, tag: str, attrs: dict[str, str]) -> ET.Element:
    return ET.SubElement(parent, tag, attrs)


# --- the plan ----------------------------------------------------------------------------


def plan_cluster(nodes: int, resources: int, seed: int = 1) -> Plan:
    """Decide the configuration and the placement (pure; deterministic in its arguments)."""
    if nodes < 2 or resources < 4:
        raise ValueError("need at least 2 nodes and 4 resources")
    rng = random.Random(f"harm-bench:{seed}:{nodes}:{resources}")
    names = [f"node{i:02d}" for i in range(1, nodes + 1)]
    site = {n: ("dc1" if i % 2 == 0 else "dc2") for i, n in enumerate(names)}
    ssd = {n: i % 3 != 2 for i, n in enumerate(names)}
    plan = Plan(nodes=names, site=site, ssd=ssd, units=[])

    n_prom = max(1, resources // 200)
    n_clone = max(1, resources // 40)
    rest = resources - n_prom - n_clone
    budget = int(rest * 0.45)
    groups: list[Unit] = []
    while budget >= 3:
        size = min(rng.randint(3, 5), budget)
        gid = f"grp-{len(groups) + 1:03d}"
        members = tuple(Prim(f"{gid}-{chr(ord('a') + k)}", "Dummy") for k in range(size))
        groups.append(Unit("group", gid, members))
        budget -= size
    singles: list[Unit] = []
    for i in range(rest - sum(len(g.members) for g in groups)):
        pid = f"rsc-{i + 1:04d}"
        params = (("fake", f"v{rng.randint(1, 9999)}"),) if rng.random() < 0.5 else ()
        singles.append(Unit("primitive", pid, (Prim(pid, "Dummy", params),)))
    clones = [Unit("clone", f"cln-{i + 1:02d}", (Prim(f"cln-{i + 1:02d}-rsc", "Dummy"),))
              for i in range(n_clone)]
    proms = [Unit("promotable", f"ms-{i + 1:02d}", (Prim(f"ms-{i + 1:02d}-rsc", "Stateful"),))
             for i in range(n_prom)]
    # configuration order: infrastructure clones first, then services interleaved
    services = groups + singles
    rng.shuffle(services)
    plan.units = clones + proms + services

    dc1 = [n for n in names if site[n] == "dc1"]
    bound: set[str] = set()  # units whose node is decided by a colocation

    for prom in proms:
        plan.promoted[prom.id] = rng.choice(dc1)
        _location_rule(plan.locations, f"loc-{prom.id}-promoted-dc1", prom.id, "20",
                       [("site", "eq", "dc1")], role="Promoted")
    free = [u for u in services if u.id not in bound]
    for prom, follower in zip(proms, rng.sample(free, min(len(proms), len(free))),
                              strict=False):
        bound.add(follower.id)
        plan.placed[follower.id] = plan.promoted[prom.id]
        plan.colocations.append(_el(
            "rsc_colocation", id=f"col-{follower.id}-with-{prom.id}", score="INFINITY",
            rsc=follower.id, with_rsc=prom.id, with_rsc_role="Promoted"))
        plan.orders.append(_el(
            "rsc_order", id=f"ord-{prom.id}-then-{follower.id}", kind="Mandatory",
            first=prom.id, first_action="promote", then=follower.id, then_action="start"))

    pairs: list[tuple[Unit, Unit]] = []
    loose = [g for g in groups if g.id not in bound]
    for first, then in zip(loose[0::2], loose[1::2], strict=False):
        if rng.random() < 0.5:
            pairs.append((first, then))
            bound.update((first.id, then.id))
            plan.colocations.append(_el(
                "rsc_colocation", id=f"col-{then.id}-with-{first.id}", score="INFINITY",
                rsc=then.id, with_rsc=first.id))
            plan.orders.append(_el(
                "rsc_order", id=f"ord-{first.id}-then-{then.id}", kind="Mandatory",
                first=first.id, then=then.id))

    anti: list[tuple[Unit, Unit]] = []
    loose_singles = [u for u in singles if u.id not in bound]
    rng.shuffle(loose_singles)
    for k in range(min(max(1, resources // 100), len(loose_singles) // 2)):
        one, other = loose_singles[2 * k], loose_singles[2 * k + 1]
        anti.append((one, other))
        bound.update((one.id, other.id))
        plan.colocations.append(_el(
            "rsc_colocation", id=f"col-{other.id}-apart-{one.id}", score="-INFINITY",
            rsc=other.id, with_rsc=one.id))

    # locations and placement of everything not placed yet
    for unit in services:
        allowed = list(names)
        roll = rng.random()
        if roll < 0.25:
            node, score = rng.choice(names), rng.choice(("10", "20", "50"))
            plan.locations.append(_el("rsc_location", id=f"loc-{unit.id}-prefers-{node}",
                                      rsc=unit.id, node=node, score=score))
            if unit.id not in plan.placed and rng.random() < 0.8:
                plan.placed[unit.id] = node
        elif roll < 0.35:
            _location_rule(plan.locations, f"loc-{unit.id}-site", unit.id, "40",
                           [("site", "eq", rng.choice(("dc1", "dc2")))])
        elif roll < 0.40:
            node = rng.choice(names)
            _location_rule(plan.locations, f"loc-{unit.id}-uname", unit.id, "30",
                           [("#uname", "eq", node)])
        elif roll < 0.45 and unit.id not in bound:
            _location_rule(plan.locations, f"loc-{unit.id}-needs-ssd", unit.id, "-INFINITY",
                           [("ssd", "not_defined", None), ("ssd", "ne", "true")],
                           boolean="or")
            allowed = [n for n in names if ssd[n]]
        elif roll < 0.50 and unit.id not in bound:
            node = rng.choice(names)
            plan.locations.append(_el("rsc_location", id=f"loc-{unit.id}-avoids-{node}",
                                      rsc=unit.id, node=node, score="-INFINITY"))
            allowed = [n for n in names if n != node]
        if unit.id not in plan.placed:
            plan.placed[unit.id] = rng.choice(allowed)
    for first, then in pairs:
        plan.placed[then.id] = plan.placed[first.id]
    for one, other in anti:
        if plan.placed[other.id] == plan.placed[one.id]:
            plan.placed[other.id] = rng.choice([n for n in names if n != plan.placed[one.id]])

    for unit in singles:
        if unit.id not in bound and rng.random() < 0.10:
            clone = rng.choice(clones)
            plan.orders.append(_el("rsc_order", id=f"ord-{clone.id}-then-{unit.id}",
                                   kind="Optional", first=clone.id, then=unit.id))
            plan.colocations.append(_el(
                "rsc_colocation", id=f"col-{unit.id}-with-{clone.id}", score="INFINITY",
                rsc=unit.id, with_rsc=clone.id))
    for unit in services:
        for prim in unit.members:
            if rng.random() < 0.02:
                plan.failed.add(prim.id)
    return plan


def _location_rule(out: list[ET.Element], cid: str, rsc: str, score: str,
                   tests: list[tuple[str, str, str | None]], boolean: str = "and",
                   role: str | None = None) -> None:
    loc = _el("rsc_location", id=cid, rsc=rsc)
    if role:
        loc.set("role", role)
    rule = _sub(loc, "rule", {"id": f"{cid}-rule", "score": score})
    if len(tests) > 1:
        rule.set("boolean-op", boolean)
    for k, (attr, op, value) in enumerate(tests):
        expr = _sub(rule, "expression", {"id": f"{cid}-rule-expr-{k}", "attribute": attr,
                                         "operation": op})
        if value is not None:
            expr.set("value", value)
    out.append(loc)


# --- the XML -----------------------------------------------------------------------------


def _nvset(parent: ET.Element, tag: str, sid: str, pairs: list[tuple[str, str]]) -> None:
    nvs = _sub(parent, tag, {"id": sid})
    for name, value in pairs:
        _sub(nvs, "nvpair", {"id": f"{sid}-{name}", "name": name, "value": value})


def _primitive(parent: ET.Element, prim: Prim) -> None:
    elem = _sub(parent, "primitive", {"id": prim.id, "class": "ocf", "provider": "pacemaker",
                                      "type": prim.agent})
    if prim.params:
        _nvset(elem, "instance_attributes", f"{prim.id}-instance_attributes", list(prim.params))
    ops = _sub(elem, "operations", {})
    timeout = f"{OP_TIMEOUT_MS // 1000}s"
    for name in ("start", "stop"):
        _sub(ops, "op", {"id": f"{prim.id}-{name}-interval-0s", "name": name,
                         "interval": "0s", "timeout": timeout})
    if prim.agent == "Stateful":
        for name in ("promote", "demote"):
            _sub(ops, "op", {"id": f"{prim.id}-{name}-interval-0s", "name": name,
                             "interval": "0s", "timeout": timeout})
        _sub(ops, "op", {"id": f"{prim.id}-monitor-interval-{PROMOTED_MONITOR_MS // 1000}s",
                         "name": "monitor", "interval": f"{PROMOTED_MONITOR_MS // 1000}s",
                         "role": "Promoted", "timeout": timeout})
        _sub(ops, "op", {"id": f"{prim.id}-monitor-interval-{MONITOR_MS // 1000}s",
                         "name": "monitor", "interval": f"{MONITOR_MS // 1000}s",
                         "role": "Unpromoted", "timeout": timeout})
    else:
        _sub(ops, "op", {"id": f"{prim.id}-monitor-interval-{MONITOR_MS // 1000}s",
                         "name": "monitor", "interval": f"{MONITOR_MS // 1000}s",
                         "timeout": timeout})


def _configuration(plan: Plan) -> ET.Element:
    conf = _el("configuration")
    crm = _sub(conf, "crm_config", {})
    _nvset(crm, "cluster_property_set", "cib-bootstrap-options", [
        ("have-watchdog", "false"),
        ("dc-version", "2.1.5-a3f44794f94"),
        ("cluster-infrastructure", "corosync"),
        ("cluster-name", "bench"),
        ("stonith-enabled", "false"),
    ])
    nodes = _sub(conf, "nodes", {})
    for i, name in enumerate(plan.nodes, start=1):
        node = _sub(nodes, "node", {"id": str(i), "uname": name})
        _nvset(node, "instance_attributes", f"nodes-{i}", [
            ("site", plan.site[name]), ("rack", f"r{(i - 1) // 4 + 1}"),
            ("ssd", "true" if plan.ssd[name] else "false")])
    resources = _sub(conf, "resources", {})
    for unit in plan.units:
        if unit.kind == "primitive":
            _primitive(resources, unit.members[0])
        elif unit.kind == "group":
            group = _sub(resources, "group", {"id": unit.id})
            for prim in unit.members:
                _primitive(group, prim)
        else:
            clone = _sub(resources, "clone", {"id": unit.id})
            _primitive(clone, unit.members[0])
            meta = [("interleave", "true")]
            if unit.kind == "promotable":
                meta += [("promotable", "true"), ("promoted-max", "1"),
                         ("promoted-node-max", "1")]
            _nvset(clone, "meta_attributes", f"{unit.id}-meta_attributes", meta)
    constraints = _sub(conf, "constraints", {})
    constraints.extend(plan.locations + plan.colocations + plan.orders)
    defaults = _sub(conf, "rsc_defaults", {})
    _nvset(defaults, "meta_attributes", "rsc-options", [
        ("resource-stickiness", "100"), ("migration-threshold", "3")])
    op_defaults = _sub(conf, "op_defaults", {})
    _nvset(op_defaults, "meta_attributes", "op-options", [("timeout", "20s")])
    return conf


def _digest(params: tuple[tuple[str, str], ...], recurring: bool) -> str:
    """Pacemaker's op-digest: MD5 of the sorted parameters (+ the timeout when recurring)."""
    merged = dict(params)
    if recurring:
        merged["CRM_meta_timeout"] = str(OP_TIMEOUT_MS)
    attrs = "".join(f' {k}="{merged[k]}"' for k in sorted(merged))
    return hashlib.md5(f" <parameters{attrs}/>\n".encode(), usedforsecurity=False).hexdigest()


@dataclass
class _NodeHistory:
    """Writes one node's lrm, numbering calls as the executor would."""

    lrm: ET.Element
    node: str
    call: int = 0
    action: int = 0

    def resource(self, prim: Prim) -> ET.Element:
        return _sub(self.lrm, "lrm_resource", {"id": prim.id, "type": prim.agent,
                                               "class": "ocf", "provider": "pacemaker"})

    def op(self, rsc: ET.Element, prim: Prim, op_id: str, operation: str, interval: int,
           rc: int, target: int | None = None) -> None:
        self.call += 1
        self.action += 1
        target = rc if target is None else target
        key = f"{self.action}:1:{target}:{FAKE_UUID}"
        when = str(EXECUTION_DATE - 86_400 + self.call)
        attrs = {
            "id": op_id, "operation_key": f"{prim.id}_{operation}_{interval}",
            "operation": operation, "crm-debug-origin": "do_update_resource",
            "crm_feature_set": FEATURE_SET, "transition-key": key,
            "transition-magic": f"0:{rc};{key}", "exit-reason": "",
            "on_node": self.node, "call-id": str(self.call),
            "rc-code": str(rc), "op-status": "0", "interval": str(interval),
            "last-rc-change": when, "exec-time": str(10 + self.call % 40),
            "queue-time": "0", "op-digest": _digest(prim.params, interval > 0),
        }
        if interval == 0:
            attrs["last-run"] = when
        _sub(rsc, "lrm_rsc_op", attrs)


def _status(plan: Plan, history: bool) -> ET.Element:
    status = _el("status")
    for i, name in enumerate(plan.nodes, start=1):
        state = _sub(status, "node_state", {"id": str(i), "uname": name, "in_ccm": "true",
                                            "crmd": "online", "crm-debug-origin":
                                            "do_update_resource", "join": "member",
                                            "expected": "member"})
        transient: list[tuple[str, str]] = []
        lrm = _sub(state, "lrm", {"id": str(i)})
        resources = _sub(lrm, "lrm_resources", {})
        if history:
            transient = _node_history(plan, name, _NodeHistory(resources, name))
        if transient:
            attrs = _el("transient_attributes", id=str(i))
            _nvset(attrs, "instance_attributes", f"status-{i}", transient)
            state.insert(0, attrs)
    return status


def _node_history(plan: Plan, node: str, hist: _NodeHistory) -> list[tuple[str, str]]:
    """Write ``node``'s operation history; return its transient attributes."""
    transient: list[tuple[str, str]] = []
    prims = [(u, p) for u in plan.units for p in u.members]
    # first the probes, as after the node joined
    for unit, prim in prims:
        if unit.kind in ("primitive", "group") and plan.placed[unit.id] != node:
            rsc = hist.resource(prim)
            hist.op(rsc, prim, f"{prim.id}_last_0", "monitor", 0, rc=7)
    for unit, prim in prims:
        if unit.kind == "promotable":
            rsc = hist.resource(prim)
            promoted = plan.promoted[unit.id] == node
            if promoted:
                hist.call += 1  # the start before the promotion
                hist.op(rsc, prim, f"{prim.id}_last_0", "promote", 0, rc=0)
                hist.op(rsc, prim, f"{prim.id}_monitor_{PROMOTED_MONITOR_MS}", "monitor",
                        PROMOTED_MONITOR_MS, rc=8)
            else:
                hist.op(rsc, prim, f"{prim.id}_last_0", "start", 0, rc=0)
                hist.op(rsc, prim, f"{prim.id}_monitor_{MONITOR_MS}", "monitor",
                        MONITOR_MS, rc=0)
            transient.append((f"master-{prim.id}", "10" if promoted else "5"))
        elif unit.kind == "clone" or plan.placed[unit.id] == node:
            rsc = hist.resource(prim)
            if prim.id in plan.failed:
                hist.op(rsc, prim, f"{prim.id}_last_failure_0", "monitor", MONITOR_MS,
                        rc=7, target=0)
                transient.append((f"fail-count-{prim.id}#monitor_{MONITOR_MS}", "1"))
                transient.append((f"last-failure-{prim.id}#monitor_{MONITOR_MS}",
                                  str(EXECUTION_DATE - 86_400 + hist.call)))
                hist.call += 1  # the stop of the recovery
            hist.op(rsc, prim, f"{prim.id}_last_0", "start", 0, rc=0)
            hist.op(rsc, prim, f"{prim.id}_monitor_{MONITOR_MS}", "monitor", MONITOR_MS, rc=0)
    return transient


def render(plan: Plan, history: bool) -> str:
    """The CIB XML text of ``plan``, with or without operation history."""
    root = _el("cib", validate_with="pacemaker-3.7",
               epoch=str(100 + len(plan.units)), num_updates="0", admin_epoch="0",
               have_quorum="1", dc_uuid="1", execution_date=str(EXECUTION_DATE))
    root.set("crm_feature_set", FEATURE_SET)
    root.append(_configuration(plan))
    root.append(_status(plan, history))
    ET.indent(root, space="  ")
    return ET.tostring(root, encoding="unicode") + "\n"


def generate(nodes: int, resources: int, history: bool, seed: int = 1) -> str:
    """CIB XML for ``nodes`` x ``resources``, with or without operation history."""
    return render(plan_cluster(nodes, resources, seed), history)


def file_name(size: str, history: bool) -> str:
    return f"cib-{size}-{'history' if history else 'fresh'}.xml"


def check(path: Path) -> None:
    """Fail unless Pacemaker's crm_verify accepts ``path`` and crm_simulate -S runs on it."""
    verify = subprocess.run(["crm_verify", "-x", str(path)], capture_output=True, text=True,
                            check=False)
    if verify.returncode != 0 or "error:" in verify.stderr:
        raise SystemExit(f"crm_verify rejects {path}:\n{verify.stderr}")
    sim = subprocess.run(["crm_simulate", "-x", str(path), "-S", "-Q"], capture_output=True,
                         text=True, check=False)
    if sim.returncode != 0:
        raise SystemExit(f"crm_simulate -S fails on {path}:\n{sim.stderr}")


def write_standard(directory: Path, sizes: tuple[str, ...], seed: int,
                   verify: bool) -> list[Path]:
    """Write every size with and without history into ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for size in sizes:
        nodes, resources = SIZES[size]
        plan = plan_cluster(nodes, resources, seed)
        for history in (True, False):
            path = directory / file_name(size, history)
            path.write_text(render(plan, history), encoding="utf-8")
            if verify:
                check(path)
            paths.append(path)
    return paths


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--nodes", type=int)
    parser.add_argument("--resources", type=int)
    parser.add_argument("--no-history", action="store_true")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("-o", "--output", type=Path)
    parser.add_argument("--standard", type=Path, metavar="DIR",
                        help="write every standard size, with and without history, into DIR")
    parser.add_argument("--sizes", default=",".join(STANDARD),
                        help=f"with --standard: comma-separated among {', '.join(SIZES)}")
    parser.add_argument("--check", action="store_true",
                        help="run crm_verify and crm_simulate -S on every file written")
    args = parser.parse_args(argv)
    if args.standard is not None:
        sizes = tuple(s for s in args.sizes.split(",") if s)
        for path in write_standard(args.standard, sizes, args.seed, args.check):
            print(path)
        return 0
    if args.nodes is None or args.resources is None:
        parser.error("give --nodes and --resources, or --standard DIR")
    text = generate(args.nodes, args.resources, not args.no_history, args.seed)
    if args.output is None:
        sys.stdout.write(text)
        return 0
    args.output.write_text(text, encoding="utf-8")
    if args.check:
        check(args.output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
