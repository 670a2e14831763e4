"""What the membership state machine reports: view, node, link and delivery events."""

from __future__ import annotations

from dataclasses import dataclass

from harm.membership.packet import DropReason
from harm.membership.stream import Gap, Message


@dataclass(frozen=True)
class View:
    """The members this node sees, numbered; ``id`` grows with every change."""

    id: int
    members: frozenset[str]
    quorate: bool


@dataclass(frozen=True)
class ViewChanged:
    view: View
    joined: frozenset[str]
    left: frozenset[str]


@dataclass(frozen=True)
class NodeUp:
    node: str


@dataclass(frozen=True)
class NodeDead:
    node: str
    silent_ms: int | None  # None: never heard since start (initdead expired)


@dataclass(frozen=True)
class NodeRestarted:
    node: str
    generation: int


@dataclass(frozen=True)
class LinkUp:
    node: str
    nic: str


@dataclass(frozen=True)
class LinkDead:
    node: str
    nic: str


@dataclass(frozen=True)
class LateHeartbeat:
    node: str
    interval_ms: int


@dataclass(frozen=True)
class Delivered:
    message: Message


@dataclass(frozen=True)
class Lost:
    gap: Gap


@dataclass(frozen=True)
class Dropped:
    link: str
    reason: DropReason
    detail: str


Event = (
    ViewChanged | NodeUp | NodeDead | NodeRestarted | LinkUp | LinkDead | LateHeartbeat
    | Delivered | Lost | Dropped
)


def describe(event: Event) -> str:
    """One log sentence per event."""
    match event:
        case ViewChanged(view, joined, left):
            parts = [f"view {view.id}: members {', '.join(sorted(view.members))}"]
            if joined:
                parts.append(f"joined {', '.join(sorted(joined))}")
            if left:
                parts.append(f"left {', '.join(sorted(left))}")
            parts.append("quorate" if view.quorate else "NOT quorate")
            return "; ".join(parts)
        case NodeUp(node):
            return f"node {node} is up"
        case NodeDead(node, silent):
            why = "never heard since start" if silent is None else f"silent for {silent}ms"
            return f"node {node} is dead ({why})"
        case NodeRestarted(node, generation):
            return f"node {node} restarted (generation {generation})"
        case LinkUp(node, nic):
            return f"link {node}-{nic} is up"
        case LinkDead(node, nic):
            return f"link {node}-{nic} is dead"
        case LateHeartbeat(node, interval):
            return f"late heartbeat from {node}: {interval}ms since the previous one"
        case Delivered(message):
            return f"message {message.number} from {message.sender} delivered"
        case Lost(gap):
            return f"messages {gap.first}..{gap.last} from {gap.sender} lost (partition or restart)"
        case Dropped(link, reason, detail):
            return f"dropped a packet on {link}: {reason.value} {detail}".rstrip()
