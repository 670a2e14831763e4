"""The campaign's pure parts: the seeded plan, and every audit on crafted inputs (each
shown to flag the violation it exists for, and to pass a healthy cluster)."""

from __future__ import annotations

import json
import re
import socket
import time
from pathlib import Path

import pytest

from harm.errors import LabError
from harm.lab import faults
from harm.lab.campaign import audits, clients, report, schedule
from harm.lab.campaign.actions import split_sides
from harm.lab.campaign.catalogue import DUMMY, KINDS, PGSQL, kinds_for
from harm.lab.campaign.model import Activity, Limit, NodeView, Probe, Snapshot
from harm.lab.spec import LabSpec

NODES = ("c1", "c2", "c3")
ALL = frozenset(NODES)


def view(node: str, dc: str | None = "c1", members: frozenset[str] = ALL,
         version: tuple[int, ...] = (0, 5, 1), xml: str = "<cib/>", pid: int | None = 100,
         answered: bool = True, running: bool = False) -> NodeView:
    return NodeView(node, pid, answered, dc, dc == node, dc is not None, members, version,
                    xml, running)


def healthy(at: float = 0.0, **changes: object) -> Snapshot:
    base = Snapshot(at, tuple(view(n) for n in NODES), reachable=(ALL,))
    fields = {**base.__dict__, **changes}
    return Snapshot(**fields)  # type: ignore[arg-type]


# ---------------------------------------------------------------- the plan


def test_same_seed_same_plan_and_steps_are_independent_of_the_count() -> None:
    first = schedule.plan(7, 30, DUMMY, 3)
    assert first == schedule.plan(7, 30, DUMMY, 3)
    assert schedule.plan(7, 10, DUMMY, 3) == first[:10]
    assert schedule.step(7, 12, DUMMY, 3) == first[11]  # what --only 12 replays
    assert first != schedule.plan(8, 30, DUMMY, 3)
    assert [s.index for s in first] == list(range(1, 31))


def test_the_plan_fits_the_cluster() -> None:
    demo = {s.kind for s in schedule.plan(3, 300, PGSQL, 2)}
    assert "partition-2-1" not in demo and "resource-fail" not in demo
    assert {"kill-postgres-primary", "kill-postgres-standby", "split", "double"} <= demo
    three = schedule.plan(3, 300, DUMMY, 3)
    kinds = {s.kind for s in three} | {f.kind for s in three for f in s.faults}
    assert not any(k.startswith("kill-postgres") for k in kinds)
    assert {k.name for k in kinds_for(DUMMY, 3)} == kinds  # every kind gets drawn
    for step in three:
        assert schedule.HOLD_S[0] <= step.hold_s <= schedule.HOLD_S[1]
        if step.kind == "double":
            assert len(step.faults) == 2
            assert schedule.GAP_S[0] <= step.gap_s <= schedule.GAP_S[1]
            assert all(next(k for k in KINDS if k.name == f.kind).simple for f in step.faults)
        else:
            assert len(step.faults) == 1 and step.gap_s == 0


def test_targets_resolve_the_same_way_and_sides_are_never_empty() -> None:
    assert schedule.pick(["c3", "c1", "c2"], 0.0) == "c1"
    assert schedule.pick(["c3", "c1", "c2"], 0.99) == "c3"
    assert schedule.pick([], 0.5) is None
    for picks in [(0.1, 0.2, 0.0), (0.5, 0.9, 0.99), (0.0, 0.0, 0.5)]:
        side, other = split_sides(list(NODES), picks)
        assert side and other and set(side) | set(other) == ALL
        assert split_sides(list(NODES), picks) == (side, other)
    pair, rest = split_sides(list(NODES), (0, 0.3, 0), size=2)
    assert len(pair) == 2 and len(rest) == 1


# ---------------------------------------------------------------- DC


