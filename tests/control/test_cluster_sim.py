"""Real controllers in an in-memory cluster (:mod:`tests.control.simnet`).

Election, the replicated CIB, transitions carried out by the nodes' executors, DC
failover, harmd restarts, partitions, failures, cleanup and dampened attributes, all on a
virtual clock: each test is deterministic and runs in a fraction of a second of virtual
time per event. The placements are checked against the policy engine's own answer for the
same CIB (:func:`harm.engine.schedule.schedule_cib`).
"""

from __future__ import annotations

import random
import string
import subprocess
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest

from harm.cib.cib import Cib
from harm.cib.config import NvSet, Role
from harm.cib.status import NodeState, Status, TicketState
from harm.cib.xml_export import cib_to_xml
from harm.control.controller import Controller
from harm.control.failures import failure_name
from harm.crmsh.load import load_text, parse_configuration
from harm.engine.schedule import schedule_cib
from harm.errors import ControlError
from tests.control.simnet import WALL_START, OpLog, SimNet

NODES = ("node1", "node2", "node3")
SCORES = {"node1": 5, "node2": 20, "node3": 5}  # the Stateful agent's promotion scores

CONFIG = """\
node node1
node node2
node node3
primitive d1 ocf:heartbeat:Dummy op monitor interval=10s
primitive d2 ocf:heartbeat:Dummy op monitor interval=10s
group g d1 d2
location l_g g 100: node1
primitive c ocf:heartbeat:Dummy op monitor interval=10s
clone cl c
primitive s ocf:pacemaker:Stateful \\
    op monitor interval=10s role=Promoted \\
    op monitor interval=11s role=Unpromoted
clone ms_s s meta promotable=true notify=true
property stonith-enabled=false
"""

Placement = tuple[str, str, Role]
CHANGES = ("start", "stop", "promote", "demote")


# ---------------------------------------------------------------------- helpers


def commit(net: SimNet, via: str, text: str, mode: str = "replace") -> None:
    """Load crm ``text`` into the configuration ``via`` has, and commit it through the DC."""
    ctl = net.controller(via)
    config = load_text(ctl.cib.configuration, text, mode=mode).configuration
    xml = cib_to_xml(ctl.cib.with_configuration(config))
    ident = ctl.submit_request({"op": "commit", "xml": xml,
                                "base": [ctl.cib.admin_epoch, ctl.cib.epoch]})
    net.settle()
    state = ctl.request_state(ident)
    assert (state.state, state.message) == ("done", None)


def dc_of(net: SimNet) -> Controller:
    [dc] = [n.controller for n in net.nodes.values() if n.up and n.controller.is_dc]
    return dc


def placements(cib: Cib, now: int) -> set[Placement]:
    """Where the engine puts every primitive for ``cib``: (primitive, node, role)."""
    return {(failure_name(rsc), node, role)
            for rsc, node, role in schedule_cib(cib, now).placements
            if node is not None and role is not Role.STOPPED}


def assert_steady(net: SimNet) -> None:
    """The DC's CIB needs nothing more done, and what runs is what the engine places."""
    dc = dc_of(net)
    now = WALL_START + net.now // 1000
    transition = schedule_cib(dc.cib, now)
    assert [a.key for a in transition.executable_actions()
            if a.task != "monitor" or a.interval_ms == 0] == []
    assert net.running() == placements(dc.cib, now)
    assert not dc.status()["transition"]["running"]


def assert_replicas_agree(net: SimNet, names: Iterable[str] | None = None) -> None:
    names = list(names or [n for n, node in net.nodes.items() if node.up])
    dc = dc_of(net)
    for name in names:
        ctl = net.controller(name)
        assert ctl.settled and ctl.dc == dc.node, name
        assert ctl.cib.version == dc.cib.version, name
        assert ctl.cib == dc.cib, name
        assert net.node(name).persisted == dc.cib, name


def changes(ops: Iterable[OpLog], nodes: Iterable[str] = NODES) -> list[tuple[str, str, str]]:
    """(action, primitive, node) of every role change among ``ops``."""
    wanted = set(nodes)
    return [(op.action, op.resource, op.node) for op in ops
            if op.action in CHANGES and op.node in wanted]


def attr(ctl: Controller, node: str, name: str) -> str | None:
    """A transient attribute as ``ctl``'s replica of the CIB has it."""
    state = ctl.cib.status.node(node)
    return state.attribute(name) if state is not None else None


def status_with_scores(nodes: Iterable[str]) -> Status:
    return Status(nodes=tuple(
        NodeState(id=n, uname=n, in_ccm=True, crmd="online", join="member",
                  expected="member",
                  transient_attributes=(NvSet(f"status-{n}", (("master-s", str(SCORES[n])),)),))
        for n in nodes))


@pytest.fixture
def net() -> SimNet:
    """Three nodes, started and settled, no resources yet."""
    cluster = SimNet(NODES, promotion_scores=SCORES)
    cluster.settle()
    return cluster


@pytest.fixture
def running(net: SimNet) -> SimNet:
    """The three nodes with :data:`CONFIG` committed and carried out."""
    commit(net, "node2", CONFIG)
    net.advance(1000)
    assert_steady(net)
    return net


# ---------------------------------------------------------------------- election


