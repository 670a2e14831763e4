"""``-s``: one line and a monitoring-plugin exit code (0 OK, 1 WARN, 2 CRIT).

As crm_mon: WARN when there is no DC or a node is offline; else OK with the counts.
harm adds one rule: failed resource actions turn an OK into WARN, since a failed monitor
is exactly what a monitoring check should raise.
"""

from __future__ import annotations

from dataclasses import dataclass

from harm.mon.failures import shown_failures
from harm.mon.snapshot import MonSnapshot
from harm.view.status import resource_counts

OK, WARN, CRIT = 0, 1, 2


@dataclass(frozen=True)
class SimpleStatus:
    line: str
    code: int


def simple_status(snap: MonSnapshot) -> SimpleStatus:
    state = snap.state
    online = standby = maintenance = 0
    offline: list[str] = []
    for node in state.nodes:
        if node.standby and node.online:
            standby += 1
        elif node.maintenance and node.online:
            maintenance += 1
        elif node.online:
            online += 1
        else:
            offline.append(f"offline node: {node.name}")
    no_dc = not any(n.is_dc for n in state.nodes)
    if no_dc or offline:
        parts = (["No DC"] if no_dc else []) + ([" ".join(offline)] if offline else [])
        return SimpleStatus("CLUSTER WARN: " + ", ".join(parts), WARN)
    failures = len(shown_failures(state))
    if failures:
        return SimpleStatus(f"CLUSTER WARN: {failures} failed resource action{_s(failures)}",
                            WARN)
    text = f"CLUSTER OK: {online} node{_s(online)} online"
    if standby:
        text += f", {standby} standby node{_s(standby)}"
    if maintenance:
        text += f", {maintenance} maintenance node{_s(maintenance)}"
    instances = resource_counts(state)[0]
    text += f", {instances} resource instance{_s(instances)} configured"
    return SimpleStatus(text, OK)


def unavailable_status(reason: str) -> SimpleStatus:
    return SimpleStatus(f"CLUSTER CRIT: Connection to cluster failed: {reason}", CRIT)


def _s(count: int) -> str:
    return "" if count == 1 else "s"
