"""Clone notifications (``notify=true``): pre- and post-notifications around each change.

For each of start, stop, promote and demote of a notifying clone there are four
pseudo-actions (Pacemaker's ``pe__clone_notif_pseudo_ops``)::

    <clone>_pre_notify_<op>_0 → <clone>_confirmed-pre_notify_<op>_0 → <clone>_<op>_0 …
    … <clone>_<done>_0 → <clone>_post_notify_<done>_0 → <clone>_confirmed-post_notify_<done>_0

(``done`` is running, stopped, promoted or demoted). An ordering after the clone's
operation waits for its confirmed post-notification.

and one ``notify`` action per instance and node between the pre (or post) pair
(``pe__create_notifications``): instances that stop or demote are notified where they
run now, instances that start or promote where they will run; a starting instance gets
no pre-notification of its own start. Notifications whose operation happens nowhere are
left out, and so is everything on an offline node or after an unrunnable pseudo-action.
The stop's post-notifications come before the start's pre-notifications; for promotable
clones the demote's come before everything else, and promote's pre after all of them.

The pseudo-actions are created with the clone's own; the per-instance notifications once
the other actions' flags are final (Pacemaker does it when expanding the clone into the
graph), so those only follow, never decide.
"""

from __future__ import annotations

from dataclasses import dataclass

from harm.cib.config import Role, is_true
from harm.engine.transition import ActionKind
from harm.engine.transition import OrderKind as K
from harm.engine.work import Act, Rsc, Work

DONE = {"start": "running", "stop": "stopped", "promote": "promoted", "demote": "demoted"}


@dataclass
class _Notes:
    task: str
    pre: Act
    pre_done: Act
    post: Act
    post_done: Act


def notifies(rsc: Rsc) -> bool:
    return rsc.state.clone is not None and bool(rsc.children) and \
        is_true(rsc.state.meta.get("notify", "false"))


def confirmed_post(work: Work, clone: Rsc, task: str) -> Act | None:
    """The action an ordering after ``clone``'s ``task`` waits for, when it notifies."""
    notes: dict[str, _Notes] = work.cache.get("notify", {}).get(clone.id, {})
    note = notes.get(task)
    return note.post_done if note is not None else None


def create_pseudo_ops(work: Work, clone: Rsc) -> None:
    """The clone-level notification pseudo-actions and their orderings."""
    tasks = ["start", "stop"]
    if clone.state.clone is not None and clone.state.clone.promotable:
        tasks += ["promote", "demote"]
    notes: dict[str, _Notes] = {}
    for task in tasks:
        begin = clone.find_action(task)
        done = clone.find_action(DONE[task])
        if begin is None or done is None:
            continue
        notes[task] = _pseudo_ops(work, clone, task, begin, done)
    _link(work, notes, "stop", "start")
    if "promote" in notes and "demote" in notes:
        for first, then in (("stop", "promote"), ("start", "promote"), ("demote", "promote"),
                            ("demote", "start"), ("demote", "stop")):
            _link(work, notes, first, then)
    work.cache.setdefault("notify", {})[clone.id] = notes


def create_notifications(work: Work) -> None:
    """Per-instance notifications, once every other action's flags are final."""
    for clone_id, notes in work.cache.get("notify", {}).items():
        clone = work.rscs[clone_id]
        for note in notes.values():
            begin = clone.find_action(note.task)
            if begin is not None:
                note.pre.optional = note.pre_done.optional = begin.optional
            happens = bool(_instance_actions(clone, note.task))
            for instance in _leaves(clone):
                _instance(work, instance, note, happens)


def _link(work: Work, notes: dict[str, _Notes], first: str, then: str) -> None:
    if first in notes and then in notes:
        work.order(notes[first].post_done, notes[then].pre, K.OPTIONAL)


def _pseudo_ops(work: Work, clone: Rsc, task: str, begin: Act, done: Act) -> _Notes:
    def pseudo(kind: str, op: str, notify_task: str, model: Act) -> Act:
        key = f"{clone.id}_{kind}_notify_{op}_0"
        act = work.action(clone, notify_task, None, kind=ActionKind.PSEUDO, name=key,
                          meta={"key": key, "notify_type": kind.rsplit("-", maxsplit=1)[-1],
                                "notify_operation": task})
        act.optional = model.optional
        act.runnable = model.runnable if kind.endswith("post") else True
        return act

    pre = pseudo("pre", task, "notify", begin)
    pre_done = pseudo("confirmed-pre", task, "notified", begin)
    post = pseudo("post", DONE[task], "notify", done)
    post_done = pseudo("confirmed-post", DONE[task], "notified", done)
    work.order(pre, pre_done, K.OPTIONAL)
    work.order(pre_done, begin, K.OPTIONAL)
    work.order(done, post, K.IMPLIES_THEN | K.RUNNABLE_LEFT)
    work.order(post, post_done, K.IMPLIES_THEN | K.RUNNABLE_LEFT)
    work.order(pre_done, post, K.OPTIONAL)
    return _Notes(task, pre, pre_done, post, post_done)


def _leaves(rsc: Rsc) -> list[Rsc]:
    return rsc.primitives()


def _instance_actions(clone: Rsc, task: str) -> list[Act]:
    found = []
    for leaf in _leaves(clone):
        for act in leaf.find_actions(task):
            if not act.optional and act.node is not None and (
                    act.runnable or (task == "stop" and _unclean(act))):
                found.append(act)
    return found


def _unclean(act: Act) -> bool:
    return act.kind is ActionKind.PSEUDO


def _instance(work: Work, rsc: Rsc, note: _Notes, happens: bool) -> None:
    task = note.task
    if task in ("start", "promote", "demote") and not happens:
        return
    if rsc.role is not Role.STOPPED and task in ("stop", "demote"):
        stop = rsc.find_action("stop")
        for node in rsc.running_on:
            if stop is not None and stop.kind is ActionKind.PSEUDO:
                continue
            _notify(work, rsc, node, note.pre, note.pre_done, "pre", task)
            if task == "demote" or stop is None or stop.optional:
                _post(work, rsc, node, note)
    if (rsc.next_role or Role.STOPPED) is not Role.STOPPED and task in ("start", "promote"):
        if rsc.assigned is None:
            return
        start = rsc.find_action("start")
        if task != "start" or start is None or start.optional:
            _notify(work, rsc, rsc.assigned, note.pre, note.pre_done, "pre", task)
        _post(work, rsc, rsc.assigned, note)


def _post(work: Work, rsc: Rsc, node: str, note: _Notes) -> None:
    act = _notify(work, rsc, node, note.post, note.post_done, "post", note.task)
    if act is None:
        return
    for mon in rsc.by_task.get("monitor", []):
        if mon.interval_ms > 0:
            work.order(note.post_done, mon, K.OPTIONAL)


def _notify(work: Work, rsc: Rsc, node: str, op: Act, done: Act, kind: str,
            task: str) -> Act | None:
    if not work.node_online(node) or not op.runnable:
        return None
    key = f"{rsc.id}_{kind}_notify_{task}_0"
    act = work.action(rsc, "notify", node, optional=True,
                      meta={"key": key, "notify_type": kind, "notify_operation": task})
    act.optional = op.optional
    work.order(op, act, K.OPTIONAL)
    work.order(act, done, K.OPTIONAL)
    return act