def test_three_nodes_elect_the_lowest_name_and_settle(net: SimNet) -> None:
    assert net.dcs() == {"node1": "node1", "node2": "node1", "node3": "node1"}
    assert [n for n in NODES if net.controller(n).is_dc] == ["node1"]
    for name in NODES:
        ctl = net.controller(name)
        assert ctl.settled and ctl.informed
        assert ctl.status()["ignored_messages"] == 0
    assert_replicas_agree(net)
    assert [s.uname for s in net.controller("node3").cib.status.nodes] == list(NODES)
    assert all(s.crmd == "online" for s in net.controller("node3").cib.status.nodes)
    assert all(not node.decoder.dropped for node in net.nodes.values())


def test_names_compare_by_number() -> None:
    cluster = SimNet(("node10", "node9", "node11"))
    cluster.settle()
    assert set(cluster.dcs().values()) == {"node9"}


def test_a_lone_node_waits_for_the_others_until_initdead() -> None:
    cluster = SimNet(("node1", "node2"), initdead_ms=30_000)
    cluster.partition({"node1"}, {"node2"})
    cluster.settle()
    assert not any(n.controller.is_dc for n in cluster.nodes.values())
    cluster.advance(30_000)
    assert cluster.controller("node1").is_dc and cluster.controller("node2").is_dc


# ---------------------------------------------------------------------- placement


def test_commit_places_resources_as_the_engine_predicts(net: SimNet) -> None:
    config = parse_configuration(CONFIG)
    start = Cib(configuration=config, have_quorum=True).with_status(status_with_scores(NODES))
    predicted = placements(start, WALL_START)
    assert {p[0] for p in predicted} == {"d1", "d2", "c", "s"}
    assert ("s", "node2", Role.PROMOTED) in predicted

    commit(net, "node3", CONFIG)
    net.advance(1000)

    assert net.running() == predicted
    assert_steady(net)
    assert_replicas_agree(net)
    dc = dc_of(net)
    for section in ("resources", "constraints", "nodes"):
        assert getattr(dc.cib.configuration, section) == getattr(config, section), section
    assert dc.cib.configuration.property("stonith-enabled") == "false"
    # every node reports its own history, with the recurring monitors running
    for name in NODES:
        state = dc.cib.status.node(name)
        assert state is not None
        recorded = {op.id for h in state.resources for op in h.ops}
        monitors = {key for key in net.node(name).executor.recurring}
        assert monitors <= recorded
    assert net.node("node2").executor.recurring.keys() >= {"s_monitor_10000", "c_monitor_10000"}
    assert "s_monitor_11000" in net.node("node1").executor.recurring
    # the promotion scores went through the controllers into the CIB
    assert {n: attr(dc, n, "master-s") for n in NODES} == {n: str(SCORES[n]) for n in NODES}


def test_a_stale_commit_is_refused(running: SimNet) -> None:
    ctl = running.controller("node3")
    xml = cib_to_xml(ctl.cib)
    ident = ctl.submit_request({"op": "commit", "xml": xml,
                                "base": [ctl.cib.admin_epoch, ctl.cib.epoch - 1]})
    running.settle()
    state = ctl.request_state(ident)
    assert state.state == "failed" and "changed meanwhile" in (state.message or "")


def test_a_configuration_change_moves_the_group(running: SimNet) -> None:
    mark = len(running.ops)
    commit(running, "node2", "location l_g g 100: node3\n", mode="update")
    running.advance(1000)
    assert {(r, n) for r, n, _ in running.running() if r in ("d1", "d2")} == \
        {("d1", "node3"), ("d2", "node3")}
    moved = changes(running.ops_since(mark))
    assert sorted(moved) == sorted([("stop", "d1", "node1"), ("stop", "d2", "node1"),
                                    ("start", "d1", "node3"), ("start", "d2", "node3")])
    # the group stops in reverse order and starts in order
    assert [m[:2] for m in moved] == [("stop", "d2"), ("stop", "d1"), ("start", "d1"),
                                      ("start", "d2")]
    assert_steady(running)
    assert_replicas_agree(running)


# ---------------------------------------------------------------------- failover


def test_dc_leaving_hands_over_without_restarts(running: SimNet) -> None:
    before = running.running()
    assert {n for r, n, _ in before if r == "d1"} == {"node1"}
    mark = len(running.ops)

    running.crash("node1")
    running.advance(1000)

    assert running.dcs() == {"node2": "node2", "node3": "node2"}
    assert running.controller("node2").is_dc
    assert_replicas_agree(running)
    after = running.running()
    # what ran on the survivors still runs there, untouched
    assert {p for p in before if p[1] != "node1"} <= after
    done = changes(running.ops_since(mark))
    assert not [c for c in done if c[0] in ("stop", "demote")]
    assert sorted(c[1] for c in done if c[0] == "start") == ["d1", "d2"]
    assert {n for r, n, _ in after if r in ("d1", "d2")} in ({"node2"}, {"node3"})
    assert_steady(running)
    dc = dc_of(running)
    node1 = dc.cib.status.node("node1")
    assert node1 is not None and node1.crmd == "offline" and not node1.resources


def test_the_dc_stays_when_a_lower_node_returns(running: SimNet) -> None:
    running.crash("node1")
    running.advance(1000)
    running.nodes["node1"].up = True
    running.restart_harmd("node1")
    running.update_views()
    running.advance(1000)
    assert set(running.dcs().values()) == {"node2"}
    assert_replicas_agree(running)
    assert_steady(running)


