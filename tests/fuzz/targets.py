"""Fuzz targets: every decoder that reads bytes from a peer or a client.

Each target takes a seeded ``random.Random``, makes one input (random bytes, a mutation of a
valid sample, or JSON of the right shape with hostile values) and feeds it to the decoder.
A target returns normally when the decoder accepted or refused the input the documented way
(its own error type); anything else propagates and is counted as an uncaught error by the
runners (``tests/fuzz/test_fuzz.py`` briefly, ``bench/fuzz/run.py`` at length).
"""

from __future__ import annotations

import contextlib
import json
import random
import zlib
from collections.abc import Callable
from typing import Any

from harm.cib.cib import Cib
from harm.cib.config import AgentRef
from harm.cib.xml_export import cib_to_xml
from harm.control import messages
from harm.control.codec import request_from_json, request_to_json
from harm.control.wire import HEAD, MAGIC, Decoder, Encoder
from harm.errors import HarmError
from harm.executor.request import OpRequest
from harm.membership import boundedjson
from harm.membership.authkeys import AuthKeys
from harm.membership.heartbeat import decode_heartbeat
from harm.membership.machine import Membership, Params
from harm.membership.packet import MessageType, Packet, PacketError, decode, encode
from harm.membership.stream import decode_data, encode_data

KEYS = AuthKeys.single(b"fuzzing key")
XML = cib_to_xml(Cib())
OP = request_to_json(OpRequest(rsc="d1", agent=AgentRef("ocf", "harm", "Dummy"),
                               action="monitor", interval_ms=2000))

TOKENS = [b"Infinity", b"-Infinity", b"NaN", b"1e999", b"-1", b"0", b"18446744073709551616",
          b"true", b"null", b'"\\ud800"', b'"\\udfff"', b"[", b"{", b"]", b"}", b'""', b",",
          b":", b'"x"', b"[" * 200, b"\xff", b"\xed\xa0\x80", b"\x00", b"1.5"]
HOSTILE: list[Any] = [None, True, False, 0, -1, 1.5, 2**63, 2**64, -(2**63) - 1, "", "abc",
                      "\ud800", "a\x01b", "x" * 300, [], [1], {}, {"a": 1}, float("inf"),
                      float("nan"), [[[[[]]]]]]


def mutate(rng: random.Random, data: bytes) -> bytes:
    """A few random edits of ``data``: flips, cuts, insertions of interesting tokens."""
    buf = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        choice = rng.randrange(6)
        pos = rng.randrange(len(buf) + 1)
        if choice == 0 and buf:
            buf[min(pos, len(buf) - 1)] ^= 1 << rng.randrange(8)
        elif choice == 1:
            del buf[pos:pos + rng.randint(1, 16)]
        elif choice == 2:
            buf[pos:pos] = rng.choice(TOKENS)
        elif choice == 3:
            buf[pos:pos] = rng.randbytes(rng.randint(1, 8))
        elif choice == 4 and buf:
            buf[min(pos, len(buf) - 1)] = rng.randrange(256)
        else:
            del buf[pos:]
    return bytes(buf)


def hostile_value(rng: random.Random, depth: int = 0) -> Any:
    roll = rng.random()
    if depth < 4 and roll < 0.15:
        return [hostile_value(rng, depth + 1) for _ in range(rng.randint(0, 3))]
    if depth < 4 and roll < 0.3:
        return {rng.choice(["a", "rc", "op", "rsc", "\ud800", ""]): hostile_value(rng, depth + 1)
                for _ in range(rng.randint(0, 3))}
    return rng.choice(HOSTILE)


def perturb(rng: random.Random, payload: dict[str, Any]) -> dict[str, Any]:
    """``payload`` with some fields replaced by hostile values, removed or added."""
    out = dict(payload)
    for _ in range(rng.randint(1, 3)):
        keys = list(out)
        roll = rng.random()
        if keys and roll < 0.6:
            out[rng.choice(keys)] = hostile_value(rng)
        elif keys and roll < 0.8:
            del out[rng.choice(keys)]
        else:
            out[rng.choice(["extra", "rc", "interval_ms", "op", "xml"])] = hostile_value(rng)
    return out


def to_json(value: Any) -> bytes:
    return json.dumps(value, allow_nan=True).encode("utf-8", "surrogatepass")


def random_input(rng: random.Random, sample: bytes) -> bytes:
    roll = rng.random()
    if roll < 0.2:
        return rng.randbytes(rng.randint(0, 200))
    return mutate(rng, sample)


# ---------------------------------------------------------------------- membership


PACKET = encode(Packet("lab", "b", 7, 42, MessageType.HEARTBEAT,
                       b'{"b":1,"a":{},"n":5,"e":{"a":0}}'), KEYS.signing)


def fuzz_packet(rng: random.Random) -> None:
    with contextlib.suppress(PacketError):
        decode(random_input(rng, PACKET), KEYS, "lab")


