"""The membership state machine: pure, driven by time and received bytes.

Inputs: ``receive(now, nic, data)`` for every datagram, ``tick(now)`` regularly (every few
tens of milliseconds is plenty), ``send(now, body, dest)`` for a cluster message. Each returns
a :class:`Step`: the events that happened and the datagrams to send on *every* link. ``now``
is a monotonic time in milliseconds from the caller's clock; nothing here reads a clock,
sleeps or touches a socket.

Rules (Heartbeat's): a link ``(node, nic)`` is dead after ``deadtime`` with nothing heard on
it; a node is dead after ``deadtime`` with nothing heard on any link; a node that sends a
newer boot generation restarted. A node that was never heard is declared dead when
``initdead`` expires after start. The view is this node plus every live peer.

A new life of a peer (its first packets, a newer generation, or a lower or equal one with a
new nonce once it has been silent for longer than ``deadtime``) counts only from a
heartbeat that echoes this node's boot nonce (:mod:`harm.membership.heartbeat`), and only
once; until then its packets are dropped as ``unconfirmed``. Captured traffic thus cannot
pass for a live node after this node restarts, and a node whose generation went back (its
state directory lost, its clock behind) is taken again after a silence instead of being
stale forever.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from harm.membership.authkeys import AuthKeys
from harm.membership.events import (
    Delivered,
    Dropped,
    Event,
    LateHeartbeat,
    LinkDead,
    LinkUp,
    Lost,
    NodeDead,
    NodeRestarted,
    NodeUp,
    View,
    ViewChanged,
)
from harm.membership.heartbeat import Heartbeat, decode_heartbeat, encode_heartbeat
from harm.membership.packet import (
    DropReason,
    MessageType,
    Packet,
    PacketError,
    decode,
    encode,
)
from harm.membership.quorum import has_quorum, majority_without_witness
from harm.membership.replay import ReplayGuard, Verdict
from harm.membership.settings import Settings
from harm.membership.stream import Inbox, Message, Outbox, decode_data

if TYPE_CHECKING:
    from harm.witness.client import WitnessClient

RECENT_PACKETS = 512  # authenticated packets remembered to recognise their copies
OWN_FRAMES = 64  # frames we sent, to drop our own looped-back broadcasts cheaply
LIVES_KEPT = 64  # lives of a peer remembered, so that none is taken twice


@dataclass(frozen=True)
class Params:
    """What the state machine needs from the settings (times in ms)."""

    cluster: str
    node: str
    votes: tuple[tuple[str, int], ...]
    nics: tuple[str, ...]
    generation: int
    keepalive_ms: int = 1000
    deadtime_ms: int = 30_000
    warntime_ms: int = 10_000
    initdead_ms: int = 60_000
    two_node: bool = False
    nonce: int = 0  # this boot's random nonce (harmd draws 63 random bits)

    @staticmethod
    def from_settings(settings: Settings, generation: int, nonce: int = 0) -> Params:
        return Params(
            cluster=settings.cluster,
            node=settings.node,
            votes=tuple((n.name, n.votes) for n in settings.nodes),
            nics=settings.nics,
            generation=generation,
            keepalive_ms=settings.keepalive_ms,
            deadtime_ms=settings.deadtime_ms,
            warntime_ms=settings.warntime_ms,
            initdead_ms=settings.initdead_ms,
            two_node=settings.two_node,
            nonce=nonce,
        )

    @property
    def peers(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.votes if name != self.node)


@dataclass(frozen=True)
class Step:
    """The result of one input: events, and datagrams to send on every link."""

    events: tuple[Event, ...] = ()
    frames: tuple[bytes, ...] = ()
    witness: tuple[bytes, ...] = ()  # datagrams for the witness (harm.witness), if any


@dataclass
class _Peer:
    name: str
    nics: tuple[str, ...]
    alive: bool = False
    generation: int | None = None
    last_heard: int | None = None
    last_heartbeat: int | None = None
    link_heard: dict[str, int] = field(default_factory=dict)
    link_up: dict[str, bool] = field(default_factory=dict)
    inbox: Inbox | None = None
    nonce: int | None = None  # the boot nonce of its confirmed life
    candidate: tuple[int, int, int] | None = None  # (generation, nonce, heard at) of a new
    # life heard but not confirmed yet
    lives: list[tuple[int, int]] = field(default_factory=list)  # (generation, nonce) taken

    def echo(self) -> int | None:
        """The nonce this node echoes to the peer: its newest life's."""
        return self.candidate[1] if self.candidate is not None else self.nonce