@pytest.mark.parametrize("restarted", ["node2", "node1"])
def test_harmd_restart_probes_and_restarts_nothing(running: SimNet, restarted: str) -> None:
    before = running.running()
    mark = len(running.ops)

    running.restart_harmd(restarted)
    running.advance(1000)

    assert running.running() == before
    assert changes(running.ops_since(mark)) == []
    probes = {(op.resource, op.rc) for op in running.ops_since(mark)
              if op.node == restarted and op.action == "monitor" and op.interval_ms == 0}
    mine = {r: role for r, n, role in before if n == restarted}
    expected = {(r, 8 if mine.get(r) is Role.PROMOTED else 0 if r in mine else 7)
                for r in ("d1", "d2", "c", "s")}
    assert probes == expected
    # its recurring monitors run again
    recurring = running.node(restarted).executor.recurring
    assert {failure_name(r.request.rsc) for r in recurring.values()} == set(mine)
    assert set(running.dcs().values()) == {"node1"}
    assert_replicas_agree(running)
    assert_steady(running)


# ---------------------------------------------------------------------- partitions


def add_d3(net: SimNet, via: str) -> None:
    commit(net, via, "primitive d3 ocf:heartbeat:Dummy op monitor interval=10s\n",
           mode="update")


@pytest.mark.parametrize("side", ["node3", "node2"])
def test_partition_and_heal_the_newer_configuration_wins(running: SimNet, side: str) -> None:
    running.partition({"node1", "node2"}, {"node3"})
    running.advance(1000)
    assert running.dcs() == {"node1": "node1", "node2": "node1", "node3": "node3"}
    assert running.controller("node3").is_dc and running.controller("node1").is_dc
    # node3 alone has no quorum: it stops what it ran; the majority carries on
    assert not [r for r, n, _ in running.running() if n == "node3"]
    old_epoch = running.controller("node1").cib.epoch
    add_d3(running, side)
    running.advance(1000)
    newer = running.controller(side).cib
    assert newer.configuration.find_resource("d3") is not None
    assert newer.epoch == old_epoch + 1

    running.heal()
    running.advance(1000)

    assert set(running.dcs().values()) == {"node1"}
    assert [n for n in NODES if running.controller(n).is_dc] == ["node1"]
    assert_replicas_agree(running)
    dc = dc_of(running)
    assert dc.cib.configuration.resources == newer.configuration.resources
    assert len([p for p in running.running() if p[0] == "d3"]) == 1
    assert_steady(running)


def test_the_old_dc_returning_takes_over_without_a_failover(running: SimNet) -> None:
    """node1 (DC) is cut off; node2 coordinates the majority; after the heal node1 is
    DC again (the lower-named incumbent) and the members' own attributes (promotion
    scores) come back with them: the promoted instance stays where it is."""
    running.partition({"node1"}, {"node2", "node3"})
    running.advance(1000)
    assert running.dcs() == {"node1": "node1", "node2": "node2", "node3": "node2"}
    assert ("s", "node2", Role.PROMOTED) in running.running()
    mark = len(running.ops)

    running.heal()
    running.advance(1000)

    assert set(running.dcs().values()) == {"node1"}
    assert {n: attr(dc_of(running), n, "master-s") for n in ("node2", "node3")} == \
        {"node2": "20", "node3": "5"}
    assert ("s", "node2", Role.PROMOTED) in running.running()
    assert not [c for c in changes(running.ops_since(mark)) if c[0] in ("demote", "promote")]
    assert not [c for c in changes(running.ops_since(mark), ("node2", "node3"))
                if c[1] in ("c", "s")]
    assert_steady(running)
    assert_replicas_agree(running)


def test_an_attribute_written_apart_survives_the_heal(running: SimNet) -> None:
    running.partition({"node1", "node2"}, {"node3"})
    running.advance(1000)
    ident = running.controller("node3").submit_request(
        {"op": "attribute", "node": "node3", "name": "pingd", "value": "7",
         "lifetime": "reboot"})
    running.advance(1000)
    assert running.controller("node3").request_state(ident).state == "done"
    assert attr(running.controller("node1"), "node3", "pingd") is None
    running.heal()
    running.advance(1000)
    assert all(attr(running.controller(n), "node3", "pingd") == "7" for n in NODES)
    assert_replicas_agree(running)


def test_a_rebooted_node_comes_back_without_its_old_attributes(running: SimNet) -> None:
    """Transient attributes die with the node (as Pacemaker erases them): the promotion
    score node2 had before it crashed does not return with it."""
    running.crash("node2")
    running.advance(1000)
    running.scores["node2"] = 1  # after the reboot its agent scores lower
    running.nodes["node2"].up = True
    mark = len(running.ops)
    running.restart_harmd("node2")
    running.update_views()
    running.advance(1000)
    assert attr(dc_of(running), "node2", "master-s") == "1"
    assert [c for c in changes(running.ops_since(mark)) if c[1] == "s"] == \
        [("start", "s", "node2")]
    promoted = [n for r, n, role in running.running() if r == "s" and role is Role.PROMOTED]
    assert promoted != ["node2"] and len(promoted) == 1
    assert_steady(running)
    assert_replicas_agree(running)


def test_messages_across_a_partition_are_dropped(running: SimNet) -> None:
    ctl = running.controller("node3")
    ctl.submit_request({"op": "attribute", "node": "node3", "name": "x", "value": "1",
                        "lifetime": "reboot"})
    running.partition({"node1", "node2"}, {"node3"})
    assert running.dropped >= 1
    running.advance(1000)
    assert attr(running.controller("node1"), "node3", "x") is None


# ---------------------------------------------------------------------- failures


