"""Utilization and placement strategies on a small cluster written in crm syntax.

Pacemaker's own answers are checked by the conformance run (balanced, minimal,
utilization-order*, placement-* …); these pin down the rules on one readable case.
"""

from __future__ import annotations

import pytest

from harm.cib.cib import Cib
from harm.cib.status import NodeState, Status
from harm.crmsh.load import parse_configuration
from harm.engine.schedule import schedule
from harm.engine.unpack import unpack

NOW = 1_700_000_000


def _placements(strategy: str, count: int, *, memory: int = 1024) -> dict[str, str | None]:
    text = "node n1 utilization memory=2048\nnode n2 utilization memory=1024\n"
    text += f"property stonith-enabled=false placement-strategy={strategy}\n"
    for index in range(count):
        text += (f"primitive r{index} ocf:harm:Dummy utilization memory={memory} "
                 f"meta priority={count - index}\n")
    nodes = tuple(NodeState(id=n, uname=n, in_ccm=True, crmd="online", join="member",
                            expected="member") for n in ("n1", "n2"))
    cib = Cib(configuration=parse_configuration(text), status=Status(nodes=nodes),
              have_quorum=True)
    transition = schedule(unpack(cib, NOW), NOW)
    return {rsc: node for rsc, node, _role in transition.placements}


@pytest.mark.parametrize("strategy", ["utilization", "minimal", "balanced"])
def test_capacity_is_never_exceeded(strategy: str) -> None:
    placed = _placements(strategy, 4)
    on = {node: sum(1 for n in placed.values() if n == node) for node in ("n1", "n2")}
    assert on == {"n1": 2, "n2": 1}
    assert sum(1 for n in placed.values() if n is None) == 1  # the lowest priority waits
    assert placed["r3"] is None


def test_default_strategy_ignores_capacity() -> None:
    assert None not in _placements("default", 4).values()


def test_minimal_fills_one_node_before_the_next() -> None:
    assert _placements("minimal", 2) == {"r0": "n1", "r1": "n1"}


def test_utilization_spreads_by_resource_count() -> None:
    assert _placements("utilization", 2) == {"r0": "n1", "r1": "n2"}


def test_balanced_prefers_the_node_with_most_free_capacity() -> None:
    # n1 has 2048 free, n2 1024: after r0 (512) on n1, n1 still has more room (1536)
    assert _placements("balanced", 2, memory=512) == {"r0": "n1", "r1": "n1"}
    assert _placements("utilization", 2, memory=512) == {"r0": "n1", "r1": "n2"}


def test_a_resource_too_big_for_every_node_stays_stopped() -> None:
    assert _placements("utilization", 1, memory=4096) == {"r0": None}
