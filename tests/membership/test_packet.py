"""The signed packet format, the replay window, and a fuzz test of the decoder."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harm.membership.authkeys import AuthKeys, Key, parse
from harm.membership.packet import (
    DropReason,
    MessageType,
    Packet,
    PacketError,
    decode,
    encode,
)
from harm.membership.replay import ReplayGuard, Verdict

KEYS = AuthKeys.single(b"s3cret")
PACKET = Packet("lab", "node-a", 5, 42, MessageType.HEARTBEAT, b'{"b":1,"a":{}}')


def test_round_trip_keeps_every_field() -> None:
    got = decode(encode(PACKET, KEYS.signing), KEYS, "lab")
    assert got == Packet("lab", "node-a", 5, 42, MessageType.HEARTBEAT, PACKET.payload, 1)


@pytest.mark.parametrize(
    ("mangle", "reason"),
    [
        (lambda b: b[:10], DropReason.TRUNCATED),
        (lambda b: b[:-1], DropReason.TRUNCATED),
        (lambda b: b + b"x", DropReason.MALFORMED),
        (lambda b: b"XX" + b[2:], DropReason.GARBAGE),
        (lambda b: b[:2] + b"\x09" + b[3:], DropReason.BAD_VERSION),
        (lambda b: b[:3] + b"\x07" + b[4:], DropReason.UNKNOWN_KEY),
        (lambda b: b[:-1] + bytes([b[-1] ^ 1]), DropReason.BAD_MAC),
        (lambda b: b[:20] + bytes([b[20] ^ 1]) + b[21:], DropReason.BAD_MAC),
    ],
)
def test_damaged_packets_are_refused_with_a_reason(mangle: object, reason: DropReason) -> None:
    data = encode(PACKET, KEYS.signing)
    with pytest.raises(PacketError) as caught:
        decode(mangle(data), KEYS, "lab")  # type: ignore[operator]
    assert caught.value.reason is reason


def test_wrong_key_and_wrong_cluster() -> None:
    other = AuthKeys.single(b"not the secret")
    with pytest.raises(PacketError) as caught:
        decode(encode(PACKET, other.signing), KEYS, "lab")
    assert caught.value.reason is DropReason.BAD_MAC
    with pytest.raises(PacketError) as caught:
        decode(encode(PACKET, KEYS.signing), KEYS, "other")
    assert caught.value.reason is DropReason.WRONG_CLUSTER


def test_key_rotation_accepts_every_listed_key_and_signs_with_the_active_one() -> None:
    old_and_new = parse("auth 2\n1 sha1 oldsecret\n2 sha256 newsecret\n")
    assert old_and_new.signing.key_id == 2
    only_old = parse("auth 1\n1 sha1 oldsecret\n")
    data = encode(PACKET, only_old.signing)
    assert decode(data, old_and_new, "lab").key_id == 1
    with pytest.raises(PacketError) as caught:
        decode(encode(PACKET, old_and_new.signing), only_old, "lab")
    assert caught.value.reason is DropReason.UNKNOWN_KEY


@settings(max_examples=400, deadline=None)
@given(st.binary(max_size=300))
def test_random_bytes_only_ever_raise_packet_error(data: bytes) -> None:
    with pytest.raises(PacketError):
        decode(data, KEYS, "lab")


@settings(max_examples=400, deadline=None)
@given(st.integers(0, 200), st.integers(0, 255), st.binary(min_size=1, max_size=8))
def test_any_mutation_of_a_signed_packet_is_refused(pos: int, xor: int, extra: bytes) -> None:
    data = bytearray(encode(PACKET, KEYS.signing))
    pos %= len(data)
    data[pos] ^= xor or 1
    for candidate in (bytes(data), bytes(data) + extra, bytes(data[:pos])):
        with pytest.raises(PacketError):
            decode(candidate, KEYS, "lab")


@settings(max_examples=200, deadline=None)
@given(
    st.builds(
        Packet,
        cluster=st.just("c"),
        sender=st.text(min_size=1, max_size=40),
        generation=st.integers(0, 2**64 - 1),
        seq=st.integers(0, 2**64 - 1),
        type=st.sampled_from(list(MessageType)),
        payload=st.binary(max_size=500),
        key_id=st.just(3),
    ),
    st.sampled_from(["sha1", "sha256", "sha384", "sha512"]),
)
def test_round_trip_for_any_content(packet: Packet, algo: str) -> None:
    keys = AuthKeys.single(b"k", algorithm=algo, key_id=3)
    assert decode(encode(packet, keys.signing), keys, "c") == packet


def test_replay_window() -> None:
    guard = ReplayGuard(window=8)
    assert guard.check("a", 1, 1, "eth0") is Verdict.FRESH
    assert guard.check("a", 1, 1, "eth1") is Verdict.DUPLICATE
    for reason, args in [
        (DropReason.REPLAY, (1, 1, "eth0")),
        (DropReason.REPLAY, (1, 1, "eth1")),
    ]:
        with pytest.raises(PacketError) as caught:
            guard.check("a", *args)
        assert caught.value.reason is reason
    assert guard.check("a", 1, 20, "eth0") is Verdict.FRESH
    with pytest.raises(PacketError) as caught:
        guard.check("a", 1, 12, "eth0")
    assert caught.value.reason is DropReason.TOO_OLD
    assert guard.check("a", 1, 15, "eth0") is Verdict.FRESH  # late but inside the window
    assert guard.check("a", 2, 1, "eth0") is Verdict.RESTART
    with pytest.raises(PacketError) as caught:
        guard.check("a", 1, 21, "eth0")
    assert caught.value.reason is DropReason.STALE_GENERATION


def test_key_digest_sizes() -> None:
    assert Key(1, "sha1", b"x").digest_size == 20
    assert len(encode(PACKET, Key(1, "sha512", b"x"))) == len(encode(PACKET, KEYS.signing)) + 32