def test_a_failed_monitor_raises_the_fail_count_and_recovers(running: SimNet) -> None:
    where = "node1"
    running.node(where).machine.roles.pop("d2")  # the resource died
    mark = len(running.ops)
    running.advance(10_000)

    dc = dc_of(running)
    assert attr(dc, where, "fail-count-d2#monitor_10000") == "1"
    assert attr(dc, where, "fail-count-d2") == "1"
    assert attr(dc, where, "last-failure-d2#monitor_10000") is not None
    failed = [op for op in running.ops_since(mark) if op.resource == "d2" and op.rc == 7
              and op.interval_ms == 10_000]
    assert [op.node for op in failed] == [where]
    # recovered in place (one failure is below the default migration-threshold)
    assert ("d2", where, Role.STARTED) in running.running()
    assert changes(running.ops_since(mark)) == [("stop", "d2", where), ("start", "d2", where)]
    history = dc.cib.status.node(where)
    assert history is not None
    [d2] = [h for h in history.resources if h.id == "d2"]
    assert "d2_last_failure_0" in {op.id for op in d2.ops}
    assert_replicas_agree(running)
    assert_steady(running)

    # cleanup forgets the failure everywhere, re-probes, and restarts nothing
    mark = len(running.ops)
    ident = running.controller("node3").submit_request({"op": "cleanup", "rsc": "d2"})
    running.advance(1000)
    assert running.controller("node3").request_state(ident).state == "done"
    dc = dc_of(running)
    assert attr(dc, where, "fail-count-d2#monitor_10000") is None
    assert attr(dc, where, "fail-count-d2") is None
    assert attr(dc, where, "last-failure-d2") is None
    history = dc.cib.status.node(where)
    assert history is not None
    [d2] = [h for h in history.resources if h.id == "d2"]
    # the monitor's failure is forgotten; the new probe found d2 running where the
    # forgotten history said nothing, which Pacemaker keeps as a "failure" with rc 0
    assert [(op.operation, op.interval_ms, op.rc) for op in d2.ops
            if op.is_failure_record] in ([], [("monitor", 0, 0)])
    probes = {op.node for op in running.ops_since(mark)
              if op.resource == "d2" and op.action == "monitor" and op.interval_ms == 0}
    assert probes == set(NODES)
    assert changes(running.ops_since(mark)) == []
    assert_replicas_agree(running)
    assert_steady(running)


def test_migration_threshold_moves_the_resource_away(running: SimNet) -> None:
    commit(running, "node1", "rsc_defaults migration-threshold=1\n", mode="update")
    running.advance(1000)
    running.node("node1").machine.roles.pop("d1")
    running.advance(10_000)
    group = {n for r, n, _ in running.running() if r in ("d1", "d2")}
    assert len(group) == 1 and group != {"node1"}
    assert attr(dc_of(running), "node1", "fail-count-d1#monitor_10000") == "1"
    assert_steady(running)


def test_a_failed_start_is_fatal_on_that_node(running: SimNet) -> None:
    running.node("node3").machine.fail_next[("d4", "start")] = 1
    commit(running, "node1", "primitive d4 ocf:heartbeat:Dummy\n"
           "location l_d4 d4 50: node3\n", mode="update")
    running.advance(1000)
    dc = dc_of(running)
    assert attr(dc, "node3", "fail-count-d4#start_0") == "INFINITY"
    where = {n for r, n, _ in running.running() if r == "d4"}
    assert len(where) == 1 and where != {"node3"}
    assert_steady(running)


@pytest.mark.parametrize("target", ["node3", "node1"])  # a member, the DC itself
def test_an_injected_failure_counts_like_a_real_one(running: SimNet, target: str) -> None:
    mark = len(running.ops)
    ident = running.controller("node2").submit_request(
        {"op": "fail", "node": target, "rsc": "c", "action": "monitor",
         "interval_ms": 10_000, "rc": 7})
    running.advance(1000)
    assert running.controller("node2").request_state(ident).state == "done"
    assert attr(dc_of(running), target, "fail-count-c#monitor_10000") == "1"
    assert ("c", target, Role.STARTED) in running.running()
    assert changes(running.ops_since(mark)) == [("stop", "c", target), ("start", "c", target)]
    assert_steady(running)


# ---------------------------------------------------------------------- attributes


def test_a_dampened_attribute_is_written_after_its_delay(running: SimNet) -> None:
    ctl = running.controller("node3")
    ident = ctl.submit_request({"op": "attribute", "node": "node3", "name": "pingd",
                                "value": "100", "lifetime": "reboot", "delay_ms": 5000})
    running.settle()
    assert ctl.request_state(ident).state == "done"
    assert dc_of(running).attribute_value("node3", "pingd", "reboot") == "100"  # pending
    running.advance(4900)
    assert all(attr(running.controller(n), "node3", "pingd") is None for n in NODES)
    running.advance(200)
    assert all(attr(running.controller(n), "node3", "pingd") == "100" for n in NODES)
    assert_replicas_agree(running)


def test_a_dampened_attribute_that_flaps_back_is_not_written(running: SimNet) -> None:
    ctl = running.controller("node2")
    for value, wait in (("1", 1000), ("2", 1000), (None, 1000)):
        ctl.submit_request({"op": "attribute", "node": "node2", "name": "flappy",
                            "value": value, "lifetime": "reboot", "delay_ms": 5000})
        running.advance(wait)
    versions = dc_of(running).cib.version
    running.advance(10_000)
    assert attr(dc_of(running), "node2", "flappy") is None
    assert dc_of(running).cib.version == versions


