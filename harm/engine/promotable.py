"""Promotable clones: which instances become Promoted (Pacemaker's ``pcmk_sched_promotable``).

After the instances are placed, each placed instance gets a promotion priority:

* its promotion score, the node attribute ``master-<instance>`` (or ``master-<clone
  child id>`` for anonymous clones) on its node, or -1 when there is none;
* plus the location scores limited to the Promoted role, on its node;
* plus colocations that name the Promoted role (``X with ms:Promoted`` pulls X's
  preferences in; ``ms:Promoted with Y`` needs Y on the same node);
* an instance that must not be promoted (target-role Unpromoted) gets -INFINITY.

Instances are then sorted by priority (then current role) and the first
``promoted-max`` eligible ones (non-negative priority, at most ``promoted-node-max`` per
node, node can run resources) become Promoted; the others Unpromoted (or Stopped when
not placed).
"""

from __future__ import annotations

import re

from harm.cib.config import Role
from harm.cib.scores import INFINITY, add, char2score, format_score
from harm.engine.colocation import add_colocated_scores, this_with_for
from harm.engine.instances import instance_key
from harm.engine.location import RoleLocation
from harm.engine.tickets import forbids_promotion
from harm.engine.transition import Note, Score
from harm.engine.work import ROLE_RANK, Coloc, Rsc, Work


def add_promotion_scores(work: Work, clone: Rsc) -> None:
    """Before placement, a positive promotion score also attracts the instance to the node,
    and the best one becomes the instance's priority (Pacemaker's
    ``pcmk__add_promotion_scores``)."""
    for child in clone.children:
        for node in list(child.allowed):
            if not work.available(node):
                continue
            score = _promotion_score(work, child, node, placement=True) or 0
            if score > 0:
                child.allowed[node] = add(child.allowed[node], score)
                for member in child.primitives():
                    if member is not child and node in member.allowed:
                        member.allowed[node] = add(member.allowed[node], score)
            child.priority = max(child.priority, score)


def _applies(work: Work, rsc: Rsc, node: str) -> bool:
    """Whether a promotion score recorded for ``node`` counts (it was probed there)."""
    clone = rsc.clone_parent()
    unique = clone is not None and clone.state.clone is not None and clone.state.clone.unique
    if not unique and clone is not None:
        active = next((c for c in clone.primitives()
                       if c.state.config_id == rsc.state.config_id and node in c.running_on),
                      None)
        if active is rsc:
            return True
        if active is None and any(node in c.state.known_on for c in clone.primitives()
                                  if c.state.config_id == rsc.state.config_id):
            return True
    if not rsc.running_on and not rsc.state.known_on:
        return True
    return node in rsc.state.known_on or node in rsc.running_on


def _promotion_score(work: Work, rsc: Rsc, node: str, *, placement: bool = False) -> int | None:
    if rsc.children:
        total = 0
        found = False
        for child in rsc.children:
            score = _promotion_score(work, child, node, placement=placement)
            if score is not None:
                found = True
                total += score
        return total if found else None
    if not _applies(work, rsc, node):
        return 0
    names = [_history_name(rsc), rsc.id]
    base = rsc.state.config_id
    if base not in names:
        names.append(base)
    for name in names:
        value = work.attr(node, f"master-{name}")
        if value is not None:
            return char2score(value)
    return None


def _history_name(rsc: Rsc) -> str:
    """The name the instance's history was recorded under (Pacemaker's ``clone_name``):
    an anonymous instance may be ``db:0`` here but ``db:1`` in the node's history."""
    pattern = re.compile(re.escape(rsc.state.config_id) + r"(?:[:-](\d+))?_")
    found = None
    for entry in rsc.state.history:
        if entry.node not in rsc.running_on:
            continue
        for record in entry.ops:
            match = pattern.match(record.id)
            if match and not (record.operation == "monitor" and record.interval_ms == 0):
                number = match.group(1)
                found = rsc.state.config_id + (f":{number}" if number else "")
    return found or rsc.id


