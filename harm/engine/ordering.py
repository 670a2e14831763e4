"""Order constraints: ``then`` waits for ``first``, and what that implies.

Kinds (``kind`` or, in old CIBs, ``score``: positive is Mandatory, 0 Optional):

* Mandatory: if ``first`` happens, ``then`` happens too (a restart of ``first`` restarts
  ``then``); if ``first`` cannot start or promote, ``then`` cannot either. With
  ``symmetrical`` (the default) the inverse holds for the inverse actions: ``then``'s stop
  comes before ``first``'s stop, and stopping ``first`` requires stopping ``then``.
  ``symmetrical=false`` keeps only the forward ordering and its blocking.
* Optional: only the order, when both happen anyway.
* Serialize: never at the same time, in no particular order (no inverse).

A group or clone's start finishes with its ``running`` pseudo-action (``stop`` with
``stopped``, ``promote`` with ``promoted``, ``demote`` with ``demoted``), so an ordering
after it waits for that. Between two clones where ``then`` is interleaved, each ``then``
instance waits only for the ``first`` instance on the same node.

Resource sets: inside a sequential set each member is ordered after the previous one;
between sets, the last member of a sequential set (every member of a non-sequential one)
comes before the first member of the next sequential set (every member otherwise).
"""

from __future__ import annotations

from itertools import pairwise

from harm.cib.config import Order, Role
from harm.engine.notify import confirmed_post, notifies
from harm.engine.state import Variant
from harm.engine.transition import OrderKind as K
from harm.engine.work import Act, Rsc, Work

INVERSE = {"start": "stop", "stop": "start", "promote": "demote", "demote": "promote"}
DONE = {"start": "running", "stop": "stopped", "promote": "promoted", "demote": "demoted"}


def apply_order_constraints(work: Work) -> None:
    for constraint in work.state.configuration.constraints:
        if isinstance(constraint, Order):
            _unpack(constraint, work)


def _kind(constraint: Order) -> str:
    if constraint.kind:
        return constraint.kind.lower()
    if constraint.score is not None:
        return "mandatory" if constraint.score > 0 else "optional"
    return "mandatory"


def _unpack(constraint: Order, work: Work) -> None:
    kind = _kind(constraint)
    symmetrical = constraint.symmetrical
    if symmetrical is None:
        symmetrical = kind != "serialize"
    if not constraint.sets:
        pair = work.named(constraint.id, (constraint.first, constraint.then))
        if pair is None:
            return
        first, then = pair
        first_action = constraint.first_action or "start"
        then_action = constraint.then_action or first_action
        needed = _relaxed_minimum(first, constraint)
        if needed:
            instances = [(child, first_action) for child in first.children]
            _one_or_more(work, f"clone-one-or-more:{constraint.id}", instances, needed,
                         [(then, then_action)], _forward(kind, first_action, symmetrical))
            return
        order_pair(work, first, first_action, then, then_action, kind=kind, symmetrical=symmetrical)
        return
    previous: list[tuple[Rsc, str]] | None = None
    previous_sequential = True
    previous_id = ""
    previous_require_all = True
    for rset in constraint.sets:
        listed = work.named(constraint.id, rset.resources, rset.id)
        if listed is None:
            return
        action = rset.action or "start"
        rscs = [(m, action) for m in listed]
        set_kind = (rset.kind or "").lower() or kind
        sequential = rset.sequential is not False
        if sequential:
            for (a, act_a), (b, act_b) in pairwise(rscs):
                order_pair(work, a, act_a, b, act_b, kind=set_kind, symmetrical=symmetrical)
        if previous is not None:
            firsts = previous[-1:] if previous_sequential else previous
            thens = rscs[:1] if sequential else rscs
            if not previous_require_all:
                _one_or_more(work, f"one-or-more:{previous_id}", previous, 1, thens,
                             _forward(kind, previous[0][1] if previous else "start",
                                      symmetrical))
            else:
                for a, act_a in firsts:
                    for b, act_b in thens:
                        order_pair(work, a, act_a, b, act_b, kind=kind,
                                   symmetrical=symmetrical)
        previous = rscs
        previous_sequential = sequential
        previous_id = rset.id
        previous_require_all = rset.require_all is not False or sequential


def _relaxed_minimum(first: Rsc, constraint: Order) -> int:
    """How many ``first`` instances must be runnable when not all are required:
    ``clone-min`` of a first clone, or 1 with ``require-all=false``; 0 when all are."""
    if first.variant is not Variant.CLONE:
        return 0
    clone_min = first.state.meta.get("clone-min")
    try:
        minimum = int(clone_min) if clone_min is not None else 0
    except ValueError:
        minimum = 0
    if minimum > 0:
        return minimum
    return 1 if constraint.require_all is False else 0


def _forward(kind: str, first_action: str, symmetrical: bool) -> K:
    if kind == "optional":
        return K.OPTIONAL
    if kind == "serialize":
        return K.SERIALIZE
    if not symmetrical:
        return K.ASYMMETRIC
    flags = K.IMPLIES_THEN
    if first_action in ("start", "promote"):
        flags |= K.RUNNABLE_LEFT
    return flags


