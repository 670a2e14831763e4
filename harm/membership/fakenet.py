"""An in-memory network and a virtual clock to drive :class:`Membership` machines.

The network has one segment per NIC name (``eth0``, ``eth1`` …). A datagram sent by a node
reaches every other node whose same NIC is up and that is in the same partition island, after
``latency_ms``. Nodes can be stopped (silent, deaf) and restarted with a new generation.
Everything runs in virtual time: ``run(ms)`` advances the clock, ticking every node every
``tick_ms`` and delivering datagrams in time order. Tests can also inject raw bytes.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import TYPE_CHECKING

from harm.membership.authkeys import AuthKeys
from harm.membership.events import Event
from harm.membership.machine import Membership, Params, Step

if TYPE_CHECKING:
    from harm.witness.client import ClientParams
    from harm.witness.service import WitnessCore

WITNESS = "<witness>"  # the queue's name for datagrams to the witness


class VirtualClock:
    """A monotonic clock in milliseconds that only moves when told to."""

    def __init__(self, start_ms: int = 1_000_000) -> None:
        self._now = start_ms

    def monotonic_ms(self) -> int:
        return self._now

    def advance_to(self, ms: int) -> None:
        if ms < self._now:
            raise ValueError("a monotonic clock does not go back")
        self._now = ms


class FakeNet:
    """Several Membership machines wired through in-memory segments (see module docstring)."""

    def __init__(
        self,
        params: Iterable[Params],
        keys: AuthKeys,
        latency_ms: int = 1,
        tick_ms: int = 50,
        clock: VirtualClock | None = None,
        witness: WitnessCore | None = None,
        witness_params: Callable[[Params], ClientParams] | None = None,
    ) -> None:
        """``witness`` and ``witness_params``: a witness every node can reach (unless
        listed in ``witness_cut``), and each node's client settings."""
        self.clock = clock or VirtualClock()
        self.witness = witness
        self.witness_params = witness_params
        self.witness_cut: set[str] = set()
        self.latency_ms = latency_ms
        self.tick_ms = tick_ms
        self.keys = keys
        self.params = {p.node: p for p in params}
        self.machines: dict[str, Membership] = {}
        self.events: dict[str, list[tuple[int, Event]]] = {n: [] for n in self.params}
        self.running: set[str] = set()
        self.nic_down: set[tuple[str, str]] = set()
        self.island: dict[str, int] = {n: 0 for n in self.params}
        self.keys_of: dict[str, AuthKeys] = {}
        self.taps: list[Callable[[str, str, bytes], None]] = []
        self._queue: list[tuple[int, int, str, str, bytes]] = []
        self._order = itertools.count()
        self._nonces = itertools.count(1000)
        for name in self.params:
            self.start(name)

    # ------------------------------------------------------------ faults

    def start(self, node: str, keys: AuthKeys | None = None,
              generation: int | None = None) -> None:
        """(Re)start ``node``; a restart bumps its generation as harmd does (or sets the
        one given: a lost state directory) and draws a new boot nonce."""
        params = self.params[node]
        if node in self.machines:
            params = replace(params, generation=params.generation + 1 if generation is None
                             else generation, nonce=next(self._nonces))
            self.params[node] = params
        self.keys_of[node] = keys or self.keys
        client = None
        if self.witness_params is not None:
            from harm.witness.client import WitnessClient

            client = WitnessClient(self.witness_params(params), self.keys_of[node],
                                   self.clock.monotonic_ms())
        self.machines[node] = Membership(params, self.keys_of[node], self.clock.monotonic_ms(),
                                         witness=client)
        self.running.add(node)

    def stop(self, node: str) -> None:
        self.running.discard(node)

    def cut(self, node: str, nic: str) -> None:
        self.nic_down.add((node, nic))

    def mend(self, node: str, nic: str) -> None:
        self.nic_down.discard((node, nic))

    def partition(self, *islands: Iterable[str]) -> None:
        for number, nodes in enumerate(islands, start=1):
            for node in nodes:
                self.island[node] = number

    def heal(self) -> None:
        self.nic_down.clear()
        self.island = {n: 0 for n in self.params}

    # ------------------------------------------------------------ traffic

    def inject(self, node: str, nic: str, data: bytes) -> None:
        """A datagram from outside the cluster, arriving at ``node`` on ``nic`` now."""
        self._push(self.clock.monotonic_ms(), node, nic, data)

    def send(self, node: str, body: bytes, dest: str | None = None) -> None:
        self._apply(node, self.machines[node].send(self.clock.monotonic_ms(), body, dest))

    def _push(self, at: int, node: str, nic: str, data: bytes) -> None:
        heapq.heappush(self._queue, (at, next(self._order), node, nic, data))

    def _apply(self, node: str, step: Step) -> None:
        now = self.clock.monotonic_ms()
        self.events[node].extend((now, e) for e in step.events)
        if self.witness is not None and node not in self.witness_cut:
            for frame in step.witness:
                self._push(now + self.latency_ms, WITNESS, node, frame)
        for frame in step.frames:
            for nic in self.params[node].nics:
                if (node, nic) in self.nic_down:
                    continue
                for tap in self.taps:
                    tap(node, nic, frame)
                for other in self.params:
                    if other == node or (other, nic) in self.nic_down:
                        continue
                    if self.island[other] != self.island[node]:
                        continue
                    self._push(now + self.latency_ms, other, nic, frame)

    def run(self, ms: int) -> None:
        """Advance virtual time by ``ms``, ticking and delivering in order."""
        end = self.clock.monotonic_ms() + ms
        next_tick = self.clock.monotonic_ms()
        while True:
            next_packet = self._queue[0][0] if self._queue else end + 1
            at = min(next_tick, next_packet)
            if at > end:
                break
            self.clock.advance_to(at)
            if next_packet <= next_tick:
                _, _, node, nic, data = heapq.heappop(self._queue)
                if node == WITNESS:  # nic names the asking node
                    self._to_witness(at, nic, data)
                elif nic == WITNESS:
                    if node in self.running and node not in self.witness_cut:
                        self._apply(node, self.machines[node].witness_receive(at, data))
                elif node in self.running:
                    self._apply(node, self.machines[node].receive(at, nic, data))
            else:
                for node in sorted(self.running):
                    self._apply(node, self.machines[node].tick(at))
                next_tick += self.tick_ms
        self.clock.advance_to(end)

    def _to_witness(self, at: int, sender: str, data: bytes) -> None:
        assert self.witness is not None
        reply, _line = self.witness.handle(at, data)
        if reply is not None and sender not in self.witness_cut:
            self._push(at + self.latency_ms, sender, WITNESS, reply)

    def run_until(self, predicate: Callable[[], bool], limit_ms: int, step_ms: int = 10) -> int:
        """Run until ``predicate()`` holds; the virtual ms it took (raises after ``limit_ms``)."""
        start = self.clock.monotonic_ms()
        while not predicate():
            if self.clock.monotonic_ms() - start > limit_ms:
                raise TimeoutError(f"condition not met within {limit_ms} virtual ms")
            self.run(step_ms)
        return self.clock.monotonic_ms() - start

    def members(self, node: str) -> frozenset[str]:
        return self.machines[node].view.members
