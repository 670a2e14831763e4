"""Shutdown locks (``shutdown-lock=true``): a resource on a node that shuts down cleanly
waits for that node instead of moving (Pacemaker's ``shutdown_lock`` methods).

A primitive is locked to the node its history says it was locked to (while it runs nowhere),
or, when it runs on exactly one node that is shutting down and clean, to that node from the
node's ``shutdown`` time. A locked resource is banned from every other node, and the lock
runs out after ``shutdown-lock-limit`` (when set). Fence devices are never locked; clones
are not either.
"""

from __future__ import annotations

from harm.cib.scores import INFINITY, add
from harm.engine.state import Variant
from harm.engine.work import Rsc, Work


def apply_shutdown_locks(work: Work) -> None:
    if not work.options.shutdown_lock:
        return
    for rsc in work.top:
        _lock(work, rsc)


def _lock(work: Work, rsc: Rsc) -> None:
    if rsc.variant is Variant.CLONE:
        return
    if rsc.variant is Variant.GROUP:
        for member in rsc.children:
            _lock(work, member)
        return
    agent = rsc.state.agent
    if agent is not None and agent.cls == "stonith":
        return
    node = rsc.state.lock_node
    when = rsc.state.lock_time
    if node is not None and rsc.running_on:
        node = None  # started elsewhere meanwhile: the lock is cancelled
    elif node is None and len(rsc.running_on) == 1:
        info = work.node_by_name.get(rsc.running_on[0])
        if info is not None and info.shutdown and not info.unclean:
            node = info.name
            when = _shutdown_time(work, info.attributes.get("shutdown"))
    if node is None:
        return
    rsc.lock_node = node
    limit = work.options.shutdown_lock_limit_s
    if limit > 0 and when is not None:
        expiry = when + limit + 1
        work.recheck_by = expiry if work.recheck_by is None else min(work.recheck_by, expiry)
    for other in work.nodes:
        if other.name != node:
            rsc.allowed[other.name] = add(rsc.allowed.get(other.name, 0), -INFINITY)


def _shutdown_time(work: Work, text: str | None) -> int:
    try:
        value = int(text or "0")
    except ValueError:
        value = 0
    return value or work.now
