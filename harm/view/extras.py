"""Optional status blocks: node attributes (``-A``) and fail counts (``-c``)."""

from __future__ import annotations

from harm.cib.scores import format_score
from harm.engine.state import ClusterState


def attribute_lines(state: ClusterState) -> list[str]:
    """crm_mon's "Node Attributes" block: online nodes, names sorted, built-ins hidden."""
    lines = ["", "  * Node Attributes:"]
    for node in state.nodes:
        if not node.online:
            continue
        shown = sorted((k, v) for k, v in node.attributes.items()
                       if not k.startswith("#") and not k.startswith("fail-count-")
                       and not k.startswith("last-failure-"))
        lines.append(f"    * Node: {node.name}:")
        lines += [f"      * {name:<32}\t: {value}" for name, value in shown]
    return lines


def failcount_lines(state: ClusterState) -> list[str]:
    """crm_mon's "Migration Summary": fail counts per node and resource."""
    lines = ["", "  * Migration Summary:"]
    by_node: dict[str, list[str]] = {}
    for entry in state.failcounts:
        rsc = state.resource(entry.rsc)
        threshold = rsc.migration_threshold if rsc is not None else 1_000_000
        by_node.setdefault(entry.node, []).append(
            f"{entry.rsc}: migration-threshold={format_score(threshold)} "
            f"fail-count={format_score(entry.count)}"
            + (f" last-failure={entry.last_failure}" if entry.last_failure else ""))
    for node in state.nodes:
        if node.name in by_node:
            lines.append(f"    * Node: {node.name}:")
            lines += [f"      * {text}" for text in by_node[node.name]]
    return lines