def test_an_attribute_rule_moves_a_resource(running: SimNet) -> None:
    commit(running, "node1", "primitive d5 ocf:heartbeat:Dummy\n"
           "location l_d5 d5 rule -inf: not_defined ok or ok ne yes\n", mode="update")
    running.advance(1000)
    assert not [p for p in running.running() if p[0] == "d5"]
    running.controller("node3").submit_request(
        {"op": "attribute", "node": "node2", "name": "ok", "value": "yes",
         "lifetime": "reboot", "delay_ms": 0})
    running.advance(1000)
    assert ("d5", "node2", Role.STARTED) in running.running()
    assert_steady(running)


def test_standby_moves_everything_off_the_node(running: SimNet) -> None:
    ctl = running.controller("node3")
    epoch = ctl.cib.epoch
    ident = ctl.submit_request({"op": "attribute", "node": "node1", "name": "standby",
                                "value": "on", "lifetime": "forever"})
    running.advance(1000)
    assert ctl.request_state(ident).state == "done"
    assert ctl.cib.epoch == epoch + 1  # a node attribute is configuration
    assert ctl.attribute_value("node1", "standby", "forever") == "on"
    assert not [p for p in running.running() if p[1] == "node1"]
    assert {r for r, _, _ in running.running()} == {"d1", "d2", "c", "s"}
    assert_steady(running)
    assert_replicas_agree(running)


def test_crash_of_the_promoted_node_promotes_another(running: SimNet) -> None:
    assert ("s", "node2", Role.PROMOTED) in running.running()
    mark = len(running.ops)
    running.crash("node2")
    running.advance(1000)
    promoted = [n for r, n, role in running.running() if r == "s" and role is Role.PROMOTED]
    assert len(promoted) == 1 and promoted != ["node2"]
    assert changes(running.ops_since(mark)) == [("promote", "s", promoted[0])]
    assert_steady(running)
    assert_replicas_agree(running)


def test_two_node_split_brain_heals_to_one_copy_of_each() -> None:
    cluster = SimNet(("node1", "node2"))
    cluster.settle()
    commit(cluster, "node2", "node node1\nnode node2\n"
           "primitive a ocf:heartbeat:Dummy op monitor interval=10s\n"
           "primitive b ocf:heartbeat:Dummy op monitor interval=10s\n"
           "property stonith-enabled=false no-quorum-policy=ignore\n")
    cluster.advance(1000)
    cluster.partition({"node1"}, {"node2"})
    cluster.advance(1000)
    assert cluster.dcs() == {"node1": "node1", "node2": "node2"}
    # each side runs everything it can
    assert len(cluster.running()) == 4
    cluster.heal()
    cluster.advance(1000)
    assert set(cluster.dcs().values()) == {"node1"}
    assert sorted(r for r, _, _ in cluster.running()) == ["a", "b"]
    assert_steady(cluster)
    assert_replicas_agree(cluster)


# ---------------------------------------------------------------------- lost messages


def test_a_lost_cib_update_is_resynchronised(running: SimNet) -> None:
    running.lose_next("node1", "node3", "cib")
    add_d3(running, "node2")
    running.settle()
    assert running.lost == 1
    running.advance(1000)
    assert_replicas_agree(running)
    assert running.controller("node3").cib.configuration.find_resource("d3") is not None
    assert_steady(running)


@pytest.mark.parametrize("kind, sender, target", [("op", "node1", "node2"),
                                                   ("state", "node2", "node1")])
def test_a_lost_action_or_result_is_retried_after_its_timeout(
        running: SimNet, kind: str, sender: str, target: str) -> None:
    mark = len(running.ops)
    running.lose_next(sender, target, kind)
    commit(running, "node3", "primitive d3 ocf:heartbeat:Dummy\n"
           "location l_d3 d3 100: node2\n", mode="update")
    running.advance(1000)
    assert running.lost == 1
    assert not [p for p in running.running() if p[0] == "d3"]  # still waiting
    running.advance(90_000)  # the probe's 20 s timeout and the 60 s cluster delay
    assert ("d3", "node2", Role.STARTED) in running.running()
    assert changes(running.ops_since(mark)) == [("start", "d3", "node2")]
    assert_steady(running)
    assert_replicas_agree(running)


def test_malformed_messages_are_ignored_and_counted(running: SimNet) -> None:
    ctl = running.controller("node3")
    bad: list[tuple[str, dict[str, Any]]] = [
        ("hello", {"members": "node1"}), ("hello", {"members": [], "cib": "<cib"}),
        ("op", {"request": {"rsc": 1}}), ("no-such-kind", {}), ("cib", {"xml": 5}),
        ("request", {"id": "x", "op": "cleanup"}), ("cancel", {"rsc": "d1"})]
    for kind, payload in bad:
        ctl.on_message("node1", kind, payload)
    assert ctl.ignored == len(bad)
    running.node("node1").send("cib", {"xml": "<not xml"})
    running.node("node2").send("state", {"cib": 3}, "node1")
    running.advance(1000)
    assert running.controller("node2").ignored == 1
    assert running.controller("node1").ignored == 1
    assert_steady(running)
    assert_replicas_agree(running)


# ---------------------------------------------------------------------- requests


def test_requests_wait_for_a_dc_then_go_through() -> None:
    cluster = SimNet(NODES, initdead_ms=60_000)
    cluster.partition({"node1"}, {"node2"}, {"node3"})
    cluster.settle()
    ctl = cluster.controller("node2")
    ident = ctl.submit_request({"op": "attribute", "node": "node2", "name": "color",
                                "value": "blue", "lifetime": "reboot"})
    cluster.advance(1000)
    assert ctl.request_state(ident).state == "pending"
    assert ctl.attribute_value("node2", "color", "reboot") == "blue"  # as given meanwhile
    cluster.heal()
    cluster.advance(1000)
    assert ctl.request_state(ident).state == "done"
    assert attr(dc_of(cluster), "node2", "color") == "blue"
    assert_replicas_agree(cluster)


