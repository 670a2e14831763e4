"""Controller messages on the cluster streams: JSON, compressed, split to fit a datagram.

The membership layer delivers each node's messages reliably and in order, but one message
must fit one authenticated datagram. A controller message (a CIB with its status can be
larger) is therefore encoded as::

    body     := MAGIC transfer:u32 index:u16 count:u16 chunk
    transfer := this sender's running number of the message
    chunks   := zlib(JSON {"kind": KIND, ...payload}) cut in pieces of at most CHUNK bytes

Chunks of one message are queued one after the other, so a receiver sees them in order;
it keeps at most one partial message per sender and drops it when a gap is reported
(the sender's missing messages are then resynchronised by the controller, not here).
Anything that does not decode is dropped and counted, never raised to the daemon loop.

Bounds, so that no sender can make a receiver hold or compute much: a message has at most
:data:`MAX_CHUNKS` chunks of at most :data:`CHUNK` bytes; each chunk is inflated as it
arrives, with zlib's ``max_length``, and the message is dropped the moment it would
exceed :data:`MAX_MESSAGE` decompressed (a zip bomb costs what the cap costs, not what it
would inflate to); its JSON may nest at most :data:`~harm.membership.boundedjson.MAX_DEPTH`
levels, and may hold no ``NaN``/``Infinity`` nor lone surrogates.
"""

from __future__ import annotations

import json
import struct
import zlib
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from harm.membership import boundedjson

MAGIC = b"hc1"
HEAD = struct.Struct(">IHH")
CHUNK = 48_000
MAX_MESSAGE = 8 << 20  # decompressed: refuse anything larger
MAX_CHUNKS = 256  # 12 MB on the wire at most; a message of MAX_MESSAGE compresses to less
MAX_KIND = 64


@dataclass(frozen=True)
class Envelope:
    """One decoded controller message."""

    sender: str
    kind: str
    payload: dict[str, Any]


@dataclass
class Encoder:
    """Encodes this node's messages, numbering transfers."""

    transfer: int = 0

    def encode(self, kind: str, payload: dict[str, Any]) -> list[bytes]:
        self.transfer = (self.transfer + 1) & 0xFFFFFFFF
        raw = json.dumps({"kind": kind, **payload}, separators=(",", ":")).encode()
        if len(raw) > MAX_MESSAGE:
            raise ValueError(f"controller message {kind!r} is too large ({len(raw)} bytes)")
        data = zlib.compress(raw, 6)
        pieces = [data[i:i + CHUNK] for i in range(0, len(data), CHUNK)] or [b""]
        if len(pieces) > MAX_CHUNKS:
            raise ValueError(f"controller message {kind!r} is too large ({len(data)} bytes)")
        return [MAGIC + HEAD.pack(self.transfer, n, len(pieces)) + piece
                for n, piece in enumerate(pieces)]


@dataclass
class _Partial:
    transfer: int
    count: int
    received: int = 0
    size: int = 0  # decompressed bytes so far
    unzip: Any = field(default_factory=zlib.decompressobj)
    parts: list[bytes] = field(default_factory=list)


@dataclass
class Decoder:
    """Reassembles messages from every sender; counts what it had to drop."""

    dropped: Counter[str] = field(default_factory=Counter)
    _partial: dict[str, _Partial] = field(default_factory=dict)

    def feed(self, sender: str, body: bytes) -> Envelope | None:
        """One delivered stream message; the whole controller message once complete."""
        if not body.startswith(MAGIC) or len(body) < len(MAGIC) + HEAD.size:
            self.dropped["not a controller message"] += 1
            return None
        transfer, index, count = HEAD.unpack_from(body, len(MAGIC))
        piece = body[len(MAGIC) + HEAD.size:]
        partial = self._partial.get(sender)
        if index == 0:
            if partial is not None:
                self.dropped["unfinished message replaced"] += 1
            partial = _Partial(transfer, count)
            self._partial[sender] = partial
        elif partial is None or partial.transfer != transfer or partial.received != index:
            self.dropped["chunk out of order"] += 1
            self._partial.pop(sender, None)
            return None
        if count == 0 or partial.count != count:
            self.dropped["bad chunk count"] += 1
            self._partial.pop(sender, None)
            return None
        if count > MAX_CHUNKS or len(piece) > CHUNK:
            self.dropped["too large"] += 1
            self._partial.pop(sender, None)
            return None
        partial.received += 1
        if not self._inflate(partial, piece):
            self._partial.pop(sender, None)
            return None
        if partial.received < count:
            return None
        del self._partial[sender]
        if not partial.unzip.eof or partial.unzip.unused_data:
            self.dropped["undecodable"] += 1
            return None
        return self._decode(sender, b"".join(partial.parts))

    def gap(self, sender: str) -> None:
        """Messages from ``sender`` were lost: a partial one can never complete."""
        if self._partial.pop(sender, None) is not None:
            self.dropped["unfinished message lost"] += 1

    def _inflate(self, partial: _Partial, piece: bytes) -> bool:
        """Inflate one chunk within the cap; False (counted) when the message must go."""
        try:
            room = MAX_MESSAGE - partial.size
            out = partial.unzip.decompress(piece, room + 1)
        except zlib.error:
            self.dropped["undecodable"] += 1
            return False
        partial.size += len(out)
        if partial.size > MAX_MESSAGE or partial.unzip.unconsumed_tail:
            self.dropped["too large"] += 1
            return False
        partial.parts.append(out)
        return True

    def _decode(self, sender: str, raw: bytes) -> Envelope | None:
        try:
            message = boundedjson.loads(raw)
        except ValueError:
            self.dropped["undecodable"] += 1
            return None
        kind = message.get("kind") if isinstance(message, dict) else None
        if not isinstance(kind, str) or not 0 < len(kind) <= MAX_KIND:
            self.dropped["no kind"] += 1
            return None
        del message["kind"]
        return Envelope(sender, kind, message)
