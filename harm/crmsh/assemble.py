"""Merge parsed definitions into a configuration and build the nested model.

A configuration is first *flattened* into crm-shaped definitions (primitives, groups and
clones naming their members), the new definitions are applied on top (``update``: same id
replaces, new ids are appended; ``replace``: start from nothing), and the result is *built*
back into the nested, immutable :class:`~harm.cib.config.Configuration`.

Building assumes the definitions were checked (:mod:`harm.crmsh.check`); it raises
ConfigReferenceError only for what could not be built at all.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from harm.cib.config import (
    Clone,
    Colocation,
    Configuration,
    Constraint,
    FencingLevel,
    Group,
    Location,
    Node,
    NvSet,
    Order,
    Primitive,
    Resource,
    Tag,
    Template,
    Ticket,
)
from harm.crmsh.ast import CloneDef, FencingTopologyDef, GroupDef, Located, PropertyDef
from harm.errors import ConfigReferenceError, SourcePosition

ResourceDef = Primitive | GroupDef | CloneDef


@dataclass
class Flat:
    """A configuration as crm shell sees it: every object by id, in written order."""

    resources: dict[str, ResourceDef] = field(default_factory=dict)
    constraints: dict[str, Constraint] = field(default_factory=dict)
    nodes: dict[str, Node] = field(default_factory=dict)
    sets: dict[str, list[NvSet]] = field(
        default_factory=lambda: {"crm_config": [], "rsc_defaults": [], "op_defaults": []}
    )
    extra_sections: tuple[tuple[str, str], ...] = ()
    templates: dict[str, Template] = field(default_factory=dict)
    tags: dict[str, Tag] = field(default_factory=dict)
    fencing_levels: tuple[FencingLevel, ...] = ()

    def copy(self) -> Flat:
        return Flat(
            dict(self.resources),
            dict(self.constraints),
            dict(self.nodes),
            {k: list(v) for k, v in self.sets.items()},
            self.extra_sections,
            dict(self.templates),
            dict(self.tags),
            self.fencing_levels,
        )


def flatten(config: Configuration) -> Flat:
    """Split a nested configuration into flat definitions."""
    flat = Flat()
    for resource in config.resources:
        _flatten_resource(resource, flat)
    for constraint in config.constraints:
        flat.constraints[constraint.id] = constraint
    for node in config.nodes:
        flat.nodes[node.uname] = node
    flat.sets["crm_config"] = list(config.crm_config)
    flat.sets["rsc_defaults"] = list(config.rsc_defaults)
    flat.sets["op_defaults"] = list(config.op_defaults)
    flat.extra_sections = config.extra_sections
    flat.templates = {t.id: t for t in config.templates}
    flat.tags = {t.id: t for t in config.tags}
    flat.fencing_levels = config.fencing_levels
    return flat


def _flatten_resource(resource: Resource, flat: Flat) -> None:
    if isinstance(resource, Primitive):
        flat.resources[resource.id] = resource
    elif isinstance(resource, Group):
        for child in resource.children:
            flat.resources[child.id] = child
        flat.resources[resource.id] = GroupDef(
            resource.id,
            tuple(c.id for c in resource.children),
            resource.meta,
            resource.params,
            resource.description,
        )
    else:
        _flatten_resource(resource.child, flat)
        flat.resources[resource.id] = CloneDef(
            resource.id,
            resource.child.id,
            resource.meta,
            resource.params,
            resource.legacy_ms,
            resource.description,
        )


# crm shell creates new objects kind by kind, in this order (its ``processing_sort``):
# templates, primitives, groups, ms, clones, tags, then the constraints (location,
# colocation and order together, tickets after them); within a kind, in written order.
_CREATION_RANK: tuple[tuple[type, int], ...] = (
    (Template, 0), (Primitive, 1), (GroupDef, 2), (Tag, 5),
    (Location, 6), (Colocation, 6), (Order, 6), (Ticket, 7),
)


def creation_rank(definition: object) -> int:
    """Where crm shell puts a new object of this kind among the others."""
    if isinstance(definition, CloneDef):
        return 3 if definition.legacy_ms else 4
    for kind, rank in _CREATION_RANK:
        if isinstance(definition, kind):
            return rank
    return 8


def apply(base: Flat, items: list[Located]) -> Flat:
    """``base`` with ``items`` applied: same id replaces in place, new ids are appended in
    crm shell's order (:func:`creation_rank`, then as written), so that the same text
    gives Pacemaker the same element order, which decides placement among equal scores."""
    flat = base.copy()
    existing = {*flat.resources, *flat.constraints, *flat.templates, *flat.tags}
    fresh = [item for item in items if getattr(item.definition, "id", None) not in existing]
    ordered = [item for item in items if item not in fresh]
    ordered += sorted(fresh, key=lambda item: creation_rank(item.definition))
    for item in ordered:
        definition = item.definition
        if isinstance(definition, Primitive | GroupDef | CloneDef):
            flat.resources[definition.id] = definition
        elif isinstance(definition, Node):
            old = flat.nodes.get(definition.uname)
            flat.nodes[definition.uname] = _merge_node(old, definition) if old else definition
        elif isinstance(definition, PropertyDef):
            flat.sets[definition.section] = _merge_pairs(
                flat.sets[definition.section], definition.set_id, definition.pairs
            )
        elif isinstance(definition, Template):
            flat.templates[definition.id] = definition
        elif isinstance(definition, Tag):
            flat.tags[definition.id] = definition
        elif isinstance(definition, FencingTopologyDef):
            flat.fencing_levels = definition.levels  # the whole topology, as crm shell
        else:
            flat.constraints[definition.id] = definition
    return flat


def _merge_node(old: Node, new: Node) -> Node:
    attributes = old.attributes
    for nvset in new.attributes:
        attributes = tuple(_merge_pairs(list(attributes), nvset.id, nvset.pairs))
    utilization = old.utilization
    for nvset in new.utilization:
        utilization = tuple(_merge_pairs(list(utilization), nvset.id, nvset.pairs))
    return replace(
        old,
        attributes=attributes,
        utilization=utilization,
        type=new.type,
        description=new.description or old.description,
    )


def _merge_pairs(
    sets: list[NvSet], set_id: str, pairs: tuple[tuple[str, str], ...]
) -> list[NvSet]:
    """Set each pair in the set ``set_id`` (created at the end if missing)."""
    result = list(sets)
    for index, nvset in enumerate(result):
        if nvset.id == set_id:
            values = dict(nvset.pairs)
            values.update(pairs)
            result[index] = replace(nvset, pairs=tuple(values.items()))
            return result
    values = dict(pairs)
    result.append(NvSet(set_id, tuple(values.items())))
    return result


def containers(flat: Flat) -> dict[str, str]:
    """Which group or clone contains each contained resource id."""
    parent: dict[str, str] = {}
    for rid, definition in flat.resources.items():
        if isinstance(definition, GroupDef):
            for member in definition.members:
                parent.setdefault(member, rid)
        elif isinstance(definition, CloneDef):
            parent.setdefault(definition.child, rid)
    return parent


def build(flat: Flat) -> Configuration:
    """The nested configuration described by ``flat``."""
    parent = containers(flat)
    resources: list[Resource] = []
    for rid in flat.resources:
        if rid not in parent:
            resources.append(_build_resource(rid, flat))
    return Configuration(
        crm_config=tuple(flat.sets["crm_config"]),
        nodes=tuple(flat.nodes.values()),
        resources=tuple(resources),
        constraints=tuple(flat.constraints.values()),
        rsc_defaults=tuple(flat.sets["rsc_defaults"]),
        op_defaults=tuple(flat.sets["op_defaults"]),
        templates=tuple(flat.templates.values()),
        tags=tuple(flat.tags.values()),
        fencing_levels=flat.fencing_levels,
        extra_sections=flat.extra_sections,
    )


def _build_resource(rid: str, flat: Flat) -> Resource:
    definition = flat.resources.get(rid)
    if definition is None:
        raise ConfigReferenceError(SourcePosition("<configuration>", 0, 0),
                                   f"unknown resource {rid!r}")
    if isinstance(definition, Primitive):
        return _with_template_agent(definition, flat)
    if isinstance(definition, GroupDef):
        children: list[Primitive] = []
        for member in definition.members:
            child = flat.resources.get(member)
            if not isinstance(child, Primitive):
                raise ConfigReferenceError(SourcePosition("<configuration>", 0, 0),
                                           f"group {rid!r} member {member!r} is not a primitive")
            children.append(_with_template_agent(child, flat))
        return Group(definition.id, tuple(children), definition.meta, definition.params,
                     definition.description)
    child_resource = _build_resource(definition.child, flat)
    if isinstance(child_resource, Clone):
        raise ConfigReferenceError(SourcePosition("<configuration>", 0, 0),
                                   f"clone {rid!r} cannot contain clone {definition.child!r}")
    return Clone(definition.id, child_resource, definition.meta, definition.params,
                 definition.legacy_ms, definition.description)


def _with_template_agent(primitive: Primitive, flat: Flat) -> Primitive:
    """A primitive built from a template runs the template's agent."""
    template = flat.templates.get(primitive.template or "")
    if template is None or primitive.agent == template.agent:
        return primitive
    return replace(primitive, agent=template.agent)


