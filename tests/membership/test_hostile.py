"""Signed but hostile packets, replays after a restart, generations that go back.

Every packet here carries a valid MAC (it is signed with the cluster key), so it passes
authentication: what is tested is what the state machine does with its content.
"""

from __future__ import annotations

import time

import pytest

from harm.membership.events import Delivered, Lost, NodeDead
from harm.membership.fakenet import FakeNet
from harm.membership.heartbeat import decode_heartbeat
from harm.membership.machine import Membership
from harm.membership.packet import DropReason, MessageType, Packet, PacketError, encode
from harm.membership.stream import MAX_BUFFERED, Inbox, encode_data
from tests.membership.test_machine import ABC, DEADTIME, KEYS, converged, up


def forge(net: FakeNet, sender: str, payload: bytes, *, seq_ahead: int = 5,
          kind: MessageType = MessageType.HEARTBEAT, seq: int | None = None,
          generation: int | None = None) -> bytes:
    """A packet as ``sender`` would sign it, numbered just after its latest one."""
    machine = net.machines[sender]
    number = machine._seq + seq_ahead if seq is None else seq
    gen = machine.params.generation if generation is None else generation
    return encode(Packet("lab", sender, gen, number, kind, payload), KEYS.signing)


def dropped(machine: Membership, reason: DropReason) -> int:
    return machine.dropped[reason]


@pytest.mark.parametrize("payload", [
    b'{"b":Infinity,"a":{}}', b'{"b":-Infinity,"a":{}}', b'{"b":NaN,"a":{}}',
    b'{"b":1e999,"a":{}}', b'{"b":"3","a":{}}', b'{"b":true,"a":{}}', b'{"b":[1],"a":{}}',
    b'{"b":18446744073709551616,"a":{}}', b'{"b":0,"a":{}}', b'{"b":-5,"a":{}}',
    b'{"b":1,"a":{"a":[1e999,1]}}', b'{"b":1,"a":{"a":[Infinity,1]}}',
    b'{"b":1,"a":{"a":"xy"}}', b'{"b":1,"a":[]}', b'{"b":1,"a":{},"n":Infinity}',
    b'{"b":1,"a":{},"e":{"a":1.5}}', b"[" * 3000 + b"]" * 3000, b'"\\ud800"', b"\xff",
])
def test_malformed_heartbeats_are_dropped_and_counted(payload: bytes) -> None:
    net = up()
    a = net.machines["a"]
    before = dropped(a, DropReason.MALFORMED)
    a.receive(net.clock.monotonic_ms(), "eth0", forge(net, "c", payload))
    assert dropped(a, DropReason.MALFORMED) == before + 1
    net.run(500)
    assert converged(net)


def test_a_gap_is_a_range_whatever_its_size() -> None:
    inbox = Inbox("c", 1, expected=1)
    inbox.on_data(5, None, b"held")
    start = time.monotonic()
    messages, gap = inbox.on_base(4_000_000)
    assert time.monotonic() - start < 0.01
    assert gap is not None and (gap.first, gap.last) == (1, 3_999_999)
    assert [m.number for m in messages] == [5] and inbox.expected == 4_000_000
    _, gap = Inbox("c", 1, expected=10).on_base(2**62)
    assert gap is not None and gap.last == 2**62 - 1


@pytest.mark.parametrize("base", [4_000_000, 2**62, 2**63 - 1, 2**64, 2**64 + 5])
def test_absurd_base_jumps_are_refused(base: int) -> None:
    net = up()
    a = net.machines["a"]
    step = a.receive(net.clock.monotonic_ms(), "eth0",
                     forge(net, "c", b'{"b":%d,"a":{}}' % base))
    assert not [e for e in step.events if isinstance(e, Lost)]
    assert dropped(a, DropReason.TOO_FAR) + dropped(a, DropReason.MALFORMED) == 1
    net.send("c", b"still flowing")
    net.run(500)
    assert [e.message.body for _, e in net.events["a"] if isinstance(e, Delivered)] == \
        [b"still flowing"]


def test_a_forged_jump_within_the_bounds_heals_with_a_resync() -> None:
    net = up()
    a = net.machines["a"]
    inbox = a._peers["c"].inbox
    assert inbox is not None and inbox.expected is not None
    ahead = inbox.expected + 8
    a.receive(net.clock.monotonic_ms(), "eth0",
              forge(net, "c", b'{"b":%d,"x":%d,"a":{}}' % (ahead, ahead), seq_ahead=10))
    assert inbox.expected == ahead  # taken: within what ten packets allow
    for i in range(3):
        net.send("c", b"m%d" % i)
    net.run(4000)  # c's own heartbeats overtake the forged one: the stream is reset
    assert inbox.expected <= net.machines["c"]._outbox.next
    assert any(isinstance(e, Lost) and e.gap.sender == "c" for _, e in net.events["a"])
    net.send("c", b"after")
    net.run(500)
    got = [e.message.body for _, e in net.events["a"] if isinstance(e, Delivered)]
    assert got[-1:] == [b"after"]


def test_an_absurd_sequence_jump_is_refused_and_the_sender_stays_heard() -> None:
    net = up()
    a = net.machines["a"]
    a.receive(net.clock.monotonic_ms(), "eth0",
              forge(net, "c", b'{"b":1,"a":{}}', seq=2**62))
    assert dropped(a, DropReason.TOO_FAR) == 1
    net.run(DEADTIME * 2)  # the genuine packets that follow are not "too old"
    assert "c" in net.members("a")
    assert dropped(a, DropReason.TOO_OLD) == 0


