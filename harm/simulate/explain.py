"""Explanation mode: for each resource, where it goes and the scores that won and lost.

For every primitive (or clone instance) the block names the chosen node and role, lists
its allocation scores best first (the winner marked), and repeats the scheduler's notes
for it, so an operator sees why without reading ``-s`` output.
"""

from __future__ import annotations

from harm.cib.scores import format_score
from harm.engine.state import ClusterState, node_name_key
from harm.engine.transition import Transition


def explanation_lines(state: ClusterState, transition: Transition) -> list[str]:
    """The "Placement Explanations" block."""
    lines = ["Placement Explanations:"]
    scores: dict[str, dict[str, int]] = {}
    for score in transition.scores:
        if score.kind == "promotion" or score.node is None:
            continue
        scores.setdefault(score.rsc, {})[score.node] = score.value
    for rsc_id, node, role in transition.placements:
        rsc = state.resource(rsc_id)
        now = "stopped"
        if rsc is not None and rsc.running_on:
            now = f"{rsc.role.value} on {', '.join(rsc.running_on)}"
        target = f"{role.value} on {node}" if node else "Stopped"
        lines.append(f"  * {rsc_id}: {target} (now {now})")
        table = scores.get(rsc_id, {})
        ranked = sorted(table.items(), key=lambda kv: (-kv[1], node_name_key(kv[0])))
        for name, value in ranked:
            mark = "  <- chosen" if name == node else ""
            lines.append(f"    * score on {name}: {format_score(value)}{mark}")
        for note in transition.notes_for(rsc_id):
            lines.append(f"    * {note.text}")
    return lines

