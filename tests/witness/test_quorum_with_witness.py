"""Membership + witness client + witness in virtual time: two nodes never both quorate
apart from each other, a lone node keeps or loses quorum by the witness's vote."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from harm.membership.authkeys import AuthKeys
from harm.membership.fakenet import FakeNet
from harm.membership.machine import Params
from harm.membership.packet import MessageType, Packet, encode
from harm.witness.client import ClientParams
from harm.witness.lease import Arbiter, Ask
from harm.witness.service import WitnessCore
from harm.witness.wire import decode_answer, encode_ask

KEYS = AuthKeys.single(b"secret-for-tests")
DEAD, KEEP = 2000, 200
WAIT, DEFER = 400, 800


def params(node: str) -> Params:
    return Params(cluster="c", node=node, votes=(("A", 1), ("B", 1)), nics=("eth0", "eth1"),
                  generation=7, keepalive_ms=KEEP, deadtime_ms=DEAD, warntime_ms=1000,
                  initdead_ms=4000)


def client(p: Params) -> ClientParams:
    return ClientParams(cluster="c", node=p.node, generation=p.generation, lease_ms=DEAD,
                        margin_ms=DEAD, renew_ms=KEEP, wait_ms=WAIT, defer_ms=DEFER)


@pytest.fixture
def net() -> Iterator[FakeNet]:
    core = WitnessCore("c", KEYS, Arbiter())
    fake = FakeNet([params("A"), params("B")], KEYS, tick_ms=20, witness=core,
                   witness_params=client)
    fake.machines["A"].witness_priority(True)  # A runs the primary
    fake.run_until(lambda: all(fake.machines[n].view.quorate for n in "AB")
                   and len(fake.members("A")) == 2, 10_000)
    yield fake


def quorate(net: FakeNet, node: str) -> bool:
    return node in net.running and net.machines[node].view.quorate


def watch(net: FakeNet, ms: int, step: int = 10) -> list[tuple[int, bool, bool]]:
    """Run ``ms``, checking at every step that no two nodes that do not see each other
    are both quorate (each would coordinate its own partition); the (time, A quorate,
    B quorate) samples. While only one side has seen the split (the other still counts
    both nodes' votes) both may be quorate, for at most the spread of the two detections
    plus the defer: checked too."""
    start = net.clock.monotonic_ms()
    samples = []
    one_sided_ms = 0
    for _ in range(ms // step):
        net.run(step)
        a, b = quorate(net, "A"), quorate(net, "B")
        now = net.clock.monotonic_ms() - start
        apart = "B" not in net.members("A") and "A" not in net.members("B")
        assert not (a and b and apart), f"both quorate apart at +{now}ms"
        one_sided = ("B" not in net.members("A")) != ("A" not in net.members("B"))
        if a and b and one_sided:
            one_sided_ms += step
        samples.append((now, a, b))
    assert one_sided_ms <= 2 * KEEP + DEFER, one_sided_ms
    return samples


def test_losing_the_witness_alone_changes_nothing(net: FakeNet) -> None:
    net.witness_cut |= {"A", "B"}
    samples = watch(net, 10_000)
    assert all(a and b for _, a, b in samples)


def test_split_the_side_with_the_primary_keeps_quorum(net: FakeNet) -> None:
    net.partition(["A"], ["B"])
    samples = watch(net, 8000)
    assert samples[-1][1:] == (True, False)
    # A never lost quorum; B lost it within deadtime + keepalive + defer + wait
    assert all(a for _, a, _ in samples)
    lost = next(t for t, _, b in samples if not b)
    assert lost <= DEAD + KEEP + DEFER + WAIT
    net.heal()
    watch(net, 3000)
    assert quorate(net, "A") and quorate(net, "B")


def test_a_primary_cut_from_everything_loses_quorum_and_the_other_side_takes_it(
        net: FakeNet) -> None:
    net.partition(["A"], ["B"])
    net.witness_cut.add("A")
    samples = watch(net, 10_000)
    lost = next(t for t, a, _ in samples if not a)
    assert lost <= DEAD + KEEP + WAIT + 50
    gained = next(t for t, _, b in samples if b and t > lost)
    assert samples[-1][1:] == (False, True)
    assert gained > lost


def test_a_crashed_node_s_peer_gets_the_vote(net: FakeNet) -> None:
    net.stop("A")
    samples = watch(net, 10_000)
    assert samples[-1][2]
    lost = [t for t, _, b in samples if not b]
    # B may be without quorum briefly (never longer than the defer and wait)
    assert len(lost) * 10 <= DEFER + WAIT + 100


def test_both_cut_from_the_witness_and_each_other_nobody_is_quorate(net: FakeNet) -> None:
    net.partition(["A"], ["B"])
    net.witness_cut |= {"A", "B"}
    samples = watch(net, 6000)
    assert samples[-1][1:] == (False, False)


def test_witness_drops_replays_bad_macs_and_answers_only_the_asker() -> None:
    core = WitnessCore("c", KEYS, Arbiter())
    data = encode_ask(KEYS, "c", 7, 1, Ask("A", frozenset({"A"}), 2000, 2000))
    reply, _ = core.handle(0, data)
    assert reply is not None
    answer = decode_answer(reply, KEYS, "c")
    assert (answer.node, answer.generation, answer.seq, answer.outcome.granted) == \
        ("A", 7, 1, True)
    assert core.handle(10, data) == (None, None)
    other = AuthKeys.single(b"another-cluster-key")
    assert core.handle(20, encode_ask(other, "c", 7, 2, Ask("A", frozenset(), 1, 1)))[0] is None
    junk = encode(Packet("c", "A", 7, 3, MessageType.WITNESS_ASK, b"[1"), KEYS.signing)
    assert core.handle(30, junk)[0] is None
    assert core.dropped == {"replay": 1, "bad-mac": 1, "malformed": 1}
