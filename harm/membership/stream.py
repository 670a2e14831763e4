"""Reliable, in-order delivery of cluster messages, one stream per sender.

Every cluster message gets a message number in its sender's stream (1, 2, 3 … per boot
generation) and travels in a DATA packet on every link. Every node tracks every stream (a
message addressed to one node still takes a place in the order) and acknowledges the highest
number it has in order; acknowledgements ride on heartbeats. The sender retransmits what some
live peer has not acknowledged yet, and announces in each heartbeat its *base*, the lowest
number it still holds: a receiver that is behind the base (it was partitioned away or just
started) skips ahead, and the skipped range is reported as a gap so upper layers resync.

DATA payload: ``msg_no`` (u64), ``dest_len`` (u8), ``dest`` (empty: everyone), ``body``.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable
from dataclasses import dataclass, field

from harm.membership.packet import DropReason, PacketError

DATA_HEAD = struct.Struct(">QB")


@dataclass(frozen=True)
class Message:
    """One cluster message as delivered: who sent it, to whom (None: all), its body."""

    sender: str
    number: int
    dest: str | None
    body: bytes


@dataclass(frozen=True)
class Gap:
    """Messages ``first``..``last`` from ``sender`` will never arrive here."""

    sender: str
    first: int
    last: int


def encode_data(number: int, dest: str | None, body: bytes) -> bytes:
    raw_dest = (dest or "").encode()
    return DATA_HEAD.pack(number, len(raw_dest)) + raw_dest + body


def decode_data(payload: bytes) -> tuple[int, str | None, bytes]:
    """(number, dest, body) of a DATA payload; raises PacketError(MALFORMED)."""
    if len(payload) < DATA_HEAD.size:
        raise PacketError(DropReason.MALFORMED, "short DATA payload")
    number, dlen = DATA_HEAD.unpack_from(payload)
    end = DATA_HEAD.size + dlen
    if len(payload) < end or number < 1:
        raise PacketError(DropReason.MALFORMED, "bad DATA header")
    try:
        dest = payload[DATA_HEAD.size : end].decode()
    except UnicodeDecodeError:
        raise PacketError(DropReason.MALFORMED, "DATA destination not UTF-8") from None
    return number, dest or None, bytes(payload[end:])


@dataclass
class _Pending:
    number: int
    dest: str | None
    body: bytes
    waiting: set[str]
    last_sent: int


class Outbox:
    """The sending side of this node's stream."""

    def __init__(self) -> None:
        self._next = 1
        self._pending: dict[int, _Pending] = {}

    @property
    def base(self) -> int:
        return min(self._pending, default=self._next)

    @property
    def next(self) -> int:
        """The number the next message will get."""
        return self._next

    @property
    def pending(self) -> int:
        return len(self._pending)

    def add(self, dest: str | None, body: bytes, peers: Iterable[str], now: int) -> bytes:
        """Queue a message that every node in ``peers`` must acknowledge; the DATA payload."""
        number = self._next
        self._next += 1
        waiting = set(peers)
        if waiting:
            self._pending[number] = _Pending(number, dest, body, waiting, now)
        return encode_data(number, dest, body)

    def acked(self, peer: str, upto: int) -> None:
        for number in [n for n in self._pending if n <= upto]:
            entry = self._pending[number]
            entry.waiting.discard(peer)
            if not entry.waiting:
                del self._pending[number]

    def forget(self, peer: str) -> None:
        """``peer`` died or restarted: stop waiting for it."""
        self.acked(peer, self._next)

    def due(self, now: int, interval: int) -> list[bytes]:
        """DATA payloads to send again (unacknowledged for ``interval`` ms)."""
        out = []
        for entry in sorted(self._pending.values(), key=lambda e: e.number):
            if now - entry.last_sent >= interval:
                entry.last_sent = now
                out.append(encode_data(entry.number, entry.dest, entry.body))
        return out


MAX_BUFFERED = 128  # out-of-order messages held per sender
MAX_BUFFERED_BYTES = 4 << 20  # and their bytes
MAX_AHEAD = 4096  # a message this far beyond the next expected one is not held


