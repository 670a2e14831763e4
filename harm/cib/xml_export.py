"""Write harm's typed CIB as Pacemaker CIB XML.

The output is what harm keeps on disk and what ``harm configure show --xml`` prints:
Debian's ``crm_verify -x FILE`` and ``crm_mon -1 -X``-style tools read it directly, and
:func:`harm.cib.xml_import.parse_cib_xml` reads it back into an equal model.

Choices the model leaves open, and how they are made:

- **Role names.** Schemas before ``pacemaker-3.7`` only know ``Master``/``Slave``; 3.7 and
  later also know ``Promoted``/``Unpromoted``. The CIB's own ``validate-with`` decides which
  spelling is written, so the document always validates against the schema it names.
- **Ids the model does not hold** (nvpairs, ``operations``, ``date_spec``/``duration``) are
  generated from their parent's id, made valid XML ids, and renamed with a numeric suffix
  if they would clash with any other id of the configuration (raw sections included).
- **Shared content.** When the same attribute set, rule, resource set or operation list
  (same id, same content) occurs a second time, as an ``id-ref`` in the source XML makes
  it do, it is written as an ``id-ref`` again.
- **Raw sections** (``extra_sections`` of configuration and status) are placed back at
  their recorded tag path and position, verbatim: resource and constraint order matters
  to Pacemaker.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections import Counter

from harm.cib.cib import Cib
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
from harm.cib.safe_xml import MAX_DEPTH, parse_xml
from harm.cib.scores import format_score
from harm.cib.status import (
    FenceEvent,
    NodeState,
    OpRecord,
    ResourceHistory,
    Status,
    TicketState,
)
from harm.errors import CibFormatError

__all__ = ["cib_to_xml", "config_to_xml_element", "uses_new_role_names", "xml_id"]

_SCHEMA = re.compile(r"^pacemaker-(\d+)\.(\d+)$")
_NOT_ID_CHAR = re.compile(r"[^A-Za-z0-9_.\-]")


def cib_to_xml(cib: Cib) -> str:
    """The whole CIB as an indented Pacemaker CIB XML document (ending in a newline).

    Raises CibFormatError for a model nested deeper than the reader accepts
    (:data:`~harm.cib.safe_xml.MAX_DEPTH`): what is written can always be read back."""
    lines: list[str] = []
    try:
        _render(cib_to_xml_element(cib), "", lines)
    except RecursionError:
        raise CibFormatError(f"the CIB is nested deeper than {MAX_DEPTH} levels") from None
    lines.append("")
    return "\n".join(lines)


def _render(elem: ET.Element, indent: str, lines: list[str]) -> None:
    """Indented XML for ``elem``, two spaces a level; faster than ElementTree's writer,
    which matters for CIBs with tens of thousands of history entries."""
    if len(indent) >= 2 * MAX_DEPTH:
        raise CibFormatError(f"the CIB is nested deeper than {MAX_DEPTH} levels "
                             f"(<{elem.tag}> is at level {len(indent) // 2 + 1})")
    tag = elem.tag
    attrib = elem.attrib
    if _ATTR_SPECIAL.search("".join(attrib.values())) is None:  # the usual case
        attrs = "".join([f' {name}="{value}"' for name, value in attrib.items()])
    else:
        attrs = "".join([f' {name}="{_attr_text(value)}"' for name, value in attrib.items()])
    head = f"{indent}<{tag}{attrs}"
    text = elem.text
    if len(elem) == 0:
        if text:
            lines.append(f"{head}>{_escape_text(text)}</{tag}>")
        else:
            lines.append(f"{head} />")
    elif (text and text.strip()) or any(c.tail and c.tail.strip() for c in elem):
        # mixed content (only in raw sections): keep it exactly
        tail, elem.tail = elem.tail, None
        lines.append(indent + ET.tostring(elem, encoding="unicode"))
        elem.tail = tail
    else:
        lines.append(f"{head}>")
        inner = indent + "  "
        for child in elem:
            _render(child, inner, lines)
        lines.append(f"{indent}</{tag}>")


_ATTR_SPECIAL = re.compile(r'[&<>"\n\r\t]')
_ATTR_ESCAPES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "\n": "&#10;",
                 "\r": "&#13;", "\t": "&#09;"}


def _attr_text(value: str) -> str:
    return _ATTR_SPECIAL.sub(lambda m: _ATTR_ESCAPES[m.group()], value)


def _escape_text(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def cib_to_xml_element(cib: Cib) -> ET.Element:
    """The ``<cib>`` element tree for ``cib`` (not indented)."""
    attrs = {
        "admin_epoch": str(cib.admin_epoch),
        "epoch": str(cib.epoch),
        "num_updates": str(cib.num_updates),
        "validate-with": cib.validate_with,
        "have-quorum": "1" if cib.have_quorum else "0",
    }
    if cib.dc_uuid is not None:
        attrs["dc-uuid"] = cib.dc_uuid
    for name, value in cib.extra:
        attrs.setdefault(name, value)
    root = ET.Element("cib", attrs)
    writer = _Writer(uses_new_role_names(cib.validate_with))
    root.append(writer.configuration(cib.configuration))
    root.append(writer.status(cib.status))
    _place_raw(root, cib.configuration.extra_sections)
    _place_raw(root, cib.status.extra_sections)
    writer.make_generated_ids_unique(root.find("configuration"))
    return root


def config_to_xml_element(configuration: Configuration, validate_with: str) -> ET.Element:
    """Just the ``<configuration>`` element, with raw sections placed back."""
    root = cib_to_xml_element(Cib(configuration=configuration, validate_with=validate_with))
    elem = root.find("configuration")
    assert elem is not None  # cib_to_xml_element always writes one
    return elem


def uses_new_role_names(validate_with: str) -> bool:
    """True when the schema knows ``Promoted``/``Unpromoted`` (pacemaker-3.7 and later)."""
    if validate_with == "pacemaker-next":
        return True
    match = _SCHEMA.match(validate_with)
    if match is None:
        return False
    return (int(match.group(1)), int(match.group(2))) >= (3, 7)


def xml_id(text: str) -> str:
    """``text`` made into a valid XML id (an NCName): odd characters become ``.``, and a
    leading digit, dot or dash gets an ``_`` in front."""
    cleaned = _NOT_ID_CHAR.sub(".", text) or "_"
    if not (cleaned[0].isalpha() or cleaned[0] == "_"):
        cleaned = "_" + cleaned
    return cleaned


def _place_raw(root: ET.Element, sections: Pairs) -> None:
    """Put each raw XML section back where it was read: ``configuration/resources@3`` is
    child 3 (from 0) of ``<resources>``; without ``@N`` it goes last. Sections are placed
    in the order given, so the recorded order among modeled elements comes back.

    Raises CibFormatError when a section is not well-formed XML."""
    for place, text in sections:
        path, _, index = place.partition("@")
        parent = root
        for tag in path.split("/"):
            if tag == "cib" and parent is root:
                continue
            found = parent.find(tag)
            if found is None:
                found = ET.SubElement(parent, tag)
            parent = found
        try:
            elem = parse_xml(text, f"the raw section kept for {place}")
        except CibFormatError as exc:
            raise CibFormatError(f"{exc} (a raw section is kept as read)") from None
        if index.isdigit():
            parent.insert(min(int(index), len(parent)), elem)
        else:
            parent.append(elem)


def _bool(value: bool) -> str:
    return "true" if value else "false"


def _set_optional(elem: ET.Element, name: str, value: str | None) -> None:
    if value is not None:
        elem.set(name, value)


class _Writer:
    """Builds the element tree; remembers what was written, for id-refs and unique ids."""

    def __init__(self, new_role_names: bool) -> None:
        self.new_role_names = new_role_names
        self.generated: list[ET.Element] = []  # elements whose id harm made up
        self.referrers: dict[int, list[ET.Element]] = {}  # id(generated elem) -> id-refs to it
        self.sets: dict[str, NvSet] = {}
        self.rules: dict[str, Rule] = {}
        self.seen_sets: dict[str, ResourceSet] = {}
        self.operations: dict[tuple[Op, ...], ET.Element] = {}

    # ------------------------------------------------------------------ helpers

    def role(self, role: Role) -> str:
        return role.value if self.new_role_names else role.legacy

    def set_role(self, elem: ET.Element, name: str, role: Role | None) -> None:
        if role is not None:
            elem.set(name, self.role(role))

    def generated_id(self, elem: ET.Element, base: str) -> None:
        elem.set("id", xml_id(base))
        self.generated.append(elem)

    def make_generated_ids_unique(self, scope: ET.Element | None) -> None:
        """Rename generated ids that clash with any other id in ``scope``."""
        if scope is None:
            return
        counts = Counter(e.get("id") for e in scope.iter() if e.get("id") is not None)
        for elem in self.generated:
            old = elem.get("id", "")
            if counts[old] <= 1:
                continue
            number = 1
            while f"{old}-{number}" in counts:
                number += 1
            new = f"{old}-{number}"
            counts[old] -= 1
            counts[new] = 1
            elem.set("id", new)
            for referrer in self.referrers.get(id(elem), []):
                referrer.set("id-ref", new)

    # ------------------------------------------------------------------ configuration

    def configuration(self, config: Configuration) -> ET.Element:
        elem = ET.Element("configuration")
        crm_config = ET.SubElement(elem, "crm_config")
        for nvset in config.crm_config:
            crm_config.append(self.nvset("cluster_property_set", nvset))
        nodes = ET.SubElement(elem, "nodes")
        for node in config.nodes:
            nodes.append(self.node(node))
        resources = ET.SubElement(elem, "resources")
        for template in config.templates:
            resources.append(self.template(template))
        for resource in config.resources:
            resources.append(self.resource(resource))
        constraints = ET.SubElement(elem, "constraints")
        for constraint in config.constraints:
            constraints.append(self.constraint(constraint))
        if config.tags:
            tags = ET.SubElement(elem, "tags")
            for each in config.tags:
                tags.append(_tag(each))
        for tag, sets in (("rsc_defaults", config.rsc_defaults),
                          ("op_defaults", config.op_defaults)):
            if sets:
                section = ET.SubElement(elem, tag)
                for nvset in sets:
                    section.append(self.nvset("meta_attributes", nvset))
        if config.fencing_levels:
            topology = ET.SubElement(elem, "fencing-topology")
            for level in config.fencing_levels:
                topology.append(fencing_level(level))
        return elem

    def nvsets(self, parent: ET.Element, tag: str, sets: tuple[NvSet, ...]) -> None:
        for nvset in sets:
            parent.append(self.nvset(tag, nvset))

    def nvset(self, tag: str, nvset: NvSet) -> ET.Element:
        if self.sets.get(nvset.id) == nvset:
            return ET.Element(tag, {"id-ref": nvset.id})
        self.sets.setdefault(nvset.id, nvset)
        elem = ET.Element(tag, {"id": nvset.id})
        if nvset.score is not None:
            elem.set("score", format_score(nvset.score))
        if nvset.rule is not None:
            elem.append(self.rule(nvset.rule))
        for name, value in nvset.pairs:
            pair = ET.SubElement(elem, "nvpair", {"id": "", "name": name, "value": value})
            self.generated_id(pair, f"{nvset.id}-{name}")
        return elem

    def rule(self, rule: Rule) -> ET.Element:
        if self.rules.get(rule.id) == rule:
            return ET.Element("rule", {"id-ref": rule.id})
        self.rules.setdefault(rule.id, rule)
        elem = ET.Element("rule", {"id": rule.id})
        if rule.score is not None:
            elem.set("score", format_score(rule.score))
        _set_optional(elem, "score-attribute", rule.score_attribute)
        if rule.boolean_op != "and":
            elem.set("boolean-op", rule.boolean_op)
        self.set_role(elem, "role", rule.role)
        for expression in rule.expressions:
            elem.append(self.expression(expression))
        return elem

    def expression(self, expression: Expression) -> ET.Element:
        if isinstance(expression, Rule):
            return self.rule(expression)
        if isinstance(expression, AttrExpression):
            elem = ET.Element("expression", {
                "id": expression.id,
                "attribute": expression.attribute,
                "operation": expression.operation,
            })
            _set_optional(elem, "value", expression.value)
            _set_optional(elem, "type", expression.type)
            _set_optional(elem, "value-source", expression.value_source)
            return elem
        if isinstance(expression, DateExpression):
            elem = ET.Element("date_expression",
                              {"id": expression.id, "operation": expression.operation})
            _set_optional(elem, "start", expression.start)
            _set_optional(elem, "end", expression.end)
            for tag, pairs in (("date_spec", expression.date_spec),
                               ("duration", expression.duration)):
                if pairs:
                    child = ET.SubElement(elem, tag, {"id": ""})
                    child.attrib.update(pairs)
                    self.generated_id(child, f"{expression.id}-{tag}")
            return elem
        if isinstance(expression, OpExpression):
            elem = ET.Element("op_expression", {"id": expression.id, "name": expression.name})
            _set_optional(elem, "interval", expression.interval)
            return elem
        return self.rsc_expression(expression)

    def rsc_expression(self, expression: RscExpression) -> ET.Element:
        elem = ET.Element("rsc_expression", {"id": expression.id})
        _set_optional(elem, "class", expression.cls)
        _set_optional(elem, "provider", expression.provider)
        _set_optional(elem, "type", expression.type)
        return elem

    def node(self, node: Node) -> ET.Element:
        elem = ET.Element("node", {"id": node.id, "uname": node.uname, "type": node.type})
        _set_optional(elem, "description", node.description)
        if node.score is not None:
            elem.set("score", format_score(node.score))
        self.nvsets(elem, "instance_attributes", node.attributes)
        self.nvsets(elem, "utilization", node.utilization)
        return elem

    # ------------------------------------------------------------------ resources

    def resource(self, resource: Resource) -> ET.Element:
        if isinstance(resource, Primitive):
            return self.primitive(resource)
        if isinstance(resource, Group):
            return self.group(resource)
        return self.clone(resource)

    def primitive(self, primitive: Primitive) -> ET.Element:
        elem = ET.Element("primitive", {"id": primitive.id})
        if primitive.template is not None:
            elem.set("template", primitive.template)
        else:
            elem.set("class", primitive.agent.cls)
            _set_optional(elem, "provider", primitive.agent.provider)
            elem.set("type", primitive.agent.type)
        _set_optional(elem, "description", primitive.description)
        self.nvsets(elem, "instance_attributes", primitive.params)
        self.nvsets(elem, "meta_attributes", primitive.meta)
        self.nvsets(elem, "utilization", primitive.utilization)
        if primitive.ops:
            elem.append(self.operation_list(primitive.id, primitive.ops))
        return elem

    def template(self, template: Template) -> ET.Element:
        elem = ET.Element("template", {"id": template.id, "class": template.agent.cls})
        _set_optional(elem, "provider", template.agent.provider)
        elem.set("type", template.agent.type)
        _set_optional(elem, "description", template.description)
        self.nvsets(elem, "instance_attributes", template.params)
        self.nvsets(elem, "meta_attributes", template.meta)
        self.nvsets(elem, "utilization", template.utilization)
        if template.ops:
            elem.append(self.operation_list(template.id, template.ops))
        return elem

    def operation_list(self, owner: str, ops: tuple[Op, ...]) -> ET.Element:
        shared = self.operations.get(ops)
        if shared is not None:
            ref = ET.Element("operations", {"id-ref": shared.get("id", "")})
            self.referrers.setdefault(id(shared), []).append(ref)
            return ref
        elem = ET.Element("operations", {"id": ""})
        self.generated_id(elem, f"{owner}-operations")
        self.operations[ops] = elem
        for op in ops:
            elem.append(self.op(op))
        return elem

    def op(self, op: Op) -> ET.Element:
        elem = ET.Element("op", {"id": op.id, "name": op.name, "interval": op.interval})
        self.set_role(elem, "role", op.role)
        for name, value in op.attrs:
            elem.set(name, value)
        self.nvsets(elem, "meta_attributes", op.meta)
        self.nvsets(elem, "instance_attributes", op.params)
        return elem

    def group(self, group: Group) -> ET.Element:
        elem = ET.Element("group", {"id": group.id})
        _set_optional(elem, "description", group.description)
        self.nvsets(elem, "meta_attributes", group.meta)
        self.nvsets(elem, "instance_attributes", group.params)
        for child in group.children:
            elem.append(self.primitive(child))
        return elem

    def clone(self, clone: Clone) -> ET.Element:
        elem = ET.Element("master" if clone.legacy_ms else "clone", {"id": clone.id})
        _set_optional(elem, "description", clone.description)
        self.nvsets(elem, "meta_attributes", clone.meta)
        self.nvsets(elem, "instance_attributes", clone.params)
        elem.append(self.resource(clone.child))
        return elem

    # ------------------------------------------------------------------ constraints

    def constraint(self, constraint: Constraint) -> ET.Element:
        if isinstance(constraint, Location):
            return self.location(constraint)
        if isinstance(constraint, Colocation):
            return self.colocation(constraint)
        if isinstance(constraint, Ticket):
            return self.ticket(constraint)
        return self.order(constraint)

    def resource_sets(self, elem: ET.Element, sets: tuple[ResourceSet, ...]) -> None:
        for rset in sets:
            if self.resource_sets_seen(rset):
                ET.SubElement(elem, "resource_set", {"id-ref": rset.id})
                continue
            child = ET.SubElement(elem, "resource_set", {"id": rset.id})
            if rset.sequential is not None:
                child.set("sequential", _bool(rset.sequential))
            if rset.require_all is not None:
                child.set("require-all", _bool(rset.require_all))
            _set_optional(child, "ordering", rset.ordering)
            _set_optional(child, "action", rset.action)
            self.set_role(child, "role", rset.role)
            if rset.score is not None:
                child.set("score", format_score(rset.score))
            _set_optional(child, "kind", rset.kind)
            for rsc in rset.resources:
                ET.SubElement(child, "resource_ref", {"id": rsc})

    def resource_sets_seen(self, rset: ResourceSet) -> bool:
        if self.seen_sets.get(rset.id) == rset:
            return True
        self.seen_sets.setdefault(rset.id, rset)
        return False

    def location(self, location: Location) -> ET.Element:
        elem = ET.Element("rsc_location", {"id": location.id})
        _set_optional(elem, "rsc", location.rsc)
        _set_optional(elem, "rsc-pattern", location.rsc_pattern)
        self.set_role(elem, "role", location.role)
        _set_optional(elem, "node", location.node)
        if location.score is not None:
            elem.set("score", format_score(location.score))
        _set_optional(elem, "resource-discovery", location.resource_discovery)
        self.resource_sets(elem, location.sets)
        for rule in location.rules:
            elem.append(self.rule(rule))
        return elem

    def colocation(self, colocation: Colocation) -> ET.Element:
        elem = ET.Element("rsc_colocation", {"id": colocation.id})
        _set_optional(elem, "rsc", colocation.rsc)
        self.set_role(elem, "rsc-role", colocation.rsc_role)
        _set_optional(elem, "with-rsc", colocation.with_rsc)
        self.set_role(elem, "with-rsc-role", colocation.with_rsc_role)
        if colocation.score is not None:
            elem.set("score", format_score(colocation.score))
        _set_optional(elem, "score-attribute", colocation.score_attribute)
        _set_optional(elem, "node-attribute", colocation.node_attribute)
        if colocation.influence is not None:
            elem.set("influence", _bool(colocation.influence))
        self.resource_sets(elem, colocation.sets)
        return elem

    def order(self, order: Order) -> ET.Element:
        elem = ET.Element("rsc_order", {"id": order.id})
        _set_optional(elem, "first", order.first)
        _set_optional(elem, "first-action", order.first_action)
        _set_optional(elem, "then", order.then)
        _set_optional(elem, "then-action", order.then_action)
        _set_optional(elem, "kind", order.kind)
        if order.score is not None:
            elem.set("score", format_score(order.score))
        if order.symmetrical is not None:
            elem.set("symmetrical", _bool(order.symmetrical))
        if order.require_all is not None:
            elem.set("require-all", _bool(order.require_all))
        self.resource_sets(elem, order.sets)
        return elem

    def ticket(self, ticket: Ticket) -> ET.Element:
        elem = ET.Element("rsc_ticket", {"id": ticket.id, "ticket": ticket.ticket})
        _set_optional(elem, "rsc", ticket.rsc)
        self.set_role(elem, "rsc-role", ticket.rsc_role)
        _set_optional(elem, "loss-policy", ticket.loss_policy)
        self.resource_sets(elem, ticket.sets)
        return elem

    # ------------------------------------------------------------------ status

    def status(self, status: Status) -> ET.Element:
        elem = ET.Element("status")
        if status.tickets:
            tickets = ET.SubElement(elem, "tickets")
            for ticket in status.tickets:
                tickets.append(_ticket_state(ticket))
        for state in status.nodes:
            elem.append(self.node_state(state))
        if status.fencing:
            history = ET.SubElement(elem, "fencing_history")
            for event in status.fencing:
                history.append(fence_event(event))
        return elem

    def node_state(self, state: NodeState) -> ET.Element:
        """A node's state; in_ccm None and empty crmd/join/expected stay absent."""
        elem = ET.Element("node_state")
        if state.id:
            elem.set("id", state.id)
        if state.uname:
            elem.set("uname", state.uname)
        if state.in_ccm is not None:
            elem.set("in_ccm", _bool(state.in_ccm))
        for name, value in (("crmd", state.crmd), ("join", state.join),
                            ("expected", state.expected)):
            if value:
                elem.set(name, value)
        for name, value in state.extra:
            elem.set(name, value)
        if state.transient_attributes:
            transient = ET.SubElement(elem, "transient_attributes", {"id": state.id})
            for nvset in state.transient_attributes:
                transient.append(_status_nvset(state.id, nvset))
        if state.resources:
            lrm = ET.SubElement(elem, "lrm", {"id": state.id})
            lrm_resources = ET.SubElement(lrm, "lrm_resources")
            for history in state.resources:
                lrm_resources.append(_lrm_resource(history))
        return elem


