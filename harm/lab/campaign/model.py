"""What the campaign sees when it looks at the cluster, as frozen data.

A :class:`Snapshot` is one look: every node's harmd as it answered on its own control
socket, what really runs on each node (state files, addresses, PostgreSQL), what the
DC's CIB says runs, and which nodes can really reach each other. The audits
(:mod:`harm.lab.campaign.audits`) are pure functions of snapshots, so each can be shown
to fail on a crafted one.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class NodeView:
    """One node's harmd, as it answered (``answered`` False: no answer, or not running)."""

    node: str
    harmd_pid: int | None
    answered: bool = False
    dc: str | None = None  # whom it takes for DC (None until settled)
    is_dc: bool = False
    settled: bool = False
    members: frozenset[str] = frozenset()  # its membership view
    version: tuple[int, ...] = ()  # its CIB's (admin_epoch, epoch, num_updates)
    cib_xml: str | None = None
    transition_running: bool = False


@dataclass(frozen=True)
class Activity:
    """``resource`` (its id in the configuration) is active on ``node``."""

    resource: str
    node: str
    promoted: bool = False


@dataclass(frozen=True)
class Limit:
    """How many nodes ``resource`` may be active on, and how many promoted instances."""

    resource: str
    max_nodes: int = 1
    max_per_node: int = 1
    max_promoted: int | None = None  # None: not promotable


@dataclass(frozen=True)
class Snapshot:
    at: float  # seconds since the epoch
    nodes: tuple[NodeView, ...]
    reality: tuple[Activity, ...] = ()  # what runs, read from the nodes themselves
    believed: tuple[Activity, ...] = ()  # what the DC's CIB says runs
    reachable: tuple[frozenset[str], ...] = ()  # groups of nodes that can reach each other
    pending: tuple[str, ...] = ()  # what the engine would still do, on the DC's CIB
    powered_off: frozenset[str] = frozenset()
    service_ok: bool | None = None  # the profile's own check (a primary, a VIP answering)

    def live(self) -> tuple[NodeView, ...]:
        return tuple(n for n in self.nodes if n.harmd_pid is not None)

    def view(self, node: str) -> NodeView | None:
        return next((n for n in self.nodes if n.node == node), None)


@dataclass(frozen=True)
class Probe:
    """One attempt of the prober to write on ``node`` directly (its own address)."""

    at: float
    node: str
    accepted: bool
    detail: str = ""


@dataclass(frozen=True)
class Finding:
    """One violated audit."""

    audit: str
    detail: str
    at: float = 0.0
    nodes: tuple[str, ...] = field(default=())
