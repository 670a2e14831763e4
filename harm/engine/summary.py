"""The "Transition Summary": one decision per resource that changes, read off its actions.

This follows crm_simulate's rules (Pacemaker's ``rsc_action_default``): a resource whose
role stays the same is *Restarted* when its start is required, *Moved* when the start is
elsewhere, *Recovered* when it failed, *Stopped* when its start cannot run, and
*Re-promoted* when only a demote and promote are required; otherwise the verb is the
change of role (*Stop*, *Recover*, *Move*, *Restart*, *Demote*, *Promote*, *Start*).
Unmanaged resources and resources that neither run nor will run are left out.
A line says ``due to …`` when the deciding action was forced by another one, and
``(blocked)`` when that action cannot run.
"""

from __future__ import annotations

from harm.cib.config import Role
from harm.engine.transition import Decision, Note, Verb
from harm.engine.work import ROLE_RANK, Act, Rsc, Work


def summarize(work: Work) -> None:
    for rsc in work.top:
        _resource(work, rsc)


def _resource(work: Work, rsc: Rsc) -> None:
    if rsc.children:
        for child in rsc.children:
            _resource(work, child)
        return
    if not rsc.is_primitive:
        return
    nxt = rsc.assigned
    current = rsc.current_node
    role = rsc.role
    if rsc.running_on and role is Role.STOPPED:
        role = Role.STARTED
    if current is None and rsc.state.orphan:
        return
    if not rsc.managed or (current is None and nxt is None):
        return
    next_role = rsc.next_role or Role.STOPPED
    moving = current is not None and nxt is not None and current != nxt
    start = _first(rsc, "start", nxt)
    start_node = current if (start is not None and start.runnable) else None
    stop = _first(rsc, "stop", start_node)
    promote = _first(rsc, "promote", nxt)
    demote = _first(rsc, "demote", nxt)

    def emit(verb: Verb, origin: str | None, dest: str | None, action: Act | None,
             source: Act | None = None) -> None:
        if action is None:
            return
        src = source or action
        work.decisions.append(Decision(
            rsc=rsc.id, verb=verb, role=role, next_role=next_role, origin=origin,
            destination=dest, reason=src.reason, blocked=not action.runnable,
        ))
        work.notes.append(Note(rsc=rsc.id, text=_note(verb, rsc, origin, dest, src)))

    if role is next_role:
        if nxt is None:
            return
        migrate = _first(rsc, "migrate_from", nxt)
        if migrate is not None and current is not None and migrate.runnable:
            emit(Verb.MIGRATE, current, nxt, start)
            return
        if start is None or start.optional:
            if demote is not None and promote is not None and not demote.optional \
                    and not promote.optional:
                emit(Verb.REPROMOTE, current, nxt, promote, demote)
            return
        if not start.runnable:
            emit(Verb.STOP, current, None, stop,
                 stop if (stop is not None and stop.reason) else start)
        elif moving and current is not None:
            emit(Verb.RECOVER if rsc.failed else Verb.MOVE, current, nxt, stop)
        elif rsc.failed:
            emit(Verb.RECOVER, current, None, stop)
        else:
            emit(Verb.RESTART, current, nxt, start)
        return

    if stop is not None and (next_role is Role.STOPPED
                             or (start is not None and not start.runnable)):
        for node in rsc.running_on:
            stop_op = _first(rsc, "stop", node)
            emit(Verb.STOP, node, None, stop_op,
                 stop_op if (stop_op is not None and stop_op.reason) else start)
    elif stop is not None and rsc.failed and not stop.optional:
        emit(Verb.RECOVER, current, nxt, stop, start)
    elif moving:
        emit(Verb.MOVE, current, nxt, stop)
    elif stop is not None and not stop.optional:
        emit(Verb.RESTART, current, nxt, start)
    elif role is Role.PROMOTED:
        emit(Verb.DEMOTE, current, nxt, demote)
    elif next_role is Role.PROMOTED:
        emit(Verb.PROMOTE, current, nxt, promote)
    elif role is Role.STOPPED and ROLE_RANK[next_role] > ROLE_RANK[Role.STOPPED]:
        emit(Verb.START, current, nxt, start)


def _first(rsc: Rsc, task: str, node: str | None) -> Act | None:
    for act in rsc.actions:
        if act.task == task and act.interval_ms == 0 and (node is None or act.node == node):
            return act
    return None


def _note(verb: Verb, rsc: Rsc, origin: str | None, dest: str | None, source: Act) -> str:
    where = dest or origin or "nowhere"
    score = rsc.allowed.get(dest, 0) if dest else None
    text = f"{verb.value} {rsc.id} on {where}"
    if score is not None:
        text += f" (score {score})"
    if source.reason:
        text += f" because of {source.reason}"
    elif verb is Verb.STOP and dest is None:
        text += " because no node can run it"
    return text
