"""Pacemaker's own transition graphs, replayed through harm's runner, print
"Executing Cluster Transition" exactly as crm_simulate does.

This checks the runner (firing order, passes, inputs) independently of harm's scheduler:
the graph comes from the real ``crm_simulate -G``.
"""

from __future__ import annotations

import re
import subprocess
import time
from pathlib import Path

import pytest

from harm.cib.xml_import import parse_cib_xml
from harm.engine.transition import Action
from harm.engine.unpack import unpack
from harm.graph.pacemaker_xml import read_graph
from harm.graph.runner import ActionOutcome, GraphStatus, run_graph

CASES = ["simple4", "group1", "promoted-1", "promoted-7", "standby", "order-mandatory",
         "failcount", "bug-lf-2574", "colo_promoted_w_native", "quorum-4", "stonith-1",
         "clone-no-shuffle", "inc11", "rec-node-13", "notify-3", "novell-252693",
         "probe-2", "reprobe-target_rc", "stopped-monitor-10", "attrs8"]


class Printer:
    """Prints each action as crm_simulate's simulated backend does."""

    def __init__(self, known: set[str]) -> None:
        self.known = known
        self.lines: list[str] = []

    def pseudo(self, action: Action) -> ActionOutcome:
        self.lines.append(f"Pseudo action: {action.meta_value('key')}")
        return ActionOutcome()

    def resource(self, action: Action) -> ActionOutcome:
        if action.task == "probe_again":
            return ActionOutcome()
        name = action.meta_value("rsc_id") or ""
        long_name = action.meta_value("rsc_long_id") or name
        if name not in self.known and long_name in self.known:
            name = long_name
        task = f"{action.task}={action.interval_ms}" if action.interval_ms else action.task
        self.lines.append(f"Resource action: {name} {task} on {action.node}")
        return ActionOutcome()

    def cluster(self, action: Action) -> ActionOutcome:
        self.lines.append(f"Cluster action: {action.task} on {action.node}")
        return ActionOutcome()

    def fence(self, action: Action) -> ActionOutcome:
        self.lines.append(f"Fencing {action.node} ({action.meta_value('stonith_action')})")
        return ActionOutcome()


def _expected(summary: str) -> list[str]:
    lines = summary.splitlines()
    start = lines.index("Executing Cluster Transition:") + 1
    found = []
    for line in lines[start:]:
        if line.startswith(("Revised", "Using")):
            break
        if line.strip():
            text = re.sub(r"\s+", " ", line.strip()[2:])
            found.append(re.sub(r"Cluster action: (\S+) for \S+ on", r"Cluster action: \1 on",
                                text))
    return found


@pytest.mark.pacemaker
@pytest.mark.parametrize("name", CASES)
def test_runner_replays_pacemakers_graph_in_crm_simulates_order(
        name: str, corpus_dir: Path, tmp_path: Path) -> None:
    xml_file = corpus_dir / "xml" / f"{name}.xml"
    graph_file = tmp_path / "graph.xml"
    done = subprocess.run(["crm_simulate", "-x", str(xml_file), "-S", "-G", str(graph_file)],
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    transition, order = read_graph(graph_file.read_bytes(), str(graph_file))
    state = unpack(parse_cib_xml(xml_file.read_bytes(), name), int(time.time()))
    known = {r.id for r in state.resources} | {
        r.history_name for r in state.resources if r.history_name}
    printer = Printer(known)
    assert run_graph(transition, order, printer) is GraphStatus.COMPLETE
    expected = _expected((corpus_dir / "summary" / f"{name}.summary").read_text())
    assert [re.sub(r"\s+", " ", line) for line in printer.lines] == expected
