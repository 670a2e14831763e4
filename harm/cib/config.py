"""The cluster configuration: typed, immutable, in the shape of Pacemaker's CIB.

Everything here is a frozen dataclass whose collections are tuples, so a configuration
can be shared between threads, compared with ``==`` and hashed. Order is kept as
written (it matters for Pacemaker: groups, resource sets, rules, first-match nvsets).

    Configuration
     ├── crm_config:   NvSet…   (cluster properties, ``property`` in crm syntax)
     ├── nodes:        Node…    (with permanent attributes)
     ├── resources:    Primitive | Group | Clone …
     ├── constraints:  Location | Colocation | Order | Ticket …
     ├── rsc_defaults: NvSet…
     ├── op_defaults:  NvSet…
     ├── templates:    Template…  (``rsc_template``)
     ├── tags:         Tag…
     └── fencing_levels: FencingLevel…  (``fencing_topology`` / ``<fencing-topology>``)
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Union

from harm.cib.durations import parse_ms

Pairs = tuple[tuple[str, str], ...]


class Role(enum.Enum):
    """A resource role. Pacemaker 2.1 names, with the old Master/Slave names understood."""

    STOPPED = "Stopped"
    STARTED = "Started"
    UNPROMOTED = "Unpromoted"
    PROMOTED = "Promoted"

    @classmethod
    def parse(cls, text: str) -> Role:
        """Parse a role name, old or new spelling, any case; ValueError if unknown."""
        try:
            return _ROLE_WORDS[text.strip().lower()]
        except KeyError:
            raise ValueError(f"unknown role {text!r}") from None

    @property
    def legacy(self) -> str:
        """The pre-2.1 spelling (Master/Slave) that every Pacemaker schema accepts."""
        return {Role.PROMOTED: "Master", Role.UNPROMOTED: "Slave"}.get(self, self.value)


_ROLE_WORDS = {
    "stopped": Role.STOPPED,
    "started": Role.STARTED,
    "slave": Role.UNPROMOTED,
    "unpromoted": Role.UNPROMOTED,
    "master": Role.PROMOTED,
    "promoted": Role.PROMOTED,
}

ROLE_NAMES = tuple(sorted(_ROLE_WORDS))

# Pacemaker's role order (enum rsc_role_e, 0 being "unknown"): the one rank table
ROLE_RANK = {Role.STOPPED: 1, Role.STARTED: 2, Role.UNPROMOTED: 3, Role.PROMOTED: 4}


# ----------------------------------------------------------------------------- rules


@dataclass(frozen=True)
class AttrExpression:
    """``#uname eq osspc30``, ``defined fail-count-x``, ``ping lt integer:100``."""

    id: str
    attribute: str
    operation: str  # lt gt lte gte eq ne defined not_defined
    value: str | None = None
    type: str | None = None  # string integer number version
    value_source: str | None = None  # literal param meta


@dataclass(frozen=True)
class DateExpression:
    """A time-based condition (``date gt …``, ``date in_range …``, ``date date_spec …``)."""

    id: str
    operation: str  # gt lt in_range date_spec
    start: str | None = None
    end: str | None = None
    duration: Pairs = ()
    date_spec: Pairs = ()


@dataclass(frozen=True)
class OpExpression:
    """Matches an operation by name and interval (in rsc_defaults/op_defaults rules)."""

    id: str
    name: str
    interval: str | None = None


@dataclass(frozen=True)
class RscExpression:
    """Matches a resource by agent class, provider and type (in defaults rules)."""

    id: str
    cls: str | None = None
    provider: str | None = None
    type: str | None = None


Expression = Union[AttrExpression, DateExpression, OpExpression, RscExpression, "Rule"]

ATTR_OPERATIONS = ("lt", "gt", "lte", "gte", "eq", "ne", "defined", "not_defined")
VALUE_TYPES = ("string", "integer", "number", "version")


@dataclass(frozen=True)
class Rule:
    """A condition; in a location constraint it also carries the score it grants."""

    id: str
    expressions: tuple[Expression, ...]
    boolean_op: str = "and"
    score: int | None = None
    score_attribute: str | None = None
    role: Role | None = None


# ----------------------------------------------------------------------------- attribute sets


