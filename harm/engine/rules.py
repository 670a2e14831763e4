"""Rule and expression evaluation, with Pacemaker 2.1's semantics.

Grammar of what is evaluated (the typed model of ``harm.cib.config``)::

    rule        := [role] (score | score-attribute)? boolean-op? expression+
    expression  := attr-expr | date-expr | op-expr | rsc-expr | rule
    attr-expr   := attribute operation [value [type] [value-source]]
                   operation ∈ lt gt lte gte eq ne defined not_defined
                   type      ∈ string integer number version   (default: see below)
                   attribute ``#role`` makes it a role expression
    date-expr   := gt start | lt end | in_range [start] [end | duration] | date_spec spec

Comparison of an attribute with a value:

* ``defined``/``not_defined`` test only whether the attribute exists;
* without a ``type``, ``lt gt lte gte`` compare as numbers (``number`` when either
  side holds a ``.``, else ``integer``) and ``eq ne`` as strings;
* ``string`` compares case-insensitively; a value that does not parse as an integer or
  number falls back to the string comparison;
* a missing attribute (or value) is smaller than any value: ``eq`` and ``ne`` still
  answer, ``lt gt lte gte`` are false.

An ``or`` rule without expressions is false, an ``and`` rule without expressions true.
Time is given explicitly (``now``, seconds since the epoch, UTC); nothing here reads a
clock.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from harm.cib import dates
from harm.cib.config import (
    ROLE_RANK,
    AttrExpression,
    DateExpression,
    Expression,
    OpExpression,
    Role,
    RscExpression,
    Rule,
)
from harm.cib.durations import parse_ms
from harm.cib.scores import INFINITY, char2score

_EMPTY: Mapping[str, str] = {}


@dataclass(frozen=True)
class RuleInput:
    """Everything a rule may look at.

    ``node_attrs`` is None when no node is being considered (expressions on node
    attributes then never match). ``role`` is the role a ``#role`` expression tests
    (None: unknown, such expressions never match). ``now`` is seconds since the epoch.
    """

    node_attrs: Mapping[str, str] | None = None
    now: int | None = None
    role: Role | None = None
    params: Mapping[str, str] = field(default_factory=dict)
    meta: Mapping[str, str] = field(default_factory=dict)
    op_name: str | None = None
    op_interval_ms: int | None = None
    rsc_class: str | None = None
    rsc_provider: str | None = None
    rsc_type: str | None = None


# ----------------------------------------------------------------------------- rules


def rule_matches(rule: Rule, given: RuleInput) -> bool:
    """True when ``rule`` holds for ``given``."""
    if rule.boolean_op.strip().lower() == "or":
        return any(expression_matches(e, given) for e in rule.expressions)
    return all(expression_matches(e, given) for e in rule.expressions)


def expression_matches(expression: Expression, given: RuleInput) -> bool:
    """True when one expression (or nested rule) holds for ``given``."""
    if isinstance(expression, Rule):
        return rule_matches(expression, given)
    if isinstance(expression, AttrExpression):
        if expression.attribute == "#role":
            return _role_matches(expression, given.role)
        return _attr_matches(expression, given)
    if isinstance(expression, DateExpression):
        if given.now is None:
            return False
        return date_matches(expression, given.now)
    if isinstance(expression, OpExpression):
        return _op_matches(expression, given)
    return _rsc_matches(expression, given)


def rule_score(rule: Rule, node_attrs: Mapping[str, str]) -> int:
    """The score a matching location rule grants on a node.

    A literal ``score`` wins; with ``score-attribute`` the node's value of that attribute
    is the score, and a node without it gets -INFINITY (as Pacemaker does). A rule with
    neither grants 0.
    """
    if rule.score is not None:
        return rule.score
    if rule.score_attribute is not None:
        value = node_attrs.get(rule.score_attribute)
        if value is None:
            return -INFINITY
        return score_of(value)
    return 0


score_of = char2score  # the one lenient score reading (harm.cib.scores)


# ----------------------------------------------------------------------------- attributes


def _attr_matches(expression: AttrExpression, given: RuleInput) -> bool:
    if given.node_attrs is None:
        return False
    value = expression.value
    source = (expression.value_source or "literal").lower()
    if value is not None and value != "" and source in ("param", "meta"):
        table = given.params if source == "param" else given.meta
        value = table.get(value)
    elif value == "":
        value = None
    actual = given.node_attrs.get(expression.attribute)
    return accept_comparison(actual, value, expression.type, expression.operation)


def accept_comparison(left: str | None, right: str | None, type_: str | None, op: str) -> bool:
    """Whether ``left <op> right`` holds, compared as ``type_`` (see the module doc)."""
    op = op.lower()
    if op == "defined":
        return left is not None
    if op == "not_defined":
        return left is None
    cmp = compare_values(left, right, type_, op)
    if op == "eq":
        return cmp == 0
    if op == "ne":
        return cmp != 0
    if left is None or right is None:
        return False
    if op == "lt":
        return cmp < 0
    if op == "lte":
        return cmp <= 0
    if op == "gt":
        return cmp > 0
    if op == "gte":
        return cmp >= 0
    return False


def compare_values(left: str | None, right: str | None, type_: str | None, op: str) -> int:
    """-1, 0 or 1 comparing two attribute values as Pacemaker's rules do."""
    if left is None or right is None:
        if left is None and right is None:
            return 0
        return 1 if right is None else -1
    if type_ is None:
        if op.lower() in ("lt", "lte", "gt", "gte"):
            type_ = "number" if ("." in left or "." in right) else "integer"
        else:
            type_ = "string"
    kind = type_.lower()
    if kind == "integer":
        lnum, rnum = _scan_int(left), _scan_int(right)
        if lnum is None or rnum is None:
            return compare_values(left, right, "string", op)
        return _sign(lnum - rnum)
    if kind == "number":
        lflt, rflt = _scan_float(left), _scan_float(right)
        if lflt is None or rflt is None:
            return compare_values(left, right, "string", op)
        return -1 if lflt < rflt else (1 if lflt > rflt else 0)
    if kind == "version":
        return compare_versions(left, right)
    lower_left, lower_right = left.lower(), right.lower()
    return -1 if lower_left < lower_right else (1 if lower_left > lower_right else 0)


