"""Changes made to the CIB before scheduling, as crm_simulate's ``--node-up`` & co make them.

Order (Pacemaker's ``pcmk__inject_scheduler_input``): quorum, nodes brought up, nodes taken
down (their history and transient attributes cleared), nodes failed (up in the controller
but out of the membership), tickets granted, revoked, put on standby and activated,
operation results, then harm's node attributes. Each change adds one line under
"Performing Requested Modifications".
"""

from __future__ import annotations

from dataclasses import replace

from harm.cib.cib import Cib
from harm.cib.config import is_true
from harm.cib.status import TicketState
from harm.engine.state import ClusterState
from harm.errors import ConfigError
from harm.graph.history import StatusEditor
from harm.simulate.options import SimulateOptions


def apply_injections(cib: Cib, state: ClusterState, options: SimulateOptions,
                     now: int) -> tuple[Cib, list[str]]:
    """The CIB with the requested changes, and the lines that describe them.

    ``now`` stamps recorded results and last-failure times (crm_simulate uses the real
    clock for these, not the effective date).
    """
    lines: list[str] = []
    if options.quorum is not None:
        lines.append(f"Setting quorum: {options.quorum}")
        cib = replace(cib, have_quorum=is_true(options.quorum))
    cib, ticket_lines = _change_tickets(cib, options)
    editor = StatusEditor(cib, now)
    for node in options.node_up:
        lines.append(f"Bringing node {node} online")
        editor.set_membership(node, up=True)
    for node in options.node_down:
        lines.append(f"Taking node {node} offline")
        editor.set_membership(node, up=False)
        editor.clear_node(node)
    for node in options.node_fail:
        lines.append(f"Failing node {node}")
        entry = editor.set_membership(node, up=True)
        entry.state = replace(entry.state, in_ccm=False)
    lines += ticket_lines
    for spec in options.op_inject:
        lines.append(f"Injecting {spec} into the configuration")
        _inject_op(editor, state, spec)
        lines += editor.lines
        editor.lines.clear()
    for attr in options.node_attrs:
        lines.append(f"Injecting attribute {attr.name}={attr.value} into node "
                     f"'{attr.node}'")
        editor.set_attribute(editor.node(attr.node), attr.name, attr.value)
    return editor.result(), lines


def _change_tickets(cib: Cib, options: SimulateOptions) -> tuple[Cib, list[str]]:
    """``-g``/``-r``/``-b``/``-e``: grant, revoke, standby, activate, in that order."""
    lines: list[str] = []
    status = cib.status
    changes = (
        (options.ticket_grant, "Granting ticket {}", "granted", True),
        (options.ticket_revoke, "Revoking ticket {}", "granted", False),
        (options.ticket_standby, "Making ticket {} standby", "standby", True),
        (options.ticket_activate, "Activating ticket {}", "standby", False),
    )
    for tickets, text, field, value in changes:
        for ticket in tickets:
            lines.append(text.format(ticket))
            state = status.ticket(ticket) or TicketState(ticket)
            if field == "granted":
                state = replace(state, granted=value)
            else:
                state = replace(state, standby=value)
            status = status.with_ticket(state)
    return replace(cib, status=status), lines


def _inject_op(editor: StatusEditor, state: ClusterState, spec: str) -> None:
    """``rsc_task_interval@node=rc``: record that result (and count it if it failed)."""
    head, sep, rc_text = spec.rpartition("=")
    key, at, node_name = head.partition("@")
    try:
        rc = int(rc_text)
    except ValueError:
        rc = -1
    parts = key.rsplit("_", 2)
    if not sep or not at or rc < 0 or len(parts) != 3 or not parts[2].isdigit():
        raise ConfigError(f"invalid operation spec {spec!r}: expected "
                          "RSC_TASK_INTERVAL@NODE=RC")
    rsc_name, task, interval = parts[0], parts[1], int(parts[2])
    rsc = None
    for candidate in state.resources:
        if rsc_name in (candidate.id, candidate.history_name):
            rsc = candidate
            break
    if rsc is None or rsc.agent is None:
        raise ConfigError(f"invalid resource name {rsc_name!r} in {spec!r}")
    node = editor.node(node_name)
    editor.inject_failcount(node, rsc_name, task, interval, rc)
    history = editor.history(node, rsc_name, rsc_name, rsc.agent)
    editor.record(history, task=task, interval_ms=interval, rc=rc, target=0, node=node_name)
