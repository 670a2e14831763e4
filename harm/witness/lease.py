"""The witness's vote: a lease held by one partition at a time (pure: ``now`` is an argument).

A partition is named by the members its asker sees. The rules, for an ask from ``node``
seeing ``members`` while the lease is held by ``holder`` until ``expires``:

    free (nobody holds it, or now >= expires + margin)  -> granted to members
    members == holder                                   -> renewed
    node confirmed the holder and members < holder      -> narrowed to members (a split:
                                                           the first side to ask keeps it)
    node in holder and members > holder                 -> widened to members (a merge)
    anything else                                       -> refused until expires + margin

A node *confirmed* the holder when it asked with exactly the holder's members since the
lease last changed hands (the one whose ask made it so confirmed it by asking). Only a
member of the holder may widen it, so a node of another partition cannot take the vote by
claiming to see the holder; and only a node that confirmed the holder may narrow it, so a
node that a widening named but that does not see the others yet (the two sides of a merge
do not notice it at the same moment) cannot take the vote for itself alone.

``margin`` is the time between the end of a lease and the moment the vote may go
elsewhere: the holder counts its vote from the moment it *sent* the ask that was granted,
so it gives the vote up strictly before the witness could give it to anyone else (see
docs/quorum.md for the timing).
"""

from __future__ import annotations

import enum
from collections.abc import Collection
from dataclasses import dataclass

MAX_LEASE_MS = 60_000
MAX_MARGIN_MS = 60_000


class Outcome(enum.Enum):
    GRANTED = "granted"
    RENEWED = "renewed"
    NARROWED = "narrowed"
    WIDENED = "widened"
    REFUSED = "refused"

    @property
    def granted(self) -> bool:
        return self is not Outcome.REFUSED


@dataclass(frozen=True)
class Ask:
    """One authenticated request: ``node`` asks the vote for the partition it sees."""

    node: str
    members: frozenset[str]
    lease_ms: int
    margin_ms: int


@dataclass(frozen=True)
class Verdict:
    outcome: Outcome
    holder: frozenset[str]  # who holds the vote after this ask (empty: nobody)
    lease_ms: int  # the lease granted (0 when refused)
    free_in_ms: int  # when refused: how long until the vote may be given again


@dataclass(frozen=True)
class Lease:
    holder: frozenset[str]
    expires: int  # witness monotonic ms
    margin_ms: int
    confirmed: frozenset[str] = frozenset()  # members that asked with exactly ``holder``

    def free(self, now: int) -> bool:
        return now >= self.expires + self.margin_ms


class Arbiter:
    """The vote of one cluster (see the module docstring)."""

    def __init__(self, min_margin_ms: int = 0, quiet_until: int = 0,
                 max_lease_ms: int = MAX_LEASE_MS, max_margin_ms: int = MAX_MARGIN_MS) -> None:
        """``quiet_until``: refuse every ask before this time. A witness that restarts
        has forgotten who held the vote, so it gives it to nobody until any lease it may
        have granted before (at most ``max_lease_ms + max_margin_ms``) is over."""
        self.min_margin_ms = min_margin_ms
        self.quiet_until = quiet_until
        self.max_lease_ms = min(max_lease_ms, MAX_LEASE_MS)
        self.max_margin_ms = max(min(max_margin_ms, MAX_MARGIN_MS), min_margin_ms)
        self.lease: Lease | None = None

    def holder(self, now: int) -> frozenset[str]:
        lease = self.lease
        return lease.holder if lease is not None and not lease.free(now) else frozenset()

    def ask(self, now: int, ask: Ask) -> Verdict:
        members = frozenset(ask.members) | {ask.node}
        lease_ms = max(1, min(ask.lease_ms, self.max_lease_ms))
        margin = max(self.min_margin_ms, min(max(ask.margin_ms, 0), self.max_margin_ms))
        current = self.lease
        if now < self.quiet_until:
            return Verdict(Outcome.REFUSED, frozenset(), 0, self.quiet_until - now)
        if current is None or current.free(now):
            outcome = Outcome.GRANTED
        elif members == current.holder:
            outcome = Outcome.RENEWED
        elif ask.node in current.confirmed and members < current.holder:
            outcome = Outcome.NARROWED
        elif ask.node in current.holder and members > current.holder:
            outcome = Outcome.WIDENED
        else:
            free_in = current.expires + current.margin_ms - now
            return Verdict(Outcome.REFUSED, current.holder, 0, free_in)
        expires = now + lease_ms
        confirmed = frozenset({ask.node})
        if current is not None and not current.free(now):
            # a lease is never shortened: whoever counted on the old one keeps its margin
            expires = max(expires, current.expires)
            margin = max(margin, current.margin_ms)
            if outcome is Outcome.RENEWED:
                confirmed |= current.confirmed
        self.lease = Lease(members, expires, margin, confirmed)
        return Verdict(outcome, members, lease_ms, 0)


def describe(node: str, members: Collection[str], verdict: Verdict) -> str:
    """One log sentence per decision."""
    seen = ",".join(sorted(members))
    holder = ",".join(sorted(verdict.holder)) or "nobody"
    if verdict.outcome is Outcome.REFUSED:
        return (f"refused {node} (sees {seen}): the vote is held by {holder} for "
                f"{verdict.free_in_ms}ms more")
    return (f"{verdict.outcome.value} the vote to {holder} (asked by {node}) "
            f"for {verdict.lease_ms}ms")
