"""Rule and expression evaluation against Pacemaker 2.1's semantics."""

from __future__ import annotations

import datetime as dt

import pytest

from harm.cib.config import (
    AttrExpression,
    DateExpression,
    OpExpression,
    Role,
    RscExpression,
    Rule,
)
from harm.cib.scores import INFINITY
from harm.engine.rules import (
    RuleInput,
    accept_comparison,
    compare_versions,
    date_matches,
    expression_matches,
    moon_phase,
    parse_iso_datetime,
    rule_matches,
    rule_score,
    score_of,
)


def _ts(text: str) -> int:
    moment = parse_iso_datetime(text)
    assert moment is not None
    return int(moment.timestamp())


@pytest.mark.parametrize(
    ("left", "right", "type_", "op", "expected"),
    [
        ("100", "100", None, "eq", True),
        ("abc", "ABC", None, "eq", True),  # strings compare without case
        ("abc", "abd", None, "ne", True),
        ("9", "10", None, "lt", True),  # lt defaults to integer comparison
        ("9", "10", "string", "lt", False),  # but as strings "9" > "10"
        ("9.5", "10", None, "lt", True),  # a dot makes it a number comparison
        ("10", "10", None, "lte", True),
        ("10", "10", None, "gte", True),
        ("11", "10", None, "gt", True),
        ("x", "10", "integer", "gt", True),  # unparsable integer: string compare
        ("1.10", "1.9", "version", "gt", True),
        ("1.10", "1.9", "number", "gt", False),
        ("2.0", "2", "version", "eq", True),  # eq of versions pads missing fields
        ("2.0", "2", None, "eq", False),  # but eq defaults to string
        (None, "100", None, "lt", False),  # missing attribute: ordering is false
        (None, "100", None, "gte", False),
        (None, "100", None, "eq", False),
        (None, "100", None, "ne", True),
        (None, None, None, "eq", True),
        ("5", None, None, "ne", True),
        ("5", None, None, "gt", False),
        (None, None, None, "defined", False),
        ("", None, None, "defined", True),
        (None, None, None, "not_defined", True),
        ("1", None, None, "not_defined", False),
        ("0100", "100", "integer", "eq", True),
        ("0100", "100", None, "eq", False),  # eq defaults to string
        ("1", "1", None, "bogus", False),
    ],
)
def test_comparison(
    left: str | None, right: str | None, type_: str | None, op: str, expected: bool
) -> None:
    assert accept_comparison(left, right, type_, op) is expected


def test_version_compare_pads_missing_fields() -> None:
    assert compare_versions("1.2", "1.2.0") == 0
    assert compare_versions("1.2", "1.2.1") == -1
    assert compare_versions("3", "2.99") == 1


def _attr(attribute: str, op: str, value: str | None = None, **kw: str) -> AttrExpression:
    return AttrExpression(id=f"e-{attribute}", attribute=attribute, operation=op, value=value,
                          **kw)  # type: ignore[arg-type]


SEED_PING_RULE = Rule(
    id="ping",
    expressions=(
        _attr("default_ping_set", "not_defined"),
        _attr("default_ping_set", "lt", "100"),
    ),
    boolean_op="or",
    score=-INFINITY,
)


@pytest.mark.parametrize(
    ("attrs", "expected"),
    [({}, True), ({"default_ping_set": "0"}, True), ({"default_ping_set": "100"}, False),
     ({"default_ping_set": "200"}, False)],
)
def test_seed_ping_rule(attrs: dict[str, str], expected: bool) -> None:
    assert rule_matches(SEED_PING_RULE, RuleInput(node_attrs=attrs)) is expected


def test_and_rule_needs_every_expression() -> None:
    rule = Rule(id="r", expressions=(_attr("#uname", "eq", "n1"), _attr("site", "eq", "a")))
    assert rule_matches(rule, RuleInput(node_attrs={"#uname": "n1", "site": "a"}))
    assert not rule_matches(rule, RuleInput(node_attrs={"#uname": "n1", "site": "b"}))


def test_empty_rules() -> None:
    assert rule_matches(Rule(id="and", expressions=()), RuleInput(node_attrs={}))
    assert not rule_matches(Rule(id="or", expressions=(), boolean_op="or"),
                            RuleInput(node_attrs={}))


def test_nested_rule() -> None:
    inner = Rule(id="in", expressions=(_attr("a", "eq", "1"), _attr("b", "eq", "1")),
                 boolean_op="or")
    outer = Rule(id="out", expressions=(inner, _attr("c", "defined")))
    assert rule_matches(outer, RuleInput(node_attrs={"b": "1", "c": "x"}))
    assert not rule_matches(outer, RuleInput(node_attrs={"b": "1"}))


