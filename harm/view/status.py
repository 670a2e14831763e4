"""A whole status block: title, "Node List", a blank line, "Full List of Resources"."""

from __future__ import annotations

from harm.cib.config import Role
from harm.engine.state import ClusterState
from harm.view.nodes import node_list
from harm.view.resources import is_disabled, resource_list
from harm.view.text import Lines


def status_lines(state: ClusterState, title: str = "Current cluster status", *,
                 show_pending: bool = True) -> list[str]:
    """crm_simulate's status block for ``state`` as lines (no trailing newline)."""
    lines = Lines()
    lines.header(0, title)
    node_list(state, lines, 1)
    lines.blank()
    resource_list(state, lines, 1, show_pending=show_pending)
    return lines.render()


def render_status(state: ClusterState, title: str = "Current cluster status", *,
                  show_pending: bool = True) -> str:
    """The status block as text, one newline after each line."""
    return "".join(f"{line}\n" for line in status_lines(state, title,
                                                       show_pending=show_pending))


def resource_counts(state: ClusterState) -> tuple[int, int, int]:
    """(instances, disabled, blocked) over primitives, inactive orphans left out."""
    instances = disabled = blocked = 0
    for rsc in state.primitives():
        if rsc.orphan and rsc.role is Role.STOPPED:
            continue
        instances += 1
        if is_disabled(state, rsc):
            disabled += 1
        if rsc.blocked:
            blocked += 1
    return instances, disabled, blocked


def preamble_lines(state: ClusterState) -> list[str]:
    """What crm_simulate prints before "Current cluster status": the maintenance banner
    and the count of disabled and blocked resource instances (when there are any)."""
    lines: list[str] = []
    if state.options.maintenance_mode:
        lines += ["", "              *** Resource management is DISABLED ***",
                  "  The cluster will not attempt to start, stop or recover services"]
    elif state.options.stop_all_resources:
        lines += ["", "    *** Resource management is DISABLED ***",
                  "  The cluster will keep all resources stopped"]
    instances, disabled, blocked = resource_counts(state)
    if disabled or blocked:
        if lines:
            lines.append("")
        lines.append(f"{disabled} of {instances} resource instances DISABLED and {blocked} "
                     "BLOCKED from further action due to failure")
    return lines