def _node_keys() -> tuple[AuthKeys, bytes]:
    from dataclasses import replace

    from harm.membership.nodekeys import generate

    private, public = generate()
    keys = replace(KEYS, node_keys={"b": public}, private=private)
    signed = encode(Packet("lab", "b", 7, 42, MessageType.HEARTBEAT, b'{"b":1}'),
                    KEYS.signing, private)
    return keys, signed


_SIGNED: list[tuple[AuthKeys, bytes]] = []


def fuzz_signed_packet(rng: random.Random) -> None:
    """Packets of a cluster with node keys: mutated signed packets, unsigned ones."""
    if not _SIGNED:
        _SIGNED.append(_node_keys())
    keys, signed = _SIGNED[0]
    data = random_input(rng, signed if rng.random() < 0.8 else PACKET)
    with contextlib.suppress(PacketError):
        decode(data, keys, "lab")


DATA = encode_data(7, "a", b"body")


def fuzz_stream(rng: random.Random) -> None:
    with contextlib.suppress(PacketError):
        decode_data(random_input(rng, DATA))


HEARTBEAT = {"b": 3, "a": {"a": [7, 2]}, "n": 11, "e": {"a": 0}}


def fuzz_heartbeat(rng: random.Random) -> None:
    if rng.random() < 0.5:
        payload = to_json(perturb(rng, HEARTBEAT))
    else:
        payload = random_input(rng, to_json(HEARTBEAT))
    with contextlib.suppress(PacketError):
        decode_heartbeat(payload)


def _membership() -> Membership:
    params = Params(cluster="lab", node="a", votes=(("a", 1), ("b", 1)), nics=("eth0",),
                    generation=7, keepalive_ms=200, deadtime_ms=2000, warntime_ms=1000,
                    initdead_ms=4000)
    return Membership(params, KEYS, 0)


_MACHINE: list[Membership] = []
_CLOCK = [0]


def fuzz_membership(rng: random.Random) -> None:
    """Signed packets with hostile content, fed to a live state machine (rebuilt now and
    then); the machine's own counters take the refusals, nothing may escape."""
    if not _MACHINE or rng.random() < 0.01:
        _MACHINE[:] = [_membership()]
    machine = _MACHINE[0]
    _CLOCK[0] += rng.randint(0, 300)
    now = _CLOCK[0]
    if rng.random() < 0.3:
        machine.tick(now)
    kind = rng.choice(list(MessageType))
    if kind is MessageType.HEARTBEAT:
        beat = perturb(rng, HEARTBEAT) if rng.random() < 0.5 else dict(HEARTBEAT)
        if rng.random() < 0.5:
            beat["e"] = {"a": machine.params.nonce}
        if rng.random() < 0.3:
            beat["b"] = rng.choice([1, 2, 4_000_000, 2**32, 2**62, 2**63 - 1, 2**64])
        payload = to_json(beat) if rng.random() < 0.8 else mutate(rng, to_json(beat))
    else:
        number = rng.choice([1, 2, 3, 100, 5000, 2**40, 2**64 - 1, 0])
        payload = encode_data(number, rng.choice([None, "a", "b"]), rng.randbytes(10))
        if rng.random() < 0.2:
            payload = mutate(rng, payload)
    generation = rng.choice([7, 7, 7, 6, 8, 0, 2**63, 2**64 - 1])
    seq = rng.choice([rng.randint(1, 10_000), 2**62, 2**64 - 1, 0])
    frame = encode(Packet("lab", rng.choice(["b", "b", "a", "z"]), generation, seq, kind,
                          payload), KEYS.signing)
    machine.receive(now, "eth0", frame)


# ---------------------------------------------------------------------- controller wire


def _frame(transfer: int, index: int, count: int, piece: bytes) -> bytes:
    return MAGIC + HEAD.pack(transfer, index, count) + piece


_DECODER = [Decoder()]


def fuzz_wire(rng: random.Random) -> None:
    """Chunk streams: real encodings mutated, forged headers, bombs, deep JSON."""
    decoder = _DECODER[0]
    if len(decoder.dropped) > 50 or rng.random() < 0.01:
        _DECODER[0] = decoder = Decoder()
    roll = rng.random()
    if roll < 0.4:
        payload = perturb(rng, {"cib": XML, "members": ["a"], "dc": None})
        raw = to_json({"kind": rng.choice(["hello", "cib", "x"]), **payload})
        if rng.random() < 0.3:
            raw = mutate(rng, raw)
        chunks = [_frame(1, 0, 1, zlib.compress(raw))]
    elif roll < 0.6:
        body = rng.choice([b"[" * 5000, b'{"kind":"a","v":' + b"[" * 40 + b"]" * 40 + b"}",
                           b'{"kind":"a","v":NaN}', b'{"kind":"\\ud800"}',
                           b'{"kind":"a","pad":"' + b"a" * (1 << 16) + b'"}'])
        data = zlib.compress(body)
        chunks = [_frame(2, 0, 1, data)]
    elif roll < 0.8:
        chunks = Encoder(rng.randrange(2**32)).encode("state", {"cib": XML, "i": 1})
        chunks = [mutate(rng, c) if rng.random() < 0.5 else c for c in chunks]
    else:
        chunks = [_frame(rng.randrange(2**32), rng.randrange(4), rng.choice([0, 1, 2, 65_535]),
                         rng.randbytes(rng.randint(0, 64)))
                  for _ in range(rng.randint(1, 3))]
    for chunk in chunks:
        decoder.feed(rng.choice(["a", "b"]), chunk)
    if rng.random() < 0.05:
        decoder.gap("a")


