"""What a campaign writes: one JSON line per step and per violation, a readable report,
and the summary per fault kind (count, violations, time to settle p50/p95)."""

from __future__ import annotations

import json
import statistics
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from harm.lab.campaign.model import Finding

STEPS_FILE = "steps.jsonl"
VIOLATIONS_FILE = "violations.jsonl"
REPORT_FILE = "report.txt"


@dataclass(frozen=True)
class FaultRecord:
    kind: str
    what: str
    at: float


@dataclass(frozen=True)
class StepRecord:
    seed: int
    step: int
    kind: str
    plan: str  # the step as planned (schedule.describe)
    faults: tuple[FaultRecord, ...]
    started: float
    healed: float | None
    heal: str
    settle_s: float | None  # from the heal until settled (None: not within the limit)
    findings: tuple[Finding, ...] = ()
    notes: tuple[str, ...] = ()
    artifacts: str = ""  # where the step's evidence was copied
    replay: str = ""

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Summary:
    counts: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    violations: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    settle: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))

    def add(self, record: StepRecord) -> None:
        self.counts[record.kind] += 1
        self.violations[record.kind] += len(record.findings)
        if record.settle_s is not None:
            self.settle[record.kind].append(record.settle_s)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def total_violations(self) -> int:
        return sum(self.violations.values())

    def table(self) -> str:
        rows = [("fault kind", "count", "violations", "settle p50", "settle p95")]
        for kind in sorted(self.counts):
            times = self.settle.get(kind, [])
            rows.append((kind, str(self.counts[kind]), str(self.violations[kind]),
                         _seconds(percentile(times, 50)), _seconds(percentile(times, 95))))
        widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
        return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()
                         for r in rows)


def percentile(values: Sequence[float], pct: int) -> float | None:
    """The nearest-rank percentile (p50 is the median of an odd count)."""
    if not values:
        return None
    if pct == 50:
        return statistics.median(values)
    ordered = sorted(values)
    rank = max(1, -(-pct * len(ordered) // 100))
    return ordered[rank - 1]


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}s"


def last_line(summary: Summary) -> str:
    return f"campaign: {summary.total} faults, {summary.total_violations} violations"


class Writer:
    """The run's output directory: steps.jsonl, violations.jsonl, report.txt."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        for name in (STEPS_FILE, VIOLATIONS_FILE):
            (folder / name).write_text("", encoding="utf-8")
        self.lines: list[str] = []

    def _append(self, name: str, record: dict[str, Any]) -> None:
        with (self.folder / name).open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(record, default=str) + "\n")

    def step(self, record: StepRecord) -> None:
        self._append(STEPS_FILE, record.to_json())
        for finding in record.findings:
            self._append(VIOLATIONS_FILE, {
                "seed": record.seed, "step": record.step, "kind": record.kind,
                "audit": finding.audit, "detail": finding.detail, "at": finding.at,
                "nodes": list(finding.nodes),
                "faults": [asdict(f) for f in record.faults], "healed": record.healed,
                "artifacts": record.artifacts, "replay": record.replay})
        self.lines += _readable(record)

    def finish(self, header: str, summary: Summary) -> str:
        text = "\n".join([header, "", *self.lines, "", summary.table(), "",
                          last_line(summary)]) + "\n"
        (self.folder / REPORT_FILE).write_text(text, encoding="utf-8")
        return text


def clock(at: float) -> str:
    """``HH:MM:SS.ss`` UTC: the harmd logs' time of day, to find the lines."""
    return time.strftime("%H:%M:%S", time.gmtime(at)) + f".{int(at * 100) % 100:02d}"


def _readable(record: StepRecord) -> list[str]:
    verdict = "ok" if not record.findings else f"{len(record.findings)} VIOLATION(S)"
    settle = "not settled" if record.settle_s is None else f"settled {record.settle_s:.1f}s"
    lines = [f"step {record.step} [{record.kind}] {record.plan}: {settle}, {verdict}"]
    for fault in record.faults:
        lines.append(f"    {clock(fault.at)} {fault.kind}: {fault.what}")
    if record.healed is not None:
        lines.append(f"    {clock(record.healed)} heal: {record.heal}")
    for note in record.notes:
        lines.append(f"    note: {note}")
    for finding in record.findings:
        lines.append(f"    VIOLATION {finding.audit}: {finding.detail}")
    if record.findings:
        lines.append(f"    evidence: {record.artifacts}")
        lines.append(f"    replay: {record.replay}")
    return lines
