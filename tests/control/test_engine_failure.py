"""An engine failure on the DC is logged, shown, retried with backoff, and stops nothing.

The engine is made to raise (a fault injected in front of the real scheduler, as a bug
would); the three controllers are the real ones on the in-memory network.
"""

from __future__ import annotations

import logging
from typing import Any

import pytest

from harm.control import coordinator
from harm.engine.schedule import schedule as real_schedule
from tests.control.simnet import SimNet
from tests.control.test_cluster_sim import CONFIG, NODES, SCORES, assert_steady, commit, dc_of


class FailingEngine:
    """The real scheduler, raising while ``failing``; counts the calls."""

    def __init__(self) -> None:
        self.failing = True
        self.calls = 0

    def __call__(self, state: Any, now: int) -> Any:
        self.calls += 1
        if self.failing:
            raise OverflowError("date value out of range")
        return real_schedule(state, now)


def _coordinator(net: SimNet) -> coordinator.Coordinator:
    dc = dc_of(net)._coordinator
    assert dc is not None
    return dc


@pytest.fixture
def engine(monkeypatch: pytest.MonkeyPatch) -> FailingEngine:
    fault = FailingEngine()
    monkeypatch.setattr(coordinator, "schedule", fault)
    return fault


def test_a_failing_engine_is_shown_retried_with_backoff_and_recovers(
        engine: FailingEngine, caplog: pytest.LogCaptureFixture) -> None:
    net = SimNet(NODES, promotion_scores=SCORES)
    with caplog.at_level(logging.ERROR, logger="harm.control.dc"):
        net.settle()
        commit(net, "node2", CONFIG)  # committed on a node that is not the DC
    dc = dc_of(net)
    assert dc.node == "node1"
    shown = dc.status()["transition"]["scheduler"]
    assert shown.startswith("scheduler failed: OverflowError: date value out of range "
                            "(retrying in "), shown
    assert any("scheduler failed: OverflowError" in r.getMessage() for r in caplog.records)
    assert net.running() == set()
    # retried with a doubling backoff, not in a tight loop
    calls = engine.calls
    net.advance(_coordinator(net).engine_backoff_ms + 100)
    assert engine.calls == calls + 1
    calls = engine.calls
    net.advance(30_000)
    assert calls + 3 <= engine.calls <= calls + 6
    assert dc.status()["transition"]["scheduler_failures"] >= 5
    # every controller is still there and the DC unchanged
    assert all(node.up for node in net.nodes.values())
    assert dc_of(net) is dc
    # the bug goes away (an upgrade, a fixed input): the next retry carries the CIB out
    engine.failing = False
    net.advance(61_000)
    assert dc.status()["transition"]["scheduler"] is None
    assert net.running()
    assert_steady(net)


def test_a_change_is_tried_at_once_even_during_the_backoff(engine: FailingEngine) -> None:
    net = SimNet(NODES, promotion_scores=SCORES)
    net.settle()
    commit(net, "node3", CONFIG)
    net.advance(20_000)  # the backoff has grown to several seconds
    assert _coordinator(net).engine_backoff_ms >= 4_000
    engine.failing = False
    commit(net, "node3", "location l_g g 100: node3\n", mode="update")
    assert dc_of(net).status()["transition"]["scheduler"] is None
    net.advance(1_000)
    assert {(r, n) for r, n, _ in net.running() if r in ("d1", "d2")} == \
        {("d1", "node3"), ("d2", "node3")}
    assert_steady(net)