def test_concurrent_commits_on_the_same_base_one_wins(running: SimNet) -> None:
    idents = []
    for via, rsc in (("node2", "e1"), ("node3", "e2")):
        ctl = running.controller(via)
        config = load_text(ctl.cib.configuration, f"primitive {rsc} ocf:heartbeat:Dummy\n",
                           mode="update").configuration
        idents.append((ctl, ctl.submit_request({
            "op": "commit", "xml": cib_to_xml(ctl.cib.with_configuration(config)),
            "base": [ctl.cib.admin_epoch, ctl.cib.epoch]})))
    running.advance(1000)
    states = [ctl.request_state(ident).state for ctl, ident in idents]
    assert sorted(states) == ["done", "failed"]
    configured = {r for r in ("e1", "e2")
                  if dc_of(running).cib.configuration.find_resource(r) is not None}
    assert len(configured) == 1
    assert_steady(running)
    assert_replicas_agree(running)


def test_an_expired_failure_lets_the_resource_come_back(running: SimNet) -> None:
    commit(running, "node1", "rsc_defaults migration-threshold=1 failure-timeout=60s\n",
           mode="update")
    running.advance(1000)
    running.node("node1").machine.roles.pop("d1")
    running.advance(10_000)
    assert {n for r, n, _ in running.running() if r == "d1"} not in (set(), {"node1"})
    running.advance(30_000)  # not expired yet: it stays away
    assert ("d1", "node1", Role.STARTED) not in running.running()
    running.advance(90_000)  # expired, and a recheck has run since
    assert {(r, n) for r, n, _ in running.running() if r in ("d1", "d2")} == \
        {("d1", "node1"), ("d2", "node1")}
    assert_steady(running)
    assert_replicas_agree(running)


@pytest.mark.parametrize("request_, message", [
    ({"op": "commit", "xml": "<cib/>"}, "base"),
    ({"op": "attribute", "node": "node2", "name": "x", "value": 5}, "must be text"),
    ({"op": "reboot-everything"}, "unknown request"),
    ({"op": "fail", "node": "node2", "rsc": "d1", "interval_ms": "abc"}, "interval_ms"),
    ({"op": "fail", "node": "node2", "rsc": "d1", "rc": [1]}, "'rc'"),
    ({"op": "fail", "node": "node2", "rsc": "d1", "rc": 1.5}, "'rc'"),
    ({"op": "attribute", "node": "node2", "name": "x", "value": "a", "delay_ms": True},
     "delay_ms"),
    ({"op": "cleanup", "rsc": ["d1"]}, "'rsc'"),
])
def test_malformed_requests_are_refused_before_they_reach_the_dc(
        running: SimNet, request_: dict[str, Any], message: str) -> None:
    ctl = running.controller("node3")
    version, known = ctl.cib.version, len(ctl.pending)
    with pytest.raises(ControlError, match=message):
        ctl.submit_request(request_)
    running.settle()
    assert ctl.cib.version == version
    assert len(ctl.pending) == known  # nothing was passed on


@pytest.mark.parametrize("request_, message", [
    ({"op": "commit", "xml": "<cib", "base": "now"}, "not well-formed"),
    ({"op": "fail", "node": "node9", "rsc": "d1"}, "not a member"),
])
def test_bad_requests_fail_with_a_reason(running: SimNet, request_: dict[str, Any],
                                         message: str) -> None:
    ctl = running.controller("node3")
    version = ctl.cib.version
    if request_.get("base") == "now":
        request_ = {**request_, "base": list(version[:2])}
    ident = ctl.submit_request(request_)
    running.settle()
    state = ctl.request_state(ident)
    assert state.state == "failed"
    assert message in (state.message or "")
    assert ctl.cib.version == version


# ---------------------------------------------------------------------- against Pacemaker


def crm_simulate(path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["crm_simulate", "-x", str(path), *args], capture_output=True,
                          text=True, timeout=120, check=False)


def pacemaker_summary(output: str) -> list[str]:
    lines = output.split("Transition Summary:", 1)[1].splitlines()[1:]
    summary = []
    for line in lines:
        if not line.startswith("  * "):
            break
        summary.append(line[4:])
    return summary


def test_the_engine_inputs_replay_in_crm_simulate(running: SimNet, tmp_path: Path) -> None:
    """Every input the DC saved (start-up, a failure, a move) is a CIB Pacemaker's own
    tools take: crm_simulate -S replays it, and schedules what harm's engine scheduled."""
    running.node("node1").machine.roles.pop("d2")
    running.advance(10_000)
    commit(running, "node3", "location l_g g 100: node3\n", mode="update")
    running.advance(1000)
    inputs = running.node("node1").inputs
    assert len(inputs) >= 5
    for number, cib in enumerate(inputs):
        path = tmp_path / f"pe-input-{number}.xml"
        path.write_text(cib_to_xml(cib), encoding="utf-8")
        replay = crm_simulate(path, "-S")
        assert replay.returncode == 0, (path.name, replay.stderr[-2000:])
        ours = schedule_cib(cib, int(cib.attr("execution-date") or 0) or WALL_START)
        assert pacemaker_summary(replay.stdout) == ours.summary_lines(), path.name