def delete(flat: Flat, object_id: str) -> tuple[Flat, list[str]]:
    """Remove an object; returns the new flat config and what else went with it.

    Deleting a resource removes it from its group (an emptied group goes too) and removes
    the constraints that name it, as crm shell does. Deleting a group or clone keeps the
    resources it contained, now at the top level.
    """
    from harm.cib.config import constraint_resources

    result = flat.copy()
    removed: list[str] = []
    if object_id == "fencing_topology" and result.fencing_levels:
        result.fencing_levels = ()
        return result, removed
    if object_id in result.constraints:
        del result.constraints[object_id]
        return result, removed
    if object_id in result.nodes:
        del result.nodes[object_id]
        return result, removed
    if object_id in result.tags:
        del result.tags[object_id]
        return result, removed
    if object_id in result.templates:
        del result.templates[object_id]
        return result, removed
    if object_id not in result.resources:
        raise KeyError(object_id)
    del result.resources[object_id]
    for rid, definition in list(result.resources.items()):
        if isinstance(definition, GroupDef) and object_id in definition.members:
            members = tuple(m for m in definition.members if m != object_id)
            if members:
                result.resources[rid] = replace(definition, members=members)
            else:
                del result.resources[rid]
                removed.append(rid)
        elif isinstance(definition, CloneDef) and definition.child == object_id:
            del result.resources[rid]
            removed.append(rid)
    gone = {object_id, *removed}
    for cid, constraint in list(result.constraints.items()):
        if gone & set(constraint_resources(constraint)):
            del result.constraints[cid]
            removed.append(cid)
    return result, removed
