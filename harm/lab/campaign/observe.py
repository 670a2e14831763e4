"""Taking a look at the cluster: a :class:`~harm.lab.campaign.model.Snapshot`.

Every node's harmd is asked over its own control socket (``controller``: DC, settled,
CIB version, transition; ``status``: its membership view; ``cib``: its copy of the CIB),
never one node for all. What really runs is read from the nodes themselves, not from
the CIB: the state files harm's Dummy and Stateful agents keep in each node's HA_RSCTMP,
the addresses on each node's NICs (IPaddr2's VIPs), and each node's PostgreSQL (a
postmaster without ``standby.signal`` is a primary). What the cluster believes runs is
the DC's CIB as the engine unpacks it, and what the engine would still do is the
transition it computes on that CIB.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from harm.cib.cib import Cib
from harm.cib.config import Role
from harm.cib.xml_import import parse_cib_xml
from harm.daemon.client import request
from harm.engine.schedule import schedule
from harm.engine.state import ClusterState, ResourceState, Variant
from harm.engine.transition import ActionKind
from harm.engine.unpack import unpack
from harm.errors import ControlError, HarmError
from harm.lab import lab
from harm.lab.campaign.model import Activity, Limit, NodeView, Snapshot
from harm.lab.netns import ip
from harm.lab.spec import LabSpec

STATE_AGENTS = ("Dummy", "Stateful")


@dataclass(frozen=True)
class Watched:
    """What to look for on the nodes, read once from the configuration."""

    vips: Mapping[str, str] = field(default_factory=dict)  # address -> resource
    state_files: frozenset[str] = frozenset()  # resources kept as Dummy/Stateful files
    pgsql: str | None = None  # the pgsql primitive
    limits: Mapping[str, Limit] = field(default_factory=dict)


def watched(cib: Cib) -> Watched:
    state = unpack(cib, int(time.time()))
    vips: dict[str, str] = {}
    files: set[str] = set()
    pgsql = None
    for rsc in state.resources:
        if rsc.variant is not Variant.PRIMITIVE or rsc.agent is None:
            continue
        kind = rsc.agent.type
        if kind == "IPaddr2" and rsc.params.get("ip"):
            vips[rsc.params["ip"]] = rsc.config_id
        elif kind in STATE_AGENTS:
            files.add(rsc.config_id)
        elif kind == "pgsql":
            pgsql = rsc.config_id
    return Watched(vips, frozenset(files), pgsql, limits(state))


def limits(state: ClusterState) -> dict[str, Limit]:
    """Per primitive: one node, or its clone's clone-max / clone-node-max / promoted-max."""
    by_id = {r.id: r for r in state.resources}
    found: dict[str, Limit] = {}
    for rsc in state.resources:
        if rsc.variant is not Variant.PRIMITIVE:
            continue
        clone = _clone_of(rsc, by_id)
        if clone is None or clone.clone is None:
            found[rsc.config_id] = Limit(rsc.config_id)
            continue
        settings = clone.clone
        found[rsc.config_id] = Limit(
            rsc.config_id, settings.clone_max, settings.clone_node_max,
            settings.promoted_max if settings.promotable else None)
    return found


def _clone_of(rsc: ResourceState, by_id: Mapping[str, ResourceState]) -> ResourceState | None:
    parent = by_id.get(rsc.parent) if rsc.parent else None
    while parent is not None:
        if parent.variant is Variant.CLONE:
            return parent
        parent = by_id.get(parent.parent) if parent.parent else None
    return None


# ---------------------------------------------------------------- one node's harmd


def node_view(spec: LabSpec, node: str, timeout: float = 3.0) -> NodeView:
    pid = lab.harmd_pid(spec, node)
    if pid is None:
        return NodeView(node, None)
    sock = spec.node_dir(node) / "harmd.sock"
    try:
        ctl = request(sock, "controller", timeout=timeout)
        status = request(sock, "status", timeout=timeout)
        cib = request(sock, "cib", timeout=timeout)
    except ControlError:
        return NodeView(node, pid)
    transition = ctl.get("transition") or {}
    return NodeView(
        node, pid, True, ctl.get("dc") if ctl.get("settled") else None,
        bool(ctl.get("is_dc")), bool(ctl.get("settled")),
        frozenset(status.get("view", {}).get("members", ())),
        tuple(int(v) for v in ctl.get("version", ())), cib.get("xml"),
        bool(transition.get("running")))


