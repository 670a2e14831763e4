"""Assignment entry points shared by every kind of resource.

``assign`` dispatches on the variant (primitive, group, clone) through the variant table
(:class:`~harm.engine.work.VariantMethods`), the way Pacemaker's ``rsc->cmds->assign``
does; the colocation lists a resource obeys come from :mod:`harm.engine.colocation`.
"""

from __future__ import annotations

from harm.cib.config import Role
from harm.cib.scores import INFINITY, add
from harm.engine.colocation import affects_location, apply_to_weights
from harm.engine.nodes import sort_nodes
from harm.engine.state import Variant
from harm.engine.utilization import release
from harm.engine.work import Coloc, Rsc, Work


def assign(work: Work, rsc: Rsc, prefer: str | None) -> str | None:
    """Assign a resource (and whatever it depends on) to a node; returns the node.
    A primitive's parent is assigned first (it places its members)."""
    if rsc.is_primitive and rsc.parent is not None and rsc.parent.provisional \
            and not rsc.parent.assigning:
        assign(work, rsc.parent, prefer)
        if not rsc.provisional:
            return rsc.assigned
    return work.methods(rsc).assign(work, rsc, prefer)


def apply_colocation(work: Work, dependent: Rsc, primary: Rsc, coloc: Coloc) -> None:
    """Fold a placed primary into the node scores of the resource being assigned."""
    if primary.variant is Variant.CLONE:
        _apply_clone_primary(work, dependent, primary, coloc)
        return
    if affects_location(dependent, primary, coloc, preview=False):
        apply_to_weights(work, dependent, primary, coloc)


def _interleaved(work: Work, dependent: Rsc, primary: Rsc, coloc: Coloc) -> bool:
    dep_clone = dependent.clone_parent()
    if dep_clone is None or dep_clone is primary:
        return False
    if coloc.dependent is not dep_clone and coloc.dependent.clone_parent() is not dep_clone:
        return False
    settings = dep_clone.state.clone
    return settings is not None and settings.interleave


def _apply_clone_primary(work: Work, dependent: Rsc, clone: Rsc, coloc: Coloc) -> None:
    if clone.provisional:
        return
    settings = clone.state.clone
    if settings is not None and settings.promotable and coloc.primary_role is not None \
            and dependent.provisional:
        _with_promotable_role(work, dependent, clone, coloc)
        return
    if _interleaved(work, dependent, clone, coloc):
        instance = _compatible_instance(work, dependent, clone, coloc)
        if instance is not None:
            if affects_location(dependent, instance, coloc, preview=False):
                apply_to_weights(work, dependent, instance, coloc)
        elif coloc.score >= INFINITY:
            for node in dependent.allowed:
                dependent.allowed[node] = -INFINITY
        return
    if coloc.score >= INFINITY:
        ok = set()
        for instance in clone.children:
            if instance.assigned is None or instance.blocked:
                continue
            if coloc.primary_role is None or coloc.primary_role is instance.next_role:
                ok.add(instance.assigned)
        for node in dependent.allowed:
            if node not in ok:
                dependent.allowed[node] = -INFINITY
        return
    for instance in clone.children:
        if instance.assigned is None:
            continue
        if affects_location(dependent, instance, coloc, preview=False):
            apply_to_weights(work, dependent, instance, coloc)


def _with_promotable_role(work: Work, dependent: Rsc, clone: Rsc, coloc: Coloc) -> None:
    """Placing a dependent of ``clone:<role>``: score the nodes of instances in that role
    (Pacemaker's ``pcmk__update_dependent_with_promotable``)."""
    attr = coloc.node_attribute
    affected: set[str] = set()
    for instance in clone.children:
        node = instance.assigned
        if node is None or instance.next_role is not coloc.primary_role:
            continue
        affected.add(node)
        if coloc.score >= INFINITY:
            continue
        value = work.attr(node, attr)
        for other in dependent.allowed:
            theirs = work.attr(other, attr)
            if value is not None and theirs is not None and value.lower() == theirs.lower():
                dependent.allowed[other] = add(dependent.allowed[other], coloc.score)
    if coloc.score >= INFINITY and not (coloc.dependent_role is Role.PROMOTED
                                        and coloc.primary_role is Role.PROMOTED):
        for node in dependent.allowed:
            if node not in affected:
                dependent.allowed[node] = -INFINITY


def _compatible_instance(work: Work, dependent: Rsc, clone: Rsc, coloc: Coloc) -> Rsc | None:
    for node in sort_nodes(work, dependent.allowed, None):
        for instance in clone.children:
            if instance.assigned != node:
                continue
            if coloc.primary_role is not None and instance.next_role is not coloc.primary_role:
                continue
            return instance
    return None


def unassign(work: Work, rsc: Rsc) -> None:
    """Undo an assignment (for clone pre-assignment that picked another node)."""
    for member in [rsc, *rsc.primitives()]:
        if member.assigned is not None and member.is_primitive:
            work.assigned_count[member.assigned] -= 1
            release(work, member.assigned, member)
        member.assigned = None
        member.provisional = True
        member.next_role = member.state.next_role
