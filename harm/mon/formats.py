"""How crm_mon spells times, intervals, exit codes, execution states and operation keys.

Times follow the C library's ``ctime`` in the local time zone (``Mon Mar 29 04:43:36 2010``),
as Pacemaker's ``pcmk__epoch2str`` does; these functions read the time zone, never the clock.
"""

from __future__ import annotations

import time

from harm.cib.status import rc_text

_EXEC_STATUS = {
    -1: "pending",
    0: "complete",
    1: "Cancelled",
    2: "Timed Out",
    3: "NOT SUPPORTED",
    4: "Error",
    5: "Hard error",
    6: "Fatal error",
    7: "Not installed",
    8: "Internal communication failure",
    9: "Cannot execute now",
    10: "No fence device",
    11: "CIB secrets unavailable",
}

# Debian's Pacemaker is built without the deprecated codes 192-199: they read "unknown".
_MORE_RC = {190: "OCF_DEGRADED", 191: "promoted (degraded)"}

MS_IN_S = 1000
MS_IN_M = 60 * MS_IN_S
MS_IN_H = 60 * MS_IN_M
MS_IN_D = 24 * MS_IN_H


def epoch_text(epoch: int) -> str:
    """``ctime`` without the newline: ``Mon Mar  1 04:43:36 2010`` (local time)."""
    return time.strftime("%a %b %e %H:%M:%S %Y", time.localtime(epoch))


def iso_text(epoch: int) -> str:
    """``2010-03-29 04:32:39Z`` or ``… 06:32:39+02:00``, as crm_mon's XML failures."""
    local = time.localtime(epoch)
    offset = local.tm_gmtoff or 0
    if offset == 0:
        zone = "Z"
    else:
        sign = "+" if offset > 0 else "-"
        minutes = abs(offset) // 60
        zone = f"{sign}{minutes // 60:02d}:{minutes % 60:02d}"
    return time.strftime("%Y-%m-%d %H:%M:%S", local) + zone


def readable_interval(ms: int) -> str:
    """Pacemaker's ``pcmk__readable_interval``: ``10s``, ``1m30s``, ``1.500s``, ``200ms``.

    Faithful to its quirk of using ``>``: exactly one unit falls to the smaller one
    (``60000`` is ``60s``, ``1000`` is ``1000ms``).
    """
    out = ""
    if ms > MS_IN_D:
        out += f"{ms // MS_IN_D}d"
        ms %= MS_IN_D
    if ms > MS_IN_H:
        out += f"{ms // MS_IN_H}h"
        ms %= MS_IN_H
    if ms > MS_IN_M:
        out += f"{ms // MS_IN_M}m"
        ms %= MS_IN_M
    if ms > MS_IN_S:
        out += f"{ms // MS_IN_S}"
        if ms % MS_IN_S:
            out += f".{ms % MS_IN_S:03d}"
        out += "s"
    elif ms > 0:
        out += f"{ms}ms"
    elif not out:
        out = "0s"
    return out


def exit_text(rc: int) -> str:
    """``not running`` for 7, … as Pacemaker's ``services_ocf_exitcode_str``."""
    return _MORE_RC.get(rc) or rc_text(rc)


def exec_status_text(status: int) -> str:
    """``complete``, ``Timed Out`` … as Pacemaker's ``pcmk_exec_status_str``."""
    return _EXEC_STATUS.get(status, "UNKNOWN!")


def action_text(task: str, interval_ms: int) -> str:
    """A zero-interval monitor is a probe."""
    if task == "monitor" and interval_ms == 0:
        return "probe"
    return task


_UNDERSCORE_TASKS = ("migrate_to", "migrate_from")


def parse_op_key(key: str) -> tuple[str, str, int] | None:
    """``rsc_task_interval`` → (rsc, task, interval ms); None when it is not an op key.

    ``migrate_to``/``migrate_from`` and notification keys
    (``rsc_post_notify_start_0``) keep their underscores in the task.
    """
    head, sep, interval = key.rpartition("_")
    if not sep or not interval.isdigit() or not head:
        return None
    for task in _UNDERSCORE_TASKS:
        if head.endswith("_" + task):
            return head[: -len(task) - 1], task, int(interval)
    for when in ("pre", "post", "confirmed-pre", "confirmed-post"):
        marker = f"_{when}_notify_"
        if marker in head:
            rsc, _, rest = head.partition(marker)
            return rsc, f"{when}_notify_{rest}", int(interval)
    rsc, sep, task = head.rpartition("_")
    if not sep or not rsc:
        return None
    return rsc, task, int(interval)
