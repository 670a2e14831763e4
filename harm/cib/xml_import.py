"""Read a Pacemaker CIB XML document into harm's typed model.

This is how users migrate from Pacemaker, how harm's own CIB file is read (it is Pacemaker
CIB XML), and how the policy engine is compared with Pacemaker's on its regression corpus.

What is read, element by element (the ``cib`` root's other attributes go to ``Cib.extra``)::

    cib ── configuration ── crm_config / cluster_property_set…          → crm_config
        │                ├─ nodes / node (instance_attributes, utilization) → nodes
        │                ├─ resources / primitive | group | clone | master → resources
        │                ├─ constraints / rsc_location | rsc_colocation | rsc_order | rsc_ticket
        │                ├─ rsc_defaults, op_defaults / meta_attributes…
        │                ├─ resources / template → templates; tags / tag → tags
        │                ├─ fencing-topology / fencing-level              → fencing_levels
        │                └─ anything else (bundle, acls, alerts …)
        │                   → Configuration.extra_sections, kept verbatim
        └─ status ── node_state (transient_attributes, lrm / lrm_resources / lrm_resource /
                  │   lrm_rsc_op) → Status.nodes
                  ├─ tickets / ticket_state → Status.tickets
                  ├─ fencing_history / fence_event (harm's own) → Status.fencing
                  └─ anything else → Status.extra_sections, kept verbatim

Kept sections are ``(path, xml)`` pairs. Under ``nodes``, ``resources`` and ``constraints``
the path records the element's position among its siblings, ``configuration/resources@3``,
because Pacemaker allocates resources in the order they are written; elsewhere order is
free and the path is just ``configuration`` or ``status``.

``id-ref`` references (attribute sets, nvpairs, rules, operation sets) are resolved: the
model holds the referenced content under the referenced id, and the exporter writes an
``id-ref`` again when it meets the same content twice. A ``primitive template="T"`` gets its
agent from template T and keeps ``template="T"``.

Everything wrong with the document raises :class:`~harm.errors.CibFormatError` naming the
source and the element.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable
from typing import TypeVar

from harm.cib.cib import DEFAULT_VALIDATE_WITH, Cib
from harm.cib.config import (
    AgentRef,
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
    OpExpression,
    Order,
    Pairs,
    Primitive,
    Resource,
    ResourceSet,
    Role,
    RscExpression,
    Rule,
    Tag,
    Template,
    Ticket,
)
from harm.cib.safe_xml import parse_xml
from harm.cib.scores import parse_score
from harm.cib.status import (
    FenceEvent,
    FenceState,
    NodeState,
    OpRecord,
    ResourceHistory,
    Status,
    TicketState,
)
from harm.errors import CibFormatError

__all__ = ["parse_cib_xml"]

_T = TypeVar("_T")

NVSET_TAGS = ("instance_attributes", "meta_attributes", "utilization", "cluster_property_set")

MAX_RULES = 100_000  # rules in one document, id-refs expanded (no exponential id-ref chains)

_TRUE_WORDS = frozenset(("true", "on", "yes", "y", "1"))
_FALSE_WORDS = frozenset(("false", "off", "no", "n", "0"))
_ROOT_FIELDS = ("admin_epoch", "epoch", "num_updates", "validate-with", "have-quorum", "dc-uuid")
_NODE_STATE_FIELDS = ("id", "uname", "in_ccm", "crmd", "join", "expected")
_OP_RECORD_FIELDS = frozenset((
    "id", "operation", "interval", "rc-code", "op-status", "call-id", "last-rc-change",
    "last-run", "exec-time", "queue-time", "on_node", "exit-reason", "transition-key",
    "transition-magic", "op-digest",
))
_LRM_RESOURCE_FIELDS = frozenset(("id", "class", "provider", "type"))
_OP_FIELDS = ("id", "name", "interval", "role")


def parse_cib_xml(data: str | bytes, source: str = "<xml>") -> Cib:
    """Parse a whole Pacemaker CIB XML document.

    Raises CibFormatError for text that is not XML, that :mod:`harm.cib.safe_xml` refuses
    (a DOCTYPE, nesting deeper than 256 levels), a root that is not ``<cib>``, or values
    that cannot be read (a bad score, role, number …).
    """
    root = parse_xml(data, source)
    if root.tag != "cib":
        raise CibFormatError(f"{source}: the root element is <{root.tag}>, expected <cib>")
    return _Reader(source, root).read()


def _describe(elem: ET.Element) -> str:
    ident = elem.get("id") or elem.get("id-ref")
    return f"<{elem.tag} id={ident!r}>" if ident else f"<{elem.tag}>"


def _raw_xml(elem: ET.Element) -> str:
    """``elem`` as compact XML text: whitespace-only text and tails dropped, so that
    indenting it on export and reading it back gives the same text."""
    for sub in elem.iter():
        if sub.text is not None and not sub.text.strip():
            sub.text = None
        if sub.tail is not None and not sub.tail.strip():
            sub.tail = None
    tail, elem.tail = elem.tail, None
    text = ET.tostring(elem, encoding="unicode")
    elem.tail = tail
    return text


def _raw_section(path: str, index: int, elem: ET.Element) -> tuple[str, str]:
    """``("configuration/resources@3", xml)``: the element was child 3 (from 0) there."""
    return (f"{path}@{index}", _raw_xml(elem))


class _Reader:
    """One pass over one document; holds the source name and a lazy id index for id-refs."""

    def __init__(self, source: str, root: ET.Element) -> None:
        self.source = source
        self.root = root
        self._ids: dict[str, ET.Element] | None = None
        self._open_rules: set[int] = set()  # id() of the rule elements being read
        self._rules_read = 0

    # ------------------------------------------------------------------ helpers

    def fail(self, elem: ET.Element, message: str) -> CibFormatError:
        return CibFormatError(f"{self.source}: {_describe(elem)}: {message}")

    def need(self, elem: ET.Element, name: str) -> str:
        value = elem.get(name)
        if value is None:
            raise self.fail(elem, f"attribute {name!r} is missing")
        return value

    def convert(self, elem: ET.Element, name: str, parse: Callable[[str], _T]) -> _T | None:
        value = elem.get(name)
        if value is None:
            return None
        try:
            return parse(value)
        except ValueError as exc:
            raise self.fail(elem, f"bad {name}={value!r}: {exc}") from None

    def integer(self, elem: ET.Element, name: str) -> int | None:
        return self.convert(elem, name, lambda text: int(text.strip()))

    def score(self, elem: ET.Element, name: str = "score") -> int | None:
        return self.convert(elem, name, parse_score)

    def role(self, elem: ET.Element, name: str) -> Role | None:
        return self.convert(elem, name, Role.parse)

    def boolean(self, elem: ET.Element, name: str) -> bool | None:
        """A Pacemaker boolean; a value that is neither true nor false reads as absent,
        because Pacemaker then uses the default (and ``crm_verify`` reports it)."""
        value = elem.get(name)
        if value is None:
            return None
        word = value.strip().lower()
        if word in _TRUE_WORDS:
            return True
        if word in _FALSE_WORDS:
            return False
        return None

    def resolve(self, elem: ET.Element) -> ET.Element:
        """The element an ``id-ref`` points to (or ``elem`` itself when it has none)."""
        ref = elem.get("id-ref")
        if ref is None:
            return elem
        if self._ids is None:
            self._ids = {}
            for sub in self.root.iter():
                ident = sub.get("id")
                if ident is not None:
                    self._ids.setdefault(ident, sub)
        target = self._ids.get(ref)
        if target is None:
            raise self.fail(elem, f"id-ref {ref!r} names no element")
        if target.tag != elem.tag and not (
            elem.tag in NVSET_TAGS and target.tag in NVSET_TAGS
        ):
            raise self.fail(elem, f"id-ref {ref!r} names a <{target.tag}>")
        return target

    # ------------------------------------------------------------------ whole document

    def read(self) -> Cib:
        root = self.root
        configuration = Configuration()
        status = Status()
        for child in root:
            if child.tag == "configuration":
                configuration = self.configuration(child)
            elif child.tag == "status":
                status = self.status(child)
        extra = tuple((k, v) for k, v in root.attrib.items() if k not in _ROOT_FIELDS)
        return Cib(
            configuration=configuration,
            status=status,
            admin_epoch=self.integer(root, "admin_epoch") or 0,
            epoch=self.integer(root, "epoch") or 0,
            num_updates=self.integer(root, "num_updates") or 0,
            validate_with=root.get("validate-with", DEFAULT_VALIDATE_WITH),
            have_quorum=bool(self.boolean(root, "have-quorum")),
            dc_uuid=root.get("dc-uuid"),
            extra=extra,
        )

    # ------------------------------------------------------------------ configuration

    def configuration(self, elem: ET.Element) -> Configuration:
        crm_config: list[NvSet] = []
        nodes: list[Node] = []
        resources: list[Resource] = []
        constraints: list[Constraint] = []
        rsc_defaults: list[NvSet] = []
        op_defaults: list[NvSet] = []
        templates: list[Template] = []
        tags: list[Tag] = []
        levels: list[FencingLevel] = []
        extra: list[tuple[str, str]] = []
        for section in elem:
            tag = section.tag
            if tag == "crm_config":
                crm_config += self.nvsets(section, ("cluster_property_set",))
            elif tag == "nodes":
                for index, child in enumerate(section):
                    if child.tag == "node":
                        nodes.append(self.node(child))
                    else:
                        extra.append(_raw_section("configuration/nodes", index, child))
            elif tag == "resources":
                for index, child in enumerate(section):
                    if child.tag == "template":
                        templates.append(self.template_definition(child))
                        continue
                    resource = self.resource(child)
                    if resource is None:
                        extra.append(_raw_section("configuration/resources", index, child))
                    else:
                        resources.append(resource)
            elif tag == "constraints":
                for index, child in enumerate(section):
                    constraint = self.constraint(child)
                    if constraint is None:
                        extra.append(_raw_section("configuration/constraints", index, child))
                    else:
                        constraints.append(constraint)
            elif tag == "rsc_defaults":
                rsc_defaults += self.nvsets(section, ("meta_attributes",))
            elif tag == "op_defaults":
                op_defaults += self.nvsets(section, ("meta_attributes",))
            elif tag == "tags":
                tags += (Tag(self.need(t, "id"), tuple(self.need(r, "id") for r in t
                                                       if r.tag == "obj_ref"))
                         for t in section if t.tag == "tag")
            elif tag == "fencing-topology":
                levels += [self.fencing_level(c) for c in section if c.tag == "fencing-level"]
            else:
                extra.append(("configuration", _raw_xml(section)))  # order is free here
        return Configuration(
            crm_config=tuple(crm_config),
            nodes=tuple(nodes),
            resources=tuple(resources),
            constraints=tuple(constraints),
            rsc_defaults=tuple(rsc_defaults),
            op_defaults=tuple(op_defaults),
            templates=tuple(templates),
            tags=tuple(tags),
            fencing_levels=tuple(levels),
            extra_sections=tuple(extra),
        )

    def fencing_level(self, elem: ET.Element) -> FencingLevel:
        """``<fencing-level id index devices="a,b" target|target-pattern|target-attribute
        [target-value]>``."""
        index = self.integer(elem, "index")
        if index is None or index < 1:
            raise self.fail(elem, "index must be a positive integer")
        devices = tuple(d for d in self.need(elem, "devices").split(",") if d)
        if not devices:
            raise self.fail(elem, "devices lists no device")
        level = FencingLevel(id=self.need(elem, "id"), index=index, devices=devices,
                             target=elem.get("target"),
                             target_pattern=elem.get("target-pattern"),
                             target_attribute=elem.get("target-attribute"),
                             target_value=elem.get("target-value"))
        if level.target is None and level.target_pattern is None and \
                level.target_attribute is None:
            raise self.fail(elem, "needs target, target-pattern or target-attribute")
        return level

    # ------------------------------------------------------------------ attribute sets

    def nvsets(self, parent: ET.Element, tags: tuple[str, ...]) -> tuple[NvSet, ...]:
        return tuple(self.nvset(child) for child in parent if child.tag in tags)

    def nvset(self, elem: ET.Element) -> NvSet:
        target = self.resolve(elem)
        pairs: list[tuple[str, str]] = []
        rules: list[Rule] = []
        for child in target:
            if child.tag == "nvpair":
                pair = self.nvpair(child)
                if pair is not None:
                    pairs.append(pair)
            elif child.tag == "rule":
                rules.append(self.rule(child))
        rule: Rule | None = None
        if len(rules) == 1:
            rule = rules[0]
        elif rules:  # several rules on one set: the set applies when any of them passes
            set_id = self.need(target, "id")
            rule = Rule(id=f"{set_id}-rules", expressions=tuple(rules), boolean_op="or")
        return NvSet(
            id=self.need(target, "id"),
            pairs=tuple(pairs),
            rule=rule,
            score=self.score(target),
        )

    def nvpair(self, elem: ET.Element) -> tuple[str, str] | None:
        """A name/value pair; one without a value is ignored, as Pacemaker ignores it."""
        name = elem.get("name")
        value = elem.get("value")
        if elem.get("id-ref") is not None:
            target = self.resolve(elem)
            name = name if name is not None else target.get("name")
            value = value if value is not None else target.get("value")
        if name is None:
            raise self.fail(elem, "attribute 'name' is missing")
        if value is None:
            return None
        return (name, value)

    # ------------------------------------------------------------------ rules

    def rule(self, elem: ET.Element) -> Rule:
        """``rule`` holding expressions, date expressions, op/rsc expressions and rules
        (an ``id-ref`` back to a rule being read is a cycle, refused)."""
        target = self.resolve(elem)
        if id(target) in self._open_rules:
            raise self.fail(elem, "id-ref makes the rule contain itself")
        self._rules_read += 1
        if self._rules_read > MAX_RULES:  # id-refs to rules that refer twice to rules …
            raise self.fail(elem, f"more than {MAX_RULES} rules once id-refs are expanded")
        self._open_rules.add(id(target))
        try:
            return self._rule(target)
        finally:
            self._open_rules.discard(id(target))

    def _rule(self, target: ET.Element) -> Rule:
        expressions: list[Expression] = []
        for child in target:
            tag = child.tag
            if tag == "expression":
                expressions.append(
                    AttrExpression(
                        id=self.need(child, "id"),
                        attribute=self.need(child, "attribute"),
                        operation=self.need(child, "operation"),
                        value=child.get("value"),
                        type=child.get("type"),
                        value_source=child.get("value-source"),
                    )
                )
            elif tag == "date_expression":
                expressions.append(self.date_expression(child))
            elif tag == "op_expression":
                expressions.append(
                    OpExpression(
                        id=self.need(child, "id"),
                        name=self.need(child, "name"),
                        interval=child.get("interval"),
                    )
                )
            elif tag == "rsc_expression":
                expressions.append(
                    RscExpression(
                        id=self.need(child, "id"),
                        cls=child.get("class"),
                        provider=child.get("provider"),
                        type=child.get("type"),
                    )
                )
            elif tag == "rule":
                expressions.append(self.rule(child))
            else:
                raise self.fail(child, "is not an expression a rule can hold")
        return Rule(
            id=self.need(target, "id"),
            expressions=tuple(expressions),
            boolean_op=target.get("boolean-op", "and"),
            score=self.score(target),
            score_attribute=target.get("score-attribute"),
            role=self.role(target, "role"),
        )

    def date_expression(self, elem: ET.Element) -> DateExpression:
        duration: Pairs = ()
        date_spec: Pairs = ()
        for child in elem:
            pairs = tuple((k, v) for k, v in child.attrib.items() if k != "id")
            if child.tag == "duration":
                duration = pairs
            elif child.tag == "date_spec":
                date_spec = pairs
        return DateExpression(
            id=self.need(elem, "id"),
            operation=elem.get("operation", "in_range"),
            start=elem.get("start"),
            end=elem.get("end"),
            duration=duration,
            date_spec=date_spec,
        )

    # ------------------------------------------------------------------ nodes

    def node(self, elem: ET.Element) -> Node:
        return Node(
            id=self.need(elem, "id"),
            uname=self.need(elem, "uname"),
            type=elem.get("type", "member"),
            attributes=self.nvsets(elem, ("instance_attributes",)),
            utilization=self.nvsets(elem, ("utilization",)),
            description=elem.get("description"),
            score=self.score(elem),
        )

    # ------------------------------------------------------------------ resources

    def resource(self, elem: ET.Element) -> Resource | None:
        """A primitive, group, clone or master; None for kinds harm keeps as raw XML."""
        tag = elem.tag
        if tag == "primitive":
            return self.primitive(elem)
        if tag == "group":
            return self.group(elem)
        if tag in ("clone", "master"):
            return self.clone(elem)
        return None

    def primitive(self, elem: ET.Element) -> Primitive:
        template_id = elem.get("template")
        source = elem
        if template_id is not None:
            source = self.template(elem, template_id)
        cls = source.get("class")
        if cls is None:
            raise self.fail(elem, "attribute 'class' is missing")
        params: list[NvSet] = []
        meta: list[NvSet] = []
        utilization: list[NvSet] = []
        ops: tuple[Op, ...] = ()
        for child in elem:
            tag = child.tag
            if tag == "instance_attributes":
                params.append(self.nvset(child))
            elif tag == "meta_attributes":
                meta.append(self.nvset(child))
            elif tag == "utilization":
                utilization.append(self.nvset(child))
            elif tag == "operations":
                ops = self.operations(child)
        return Primitive(
            id=self.need(elem, "id"),
            agent=AgentRef(
                cls=cls, provider=source.get("provider"), type=self.need(source, "type")
            ),
            params=tuple(params),
            meta=tuple(meta),
            ops=ops,
            utilization=tuple(utilization),
            description=elem.get("description"),
            template=template_id,
        )

    def template_definition(self, elem: ET.Element) -> Template:
        """A ``<template>``: a primitive's agent, attribute sets and operations."""
        cls = self.need(elem, "class")
        params: list[NvSet] = []
        meta: list[NvSet] = []
        utilization: list[NvSet] = []
        ops: tuple[Op, ...] = ()
        for child in elem:
            if child.tag == "instance_attributes":
                params.append(self.nvset(child))
            elif child.tag == "meta_attributes":
                meta.append(self.nvset(child))
            elif child.tag == "utilization":
                utilization.append(self.nvset(child))
            elif child.tag == "operations":
                ops = self.operations(child)
        return Template(
            id=self.need(elem, "id"),
            agent=AgentRef(cls=cls, provider=elem.get("provider"), type=self.need(elem, "type")),
            params=tuple(params),
            meta=tuple(meta),
            ops=ops,
            utilization=tuple(utilization),
            description=elem.get("description"),
        )

    def template(self, elem: ET.Element, template_id: str) -> ET.Element:
        for section in self.root.iterfind("configuration/resources"):
            for candidate in section:
                if candidate.tag == "template" and candidate.get("id") == template_id:
                    return candidate
        raise self.fail(elem, f"template {template_id!r} does not exist")

    def operations(self, elem: ET.Element) -> tuple[Op, ...]:
        target = self.resolve(elem)
        return tuple(self.op(child) for child in target if child.tag == "op")

    def op(self, elem: ET.Element) -> Op:
        return Op(
            id=self.need(elem, "id"),
            name=self.need(elem, "name"),
            interval=elem.get("interval", "0"),
            role=self.role(elem, "role"),
            attrs=tuple((k, v) for k, v in elem.attrib.items() if k not in _OP_FIELDS),
            meta=self.nvsets(elem, ("meta_attributes",)),
            params=self.nvsets(elem, ("instance_attributes",)),
        )

    def group(self, elem: ET.Element) -> Group:
        children: list[Primitive] = []
        for child in elem:
            if child.tag == "primitive":
                children.append(self.primitive(child))
        return Group(
            id=self.need(elem, "id"),
            children=tuple(children),
            meta=self.nvsets(elem, ("meta_attributes",)),
            params=self.nvsets(elem, ("instance_attributes",)),
            description=elem.get("description"),
        )

    def clone(self, elem: ET.Element) -> Clone:
        child: Primitive | Group | None = None
        for sub in elem:
            if sub.tag == "primitive":
                child = self.primitive(sub)
            elif sub.tag == "group":
                child = self.group(sub)
        if child is None:
            raise self.fail(elem, "holds no primitive or group")
        return Clone(
            id=self.need(elem, "id"),
            child=child,
            meta=self.nvsets(elem, ("meta_attributes",)),
            params=self.nvsets(elem, ("instance_attributes",)),
            legacy_ms=elem.tag == "master",
            description=elem.get("description"),
        )

    # ------------------------------------------------------------------ constraints

    def constraint(self, elem: ET.Element) -> Constraint | None:
        """A location, colocation or order; None for kinds harm keeps as raw XML."""
        tag = elem.tag
        if tag == "rsc_location":
            return self.location(elem)
        if tag == "rsc_colocation":
            return self.colocation(elem)
        if tag == "rsc_order":
            return self.order(elem)
        if tag == "rsc_ticket":
            return self.ticket(elem)
        return None

    def resource_sets(self, elem: ET.Element) -> tuple[ResourceSet, ...]:
        sets: list[ResourceSet] = []
        for child in elem:
            if child.tag != "resource_set":
                continue
            target = self.resolve(child)
            sets.append(
                ResourceSet(
                    id=self.need(target, "id"),
                    resources=tuple(
                        self.need(ref, "id") for ref in target if ref.tag == "resource_ref"
                    ),
                    sequential=self.boolean(target, "sequential"),
                    require_all=self.boolean(target, "require-all"),
                    ordering=target.get("ordering"),
                    action=target.get("action"),
                    role=self.role(target, "role"),
                    score=self.score(target),
                    kind=target.get("kind"),
                )
            )
        return tuple(sets)

    def location(self, elem: ET.Element) -> Location:
        return Location(
            id=self.need(elem, "id"),
            rsc=elem.get("rsc"),
            rsc_pattern=elem.get("rsc-pattern"),
            role=self.role(elem, "role"),
            node=elem.get("node"),
            score=self.score(elem),
            rules=tuple(self.rule(child) for child in elem if child.tag == "rule"),
            resource_discovery=elem.get("resource-discovery"),
            sets=self.resource_sets(elem),
        )

    def colocation(self, elem: ET.Element) -> Colocation:
        return Colocation(
            id=self.need(elem, "id"),
            score=self.score(elem),
            rsc=elem.get("rsc"),
            with_rsc=elem.get("with-rsc"),
            rsc_role=self.role(elem, "rsc-role"),
            with_rsc_role=self.role(elem, "with-rsc-role"),
            node_attribute=elem.get("node-attribute"),
            influence=self.boolean(elem, "influence"),
            sets=self.resource_sets(elem),
            score_attribute=elem.get("score-attribute"),
        )

    def order(self, elem: ET.Element) -> Order:
        return Order(
            id=self.need(elem, "id"),
            first=elem.get("first"),
            then=elem.get("then"),
            first_action=elem.get("first-action"),
            then_action=elem.get("then-action"),
            kind=elem.get("kind"),
            score=self.score(elem),
            symmetrical=self.boolean(elem, "symmetrical"),
            require_all=self.boolean(elem, "require-all"),
            sets=self.resource_sets(elem),
        )

    def ticket(self, elem: ET.Element) -> Ticket:
        return Ticket(
            id=self.need(elem, "id"),
            ticket=self.need(elem, "ticket"),
            rsc=elem.get("rsc"),
            rsc_role=self.role(elem, "rsc-role"),
            loss_policy=elem.get("loss-policy"),
            sets=self.resource_sets(elem),
        )

    # ------------------------------------------------------------------ status

    def status(self, elem: ET.Element) -> Status:
        nodes: list[NodeState] = []
        tickets: list[TicketState] = []
        extra: list[tuple[str, str]] = []
        fencing: list[FenceEvent] = []
        for child in elem:
            if child.tag == "node_state":
                nodes.append(self.node_state(child))
            elif child.tag == "tickets":
                tickets += (self.ticket_state(t) for t in child if t.tag == "ticket_state")
            elif child.tag == "fencing_history":
                fencing += [self.fence_event(e) for e in child if e.tag == "fence_event"]
            else:
                extra.append(("status", _raw_xml(child)))
        return Status(nodes=tuple(nodes), tickets=tuple(tickets), fencing=tuple(fencing),
                      extra_sections=tuple(extra))

    def ticket_state(self, elem: ET.Element) -> TicketState:
        """A ticket's state; granted and standby read as Pacemaker's booleans."""
        return TicketState(
            id=self.need(elem, "id"),
            granted=bool(self.boolean(elem, "granted")),
            standby=bool(self.boolean(elem, "standby")),
            last_granted=self.integer(elem, "last-granted"),
            extra=tuple((k, v) for k, v in elem.attrib.items()
                        if k not in ("id", "granted", "standby", "last-granted")),
        )

    def fence_event(self, elem: ET.Element) -> FenceEvent:
        try:
            state = FenceState(self.need(elem, "status"))
        except ValueError:
            raise self.fail(elem, "status must be pending, success or failed") from None
        return FenceEvent(
            id=self.need(elem, "id"), target=self.need(elem, "target"),
            action=self.need(elem, "action"), state=state, origin=elem.get("origin", ""),
            client=elem.get("client", ""), completed=self.integer(elem, "completed") or 0,
            delegate=elem.get("delegate", ""), device=elem.get("device", ""),
            exit_reason=elem.get("exit-reason", ""))

    def node_state(self, elem: ET.Element) -> NodeState:
        """A node's state; an absent in_ccm reads as None (Pacemaker fences a node it has
        never seen, but not one that left), absent crmd/join/expected as empty strings."""
        transient: list[NvSet] = []
        resources: list[ResourceHistory] = []
        for child in elem:
            if child.tag == "transient_attributes":
                transient += self.nvsets(child, ("instance_attributes",))
            elif child.tag == "lrm":
                for section in child:
                    if section.tag == "lrm_resources":
                        resources += (
                            self.lrm_resource(r) for r in section if r.tag == "lrm_resource"
                        )
        return NodeState(
            id=elem.get("id", ""),
            uname=elem.get("uname", ""),
            in_ccm=None if elem.get("in_ccm") is None else bool(self.boolean(elem, "in_ccm")),
            crmd=elem.get("crmd", ""),
            join=elem.get("join", ""),
            expected=elem.get("expected", ""),
            transient_attributes=tuple(transient),
            resources=tuple(resources),
            extra=tuple((k, v) for k, v in elem.attrib.items() if k not in _NODE_STATE_FIELDS),
        )

    def lrm_resource(self, elem: ET.Element) -> ResourceHistory:
        attrib = elem.attrib
        return ResourceHistory(
            id=self.need(elem, "id"),
            cls=attrib.get("class", ""),
            provider=attrib.get("provider"),
            type=attrib.get("type", ""),
            ops=tuple([self.op_record(op) for op in elem if op.tag == "lrm_rsc_op"]),
            extra=tuple([(k, v) for k, v in attrib.items() if k not in _LRM_RESOURCE_FIELDS]),
        )

    def op_record(self, elem: ET.Element) -> OpRecord:
        """One ``lrm_rsc_op``. This runs once per history entry (tens of thousands in a
        large CIB), so the well-formed case reads the attributes directly; anything odd
        goes through the checked path, which names the problem."""
        attrib = elem.attrib
        get = attrib.get
        try:
            return OpRecord(
                id=attrib["id"],
                operation=attrib["operation"],
                interval_ms=int(get("interval") or 0),
                rc=int(attrib["rc-code"]),
                status=int(attrib["op-status"]),
                call_id=int(get("call-id") or 0),
                last_rc_change=_optional_int(get("last-rc-change")),
                last_run=_optional_int(get("last-run")),
                exec_time=_optional_int(get("exec-time")),
                queue_time=_optional_int(get("queue-time")),
                on_node=get("on_node"),
                exit_reason=get("exit-reason"),
                transition_key=get("transition-key"),
                transition_magic=get("transition-magic"),
                op_digest=get("op-digest"),
                extra=tuple([(k, v) for k, v in attrib.items() if k not in _OP_RECORD_FIELDS]),
            )
        except (KeyError, ValueError):
            self.check_op_record(elem)  # raises CibFormatError naming the problem
            raise self.fail(elem, "cannot be read") from None

    def check_op_record(self, elem: ET.Element) -> None:
        """Raise CibFormatError naming what is wrong with an ``lrm_rsc_op``."""
        self.need(elem, "id")
        self.need(elem, "operation")
        for name in ("rc-code", "op-status"):
            self.need(elem, name)
        for name in ("interval", "rc-code", "op-status", "call-id", "last-rc-change",
                     "last-run", "exec-time", "queue-time"):
            self.integer(elem, name)


def _optional_int(text: str | None) -> int | None:
    return None if text is None else int(text)
