"""A node shutting down cleanly: its resources stop before ``do_shutdown``, and with
``shutdown-lock`` they wait for it instead of moving."""

from __future__ import annotations

from pathlib import Path

from harm.cib.xml_import import parse_cib_xml
from harm.engine.schedule import schedule
from harm.engine.transition import ActionKind, Transition
from harm.engine.unpack import unpack

NOW = 1_578_348_000  # a little after node1 asked to shut down (shutdown-lock case)


def _transition(corpus_dir: Path, name: str, now: int = NOW) -> Transition:
    cib = parse_cib_xml((corpus_dir / "xml" / f"{name}.xml").read_bytes())
    return schedule(unpack(cib, now), now)


def test_a_shutting_down_node_is_shut_down_after_its_stops(corpus_dir: Path) -> None:
    transition = _transition(corpus_dir, "shutdown-lock")
    [down] = [a for a in transition.actions if a.task == "do_shutdown"]
    assert (down.node, down.kind, down.key) == ("node1", ActionKind.CLUSTER, "do_shutdown-node1")
    stops = {transition.actions[i].key for i in transition.inputs(down.id)}
    assert "rsc1_stop_0" in stops


def test_shutdown_locked_resources_wait_for_their_node(corpus_dir: Path) -> None:
    transition = _transition(corpus_dir, "shutdown-lock")
    placed = {rsc: node for rsc, node, _role in transition.placements}
    assert placed["rsc1"] is None  # locked to node1, which is leaving: not moved
    assert placed["rsc2"] is None  # locked to node2 (down) by its history
    assert ["Stop", "rsc1"] in [line.split()[:2] for line in transition.summary_lines()]
    assert transition.recheck_by is None  # no shutdown-lock-limit: the locks never expire