def test_out_of_order_messages_held_per_sender_are_bounded() -> None:
    net = up()
    a = net.machines["a"]
    inbox = a._peers["c"].inbox
    assert inbox is not None and inbox.expected is not None
    first = inbox.expected
    now = net.clock.monotonic_ms()
    for n in range(1, 1001):  # message ``first`` never comes: everything after waits
        data = encode_data(first + n, None, b"x" * 60_000)
        a.receive(now, "eth0", forge(net, "c", data, kind=MessageType.DATA, seq_ahead=n))
    assert len(inbox.buffer) <= MAX_BUFFERED
    assert inbox.held_bytes <= 4 << 20


def test_a_full_buffer_still_completes_when_the_missing_message_comes() -> None:
    inbox = Inbox("c", 1, expected=1)
    for n in range(2, 2 + 3 * MAX_BUFFERED):
        inbox.on_data(n, None, b"m%d" % n)
    assert len(inbox.buffer) <= MAX_BUFFERED
    got = inbox.on_data(1, None, b"m1")
    assert [m.number for m in got] == list(range(1, 2 + len(got) - 1))
    assert len(got) >= MAX_BUFFERED  # what was held is delivered in order
    with pytest.raises(PacketError) as caught:
        inbox.on_data(inbox.expected + 10_000, None, b"far")  # type: ignore[operator]
    assert caught.value.reason is DropReason.TOO_FAR


def test_a_restarted_receiver_does_not_take_replayed_traffic_for_a_live_node() -> None:
    net = up()
    captured: list[bytes] = []
    net.taps.append(lambda node, nic, data: captured.append(data) if node == "c" else None)
    net.send("c", b"old message")
    net.run(1000)
    net.stop("c")
    net.start("a")  # a restarts: its replay windows are gone
    net.run(DEADTIME + 500)
    assert "c" not in net.members("a")
    deliveries = len([e for _, e in net.events["a"] if isinstance(e, Delivered)])
    for _ in range(3):  # the capture, over and over, during more than a deadtime
        for data in captured:
            net.inject("a", "eth0", data)
        net.run(DEADTIME // 2)
    assert "c" not in net.members("a")
    assert len([e for _, e in net.events["a"] if isinstance(e, Delivered)]) == deliveries
    assert net.machines["a"].dropped[DropReason.UNCONFIRMED] >= len(captured)


def test_replays_below_the_confirming_packet_are_refused_after_a_restart() -> None:
    net = up()
    captured: list[bytes] = []
    net.taps.append(lambda node, nic, data: captured.append(data) if node == "c" else None)
    net.run(600)
    net.start("a")
    net.run(600)  # a confirms c's (same) life again
    assert "c" in net.members("a")
    net.stop("c")
    for _ in range(4):
        for data in captured:
            net.inject("a", "eth0", data)
        net.run(DEADTIME // 2)
    assert "c" not in net.members("a")


def test_a_node_whose_generation_went_back_is_taken_again_after_a_silence() -> None:
    net = up()
    net.start("c", generation=3)  # state directory lost and the clock behind: 3 < 7
    took = net.run_until(lambda: converged(net), limit_ms=DEADTIME * 3)
    assert took <= DEADTIME + 1000
    assert any(isinstance(e, NodeDead) and e.node == "c" for _, e in net.events["a"])
    net.send("c", b"after")
    net.run(500)
    assert [e.message.body for _, e in net.events["a"] if isinstance(e, Delivered)] == \
        [b"after"]


def test_a_restart_is_confirmed_within_a_few_ticks() -> None:
    net = up()
    net.start("b")
    took = net.run_until(
        lambda: net.machines["a"]._peers["b"].generation == net.machines["b"].params.generation
        and converged(net), limit_ms=2000)
    assert took <= 300


def test_heartbeats_echo_the_nonce_of_every_peer() -> None:
    net = up()
    sent: list[bytes] = []
    net.taps.append(lambda node, nic, data: sent.append(data) if node == "a" else None)
    net.run(300)
    from harm.membership.packet import decode

    beats = [decode(d, KEYS, "lab") for d in sent]
    beat = decode_heartbeat(next(p.payload for p in beats if p.type is MessageType.HEARTBEAT))
    assert beat.nonce == net.machines["a"].params.nonce
    assert beat.echoes == {n: net.machines[n].params.nonce for n in ABC if n != "a"}


def test_a_restart_that_kept_the_generation_is_taken_by_its_new_nonce() -> None:
    net = up()
    same = net.machines["c"].params.generation
    net.start("c", generation=same)  # no state directory, no clock: the same number again
    took = net.run_until(
        lambda: converged(net) and net.machines["a"]._peers["c"].nonce ==
        net.machines["c"].params.nonce, limit_ms=DEADTIME * 3)
    assert took <= DEADTIME + 1000
    net.send("c", b"again")
    net.run(500)
    assert [e.message.body for _, e in net.events["a"] if isinstance(e, Delivered)] == \
        [b"again"]


def test_an_earlier_life_replayed_after_the_node_died_is_not_taken_again() -> None:
    net = up()
    captured: list[bytes] = []
    net.taps.append(lambda node, nic, data: captured.append(data) if node == "c" else None)
    net.run(1000)  # c's first life, heard (and its heartbeats echo a's nonce)
    first_life = list(captured)
    net.start("c")  # a newer life
    net.run(1000)
    net.stop("c")
    net.run(DEADTIME + 500)
    assert "c" not in net.members("a")
    for _ in range(3):
        for data in first_life:
            net.inject("a", "eth0", data)
        net.run(DEADTIME // 2)
    assert "c" not in net.members("a")
    assert net.machines["a"].dropped[DropReason.STALE_GENERATION] > 0