def test_node_expression_without_node_never_matches() -> None:
    assert not expression_matches(_attr("x", "not_defined"), RuleInput(node_attrs=None))


def test_value_source_param_and_meta() -> None:
    expr = _attr("site", "eq", "wanted_site", value_source="param")
    given = RuleInput(node_attrs={"site": "dc1"}, params={"wanted_site": "dc1"})
    assert expression_matches(expr, given)
    assert not expression_matches(expr, RuleInput(node_attrs={"site": "dc1"}))
    meta = _attr("site", "eq", "where", value_source="meta")
    assert expression_matches(meta, RuleInput(node_attrs={"site": "x"}, meta={"where": "x"}))


@pytest.mark.parametrize(
    ("op", "value", "role", "expected"),
    [
        ("eq", "Master", Role.PROMOTED, True),
        ("eq", "Promoted", Role.PROMOTED, True),
        ("eq", "Slave", Role.PROMOTED, False),
        ("ne", "Promoted", Role.UNPROMOTED, True),
        ("ne", "Promoted", Role.STARTED, False),  # ne only for promotable roles
        ("defined", None, Role.UNPROMOTED, True),
        ("defined", None, Role.STARTED, False),
        ("not_defined", None, Role.STARTED, True),
        ("not_defined", None, Role.PROMOTED, False),
        ("eq", "Started", None, False),
    ],
)
def test_role_expression(op: str, value: str | None, role: Role | None, expected: bool) -> None:
    assert expression_matches(_attr("#role", op, value), RuleInput(role=role)) is expected


def test_rule_score_literal_and_attribute() -> None:
    literal = Rule(id="r", expressions=(), score=200)
    assert rule_score(literal, {}) == 200
    by_attr = Rule(id="r", expressions=(), score_attribute="pingd")
    assert rule_score(by_attr, {"pingd": "300"}) == 300
    assert rule_score(by_attr, {"pingd": "INFINITY"}) == INFINITY
    assert rule_score(by_attr, {}) == -INFINITY
    assert rule_score(Rule(id="r", expressions=()), {}) == 0


@pytest.mark.parametrize(
    ("text", "value"),
    [("100", 100), ("-inf", -INFINITY), ("+INFINITY", INFINITY), ("5000000", INFINITY),
     ("12abc", 12), ("abc", 0)],
)
def test_score_of(text: str, value: int) -> None:
    assert score_of(text) == value


@pytest.mark.parametrize(
    ("text", "iso"),
    [
        ("2005-01-20", "2005-01-20T00:00:00+00:00"),
        ("2005-01-20 12:30:00", "2005-01-20T12:30:00+00:00"),
        ("2005-01-20T12:30:00Z", "2005-01-20T12:30:00+00:00"),
        ("2005-01-20T12:30:00+02:00", "2005-01-20T10:30:00+00:00"),
        ("2005-020", "2005-01-20T00:00:00+00:00"),
        ("2009-W01-1", "2008-12-29T00:00:00+00:00"),
    ],
)
def test_parse_iso_datetime(text: str, iso: str) -> None:
    moment = parse_iso_datetime(text)
    assert moment is not None
    assert moment == dt.datetime.fromisoformat(iso)


def test_parse_iso_datetime_rejects_garbage() -> None:
    assert parse_iso_datetime("yesterday") is None
    assert parse_iso_datetime("2005-13-01") is None


def test_date_gt_lt_in_range() -> None:
    now = _ts("2020-06-15 12:00:00")
    assert date_matches(DateExpression(id="d", operation="gt", start="2020-01-01"), now)
    assert not date_matches(DateExpression(id="d", operation="gt", start="2021-01-01"), now)
    assert date_matches(DateExpression(id="d", operation="lt", end="2021-01-01"), now)
    assert not date_matches(DateExpression(id="d", operation="lt", end="2020-01-01"), now)
    assert not date_matches(DateExpression(id="d", operation="gt"), now)  # needs start
    span = DateExpression(id="d", operation="in_range", start="2020-06-01", end="2020-07-01")
    assert date_matches(span, now)
    assert date_matches(DateExpression(id="d", operation="in_range", end="2020-07-01"), now)
    assert not date_matches(DateExpression(id="d", operation="in_range"), now)
    late = DateExpression(id="d", operation="in_range", start="2020-07-01")
    assert not date_matches(late, now)


