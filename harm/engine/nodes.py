"""Ranking the nodes a resource may go to (Pacemaker's ``pcmk__sort_nodes``).

Best first: highest score (a node that cannot run resources counts as -INFINITY), then
fewest resources already assigned, then the node the resource runs on, then the name;
with a placement strategy other than ``default`` the comparison of
:func:`harm.engine.utilization.compare_nodes` (free capacity for ``balanced``).
"""

from __future__ import annotations

from harm.cib.scores import INFINITY
from harm.engine.utilization import sorted_nodes, uses_utilization
from harm.engine.work import Work


def sort_nodes(work: Work, weights: dict[str, int], current: str | None) -> list[str]:
    """Nodes best first, as Pacemaker's ``compare_nodes`` orders them."""
    if uses_utilization(work):
        return sorted_nodes(work, weights, current)

    def key(node: str) -> tuple[int, int, int, str]:
        weight = weights[node] if work.available(node) else -INFINITY
        active = 0 if node == current else 1
        return (-weight, work.assigned_count.get(node, 0), active, node)

    return sorted(weights, key=key)