def test_harmd_restart_on_the_promoted_dc_keeps_it_promoted() -> None:
    """The restarted DC has lost its transient attributes (they lived in its memory); the
    probe that finds the instance promoted restores its score (as the stock Stateful and
    pgsql agents do) before anything would move the promotion."""
    cluster = SimNet(NODES, promotion_scores={"node1": 20, "node2": 5, "node3": 5})
    cluster.settle()
    commit(cluster, "node2", CONFIG)
    cluster.advance(1000)
    assert ("s", "node1", Role.PROMOTED) in cluster.running()
    before = cluster.running()
    mark = len(cluster.ops)

    cluster.restart_harmd("node1")
    cluster.advance(1000)

    assert cluster.controller("node1").is_dc
    assert cluster.running() == before
    assert changes(cluster.ops_since(mark)) == []
    assert attr(dc_of(cluster), "node1", "master-s") == "20"
    assert_steady(cluster)
    assert_replicas_agree(cluster)


def test_a_cib_larger_than_one_datagram_travels_in_chunks(net: SimNet) -> None:
    rng = random.Random(5)
    blob = "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(80_000))
    commit(net, "node3", "node node1\nnode node2\nnode node3\n"
           "property stonith-enabled=false\n"
           f"primitive big ocf:heartbeat:Dummy params blob={blob} op monitor interval=10s\n")
    net.advance(1000)
    assert net.largest >= 2  # the CIB (and every hello) no longer fits one chunk
    assert len([p for p in net.running() if p[0] == "big"]) == 1
    assert_replicas_agree(net)
    [big] = list(net.controller("node2").cib.configuration.primitives())
    assert big.param("blob") == blob
    assert all(not node.decoder.dropped for node in net.nodes.values())


def test_a_request_in_flight_when_the_dc_dies_is_answered_by_the_next(
        running: SimNet) -> None:
    ctl = running.controller("node3")
    ident = ctl.submit_request({"op": "attribute", "node": "node3", "name": "color",
                                "value": "green", "lifetime": "reboot"})
    running.crash("node1")  # before the request reached it
    running.advance(1000)
    assert ctl.request_state(ident).state == "done"
    assert dc_of(running).node == "node2"
    assert attr(dc_of(running), "node3", "color") == "green"
    assert_replicas_agree(running)
    assert_steady(running)


def test_without_quorum_everything_stops_and_comes_back_after_the_heal(
        running: SimNet) -> None:
    running.partition({"node1"}, {"node2"}, {"node3"})
    running.advance(1000)
    assert running.dcs() == {n: n for n in NODES}
    assert all(not net_ctl.cib.have_quorum for net_ctl in
               (running.controller(n) for n in NODES))
    assert running.running() == set()  # no-quorum-policy=stop
    running.heal()
    running.advance(1000)
    assert set(running.dcs().values()) == {"node1"}
    assert {r for r, _, _ in running.running()} == {"d1", "d2", "c", "s"}
    assert ("s", "node2", Role.PROMOTED) in running.running()
    assert_steady(running)
    assert_replicas_agree(running)


# ---------------------------------------------------------------------- random histories


def random_event(net: SimNet, rng: random.Random) -> str:
    """One random disturbance: membership, harmd, resources, attributes, configuration."""
    up = [n for n in NODES if net.nodes[n].up]
    down = [n for n in NODES if not net.nodes[n].up]
    event = rng.choice(["partition", "heal", "crash", "boot", "restart", "kill", "attribute",
                        "commit", "cleanup", "wait"])
    if event == "partition":
        alone = rng.choice(NODES)
        net.partition({alone}, set(NODES) - {alone})
    elif event == "heal":
        net.heal()
    elif event == "crash" and len(up) > 1:
        net.crash(rng.choice(up))
    elif event == "boot" and down:
        boot(net, rng.choice(down))
    elif event == "restart":
        net.restart_harmd(rng.choice(up))
    elif event == "kill":
        roles = net.node(rng.choice(up)).machine.roles
        if roles:
            del roles[rng.choice(sorted(roles))]
    elif event == "attribute":
        node = rng.choice(up)
        net.controller(node).submit_request(
            {"op": "attribute", "node": node, "name": "pingd", "value": str(rng.randint(0, 3)),
             "lifetime": "reboot", "delay_ms": rng.choice([0, 2000])})
    elif event == "commit":
        ctl = net.controller(rng.choice(up))
        text = f"location l_g g {rng.choice([-100, 0, 100])}: {rng.choice(NODES)}\n"
        config = load_text(ctl.cib.configuration, text, mode="update").configuration
        ctl.submit_request({"op": "commit", "xml": cib_to_xml(ctl.cib.with_configuration(config)),
                            "base": [ctl.cib.admin_epoch, ctl.cib.epoch]})
    elif event == "cleanup":
        net.controller(rng.choice(up)).submit_request({"op": "cleanup"})
    return event


def boot(net: SimNet, name: str) -> None:
    net.nodes[name].up = True
    net.restart_harmd(name)
    net.update_views()


@pytest.mark.parametrize("seed", range(12))
def test_after_random_disturbances_the_cluster_converges(running: SimNet, seed: int) -> None:
    """Whatever happened, once every node is back and connected (and a recheck has run,
    as Pacemaker's scheduler may need a second look after a recovery), there is one DC,
    one CIB, nothing left to do, each group member runs once and one instance is
    promoted."""
    rng = random.Random(seed)
    events = []
    for _ in range(12):
        events.append(random_event(running, rng))
        running.advance(rng.choice([0, 500, 3000, 15_000]))
    running.heal()
    for name in NODES:
        if not running.nodes[name].up:
            boot(running, name)
    running.advance(16 * 60_000)  # past cluster-recheck-interval

    assert len(set(running.dcs().values())) == 1, events
    assert_replicas_agree(running)
    assert_steady(running)
    placed = running.running()
    for rsc in ("d1", "d2"):
        assert len([p for p in placed if p[0] == rsc]) == 1, events
    assert len([p for p in placed if p[0] == "s" and p[2] is Role.PROMOTED]) == 1, events


