"""The membership state machine in virtual time on an in-memory network."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from harm.membership.authkeys import AuthKeys
from harm.membership.events import (
    Delivered,
    LateHeartbeat,
    LinkDead,
    Lost,
    NodeDead,
    NodeRestarted,
)
from harm.membership.fakenet import FakeNet
from harm.membership.machine import Params

KEYS = AuthKeys.single(b"correct horse battery staple")
KEEPALIVE = 200
DEADTIME = 2000


def params(node: str, nodes: list[str], nics: tuple[str, ...] = ("eth0", "eth1"),
           two_node: bool = False) -> Params:
    return Params(
        cluster="lab",
        node=node,
        votes=tuple((n, 1) for n in nodes),
        nics=nics,
        generation=7,
        keepalive_ms=KEEPALIVE,
        deadtime_ms=DEADTIME,
        warntime_ms=1000,
        initdead_ms=4000,
        two_node=two_node,
    )


def cluster(nodes: list[str], **kwargs: object) -> FakeNet:
    return FakeNet([params(n, nodes, **kwargs) for n in nodes], KEYS)  # type: ignore[arg-type]


def converged(net: FakeNet) -> bool:
    everyone = frozenset(net.running)
    return all(net.members(n) == everyone for n in net.running)


ABC = ["a", "b", "c"]


def up(nodes: list[str] = ABC, **kwargs: object) -> FakeNet:
    net = cluster(nodes, **kwargs)
    net.run_until(lambda: converged(net), limit_ms=2000)
    return net


def test_three_nodes_agree_quickly_and_are_quorate() -> None:
    net = cluster(ABC)
    took = net.run_until(lambda: converged(net), limit_ms=2000)
    assert took <= 300
    for node in ABC:
        view = net.machines[node].view
        assert view.members == {"a", "b", "c"} and view.quorate
    assert net.machines["a"].link_attributes() == {
        "b-eth0": "up", "b-eth1": "up", "c-eth0": "up", "c-eth1": "up",
    }


def test_cut_one_nic_marks_the_link_dead_but_keeps_the_member() -> None:
    net = up()
    net.cut("c", "eth1")
    took = net.run_until(
        lambda: net.machines["a"].link_attributes()["c-eth1"] == "dead", limit_ms=5000
    )
    assert DEADTIME <= took <= DEADTIME + 300
    net.run(3000)
    for observer in ("a", "b"):
        attrs = net.machines[observer].link_attributes()
        assert attrs["c-eth1"] == "dead" and attrs["c-eth0"] == "up"
        assert "c" in net.members(observer)
    assert not any(isinstance(e, NodeDead) for _, e in net.events["a"])
    net.mend("c", "eth1")
    net.run_until(lambda: net.machines["a"].link_attributes()["c-eth1"] == "up", limit_ms=1000)


def test_cut_every_nic_removes_the_node_within_deadtime() -> None:
    net = up()
    net.cut("c", "eth0")
    net.cut("c", "eth1")
    took = net.run_until(lambda: "c" not in net.members("a"), limit_ms=5000)
    assert DEADTIME <= took <= DEADTIME + 300
    assert net.members("c") == {"c"}
    assert not net.machines["c"].view.quorate
    assert net.machines["a"].view.quorate
    net.heal()
    net.run_until(lambda: converged(net), limit_ms=1000)


def test_partition_two_one_keeps_quorum_only_on_the_bigger_side() -> None:
    net = up()
    net.partition(["a", "b"], ["c"])
    net.run(DEADTIME + 500)
    assert net.members("a") == net.members("b") == {"a", "b"}
    assert net.machines["a"].view.quorate and net.machines["b"].view.quorate
    assert net.members("c") == {"c"} and not net.machines["c"].view.quorate
    net.heal()
    net.run_until(lambda: converged(net), limit_ms=1000)
    assert all(net.machines[n].view.quorate for n in ABC)


def test_even_split_has_no_quorum_anywhere() -> None:
    net = up(["a", "b", "c", "d"])
    net.partition(["a", "b"], ["c", "d"])
    net.run(DEADTIME + 500)
    assert not any(net.machines[n].view.quorate for n in "abcd")


def test_two_node_waits_for_both_then_survives_alone() -> None:
    net = cluster(["a", "b"], two_node=True)
    net.stop("b")
    net.run(5000)
    assert not net.machines["a"].view.quorate  # never saw b: wait_for_all
    net.start("b")
    net.run_until(lambda: converged(net), limit_ms=1000)
    assert net.machines["a"].view.quorate
    net.stop("b")
    net.run(DEADTIME + 500)
    assert net.members("a") == {"a"} and net.machines["a"].view.quorate


def test_never_heard_nodes_are_declared_dead_after_initdead() -> None:
    net = cluster(ABC)
    net.stop("c")
    net.run(4500)
    dead = [e for _, e in net.events["a"] if isinstance(e, NodeDead)]
    assert dead == [NodeDead("c", None)]


def test_restart_is_seen_and_old_generation_packets_are_refused() -> None:
    net = up()
    captured: list[bytes] = []
    net.taps.append(lambda node, nic, data: captured.append(data) if node == "c" else None)
    net.run(500)
    net.start("c")  # new generation
    net.run(500)
    assert any(isinstance(e, NodeRestarted) and e.node == "c" for _, e in net.events["a"])
    before = net.machines["a"].dropped.copy()
    for data in captured[-4:]:
        net.inject("a", "eth0", data)
    net.run(100)
    after = net.machines["a"].dropped
    assert sum(after.values()) - sum(before.values()) == 4
    assert "c" in net.members("a")


def test_late_heartbeats_are_warned_about() -> None:
    net = up()
    net.cut("c", "eth0")
    net.cut("c", "eth1")
    net.run(1500)  # beyond warntime, below deadtime
    net.heal()
    net.run(300)
    late = [e for _, e in net.events["a"] if isinstance(e, LateHeartbeat)]
    assert late and late[0].node == "c" and late[0].interval_ms > 1000
    assert "c" in net.members("a")


def test_messages_arrive_once_in_order_over_a_single_surviving_link() -> None:
    net = up()
    net.cut("b", "eth0")
    for i in range(20):
        net.send("a", f"m{i}".encode())
    net.send("a", b"only-for-c", dest="c")
    net.run(500)
    for node in ("b", "c"):
        got = [e.message.body for _, e in net.events[node] if isinstance(e, Delivered)]
        expected = [f"m{i}".encode() for i in range(20)]
        assert got == ([*expected, b"only-for-c"] if node == "c" else expected)
    assert net.machines["a"].status(0)["counters"]["pending"] == 0


def test_lost_datagrams_are_retransmitted_until_acknowledged() -> None:
    net = up()
    drop = {"count": 0}

    real_push = net._push

    def lossy(at: int, node: str, nic: str, data: bytes) -> None:
        drop["count"] += 1
        if drop["count"] % 3:  # two datagrams out of three vanish
            return
        real_push(at, node, nic, data)

    net._push = lossy  # type: ignore[method-assign]
    for i in range(10):
        net.send("b", f"x{i}".encode())
    net.run(3000)
    net._push = real_push  # type: ignore[method-assign]
    net.run(1000)
    for node in ("a", "c"):
        got = [e.message.body for _, e in net.events[node] if isinstance(e, Delivered)]
        assert got == [f"x{i}".encode() for i in range(10)]


def test_a_partitioned_sender_s_messages_are_reported_lost_after_the_merge() -> None:
    net = up()
    net.partition(["a", "b"], ["c"])
    net.run(DEADTIME + 500)
    net.send("a", b"while-c-was-away")
    net.run(500)
    net.heal()
    net.run(1000)
    net.send("a", b"after-merge")
    net.run(500)
    got = [e.message.body for _, e in net.events["c"] if isinstance(e, Delivered)]
    assert got == [b"after-merge"]
    lost = [e for _, e in net.events["c"] if isinstance(e, Lost)]
    assert lost and lost[0].gap.sender == "a"


def test_link_dead_events_name_node_and_nic() -> None:
    net = up()
    net.cut("b", "eth0")
    net.run(DEADTIME + 300)
    assert (LinkDead("b", "eth0") in [e for _, e in net.events["a"]])


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 2**32), st.integers(20, 80))
def test_random_loss_never_reorders_or_duplicates_and_heals_completely(
    seed: int, loss_percent: int
) -> None:
    rng = random.Random(seed)
    net = up()
    real_push = net._push

    def lossy(at: int, node: str, nic: str, data: bytes) -> None:
        if rng.randrange(100) >= loss_percent:
            real_push(at + rng.randrange(30), node, nic, data)  # and reordering

    net._push = lossy  # type: ignore[method-assign]
    sent = {"a": [], "b": []}  # type: dict[str, list[bytes]]
    for i in range(15):
        for sender in ("a", "b"):
            body = f"{sender}{i}".encode()
            sent[sender].append(body)
            net.send(sender, body)
        net.run(rng.randrange(5, 120))
    net._push = real_push  # type: ignore[method-assign]
    net.run(3000)
    for node in ABC:
        for sender in ("a", "b"):
            if sender == node:
                continue
            got = [e.message for _, e in net.events[node]
                   if isinstance(e, Delivered) and e.message.sender == sender]
            numbers = [m.number for m in got]
            assert numbers == sorted(set(numbers))
            lost = [e for _, e in net.events[node] if isinstance(e, Lost)]
            if not any(e.gap.sender == sender for e in lost):
                assert [m.body for m in got] == sent[sender]
