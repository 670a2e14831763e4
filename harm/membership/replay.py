"""Replay protection per sender: generation, sequence window, and the link each copy came on.

A sender numbers its packets 1, 2, 3 … within a boot generation and sends each one on every
link. For each sender we remember the highest generation seen and, for the last ``WINDOW``
sequence numbers, the set of links a copy arrived on:

- an older generation is a replay of a previous life (``STALE_GENERATION``);
- a sequence number below the window is ``TOO_OLD``;
- a copy on a link that already delivered that number is a ``REPLAY``;
- a copy on a new link is a *duplicate*: proof that the link works, not delivered twice.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from harm.membership.packet import DropReason, PacketError

WINDOW = 4096


class Verdict(enum.Enum):
    """What to do with an authenticated packet."""

    FRESH = "fresh"  # first copy: deliver it
    DUPLICATE = "duplicate"  # another link's copy: count the link alive, do not deliver
    RESTART = "restart"  # first packet of a newer generation: the sender restarted


@dataclass
class _SenderWindow:
    generation: int
    highest: int = 0
    seen: dict[int, frozenset[str]] = field(default_factory=dict)


class ReplayGuard:
    """Per-sender windows; ``check`` either returns a verdict and records, or raises."""

    def __init__(self, window: int = WINDOW) -> None:
        self._window = window
        self._senders: dict[str, _SenderWindow] = {}

    def generation(self, sender: str) -> int | None:
        state = self._senders.get(sender)
        return None if state is None else state.generation

    def check(self, sender: str, generation: int, seq: int, link: str) -> Verdict:
        """Record a copy of (generation, seq) from ``sender`` on ``link``; raise PacketError."""
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
        if seq <= state.highest - self._window:
            raise PacketError(DropReason.TOO_OLD, f"{sender} seq {seq} (highest {state.highest})")
        links = state.seen.get(seq)
        if links is not None:
            if link in links:
                raise PacketError(DropReason.REPLAY, f"{sender} seq {seq} again on {link}")
            state.seen[seq] = links | {link}
            return Verdict.DUPLICATE
        state.seen[seq] = frozenset((link,))
        if seq > state.highest:
            state.highest = seq
            floor = seq - self._window
            if len(state.seen) > self._window + 64:
                state.seen = {s: ls for s, ls in state.seen.items() if s > floor}
        return verdict
