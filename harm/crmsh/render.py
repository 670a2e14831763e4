"""Show a configuration in canonical crm shell syntax.

The output parses back into the same model (load → show → load is the identity): ids that
equal the ones the parser would generate are left out, any other id is written with
``$id=``. Long statements are broken with backslash continuations, one section a line, the
way crm shell prints them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from harm.cib.config import (
    AttrExpression,
    Clone,
    Colocation,
    Configuration,
    Constraint,
    DateExpression,
    Expression,
    FencingLevel,
    Group,
    Location,
    Node,
    NvSet,
    Op,
    Order,
    Primitive,
    Resource,
    ResourceSet,
    Role,
    Rule,
    Template,
    Ticket,
)
from harm.cib.scores import format_crm_score
from harm.crmsh import ids

_PLAIN = re.compile(r"^[A-Za-z0-9_.\-/:@#+,]+$")
_CONT = " \\\n    "
_WIDTH = 96


def quote(value: str) -> str:
    """A value as crm syntax needs it: bare when safe, else double-quoted."""
    if _PLAIN.match(value):
        return value
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def _pairs(pairs: tuple[tuple[str, str], ...]) -> str:
    return " ".join(f"{name}={quote(value)}" for name, value in pairs)


def _nvset(keyword: str, nvset: NvSet, default_id: str) -> str:
    head = keyword
    if nvset.id != default_id:
        head += f" $id={nvset.id}"
    line = f"{head} {_pairs(nvset.pairs)}".rstrip()
    if len(line) <= _WIDTH:
        return line
    return head + "".join(f"{_CONT}    {name}={quote(value)}" for name, value in nvset.pairs)


def _role(role: Role) -> str:
    return role.value


def render_configuration(config: Configuration, only: set[str] | None = None) -> str:
    """The whole configuration (or the objects whose ids are in ``only``) as crm text."""
    blocks: list[str] = []

    def wanted(object_id: str) -> bool:
        return only is None or object_id in only

    for node in config.nodes:
        if wanted(node.uname) or wanted(node.id):
            blocks.append(render_node(node))
    for template in config.templates:
        if wanted(template.id):
            blocks.append(render_primitive(template))
    # Members before their container, containers in their top-level order: parsing this
    # back gives the same top-level order, which decides allocation order among equals.
    for resource in iter_members_first(config.resources):
        if wanted(resource.id):
            blocks.append(render_resource(resource))
    for tag in config.tags:
        if wanted(tag.id):
            blocks.append(f"tag {tag.id} " + " ".join(tag.refs))
    for constraint in config.constraints:
        if wanted(constraint.id):
            blocks.append(render_constraint(constraint))
    if config.fencing_levels and wanted("fencing_topology"):
        blocks.append(render_fencing_topology(config.fencing_levels))
    if only is None:
        for keyword, section, sets in (
            ("property", "crm_config", config.crm_config),
            ("rsc_defaults", "rsc_defaults", config.rsc_defaults),
            ("op_defaults", "op_defaults", config.op_defaults),
        ):
            for nvset in sets:
                if nvset.rule is None and nvset.pairs:
                    blocks.append(_properties(keyword, nvset, ids.default_set_id(section)))
    return "".join(block + "\n" for block in blocks)


def render_fencing_topology(levels: tuple[FencingLevel, ...]) -> str:
    """``fencing_topology TARGET LEVEL… …``, levels in index order per target; levels for
    every node (pattern ``.*`` alone) in the short form without a target."""
    by_target: dict[tuple[str, str], list[FencingLevel]] = {}
    for level in levels:
        by_target.setdefault(level.target_key, []).append(level)
    if list(by_target) == [("pattern", ".*")]:
        ordered = sorted(by_target[("pattern", ".*")], key=lambda lv: lv.index)
        return "fencing_topology " + " ".join(",".join(lv.devices) for lv in ordered)
    parts = []
    for (kind, text), group in by_target.items():
        head = {"node": f"{text}:", "attr": f"attr:{text}", "pattern": f"pattern:{text}"}[kind]
        ordered = sorted(group, key=lambda lv: lv.index)
        parts.append(head + " " + " ".join(",".join(lv.devices) for lv in ordered))
    return "fencing_topology" + "".join(_CONT + part for part in parts)


def iter_members_first(resources: tuple[Resource, ...]) -> Iterator[Resource]:
    """Every resource, each container after what it contains, in top-level order."""
    for resource in resources:
        if isinstance(resource, Group):
            yield from resource.children
        elif isinstance(resource, Clone):
            yield from iter_members_first((resource.child,))
        yield resource


def render_resource(resource: Resource) -> str:
    if isinstance(resource, Primitive):
        return render_primitive(resource)
    if isinstance(resource, Group):
        return render_group(resource)
    return render_clone(resource)


def _properties(keyword: str, nvset: NvSet, default_id: str) -> str:
    head = keyword if nvset.id == default_id else f"{keyword} $id={nvset.id}"
    return head + "".join(_CONT + f"{name}={quote(value)}" for name, value in nvset.pairs)


def render_node(node: Node) -> str:
    head = "node"
    if node.id != node.uname:
        head += f" $id={node.id}"
    head += f" {node.uname}"
    if node.type != "member":
        head += f":{node.type}"
    parts = [head]
    if node.description:
        parts.append(f"description={quote(node.description)}")
    for nvset in node.attributes:
        parts.append(_nvset("attributes", nvset, ids.node_attributes_id(node.uname)))
    for nvset in node.utilization:
        parts.append(_nvset("utilization", nvset, ids.node_utilization_id(node.uname)))
    return _CONT.join(parts)


def render_primitive(primitive: Primitive | Template) -> str:
    """A primitive (``@TEMPLATE`` when built from one) or an ``rsc_template``."""
    if isinstance(primitive, Template):
        parts = [f"rsc_template {primitive.id} {primitive.agent}"]
    elif primitive.template is not None:
        parts = [f"primitive {primitive.id} @{primitive.template}"]
    else:
        parts = [f"primitive {primitive.id} {primitive.agent}"]
    if primitive.description:
        parts.append(f"description={quote(primitive.description)}")
    for nvset in primitive.params:
        parts.append(_nvset("params", nvset, ids.params_id(primitive.id)))
    for nvset in primitive.meta:
        parts.append(_nvset("meta", nvset, ids.meta_id(primitive.id)))
    for nvset in primitive.utilization:
        parts.append(_nvset("utilization", nvset, ids.utilization_id(primitive.id)))
    taken: set[str] = set()
    for op in primitive.ops:
        parts.append(render_op(primitive.id, op, taken))
        taken.add(op.id)
    return _CONT.join(parts)


def render_op(rsc_id: str, op: Op, taken: set[str]) -> str:
    text = f"op {op.name}"
    if op.interval != "0" or op.role is not None:
        text += f" interval={quote(op.interval)}"
    else:
        text += " interval=0"
    if op.role is not None:
        text += f" role={_role(op.role)}"
    if op.attrs:
        text += " " + _pairs(op.attrs)
    if op.id != ids.unique(ids.op_id(rsc_id, op.name, op.interval, op.role), taken):
        text += f" $id={op.id}"
    return text


def render_group(group: Group) -> str:
    parts = [f"group {group.id} " + " ".join(child.id for child in group.children)]
    parts += _container_sections(group.id, group.description, group.meta, group.params)
    return _CONT.join(parts)


def render_clone(clone: Clone) -> str:
    keyword = "ms" if clone.legacy_ms else "clone"
    parts = [f"{keyword} {clone.id} {clone.child.id}"]
    parts += _container_sections(clone.id, clone.description, clone.meta, clone.params)
    return _CONT.join(parts)


def _container_sections(
    owner: str, description: str | None, meta: tuple[NvSet, ...], params: tuple[NvSet, ...]
) -> list[str]:
    parts: list[str] = []
    if description:
        parts.append(f"description={quote(description)}")
    for nvset in meta:
        parts.append(_nvset("meta", nvset, ids.meta_id(owner)))
    for nvset in params:
        parts.append(_nvset("params", nvset, ids.params_id(owner)))
    return parts


def render_constraint(constraint: Constraint) -> str:
    if isinstance(constraint, Location):
        return render_location(constraint)
    if isinstance(constraint, Colocation):
        return render_colocation(constraint)
    if isinstance(constraint, Ticket):
        return render_ticket(constraint)
    return render_order(constraint)


def render_location(location: Location) -> str:
    target = f"/{location.rsc_pattern}/" if location.rsc_pattern is not None else location.rsc
    head = f"location {location.id} {target}"
    if location.role is not None:
        head += f" role={_role(location.role)}"
    if location.resource_discovery is not None:
        head += f" resource-discovery={location.resource_discovery}"
    if location.node is not None and location.score is not None:
        return f"{head} {format_crm_score(location.score)}: {location.node}"
    parts = [head]
    for index, rule in enumerate(location.rules):
        parts.append(render_rule(rule, ids.rule_id(location.id, index)))
    return _CONT.join(parts)


def render_rule(rule: Rule, default_id: str) -> str:
    text = "rule"
    if rule.id != default_id:
        text += f" $id={rule.id}"
    if rule.role is not None:
        text += f" $role={_role(rule.role)}"
    if rule.score_attribute is not None:
        text += f" {rule.score_attribute}:"
    else:
        text += f" {format_crm_score(rule.score or 0)}:"
    joiner = f" {rule.boolean_op} "
    text += " " + joiner.join(_expression(e) for e in rule.expressions)
    return text


def _expression(expression: Expression) -> str:
    if isinstance(expression, AttrExpression):
        if expression.operation in ("defined", "not_defined"):
            return f"{expression.operation} {expression.attribute}"
        operation = expression.operation
        if expression.type:
            operation = f"{expression.type}:{operation}"
        return f"{expression.attribute} {operation} {quote(expression.value or '')}"
    if isinstance(expression, DateExpression):
        if expression.operation == "gt":
            return f"date gt {quote(expression.start or '')}"
        if expression.operation == "lt":
            return f"date lt {quote(expression.end or '')}"
        if expression.operation == "date_spec":
            return "date date_spec " + _pairs(expression.date_spec)
        pairs: list[tuple[str, str]] = []
        if expression.start:
            pairs.append(("start", expression.start))
        if expression.end:
            pairs.append(("end", expression.end))
        return "date in_range " + _pairs((*pairs, *expression.duration))
    raise ValueError(f"{type(expression).__name__} cannot be written in crm syntax")


def _operand(name: str, suffix: str | None) -> str:
    return f"{name}:{suffix}" if suffix else name


def render_colocation(colocation: Colocation) -> str:
    head = f"colocation {colocation.id} {format_crm_score(colocation.score or 0)}:"
    if not colocation.sets:
        rsc_role = _role(colocation.rsc_role) if colocation.rsc_role else None
        with_role = _role(colocation.with_rsc_role) if colocation.with_rsc_role else None
        body = (f"{_operand(colocation.rsc or '', rsc_role)} "
                f"{_operand(colocation.with_rsc or '', with_role)}")
    else:
        body = _sets(colocation.sets, reverse_plain=True)
    text = f"{head} {body}"
    if colocation.node_attribute:
        text += f" node-attribute={quote(colocation.node_attribute)}"
    return text


def render_order(order: Order) -> str:
    head = f"order {order.id}"
    if order.kind is not None:
        head += f" {order.kind}:"
    elif order.score is not None:
        head += f" {format_crm_score(order.score)}:"
    if not order.sets:
        body = f"{_operand(order.first or '', order.first_action)} " \
               f"{_operand(order.then or '', order.then_action)}"
    else:
        body = _sets(order.sets, reverse_plain=False)
    text = f"{head} {body}"
    if order.symmetrical is not None:
        text += f" symmetrical={'true' if order.symmetrical else 'false'}"
    return text


def render_ticket(ticket: Ticket) -> str:
    head = f"rsc_ticket {ticket.id} {ticket.ticket}:"
    if not ticket.sets:
        role = _role(ticket.rsc_role) if ticket.rsc_role else None
        body = _operand(ticket.rsc or "", role)
    else:
        body = _sets(ticket.sets, reverse_plain=False)
    text = f"{head} {body}"
    if ticket.loss_policy is not None:
        text += f" loss-policy={ticket.loss_policy}"
    return text


def _sets(sets: tuple[ResourceSet, ...], reverse_plain: bool) -> str:
    words: list[str] = []
    for rset in sets:
        suffix = rset.action or (_role(rset.role) if rset.role else None)
        names = [_operand(name, suffix) for name in rset.resources]
        if rset.sequential is False:
            words.append("( " + " ".join(names) + " )")
        elif rset.require_all is False:
            words.append("[ " + " ".join(names) + " ]")
        else:
            words.append(" ".join(reversed(names) if reverse_plain else names))
    return " ".join(words)
