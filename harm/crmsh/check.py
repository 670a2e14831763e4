"""Check parsed definitions against each other, the existing CIB and the installed agents.

Errors (the load is refused): unknown or duplicate ids, a resource in two groups or clones,
a role on a resource that has none, a value that is not of its kind (score, duration,
boolean, role, enumeration), an unknown resource agent. Warnings (the load goes on): unknown
cluster properties, node names that disagree with each other.

Every error points at the text that caused it. The checker is pure: the agent catalog is
passed in.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from harm.catalog import AgentCatalog
from harm.cib.config import (
    CLONE_INSTANCE_LIMIT,
    AttrExpression,
    Colocation,
    Location,
    Node,
    NvSet,
    Order,
    Primitive,
    Role,
    Rule,
    Tag,
    Template,
)
from harm.cib.durations import is_duration
from harm.cib.scores import is_score
from harm.crmsh.assemble import Flat, build, containers
from harm.crmsh.ast import (
    CloneDef,
    ConfigWarning,
    FencingTopologyDef,
    GroupDef,
    Located,
    PropertyDef,
)
from harm.crmsh.parser import suggest
from harm.errors import ConfigReferenceError, PositionedConfigError, SourcePosition
from harm.fencing.device import Device, DeviceError, devices
from harm.fencing.plan import can_be_fenced, fencing_enabled

Validator = Callable[[str], bool]


def _boolean(value: str) -> bool:
    return value.lower() in ("true", "false", "yes", "no", "on", "off", "y", "n", "1", "0")


def _integer(value: str) -> bool:
    return bool(re.fullmatch(r"[+-]?\d+", value.strip()))


def _non_negative(value: str) -> bool:
    return bool(re.fullmatch(r"\+?\d+", value.strip()))


def _instance_count(value: str) -> bool:
    """A count of clone instances: the engine considers at most CLONE_INSTANCE_LIMIT."""
    digits = value.strip().lstrip("+")
    return (_non_negative(value) and len(digits.lstrip("0")) <= 6
            and int(digits) <= CLONE_INSTANCE_LIMIT)


def _role(value: str) -> bool:
    try:
        Role.parse(value)
    except ValueError:
        return False
    return True


def _one_of(*choices: str) -> Validator:
    def check(value: str) -> bool:
        return value in choices

    check.__doc__ = "one of " + ", ".join(choices)
    return check


def _describe(validator: Validator) -> str:
    return {
        _boolean: "true or false",
        _integer: "an integer",
        _non_negative: "a non-negative integer",
        _instance_count: f"a non-negative integer up to {CLONE_INSTANCE_LIMIT}",
        _role: "a role (Started, Stopped, Promoted, Unpromoted, Master, Slave)",
        is_score: "a score (an integer, INFINITY or -INFINITY)",
        is_duration: "a duration (e.g. 30s, 200ms, 2min)",
    }.get(validator, validator.__doc__ or "a valid value")


RESOURCE_META: dict[str, Validator] = {
    "target-role": _role,
    "is-managed": _boolean,
    "maintenance": _boolean,
    "migration-threshold": is_score,
    "resource-stickiness": is_score,
    "priority": _integer,
    "failure-timeout": is_duration,
    "allow-migrate": _boolean,
    "critical": _boolean,
    "multiple-active": _one_of("block", "stop_only", "stop_start", "stop_unexpected"),
    "requires": _one_of("nothing", "quorum", "fencing", "unfencing"),
    "clone-max": _instance_count,
    "clone-node-max": _instance_count,
    "clone-min": _instance_count,
    "promoted-max": _instance_count,
    "promoted-node-max": _instance_count,
    "master-max": _instance_count,
    "master-node-max": _instance_count,
    "notify": _boolean,
    "interleave": _boolean,
    "globally-unique": _boolean,
    "ordered": _boolean,
    "promotable": _boolean,
}

OP_ATTRIBUTES: dict[str, Validator] = {
    "timeout": is_duration,
    "start-delay": is_duration,
    "interval-origin": lambda v: True,
    "on-fail": _one_of("ignore", "block", "stop", "restart", "standby", "fence", "demote"),
    "enabled": _boolean,
    "record-pending": _boolean,
    "requires": _one_of("nothing", "quorum", "fencing", "unfencing"),
    "description": lambda v: True,
    "OCF_CHECK_LEVEL": _non_negative,
}
OP_NAMES = ("start", "stop", "monitor", "promote", "demote", "notify", "migrate_to",
            "migrate_from", "reload", "reload-agent", "meta-data", "validate-all", "status")

CLUSTER_OPTIONS: dict[str, Validator] = {
    "no-quorum-policy": _one_of("ignore", "freeze", "stop", "demote", "suicide"),
    "stonith-enabled": _boolean,
    "fencing-enabled": _boolean,
    "symmetric-cluster": _boolean,
    "maintenance-mode": _boolean,
    "stop-all-resources": _boolean,
    "stop-orphan-resources": _boolean,
    "stop-orphan-actions": _boolean,
    "start-failure-is-fatal": _boolean,
    "enable-startup-probes": _boolean,
    "cluster-recheck-interval": is_duration,
    "dc-deadtime": is_duration,
    "shutdown-lock": _boolean,
    "shutdown-lock-limit": is_duration,
    "batch-limit": _integer,
    "migration-limit": _integer,
    "placement-strategy": _one_of("default", "utilization", "minimal", "balanced"),
    "node-health-strategy": _one_of("none", "migrate-on-red", "only-green", "progressive",
                                    "custom"),
    "stonith-action": _one_of("reboot", "off", "poweroff"),
    "stonith-max-attempts": _integer,
    "stonith-watchdog-timeout": lambda v: True,
    "stonith-timeout": is_duration,
    "concurrent-fencing": _boolean,
    "priority-fencing-delay": is_duration,
    "pe-error-series-max": _integer,
    "pe-warn-series-max": _integer,
    "pe-input-series-max": _integer,
    "election-timeout": is_duration,
    "shutdown-escalation": is_duration,
    "join-integration-timeout": is_duration,
    "join-finalization-timeout": is_duration,
    "transition-delay": is_duration,
    "have-watchdog": _boolean,
    "dc-version": lambda v: True,
    "cluster-infrastructure": lambda v: True,
    "cluster-name": lambda v: True,
    "last-lrm-refresh": lambda v: True,
    "default-resource-stickiness": is_score,
    "node-action-limit": _integer,
    "load-threshold": lambda v: True,
    "startup-fencing": _boolean,
    "remove-after-stop": _boolean,
}
DEFAULTS_OPTIONS = {**RESOURCE_META, **OP_ATTRIBUTES, "interval": is_duration}


@dataclass
class CheckResult:
    errors: list[PositionedConfigError] = field(default_factory=list)
    warnings: list[ConfigWarning] = field(default_factory=list)


class _Checker:
    def __init__(
        self,
        flat: Flat,
        items: list[Located],
        suspect: set[str],
        catalog: AgentCatalog | None,
    ) -> None:
        self.flat = flat
        self.items = items
        self.suspect = suspect
        self.catalog = catalog
        self.result = CheckResult()

    def error(self, position: SourcePosition, message: str) -> None:
        self.result.errors.append(ConfigReferenceError(position, message))

    def warn(self, position: SourcePosition, message: str) -> None:
        self.result.warnings.append(ConfigWarning(position, message))

    def run(self) -> CheckResult:
        self.check_duplicates()
        self.check_containment()
        for item in self.items:
            self.check_references(item)
            definition = item.definition
            if isinstance(definition, Primitive | Template):
                self.check_primitive(item, definition)
            elif isinstance(definition, GroupDef | CloneDef):
                self.check_meta(item, definition.meta)
            elif isinstance(definition, PropertyDef):
                self.check_property(item, definition)
            elif isinstance(definition, Location):
                self.check_location(item, definition)
            elif isinstance(definition, Colocation | Order):
                self.check_sets(item, definition)
            elif isinstance(definition, FencingTopologyDef):
                self.check_topology(item, definition)
        self.check_node_names()
        self.check_fenceable()
        return self.result

    # ---------------------------------------------------------------- ids

    def check_duplicates(self) -> None:
        seen: dict[str, Located] = {}
        in_text = {
            item.definition.id
            for item in self.items
            if not isinstance(item.definition, PropertyDef | Node)
        }
        for item in self.items:
            definition = item.definition
            if isinstance(definition, PropertyDef | Node):
                continue
            object_id = definition.id
            first = seen.get(object_id)
            if first is not None:
                self.error(item.id_position,
                           f"duplicate id '{object_id}' (already defined at line "
                           f"{first.id_position.line})")
                continue
            seen[object_id] = item
            kind = _kind(definition)
            for other_kind, table in (("resource", self.flat.resources),
                                      ("constraint", self.flat.constraints)):
                if other_kind != kind and object_id in table and not (
                    object_id in in_text and _kind(table[object_id]) != kind
                    and self.defined_later_in_text(item, object_id)
                ):
                    self.error(item.id_position,
                               f"id '{object_id}' is already used by a {other_kind}")
        for item in self.items:
            definition = item.definition
            if isinstance(definition, Primitive):
                ids = [op.id for op in definition.ops]
                keys = [(op.name, op.interval_ms if is_duration(op.interval) else op.interval)
                        for op in definition.ops]
                for index, key in enumerate(keys):
                    if key in keys[:index]:
                        self.error(item.id_position,
                                   f"operation {key[0]} with interval "
                                   f"{definition.ops[index].interval} is defined twice for "
                                   f"'{definition.id}' (each operation needs its own interval)")
                del ids

    def defined_later_in_text(self, item: Located, object_id: str) -> bool:
        """True when another statement of the text defines ``object_id`` after ``item``."""
        after = self.items[self.items.index(item) + 1:]
        return any(
            not isinstance(other.definition, PropertyDef | Node)
            and other.definition.id == object_id
            for other in after
        )

    def check_containment(self) -> None:
        owners: dict[str, str] = {}
        item_of = {item.definition.id: item for item in self.items
                   if isinstance(item.definition, GroupDef | CloneDef)}
        for rid, definition in self.flat.resources.items():
            members: tuple[str, ...]
            if isinstance(definition, GroupDef):
                members = definition.members
            elif isinstance(definition, CloneDef):
                members = (definition.child,)
            else:
                continue
            for member in members:
                earlier = self.flat.resources.get(owners.get(member, ""))
                if isinstance(definition, CloneDef) and isinstance(earlier, GroupDef):
                    continue  # reported as "clone the group instead"
                if member in owners and owners[member] != rid:
                    item = item_of.get(rid) or item_of.get(owners[member])
                    if item is not None:
                        self.error(
                            _reference_position(item, member),
                            f"'{member}' is already in '{owners[member]}'; a resource can "
                            "belong to one group or clone only",
                        )
                owners.setdefault(member, rid)

    def check_references(self, item: Located) -> None:
        parents = containers(self.flat)
        for ref in item.references:
            if ref.context == "template":
                if ref.name not in self.flat.templates:
                    close = suggest(ref.name, list(self.flat.templates))
                    hint = f" (did you mean '{close}'?)" if close else ""
                    self.error(ref.position, f"unknown template '{ref.name}'{hint}")
                continue
            if ref.context == "constraint" and (ref.name in self.flat.tags
                                                or ref.name in self.flat.templates):
                continue  # a tag or template stands for its resources
            target = self.flat.resources.get(ref.name)
            if target is None:
                if ref.name in self.suspect:
                    continue
                close = suggest(ref.name, list(self.flat.resources))
                hint = f" (did you mean '{close}'?)" if close else ""
                self.error(ref.position, f"unknown resource '{ref.name}' in {ref.context}{hint}")
                continue
            if ref.context == "group member" and not isinstance(target, Primitive):
                self.error(ref.position,
                           f"group member '{ref.name}' must be a primitive, not a "
                           f"{_kind_word(target)}")
            if ref.context == "clone child" and isinstance(target, CloneDef):
                self.error(ref.position, f"'{ref.name}' is a clone; a clone cannot be cloned")
            if ref.context == "clone child" and ref.name in parents and isinstance(
                self.flat.resources.get(parents[ref.name]), GroupDef
            ):
                self.error(ref.position,
                           f"'{ref.name}' is a member of group '{parents[ref.name]}'; clone "
                           "the group instead")
            if ref.role_required and not self.promotable(ref.name):
                self.error(ref.position,
                           f"'{ref.name}' is not promotable, so it has no Promoted/Unpromoted "
                           "role (use an 'ms' or a clone with meta promotable=true)")

    def promotable(self, rid: str) -> bool:
        parents = containers(self.flat)
        current: str | None = rid
        while current is not None:
            definition = self.flat.resources.get(current)
            if isinstance(definition, CloneDef):
                if definition.legacy_ms:
                    return True
                for nvset in definition.meta:
                    value = nvset.get("promotable")
                    if value is not None and value.lower() in ("true", "yes", "on", "1", "y"):
                        return True
            current = parents.get(current)
        return False

    # ---------------------------------------------------------------- values

    def value_position(self, item: Located, name: str) -> SourcePosition:
        return item.value_positions.get(name, item.id_position)

    def check_meta(self, item: Located, sets: tuple[NvSet, ...]) -> None:
        for nvset in sets:
            for name, value in nvset.pairs:
                validator = RESOURCE_META.get(name)
                if validator is not None and not validator(value):
                    self.error(self.value_position(item, name),
                               f"{name} must be {_describe(validator)}, not '{value}'")

    def check_primitive(self, item: Located, primitive: Primitive | Template) -> None:
        self.check_meta(item, primitive.meta)
        if isinstance(primitive, Primitive) and primitive.agent.cls == "stonith":
            self.check_device(item, primitive)
        if isinstance(primitive, Primitive) and primitive.template is not None:
            pass  # the template's agent, checked with the template
        elif self.catalog is not None and not self.catalog.exists(primitive.agent):
            close = suggest(str(primitive.agent), self.catalog.candidates(primitive.agent))
            hint = f" (did you mean {close}?)" if close else ""
            self.error(item.value_positions.get("agent", item.id_position),
                       f"unknown resource agent {primitive.agent}{hint}")
        elif self.catalog is not None:
            resolved = self.catalog.resolve(primitive.agent)
            note = resolved.warning() if resolved is not None else None
            if note is not None:
                self.warn(item.value_positions.get("agent", item.id_position),
                          f"{primitive.id}: {note}")
        for op in primitive.ops:
            if op.name not in OP_NAMES:
                close = suggest(op.name, OP_NAMES)
                hint = f" (did you mean '{close}'?)" if close else ""
                self.error(item.id_position,
                           f"unknown operation '{op.name}' for '{primitive.id}'{hint}")
            if not is_duration(op.interval):
                self.error(self.value_position(item, "interval"),
                           f"interval must be a duration (e.g. 30s), not '{op.interval}'")
            for name, value in op.attrs:
                validator = OP_ATTRIBUTES.get(name)
                if validator is None:
                    continue
                if not validator(value):
                    self.error(self.value_position(item, name),
                               f"op {op.name} {name} must be {_describe(validator)}, "
                               f"not '{value}'")

    def check_device(self, item: Located, primitive: Primitive) -> None:
        """Pacemaker's device parameters (pcmk_*) of a stonith resource."""
        try:
            Device.from_primitive(primitive)
        except DeviceError as error:
            name = str(error).split(" ", 1)[0]
            self.error(self.value_position(item, name), str(error))

    def check_topology(self, item: Located, topology: FencingTopologyDef) -> None:
        for level in topology.levels:
            for device in level.devices:
                found = self.flat.resources.get(device)
                if isinstance(found, Primitive) and found.agent.cls != "stonith":
                    positions = [r.position for r in item.references if r.name == device]
                    self.error(positions[0] if positions else item.id_position,
                               f"fencing topology: '{device}' is not a stonith resource")
            if level.target is not None and self.flat.nodes and \
                    level.target not in self.flat.nodes:
                close = suggest(level.target, sorted(self.flat.nodes))
                hint = f" (did you mean '{close}'?)" if close else ""
                self.warn(item.id_position,
                          f"fencing topology: '{level.target}' is not a cluster node{hint}")
            if level.target_pattern is not None:
                try:
                    re.compile(level.target_pattern)
                except re.error as error:
                    self.error(item.id_position,
                               f"fencing topology: bad pattern {level.target_pattern!r}: "
                               f"{error}")

    def check_fenceable(self) -> None:
        """With fencing enabled, warn about every node no device may fence (only when
        this text touches fencing: a stonith resource, the topology or the property)."""
        touching = [item for item in self.items if _touches_fencing(item.definition)]
        if not touching:
            return
        try:
            config = build(self.flat)
        except ConfigReferenceError:
            return  # reported by the other checks
        if not fencing_enabled(config):
            return
        props = [i for i in touching if isinstance(i.definition, PropertyDef)]
        first = (props or touching)[0]
        position = first.value_positions.get(
            "stonith-enabled", first.value_positions.get("fencing-enabled", first.position))
        if not devices(config):
            self.warn(position, "stonith-enabled is true but no stonith resource is "
                      "configured: resources that need fencing will not start")
            return
        for node in config.nodes:
            attrs = {k: v for s in node.attributes for k, v in s.pairs}
            if not can_be_fenced(config, node.uname, attrs):
                self.warn(position, f"no fence device can fence node '{node.uname}' "
                          "(pcmk_host_list, pcmk_host_map or fencing_topology)")

    def check_property(self, item: Located, prop: PropertyDef) -> None:
        table = CLUSTER_OPTIONS if prop.section == "crm_config" else DEFAULTS_OPTIONS
        for name, value in prop.pairs:
            validator = table.get(name)
            if validator is None:
                close = suggest(name, list(table))
                hint = f" (did you mean '{close}'?)" if close else ""
                self.warn(self.value_position(item, name),
                          f"unknown {prop.section.replace('_', ' ')} option '{name}'{hint}")
            elif not validator(value):
                self.error(self.value_position(item, name),
                           f"{name} must be {_describe(validator)}, not '{value}'")

    def check_location(self, item: Located, location: Location) -> None:
        if location.rsc_pattern is not None:
            try:
                re.compile(location.rsc_pattern)
            except re.error as error:
                self.error(item.id_position, f"bad resource pattern: {error}")
        for rule in location.rules:
            self.check_rule(item, rule)

    def check_rule(self, item: Located, rule: Rule) -> None:
        for expression in rule.expressions:
            if isinstance(expression, AttrExpression) and expression.type in (
                "integer", "number"
            ) and expression.value is not None:
                try:
                    float(expression.value)
                except ValueError:
                    self.error(item.id_position,
                               f"rule '{rule.id}' compares {expression.attribute} as "
                               f"{expression.type} with '{expression.value}', which is not a "
                               "number")

    def check_sets(self, item: Located, constraint: Colocation | Order) -> None:
        names = [name for rset in constraint.sets for name in rset.resources]
        for index, name in enumerate(names):
            if name in names[:index]:
                positions = [r.position for r in item.references if r.name == name]
                self.error(positions[-1] if len(positions) > 1 else item.id_position,
                           f"'{name}' appears twice in constraint '{constraint.id}'")

    # ---------------------------------------------------------------- node names

    def check_node_names(self) -> None:
        """Warn when names used for nodes disagree (osspc30 here, osspec30 there)."""
        mentioned: dict[str, SourcePosition] = {}
        for item in self.items:
            definition = item.definition
            if isinstance(definition, Location):
                if definition.node:
                    mentioned.setdefault(definition.node, item.id_position)
                for rule in definition.rules:
                    for expression in rule.expressions:
                        if (isinstance(expression, AttrExpression)
                                and expression.attribute == "#uname" and expression.value):
                            mentioned.setdefault(expression.value, item.id_position)
        known = set(self.flat.nodes) | set(mentioned)
        for item in self.items:
            definition = item.definition
            if not isinstance(definition, Primitive):
                continue
            node_list = definition.param("node_list")
            if not node_list:
                continue
            for name in node_list.split():
                if name in known:
                    continue
                close = suggest(name, sorted(known))
                hint = f"; did you mean '{close}'?" if close else ""
                if self.flat.nodes:
                    message = f"'{name}' is not a cluster node{hint}"
                elif close:
                    message = f"no other statement names a node '{name}'{hint}"
                else:
                    continue
                self.warn(self.value_position(item, "node_list"),
                          f"node_list of '{definition.id}': {message}")


def _touches_fencing(definition: object) -> bool:
    if isinstance(definition, FencingTopologyDef):
        return True
    if isinstance(definition, Primitive):
        return definition.agent.cls == "stonith"
    if isinstance(definition, PropertyDef) and definition.section == "crm_config":
        return any(name in ("stonith-enabled", "fencing-enabled")
                   for name, _ in definition.pairs)
    return False


def _kind(definition: object) -> str:
    if isinstance(definition, Primitive | GroupDef | CloneDef | Template):
        return "resource"
    if isinstance(definition, Tag):
        return "tag"
    return "constraint"


def _kind_word(definition: object) -> str:
    if isinstance(definition, GroupDef):
        return "group"
    if isinstance(definition, CloneDef):
        return "clone"
    return "primitive"


def _reference_position(item: Located, name: str) -> SourcePosition:
    for ref in item.references:
        if ref.name == name:
            return ref.position
    return item.id_position


def check(
    flat: Flat,
    items: list[Located],
    suspect: set[str],
    catalog: AgentCatalog | None,
) -> CheckResult:
    """Check the new ``items`` within the merged ``flat`` configuration."""
    return _Checker(flat, items, suspect, catalog).run()