def test_in_range_with_duration() -> None:
    expr = DateExpression(id="d", operation="in_range", start="2020-01-31",
                          duration=(("months", "1"), ("days", "1")))
    # 2020-01-31 + 1 month = 2020-02-29 (clamped), + 1 day = 2020-03-01
    assert date_matches(expr, _ts("2020-03-01 00:00:00"))
    assert not date_matches(expr, _ts("2020-03-01 00:00:01"))


def test_date_spec() -> None:
    # 2020-06-15 is a Monday (ISO weekday 1), week 25, day of year 167
    now = _ts("2020-06-15 09:30:05")

    def spec(**fields: str) -> DateExpression:
        return DateExpression(id="d", operation="date_spec", date_spec=tuple(fields.items()))

    assert date_matches(spec(hours="9-17", weekdays="1-5"), now)
    assert not date_matches(spec(hours="10-17"), now)
    assert date_matches(spec(years="2020", months="6", monthdays="15"), now)
    assert date_matches(spec(yeardays="167", weeks="25", weekyears="2020"), now)
    assert date_matches(spec(minutes="-30"), now)
    assert not date_matches(spec(minutes="31-"), now)
    assert date_matches(spec(seconds="5"), now)
    assert date_matches(spec(), now)
    assert date_matches(spec(moon=str(moon_phase(dt.datetime(2020, 6, 15, tzinfo=dt.UTC)))), now)


def test_date_expression_without_now_never_matches() -> None:
    expr = DateExpression(id="d", operation="gt", start="2000-01-01")
    assert not expression_matches(expr, RuleInput(node_attrs={}))


def test_op_and_rsc_expressions() -> None:
    op = OpExpression(id="o", name="monitor", interval="10s")
    assert expression_matches(op, RuleInput(op_name="monitor", op_interval_ms=10_000))
    assert not expression_matches(op, RuleInput(op_name="monitor", op_interval_ms=0))
    assert not expression_matches(op, RuleInput(op_name="start", op_interval_ms=10_000))
    assert not expression_matches(op, RuleInput())
    any_interval = OpExpression(id="o", name="start")
    assert expression_matches(any_interval, RuleInput(op_name="start", op_interval_ms=0))
    rsc = RscExpression(id="r", cls="ocf", provider="heartbeat", type="IPaddr2")
    given = RuleInput(rsc_class="ocf", rsc_provider="heartbeat", rsc_type="IPaddr2")
    assert expression_matches(rsc, given)
    lsb = RuleInput(rsc_class="lsb", rsc_provider=None, rsc_type="IPaddr2")
    assert not expression_matches(rsc, lsb)
    no_provider = RscExpression(id="r", cls="lsb")
    assert expression_matches(no_provider, lsb)
    assert not expression_matches(no_provider, given)  # provider must match (both absent)


@pytest.mark.parametrize("expression", [
    DateExpression(id="d", operation="gt", start="9999-366"),  # not a date: no match
    DateExpression(id="d", operation="in_range", start="9999-12-31", duration=(("years", "5"),)),
    DateExpression(id="d", operation="in_range", start="0001-01-01",
                   duration=(("years", "-3000"), ("days", "99999999999999"))),
    DateExpression(id="d", operation="in_range", start="2020-01-01",
                   duration=(("years", "9" * 5000),)),
    DateExpression(id="d", operation="lt", end="9999-12-31T23:59:59-02:00"),
    DateExpression(id="d", operation="date_spec", date_spec=(("years", "9" * 5000),)),
])
def test_date_arithmetic_never_overflows(expression: DateExpression) -> None:
    now = _ts("2020-06-15 12:00:00")
    assert date_matches(expression, now) in (True, False)


def test_dates_past_9999_compare_as_later() -> None:
    now = _ts("2020-06-15 12:00:00")
    forever = DateExpression(id="d", operation="in_range", start="9999-12-31",
                             duration=(("years", "5"),))
    assert not date_matches(forever, now)
    until = DateExpression(id="d", operation="in_range", start="2020-01-01",
                           duration=(("years", "100000"),))
    assert date_matches(until, now)
    assert date_matches(DateExpression(id="d", operation="lt",
                                       end="9999-12-31T23:59:59-02:00"), now)


def test_integers_beyond_64_bits_compare_as_strings_as_in_pacemaker() -> None:
    assert accept_comparison("9" * 5000, "10", "integer", "gt")  # "9…" > "10" as strings
    assert not accept_comparison("1" + "0" * 30, "9", "integer", "gt")