@dataclass(frozen=True)
class NvSet:
    """One set of name/value pairs (instance, meta or cluster attributes), maybe ruled."""

    id: str
    pairs: Pairs = ()
    rule: Rule | None = None
    score: int | None = None

    def get(self, name: str) -> str | None:
        """The value of ``name`` in this set, last one winning, or None."""
        found = None
        for key, value in self.pairs:
            if key == name:
                found = value
        return found

    def as_dict(self) -> dict[str, str]:
        """The pairs as a dict (later pairs override earlier ones)."""
        return dict(self.pairs)


def merge_sets(sets: tuple[NvSet, ...],
               applies: Callable[[NvSet], bool] | None = None) -> dict[str, str]:
    """Attribute sets merged into one table, as Pacemaker 2.1.5 unpacks them
    (``unpack_nvpair_blocks``): sets by descending score, sets of equal score from the
    *last* written to the first, so a later set overrides an earlier one; sets for which
    ``applies`` is false (a rule that does not hold) are skipped; within the order, the
    first value of a name wins, and ``#default`` drops the value a set before gave it.

    This is the one merging rule: the engine, the controller and the executor use it."""
    ordered = sorted(reversed(sets), key=lambda s: -(s.score or 0))
    result: dict[str, str] = {}
    for nvset in ordered:
        if applies is not None and not applies(nvset):
            continue
        for key, value in nvset.pairs:
            if value.lower() == "#default":
                result.pop(key, None)
            else:
                result.setdefault(key, value)
    return result


def first_value(sets: tuple[NvSet, ...], name: str) -> str | None:
    """The value of ``name`` by the merging rule, rules not evaluated (every set counts)."""
    return merge_sets(sets).get(name) if len(sets) > 1 else (
        sets[0].get(name) if sets else None)


def merged(sets: tuple[NvSet, ...]) -> dict[str, str]:
    """The sets without rules, merged by :func:`merge_sets`."""
    return merge_sets(sets, lambda nvset: nvset.rule is None)


# ----------------------------------------------------------------------------- resources


@dataclass(frozen=True)
class AgentRef:
    """``ocf:heartbeat:IPaddr2`` — class, provider (OCF only) and type."""

    cls: str
    provider: str | None
    type: str

    def __str__(self) -> str:
        if self.provider:
            return f"{self.cls}:{self.provider}:{self.type}"
        return f"{self.cls}:{self.type}"


AGENT_CLASSES = ("ocf", "lsb", "systemd", "service", "stonith", "nagios", "upstart")


@dataclass(frozen=True)
class Op:
    """An operation definition: ``op monitor interval=7s role=Master timeout=30s``."""

    id: str
    name: str
    interval: str = "0"
    role: Role | None = None
    attrs: Pairs = ()  # timeout, on-fail, start-delay, enabled, … in written order
    meta: tuple[NvSet, ...] = ()
    params: tuple[NvSet, ...] = ()  # op instance attributes (OCF_CHECK_LEVEL, …)

    @property
    def interval_ms(self) -> int:
        return parse_ms(self.interval)

    def attr(self, name: str) -> str | None:
        for key, value in self.attrs:
            if key == name:
                return value
        return first_value(self.meta, name)


@dataclass(frozen=True)
class Primitive:
    """A single resource run by one agent."""

    id: str
    agent: AgentRef
    params: tuple[NvSet, ...] = ()
    meta: tuple[NvSet, ...] = ()
    ops: tuple[Op, ...] = ()
    utilization: tuple[NvSet, ...] = ()
    description: str | None = None
    template: str | None = None  # XML <template> it was built from (agent resolved from it)

    def param(self, name: str) -> str | None:
        return first_value(self.params, name)

    def meta_value(self, name: str) -> str | None:
        return first_value(self.meta, name)


@dataclass(frozen=True)
class Template:
    """``rsc_template``: an agent and attribute sets that primitives (``template=ID``,
    ``primitive NAME @ID`` in crm syntax) take as their starting point."""

    id: str
    agent: AgentRef
    params: tuple[NvSet, ...] = ()
    meta: tuple[NvSet, ...] = ()
    ops: tuple[Op, ...] = ()
    utilization: tuple[NvSet, ...] = ()
    description: str | None = None


@dataclass(frozen=True)
class Tag:
    """``tag``: a name for a list of resources, usable wherever a constraint names one."""

    id: str
    refs: tuple[str, ...]


