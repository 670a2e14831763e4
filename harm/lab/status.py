"""What a lab looks like right now: per node, its links, its harmd and the view it has."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from harm.daemon.client import request
from harm.errors import ControlError
from harm.lab import lab
from harm.lab.faults import switch_ports
from harm.lab.spec import LabSpec


@dataclass(frozen=True)
class NodeReport:
    node: str
    harmd_pid: int | None
    links: dict[str, str]  # eth0 -> "up" / "down" / "up (island 1)"
    status: dict[str, Any] | None = None  # harmd's answer to "status"
    error: str | None = None

    @property
    def view(self) -> str:
        if self.status is None:
            return "no answer" if self.error else "-"
        view = self.status["view"]
        quorum = "quorate" if view["quorate"] else "NO QUORUM"
        witness = self.status.get("witness")
        if isinstance(witness, dict):
            quorum += ", witness's vote" if witness.get("holds") else ", no witness vote"
        return f"{view['id']}: {','.join(view['members'])} ({quorum})"

    @property
    def dropped(self) -> str:
        if self.status is None:
            return "-"
        counts = self.status["counters"]["dropped"]
        return " ".join(f"{k}={v}" for k, v in sorted(counts.items())) or "0"

    @property
    def inputs(self) -> str:
        """Inputs harmd dropped past the packet layer (they raised, or were refused)."""
        if self.status is None:
            return "-"
        counts = self.status.get("inputs_dropped") or {}
        return " ".join(f"{k.replace(' ', '-')}={v}" for k, v in sorted(counts.items())) or "0"

    @property
    def dead_links(self) -> str:
        if self.status is None:
            return "-"
        dead = [k for k, v in sorted(self.status["attributes"].items()) if v != "up"]
        return ",".join(dead) or "none"


def collect(spec: LabSpec) -> list[NodeReport]:
    ports = switch_ports(spec)
    reports = []
    for node in spec.nodes:
        links = {}
        for link in range(spec.links):
            port = ports.get(spec.port(node, link), {"state": "missing", "master": ""})
            text = port["state"]
            if port["master"] and port["master"] != f"br{link}":
                text += f" ({port['master']})"
            links[spec.nic(link)] = text
        pid = lab.harmd_pid(spec, node)
        status = error = None
        if pid is not None:
            try:
                status = request(spec.node_dir(node) / "harmd.sock", "status", timeout=2.0)
            except ControlError as failure:
                error = str(failure)
        reports.append(NodeReport(node, pid, links, status, error))
    return reports


def table(spec: LabSpec, reports: list[NodeReport]) -> str:
    header = ["NODE", "HARMD", *(spec.nic(i) for i in range(spec.links)), "VIEW",
              "DEAD LINKS SEEN", "DROPPED", "DROPPED INPUTS"]
    rows = [header]
    for r in reports:
        harmd = f"pid {r.harmd_pid}" if r.harmd_pid else "stopped"
        rows.append([r.node, harmd, *r.links.values(), r.view, r.dead_links, r.dropped,
                     r.inputs])
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    witness = ""
    if spec.witness:
        witness = ", witness " + ("running" if lab.witness_pid(spec) else "STOPPED")
    lines = [f"lab {spec.name}: {len(spec.nodes)} nodes, {spec.links} links, "
             f"keepalive {spec.keepalive}, deadtime {spec.deadtime}{witness}"]
    lines += ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
              for row in rows]
    return "\n".join(lines)
