"""Random rules and rule inputs for fuzzing rule evaluation (:mod:`harm.engine.rules`).

Rules are built as the typed model the XML reader produces, so they hold what a CIB
written by anyone may hold, not only what ``harm configure`` accepts: any operation word,
any type, dates that are not dates, durations and date_spec ranges of thousands of digits,
nested rules, and a ``now`` from long before year 1 to long after year 9999.
"""

from __future__ import annotations

import random

from harm.cib.config import AttrExpression, DateExpression, Expression, Role, Rule
from harm.engine.rules import RuleInput, rule_matches, rule_score

_BIG = "9" * 5000
_WORDS = ("", "0", "1", "-1", "7", "10", "1.5", "-0.0", "1e308", "1e999", "nan", "inf",
          "INFINITY", "-INFINITY", "2147483648", "-9223372036854775809", _BIG, "-" + _BIG,
          "abc", "1.2.3", "1.10", "Promoted", "Started", "master", "é", "a b", "0x10",
          " 12 ", "+5", "00012")
_DATES = ("2005-01-20", "9999-366", "9999-12-31T23:59:59-02:00", "0000-01-01",
          "0001-01-01T00:00:00+02:00", "2020-W53-7", "2021-W53-1", "2024-02-29",
          "2023-02-29", "2005-01-20 24:00:00", "2005-01-20T25:00", "bogus", "", "2005",
          "2005-13", "1970-01-01 00:00:00 -05:00", _BIG[:20], "2038-01-19T03:14:08Z")
_DURATION = ("years", "months", "weeks", "days", "hours", "minutes", "seconds", "other")
_SPEC = ("years", "months", "monthdays", "hours", "minutes", "seconds", "yeardays",
         "weekyears", "weeks", "weekdays", "moon", "other")
_OPS = ("lt", "gt", "lte", "gte", "eq", "ne", "defined", "not_defined", "LT", "bogus", "")
_TYPES = (None, "string", "integer", "number", "version", "INTEGER", "bogus")
_ATTRS = ("a", "b", "#uname", "#role", "#kind", "")


def _word(rng: random.Random) -> str:
    return rng.choice(_WORDS) if rng.random() < 0.7 else str(rng.randint(-10**6, 10**6))


def _range(rng: random.Random) -> str:
    a, b = _word(rng), _word(rng)
    return rng.choice((a, f"{a}-{b}", f"-{b}", f"{a}-", "-", ""))


def _expression(rng: random.Random, depth: int) -> Expression:
    kind = rng.randrange(5 if depth < 3 else 4)
    if kind == 0:
        return DateExpression(
            "d", rng.choice(("gt", "lt", "in_range", "date_spec", "bogus", "")),
            start=rng.choice((None, *_DATES)), end=rng.choice((None, *_DATES)),
            duration=tuple((rng.choice(_DURATION), _word(rng)) for _ in range(rng.randrange(4))),
            date_spec=tuple((rng.choice(_SPEC), _range(rng)) for _ in range(rng.randrange(4))))
    if kind == 4:
        return random_rule(rng, depth + 1)
    return AttrExpression("e", rng.choice(_ATTRS), rng.choice(_OPS),
                          rng.choice((None, _word(rng), _word(rng))), rng.choice(_TYPES),
                          rng.choice((None, "literal", "param", "meta", "bogus")))


def random_rule(rng: random.Random, depth: int = 0) -> Rule:
    return Rule("r", tuple(_expression(rng, depth) for _ in range(rng.randrange(4))),
                boolean_op=rng.choice(("and", "or", "OR", "bogus")),
                score=rng.choice((None, 0, 100, 1_000_000, -1_000_000)),
                score_attribute=rng.choice((None, "a", "b")))


def random_input(rng: random.Random) -> RuleInput:
    attrs = {name: _word(rng) for name in ("a", "b", "#uname") if rng.random() < 0.6}
    return RuleInput(
        node_attrs=attrs if rng.random() < 0.9 else None,
        now=rng.choice((None, 1_700_000_000, rng.randint(-2**40, 2**40),
                        rng.randint(0, 2**31), -62_135_596_800, 253_402_300_800)),
        role=rng.choice((None, *Role)),
        params={"a": _word(rng)}, meta={"b": _word(rng)},
        op_name=rng.choice((None, "monitor", "start")),
        op_interval_ms=rng.choice((None, 0, 10_000)),
        rsc_class=rng.choice((None, "ocf")), rsc_provider=rng.choice((None, "harm")),
        rsc_type=rng.choice((None, "Dummy")))


def run_rule(rng: random.Random) -> str:
    """``matched`` or ``not matched``; anything else raises (a bug)."""
    rule, given = random_rule(rng), random_input(rng)
    matched = rule_matches(rule, given)
    if not isinstance(matched, bool):
        raise AssertionError(f"rule_matches gave {matched!r}")
    if matched and given.node_attrs is not None:
        rule_score(rule, given.node_attrs)
    return "matched" if matched else "not matched"
