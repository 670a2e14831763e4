"""The "Node List" block: healthy nodes summarised, the others one line each.

As Pacemaker's ``node-list`` text output: nodes in name order; a node that is unclean,
pending, in standby or maintenance, or not green, gets its own ``Node NAME: state`` line;
the rest are collected into ``Online: [ … ]`` and ``OFFLINE: [ … ]``.
"""

from __future__ import annotations

from harm.cib.scores import INFINITY, parse_score
from harm.engine.state import ClusterState, NodeInfo, Variant
from harm.view.text import Lines


def node_list(state: ClusterState, lines: Lines, depth: int) -> None:
    """Append the "Node List" block at ``depth``."""
    if not state.nodes:
        return
    lines.header(depth, "Node List")
    online: list[str] = []
    offline: list[str] = []
    busy = _nodes_with_resources(state)
    strategy = (state.configuration.property("node-health-strategy") or "none").lower()
    for node in state.nodes:
        health = node_health(state, node) if strategy != "none" else 1
        if (node.unclean or node.pending or (node.standby_onfail and node.online)
                or node.standby or node.maintenance or health <= 0):
            text = f"Node {node.name}: {node_status_text(node, node.name in busy)}"
            if health < 0:
                text += " (health is RED)"
            elif health == 0:
                text += " (health is YELLOW)"
            lines.item(depth + 1, text)
        elif node.online:
            online.append(node.name)
        else:
            offline.append(node.name)
    if online:
        lines.item(depth + 1, f"Online: [ {' '.join(online)} ]")
    if offline:
        lines.item(depth + 1, f"OFFLINE: [ {' '.join(offline)} ]")


def node_status_text(node: NodeInfo, has_resources: bool) -> str:
    """``online``, ``standby (with active resources)``, ``UNCLEAN (offline)`` …"""
    if node.unclean:
        if node.online:
            return "UNCLEAN (online)"
        if node.pending:
            return "UNCLEAN (pending)"
        return "UNCLEAN (offline)"
    if node.pending:
        return "pending"
    if node.standby_onfail and node.online:
        return "standby (on-fail)"
    if node.standby:
        if node.online:
            return "standby (with active resources)" if has_resources else "standby"
        return "OFFLINE (standby)"
    if node.maintenance:
        return "maintenance" if node.online else "OFFLINE (maintenance)"
    return "online" if node.online else "OFFLINE"


def node_health(state: ClusterState, node: NodeInfo) -> int:
    """1 green, 0 yellow, -1 red, from the node's ``#health*`` attributes."""
    red = _score(state.configuration.property("node-health-red"), -INFINITY)
    yellow = _score(state.configuration.property("node-health-yellow"), 0)
    green = _score(state.configuration.property("node-health-green"), 0)
    result = 1
    for name, value in node.attributes.items():
        if not name.startswith("#health"):
            continue
        word = value.strip().lower()
        if word == "red":
            return -1
        if word == "yellow":
            result = 0
            continue
        score = _score(value, 0)
        if score <= red:
            return -1
        if score <= yellow and yellow != green:
            result = 0
    return result


def _score(text: str | None, default: int) -> int:
    if text is None:
        return default
    try:
        return parse_score(text)
    except ValueError:
        return default


def _nodes_with_resources(state: ClusterState) -> set[str]:
    busy: set[str] = set()
    for rsc in state.resources:
        if rsc.variant is Variant.PRIMITIVE:
            busy.update(rsc.running_on)
    return busy
