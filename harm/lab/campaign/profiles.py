"""The clusters a campaign runs on, and what "healthy" means for each.

    pgsql   the demo: two nodes, PostgreSQL primary + synchronous standby, the seed's
            configuration (configs/pgsql-lab.crm) as ``harm lab up --demo`` builds it;
            a writer through the service VIP and a prober of every node
    dummy   three to five nodes with configs/campaign-dummy.crm: Dummy groups, a clone,
            a promotable Stateful clone and a VIP (harm's own agents, ocf:harm:NAME)

A profile also knows the operator's part between two steps (:func:`repair`): what a
fault legitimately leaves behind (fail counts under migration-threshold=1, an old primary
kept out by its lock file) is cleaned up as the seed's procedure does, so that each step
starts from a healthy cluster.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harm.errors import HarmError, LabError
from harm.lab import demo, lab
from harm.lab.campaign import audits
from harm.lab.campaign.catalogue import DUMMY, PGSQL
from harm.lab.campaign.model import Snapshot
from harm.lab.campaign.observe import Watched, look, watched
from harm.lab.postgres import PG_DIRS, host_path
from harm.lab.spec import LabSpec

CONFIGS = Path(__file__).resolve().parents[3] / "configs"
DEMO_NODES = ("osspc30", "osspc31")
DEMO_GATEWAY = "192.168.10.100"
DUMMY_NODES = ("c1", "c2", "c3")
LOCK = "/var/lib/pgsql/tmp/PGSQL.lock"


@dataclass(frozen=True)
class Profile:
    kind: str  # PGSQL | DUMMY
    nodes: tuple[str, ...]
    config: Path
    promotable: str  # the promotable primitive (config id)
    promotable_clone: str  # its clone, for resource move
    group_first: str  # the first member of the first group (the "holder" role)
    cleanup: tuple[str, ...]  # top-level resources the operator cleans up
    must_run: tuple[str, ...]  # primitives active somewhere once settled
    service_vip: str | None = None  # the writer's address (pgsql)

    @property
    def writer(self) -> bool:
        return self.service_vip is not None


def pgsql(config: Path | None = None) -> Profile:
    return Profile(PGSQL, DEMO_NODES, config or CONFIGS / "pgsql-lab.crm", "r_pgsql",
                   "ms_pgsql", "r_service_vip",
                   ("g_service", "r_readonly_vip", "ms_pgsql", "c_pingd"),
                   ("r_service_vip", "r_replication_vip", "r_readonly_vip", "r_pgsql"),
                   demo.SERVICE_VIP)


def dummy(nodes: tuple[str, ...] = DUMMY_NODES, config: Path | None = None) -> Profile:
    return Profile(DUMMY, nodes, config or CONFIGS / "campaign-dummy.crm", "state",
                   "ms_state", "web_a", ("g_web", "web_vip", "g_batch", "c_agent", "ms_state"),
                   ("web_a", "web_b", "web_vip", "batch_a", "batch_b", "agent", "state"))


def lab_spec(profile: Profile, name: str, fencing: bool = False) -> LabSpec:
    extra: dict[str, Any] = {"fencing": True} if fencing else {}
    if fencing and "fencing" not in LabSpec.__dataclass_fields__:
        raise LabError("--fencing: this lab has no fence devices")
    if profile.kind == PGSQL:
        return LabSpec(name=name, nodes=profile.nodes, links=2, private_dirs=PG_DIRS,
                       gateway=DEMO_GATEWAY, **extra).validate()
    return LabSpec(name=name, nodes=profile.nodes, links=2, **extra).validate()


# ---------------------------------------------------------------- the operator's CLI


def harm_cli(spec: LabSpec, node: str, *args: str, timeout: float = 120) -> str:
    """``harm ARGS`` against ``node``'s harmd; LabError with its message on failure."""
    env = {**os.environ, "HARM_SOCKET": str(spec.node_dir(node) / "harmd.sock")}
    env.pop("HARM_CIB_FILE", None)
    try:
        done = subprocess.run([sys.executable, "-m", "harm.cli.main", *args], env=env,
                              capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        raise LabError(f"harm {' '.join(args)} on {node}: no answer in {timeout:.0f}s") \
            from None
    if done.returncode != 0:
        raise LabError(f"harm {' '.join(args)} on {node}: "
                       f"{(done.stderr or done.stdout).strip()[-300:]}")
    return done.stdout


def any_live(spec: LabSpec) -> str:
    for node in spec.nodes:
        if lab.harmd_pid(spec, node) is not None:
            return node
    raise LabError("no harmd runs in the lab")


# ---------------------------------------------------------------- building


def build(profile: Profile, name: str, fencing: bool = False) -> tuple[LabSpec, Watched]:
    """A new lab for ``profile``, configured, healthy; what to watch on its nodes. With
    ``fencing``, a fence device per node (the lab's BMCs) and stonith-enabled=true."""
    lab.down(name)
    spec = lab.up(lab_spec(profile, name, fencing))
    lab.wait_sockets(spec, list(spec.nodes))
    if fencing:
        demo.configure_fencing(spec)
    if profile.kind == PGSQL:
        demo.provision(spec)
        demo.configure(spec, profile.config)
        demo.wait_ready(spec)
        from harm.lab.campaign.clients import CREATE_TABLES

        done = demo.try_sql(spec, CREATE_TABLES, connect_timeout_s=5)
        if done is None or done.returncode != 0:
            raise LabError(f"cannot create the campaign's tables: {done.stderr if done else ''}")
    else:
        demo.configure(spec, profile.config)
    watch = watch_of(spec)
    try:
        wait_healthy(spec, profile, watch, 120)
    except LabError:  # something went wrong on the way (a stall of the machine, ...)
        repair(spec, profile, watch)
    return spec, watch


def watch_of(spec: LabSpec) -> Watched:
    from harm.cib.xml_import import parse_cib_xml
    from harm.daemon.client import request

    xml = request(spec.node_dir(any_live(spec)) / "harmd.sock", "cib")["xml"]
    return watched(parse_cib_xml(xml))


# ---------------------------------------------------------------- health


def service_ok(profile: Profile, snap: Snapshot) -> bool:
    """Everything that must run does, in the CIB and on the nodes, with a promoted
    instance of the promotable resource."""
    for source in (snap.believed, tuple(a for a in snap.reality
                                        if a.node not in snap.powered_off)):
        active = {a.resource for a in source}
        if not set(profile.must_run) <= active:
            return False
        if not any(a.resource == profile.promotable and a.promoted for a in source):
            return False
    return True


def unhealthy(spec: LabSpec, profile: Profile, watch: Watched) -> list[str]:
    """Why the cluster is not ready for the next step (empty: it is)."""
    snap, state = look(spec, watch)
    why = audits.unsettled(snap, spec.nodes)
    if why:
        return why
    if state is not None:
        left = sorted({f"{f.rsc}@{f.node}" for f in state.failcounts if f.count})
        if left:
            return [f"fail counts left: {', '.join(left)}"]
        standby = [n.name for n in state.nodes if n.standby]
        if standby:
            return [f"in standby: {', '.join(standby)}"]
    if not service_ok(profile, snap):
        return ["not everything runs"]
    if profile.kind == PGSQL:
        statuses = sorted(str(demo.attribute(spec, n, demo.STATUS)) for n in spec.nodes)
        if statuses != ["HS:sync", "PRI"]:
            return [f"pgsql status {', '.join(statuses)} (want PRI and HS:sync)"]
    return []


def wait_healthy(spec: LabSpec, profile: Profile, watch: Watched, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    why = ["?"]
    while time.monotonic() < deadline:
        why = unhealthy(spec, profile, watch)
        if not why:
            return
        time.sleep(1.0)
    raise LabError(f"the cluster is not healthy after {timeout_s:.0f}s: {'; '.join(why[:4])}")


def repair(spec: LabSpec, profile: Profile, watch: Watched, timeout_s: float = 180) -> None:
    """The operator's steps that bring a cluster back to healthy after a fault."""
    via = any_live(spec)
    for node in spec.nodes:
        _quietly(spec, via, "node", "online", node)
    _quietly(spec, via, "resource", "clear", profile.promotable_clone)
    if profile.kind == PGSQL:
        _rejoin_stopped(spec)
    for rsc in profile.cleanup:
        _quietly(spec, via, "resource", "cleanup", rsc)
    wait_healthy(spec, profile, watch, timeout_s)


def _rejoin_stopped(spec: LabSpec) -> None:
    """``harm pgsql rejoin`` on every node that is not the primary and is kept out (its
    pgsql stopped, its lock file left, or its data disconnected)."""
    deadline = time.monotonic() + 90
    while demo.primary(spec) is None and time.monotonic() < deadline:
        time.sleep(1.0)
    current = demo.primary(spec)
    if current is None:
        raise LabError("no primary to rejoin to")
    for node in spec.nodes:
        if node == current:
            continue
        status = demo.attribute(spec, node, demo.STATUS)
        kept_out = status in (None, "STOP") or host_path(spec, node, LOCK).exists() or \
            demo.attribute(spec, node, demo.DATA_STATUS) == "DISCONNECT"
        if kept_out and status not in ("HS:sync", "HS:async"):
            demo.rejoin(spec, node)


def _quietly(spec: LabSpec, node: str, *args: str) -> None:
    with contextlib.suppress(HarmError):  # nothing to clear or clean up
        harm_cli(spec, node, *args)