@dataclass(frozen=True)
class Group:
    """Primitives started in order, stopped in reverse, kept on one node."""

    id: str
    children: tuple[Primitive, ...]
    meta: tuple[NvSet, ...] = ()
    params: tuple[NvSet, ...] = ()
    description: str | None = None

    def meta_value(self, name: str) -> str | None:
        return first_value(self.meta, name)


# The most instances of one clone the engine considers (clone-max and clone-node-max are
# clamped to it, ``harm configure verify`` refuses more): far beyond any cluster, and it
# keeps clone-max=2147483648 from making two billion instances.
CLONE_INSTANCE_LIMIT = 1_000


@dataclass(frozen=True)
class Clone:
    """Copies of a primitive or group on several nodes; promotable when it has roles.

    ``legacy_ms`` records that it was written as ``ms`` (crm) or ``<master>`` (XML),
    so it is shown the way the user wrote it.
    """

    id: str
    child: Primitive | Group
    meta: tuple[NvSet, ...] = ()
    params: tuple[NvSet, ...] = ()
    legacy_ms: bool = False
    description: str | None = None

    def meta_value(self, name: str) -> str | None:
        return first_value(self.meta, name)

    @property
    def promotable(self) -> bool:
        if self.legacy_ms:
            return True
        value = self.meta_value("promotable")
        return value is not None and is_true(value)


Resource = Primitive | Group | Clone


def is_true(value: str) -> bool:
    """Pacemaker's boolean spelling: true/yes/on/y/1 (any case)."""
    return value.strip().lower() in ("true", "yes", "on", "y", "1")


# ----------------------------------------------------------------------------- constraints


@dataclass(frozen=True)
class ResourceSet:
    """An ordered or unordered set of resources inside a colocation or order constraint."""

    id: str
    resources: tuple[str, ...]
    sequential: bool | None = None
    require_all: bool | None = None
    ordering: str | None = None
    action: str | None = None
    role: Role | None = None
    score: int | None = None
    kind: str | None = None


@dataclass(frozen=True)
class Location:
    """Where a resource may, should or must not run: a node and score, or rules."""

    id: str
    rsc: str | None = None
    rsc_pattern: str | None = None
    role: Role | None = None
    node: str | None = None
    score: int | None = None
    rules: tuple[Rule, ...] = ()
    resource_discovery: str | None = None
    sets: tuple[ResourceSet, ...] = ()


@dataclass(frozen=True)
class Colocation:
    """``rsc`` placed relative to ``with_rsc`` (or a chain of sets) with a score."""

    id: str
    score: int | None
    rsc: str | None = None
    with_rsc: str | None = None
    rsc_role: Role | None = None
    with_rsc_role: Role | None = None
    node_attribute: str | None = None
    influence: bool | None = None
    sets: tuple[ResourceSet, ...] = ()
    score_attribute: str | None = None


ORDER_KINDS = ("Mandatory", "Optional", "Serialize")
ACTIONS = ("start", "stop", "promote", "demote", "monitor", "notify", "migrate_to",
           "migrate_from", "reload", "reload-agent", "meta-data", "validate-all",
           "running", "stopped", "promoted", "demoted")
ORDER_ACTIONS = ("start", "stop", "promote", "demote")


@dataclass(frozen=True)
class Order:
    """``then`` waits for ``first`` (or a chain of sets); kind or score, symmetrical."""

    id: str
    first: str | None = None
    then: str | None = None
    first_action: str | None = None
    then_action: str | None = None
    kind: str | None = None
    score: int | None = None
    symmetrical: bool | None = None
    require_all: bool | None = None
    sets: tuple[ResourceSet, ...] = ()


LOSS_POLICIES = ("stop", "demote", "fence", "freeze")


@dataclass(frozen=True)
class Ticket:
    """``rsc_ticket``: ``rsc`` (or each resource of the sets) may run, in ``rsc_role``,
    only while ``ticket`` is granted and not on standby; ``loss_policy`` says what
    happens to it when the ticket is revoked (stop, demote, fence, freeze)."""

    id: str
    ticket: str
    rsc: str | None = None
    rsc_role: Role | None = None
    loss_policy: str | None = None
    sets: tuple[ResourceSet, ...] = ()


