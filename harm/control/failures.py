"""Fail-counts as the coordinator records them (pure).

Pacemaker 2.1 counts failures per operation: ``fail-count-RSC#monitor_10000`` and
``last-failure-RSC#monitor_10000`` transient node attributes, which the policy engine
sums. harm writes those, and also the per-resource totals ``fail-count-RSC`` and
``last-failure-RSC`` (the names of Pacemaker 1.1 and Heartbeat), so configuration rules
such as ``defined fail-count-r_service_vip`` keep working; the engine does not count the
totals twice (it reads the per-operation names only, as Pacemaker 2.1 does).

Which results count (Pacemaker's controller): any result other than the expected one,
except a cancellation and a probe that found the resource stopped, running or promoted
(that is information, not a failure). A failed start counts INFINITY when
``start-failure-is-fatal`` is true (the default), so the resource leaves the node.
"""

from __future__ import annotations

from collections.abc import Mapping

from harm.cib.scores import INFINITY
from harm.cib.status import ExecStatus

PROBE_INFORMATION = frozenset({0, 7, 8})
INFINITY_TEXT = "INFINITY"


def counts_as_failure(action: str, interval_ms: int, rc: int, status: int,
                      target_rc: int) -> bool:
    """True when this result raises the fail-count."""
    if status == ExecStatus.CANCELLED:
        return False
    if status == ExecStatus.DONE and rc == target_rc:
        return False
    if action == "monitor" and interval_ms == 0 and status == ExecStatus.DONE:
        return rc not in PROBE_INFORMATION
    return action not in ("notify", "meta-data", "validate-all")


def failure_name(rsc: str) -> str:
    """The resource name fail-counts use: an anonymous clone's instances share the
    primitive's id (``r_pgsql:1`` → ``r_pgsql``)."""
    return rsc.split(":", 1)[0]


def _number(text: str | None) -> int:
    if text is None:
        return 0
    if text.upper().lstrip("+") == INFINITY_TEXT:
        return INFINITY
    try:
        return max(0, int(text))
    except ValueError:
        return 0


def _text(count: int) -> str:
    return INFINITY_TEXT if count >= INFINITY else str(count)


def record_failure(
    attrs: Mapping[str, str],
    rsc: str,
    action: str,
    interval_ms: int,
    now: int,
    fatal: bool,
) -> dict[str, str]:
    """The attribute writes for one counted failure of ``rsc`` (already its failure name)."""
    op_suffix = f"#{action}_{interval_ms}"
    op_count = f"fail-count-{rsc}{op_suffix}"
    new = INFINITY if fatal else min(INFINITY, _number(attrs.get(op_count)) + 1)
    writes = {op_count: _text(new), f"last-failure-{rsc}{op_suffix}": str(now)}
    merged = {**attrs, **writes}
    total = sum(_number(value) for key, value in merged.items()
                if key.startswith(f"fail-count-{rsc}#"))
    writes[f"fail-count-{rsc}"] = _text(min(total, INFINITY))
    writes[f"last-failure-{rsc}"] = str(now)
    return writes


def failure_attributes(attrs: Mapping[str, str], rsc: str | None) -> list[str]:
    """Names of the fail-count and last-failure attributes of ``rsc`` (every resource when
    None), as a cleanup removes them."""
    names = []
    for key in attrs:
        for prefix in ("fail-count-", "last-failure-"):
            if not key.startswith(prefix):
                continue
            owner = key[len(prefix):].split("#", 1)[0]
            if rsc is None or failure_name(owner) == failure_name(rsc):
                names.append(key)
    return names