def test_dc_flags_two_coordinators_that_see_each_other() -> None:
    two = healthy(nodes=(view("c1"), view("c2", dc="c2"), view("c3")))
    [finding] = audits.dc(two)
    assert finding.audit == audits.DC and finding.nodes == ("c1", "c2")
    assert audits.dc(healthy()) == []
    # one DC on each side of a partition is what a partition gives
    apart = healthy(nodes=(view("c1", members=frozenset({"c1"})),
                           view("c2", dc="c2", members=frozenset({"c2", "c3"})),
                           view("c3", dc="c2", members=frozenset({"c2", "c3"}))))
    assert audits.dc(apart) == []


def test_settled_dc_must_be_one_and_named_by_all() -> None:
    assert audits.dc_settled(healthy()) == []
    wrong = healthy(nodes=(view("c1"), view("c2"), view("c3", dc="c2")))
    assert [f.audit for f in audits.dc_settled(wrong)] == [audits.DC]
    none = healthy(nodes=tuple(view(n, dc=None) for n in NODES))
    assert audits.dc_settled(none)


# ---------------------------------------------------------------- CIB


def test_cib_versions_and_content_must_be_identical() -> None:
    assert audits.cib(healthy()) == []
    older = healthy(nodes=(view("c1"), view("c2"), view("c3", version=(0, 4, 9))))
    [finding] = audits.cib(older)
    assert "versions differ" in finding.detail and "c3 0.4.9" in finding.detail
    other = healthy(nodes=(view("c1"), view("c2"), view("c3", xml="<cib epoch='x'/>")))
    [finding] = audits.cib(other)
    assert "different content" in finding.detail and "c3" in finding.detail
    # a node whose harmd does not answer is not compared (the settle audit reports it)
    silent = healthy(nodes=(view("c1"), view("c2"), view("c3", answered=False, xml="")))
    assert audits.cib(silent) == []


# ---------------------------------------------------------------- resources


LIMITS = {"web": Limit("web"), "agent": Limit("agent", 3, 1),
          "state": Limit("state", 3, 1, 1)}


def test_over_active_flags_what_runs_too_often_on_the_nodes() -> None:
    fine = healthy(reality=(Activity("web", "c1"), *(Activity("agent", n) for n in NODES),
                            Activity("state", "c1", True), Activity("state", "c2")))
    assert audits.over_active(fine, LIMITS) == []
    twice = healthy(reality=(Activity("web", "c1"), Activity("web", "c3")))
    [finding] = audits.over_active(twice, LIMITS)
    assert finding.audit == audits.OVER_ACTIVE and finding.nodes == ("c1", "c3")
    promoted = healthy(reality=(Activity("state", "c1", True), Activity("state", "c2", True)))
    [finding] = audits.over_active(promoted, LIMITS)
    assert "promoted on 2 nodes" in finding.detail
    stacked = healthy(reality=(Activity("agent", "c1"), Activity("agent", "c1")))
    assert "2 instances on one node" in audits.over_active(stacked, LIMITS)[0].detail
    # a powered-off node's leftover state runs nowhere
    off = healthy(reality=twice.reality, powered_off=frozenset({"c3"}))
    assert audits.over_active(off, LIMITS) == []
    # an unknown resource may run once, and a primitive that is not promotable never
    # promoted
    assert audits.over_active(healthy(reality=(Activity("x", "c1", True),)), LIMITS)


def test_over_active_in_the_cib() -> None:
    twice = healthy(believed=(Activity("web", "c1"), Activity("web", "c2")))
    assert [f.audit for f in audits.over_active_cib(twice, LIMITS)] == [audits.OVER_ACTIVE_CIB]
    assert audits.over_active_cib(healthy(believed=(Activity("web", "c1"),)), LIMITS) == []


