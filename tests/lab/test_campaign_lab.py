"""A short fault campaign on a real three-node lab (Dummy groups, a clone, a promotable
Stateful clone, a VIP): ten seeded faults must give no violation on today's code. Then,
on the same lab, the campaign's eyes are shown to see real trouble: a resource started
behind the cluster's back on a second node, and a harmd that dies with no fault to
explain it."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from harm.lab import lab
from harm.lab.campaign import audits, observe, profiles, report, runner
from harm.lab.campaign.schedule import plan

pytestmark = [pytest.mark.netns, pytest.mark.slow]

LAB = "hcampt"
NODES = ("c1", "c2", "c3")
SEED = 1
FAULTS = 10


@pytest.fixture(scope="module")
def campaign(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, Path, list[str]]]:
    out = tmp_path_factory.mktemp("campaign")
    lines: list[str] = []
    options = runner.Options(faults=FAULTS, seed=SEED, profile=profiles.dummy(NODES),
                             name=LAB, output=out, keep=True)
    try:
        violations = runner.run(options, echo=lines.append)
        yield violations, out, lines
    finally:
        lab.down(LAB)


def test_ten_faults_without_a_violation(campaign: tuple[int, Path, list[str]]) -> None:
    violations, out, lines = campaign
    assert lines[-1] == f"campaign: {FAULTS} faults, {violations} violations"
    assert violations == 0, (out / report.REPORT_FILE).read_text()
    steps = (out / report.STEPS_FILE).read_text().splitlines()
    assert len(steps) == FAULTS
    assert (out / report.VIOLATIONS_FILE).read_text() == ""
    # the plan ran as drawn, and every kind shows in the summary
    drawn = {s.kind for s in plan(SEED, FAULTS, "dummy", len(NODES))}
    text = (out / report.REPORT_FILE).read_text()
    assert all(kind in text for kind in drawn)
    assert len(drawn) >= 6  # a varied sample, not ten times the same fault


def test_a_resource_running_behind_the_clusters_back_is_seen(
        campaign: tuple[int, Path, list[str]]) -> None:
    spec = lab.load(LAB)
    watch = profiles.watch_of(spec)
    snap, _ = observe.look(spec, watch)
    assert audits.over_active(snap, watch.limits) == []
    [holder] = {a.node for a in snap.reality if a.resource == "web_a"}
    other = next(n for n in NODES if n != holder)
    rogue = spec.node_dir(other) / "tmp" / "Dummy-web_a.state"
    rogue.write_text("started\n")
    try:
        snap, _ = observe.look(spec, watch)
        [finding] = [f for f in audits.over_active(snap, watch.limits)
                     if "web_a" in f.detail]
        assert set(finding.nodes) == {holder, other}
    finally:
        rogue.unlink(missing_ok=True)


def test_a_harmd_that_dies_unexplained_is_seen(campaign: tuple[int, Path, list[str]]) -> None:
    spec = lab.load(LAB)
    watch = profiles.watch_of(spec)
    before = {n: lab.harmd_pid(spec, n) for n in NODES}
    assert lab.stop_harmd(spec, "c3")
    try:
        snap, _ = observe.look(spec, watch)
        [finding] = audits.harmd_deaths(before, snap, explained=())
        assert finding.nodes == ("c3",)
        assert audits.harmd_deaths(before, snap, explained=("c3",)) == []
        assert "harmd not running on c3" in audits.unsettled(snap, NODES)
    finally:
        lab.start_harmd(spec, "c3")
        lab.wait_sockets(spec, ["c3"])
    deadline = time.monotonic() + 60
    while audits.unsettled(observe.look(spec, watch)[0], NODES):
        assert time.monotonic() < deadline, "the lab did not settle again"
        time.sleep(1)
