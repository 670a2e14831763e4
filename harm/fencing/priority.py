"""Each node's total resource priority, for ``priority-fencing-delay`` (it reads the
engine's unpacked state, so it lives apart from the pure plan that verify also uses)."""

from __future__ import annotations

from harm.cib.config import Role
from harm.engine.state import ClusterState, Variant


def node_priorities(state: ClusterState) -> dict[str, int]:
    """Each node's total resource priority (for priority-fencing-delay): the ``priority``
    of every resource instance active there (a clone's instances take the clone's), a
    promoted instance counting one more when that priority is not 0."""
    totals = {node.name: 0 for node in state.nodes}
    for rsc in state.resources:
        if rsc.variant is not Variant.PRIMITIVE or not rsc.running_on:
            continue
        priority = rsc.priority
        parent = rsc.parent
        while priority == 0 and parent is not None:
            owner = state.resource(parent)
            if owner is None:
                break
            priority, parent = owner.priority, owner.parent
        if priority == 0:
            continue
        bonus = 1 if rsc.role is Role.PROMOTED else 0
        for node in rsc.running_on:
            totals[node] = totals.get(node, 0) + priority + bonus
    return totals
