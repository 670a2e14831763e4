"""Templates and tags, expanded before unpacking (Pacemaker's ``unpack_template`` and the
``*_tags`` steps of constraint unpacking).

* A primitive built from a template (``template="T"``; ``primitive NAME @T``) gets the
  template's attribute sets *before* its own, so that its own override them under the
  merging rule (:func:`~harm.cib.config.merge_sets`: of equal scores the last set wins), and
  the template's operations that it does not define itself (same name and role).
* A constraint may name a tag, or a template (meaning every primitive built from it),
  wherever it names a resource. Names inside resource sets are replaced, in place, by the
  tagged resources. A tag named directly (``rsc``, ``with-rsc``, ``first``, ``then``) turns
  the constraint into one with resource sets: the tag becomes an unordered set of its
  resources (``sequential=false``) and the other operand a set of one; the role or action
  the constraint gave the operand moves to its set. A colocation of two tags is ignored,
  as Pacemaker ignores it.

The configuration that results is what the rest of the engine sees.
"""

from __future__ import annotations

from dataclasses import replace

from harm.cib.config import (
    Clone,
    Colocation,
    Configuration,
    Constraint,
    Group,
    Location,
    Op,
    Order,
    Primitive,
    Resource,
    ResourceSet,
    Role,
    Template,
    Ticket,
    iter_resources,
)


def expand(config: Configuration) -> tuple[Configuration, list[str]]:
    """``config`` with templates applied to their primitives and tags resolved, and the
    warnings about constraints that had to be ignored."""
    if not config.templates and not config.tags:
        return config, []
    templates = {t.id: t for t in config.templates}
    resources = tuple(_expand_resource(r, templates) for r in config.resources)
    refs = _references(config)
    warnings: list[str] = []
    constraints = []
    for constraint in config.constraints:
        if isinstance(constraint, Colocation) and not constraint.sets \
                and constraint.rsc in refs and constraint.with_rsc in refs:
            warnings.append(f"Ignoring constraint '{constraint.id}' because two sets of "
                            "tagged resources cannot be colocated")
            continue
        constraints.append(_expand_constraint(constraint, refs))
    return replace(config, resources=resources, constraints=tuple(constraints)), warnings


# ----------------------------------------------------------------------------- templates


def apply_template(primitive: Primitive, template: Template) -> Primitive:
    """A primitive with what it takes from its template."""
    return replace(
        primitive,
        agent=template.agent,
        params=(*template.params, *primitive.params),
        meta=(*template.meta, *primitive.meta),
        utilization=(*template.utilization, *primitive.utilization),
        ops=_merge_ops(template.ops, primitive.ops),
        description=primitive.description or template.description,
    )


def _op_key(op: Op) -> tuple[str, Role | None]:
    role = None if op.role in (None, Role.STARTED, Role.UNPROMOTED) else op.role
    return (op.name, role)


def _merge_ops(template_ops: tuple[Op, ...], own: tuple[Op, ...]) -> tuple[Op, ...]:
    if not own:
        return template_ops
    defined = {_op_key(op) for op in own}
    return (*own, *(op for op in template_ops if _op_key(op) not in defined))


def _expand_resource(resource: Resource, templates: dict[str, Template]) -> Resource:
    if isinstance(resource, Primitive):
        template = templates.get(resource.template or "")
        return apply_template(resource, template) if template is not None else resource
    if isinstance(resource, Group):
        children = tuple(_expand_resource(c, templates) for c in resource.children)
        return replace(resource, children=tuple(c for c in children
                                                if isinstance(c, Primitive)))
    child = _expand_resource(resource.child, templates)
    assert isinstance(child, Primitive | Group)
    return replace(resource, child=child) if isinstance(resource, Clone) else resource


# ----------------------------------------------------------------------------- tags


def _references(config: Configuration) -> dict[str, tuple[str, ...]]:
    """Names that stand for several resources: templates (their primitives, in
    configuration order), then tags (their objects, as listed)."""
    refs: dict[str, list[str]] = {t.id: [] for t in config.templates}
    for resource in iter_resources(config.resources):
        if isinstance(resource, Primitive) and resource.template in refs:
            refs[resource.template].append(resource.id)
    result = {name: tuple(ids) for name, ids in refs.items()}
    for tag in config.tags:
        result.setdefault(tag.id, tag.refs)
    return result


def _expand_sets(sets: tuple[ResourceSet, ...],
                 refs: dict[str, tuple[str, ...]]) -> tuple[ResourceSet, ...]:
    result = []
    for rset in sets:
        names: list[str] = []
        for name in rset.resources:
            names.extend(refs.get(name, (name,)))
        result.append(replace(rset, resources=tuple(names)))
    return tuple(result)


def _as_set(name: str, refs: dict[str, tuple[str, ...]], *, role: Role | None = None,
            action: str | None = None) -> ResourceSet:
    if name in refs:
        return ResourceSet(id=name, resources=refs[name], sequential=False, role=role,
                           action=action)
    return ResourceSet(id=name, resources=(name,), role=role, action=action)


def _expand_constraint(constraint: Constraint,
                       refs: dict[str, tuple[str, ...]]) -> Constraint:
    if constraint.sets:
        return replace(constraint, sets=_expand_sets(constraint.sets, refs))
    if isinstance(constraint, Location):
        if constraint.rsc in refs:  # the constraint's role still applies to the set
            return replace(constraint, rsc=None, sets=(_as_set(constraint.rsc or "", refs),))
        return constraint
    if isinstance(constraint, Ticket):
        if constraint.rsc in refs:
            return replace(constraint, rsc=None, rsc_role=None, sets=(
                _as_set(constraint.rsc or "", refs, role=constraint.rsc_role),))
        return constraint
    if isinstance(constraint, Colocation):
        if constraint.rsc in refs or constraint.with_rsc in refs:
            sets = (_as_set(constraint.rsc or "", refs, role=constraint.rsc_role),
                    _as_set(constraint.with_rsc or "", refs, role=constraint.with_rsc_role))
            return replace(constraint, rsc=None, with_rsc=None, rsc_role=None,
                           with_rsc_role=None, sets=sets)
        return constraint
    if isinstance(constraint, Order) and (constraint.first in refs or constraint.then in refs):
        sets = (_as_set(constraint.first or "", refs, action=constraint.first_action),
                _as_set(constraint.then or "", refs, action=constraint.then_action))
        return replace(constraint, first=None, then=None, first_action=None,
                       then_action=None, sets=sets)
    return constraint
