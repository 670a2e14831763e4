"""Node keys: a packet proves its sender; one node's stolen files cannot sign as another."""

from __future__ import annotations

from dataclasses import replace
from types import MappingProxyType

import pytest

from harm.errors import SettingsError
from harm.membership.authkeys import AuthKeys, parse, render
from harm.membership.events import Delivered
from harm.membership.fakenet import FakeNet
from harm.membership.nodekeys import generate, key_text, lines_for, main
from harm.membership.packet import DropReason, MessageType, Packet, PacketError, decode, encode
from tests.membership.test_machine import ABC, converged, params

SHARED = AuthKeys.single(b"the cluster key")
PAIRS = {n: generate() for n in ABC}
PUBLIC = MappingProxyType({n: pair[1] for n, pair in PAIRS.items()})


def keys_of(node: str) -> AuthKeys:
    """What ``node``'s authkeys holds: the cluster key, every public key, its private key."""
    return replace(SHARED, node_keys=PUBLIC, private=PAIRS[node][0])


def test_authkeys_with_node_keys_parses_renders_and_checks() -> None:
    shared, own = lines_for(["a", "b"])
    text = "auth 1\n1 sha256 secret\n" + "\n".join(shared) + "\n" + own["a"] + "\n"
    keys = parse(text)
    assert set(keys.node_keys) == {"a", "b"} and keys.private is not None
    assert parse(render(keys)) == keys
    keys.check_node("a", ("a", "b"))
    with pytest.raises(SettingsError, match="not the key of node b"):
        keys.check_node("b", ("a", "b"))
    with pytest.raises(SettingsError, match="missing: c"):
        keys.check_node("a", ("a", "b", "c"))
    with pytest.raises(SettingsError, match="missing: private"):
        parse("auth 1\n1 sha256 secret\n" + shared[0] + "\n").check_node("a", ("a",))
    for bad, reason in [("node a ed25519 !!!", "base64"), ("node a ed25519 AAAA", "32 bytes"),
                        ("node a rsa AAAA", "expected"), (shared[0] + "\n" + shared[0], "two"),
                        (own["a"] + "\n" + own["b"], "second private")]:
        with pytest.raises(SettingsError, match=reason):
            parse(f"auth 1\n1 sha256 secret\n{bad}\n")
    SHARED.check_node("a", ("a", "b"))  # no node keys: nothing to check


def test_node_keys_generator_prints_every_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["a", "b"]) == 0
    out = capsys.readouterr().out
    assert out.count("\nnode ") == 2 and out.count("private ed25519 ") == 2


PACKET = Packet("lab", "a", 7, 1, MessageType.HEARTBEAT, b'{"b":1}')


def test_a_signed_packet_round_trips_and_proves_its_sender() -> None:
    data = encode(PACKET, SHARED.signing, PAIRS["a"][0])
    assert decode(data, keys_of("b"), "lab") == replace(PACKET, key_id=1)
    assert decode(data, SHARED, "lab").sender == "a"  # without node keys: the MAC suffices
    for private, reason in [(None, DropReason.UNSIGNED),
                            (PAIRS["c"][0], DropReason.BAD_SIGNATURE)]:
        with pytest.raises(PacketError) as caught:
            decode(encode(PACKET, SHARED.signing, private), keys_of("b"), "lab")
        assert caught.value.reason is reason
    stranger = replace(PACKET, sender="z")
    with pytest.raises(PacketError) as caught:
        decode(encode(stranger, SHARED.signing, PAIRS["c"][0]), keys_of("b"), "lab")
    assert caught.value.reason is DropReason.UNKNOWN_SENDER
    flipped = bytearray(data)
    flipped[7] = 3
    with pytest.raises(PacketError):
        decode(bytes(flipped), keys_of("b"), "lab")


def test_a_cluster_with_node_keys_runs_and_one_stolen_key_cannot_speak_for_another() -> None:
    net = FakeNet([params(n, ABC) for n in ABC], SHARED)
    for node in ABC:
        net.start(node, keys=keys_of(node))
    net.run_until(lambda: converged(net), limit_ms=2000)
    net.send("a", b"from a")
    net.run(300)
    assert [e.message.body for _, e in net.events["b"] if isinstance(e, Delivered)] == \
        [b"from a"]
    # c's authkeys is stolen: the thief signs as a (the DC), with everything c's file holds
    thief = keys_of("c")
    a = net.machines["a"]
    forged = Packet("lab", "a", a.params.generation, a._seq + 3, MessageType.DATA,
                    b"\x00" * 8 + b"\x00" + b"run this")
    net.inject("b", "eth0", encode(forged, thief.signing, thief.private))
    net.run(300)
    assert net.machines["b"].dropped[DropReason.BAD_SIGNATURE] == 1
    assert [e.message.body for _, e in net.events["b"] if isinstance(e, Delivered)] == \
        [b"from a"]
    assert key_text(PUBLIC["a"]) != key_text(PUBLIC["c"])
