"""Colocation: placing a dependent resource relative to a primary one.

Unpacking (Pacemaker's ``pcmk__unpack_colocation``):

* ``rsc with with-rsc``: one colocation, ``rsc`` the dependent;
* inside a sequential set (the default), each member depends on the member before it;
  a set with ``sequential=false`` adds nothing by itself; a negative set score makes every
  member avoid every earlier member;
* between sets, the first member of a set depends on the last member of the next set.

``Started`` as a role means "any role". ``influence`` (default: the dependent's
``critical`` meta-attribute, true) lets the dependent's preferences pull the primary.

Applying (``pcmk__apply_coloc_to_weights``): once the primary is placed, a dependent with
score INFINITY can only go to nodes sharing the primary's value of ``node-attribute``
(``#uname`` by default), a finite positive score adds to those nodes, a negative one adds
to them (anti-colocation). If a finite score would leave no node available, it is rolled
back.
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import pairwise

from harm.cib.config import Colocation, ResourceSet, Role, is_true
from harm.cib.scores import INFINITY, add
from harm.engine.state import Variant
from harm.engine.work import ROLE_RANK, Coloc, Rsc, Work

UNUSABLE = -INFINITY - 1  # Pacemaker's INFINITY_HACK marker for "filtered" nodes


def unpack_colocations(work: Work) -> None:
    """Turn every colocation constraint into :class:`Coloc` pairs on the resources."""
    for constraint in work.state.configuration.constraints:
        if isinstance(constraint, Colocation):
            _unpack_one(constraint, work)


def _role(role: Role | None) -> Role | None:
    return None if role is Role.STARTED else role


def _influence(constraint: Colocation, dependent: Rsc) -> bool:
    if constraint.influence is not None:
        return constraint.influence
    critical = dependent.state.meta.get("critical")
    return True if critical is None else is_true(critical)


def _unpack_one(constraint: Colocation, work: Work) -> None:
    score = constraint.score if constraint.score is not None else 0

    def link(cid: str, dependent: Rsc, primary: Rsc, value: int,
             roles: tuple[Role | None, Role | None]) -> None:
        new_colocation(work, cid, dependent, primary, value, dependent_role=roles[0],
                       primary_role=roles[1], node_attribute=constraint.node_attribute,
                       influence=_influence(constraint, dependent))

    if not constraint.sets:
        pair = work.named(constraint.id, (constraint.rsc, constraint.with_rsc))
        if pair is None:
            return
        dependent, primary = pair
        if score != 0:
            link(constraint.id, dependent, primary, score,
                 (_role(constraint.rsc_role), _role(constraint.with_rsc_role)))
        return
    previous: tuple[ResourceSet, list[Rsc]] | None = None
    for rset in constraint.sets:
        members = work.named(constraint.id, rset.resources, rset.id)
        if members is None:
            return
        rscs = members
        local = rset.score if rset.score is not None else score
        roles = (_role(rset.role), _role(rset.role))
        if local > 0 and rset.sequential is not False:
            grouped = (rset.ordering or "group").lower() == "group"
            for before, after in pairwise(rscs):
                if grouped:
                    link(rset.id, after, before, local, roles)
                else:
                    link(rset.id, before, after, local, roles)
        elif local < 0 and rset.sequential is not False:
            for index, member in enumerate(rscs):
                for earlier in rscs[:index]:
                    link(rset.id, member, earlier, local, roles)
        if previous is not None and score != 0:
            set1, rscs1 = previous
            pair_roles = (_role(set1.role), _role(rset.role))
            dep = rscs1[0] if (set1.sequential is not False and rscs1) else None
            pri = rscs[-1] if (rset.sequential is not False and rscs) else None
            deps = [dep] if dep is not None else rscs1
            pris = [pri] if pri is not None else rscs
            for one in deps:
                for other in pris:
                    link(constraint.id, one, other, score, pair_roles)
        previous = (rset, rscs)


def new_colocation(
    work: Work,
    cid: str,
    dependent: Rsc,
    primary: Rsc,
    score: int,
    *,
    dependent_role: Role | None = None,
    primary_role: Role | None = None,
    node_attribute: str | None = None,
    influence: bool = True,
) -> Coloc | None:
    """Record one colocation on both resources (dependent's ``this_with`` first)."""
    if dependent is primary or score == 0:
        return None
    # a role only means something for a promotable clone (or something inside one)
    if not _promotable(dependent):
        dependent_role = None
    if not _promotable(primary):
        primary_role = None
    coloc = Coloc(id=cid, dependent=dependent, primary=primary, score=score,
                  dependent_role=dependent_role, primary_role=primary_role,
                  node_attribute=node_attribute or "#uname", influence=influence)
    _insert_sorted(dependent.this_with, coloc, lambda c: c.primary)
    _insert_sorted(primary.with_this, coloc, lambda c: c.dependent)
    work.colocations.append(coloc)
    return coloc


def _promotable(rsc: Rsc) -> bool:
    settings = rsc.top().state.clone
    return settings is not None and settings.promotable


def _insert_sorted(lst: list[Coloc], coloc: Coloc, key: Callable[[Coloc], Rsc]) -> None:
    """Keep colocations ordered by the other resource's priority, highest first."""
    prio = key(coloc).priority
    for index, existing in enumerate(lst):
        if key(existing).priority < prio:
            lst.insert(index, coloc)
            return
    lst.append(coloc)


# ----------------------------------------------------------------------------- applying


def this_with_for(rsc: Rsc) -> list[Coloc]:
    """Colocations where ``rsc`` (or what it stands for) is the dependent."""
    found = list(rsc.this_with)
    parent = rsc.parent
    if parent is not None and parent.variant is Variant.GROUP and parent.children \
            and parent.children[0] is rsc:
        found.extend(this_with_for(parent))
    if parent is not None and parent.variant is Variant.CLONE:
        found.extend(c for c in parent.this_with
                     if parent.all_coloc or c.score < 0 or c.score >= INFINITY)
    return found


def with_this_for(rsc: Rsc) -> list[Coloc]:
    """Colocations where ``rsc`` (or what it stands for) is the primary."""
    found = list(rsc.with_this)
    parent = rsc.parent
    if parent is not None and parent.variant is Variant.GROUP and parent.children \
            and parent.children[-1] is rsc:
        found.extend(with_this_for(parent))
    if parent is not None and parent.variant is Variant.CLONE:
        found.extend(c for c in parent.with_this
                     if c.influence and (parent.all_coloc or c.score < 0))
    return found


def affects_location(dependent: Rsc, primary: Rsc, coloc: Coloc, preview: bool) -> bool:
    """Whether the colocation changes where the dependent may go (roles permitting)."""
    if not preview and primary.provisional:
        return False
    if not preview and not dependent.provisional:
        return False
    dep_role = dependent.next_role
    pri_role = primary.next_role
    if coloc.score > 0:
        if coloc.dependent_role is not None and coloc.dependent_role is not dep_role:
            return False
        if coloc.primary_role is not None and coloc.primary_role is not pri_role:
            return False
    if coloc.score < 0:
        if coloc.dependent_role is not None and coloc.dependent_role is dep_role:
            return False
        if coloc.primary_role is not None and coloc.primary_role is pri_role:
            return False
    return True


def apply_to_weights(work: Work, dependent: Rsc, primary: Rsc, coloc: Coloc) -> None:
    """Adjust the dependent's node scores for a placed primary."""
    attribute = coloc.node_attribute
    value = work.attr(primary.assigned, attribute) if primary.assigned else None
    if primary.assigned is None and coloc.score < 0:
        return
    result = dict(dependent.allowed)
    for node, weight in result.items():
        if primary.assigned is None:
            result[node] = add(-coloc.score, weight)
        elif _same_value(work.attr(node, attribute), value):
            if coloc.score < INFINITY:
                result[node] = add(coloc.score, weight)
        elif coloc.score >= INFINITY:
            result[node] = add(-coloc.score, weight)
    if abs(coloc.score) >= INFINITY or any_available(work, result):
        dependent.allowed = result


def _same_value(a: str | None, b: str | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return a.lower() == b.lower()


def any_available(work: Work, weights: dict[str, int]) -> bool:
    return any(w >= 0 and work.available(n) for n, w in weights.items())


def best_score_matching(work: Work, rsc: Rsc, attr: str, value: str | None) -> int:
    """The best score ``rsc`` has on an available node whose ``attr`` is ``value``."""
    if attr == "#uname" and value is not None:
        # node names are unique: only that node can match (names compare case-blind)
        weight = rsc.allowed.get(value)
        if weight is not None and work.available(value):
            return max(weight, -INFINITY)
        if not any(n.lower() == value.lower() for n in rsc.allowed):
            return -INFINITY
    best = -INFINITY
    for node, weight in rsc.allowed.items():
        if weight > best and work.available(node) and _same_value(work.attr(node, attr), value):
            best = weight
    return best


def add_colocated_scores(
    work: Work,
    rsc: Rsc,
    weights: dict[str, int],
    attr: str | None,
    factor: float,
    *,
    only_positive: bool = False,
    select_active: bool = True,
    this_with: bool = False,
) -> dict[str, int]:
    """Pacemaker's ``pcmk__add_colocated_node_scores``: ``weights`` plus ``rsc``'s node
    preferences scaled by ``factor``, and, transitively, those of resources colocated
    with ``rsc``. Returns the new table (the input is left alone); rolls back to the input
    when the result would leave no node available.
    """
    if rsc.merging:
        return weights
    rsc.merging = True
    try:
        if rsc.variant.value == "group" and rsc.children:
            work_scores = add_colocated_scores(work, rsc.children[0], weights, attr, factor,
                                               only_positive=only_positive,
                                               select_active=select_active,
                                               this_with=this_with)
            if work_scores is weights:
                return weights
            result = work_scores
        else:
            result = _add_matching(work, dict(weights), rsc, attr or "#uname", factor,
                                   only_positive=only_positive)
        if any_available(work, result):
            multiplier = -1.0 if factor < 0 else 1.0
            holder = rsc.children[-1] if (rsc.variant.value == "group" and rsc.children) \
                else rsc
            # "this with" (resource sorting): the primaries of rsc's own colocations
            sources = rsc.this_with if this_with else with_this_for(holder)
            for coloc in sources:
                if not this_with and not coloc.influence:
                    continue
                result = add_colocated_scores(
                    work, coloc.primary if this_with else coloc.dependent, result,
                    coloc.node_attribute, multiplier * coloc.score / INFINITY,
                    only_positive=only_positive, select_active=True, this_with=this_with,
                )
        elif select_active:
            return weights
        if only_positive:
            result = {n: (1 if w == UNUSABLE else w) for n, w in result.items()}
        return result
    finally:
        rsc.merging = False


def _add_matching(work: Work, nodes: dict[str, int], rsc: Rsc, attr: str, factor: float,
                  *, only_positive: bool) -> dict[str, int]:
    for node, weight in list(nodes.items()):
        score = best_score_matching(work, rsc, attr, work.attr(node, attr))
        if factor < 0 and score < 0:
            continue
        if weight == UNUSABLE:
            continue
        value = factor * score
        delta = int(value - 0.5) if value < 0 else int(value + 0.5)
        if delta == 0 and score != 0:
            delta = 1 if factor > 0 else -1
        new = add(delta, weight)
        if only_positive and new < 0 and weight > 0:
            nodes[node] = UNUSABLE
            continue
        if only_positive and new < 0 and weight == 0:
            continue
        nodes[node] = new
    return nodes


def role_rank(role: Role | None) -> int:
    return 0 if role is None else ROLE_RANK[role]


# ----------------------------------------------------------------------------- blocking


def block_dependents(work: Work) -> bool:
    """A primary that cannot start (or be promoted) anywhere blocks the same action of
    its mandatory dependents, "due to colocation with" it (Pacemaker's
    ``pcmk__block_colocation_dependents``). True when something changed."""

    changed = False
    for act in list(work.actions):
        if act.runnable or act.rsc is None or act.task not in ("start", "promote"):
            continue
        top = act.rsc.top()
        if top.variant is Variant.GROUP or not top.with_this:
            continue
        if any(_reachable(child, act.task) for child in top.children):
            continue
        for coloc in top.with_this:
            if coloc.score < INFINITY:
                continue
            if act.task == "promote" and coloc.primary_role is not Role.PROMOTED:
                continue
            task = "promote" if coloc.dependent_role is Role.PROMOTED else "start"
            if _mark_blocked(coloc.dependent, task, act.rsc.id):
                changed = True
    return changed


def _reachable(child: Rsc, task: str) -> bool:
    actions = child.by_task.get(task, [])
    return not actions or actions[0].runnable


def _mark_blocked(rsc: Rsc, task: str, reason: str) -> bool:
    changed = False
    for act in rsc.by_task.get(task, []):
        if act.runnable:
            act.runnable = False
            if act.reason is None:
                act.reason = f"colocation with {reason}"
            changed = True
    for child in rsc.children:
        if _mark_blocked(child, task, reason):
            changed = True
    return changed