# ---------------------------------------------------------------------- requests, once


def test_a_request_is_applied_once_when_a_hello_crosses_it(running: SimNet) -> None:
    """A member's hello arriving while a request is on its way (here node2 answers a
    resync) does not make the requester send it again: the commit is reported done, not
    refused as based on an old version, and an injected failure counts once."""
    ctl = running.controller("node3")
    config = load_text(ctl.cib.configuration, "primitive e1 ocf:heartbeat:Dummy\n",
                       mode="update").configuration
    ident = ctl.submit_request({"op": "commit", "xml": cib_to_xml(ctl.cib.with_configuration(
        config)), "base": [ctl.cib.admin_epoch, ctl.cib.epoch]})
    running.controller("node2").on_message("node3", "resync", {})  # a hello follows
    running.advance(1000)
    state = ctl.request_state(ident)
    assert (state.state, state.message) == ("done", None)
    assert dc_of(running).cib.configuration.find_resource("e1") is not None

    ident = ctl.submit_request({"op": "fail", "node": "node2", "rsc": "c",
                                "action": "monitor", "interval_ms": 10_000, "rc": 7})
    running.controller("node2").on_message("node3", "resync", {})
    running.advance(1000)
    assert ctl.request_state(ident).state == "done"
    assert attr(dc_of(running), "node2", "fail-count-c#monitor_10000") == "1"


def test_a_request_to_a_dc_still_waiting_for_initdead_is_kept() -> None:
    """node2 is elected while node1 is absent, but waits for initdead before it acts; a
    request sent to it meanwhile is carried out once it does."""
    cluster = SimNet(NODES, initdead_ms=60_000)
    cluster.crash("node1")
    cluster.settle()
    assert cluster.dcs() == {"node2": "node2", "node3": "node2"}
    assert not cluster.controller("node2").is_dc
    ctl = cluster.controller("node3")
    ident = ctl.submit_request({"op": "attribute", "node": "node3", "name": "x",
                                "value": "1", "lifetime": "reboot"})
    mine = cluster.controller("node2").submit_request(
        {"op": "attribute", "node": "node2", "name": "y", "value": "2", "lifetime": "reboot"})
    cluster.advance(1000)
    assert ctl.request_state(ident).state == "pending"
    cluster.advance(60_000)
    assert cluster.controller("node2").is_dc
    assert ctl.request_state(ident).state == "done"
    assert cluster.controller("node2").request_state(mine).state == "done"
    dc = dc_of(cluster)
    assert (attr(dc, "node3", "x"), attr(dc, "node2", "y")) == ("1", "2")
    assert cluster.controller("node2").ignored == 0


def test_a_request_lost_in_a_restarted_dc_is_sent_again(running: SimNet) -> None:
    ctl = running.controller("node3")
    ident = ctl.submit_request({"op": "attribute", "node": "node3", "name": "z",
                                "value": "3", "lifetime": "reboot"})
    running.restart_harmd("node1")  # before the request reached it: it is gone
    running.advance(1000)
    assert ctl.request_state(ident).state == "done"
    assert attr(dc_of(running), "node3", "z") == "3"


def test_cleanup_by_clone_id_clears_every_instance(running: SimNet) -> None:
    for node in ("node2", "node3"):
        running.node(node).machine.roles.pop("c")
    running.advance(10_000)
    dc = dc_of(running)
    assert [attr(dc, n, "fail-count-c") for n in NODES] == [None, "1", "1"]
    mark = len(running.ops)
    ident = running.controller("node1").submit_request({"op": "cleanup", "rsc": "cl"})
    running.advance(1000)
    assert running.controller("node1").request_state(ident).state == "done"
    dc = dc_of(running)
    assert [attr(dc, n, "fail-count-c") for n in NODES] == [None, None, None]
    assert {op.node for op in running.ops_since(mark)
            if op.resource == "c" and op.action == "monitor" and op.interval_ms == 0} == \
        set(NODES)
    assert changes(running.ops_since(mark)) == []
    assert_steady(running)


# ---------------------------------------------------------------------- tickets


def _ticket(net: SimNet, change: str) -> None:
    ctl = net.controller("node3")
    ident = ctl.submit_request({"op": "ticket", "ticket": "site-a", "change": change})
    net.settle()
    net.advance(1000)
    state = ctl.request_state(ident)
    assert (state.state, state.message) == ("done", None)


def _group_runs(net: SimNet) -> bool:
    return {r for r, _, _ in net.running()} >= {"d1", "d2"}


def test_a_ticket_granted_and_revoked_starts_and_stops_its_resources(running: SimNet) -> None:
    commit(running, "node2", "rsc_ticket g-needs-a site-a: g loss-policy=stop\n", mode="update")
    running.advance(1000)
    assert not _group_runs(running)  # never granted
    _ticket(running, "grant")
    assert dc_of(running).cib.status.ticket("site-a") == TicketState(
        "site-a", granted=True, last_granted=dc_of(running).cib.status.ticket("site-a")
        .last_granted)
    assert _group_runs(running)
    _ticket(running, "standby")
    assert not _group_runs(running)
    _ticket(running, "activate")
    assert _group_runs(running)
    _ticket(running, "revoke")
    assert not _group_runs(running)
    assert_steady(running)
    assert_replicas_agree(running)
