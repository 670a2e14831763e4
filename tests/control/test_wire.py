"""Controller message framing: JSON + zlib, split into chunks that fit one datagram.

The decoder is fed exactly what the membership layer delivers. It must give back every
whole message, whatever its size and however senders interleave, and drop (and count)
anything that is not a complete, well-formed message without ever raising.
"""

from __future__ import annotations

import json
import random
import zlib
from typing import Any

import pytest

from harm.control.wire import CHUNK, HEAD, MAGIC, MAX_MESSAGE, Decoder, Encoder, Envelope


def feed_all(decoder: Decoder, sender: str, chunks: list[bytes]) -> list[Envelope]:
    out = []
    for chunk in chunks:
        envelope = decoder.feed(sender, chunk)
        if envelope is not None:
            out.append(envelope)
    return out


def big_payload(size: int, seed: int = 1) -> dict[str, Any]:
    """A payload whose compressed form is about ``size`` bytes (random text barely
    compresses)."""
    rng = random.Random(seed)
    text = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(size))
    return {"blob": text, "n": size}


def frame(transfer: int, index: int, count: int, piece: bytes) -> bytes:
    return MAGIC + HEAD.pack(transfer, index, count) + piece


def test_small_message_round_trip() -> None:
    chunks = Encoder().encode("hello", {"members": ["node1", "node2"], "dc": None})
    assert len(chunks) == 1
    decoder = Decoder()
    envelope = decoder.feed("node1", chunks[0])
    assert envelope == Envelope("node1", "hello", {"members": ["node1", "node2"], "dc": None})
    assert not decoder.dropped


def test_message_larger_than_one_chunk_round_trip() -> None:
    payload = big_payload(3 * CHUNK)
    chunks = Encoder().encode("cib", payload)
    assert len(chunks) >= 3
    assert all(len(c) <= len(MAGIC) + HEAD.size + CHUNK for c in chunks)
    decoder = Decoder()
    assert [decoder.feed("node2", c) for c in chunks[:-1]] == [None] * (len(chunks) - 1)
    envelope = decoder.feed("node2", chunks[-1])
    assert envelope is not None
    assert envelope.kind == "cib" and envelope.payload == payload
    assert not decoder.dropped


def test_transfers_are_numbered_per_encoder() -> None:
    encoder = Encoder()
    first = encoder.encode("a", {})[0]
    second = encoder.encode("b", {})[0]
    assert HEAD.unpack_from(first, len(MAGIC))[0] + 1 == HEAD.unpack_from(second, len(MAGIC))[0]


def test_interleaved_senders_each_reassembled() -> None:
    one = Encoder().encode("cib", big_payload(2 * CHUNK + 100, seed=1))
    two = Encoder().encode("cib", big_payload(2 * CHUNK + 500, seed=2))
    assert len(one) > 1 and len(two) > 1
    decoder = Decoder()
    got: list[Envelope] = []
    for a, b in zip(one, two, strict=True):
        for sender, chunk in (("node1", a), ("node2", b)):
            envelope = decoder.feed(sender, chunk)
            if envelope is not None:
                got.append(envelope)
    assert sorted(e.sender for e in got) == ["node1", "node2"]
    by_sender = {e.sender: e.payload for e in got}
    assert by_sender["node1"] == big_payload(2 * CHUNK + 100, seed=1)
    assert by_sender["node2"] == big_payload(2 * CHUNK + 500, seed=2)
    assert not decoder.dropped


def test_many_messages_in_sequence_from_one_sender() -> None:
    encoder = Encoder()
    decoder = Decoder()
    sent = [{"i": i, **(big_payload(CHUNK + 10, seed=i) if i % 3 == 0 else {})}
            for i in range(7)]
    got = []
    for payload in sent:
        got += feed_all(decoder, "node3", encoder.encode("state", payload))
    assert [e.payload for e in got] == sent


