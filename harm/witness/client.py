"""A node's side of the witness (pure: time and bytes in, datagrams out).

The node asks the witness for its vote for exactly the members it sees (its view), and
renews that every ``renew_ms``. A grant counts only for the members it was granted for and
only until ``sent + lease_ms``, where ``sent`` is when this node sent the granted ask: the
witness started the lease when it *received* the ask, later, and gives the vote to nobody
else before the lease's end plus ``margin_ms``. So the holder gives up its vote at least
``margin_ms`` before another partition could have it, whatever the network delays.

When the view changes, the vote of the old view no longer counts and the node asks at once
for the new one; a node that runs no promoted resource (``priority`` false) waits
``defer_ms`` before its first ask, so that after a split the side with the primary asks
first and keeps the vote. The answer is *awaited* for up to ``wait_ms`` after that first
ask (the membership holds the new view back meanwhile, see :meth:`decided`); without an
answer the node is without the witness's vote.
"""

from __future__ import annotations

from dataclasses import dataclass

from harm.membership.authkeys import AuthKeys
from harm.witness.lease import Ask
from harm.witness.wire import Answer, WireError, decode_answer, encode_ask

KEEP_SENT = 64  # asks remembered to match their answers


@dataclass(frozen=True)
class ClientParams:
    cluster: str
    node: str
    generation: int
    lease_ms: int
    margin_ms: int
    renew_ms: int
    wait_ms: int
    defer_ms: int


@dataclass(frozen=True)
class Grant:
    members: frozenset[str]
    until: int  # this node's monotonic ms
    sent: int  # when the ask that earned it was sent


class WitnessClient:
    """See the module docstring."""

    def __init__(self, params: ClientParams, keys: AuthKeys, now: int) -> None:
        self.params = params
        self._keys = keys
        self._seq = 0
        self._sent: dict[int, tuple[int, frozenset[str]]] = {}
        self.grant: Grant | None = None
        self.wanted: frozenset[str] = frozenset({params.node})
        self._wanted_since = now
        self._first_ask = now
        self._answered: int | None = None  # when an answer for ``wanted`` last came
        self._next_send = now
        self.priority = False
        self.last_answer: Answer | None = None
        self.dropped = 0
        self.asks = 0

    # ------------------------------------------------------------------ queries

    def holds(self, now: int, members: frozenset[str]) -> bool:
        grant = self.grant
        return grant is not None and grant.members == members and now < grant.until

    def decided(self, now: int, members: frozenset[str]) -> bool:
        """Is the vote for ``members`` known (held, refused, or given up waiting)?"""
        if members != self.wanted:
            return False
        if self.holds(now, members):
            return True
        if self._answered is not None and self._answered >= self._first_ask:
            return True
        return now >= self._first_ask + self.params.wait_ms

    def next_deadline(self) -> int:
        times = [self._next_send, self._first_ask + self.params.wait_ms]
        if self.grant is not None:
            times.append(self.grant.until)
        return min(times)

    def status(self, now: int) -> dict[str, object]:
        grant = self.grant
        answer = self.last_answer
        return {
            "holds": self.holds(now, self.wanted),
            "grant": None if grant is None else {
                "members": sorted(grant.members), "valid_ms": max(0, grant.until - now)},
            "last_answer": None if answer is None else {
                "outcome": answer.outcome.value, "holder": sorted(answer.holder),
                "free_in_ms": answer.free_in_ms},
            "priority": self.priority,
            "asks": self.asks,
            "dropped": self.dropped,
        }

    # ------------------------------------------------------------------ inputs

    def want(self, now: int, members: frozenset[str]) -> list[bytes]:
        """The view is ``members`` now; datagrams to send (an ask when it changed)."""
        if members == self.wanted:
            return []
        self.wanted = members
        self._wanted_since = now
        self._answered = None
        delay = 0 if self.priority else self.params.defer_ms
        self._first_ask = now + delay
        self._next_send = now + delay
        return self.tick(now)

    def tick(self, now: int) -> list[bytes]:
        if now < self._next_send:
            return []
        answered = self._answered is not None and self._answered >= self._first_ask
        retry = self.params.renew_ms if answered else max(1, self.params.wait_ms // 3)
        self._next_send = now + min(self.params.renew_ms, retry)
        return [self._ask(now)]

    def receive(self, now: int, data: bytes) -> bool:
        """One datagram from the witness; True when the vote this node holds changed."""
        try:
            answer = decode_answer(data, self._keys, self.params.cluster)
        except WireError:
            self.dropped += 1
            return False
        sent = self._sent.get(answer.seq)
        if (answer.node != self.params.node or answer.generation != self.params.generation
                or sent is None):
            self.dropped += 1
            return False
        sent_at, members = sent
        before = self.holds(now, self.wanted)
        self.last_answer = answer
        if members == self.wanted:
            self._answered = now
        if answer.outcome.granted and answer.holder == members:
            until = sent_at + min(answer.lease_ms, self.params.lease_ms)
            if self.grant is None or self.grant.members != members or until > self.grant.until:
                self.grant = Grant(members, until, sent_at)
        elif self.grant is not None and self.grant.members == members and \
                sent_at > self.grant.sent:
            # refused after the grant: the witness no longer counts this partition
            # (giving the vote up early is always safe; a late answer to an older ask
            # says nothing new)
            self.grant = None
        return before != self.holds(now, self.wanted)

    # ------------------------------------------------------------------ internals

    def _ask(self, now: int) -> bytes:
        self._seq += 1
        self.asks += 1
        self._sent[self._seq] = (now, self.wanted)
        if len(self._sent) > KEEP_SENT:
            del self._sent[next(iter(self._sent))]
        ask = Ask(self.params.node, self.wanted, self.params.lease_ms, self.params.margin_ms)
        return encode_ask(self._keys, self.params.cluster, self.params.generation, self._seq,
                          ask)