def test_persistent_tolerates_a_short_window_only() -> None:
    twice = (Activity("web", "c1"), Activity("web", "c2"))

    def check(snap: Snapshot) -> list[audits.Finding]:
        return audits.over_active(snap, LIMITS)
    short = [healthy(0), healthy(1, reality=twice), healthy(3, reality=twice), healthy(4)]
    assert audits.persistent(short, check, grace=3.0) == []
    long = [healthy(0), healthy(1, reality=twice), healthy(5, reality=twice), healthy(6)]
    [finding] = audits.persistent(long, check, grace=3.0)
    assert "(for 4.0s)" in finding.detail and finding.at == 1
    # still going at the last look counts too
    assert audits.persistent(long[:3], check, grace=3.0)


# ---------------------------------------------------------------- writes


def probes(node: str, accepted: list[tuple[float, bool]]) -> list[Probe]:
    return [Probe(at, node, ok) for at, ok in accepted]


def test_double_writers_flags_two_nodes_accepting_writes_beyond_the_grace() -> None:
    a = probes("A", [(0, True), (2, True), (4, True), (6, True), (8, True)])
    b_short = probes("B", [(0, False), (2, True), (3, True), (4, False)])
    assert audits.double_writers(a + b_short, grace=3.0) == []
    b_long = probes("B", [(0, False), (2, True), (4, True), (7, True), (8, False)])
    [finding] = audits.double_writers(a + b_long, grace=3.0)
    assert finding.audit == audits.DOUBLE_WRITERS and finding.nodes == ("A", "B")
    assert "for 6.0s" in finding.detail
    # a switchover: one stops accepting before the other starts
    b_after = probes("B", [(0, False), (8.5, True), (9, True)])
    assert audits.double_writers(a + b_after, grace=0.0) == []


def test_missing_commits() -> None:
    assert audits.missing_commits([1, 2, 3], [1, 2, 3, 4]) == []
    [finding] = audits.missing_commits(range(1, 20), [1, 2, 3])
    assert finding.audit == audits.MISSING_COMMITS
    assert "16 acknowledged commit(s) missing" in finding.detail and "..." in finding.detail


def test_diverged_servers() -> None:
    assert audits.diverged({"A": {1, 2, 3}, "B": {1, 2}}) == []  # B lags: not diverged
    [finding] = audits.diverged({"A": {1, 2, 3}, "B": {1, 2, 4, 5}})
    assert "1 acknowledged commit(s) only on A, 2 only on B" in finding.detail


# ---------------------------------------------------------------- settling


def test_unsettled_says_why() -> None:
    assert audits.unsettled(healthy(), NODES) == []
    gone = healthy(nodes=(view("c1"), view("c2"), view("c3", pid=None)))
    assert audits.unsettled(gone, NODES) == ["harmd not running on c3"]
    alone = healthy(nodes=(view("c1"), view("c2"), view("c3", members=frozenset({"c3"}))))
    assert audits.unsettled(alone, NODES) == ["c3 sees c3"]
    busy = healthy(pending=("Move web ( c1 -> c2 )",))
    assert "the engine would still do" in audits.unsettled(busy, NODES)[0]
    running = healthy(nodes=(view("c1", running=True), view("c2"), view("c3")))
    assert audits.unsettled(running, NODES) == ["a transition runs"]
    assert audits.unsettled(healthy(service_ok=False), NODES) == ["the service check fails"]
    assert audits.settle_time(10.0, 40.0, 60.0) == []
    [late] = audits.settle_time(10.0, 75.0, 60.0)
    assert late.audit == audits.SETTLED and "after 65.0s" in late.detail
    assert "never" in audits.settle_time(10.0, None, 60.0, ["c3 not settled"])[0].detail


# ---------------------------------------------------------------- harmd


