"""The witness's datagrams: membership packets (:mod:`harm.membership.packet`, signed with
the cluster's authkeys) of two types, with a small JSON payload.

    WITNESS_ASK     node -> witness   {"m": [members it sees], "l": lease_ms, "g": margin_ms}
    WITNESS_ANSWER  witness -> node   {"n": node, "e": its generation, "s": its seq,
                                       "o": outcome, "h": [holder], "l": lease_ms,
                                       "f": free_in_ms}

An answer names the ask it answers (node, generation, sequence number), so a node accepts
only answers to asks it sent itself, and counts a grant from the moment it sent that ask.
Decoding raises only :class:`WireError`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from harm.membership import boundedjson
from harm.membership.authkeys import AuthKeys
from harm.membership.packet import MessageType, Packet, PacketError, decode, encode
from harm.witness.lease import Ask, Outcome

WITNESS_SENDER = "harm-witness"
MAX_MEMBERS = 64


class WireError(Exception):
    """A datagram that is not a valid witness message (dropped and counted)."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


@dataclass(frozen=True)
class AskPacket:
    generation: int
    seq: int
    ask: Ask


@dataclass(frozen=True)
class Answer:
    node: str
    generation: int
    seq: int
    outcome: Outcome
    holder: frozenset[str]
    lease_ms: int
    free_in_ms: int


def encode_ask(keys: AuthKeys, cluster: str, generation: int, seq: int, ask: Ask) -> bytes:
    payload = {"m": sorted(ask.members), "l": ask.lease_ms, "g": ask.margin_ms}
    packet = Packet(cluster, ask.node, generation, seq, MessageType.WITNESS_ASK,
                    json.dumps(payload, separators=(",", ":")).encode())
    return encode(packet, keys.signing)


def encode_answer(keys: AuthKeys, cluster: str, seq: int, answer: Answer) -> bytes:
    payload = {"n": answer.node, "e": answer.generation, "s": answer.seq,
               "o": answer.outcome.value, "h": sorted(answer.holder), "l": answer.lease_ms,
               "f": answer.free_in_ms}
    packet = Packet(cluster, WITNESS_SENDER, 0, seq, MessageType.WITNESS_ANSWER,
                    json.dumps(payload, separators=(",", ":")).encode())
    return encode(packet, keys.signing)


def _authentic(data: bytes, keys: AuthKeys, cluster: str, kind: MessageType) -> Packet:
    try:
        packet = decode(data, keys, cluster)
    except PacketError as error:
        raise WireError(error.reason.value) from None
    if packet.type is not kind:
        raise WireError("wrong-type")
    return packet


def _names(value: object) -> frozenset[str]:
    if not isinstance(value, list) or len(value) > MAX_MEMBERS or \
            not all(isinstance(n, str) and 0 < len(n) <= 255 for n in value):
        raise WireError("malformed")
    return frozenset(value)


def _count(value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < 2**63:
        raise WireError("malformed")
    return value


def _json(payload: bytes) -> dict[str, object]:
    try:
        data = boundedjson.loads(payload)  # the bounds every datagram's JSON is held to
    except boundedjson.JsonRefusedError:
        raise WireError("malformed") from None
    if not isinstance(data, dict):
        raise WireError("malformed")
    return data


def decode_ask(data: bytes, keys: AuthKeys, cluster: str) -> AskPacket:
    packet = _authentic(data, keys, cluster, MessageType.WITNESS_ASK)
    body = _json(packet.payload)
    ask = Ask(packet.sender, _names(body.get("m")), _count(body.get("l")),
              _count(body.get("g")))
    return AskPacket(packet.generation, packet.seq, ask)


def decode_answer(data: bytes, keys: AuthKeys, cluster: str) -> Answer:
    packet = _authentic(data, keys, cluster, MessageType.WITNESS_ANSWER)
    if packet.sender != WITNESS_SENDER:
        raise WireError("unknown-sender")
    body = _json(packet.payload)
    node = body.get("n")
    try:
        outcome = Outcome(body.get("o"))
    except ValueError:
        raise WireError("malformed") from None
    if not isinstance(node, str):
        raise WireError("malformed")
    return Answer(node, _count(body.get("e")), _count(body.get("s")), outcome,
                  _names(body.get("h")), _count(body.get("l")), _count(body.get("f")))