def test_out_of_order_chunk_drops_the_message() -> None:
    chunks = Encoder().encode("cib", big_payload(3 * CHUNK))
    assert len(chunks) >= 3
    decoder = Decoder()
    assert decoder.feed("node1", chunks[0]) is None
    assert decoder.feed("node1", chunks[2]) is None  # chunk 1 skipped
    assert decoder.dropped["chunk out of order"] == 1
    # the rest of that message can never complete
    assert feed_all(decoder, "node1", chunks[3:]) == []
    # and the next message decodes normally
    assert feed_all(decoder, "node1", Encoder().encode("x", {"a": 1}))[0].payload == {"a": 1}


def test_missing_first_chunk_drops_the_rest() -> None:
    chunks = Encoder().encode("cib", big_payload(2 * CHUNK + 1))
    decoder = Decoder()
    assert feed_all(decoder, "node1", chunks[1:]) == []
    assert decoder.dropped["chunk out of order"] >= 1


def test_new_message_replaces_an_unfinished_one() -> None:
    encoder = Encoder()
    first = encoder.encode("cib", big_payload(2 * CHUNK + 1))
    second = encoder.encode("hello", {"dc": "node1"})
    decoder = Decoder()
    decoder.feed("node1", first[0])
    got = feed_all(decoder, "node1", second)
    assert [e.kind for e in got] == ["hello"]
    assert decoder.dropped["unfinished message replaced"] == 1


def test_chunk_of_another_transfer_drops_the_partial() -> None:
    one = Encoder(transfer=10).encode("cib", big_payload(2 * CHUNK + 1))
    two = Encoder(transfer=20).encode("cib", big_payload(2 * CHUNK + 1))
    decoder = Decoder()
    decoder.feed("node1", one[0])
    assert decoder.feed("node1", two[1]) is None
    assert decoder.dropped["chunk out of order"] == 1


def test_inconsistent_chunk_count_is_dropped() -> None:
    decoder = Decoder()
    data = zlib.compress(json.dumps({"kind": "k"}).encode())
    assert decoder.feed("node1", frame(1, 0, 3, data[:5])) is None
    assert decoder.feed("node1", frame(1, 1, 2, data[5:])) is None
    assert decoder.dropped["bad chunk count"] == 1
    assert decoder.feed("node1", frame(2, 0, 0, data)) is None
    assert decoder.dropped["bad chunk count"] == 2


def test_gap_drops_a_partial_message() -> None:
    chunks = Encoder().encode("cib", big_payload(2 * CHUNK + 1))
    decoder = Decoder()
    decoder.feed("node1", chunks[0])
    decoder.gap("node1")
    assert decoder.dropped["unfinished message lost"] == 1
    assert feed_all(decoder, "node1", chunks[1:]) == []
    decoder.gap("node2")  # nothing partial from node2: nothing counted
    assert decoder.dropped["unfinished message lost"] == 1


def test_gap_of_one_sender_leaves_the_others_alone() -> None:
    one = Encoder().encode("cib", big_payload(2 * CHUNK + 1, seed=3))
    two = Encoder().encode("cib", big_payload(2 * CHUNK + 1, seed=4))
    decoder = Decoder()
    decoder.feed("node1", one[0])
    decoder.feed("node2", two[0])
    decoder.gap("node1")
    got = feed_all(decoder, "node2", two[1:])
    assert [e.sender for e in got] == ["node2"]


@pytest.mark.parametrize("body", [
    b"", b"hc", b"xyz" + b"\0" * 20, MAGIC + b"\0\0", random.Random(7).randbytes(64),
])
def test_not_a_controller_message(body: bytes) -> None:
    decoder = Decoder()
    assert decoder.feed("node1", body) is None
    assert decoder.dropped["not a controller message"] == 1


@pytest.mark.parametrize("data, reason", [
    (b"not zlib at all", "undecodable"),
    (zlib.compress(b"{not json"), "undecodable"),
    (zlib.compress(b"\xff\xfe"), "undecodable"),
    (zlib.compress(b"[1, 2, 3]"), "no kind"),
    (zlib.compress(b'{"kind": 7}'), "no kind"),
    (zlib.compress(b'{"payload": 1}'), "no kind"),
])
def test_garbage_body_is_dropped_and_counted(data: bytes, reason: str) -> None:
    decoder = Decoder()
    assert decoder.feed("node1", frame(1, 0, 1, data)) is None
    assert decoder.dropped[reason] == 1
    assert sum(decoder.dropped.values()) == 1