# ---------------------------------------------------------------- what runs on the nodes


def addresses(spec: LabSpec, node: str) -> set[str]:
    try:
        out = ip("-j", "addr", "show", namespace=spec.node_ns(node))
    except HarmError:
        return set()
    found = set()
    for link in json.loads(out or "[]"):
        for info in link.get("addr_info", ()):
            if info.get("local"):
                found.add(str(info["local"]))
    return found


def state_files(spec: LabSpec, node: str, resources: Iterable[str]) -> list[Activity]:
    """Dummy-<instance>.state / Stateful-<instance>.state in the node's HA_RSCTMP."""
    wanted = set(resources)
    found = []
    for path in sorted((spec.node_dir(node) / "tmp").glob("*.state")):
        agent, _, instance = path.stem.partition("-")
        base = instance.split(":", 1)[0]
        if agent not in STATE_AGENTS or base not in wanted:
            continue
        try:
            content = path.read_text(encoding="utf-8").strip()
        except OSError:
            continue  # removed while looking
        found.append(Activity(base, node, content == "promoted"))
    return found


def postgres_role(spec: LabSpec, node: str) -> str | None:
    """``primary``/``standby`` while a postmaster runs on ``node``, else None."""
    from harm.lab.postgres import PgLayout, host_path, postmaster_pid

    if postmaster_pid(spec, node) is None:
        return None
    data = host_path(spec, node, PgLayout().pgdata)
    return "standby" if (data / "standby.signal").exists() else "primary"


def reality(spec: LabSpec, watch: Watched, nodes: Iterable[str]) -> list[Activity]:
    found: list[Activity] = []
    for node in nodes:
        if watch.vips:
            for address in sorted(addresses(spec, node) & set(watch.vips)):
                found.append(Activity(watch.vips[address], node))
        if watch.state_files:
            found += state_files(spec, node, watch.state_files)
        if watch.pgsql:
            role = postgres_role(spec, node)
            if role is not None:
                found.append(Activity(watch.pgsql, node, role == "primary"))
    return found


# ---------------------------------------------------------------- what the DC believes


def believed(state: ClusterState) -> list[Activity]:
    return [Activity(r.config_id, node, r.role is Role.PROMOTED)
            for r in state.resources if r.variant is Variant.PRIMITIVE
            for node in r.running_on]


def engine_work(state: ClusterState, now: int) -> tuple[str, ...]:
    """What the engine would still do: the Transition Summary's lines, and every resource
    action it would execute (a recurring monitor it keeps scheduling counts: a settled
    cluster has every monitor recorded)."""
    transition = schedule(state, now)
    lines = [line.strip() for line in transition.summary_lines() if line.strip()]
    lines += [f"{a.key} on {a.node}" for a in transition.executable_actions()
              if a.kind is ActionKind.RESOURCE]
    return tuple(lines)


def look(spec: LabSpec, watch: Watched, powered_off: Iterable[str] = (),
         reachable: tuple[frozenset[str], ...] = ()) -> tuple[Snapshot, ClusterState | None]:
    """One look at every node; the snapshot, and the DC's CIB unpacked (when a DC
    answered)."""
    at = time.time()
    views = tuple(node_view(spec, n) for n in spec.nodes)
    dc = next((v for v in views if v.is_dc and v.cib_xml), None) or \
        next((v for v in views if v.cib_xml), None)
    state = None
    pending: tuple[str, ...] = ()
    thought: list[Activity] = []
    if dc is not None and dc.cib_xml:
        now = int(time.time())
        state = unpack(parse_cib_xml(dc.cib_xml, f"harmd on {dc.node}"), now)
        thought = believed(state)
        pending = engine_work(state, now) if dc.is_dc else ("no DC answered",)
    else:
        pending = ("no node answered",)
    real = reality(spec, watch, spec.nodes)
    snap = Snapshot(at, views, tuple(real), tuple(thought), reachable, pending,
                    frozenset(powered_off))
    return snap, state


def pe_inputs(spec: LabSpec, node: str) -> list[Path]:
    """``node``'s saved engine inputs, oldest (lowest number) first."""
    def number(path: Path) -> int:
        tail = path.stem.rsplit("-", 1)[1]
        return int(tail) if tail.isdigit() else -1
    return sorted((spec.node_dir(node) / "state" / "pe-inputs").glob("pe-input-*.xml"),
                  key=number)
