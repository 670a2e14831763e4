"""The order of synapses in a transition graph, as Pacemaker's graph producer writes them.

``pcmk__create_graph`` adds, for each top-level resource in priority order, the
resource's own actions and then its children's; a clone adds its instances first and its
own pseudo-actions after them. Actions that belong to no resource (fencing, shutdown)
follow. Pacemaker prepends new actions to its lists, so within each list the newest
action comes first. The runner fires synapses in this order,
which is what fixes the order of crm_simulate's "Executing Cluster Transition" lines.
"""

from __future__ import annotations

from collections import defaultdict

from harm.engine.state import ClusterState, Variant
from harm.engine.transition import Action, Transition


def synapse_order(transition: Transition, state: ClusterState) -> list[Action]:
    """Executable actions of ``transition`` in graph order."""
    by_rsc: dict[str | None, list[Action]] = defaultdict(list)
    for action in transition.actions:
        if action.executable:
            by_rsc[action.rsc].append(action)
    ordered: list[Action] = []
    seen: set[int] = set()

    def own(rsc_id: str) -> None:
        for action in sorted(by_rsc.get(rsc_id, ()), key=lambda a: -a.id):
            if action.id not in seen:
                seen.add(action.id)
                ordered.append(action)

    def visit(rsc_id: str) -> None:
        rsc = state.resource(rsc_id)
        if rsc is None:
            own(rsc_id)
            return
        if rsc.variant is Variant.CLONE:
            for child in rsc.children:
                visit(child)
            own(rsc_id)
        else:
            own(rsc_id)
            for child in rsc.children:
                visit(child)

    for top in state.top_level:
        visit(top)
    for action in sorted(transition.actions, key=lambda a: -a.id):
        if action.executable and action.id not in seen:
            seen.add(action.id)
            ordered.append(action)
    return ordered
