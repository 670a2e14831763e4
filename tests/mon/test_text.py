"""The text page: golden files for the seed scenarios, and equality with Debian's crm_mon
on the same CIB (scenarios and a sample of Pacemaker's scheduler corpus)."""

from __future__ import annotations

from pathlib import Path

import pytest

from harm.cib.xml_import import parse_cib_xml
from harm.mon.options import MonOptions
from harm.mon.snapshot import take_snapshot
from harm.mon.text import render_text
from tests.mon.helpers import check_golden, comparable, crm_mon, scenario, utc, write_cib
from tests.mon.scenarios import NOW, SCENARIOS

FLAGS = {
    "Afr": MonOptions(attributes=True, failcounts=True, inactive=True),
    "plain": MonOptions(),
    "Afro": MonOptions(attributes=True, failcounts=True, inactive=True, operations=True),
    "Afrn": MonOptions(attributes=True, failcounts=True, inactive=True, by_node=True),
}

# Corpus cases covering standby, maintenance, unclean and offline nodes, promotable and
# unique clones, groups, blocked/unmanaged/disabled/orphaned resources, failed actions,
# fail counts and ping attributes. Each must print exactly what crm_mon prints.
CORPUS = [
    "clone-anon-failcount", "failcount", "failcount-block", "group-fail",
    "monitor-onfail-restart", "failed-probe-clone", "failed-probe-primitive",
    "failed-demote-recovery-promoted",
    "anti-colocation-promoted", "clbz5007-promotable-colocation", "unmanaged-block-restart",
    "standby", "node-maintenance-1", "unmanaged-promoted",
    "clone-no-shuffle", "promoted-failed-demote", "target-1",
    "orphan-1", "rec-node-13", "ticket-promoted-1", "bug-5186-partial-migrate",
]


@pytest.mark.parametrize("name", sorted(SCENARIOS))
@pytest.mark.parametrize("flags", sorted(FLAGS))
def test_scenario_golden(name: str, flags: str) -> None:
    with utc():
        text = render_text(scenario(name), FLAGS[flags])
    check_golden(f"{name}.{flags}.txt", text)


def test_failover_page_says_what_happened() -> None:
    """The seed report's failover, as an operator reads it."""
    with utc():
        text = render_text(scenario("failover"), FLAGS["Afr"])
    assert "partition with quorum" in text
    assert "* Promoted: [ osspc31 ]" in text
    assert "r_service_vip\t(ocf:harm:IPaddr2):\t Started osspc31" in text
    assert "* pgsql-status                    \t: STOP      " in text
    assert "* master-r_pgsql                  \t: -INFINITY " in text
    assert "* osspc30-eth0                    \t: up        " in text
    assert "r_pgsql: migration-threshold=1 fail-count=1 last-failure=" in text
    assert ("r_pgsql 7s-interval monitor on osspc30 returned 'not running' at "
            "Wed Nov 18 11:16:40 2026 after 52ms") in text


@pytest.mark.pacemaker
@pytest.mark.parametrize("name", sorted(SCENARIOS))
@pytest.mark.parametrize("flags", ["Afr", "plain", "Afro", "Afrn"])
def test_scenario_equals_crm_mon(name: str, flags: str, tmp_path: Path) -> None:
    path = write_cib(SCENARIOS[name](), tmp_path / "cib.xml")
    expected = crm_mon(path, *([f"-{flags}"] if flags != "plain" else []))
    with utc():
        got = render_text(take_snapshot(parse_cib_xml(path.read_bytes()), NOW), FLAGS[flags])
    assert comparable(got) == comparable(expected)


@pytest.mark.pacemaker
@pytest.mark.parametrize("case", CORPUS)
def test_corpus_equals_crm_mon(case: str, corpus_dir: Path) -> None:
    path = corpus_dir / "xml" / f"{case}.xml"
    expected = crm_mon(path, "-Afr")
    with utc():
        got = render_text(take_snapshot(parse_cib_xml(path.read_bytes(), str(path)), NOW),
                          FLAGS["Afr"])
    assert comparable(got) == comparable(expected)


# Without -r (inactive resources and group members hidden), with -o, with -n.
OTHER_FLAGS = [
    ("plain", "bug-1718"), ("plain", "group14"), ("plain", "clone-anon-failcount"),
    ("plain", "failcount-block"), ("plain", "orphan-1"), ("plain", "unmanaged-block-restart"),
    ("Afro", "clone-anon-failcount"), ("Afro", "failcount"), ("Afro", "failed-probe-clone"),
    ("Afrn", "clone-anon-failcount"), ("Afrn", "standby"), ("Afrn", "node-maintenance-1"),
]


@pytest.mark.pacemaker
@pytest.mark.parametrize(("flags", "case"), OTHER_FLAGS)
def test_corpus_flags_equal_crm_mon(flags: str, case: str, corpus_dir: Path) -> None:
    path = corpus_dir / "xml" / f"{case}.xml"
    expected = crm_mon(path, *([f"-{flags}"] if flags != "plain" else []))
    with utc():
        got = render_text(take_snapshot(parse_cib_xml(path.read_bytes(), str(path)), NOW),
                          FLAGS[flags])
    assert comparable(got) == comparable(expected)


def test_no_dc_states_quorum_plainly() -> None:
    """harm's one addition to the summary: quorum is stated even when there is no DC."""
    from dataclasses import replace

    cib = replace(SCENARIOS["healthy"](), dc_uuid=None, have_quorum=False)
    with utc():
        text = render_text(take_snapshot(cib, NOW), MonOptions())
    assert "  * Current DC: NONE - partition WITHOUT quorum\n" in text
