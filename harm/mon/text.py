"""The whole text page, in crm_mon 2.1's order and layout.

    Cluster Summary · Node List · Active/Full List of Resources · Node Attributes (-A)
    · Migration Summary (-f) or Operations (-o) · Failed Resource Actions

Sections are separated by one blank line. "Node List" and the resource list come from
:mod:`harm.view`, the same renderer ``harm simulate`` uses; this module only decides which
resources go in (active only, unless -r) and adds the sections around them.
"""

from __future__ import annotations

import re
from dataclasses import replace

from harm.cib.status import ResourceHistory
from harm.engine.state import ClusterState, ResourceState, Variant
from harm.mon.attributes import attribute_lines, node_attributes
from harm.mon.failures import failure_lines, history_lines, node_history
from harm.mon.fencing import fencing_lines
from harm.mon.options import MonOptions
from harm.mon.snapshot import MonSnapshot
from harm.mon.summary import summarize, summary_lines
from harm.view.nodes import node_health, node_list, node_status_text
from harm.view.resources import primitive_line, resource_list
from harm.view.text import Lines

_CLONE_STOPPED = re.compile(r"^ +\* Stopped(?: \([^)]*\))?: \[ .* \]$")


def render_text(snap: MonSnapshot, options: MonOptions) -> str:
    """The page as crm_mon -1 prints it, one newline after each line."""
    return "".join(f"{line}\n" for line in text_lines(snap, options))


def text_lines(snap: MonSnapshot, options: MonOptions) -> list[str]:
    """The page as lines."""
    state = snap.state
    sections: list[list[str]] = [summary_lines(summarize(snap))]
    if options.by_node:
        sections.append(nodes_by_node(snap))
    else:
        lines = Lines()
        node_list(state, lines, 0)
        sections.append(lines.render())
    sections.append(resource_lines(state, options))
    if options.attributes:
        sections.append(attribute_lines(node_attributes(state)))
    if options.node_history:
        sections.append(history_lines(node_history(snap, options.operations),
                                      options.operations))
    sections.append(failure_lines(state))
    sections += fencing_lines(snap.cib, options.fence_history)
    sections.append(list(snap.notes))
    out: list[str] = []
    for section in sections:
        if not section:
            continue
        if out:
            out.append("")
        out += section
    return out


def resource_lines(state: ClusterState, options: MonOptions) -> list[str]:
    """"Full List of Resources" (-r), "Active Resources", or with -n "Inactive Resources"."""
    if options.by_node:
        if not options.inactive:
            return []
        keep = [r.id for r in state.top_resources() if not fully_active(state, r)]
        title, empty = "Inactive Resources", "No inactive resources"
    elif options.inactive:
        keep = list(state.top_level)
        title, empty = "Full List of Resources", "No resources"
    else:
        keep = [r.id for r in state.top_resources() if partially_active(state, r)]
        title, empty = "Active Resources", "No active resources"
    shown, inactive_members = _without_inactive_members(state, options)
    lines = Lines()
    resource_list(replace(shown, top_level=tuple(keep)), lines, 0)
    rendered = lines.render()
    rendered[0] = f"{title}:"
    result = []
    for line in rendered:
        if line == "  * No resources":
            result.append(f"  * {empty}")
        elif options.inactive or not _CLONE_STOPPED.match(line):
            result.append(line)  # crm_mon lists a clone's stopped instances only with -r
    for group, count in inactive_members.items():
        note = f"{count} member{'' if count == 1 else 's'} inactive"
        plain, flagged = f"  * Resource Group: {group}:", f"  * Resource Group: {group} ("
        for index, line in enumerate(result):
            if line == plain:
                result[index] = f"{plain[:-1]} ({note}):"
            elif line.startswith(flagged):
                result[index] = f"{flagged}{note}, {line[len(flagged):]}"
    return result