def fuzz_codec(rng: random.Random) -> None:
    data: Any = perturb(rng, OP)
    if rng.random() < 0.3:
        data = {**OP, "clone": perturb(rng, {"instance": 1, "clone_max": 2,
                                              "clone_node_max": 1, "promotable": False,
                                              "promoted_max": 1, "promoted_node_max": 1,
                                              "notify": False, "globally_unique": False})}
    with contextlib.suppress(HarmError):
        request_from_json(data)


# ---------------------------------------------------------------------- messages and requests


SAMPLES: dict[str, dict[str, Any]] = {
    "hello": {"members": ["a", "b"], "dc": "a", "cib": XML},
    "resync": {},
    "cib": {"xml": XML},
    "op": {"request": OP},
    "cancel": {"rsc": "d1", "action": "monitor", "interval_ms": 2000},
    "forget": {"rsc": "d1"},
    "fail": {"rsc": "d1", "action": "monitor", "interval_ms": 0, "rc": 1},
    "state": {"cib": XML, "result": {"key": "1:2:0:x", "rsc": "d1", "action": "start",
                                     "interval_ms": 0, "rc": 0, "status": 0, "target_rc": 0,
                                     "exit_reason": None, "anonymous": False}},
    "request": {"id": "a:1:1", "op": "fail", "node": "a", "rsc": "d1", "interval_ms": 0},
    "reply": {"id": "a:1:1", "ok": True, "message": None},
}
REQUESTS = [
    {"op": "commit", "xml": XML, "base": [0, 1]},
    {"op": "attribute", "node": "a", "name": "x", "value": "1", "lifetime": "reboot"},
    {"op": "cleanup", "rsc": "d1", "node": None},
    {"op": "fail", "node": "a", "rsc": "r", "interval_ms": 0, "rc": 1},
]


def fuzz_messages(rng: random.Random) -> None:
    kind = rng.choice(sorted(SAMPLES))
    payload = perturb(rng, SAMPLES[kind])
    if kind == "state" and rng.random() < 0.5:
        payload["result"] = perturb(rng, SAMPLES["state"]["result"])
    with contextlib.suppress(HarmError):
        messages.decode_message(kind, payload)


def fuzz_requests(rng: random.Random) -> None:
    with contextlib.suppress(HarmError):
        messages.decode_request(perturb(rng, rng.choice(REQUESTS)))


def fuzz_json(rng: random.Random) -> None:
    sample = to_json(rng.choice([HEARTBEAT, SAMPLES["state"], REQUESTS[0]]))
    with contextlib.suppress(ValueError):
        boundedjson.loads(random_input(rng, sample))


_CONTROL: list[Any] = []


def fuzz_control(rng: random.Random) -> None:
    """Request lines through the control server's own ``answer`` (handlers included)."""
    if not _CONTROL:
        import atexit
        import os
        import shutil
        import tempfile
        from pathlib import Path

        from harm.daemon.control import ControlServer

        folder = Path(tempfile.mkdtemp(prefix="harm-fuzz-"))
        server = ControlServer(folder / "s.sock", allowed_uid=os.geteuid())
        server.register("cluster-op", lambda r: messages.request_payload(
            messages.decode_request(r)))
        server.register("cib-commit", lambda r: messages.request_payload(
            messages.decode_request({**r, "op": "commit"})))
        _CONTROL.append(server)
        atexit.register(server.close)
        atexit.register(shutil.rmtree, folder, True)
    server = _CONTROL[0]
    base = rng.choice([{"type": "cluster-op", **REQUESTS[3]},
                       {"type": "cib-commit", "xml": XML, "base": [0, 1]},
                       {"type": "ping"}, {"type": "help"}])
    line = to_json(perturb(rng, base))
    if rng.random() < 0.3:
        line = mutate(rng, line)
    answer = json.loads(server.answer(line))
    if server.isolation.counts:
        raise AssertionError(f"a control request raised: {line[:200]!r}")
    assert isinstance(answer, dict)


TARGETS: dict[str, Callable[[random.Random], None]] = {
    "packet": fuzz_packet,
    "signed-packet": fuzz_signed_packet,
    "stream": fuzz_stream,
    "heartbeat": fuzz_heartbeat,
    "membership": fuzz_membership,
    "wire": fuzz_wire,
    "codec": fuzz_codec,
    "messages": fuzz_messages,
    "requests": fuzz_requests,
    "json": fuzz_json,
    "control": fuzz_control,
}
