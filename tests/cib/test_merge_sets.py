"""The one attribute-set merging rule, and Pacemaker agreeing with it."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest

from harm.cib.config import NvSet, Rule, first_value, merge_sets, merged
from harm.cib.xml_import import parse_cib_xml
from harm.simulate.options import SimulateOptions
from harm.simulate.run import simulate

DATA = Path(__file__).parent / "data" / "attribute-set-order.xml"


def _set(set_id: str, score: int | None = None, rule: Rule | None = None,
         **pairs: str) -> NvSet:
    return NvSet(set_id, tuple(pairs.items()), rule=rule, score=score)


def test_of_equal_scores_the_last_written_set_wins() -> None:
    sets = (_set("one", a="1", b="1"), _set("two", a="2"))
    assert merge_sets(sets) == {"a": "2", "b": "1"}
    assert first_value(sets, "a") == "2"


def test_a_higher_score_wins_wherever_it_is_written() -> None:
    sets = (_set("high", 10, a="high"), _set("low", a="low"))
    assert merge_sets(sets) == {"a": "high"}


def test_default_drops_the_value_a_set_earlier_in_the_order_gave() -> None:
    # "earlier in the order": higher score, or written later with the same score
    sets = (_set("later-in-order", a="#default"), _set("first-in-order", 5, a="1", b="1"))
    assert merge_sets(sets) == {"b": "1"}
    assert merge_sets((_set("x", a="#default"),)) == {}


def test_sets_whose_rule_does_not_hold_are_skipped() -> None:
    ruled = _set("ruled", rule=Rule("r", ()), a="ruled")
    sets = (_set("plain", a="plain"), ruled)
    assert merged(sets) == {"a": "plain"}
    assert merge_sets(sets, lambda s: s.id == "plain") == {"a": "plain"}
    assert merge_sets(sets) == {"a": "ruled"}


def test_the_engine_reads_meta_sets_by_the_rule() -> None:
    cib = parse_cib_xml(DATA.read_bytes())
    result = simulate(cib, SimulateOptions(run=True), int(time.time()))
    assert result.transition is not None
    starts = {a.rsc for a in result.transition.actions if a.task == "start"}
    assert starts == {"a"}  # b's last set stops it, c's higher-scored set stops it


@pytest.mark.pacemaker
def test_pacemaker_merges_sets_the_same_way() -> None:
    done = subprocess.run(["crm_simulate", "-x", str(DATA), "-R"], capture_output=True,
                          text=True, timeout=60, check=True)
    summary = done.stdout.split("Transition Summary:", 1)[1]
    assert "Start      a" in summary
    assert " b " not in summary and " c " not in summary