def set_instance_roles(work: Work, clone: Rsc) -> None:
    settings = clone.state.clone
    promoted_max = settings.promoted_max if settings is not None else 1
    node_max = settings.promoted_node_max if settings is not None else 1
    locations: list[RoleLocation] = work.promoted_locations
    for instance in clone.children:
        if instance.role is Role.STARTED:
            instance.role = Role.UNPROMOTED
            for member in instance.primitives():
                if member.role is Role.STARTED:
                    member.role = Role.UNPROMOTED
        _set_priority(work, clone, instance, locations)
    weights = dict(clone.allowed)
    for instance in clone.children:
        if instance.promotion_score >= 0 and instance.assigned is not None \
                and instance.assigned in weights:
            weights[instance.assigned] = add(instance.promotion_score,
                                             weights[instance.assigned])
    for coloc in clone.this_with:
        if coloc.dependent_role is Role.PROMOTED:
            weights = add_colocated_scores(work, coloc.primary, weights, coloc.node_attribute,
                                           coloc.score / INFINITY,
                                           select_active=coloc.score < INFINITY)
    for coloc in clone.with_this:
        if coloc.primary_role is Role.PROMOTED and coloc.influence:
            weights = add_colocated_scores(work, coloc.dependent, weights,
                                           coloc.node_attribute, coloc.score / INFINITY,
                                           only_positive=True, select_active=True)
    if forbids_promotion(work, clone):
        weights = {node: -INFINITY for node in weights}
    for instance in clone.children:
        if not instance.managed and instance.next_role is Role.PROMOTED:
            instance.sort_index = INFINITY
        elif instance.assigned is None or instance.sort_index < 0:
            pass
        else:
            instance.sort_index = weights.get(instance.assigned, 0)
    for instance in clone.children:
        instance.priority = instance.promotion_score
    ordered = sorted(
        clone.children,
        key=lambda i: (-i.sort_index, -ROLE_RANK[i.role], *instance_key(work, i)),
    )
    counts: dict[str, int] = {}
    promoted = 0
    for instance in ordered:
        work.scores.append(Score(kind="promotion", rsc=instance.id, node=instance.assigned,
                                 value=instance.sort_index))
        chosen = None
        if instance.sort_index >= 0 and (promoted < promoted_max or not clone.managed):
            chosen = _promotable_on(work, instance, counts, node_max)
        if chosen is not None and ROLE_RANK[instance.role] < ROLE_RANK[Role.PROMOTED] and \
                not work.options.have_quorum and work.options.no_quorum_policy == "freeze":
            chosen = None
        if chosen is not None and not work.options.have_quorum and \
                work.options.no_quorum_policy == "demote":
            chosen = None  # no-quorum-policy=demote: nothing stays or becomes promoted
        if chosen is None:
            _set_next(instance, Role.UNPROMOTED if instance.assigned else Role.STOPPED)
            if instance.assigned is not None:
                why = ("its promotion priority is negative" if instance.sort_index < 0
                       else f"promoted-max {promoted_max} reached or the node may not")
                work.notes.append(Note(rsc=instance.id, text=(
                    f"not promoted on {instance.assigned}: priority "
                    f"{format_score(instance.sort_index)}, {why}")))
            continue
        work.notes.append(Note(rsc=instance.id, text=(
            f"promoted on {chosen}: priority {format_score(instance.sort_index)} from its "
            f"promotion score, Promoted-role locations and colocations; rank "
            f"{promoted + 1} of promoted-max {promoted_max}")))
        counts[chosen] = counts.get(chosen, 0) + 1
        _set_next(instance, Role.PROMOTED, only_if_unset=True)
        promoted += 1


def _set_next(rsc: Rsc, role: Role, *, only_if_unset: bool = False) -> None:
    if only_if_unset and rsc.next_role is not None:
        pass
    elif role is Role.PROMOTED or rsc.next_role is None or rsc.next_role is not Role.STOPPED:
        if role is Role.UNPROMOTED and rsc.assigned is None:
            role = Role.STOPPED
        if not (rsc.next_role is Role.STOPPED and role is not Role.STOPPED):
            rsc.next_role = role
    for child in rsc.children:
        _set_next(child, role, only_if_unset=only_if_unset)


def _set_priority(work: Work, clone: Rsc, instance: Rsc,
                  locations: list[RoleLocation]) -> None:
    instance.sort_index = -INFINITY
    chosen = instance.assigned
    if chosen is None:
        instance.promotion_score = -INFINITY
        return
    next_role = instance.next_role
    if next_role in (None, Role.STARTED):
        score = _promotion_score(work, instance, chosen)
        instance.promotion_score = -1 if score is None else score
    elif next_role in (Role.UNPROMOTED, Role.STOPPED):
        instance.promotion_score = -INFINITY
    for loc in locations:
        if loc.node == chosen and loc.rsc in (instance.id, clone.id):
            instance.promotion_score = add(instance.promotion_score, loc.score)
    for coloc in this_with_for(instance):
        _coloc_priority(work, instance, coloc)
    instance.sort_index = instance.promotion_score
    if next_role is Role.PROMOTED:
        instance.sort_index = INFINITY


def _coloc_priority(work: Work, instance: Rsc, coloc: Coloc) -> None:
    if coloc.dependent_role not in (Role.PROMOTED, Role.UNPROMOTED):
        return
    primary = coloc.primary
    targets = [primary]
    if primary.children and primary.state.clone is not None:
        targets = [c for c in primary.children if c.assigned is not None]
    attr = coloc.node_attribute
    mine = work.attr(instance.assigned, attr) if instance.assigned else None
    matched = None
    for target in targets:
        theirs = work.attr(target.assigned, attr) if target.assigned else None
        same = mine is not None and theirs is not None and mine.lower() == theirs.lower()
        if same and (coloc.primary_role is None or coloc.primary_role is target.next_role):
            matched = target
            break
    if matched is None:
        if coloc.score >= INFINITY and coloc.dependent_role is Role.PROMOTED:
            instance.promotion_score = -INFINITY
        return
    multiplier = -1 if coloc.dependent_role is Role.UNPROMOTED else 1
    instance.promotion_score = add(multiplier * coloc.score, instance.promotion_score)


def _promotable_on(work: Work, instance: Rsc, counts: dict[str, int],
                   node_max: int) -> str | None:
    if any(member.assigned is None for member in instance.children):
        return None
    node = instance.assigned
    if node is None:
        return None
    if not instance.managed:
        return node if instance.role is Role.PROMOTED else None
    if instance.promotion_score < 0:
        return None
    if not work.available(node):
        return None
    clone = instance.clone_parent()
    if clone is not None and node not in clone.allowed:
        return None
    if counts.get(node, 0) >= node_max:
        return None
    return node