def _tag(tag: Tag) -> ET.Element:
    elem = ET.Element("tag", {"id": tag.id})
    for ref in tag.refs:
        ET.SubElement(elem, "obj_ref", {"id": ref})
    return elem


def _ticket_state(ticket: TicketState) -> ET.Element:
    elem = ET.Element("ticket_state", {"id": ticket.id, "granted": _bool(ticket.granted)})
    if ticket.standby:
        elem.set("standby", "true")
    if ticket.last_granted is not None:
        elem.set("last-granted", str(ticket.last_granted))
    for name, value in ticket.extra:
        elem.set(name, value)
    return elem


def fence_event(event: FenceEvent) -> ET.Element:
    elem = ET.Element("fence_event", {
        "id": event.id, "target": event.target, "action": event.action,
        "status": event.state.value, "origin": event.origin, "client": event.client,
        "completed": str(event.completed)})
    for name, value in (("delegate", event.delegate), ("device", event.device),
                        ("exit-reason", event.exit_reason)):
        if value:
            elem.set(name, value)
    return elem


def fencing_level(level: FencingLevel) -> ET.Element:
    elem = ET.Element("fencing-level", {"id": level.id})
    for name, value in (("target", level.target), ("target-pattern", level.target_pattern),
                        ("target-attribute", level.target_attribute),
                        ("target-value", level.target_value)):
        _set_optional(elem, name, value)
    elem.set("index", str(level.index))
    elem.set("devices", ",".join(level.devices))
    return elem


