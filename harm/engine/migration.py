"""Live migration (Pacemaker's ``pcmk_sched_migration``): moving a running resource with
``migrate_to`` on its node and ``migrate_from`` on the new one instead of stop and start.

A resource moves by migration when it allows it (``allow-migrate=true``), is managed, has
not failed, has no start pending, and neither its current nor its next node is unclean.
Its ``migrate_to`` and ``migrate_from`` then come before the stop on the old node, and the
start on the new node becomes a pseudo-action (the resource is already running there).
The orderings carry the migration: a required stop or start requires ``migrate_from``
(and that ``migrate_to``); if ``migrate_from`` cannot run, the start is real again.
"""

from __future__ import annotations

from harm.cib.config import Role, is_true
from harm.engine.transition import ActionKind
from harm.engine.transition import OrderKind as K
from harm.engine.work import ROLE_RANK, Rsc, Work


def can_migrate(work: Work, rsc: Rsc) -> bool:
    """Whether ``rsc``, moving, may do it by live migration."""
    current, target = rsc.current_node, rsc.assigned
    if current is None or target is None or current == target:
        return False
    if ROLE_RANK[rsc.next_role or Role.STOPPED] < ROLE_RANK[Role.STARTED]:
        return False
    if not is_true(rsc.state.meta.get("allow-migrate", "false")):
        return False
    if not rsc.managed or rsc.failed or rsc.state.pending_task == "start":
        return False
    for node in (current, target):
        info = work.node_by_name.get(node)
        if info is None or info.unclean:
            return False
    return True


def create_migration_actions(work: Work, rsc: Rsc) -> None:
    """``migrate_to`` and ``migrate_from`` for a resource that moves by migration."""
    if not can_migrate(work, rsc):
        return
    current, target = rsc.current_node, rsc.assigned
    assert current is not None and target is not None
    start = work.action(rsc, "start", target, optional=True)
    stop = work.action(rsc, "stop", current, optional=True)
    meta = {"migrate_source": current, "migrate_target": target}
    migrate_to = work.action(rsc, "migrate_to", current, optional=True,
                             meta={**meta, "record-pending": "true"})
    migrate_from = work.action(rsc, "migrate_from", target, optional=True, meta=meta)
    for act in (start, stop, migrate_to, migrate_from):
        act.migrate_runnable = True
    start.kind = ActionKind.PSEUDO  # the resource is running there once migrate_from is done
    for probe in rsc.find_actions("monitor"):
        work.order(probe, migrate_to, K.OPTIONAL)
    work.order(migrate_to, migrate_from, K.OPTIONAL | K.IMPLIES_FIRST_MIGRATABLE)
    work.order(migrate_from, stop, K.OPTIONAL | K.IMPLIES_FIRST_MIGRATABLE)
    work.order(migrate_from, start, K.OPTIONAL | K.IMPLIES_FIRST_MIGRATABLE | K.PSEUDO_LEFT)