def test_harmd_deaths_unless_a_fault_explains_them() -> None:
    before = {"c1": 100, "c2": 100, "c3": 100}
    replaced = healthy(nodes=(view("c1"), view("c2", pid=200), view("c3", pid=None)))
    found = audits.harmd_deaths(before, replaced, explained=())
    assert [f.nodes for f in found] == [("c2",), ("c3",)]
    assert "replaced" in found[0].detail and "gone" in found[1].detail
    assert audits.harmd_deaths(before, replaced, explained=("c2", "c3")) == []
    assert audits.harmd_deaths(before, healthy(), explained=()) == []


def test_log_errors_unless_the_fault_explains_them() -> None:
    lines = {"c1": ["2026-01-01 10:00:00,000 harmd[c1] INFO started",
                    "2026-01-01 10:00:01,000 harmd[c1] ERROR cannot run web_start_0 on c3: "
                    "c3 is not a member"],
             "c2": ["Traceback (most recent call last):", '  File "x.py", line 1']}
    found = audits.log_errors(lines, explained=())
    assert [f.nodes for f in found] == [("c1",), ("c2",)]
    explained = [re.compile(r"cannot run .* not a member")]
    assert [f.nodes for f in audits.log_errors(lines, explained)] == [("c2",)]
    assert audits.log_errors({"c1": ["... WARNING link eth0 dead"]}, ()) == []


# ---------------------------------------------------------------- report and clients


def test_summary_and_last_line() -> None:
    summary = report.Summary()
    for kind, settle, findings in [("split", 2.0, ()), ("split", 4.0, ()),
                                   ("split", None, (audits.Finding("x", "y"),)),
                                   ("isolate", 1.0, ())]:
        summary.add(report.StepRecord(1, 1, kind, "", (), 0.0, 1.0, "", settle, findings))
    assert report.last_line(summary) == "campaign: 4 faults, 1 violations"
    table = summary.table().splitlines()
    assert table[0].split() == ["fault", "kind", "count", "violations", "settle", "p50",
                                "settle", "p95"]
    assert table[2].split() == ["split", "3", "1", "3.0s", "4.0s"]
    assert report.percentile([1.0, 2.0, 3.0, 4.0, 10.0], 95) == 10.0


def test_client_logs_are_read_back(tmp_path: Path) -> None:
    writer = tmp_path / "writer.log"
    writer.write_text('{"id": 1, "at": 5.0}\n{"id": 2, "at": 6.0}\n{"id": 3, "a')
    assert clients.read_acknowledged(writer) == {1: 5.0, 2: 6.0}
    prober = tmp_path / "prober.log"
    prober.write_text("".join(json.dumps({"at": t, "node": "A", "accepted": t > 1,
                                          "detail": ""}) + "\n" for t in (1.0, 2.0, 3.0)))
    assert [p.accepted for p in clients.read_probes(prober, since=1.5)] == [True, True]


def test_the_watchdog_unblocks_a_call_that_waits_too_long() -> None:
    mine, theirs = socket.socketpair()
    with mine, theirs:
        start = time.monotonic()
        with clients.watchdog(mine.fileno(), 0.3):
            assert mine.recv(10) == b""  # the peer never answers; shut down instead
        assert 0.25 < time.monotonic() - start < 5


def test_bad_loss_and_duplicate_arguments_are_refused() -> None:
    spec = LabSpec(name="hunit", nodes=("A", "B"))
    for what in ("loss=eth0", "loss=eth0:abc", "duplicate=eth0:0", "loss=eth7:10"):
        with pytest.raises(LabError):
            faults.fail(spec, "A", what)


def test_fencing_powers_nodes_through_the_lab_bmcs_with_fence_ipmilan() -> None:
    from harm.lab.campaign import power

    assert isinstance(power.switch(False), power.LabCrash)
    switch = power.switch(True)  # fence-agents is installed by scripts/setup.sh
    assert isinstance(switch, power.FenceSwitch)
    assert switch.name == "fence device"


def test_every_kind_but_double_has_an_action() -> None:
    from harm.lab.campaign.actions import ACTIONS

    assert set(ACTIONS) == {k.name for k in KINDS} - {"double"}
