"""The order in which clone instances are considered (Pacemaker's ``pcmk__cmp_instance``)."""

from __future__ import annotations

from harm.engine.work import Rsc, Work


def instance_key(work: Work, rsc: Rsc) -> tuple[int, ...]:
    """Pacemaker's ``pcmk__cmp_instance`` as a sort key (smaller sorts first)."""
    current = rsc.current_node
    allowed = current is None or rsc.allowed.get(current, -1) >= 0
    active = current is not None
    clone = rsc.clone_parent()
    top_ok = clone is not None and current is not None and current in clone.allowed
    failed = rsc.failed or any(p.failed for p in rsc.primitives())
    return (
        len(rsc.running_on) if active else 1,
        0 if allowed else 1,
        -rsc.priority,
        0 if active else 1,
        0 if (active and current is not None and work.available(current)) else 1,
        0 if top_ok else 1,
        1 if failed else 0,
        rsc.state.instance or 0,
    )
