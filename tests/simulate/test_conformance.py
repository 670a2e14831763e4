"""The checked-in conformance list never shrinks: a case that passed must keep passing."""

from __future__ import annotations

from pathlib import Path

import pytest

from harm.simulate.conformance import (
    CaseResult,
    case_names,
    compare,
    family_of,
    read_table,
    regressions,
    run_all,
    scope_reason,
)

TABLE = Path(__file__).resolve().parents[2] / "docs" / "conformance" / "pacemaker-2.1.5.tsv"


def test_every_corpus_case_is_listed(corpus_dir: Path) -> None:
    listed = read_table(TABLE)
    assert set(case_names(corpus_dir)) == set(listed)


@pytest.mark.slow
def test_no_case_that_passed_has_regressed(corpus_dir: Path) -> None:
    baseline = read_table(TABLE)
    results = run_all(corpus_dir, sorted(baseline), jobs=2)
    assert not [r for r in results if r.error], [r.error for r in results if r.error][:5]
    assert regressions(results, baseline) == []


def test_listed_scope_matches_the_rule(corpus_dir: Path) -> None:
    for name, row in read_table(TABLE).items():
        reason = scope_reason((corpus_dir / "xml" / f"{name}.xml").read_bytes())
        assert row["in_scope"] == ("no" if reason else "yes"), name


def test_compare_ignores_whitespace_and_blank_lines() -> None:
    expected = ("Current cluster status:\n  * Node List:\n\n"
                "Transition Summary:\n  * Start      rsc1    ( node2 )\n\n"
                "Executing Cluster Transition:\n  * Resource action: rsc1 start on node2\n"
                "\nRevised Cluster Status:\n  * Node List:\n")
    got = expected.replace("( node2 )", "(node2)").replace("\n\n", "\n")
    assert compare(expected, got) == (True, True, True)
    worse = got.replace("start on node2", "start on node1")
    assert compare(expected, worse) == (True, True, False)
    wrong = got.replace("( node2 )", "(node1)").replace("(node2)", "(node1)")
    assert compare(expected, wrong)[0] is False


def test_regressions_name_the_lost_verdict() -> None:
    baseline = {"a": {"name": "a", "transition": "pass", "revised": "fail", "whole": "fail"}}
    now = [CaseResult("a", "a", True, "", False, True, False, True)]
    assert regressions(now, baseline) == ["a: transition no longer identical"]


@pytest.mark.parametrize(("name", "family"), [
    ("promoted-7", "promoted"), ("simple1", "simple"), ("bug-lf-2574", "bug"),
    ("colo_promoted_w_native", "colo"), ("1360", "numbered"),
])
def test_family(name: str, family: str) -> None:
    assert family_of(name) == family


@pytest.mark.parametrize(("snippet", "reason"), [
    ('<cib><configuration><resources><bundle id="b"/></resources></configuration></cib>',
     "bundle"),
    ('<cib><configuration><constraints><rsc_ticket id="t" rsc="r" ticket="x"/>'
     "</constraints></configuration></cib>", ""),  # tickets are scheduled now
    ('<cib><configuration><resources><primitive id="r" class="ocf" provider="pacemaker" '
     'type="remote"/></resources></configuration></cib>', "remote node"),
    ('<cib><status><node_state id="1"><lrm><lrm_resources><lrm_resource id="r">'
     '<lrm_rsc_op id="r_migrate_to_0" operation="migrate_to"/></lrm_resource>'
     "</lrm_resources></lrm></node_state></status></cib>", "live migration"),
    ('<cib><configuration><crm_config><cluster_property_set id="c"><nvpair id="n" '
     'name="placement-strategy" value="balanced"/></cluster_property_set></crm_config>'
     "</configuration></cib>", ""),  # utilization is scheduled now
    ('<cib><configuration><resources><primitive id="r" class="ocf" provider="heartbeat" '
     'type="Dummy"/></resources></configuration></cib>', ""),
])
def test_scope_rule(snippet: str, reason: str) -> None:
    assert scope_reason(snippet.encode()) == reason
