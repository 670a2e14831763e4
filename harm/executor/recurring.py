"""What a recurring operation reports: its first result, then only changes.

Pacemaker's executor runs a recurring monitor every interval but tells the controller only
when something changed, so a healthy resource costs no messages and the status section
holds one entry per recurring operation. A change is a different exit code or a different
execution status (a timeout after successes is a change even when the rc stays 1).
This module is the pure decision; :mod:`harm.executor.executor` applies it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Observed:
    """The last reported result of one recurring operation and since when it holds."""

    rc: int
    status: int
    since: int  # wall-clock second of the first result with this rc and status


def observe(
    last: Observed | None,
    rc: int,
    status: int,
    now: int,
) -> tuple[Observed, bool]:
    """Fold one run's result in: the new state, and whether to report this run."""
    if last is not None and last.rc == rc and last.status == status:
        return last, False
    return Observed(rc=rc, status=status, since=now), True