def _sign(value: int) -> int:
    return (value > 0) - (value < 0)


_FLOAT_PREFIX = re.compile(r"^\s*([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)")


def _scan_int(text: str) -> int | None:
    """Leading integer of ``text`` (as strtoll would read it), or None (also when it does
    not fit 64 bits: Pacemaker then compares the values as strings)."""
    return dates.leading_integer(text)


def _scan_float(text: str) -> float | None:
    match = _FLOAT_PREFIX.match(text)
    return float(match.group(1)) if match else None


def compare_versions(left: str, right: str) -> int:
    """Compare dotted versions numerically field by field (``1.10 > 1.9``)."""
    lparts = [_scan_int(p) or 0 for p in left.split(".")]
    rparts = [_scan_int(p) or 0 for p in right.split(".")]
    for index in range(max(len(lparts), len(rparts))):
        a = lparts[index] if index < len(lparts) else 0
        b = rparts[index] if index < len(rparts) else 0
        if a != b:
            return -1 if a < b else 1
    return 0


# ----------------------------------------------------------------------------- roles, ops, rscs



def _role_matches(expression: AttrExpression, role: Role | None) -> bool:
    if role is None:
        return False
    op = expression.operation.lower()
    rank = ROLE_RANK[role]
    if op == "defined":
        return rank > ROLE_RANK[Role.STARTED]
    if op == "not_defined":
        return rank < ROLE_RANK[Role.UNPROMOTED]
    wanted = _parse_role(expression.value)
    if op == "eq":
        return wanted is role
    if op == "ne":
        if rank < ROLE_RANK[Role.UNPROMOTED]:
            return False
        return wanted is not role
    return False


def _parse_role(text: str | None) -> Role | None:
    if text is None:
        return None
    try:
        return Role.parse(text)
    except ValueError:
        return None


def _op_matches(expression: OpExpression, given: RuleInput) -> bool:
    if given.op_name is None:
        return False
    if expression.interval is not None:
        try:
            interval = parse_ms(expression.interval)
        except ValueError:
            return False
        if interval != (given.op_interval_ms or 0):
            return False
    return expression.name == given.op_name


def _rsc_matches(expression: RscExpression, given: RuleInput) -> bool:
    if given.rsc_class is None and given.rsc_type is None:
        return False
    if expression.cls is not None and expression.cls != given.rsc_class:
        return False
    if expression.provider != given.rsc_provider:
        return False
    return not (expression.type is not None and expression.type != given.rsc_type)


# ----------------------------------------------------------------------------- dates


def date_matches(expression: DateExpression, now: int) -> bool:
    """True when the date expression holds at ``now`` (seconds since the epoch, UTC).

    A start or end that is not a date counts as absent, as in Pacemaker (``harm configure
    verify`` refuses such text); the arithmetic is on integers, so no date overflows."""
    op = (expression.operation or "in_range").lower()
    start = dates.parse_date(expression.start) if expression.start else None
    end = dates.parse_date(expression.end) if expression.end else None
    if start is not None and end is None and expression.duration:
        end = dates.add_duration(start, expression.duration)
    if op == "in_range":
        if start is None and end is None:
            return False
        if start is not None and now < start:
            return False
        return not (end is not None and now > end)
    if op == "date_spec":
        return dates.date_spec_matches(expression.date_spec, now)
    if op == "gt":
        return start is not None and now > start
    if op == "lt":
        return end is not None and now < end
    return False


def parse_iso_datetime(text: str) -> dt.datetime | None:
    """An ISO 8601 date and time (see :mod:`harm.cib.dates`) as an aware datetime; None
    when it is not one or lies outside the years 1 to 9999."""
    seconds = dates.parse_date(text)
    if seconds is None:
        return None
    try:
        return _EPOCH + dt.timedelta(seconds=seconds)
    except OverflowError:
        return None


_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def moon_phase(moment: dt.datetime) -> int:
    """Pacemaker's phase of the moon, 0 (new) … 7 (4 is full)."""
    return dates.moon_phase(moment.year, moment.timetuple().tm_yday)
