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
"""

from __future__ import annotations

import json
import struct
import zlib
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

MAGIC = b"hc1"
HEAD = struct.Struct(">IHH")
CHUNK = 48_000
MAX_MESSAGE = 64 << 20  # decompressed: refuse anything larger


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
        data = zlib.compress(json.dumps({"kind": kind, **payload},
                                        separators=(",", ":")).encode(), 6)
        pieces = [data[i:i + CHUNK] for i in range(0, len(data), CHUNK)] or [b""]
        if len(pieces) > 0xFFFF:
            raise ValueError(f"controller message {kind!r} is too large ({len(data)} bytes)")
        return [MAGIC + HEAD.pack(self.transfer, n, len(pieces)) + piece
                for n, piece in enumerate(pieces)]


@dataclass
class _Partial:
    transfer: int
    count: int
    pieces: list[bytes]


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
            partial = _Partial(transfer, count, [])
            self._partial[sender] = partial
        elif partial is None or partial.transfer != transfer or len(partial.pieces) != index:
            self.dropped["chunk out of order"] += 1
            self._partial.pop(sender, None)
            return None
        if count == 0 or partial.count != count:
            self.dropped["bad chunk count"] += 1
            self._partial.pop(sender, None)
            return None
        partial.pieces.append(piece)
        if len(partial.pieces) < count:
            return None
        del self._partial[sender]
        return self._decode(sender, b"".join(partial.pieces))

    def gap(self, sender: str) -> None:
        """Messages from ``sender`` were lost: a partial one can never complete."""
        if self._partial.pop(sender, None) is not None:
            self.dropped["unfinished message lost"] += 1

    def _decode(self, sender: str, data: bytes) -> Envelope | None:
        try:
            unzip = zlib.decompressobj()
            raw = unzip.decompress(data, MAX_MESSAGE)
            if unzip.unconsumed_tail:
                self.dropped["too large"] += 1
                return None
            message = json.loads(raw)
        except (zlib.error, ValueError):
            self.dropped["undecodable"] += 1
            return None
        if not isinstance(message, dict) or not isinstance(message.get("kind"), str):
            self.dropped["no kind"] += 1
            return None
        kind = message.pop("kind")
        return Envelope(sender, kind, message)