def test_zip_bomb_is_dropped() -> None:
    packer = zlib.compressobj(9)
    parts = [packer.compress(b'{"kind":"x","pad":"')]
    block = b"a" * (1 << 20)
    parts += [packer.compress(block) for _ in range(MAX_MESSAGE // len(block) + 1)]
    parts.append(packer.compress(b'"}') + packer.flush())
    bomb = b"".join(parts)
    assert len(bomb) < MAX_MESSAGE // 100  # small on the wire
    pieces = [bomb[i:i + CHUNK] for i in range(0, len(bomb), CHUNK)]
    decoder = Decoder()
    results = [decoder.feed("node1", frame(5, n, len(pieces), p))
               for n, p in enumerate(pieces)]
    assert results == [None] * len(pieces)
    assert decoder.dropped["too large"] == 1


def test_a_message_just_within_the_limit_decodes() -> None:
    payload = {"pad": "b" * (1 << 20)}
    decoder = Decoder()
    got = feed_all(decoder, "node1", Encoder().encode("big", payload))
    assert [e.payload for e in got] == [payload]


def test_drop_then_recover_per_sender() -> None:
    """After garbage, the same sender's next message still decodes."""
    decoder = Decoder()
    decoder.feed("node1", frame(1, 0, 1, b"junk"))
    got = feed_all(decoder, "node1", Encoder().encode("hello", {"x": [1, 2]}))
    assert got == [Envelope("node1", "hello", {"x": [1, 2]})]


def test_a_bomb_is_dropped_quickly_at_the_cap() -> None:
    """98 kB that would inflate to 100 MB: dropped after inflating at most MAX_MESSAGE."""
    import time

    packer = zlib.compressobj(9)
    block = b"a" * (1 << 20)
    bomb = packer.compress(b'{"kind":"x","pad":"') + b"".join(
        packer.compress(block) for _ in range(100)) + packer.flush()
    pieces = [bomb[i:i + CHUNK] for i in range(0, len(bomb), CHUNK)]
    decoder = Decoder()
    start = time.monotonic()
    for n, p in enumerate(pieces):
        decoder.feed("node1", frame(5, n, len(pieces), p))
    assert time.monotonic() - start < 0.5
    assert decoder.dropped["too large"] == 1
    assert not decoder._partial


def test_partial_messages_are_bounded_in_chunks_and_chunk_size() -> None:
    decoder = Decoder()
    assert decoder.feed("node1", frame(1, 0, 65_535, b"x")) is None
    assert decoder.dropped["too large"] == 1 and not decoder._partial
    assert decoder.feed("node1", frame(2, 0, 2, b"x" * (CHUNK + 1))) is None
    assert decoder.dropped["too large"] == 2 and not decoder._partial
    with pytest.raises(ValueError, match="too large"):
        Encoder().encode("x", {"pad": "x" * MAX_MESSAGE})


@pytest.mark.parametrize("raw", [
    b'{"kind":"x","v":' + b"[" * 3000 + b"]" * 3000 + b"}",
    b'{"kind":"x","v":' + b"[" * 100 + b"]" * 100 + b"}",
    b'{"kind":"x","v":"\\ud800"}',
    b'{"kind":"x","v":NaN}',
    b'{"kind":"x","v":Infinity}',
    b'{"kind":"' + b"k" * 100 + b'"}',
])
def test_deep_or_non_text_json_is_dropped(raw: bytes) -> None:
    decoder = Decoder()
    assert decoder.feed("node1", frame(1, 0, 1, zlib.compress(raw))) is None
    assert sum(decoder.dropped.values()) == 1


def test_trailing_bytes_after_the_stream_are_refused() -> None:
    decoder = Decoder()
    body = zlib.compress(b'{"kind":"x"}') + b"more"
    assert decoder.feed("node1", frame(1, 0, 1, body)) is None
    assert decoder.dropped["undecodable"] == 1
