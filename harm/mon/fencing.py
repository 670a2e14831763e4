"""The fencing history (the CIB's ``<fencing_history>``) as crm_mon shows it.

``-m``/``--fence-history[=LEVEL]``, as crm_mon takes it:

    0  nothing
    1  failed and pending operations (the default without -m)
    2  also successful ones (``-m`` alone), the newest of each kind per target and action
    3  every recorded operation

Text sections: "Failed Fencing Actions", "Pending Fencing Actions", "Fencing History";
XML: ``<fence_history><fence_event …/></fence_history>`` as crm_mon writes it.
"""

from __future__ import annotations

import time
import xml.etree.ElementTree as ET

from harm.cib.cib import Cib
from harm.cib.status import FenceEvent, FenceState

DEFAULT_LEVEL = 1
LEVEL_WITH_OPTION = 2


def completed_text(epoch: int) -> str:
    """``2026-12-04 18:14:48 +00:00`` (crm_mon's fencing times: local time and offset)."""
    local = time.localtime(epoch)
    offset = local.tm_gmtoff or 0
    sign = "-" if offset < 0 else "+"
    hours, minutes = divmod(abs(offset) // 60, 60)
    return time.strftime("%Y-%m-%d %H:%M:%S", local) + f" {sign}{hours:02d}:{minutes:02d}"


def shown_events(cib: Cib, level: int) -> list[FenceEvent]:
    """The events the level shows, newest first."""
    if level <= 0:
        return []
    events = sorted(cib.status.fencing, key=lambda e: e.completed, reverse=True)
    if level < 2:
        events = [e for e in events if e.state is not FenceState.SUCCESS]
    if level >= 3:
        return events
    seen: set[tuple[str, str, FenceState]] = set()
    reduced = []
    for event in events:
        key = (event.target, event.action, event.state)
        if key in seen and event.state is not FenceState.PENDING:
            continue
        seen.add(key)
        reduced.append(event)
    return reduced


def event_text(event: FenceEvent) -> str:
    head = f"{event.action} of {event.target}"
    if event.state is FenceState.PENDING:
        who = f"delegate={event.delegate}, " if event.delegate else ""
        return f"{head} pending: {who}client={event.client}, origin={event.origin}"
    if event.state is FenceState.FAILED:
        reason = f" ({event.exit_reason})" if event.exit_reason else ""
        return (f"{head} failed{reason}: delegate={event.delegate or 'none'}, "
                f"client={event.client}, origin={event.origin}, "
                f"last-failed='{completed_text(event.completed)}'")
    device = f" by {event.device}" if event.device else ""
    return (f"{head} successful{device}: delegate={event.delegate}, client={event.client}, "
            f"origin={event.origin}, completed='{completed_text(event.completed)}'")


def fencing_lines(cib: Cib, level: int) -> list[list[str]]:
    """The text sections (each a list of lines) for ``level``."""
    events = shown_events(cib, level)
    failed = [e for e in events if e.state is FenceState.FAILED]
    pending = [e for e in events if e.state is FenceState.PENDING]
    sections = []
    if level >= 2:
        if events:
            sections.append(["Fencing History:"] + [f"  * {event_text(e)}" for e in events])
        return sections
    if failed:
        sections.append(["Failed Fencing Actions:"] + [f"  * {event_text(e)}" for e in failed])
    if pending:
        sections.append(["Pending Fencing Actions:"]
                        + [f"  * {event_text(e)}" for e in pending])
    return sections


def fence_history_element(cib: Cib, level: int) -> ET.Element | None:
    events = shown_events(cib, level)
    if not events:
        return None
    root = ET.Element("fence_history", {"status": "0"})
    for event in events:
        elem = ET.SubElement(root, "fence_event", {"status": event.state.value})
        if event.state is FenceState.FAILED and event.exit_reason:
            elem.set("exit-reason", event.exit_reason)
        if event.delegate:
            elem.set("delegate", event.delegate)
        elem.set("action", event.action)
        elem.set("target", event.target)
        elem.set("client", event.client)
        elem.set("origin", event.origin)
        if event.state is not FenceState.PENDING:
            elem.set("completed", completed_text(event.completed))
    return root
