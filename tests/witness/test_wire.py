"""The witness's datagrams: signed, and held to the bounds every datagram's JSON is held to."""

from __future__ import annotations

import pytest

from harm.membership.authkeys import AuthKeys
from harm.membership.packet import MessageType, Packet, encode
from harm.witness.lease import Ask
from harm.witness.wire import WireError, decode_ask, encode_ask

KEYS = AuthKeys.single(b"secret-for-tests")


def signed_ask(payload: bytes) -> bytes:
    return encode(Packet("c", "a", 1, 1, MessageType.WITNESS_ASK, payload), KEYS.signing)


def test_an_ask_round_trips() -> None:
    data = encode_ask(KEYS, "c", 1, 7, Ask("a", frozenset({"a", "b"}), 2000, 2000))
    ask = decode_ask(data, KEYS, "c")
    assert (ask.generation, ask.seq) == (1, 7)
    assert ask.ask.members == frozenset({"a", "b"}) and ask.ask.lease_ms == 2000


@pytest.mark.parametrize("payload", [
    b"[" * 5000 + b"]" * 5000,  # deep enough to exhaust a recursive parser
    b'{"m":["a"],"l":NaN,"g":1}',
    b'{"m":["\\ud800"],"l":1,"g":1}',
    b"not json",
])
def test_a_signed_but_malformed_ask_is_refused_as_malformed(payload: bytes) -> None:
    with pytest.raises(WireError, match="malformed"):
        decode_ask(signed_ask(payload), KEYS, "c")