class Membership:
    """One node's view of the cluster (see the module docstring)."""

    def __init__(self, params: Params, keys: AuthKeys, now: int,
                 witness: WitnessClient | None = None) -> None:
        self.params = params
        self._witness = witness
        self._witness_out: list[bytes] = []
        self._now = now
        self._keys = keys
        self._started = now
        self._initdead_over = False
        self._seq = 0
        self._guard = ReplayGuard()
        self._recent: dict[bytes, Packet] = {}
        self._own: dict[bytes, None] = {}  # our last frames: broadcasts come back to us
        self._outbox = Outbox()
        self._peers = {p: _Peer(p, params.nics) for p in params.peers}
        self._view = View(0, frozenset((params.node,)), False)
        self._seen_all = len(params.votes) == 1
        self._next_heartbeat = now
        self._last_tick = now
        self._ack_due = False
        self._handshake_due = False
        self._membership_changed = False
        self.dropped: Counter[DropReason] = Counter()
        self.received = 0
        self.sent = 0
        self.duplicates = 0
        self.delivered = 0
        self._view = self._compute_view(0)

    # ------------------------------------------------------------------ queries

    @property
    def view(self) -> View:
        return self._view

    def link_attributes(self) -> dict[str, str]:
        """``<node>-<nic>`` -> ``up``/``dead`` for every peer link, as node attributes."""
        return {
            f"{p.name}-{nic}": "up" if p.link_up.get(nic) else "dead"
            for p in self._peers.values()
            for nic in p.nics
        }

    def status(self, now: int) -> dict[str, Any]:
        """A JSON-ready picture for the control socket."""
        peers = {}
        for p in self._peers.values():
            peers[p.name] = {
                "alive": p.alive,
                "generation": p.generation,
                "silent_ms": None if p.last_heard is None else now - p.last_heard,
                "links": {nic: "up" if p.link_up.get(nic) else "dead" for nic in p.nics},
            }
        return {
            "node": self.params.node,
            "cluster": self.params.cluster,
            "generation": self.params.generation,
            "sequence": self._seq,
            "view": {
                "id": self._view.id,
                "members": sorted(self._view.members),
                "quorate": self._view.quorate,
            },
            "witness": None if self._witness is None else self._witness.status(now),
            "peers": peers,
            "attributes": self.link_attributes(),
            "counters": {
                "received": self.received,
                "sent": self.sent,
                "duplicates": self.duplicates,
                "delivered": self.delivered,
                "pending": self._outbox.pending,
                "own": self.dropped[DropReason.OWN],
                "unconfirmed": self.dropped[DropReason.UNCONFIRMED],  # every start has some
                "dropped": {
                    r.value: self.dropped[r]
                    for r in DropReason
                    if self.dropped[r] and r not in (DropReason.OWN, DropReason.UNCONFIRMED)
                },
            },
        }

    # ------------------------------------------------------------------ inputs

    def send(self, now: int, body: bytes, dest: str | None = None) -> Step:
        """Queue a cluster message for every live peer (or one); it goes out at once."""
        live = [p.name for p in self._peers.values() if p.alive]
        payload = self._outbox.add(dest, body, live, now)
        return Step(frames=(self._frame(MessageType.DATA, payload),))

    def witness_receive(self, now: int, data: bytes) -> Step:
        """One datagram from the witness: its answer may change this node's quorum."""
        self._now = now
        if self._witness is None:
            return Step()
        self._witness.receive(now, data)
        self._membership_changed = True
        events = self._update_view()
        return Step(tuple(events), witness=self._take_witness())

    def witness_priority(self, priority: bool) -> None:
        """This node runs what should keep running after a split (a promoted resource):
        it asks the witness at once instead of after the defer time."""
        if self._witness is not None:
            self._witness.priority = priority

    def _take_witness(self) -> tuple[bytes, ...]:
        out, self._witness_out = tuple(self._witness_out), []
        return out

    def receive(self, now: int, nic: str, data: bytes) -> Step:
        """One datagram that arrived on ``nic``."""
        self.received += 1
        self._now = now
        events: list[Event] = []
        try:
            packet = self._authenticate(data)
            if packet.sender == self.params.node:
                raise PacketError(DropReason.OWN)
            peer = self._peers.get(packet.sender)
            if peer is None:
                raise PacketError(DropReason.UNKNOWN_SENDER, packet.sender)
            beat = decode_heartbeat(packet.payload) \
                if packet.type is MessageType.HEARTBEAT else None
            new_life = packet.generation != peer.generation or (
                beat is not None and beat.nonce != peer.nonce)  # a restart that kept the
            # generation (state and clock both lost): its nonce is new
            if new_life:
                self._confirm(now, peer, nic, packet, beat)
                verdict = Verdict.FRESH
            else:
                verdict = self._guard.check(packet.sender, packet.generation, packet.seq, nic,
                                            now)
            self._heard(now, peer, nic, packet, verdict=verdict, new_life=new_life,
                        events=events)
            if verdict is Verdict.DUPLICATE:
                self.duplicates += 1
            else:
                self._handle(peer, packet, beat, events)
        except PacketError as error:
            self.dropped[error.reason] += 1
            if error.reason is not DropReason.OWN:
                events.append(Dropped(nic, error.reason, error.detail))
        events.extend(self._update_view())
        return Step(tuple(events), witness=self._take_witness())

    def tick(self, now: int) -> Step:
        """Timers: deaths, initdead, heartbeats, retransmissions."""
        events: list[Event] = []
        self._last_tick = now
        self._now = now
        deadtime = self.params.deadtime_ms
        for peer in self._peers.values():
            for nic in peer.nics:
                heard = peer.link_heard.get(nic)
                if peer.link_up.get(nic) and heard is not None and now - heard > deadtime:
                    peer.link_up[nic] = False
                    events.append(LinkDead(peer.name, nic))
            if peer.alive and peer.last_heard is not None and now - peer.last_heard > deadtime:
                peer.alive = False
                self._membership_changed = True
                self._outbox.forget(peer.name)
                events.append(NodeDead(peer.name, now - peer.last_heard))
        if not self._initdead_over and now - self._started >= self.params.initdead_ms:
            self._initdead_over = True
            for peer in self._peers.values():
                if peer.last_heard is None:
                    events.append(NodeDead(peer.name, None))
        if self._witness is not None:
            self._witness_out += self._witness.tick(now)
            self._membership_changed = True  # a grant may have run out, or a wait ended
        events.extend(self._update_view())
        frames: list[bytes] = []
        if now >= self._next_heartbeat or self._ack_due or self._handshake_due:
            frames.append(self._frame(MessageType.HEARTBEAT, self._heartbeat_payload()))
            self._next_heartbeat = now + self.params.keepalive_ms
            self._ack_due = self._handshake_due = False
        for payload in self._outbox.due(now, self.params.keepalive_ms):
            frames.append(self._frame(MessageType.DATA, payload))
        return Step(tuple(events), tuple(frames), self._take_witness())

    def next_deadline(self) -> int:
        """When ``tick`` should run next (ms, monotonic): once per keepalive, when the
        heartbeat goes out; deaths are checked and acknowledgements sent at the same time,
        so a death is seen at most one keepalive after ``deadtime`` expired. A peer's new
        life waiting for our echo of its nonce is answered at once."""
        if self._handshake_due:
            return self._last_tick
        deadline = min(self._next_heartbeat, self._last_tick + self.params.keepalive_ms)
        if self._witness is not None:
            deadline = min(deadline, max(self._witness.next_deadline(), self._last_tick + 1))
        return deadline

    # ------------------------------------------------------------------ internals

    def _authenticate(self, data: bytes) -> Packet:
        """Decode ``data``; the copy of a packet already authenticated on another link is
        recognised by its bytes and not verified twice (the replay window still applies)."""
        if data in self._own:
            raise PacketError(DropReason.OWN)
        packet = self._recent.get(data)
        if packet is None:
            packet = decode(data, self._keys, self.params.cluster)
            self._recent[data] = packet
            if len(self._recent) > RECENT_PACKETS:
                del self._recent[next(iter(self._recent))]
        return packet

    def _frame(self, kind: MessageType, payload: bytes) -> bytes:
        self._seq += 1
        self.sent += 1
        packet = Packet(self.params.cluster, self.params.node, self.params.generation,
                        self._seq, kind, payload)
        frame = encode(packet, self._keys.signing, self._keys.private)
        self._own[frame] = None
        if len(self._own) > OWN_FRAMES:
            del self._own[next(iter(self._own))]
        return frame

    def _heartbeat_payload(self) -> bytes:
        acks = {  # only what a sender can use: a stream with something delivered
            p.name: (p.inbox.generation, p.inbox.acked)
            for p in self._peers.values()
            if p.inbox is not None and p.alive and p.inbox.acked > 0
        }
        echoes = {p.name: nonce for p in self._peers.values()
                  if (nonce := p.echo()) is not None}
        return encode_heartbeat(Heartbeat(self._outbox.base, acks, self.params.nonce, echoes,
                                          self._outbox.next))

    def _confirm(self, now: int, peer: _Peer, nic: str, packet: Packet,
                 beat: Heartbeat | None) -> None:
        """A packet of another life of ``peer`` than the confirmed one: take the new life
        if this heartbeat echoes our nonce; otherwise remember its nonce (to echo it) and
        drop the packet (see the module docstring). A life taken once is never taken
        again: a replay of an earlier life echoes our nonce too, but is not new."""
        deadtime = self.params.deadtime_ms
        silent = peer.last_heard is None or now - peer.last_heard > deadtime
        if peer.generation is not None and packet.generation <= peer.generation and \
                not silent:
            raise PacketError(DropReason.STALE_GENERATION,
                              f"{peer.name} gen {packet.generation}, alive as {peer.generation}")
        if beat is None:
            raise PacketError(DropReason.UNCONFIRMED,
                              f"{peer.name} gen {packet.generation}: data before a handshake")
        life = (packet.generation, beat.nonce)
        if life in peer.lives:
            raise PacketError(DropReason.STALE_GENERATION,
                              f"{peer.name} gen {packet.generation}: a previous life")
        old = peer.candidate
        if old is None or packet.generation >= old[0] or now - old[2] > deadtime:
            if old is None or old[:2] != life:
                self._handshake_due = True  # echo the new nonce at once
            peer.candidate = old = (*life, now)
        if beat.echoes.get(self.params.node) != self.params.nonce or old[:2] != life:
            raise PacketError(DropReason.UNCONFIRMED,
                              f"{peer.name} gen {packet.generation}: no echo of our nonce yet")
        peer.candidate = None
        peer.nonce = beat.nonce
        peer.lives.append(life)
        del peer.lives[:-LIVES_KEPT]
        self._guard.start(peer.name, packet.generation, packet.seq, nic, now)

    def _heard(
        self, now: int, peer: _Peer, nic: str, packet: Packet, *, verdict: Verdict,
        new_life: bool, events: list[Event],
    ) -> None:
        if nic in peer.nics:
            peer.link_heard[nic] = now
            if not peer.link_up.get(nic):
                peer.link_up[nic] = True
                events.append(LinkUp(peer.name, nic))
        if verdict is Verdict.DUPLICATE:
            return
        if packet.type is MessageType.HEARTBEAT and peer.alive:
            last = peer.last_heartbeat
            # harmd reads its sockets once per keepalive, so gaps up to two keepalives are
            # normal whatever warntime says
            limit = max(self.params.warntime_ms, 2 * self.params.keepalive_ms)
            if last is not None and now - last > limit:
                events.append(LateHeartbeat(peer.name, now - last))
        if packet.type is MessageType.HEARTBEAT:
            peer.last_heartbeat = now
        peer.last_heard = now
        if new_life:
            if peer.generation is not None:
                events.append(NodeRestarted(peer.name, packet.generation))
                self._outbox.forget(peer.name)
            peer.generation = packet.generation
            peer.inbox = Inbox(peer.name, packet.generation)
        if not peer.alive:
            peer.alive = True
            self._membership_changed = True
            events.append(NodeUp(peer.name))

    def _handle(self, peer: _Peer, packet: Packet, beat: Heartbeat | None,
                events: list[Event]) -> None:
        inbox = peer.inbox
        assert inbox is not None
        if beat is None:
            number, dest, body = decode_data(packet.payload)
            self._ack_due = True
            for message in inbox.on_data(number, dest, body, packet.seq):
                self._deliver(message, events)
            return
        mine = beat.acks.get(self.params.node)
        if mine is not None and mine[0] == self.params.generation:
            self._outbox.acked(peer.name, mine[1])
        messages, gap = inbox.on_heartbeat(packet.seq, beat.base, beat.upto)
        if gap is not None:
            events.append(Lost(gap))
        for message in messages:
            self._deliver(message, events)

    def _deliver(self, message: Message, events: list[Event]) -> None:
        if message.dest is None or message.dest == self.params.node:
            self.delivered += 1
            events.append(Delivered(message))

    def _members(self) -> frozenset[str]:
        return frozenset(
            [self.params.node] + [p.name for p in self._peers.values() if p.alive]
        )

    def _compute_view(self, view_id: int) -> View:
        members = self._members()
        votes = dict(self.params.votes)
        if len(members) == len(votes):
            self._seen_all = True
        witness = None if self._witness is None else self._witness.holds(self._now, members)
        quorate = has_quorum(members, votes, self.params.two_node, self._seen_all, witness)
        return View(view_id, members, quorate)

    def _witness_pending(self) -> bool:
        """A new set of members whose quorum hangs on the witness's answer, not known yet:
        the view change waits for it (at most the client's defer and wait times)."""
        if self._witness is None:
            return False
        members = self._members()
        self._witness_out += self._witness.want(self._now, members)
        if members == self._view.members or \
                majority_without_witness(members, dict(self.params.votes)):
            return False
        return not self._witness.decided(self._now, members)

    def _update_view(self) -> list[Event]:
        if not self._membership_changed:
            return []
        if self._witness_pending():
            return []  # _membership_changed stays set: the next tick or answer decides
        self._membership_changed = False
        new = self._compute_view(self._view.id + 1)
        if new.members == self._view.members and new.quorate == self._view.quorate:
            return []
        old = self._view
        self._view = new
        return [ViewChanged(new, new.members - old.members, old.members - new.members)]