Constraint = Location | Colocation | Order | Ticket


# ----------------------------------------------------------------------------- fencing


@dataclass(frozen=True)
class FencingLevel:
    """One level of the fencing topology: to fence a target, try the levels in ``index``
    order; a level succeeds when every one of its ``devices`` succeeds.

    The target is one of: a node name (``target``), a regular expression on node names
    (``target_pattern``), or a node attribute and its value (``target_attribute`` +
    ``target_value``).
    """

    id: str
    index: int
    devices: tuple[str, ...]
    target: str | None = None
    target_pattern: str | None = None
    target_attribute: str | None = None
    target_value: str | None = None

    @property
    def target_key(self) -> tuple[str, str]:
        """(kind, text) naming the target: ("node", n), ("pattern", p), ("attr", "a=v")."""
        if self.target_pattern is not None:
            return ("pattern", self.target_pattern)
        if self.target_attribute is not None:
            return ("attr", f"{self.target_attribute}={self.target_value or ''}")
        return ("node", self.target or "")


# ----------------------------------------------------------------------------- nodes and whole


@dataclass(frozen=True)
class Node:
    """A configured cluster node with its permanent attributes."""

    id: str
    uname: str
    type: str = "member"
    attributes: tuple[NvSet, ...] = ()
    utilization: tuple[NvSet, ...] = ()
    description: str | None = None
    score: int | None = None  # Pacemaker's deprecated per-node preference

    def attribute(self, name: str) -> str | None:
        return first_value(self.attributes, name)


@dataclass(frozen=True)
class Configuration:
    """The whole configuration section of a CIB."""

    crm_config: tuple[NvSet, ...] = ()
    nodes: tuple[Node, ...] = ()
    resources: tuple[Resource, ...] = ()
    constraints: tuple[Constraint, ...] = ()
    rsc_defaults: tuple[NvSet, ...] = ()
    op_defaults: tuple[NvSet, ...] = ()
    templates: tuple[Template, ...] = ()
    tags: tuple[Tag, ...] = ()
    fencing_levels: tuple[FencingLevel, ...] = ()
    # raw XML harm keeps but ignores, as (tag path[@position], xml): see harm.cib.xml_import
    extra_sections: Pairs = field(default=())

    def property(self, name: str) -> str | None:
        """A cluster property (first set that has it), or None."""
        return first_value(self.crm_config, name)

    def node_by_uname(self, uname: str) -> Node | None:
        for node in self.nodes:
            if node.uname == uname:
                return node
        return None

    def find_resource(self, rsc_id: str) -> Resource | None:
        """A resource at any depth (primitive in a group, clone child …) by id."""
        for resource in iter_resources(self.resources):
            if resource.id == rsc_id:
                return resource
        return None

    def template(self, template_id: str) -> Template | None:
        for template in self.templates:
            if template.id == template_id:
                return template
        return None

    def tag(self, tag_id: str) -> Tag | None:
        for tag in self.tags:
            if tag.id == tag_id:
                return tag
        return None

    def constraint(self, constraint_id: str) -> Constraint | None:
        for constraint in self.constraints:
            if constraint.id == constraint_id:
                return constraint
        return None

    def primitives(self) -> Iterator[Primitive]:
        for resource in iter_resources(self.resources):
            if isinstance(resource, Primitive):
                yield resource


def iter_resources(resources: tuple[Resource, ...]) -> Iterator[Resource]:
    """Every resource, parents before their children, in written order."""
    for resource in resources:
        yield resource
        if isinstance(resource, Group):
            yield from resource.children
        elif isinstance(resource, Clone):
            yield from iter_resources((resource.child,))


def constraint_resources(constraint: Constraint) -> tuple[str, ...]:
    """Every resource id a constraint names (not patterns)."""
    names: list[str] = []
    if isinstance(constraint, Location):
        if constraint.rsc:
            names.append(constraint.rsc)
    elif isinstance(constraint, Colocation):
        names += [n for n in (constraint.rsc, constraint.with_rsc) if n]
    elif isinstance(constraint, Ticket):
        if constraint.rsc:
            names.append(constraint.rsc)
    else:
        names += [n for n in (constraint.first, constraint.then) if n]
    for rset in constraint.sets:
        names += rset.resources
    return tuple(names)
