"""Optional status blocks: node attributes (``-A``) and fail counts (``-c``).

Times are shown in UTC (the view reads no local settings).
"""

from __future__ import annotations

import time

from harm.cib.scores import format_score
from harm.engine.state import ClusterState

_HIDDEN = ("fail-count", "last-failure", "shutdown", "terminate", "standby", "#")


def attribute_lines(state: ClusterState) -> list[str]:
    """crm_mon's "Node Attributes" block: online nodes that have attributes to show
    (internal, failure, shutdown and standby ones hidden), names sorted."""
    lines: list[str] = []
    for node in state.nodes:
        if not node.online:
            continue
        shown = sorted((k, v) for k, v in node.attributes.items()
                       if not k.startswith(_HIDDEN))
        if not shown:
            continue
        if not lines:
            lines = ["", "  * Node Attributes:"]
        lines.append(f"    * Node: {node.name}:")
        lines += [f"      * {name:<32}\t: {value}" for name, value in shown]
    return lines


def failcount_lines(state: ClusterState) -> list[str]:
    """crm_mon's "Migration Summary": per online node, each resource with history there and
    a recorded fail count (expired or not), its migration-threshold and last failure."""
    lines = ["", "  * Migration Summary:"]
    for node in state.nodes:
        if not node.online:
            continue
        entries = []
        for rsc in state.primitives():
            if rsc.history_on(node.name) is None:
                continue
            entry = state.failcount(rsc.id, node.name)
            if entry is None or entry.raw_count <= 0:
                continue
            text = (f"{rsc.id}: migration-threshold={rsc.migration_threshold} "
                    f"fail-count={format_score(entry.raw_count)}")
            if entry.last_failure:
                when = time.strftime("%a %b %d %H:%M:%S %Y", time.gmtime(entry.last_failure))
                text += f" last-failure='{when}'"
            entries.append(text)
        if entries:
            lines.append(f"    * Node: {node.name}:")
            lines += [f"      * {text}" for text in entries]
    return lines
