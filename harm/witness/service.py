"""``harm witness``: the tie-breaker service, one UDP socket around the arbiter.

    harm witness --cluster NAME --authkeys FILE [--listen ADDR] [--port 6940]
                 [--max-lease 30s] [--max-margin 30s] [--min-margin 0s] [--quiet DURATION]

Every ask must be signed with a key of the cluster's authkeys and name the cluster; asks
of a node must come with a growing (generation, sequence number), so a captured ask cannot
be replayed. Anything else is dropped and counted, never answered. The witness keeps its
state in memory only: after a (re)start it refuses every ask for ``--quiet`` (default:
max-lease + max-margin), since it no longer knows whom it gave its vote to.
"""

from __future__ import annotations

import logging
import selectors
import signal
import socket
import time
from collections import Counter
from dataclasses import dataclass, field

from harm.membership.authkeys import AuthKeys
from harm.witness.lease import Arbiter, describe
from harm.witness.wire import Answer, WireError, decode_ask, encode_answer

DEFAULT_PORT = 6940
MAX_NODES = 1024

log = logging.getLogger("harm.witness")


@dataclass
class WitnessCore:
    """The witness's decisions for one cluster (pure: time and bytes in, bytes out)."""

    cluster: str
    keys: AuthKeys
    arbiter: Arbiter
    seen: dict[str, tuple[int, int]] = field(default_factory=dict)  # node -> (gen, seq)
    dropped: Counter[str] = field(default_factory=Counter)
    answered: Counter[str] = field(default_factory=Counter)
    _seq: int = 0

    def handle(self, now: int, data: bytes) -> tuple[bytes | None, str | None]:
        """The answer to one datagram (None: dropped) and a log line when it matters."""
        try:
            packet = decode_ask(data, self.keys, self.cluster)
        except WireError as error:
            self.dropped[error.reason] += 1
            return None, None
        ask = packet.ask
        last = self.seen.get(ask.node)
        if last is not None and (packet.generation, packet.seq) <= last:
            self.dropped["replay"] += 1
            return None, None
        if last is None and len(self.seen) >= MAX_NODES:
            self.dropped["too-many-nodes"] += 1
            return None, None
        self.seen[ask.node] = (packet.generation, packet.seq)
        before = self.arbiter.holder(now)
        verdict = self.arbiter.ask(now, ask)
        self.answered[verdict.outcome.value] += 1
        self._seq += 1
        answer = Answer(ask.node, packet.generation, packet.seq, verdict.outcome,
                        verdict.holder, verdict.lease_ms, verdict.free_in_ms)
        line = None
        if verdict.holder != before or not verdict.outcome.granted:
            line = describe(ask.node, ask.members, verdict)
        return encode_answer(self.keys, self.cluster, self._seq, answer), line


def monotonic_ms() -> int:
    return time.monotonic_ns() // 1_000_000


def serve(core: WitnessCore, listen: str, port: int) -> None:
    """Answer asks until SIGTERM or SIGINT."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((listen, port))
    sock.setblocking(False)
    stopping = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(1))
    signal.signal(signal.SIGINT, lambda *_: stopping.append(1))
    selector = selectors.DefaultSelector()
    selector.register(sock, selectors.EVENT_READ)
    log.info("witness of cluster %s listening on %s:%d", core.cluster, listen or "*", port)
    refused_logged: dict[str, int] = {}
    try:
        while not stopping:
            for _key, _mask in selector.select(1.0):
                while True:
                    try:
                        data, peer = sock.recvfrom(65535)
                    except (BlockingIOError, InterruptedError):
                        break
                    except OSError:
                        break
                    now = monotonic_ms()
                    reply, line = core.handle(now, data)
                    if reply is not None:
                        try:
                            sock.sendto(reply, peer)
                        except OSError:
                            core.dropped["send-failed"] += 1
                    if line is not None:
                        # refusals repeat with every retry: one line per node and second
                        key = line.split(" (", 1)[0]
                        if now - refused_logged.get(key, -10_000) >= 1000:
                            refused_logged[key] = now
                            log.info("%s", line)
    finally:
        selector.close()
        sock.close()
        log.info("witness stopping (dropped: %s)", dict(core.dropped) or "none")
