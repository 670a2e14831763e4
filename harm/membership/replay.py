"""Replay protection per sender: generation, sequence window, and the link each copy came on.

A sender numbers its packets 1, 2, 3 … within a boot generation and sends each one on every
link. For each sender we remember the highest generation seen and, for the last ``WINDOW``
sequence numbers, the set of links a copy arrived on:

- an older generation is a replay of a previous life (``STALE_GENERATION``);
- a sequence number below the window is ``TOO_OLD``;
- a copy on a link that already delivered that number is a ``REPLAY``;
- a copy on a new link is a *duplicate*: proof that the link works, not delivered twice;
- a sequence number further ahead than the sender can have gone since it was last heard
  (:data:`SEQ_SLACK` plus :data:`SEQ_PER_MS` per millisecond of silence) is ``TOO_FAR``:
  one packet must not push the window beyond every genuine packet to come.

:meth:`ReplayGuard.start` opens the window of a new life of a sender at the packet that
proved the life fresh (see :mod:`harm.membership.heartbeat`): nothing numbered before that
packet is accepted afterwards, so a capture cannot be slipped in below it.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from harm.membership.packet import DropReason, PacketError

WINDOW = 4096
SEQ_SLACK = 1 << 16
SEQ_PER_MS = 100  # a sender sends far fewer packets than this per millisecond


class Verdict(enum.Enum):
    """What to do with an authenticated packet."""

    FRESH = "fresh"  # first copy: deliver it
    DUPLICATE = "duplicate"  # another link's copy: count the link alive, do not deliver
    RESTART = "restart"  # first packet of a newer generation: the sender restarted


@dataclass
class _SenderWindow:
    generation: int
    highest: int = 0
    floor: int = 0  # nothing below this is accepted (the packet that opened the window)
    last_ms: int | None = None
    seen: dict[int, frozenset[str]] = field(default_factory=dict)


class ReplayGuard:
    """Per-sender windows; ``check`` either returns a verdict and records, or raises."""

    def __init__(self, window: int = WINDOW) -> None:
        self._window = window
        self._senders: dict[str, _SenderWindow] = {}

    def generation(self, sender: str) -> int | None:
        state = self._senders.get(sender)
        return None if state is None else state.generation

    def start(self, sender: str, generation: int, seq: int, link: str, now: int) -> None:
        """A new life of ``sender`` begins with this packet (see the module docstring)."""
        self._senders[sender] = _SenderWindow(generation, seq, seq, now,
                                              {seq: frozenset((link,))})

    def check(self, sender: str, generation: int, seq: int, link: str,
              now: int | None = None) -> Verdict:
        """Record a copy of (generation, seq) from ``sender`` on ``link``; raise PacketError.
        ``now`` (ms) bounds how far the sequence may jump; without it, it is not bounded."""
        state = self._senders.get(sender)
        verdict = Verdict.FRESH
        if state is None or generation > state.generation:
            verdict = Verdict.FRESH if state is None else Verdict.RESTART
            state = _SenderWindow(generation)
            self._senders[sender] = state
        elif generation < state.generation:
            raise PacketError(
                DropReason.STALE_GENERATION, f"{sender} gen {generation} < {state.generation}"
            )
        if seq <= state.highest - self._window or seq < state.floor:
            raise PacketError(DropReason.TOO_OLD, f"{sender} seq {seq} (highest {state.highest})")
        if now is not None and state.last_ms is not None and seq > state.highest and \
                seq - state.highest > SEQ_SLACK + SEQ_PER_MS * max(0, now - state.last_ms):
            raise PacketError(DropReason.TOO_FAR,
                              f"{sender} seq {seq} (highest {state.highest})")
        links = state.seen.get(seq)
        if links is not None:
            if link in links:
                raise PacketError(DropReason.REPLAY, f"{sender} seq {seq} again on {link}")
            state.seen[seq] = links | {link}
            return Verdict.DUPLICATE
        state.seen[seq] = frozenset((link,))
        if seq > state.highest:
            state.highest = seq
            state.last_ms = now
            floor = seq - self._window
            if len(state.seen) > self._window + 64:
                state.seen = {s: ls for s, ls in state.seen.items() if s > floor}
        return verdict
