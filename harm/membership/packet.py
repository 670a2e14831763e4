"""The signed packet every node sends on every link.

Layout (network byte order), followed by the HMAC of everything before it::

    0  magic    2s  b"hM"
    2  version  B   1
    3  key_id   B   which authkeys key signed it (rotation)
    4  type     B   MessageType
    5  clen     B   length of the cluster name
    6  slen     B   length of the sender name
    7  flags    B   1: signed by the sender's own key (node keys), else 0
    8  gen      Q   the sender's boot generation (persisted, +1 on every start)
    16 seq      Q   the sender's packet sequence number within that generation
    24 plen     I   payload length
    28 cluster, sender, payload, [the sender's Ed25519 signature of all that, 64 bytes],
       then the MAC (20..64 bytes, per the key's algorithm) of everything before it

With node keys configured (:mod:`harm.membership.nodekeys`), a packet must be signed, by the
key of the node it names as sender.

:func:`decode` never raises anything but :class:`PacketError`, whose ``reason`` says why the
packet was dropped; nothing is looked at before the MAC is checked except what is needed to
find the key and the MAC's position. The same bytes go out on every link, so the receiver can
tell a copy on another NIC (a sign of life of that link) from a replay on the same one.
"""

from __future__ import annotations

import enum
import hmac
import struct
from dataclasses import dataclass

from harm.membership import nodekeys
from harm.membership.authkeys import AuthKeys, Key

MAGIC = b"hM"
VERSION = 1
HEADER = struct.Struct(">2sBBBBBBQQI")
MAX_PACKET = 65_000
MAX_NAME = 255
SIGNED = 1


class MessageType(enum.IntEnum):
    """What a packet carries."""

    HEARTBEAT = 1  # liveness + acknowledgements of cluster messages
    DATA = 2  # one cluster message (reliable, in order per sender)
    WITNESS_ASK = 3  # node -> witness: the vote for the partition I see (harm.witness)
    WITNESS_ANSWER = 4  # witness -> node: granted or refused


class DropReason(enum.Enum):
    """Why a received packet was thrown away (each one is counted)."""

    TRUNCATED = "truncated"
    GARBAGE = "garbage"
    BAD_VERSION = "bad-version"
    UNKNOWN_KEY = "unknown-key"
    BAD_MAC = "bad-mac"
    MALFORMED = "malformed"
    WRONG_CLUSTER = "wrong-cluster"
    UNKNOWN_SENDER = "unknown-sender"
    STALE_GENERATION = "stale-generation"
    REPLAY = "replay"
    TOO_OLD = "too-old"
    TOO_FAR = "too-far"  # a sequence, base or message number jumps further than a sender can
    UNCONFIRMED = "unconfirmed"  # a new life of a peer that has not echoed our nonce yet
    UNSIGNED = "unsigned"  # node keys are configured, and the packet is not signed
    BAD_SIGNATURE = "bad-signature"  # not signed by the key of the node it names
    OWN = "own"  # our own packet looped back; not an attack


class PacketError(Exception):
    """A packet that must be dropped; ``reason`` is what the counters count."""

    def __init__(self, reason: DropReason, detail: str = "") -> None:
        self.reason = reason
        self.detail = detail
        super().__init__(f"{reason.value}: {detail}" if detail else reason.value)


@dataclass(frozen=True)
class Packet:
    """A decoded, authenticated packet."""

    cluster: str
    sender: str
    generation: int
    seq: int
    type: MessageType
    payload: bytes = b""
    key_id: int = 0


def _mac(key: Key, data: bytes) -> bytes:
    return hmac.digest(key.secret, data, key.algorithm)


def encode(packet: Packet, key: Key, private: bytes | None = None) -> bytes:
    """The wire bytes of ``packet`` with the MAC of ``key`` (its ``key_id`` field is
    ignored), and signed with this node's ``private`` key when there is one."""
    cluster = packet.cluster.encode()
    sender = packet.sender.encode()
    if len(cluster) > MAX_NAME or len(sender) > MAX_NAME:
        raise ValueError("cluster or node name longer than 255 bytes")
    head = HEADER.pack(
        MAGIC, VERSION, key.key_id, int(packet.type), len(cluster), len(sender),
        0 if private is None else SIGNED, packet.generation, packet.seq, len(packet.payload),
    )
    body = head + cluster + sender + packet.payload
    if private is not None:
        body += nodekeys.sign(private, body)
    if len(body) + key.digest_size > MAX_PACKET:
        raise ValueError(f"packet too large: {len(body)} bytes")
    return body + _mac(key, body)


def decode(data: bytes, keys: AuthKeys, cluster: str) -> Packet:
    """Authenticate and decode ``data``; raises only :class:`PacketError`."""
    if len(data) < HEADER.size:
        raise PacketError(DropReason.TRUNCATED, f"{len(data)} bytes")
    magic, version, key_id, mtype, clen, slen, flags, gen, seq, plen = HEADER.unpack_from(data)
    if magic != MAGIC:
        raise PacketError(DropReason.GARBAGE, "bad magic")
    if version != VERSION:
        raise PacketError(DropReason.BAD_VERSION, f"version {version}")
    key = keys.keys.get(key_id)
    if key is None:
        raise PacketError(DropReason.UNKNOWN_KEY, f"key id {key_id}")
    if flags & ~SIGNED:
        raise PacketError(DropReason.MALFORMED, f"unknown flags {flags:#x}")
    body_len = HEADER.size + clen + slen + plen
    signed_len = body_len + (nodekeys.SIGNATURE if flags & SIGNED else 0)
    if len(data) < signed_len + key.digest_size:
        raise PacketError(DropReason.TRUNCATED, f"{len(data)} of {signed_len + key.digest_size}")
    if len(data) > signed_len + key.digest_size:
        raise PacketError(DropReason.MALFORMED, "trailing bytes")
    if not hmac.compare_digest(data[signed_len:], _mac(key, data[:signed_len])):
        raise PacketError(DropReason.BAD_MAC, f"key id {key_id}")
    body = data[:body_len]
    try:
        kind = MessageType(mtype)
        got_cluster = body[HEADER.size : HEADER.size + clen].decode()
        sender = body[HEADER.size + clen : HEADER.size + clen + slen].decode()
    except (ValueError, UnicodeDecodeError) as error:
        raise PacketError(DropReason.MALFORMED, str(error)) from None
    if got_cluster != cluster:
        raise PacketError(DropReason.WRONG_CLUSTER, got_cluster)
    if not sender:
        raise PacketError(DropReason.MALFORMED, "empty sender")
    if keys.node_keys:
        if not flags & SIGNED:
            raise PacketError(DropReason.UNSIGNED, sender)
        public = keys.node_keys.get(sender)
        if public is None:
            raise PacketError(DropReason.UNKNOWN_SENDER, f"{sender} has no node key")
        if not nodekeys.verify(public, bytes(data[body_len:signed_len]), bytes(body)):
            raise PacketError(DropReason.BAD_SIGNATURE, sender)
    payload = bytes(body[HEADER.size + clen + slen :])
    return Packet(got_cluster, sender, gen, seq, kind, payload, key_id)