@dataclass
class Inbox:
    """The receiving side of one sender's stream (for one generation of it).

    Bounded: at most :data:`MAX_BUFFERED` messages (:data:`MAX_BUFFERED_BYTES`) wait for an
    earlier one; when full, a message earlier than the latest held one takes that one's
    place (the sender retransmits whatever is not acknowledged, so the stream still
    completes), a later one is not held. A gap is a range, whatever its size.

    A sender's message numbers cannot run ahead of its packet numbers: each message goes
    out at once in a packet of its own, so between two heartbeats the *next* number the
    sender announces grows by at most the difference of their sequence numbers. A
    heartbeat that claims more is refused (``TOO_FAR``), and one that announces a next
    number below what this inbox expects (a forged jump slipped in earlier) resets the
    stream to it and reports a gap, so the layers above resynchronise.
    """

    sender: str
    generation: int
    expected: int | None = None  # unknown until the sender's first heartbeat tells its base
    buffer: dict[int, tuple[str | None, bytes, int]] = field(default_factory=dict)
    held_bytes: int = 0
    refused: int = 0  # messages not held (too far ahead, or the buffer full)
    reference: tuple[int, int] | None = None  # (packet seq, next number) of the newest
    # heartbeat
    advanced_by: int = 0  # the newest packet seq whose content moved ``expected``

    @property
    def acked(self) -> int:
        return 0 if self.expected is None else self.expected - 1

    def on_data(self, number: int, dest: str | None, body: bytes,
                seq: int = 0) -> list[Message]:
        if self.expected is not None:
            if number < self.expected:
                return []
            if number - self.expected >= MAX_AHEAD:
                self.refused += 1
                raise PacketError(DropReason.TOO_FAR,
                                  f"message {number} from {self.sender}, "
                                  f"expecting {self.expected}")
        if number in self.buffer:
            return self._drain()
        if number != self.expected:
            while len(self.buffer) >= MAX_BUFFERED or \
                    self.held_bytes + len(body) > MAX_BUFFERED_BYTES:
                latest = max(self.buffer, default=None)
                if latest is None or latest < number:
                    self.refused += 1
                    return self._drain()
                self._pop(latest)
        self.buffer[number] = (dest, body, seq)
        self.held_bytes += len(body)
        return self._drain()

    def on_heartbeat(self, seq: int, base: int, upto: int) -> tuple[list[Message], Gap | None]:
        """A heartbeat (packet ``seq``) announcing ``base`` and next number ``upto``."""
        ref = self.reference
        if ref is None or seq > ref[0]:
            if ref is not None and upto > ref[1] + (seq - ref[0]):
                raise PacketError(DropReason.TOO_FAR,
                                  f"{self.sender} next message {upto} after {ref[1]} in "
                                  f"{seq - ref[0]} packets")
            self.reference = (seq, upto)
            if self.expected is not None and upto < self.expected and seq > self.advanced_by:
                gap = Gap(self.sender, min(base, upto), self.expected - 1)
                self.expected = upto
                for number in list(self.buffer):
                    self._pop(number)
                messages, _ = self.on_base(base, seq)
                return messages, gap
        return self.on_base(base, seq)

    def on_base(self, base: int, seq: int = 0) -> tuple[list[Message], Gap | None]:
        gap = None
        if self.expected is None or base > self.expected:
            self.advanced_by = max(self.advanced_by, seq)
        if self.expected is None:
            self.expected = base
            for number in [n for n in self.buffer if n < base]:
                self._pop(number)
        elif base > self.expected:
            held = sum(1 for n in self.buffer if n < base)
            if held < base - self.expected:  # something in expected..base-1 is missing
                first = self.expected
                while first in self.buffer:
                    first += 1
                last = base - 1
                while last in self.buffer:
                    last -= 1
                gap = Gap(self.sender, first, last)
            delivered = self._drain(upto=base)
            self.expected = base
            return delivered + self._drain(), gap
        return self._drain(), gap

    def _pop(self, number: int) -> tuple[str | None, bytes]:
        dest, body, seq = self.buffer.pop(number)
        self.held_bytes -= len(body)
        self.advanced_by = max(self.advanced_by, seq)
        return dest, body

    def _drain(self, upto: int | None = None) -> list[Message]:
        out: list[Message] = []
        if self.expected is None:
            return out
        if upto is not None:
            for number in sorted(n for n in self.buffer if n < upto):
                dest, body = self._pop(number)
                out.append(Message(self.sender, number, dest, body))
            return out
        while self.expected in self.buffer:
            dest, body = self._pop(self.expected)
            out.append(Message(self.sender, self.expected, dest, body))
            self.expected += 1
        return out