def _status_nvset(node_id: str, nvset: NvSet) -> ET.Element:
    """Transient attributes: no ids to keep unique (status ids are free text)."""
    elem = ET.Element("instance_attributes", {"id": nvset.id})
    for name, value in nvset.pairs:
        ET.SubElement(elem, "nvpair",
                      {"id": xml_id(f"status-{node_id}-{name}"), "name": name, "value": value})
    return elem


def _lrm_resource(history: ResourceHistory) -> ET.Element:
    elem = ET.Element("lrm_resource", {"id": history.id})
    if history.cls:
        elem.set("class", history.cls)
    _set_optional(elem, "provider", history.provider)
    if history.type:
        elem.set("type", history.type)
    for name, value in history.extra:
        elem.set(name, value)
    for record in history.ops:
        elem.append(_lrm_rsc_op(record))
    return elem


def _lrm_rsc_op(record: OpRecord) -> ET.Element:
    attrs = {
        "id": record.id,
        "operation": record.operation,
        "interval": str(record.interval_ms),
        "rc-code": str(record.rc),
        "op-status": str(int(record.status)),
        "call-id": str(record.call_id),
    }
    for name, number in (("last-rc-change", record.last_rc_change), ("last-run", record.last_run),
                         ("exec-time", record.exec_time), ("queue-time", record.queue_time)):
        if number is not None:
            attrs[name] = str(number)
    for name, text in (("on_node", record.on_node), ("exit-reason", record.exit_reason),
                       ("transition-key", record.transition_key),
                       ("transition-magic", record.transition_magic),
                       ("op-digest", record.op_digest)):
        if text is not None:
            attrs[name] = text
    for name, value in record.extra:
        attrs.setdefault(name, value)
    return ET.Element("lrm_rsc_op", attrs)