def _one_or_more(work: Work, name: str, firsts: list[tuple[Rsc, str]], needed: int,
                 thens: list[tuple[Rsc, str]], kind: K) -> None:
    """Order ``thens`` after a pseudo-action that is runnable once ``needed`` of ``firsts``
    are (Pacemaker's ``clone-one-or-more:`` / ``one-or-more:`` actions)."""
    pseudo = work.pseudo(name, name)
    pseudo.meta["key"] = name
    pseudo.meta["required_runnable"] = str(needed)
    if pseudo not in work.relaxed:
        work.relaxed.append(pseudo)
    for rsc, action in firsts:
        task = DONE.get(action, action) if _collective(rsc) else action
        for act in rsc.find_actions(task) or _missing_first(work, rsc, task):
            work.order(act, pseudo, K.ONE_OR_MORE)
    for rsc, action in thens:
        for act in rsc.find_actions(action):
            work.order(pseudo, act, kind | K.RUNNABLE_LEFT)


def order_pair(work: Work, first: Rsc, first_action: str, then: Rsc, then_action: str,
               *, kind: str, symmetrical: bool) -> None:
    """One ordering (and, when symmetrical, its inverse) between two resources."""
    if kind == "optional":
        forward = K.OPTIONAL
    elif kind == "serialize":
        forward = K.SERIALIZE
    elif symmetrical:
        forward = K.IMPLIES_THEN
        if first_action in ("start", "promote"):
            forward |= K.RUNNABLE_LEFT
    else:
        forward = K.ASYMMETRIC
    _connect(work, first, first_action, then, then_action, kind=forward)
    if symmetrical and kind != "serialize":
        inv_first = INVERSE.get(first_action)
        inv_then = INVERSE.get(then_action)
        if inv_first is None or inv_then is None:
            return
        # Pacemaker marks the inverse "implies first"; in 2.1.5 that changes no flag of a
        # primitive's action, except that an unmanaged blocked stop blocks the other stop.
        inverse = K.IMPLIES_FIRST if kind == "mandatory" else K.OPTIONAL
        _connect(work, then, inv_then, first, inv_first, kind=inverse)


def _collective(rsc: Rsc) -> bool:
    return rsc.variant is not Variant.PRIMITIVE


def _connect(work: Work, first: Rsc, first_action: str, then: Rsc, then_action: str,
             *, kind: K) -> None:
    if (first.variant is Variant.CLONE and then.variant is Variant.CLONE
            and then.state.clone is not None and then.state.clone.interleave):
        _interleave(work, first, first_action, then, then_action, kind=kind)
        return
    first_task = DONE.get(first_action, first_action) if _collective(first) else first_action
    firsts = first.find_actions(first_task) or _missing_first(work, first, first_task)
    if first.variant is Variant.CLONE and notifies(first) and first_action in DONE:
        confirmed = confirmed_post(work, first, first_action)
        if confirmed is not None:
            firsts = [confirmed]
    thens = then.find_actions(then_action)
    for a in firsts:
        for b in thens:
            work.order(a, b, kind)


def _inhibit(instance: Rsc) -> None:
    """No instance to depend on runs on its node: the instance is kept from running
    (Pacemaker reassigns it to no node)."""
    for member in [instance, *instance.primitives()]:
        if member.assigned is None:
            continue
        member.assigned = None
        member.next_role = Role.STOPPED
        for task in ("start", "promote"):
            for act in member.find_actions(task):
                act.runnable = False


def _missing_first(work: Work, first: Rsc, task: str) -> list[Act]:
    """An ordering after an action that will not happen still blocks what follows it:
    Pacemaker creates the missing action (optional, on no node, so unrunnable)."""
    if first.role is Role.STOPPED and task == "stop":
        return []
    if first.role is Role.UNPROMOTED and task == "demote":
        return []
    if first.variant is not Variant.PRIMITIVE:
        return []
    # Observed in Pacemaker 2.1.5: the stand-in is required when the resource is
    # active now (it is being stopped), optional otherwise.
    return [work.action(first, task, None, optional=not first.running_on)]


def _interleave(work: Work, first: Rsc, first_action: str, then: Rsc, then_action: str,
                *, kind: K) -> None:
    for child in then.children:
        node = child.assigned or child.current_node
        partner = None
        for candidate in first.children:
            where = candidate.assigned or candidate.current_node
            if node is not None and where == node:
                partner = candidate
                break
        thens = child.find_actions(then_action)
        if partner is None:
            if kind & (K.RUNNABLE_LEFT | K.IMPLIES_THEN):
                _inhibit(child)
            continue
        first_task = DONE.get(first_action, first_action) if _collective(partner) \
            else first_action
        for a in partner.find_actions(first_task):
            for b in thens:
                work.order(a, b, kind)
