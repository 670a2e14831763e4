"""The heartbeat payload: stream base, acknowledgements and the freshness handshake.

JSON, compact::

    {"b": BASE,                      the lowest cluster message number the sender still holds
     "x": NEXT,                      the number its next message will get (default: BASE)
     "a": {NODE: [GENERATION, N]},   per peer stream: delivered in order up to N
     "n": NONCE,                     the sender's boot nonce (random, new on every start)
     "e": {NODE: NONCE}}             the boot nonce last heard from each peer, echoed

A receiver takes a new life of a peer (a new generation, or a lower one after a silence)
only from a heartbeat that echoes the receiver's own current nonce: such a heartbeat was
made after the receiver started, so a capture from before cannot pass for it (see
``docs/membership.md``, Replays). Every number is an integer in ``0 .. 2**63-1``; anything
else (``Infinity``, ``1e999``, ``"3"``, ``true``, a list) makes the heartbeat malformed.
Decoding raises only :class:`~harm.membership.packet.PacketError` (``MALFORMED``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from harm.membership import boundedjson
from harm.membership.packet import MAX_NAME, DropReason, PacketError

MAX_INT = 2**63 - 1
MAX_ENTRIES = 256  # peers a heartbeat may name (harm clusters are far smaller)


@dataclass(frozen=True)
class Heartbeat:
    base: int
    acks: Mapping[str, tuple[int, int]] = field(default_factory=lambda: MappingProxyType({}))
    nonce: int = 0
    echoes: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))
    next: int | None = None  # None: the same as base

    @property
    def upto(self) -> int:
        return self.base if self.next is None else self.next


def encode_heartbeat(beat: Heartbeat) -> bytes:
    data: dict[str, Any] = {"b": beat.base, "x": beat.upto,
                            "a": {k: list(v) for k, v in beat.acks.items()},
                            "n": beat.nonce, "e": dict(beat.echoes)}
    return json.dumps(data, separators=(",", ":")).encode()


def _int(value: Any, what: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_INT:
        raise PacketError(DropReason.MALFORMED, f"heartbeat {what}: not an integer in range")
    return value


def _names(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, dict) or len(value) > MAX_ENTRIES or not all(
            0 < len(k) <= MAX_NAME for k in value):
        raise PacketError(DropReason.MALFORMED, f"heartbeat {what}: not a map of nodes")
    return value


def decode_heartbeat(payload: bytes) -> Heartbeat:
    """The heartbeat in ``payload``; PacketError(MALFORMED) when it is not one."""
    try:
        data = boundedjson.loads(payload)
    except ValueError as error:
        raise PacketError(DropReason.MALFORMED, f"heartbeat payload: {error}") from None
    if not isinstance(data, dict):
        raise PacketError(DropReason.MALFORMED, "heartbeat payload: not an object")
    base = _int(data.get("b"), "base")
    if base < 1:
        raise PacketError(DropReason.MALFORMED, "heartbeat base: below 1")
    upto = base if data.get("x") is None else _int(data.get("x"), "next")
    if upto < base:
        raise PacketError(DropReason.MALFORMED, "heartbeat next: below the base")
    acks = {}
    for node, ack in _names(data.get("a", {}), "acks").items():
        if not isinstance(ack, list) or len(ack) != 2:
            raise PacketError(DropReason.MALFORMED, "heartbeat ack: not [generation, number]")
        acks[node] = (_int(ack[0], "ack generation"), _int(ack[1], "ack number"))
    echoes = {node: _int(nonce, "echo") for node, nonce in
              _names(data.get("e", {}), "echoes").items()}
    return Heartbeat(base, MappingProxyType(acks), _int(data.get("n", 0), "nonce"),
                     MappingProxyType(echoes), upto)