def _without_inactive_members(state: ClusterState, options: MonOptions
                              ) -> tuple[ClusterState, dict[str, int]]:
    """Without -r, crm_mon hides a top-level group's inactive members and says how many
    there are in its heading (only when the group is partially active)."""
    if options.inactive:
        return state, {}
    counts: dict[str, int] = {}
    replaced: dict[str, ResourceState] = {}
    for rsc in state.top_resources():
        if rsc.variant is not Variant.GROUP:
            continue
        children = state.children_of(rsc.id)
        active = tuple(c.id for c in children if partially_active(state, c))
        if len(active) == len(children):
            continue
        if active:
            counts[rsc.id] = sum(1 for c in children if not fully_active(state, c))
        replaced[rsc.id] = replace(rsc, children=active)
    if not replaced:
        return state, counts
    resources = tuple(replaced.get(r.id, r) for r in state.resources)
    return replace(state, resources=resources), counts


def nodes_by_node(snap: MonSnapshot) -> list[str]:
    """-n: every node on its own line with the primitives it runs below it, in the order
    their histories appear in the node's status (the order Pacemaker learns of them)."""
    state = snap.state
    if not state.nodes:
        return []
    strategy = (state.configuration.property("node-health-strategy") or "none").lower()
    lines = ["Node List:"]
    for node in state.nodes:
        node_state = snap.cib.status.node(node.name)
        histories = node_state.resources if node_state else ()
        running = [r for r in state.primitives() if node.name in r.running_on]
        order = _history_positions(histories, running)
        running.sort(key=lambda r: order.get(r.id, len(histories)))
        text = f"Node {node.name}: {node_status_text(node, bool(running))}"
        health = node_health(state, node) if strategy != "none" else 1
        if health < 0:
            text += " (health is RED)"
        elif health == 0:
            text += " (health is YELLOW)"
        lines.append(f"  * {text}:")
        lines.append("    * Resources:")
        for rsc in running:
            # under its node a resource is shown alone, even when active on several
            here = replace(rsc, running_on=(node.name,))
            lines.append(f"      * {primitive_line(state, here, None)}")
    return lines


def _history_positions(histories: tuple[ResourceHistory, ...],
                       running: list[ResourceState]) -> dict[str, int]:
    """Where each running primitive's history stands in the node's status.

    A unique resource by its id. An anonymous clone instance (whose number the unpacker
    may have changed) by the first history of the same configured resource that leaves it
    active there, as Pacemaker only adds a resource to a node when such a history is read.
    """
    positions: dict[str, int] = {}
    taken: set[int] = set()
    for index, history in enumerate(histories):
        for rsc in running:
            if rsc.unique and rsc.id == history.id and rsc.id not in positions:
                positions[rsc.id] = index
                taken.add(index)
    for wanted_active in (True, False):
        for index, history in enumerate(histories):
            if index in taken or _leaves_active(history) is not wanted_active:
                continue
            base = history.id.split(":", 1)[0]
            for rsc in running:
                if rsc.id not in positions and not rsc.unique and rsc.config_id == base:
                    positions[rsc.id] = index
                    taken.add(index)
                    break
    return positions


def _leaves_active(history: ResourceHistory) -> bool:
    """Whether the last recorded operation leaves the resource running."""
    if not history.ops:
        return False
    last = max(history.ops, key=lambda r: r.call_id)
    if last.operation == "stop" and last.rc == 0:
        return False
    return not (last.operation == "monitor" and last.rc == 7)


def partially_active(state: ClusterState, rsc: ResourceState) -> bool:
    if rsc.variant is Variant.PRIMITIVE:
        return bool(rsc.running_on)
    return any(partially_active(state, c) for c in state.children_of(rsc.id))


def fully_active(state: ClusterState, rsc: ResourceState) -> bool:
    if rsc.variant is Variant.PRIMITIVE:
        return bool(rsc.running_on)
    children = state.children_of(rsc.id)
    return bool(children) and all(fully_active(state, c) for c in children)
