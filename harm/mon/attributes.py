"""The "Node Attributes" block: every online node's attributes an operator cares about.

As crm_mon: online nodes only, in node order; names sorted bytewise; the bookkeeping
attributes (``fail-count-*``, ``last-failure-*``, ``shutdown``, ``terminate``, ``standby``
and built-ins starting with ``#``) left out. This is where harm's heartbeat link state
(``node-eth0 : up``) and the pgsql agent's status attributes show up.

A ping/pingd attribute of a connectivity resource running on the node carries the score
it should have (hosts times multiplier), so a lost or degraded link is called out.
"""

from __future__ import annotations

from dataclasses import dataclass

from harm.engine.state import ClusterState, NodeInfo

HIDDEN_PREFIXES = ("fail-count", "last-failure", "shutdown", "terminate", "standby", "#")
PING_AGENTS = ("ping", "pingd")


@dataclass(frozen=True)
class Attribute:
    """One shown attribute; ``expected`` is set for connectivity (ping) scores."""

    name: str
    value: str
    expected: int | None = None

    @property
    def connectivity(self) -> str | None:
        """``lost`` / ``degraded`` for a ping score below what is expected, else None."""
        if self.expected is None:
            return None
        try:
            score = int(self.value)
        except ValueError:
            score = 0
        if score <= 0:
            return "lost"
        if score < self.expected:
            return "degraded"
        return None


@dataclass(frozen=True)
class NodeAttributes:
    node: str
    attributes: tuple[Attribute, ...]


def node_attributes(state: ClusterState) -> tuple[NodeAttributes, ...]:
    """The attributes of each online node that has any to show."""
    result = []
    for node in state.nodes:
        if not node.online:
            continue
        names = sorted((n for n in node.attributes if not n.startswith(HIDDEN_PREFIXES)),
                       key=lambda n: n.encode())
        if not names:
            continue
        shown = tuple(Attribute(name, node.attributes[name], _expected(state, node, name))
                      for name in names)
        result.append(NodeAttributes(node.name, shown))
    return tuple(result)


def _expected(state: ClusterState, node: NodeInfo, name: str) -> int | None:
    for rsc in state.primitives():
        if node.name not in rsc.running_on or rsc.agent is None:
            continue
        if rsc.agent.type.lower() not in PING_AGENTS:
            continue
        if (rsc.params.get("name") or "pingd").lower() != name.lower():
            continue
        hosts = rsc.params.get("host_list")
        count = len(hosts.split(" ")) if hosts else 0
        try:
            multiplier = int(rsc.params.get("multiplier") or "1")
        except ValueError:
            multiplier = 1
        return count * multiplier
    return None


def attribute_lines(blocks: tuple[NodeAttributes, ...]) -> list[str]:
    """The text block (empty when no node has attributes to show)."""
    if not blocks:
        return []
    lines = ["Node Attributes:"]
    for block in blocks:
        lines.append(f"  * Node: {block.node}:")
        for attr in block.attributes:
            text = f"{attr.name:<32}\t: {attr.value:<10}"
            state = attr.connectivity
            if state == "lost":
                text += "\t: Connectivity is lost"
            elif state == "degraded":
                text += f"\t: Connectivity is degraded (Expected={attr.expected})"
            lines.append(f"    * {text}")
    return lines
