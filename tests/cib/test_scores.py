"""Score arithmetic: -INFINITY dominates, then +INFINITY, else a clamped sum."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from harm.cib.scores import (
    INFINITY,
    add,
    char2score,
    clamp,
    format_crm_score,
    format_score,
    is_score,
    parse_score,
    total,
)
from harm.engine.rules import score_of

scores = st.one_of(
    st.integers(min_value=-2 * INFINITY, max_value=2 * INFINITY).map(clamp),
    st.sampled_from([INFINITY, -INFINITY, 0]),
)


@pytest.mark.parametrize(
    ("text", "value"),
    [("inf", INFINITY), ("+inf", INFINITY), ("INFINITY", INFINITY), ("+INFINITY", INFINITY),
     ("-inf", -INFINITY), ("-INFINITY", -INFINITY), ("0", 0), ("100", 100), ("+5", 5),
     ("-200", -200), (" 7 ", 7), ("5000000", INFINITY), ("-5000000", -INFINITY)],
)
def test_parse(text: str, value: int) -> None:
    assert parse_score(text) == value
    assert is_score(text)


@pytest.mark.parametrize("text", ["", "infinite", "1.5", "ten", "--1", "0x10", "inf:"])
def test_parse_refuses_what_is_not_a_score(text: str) -> None:
    assert not is_score(text)
    with pytest.raises(ValueError):
        parse_score(text)


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [(1, 2, 3), (INFINITY, -INFINITY, -INFINITY), (-INFINITY, INFINITY, -INFINITY),
     (INFINITY, 5, INFINITY), (-INFINITY, 5, -INFINITY), (999_999, 2, INFINITY),
     (-999_999, -2, -INFINITY), (INFINITY, INFINITY, INFINITY)],
)
def test_add_table(a: int, b: int, expected: int) -> None:
    assert add(a, b) == expected
    assert add(b, a) == expected


@given(scores, scores)
def test_add_is_commutative_and_stays_in_range(a: int, b: int) -> None:
    assert add(a, b) == add(b, a)
    assert -INFINITY <= add(a, b) <= INFINITY


@given(st.lists(scores, max_size=6))
def test_minus_infinity_dominates_any_sum(values: list[int]) -> None:
    assert total(*values, -INFINITY) == -INFINITY
    finite = [v for v in values if abs(v) < INFINITY]
    if -INFINITY not in values and sum(finite) > -INFINITY and all(
        sum(finite[:i]) > -INFINITY for i in range(len(finite) + 1)
    ):
        assert total(*values, INFINITY) == INFINITY


@given(scores)
def test_format_and_parse_are_inverse(value: int) -> None:
    assert parse_score(format_score(value)) == value
    assert parse_score(format_crm_score(value)) == value


def test_format_spellings() -> None:
    assert (format_score(INFINITY), format_score(-INFINITY), format_score(12)) == (
        "INFINITY", "-INFINITY", "12")
    assert (format_crm_score(INFINITY), format_crm_score(-INFINITY)) == ("inf", "-inf")


@pytest.mark.parametrize(("text", "value"), [
    ("red", -INFINITY), ("RED", -INFINITY), ("yellow", 0), ("green", 0),
    ("-inf", -INFINITY), ("+INFINITY", INFINITY), ("2.0", 2), (" 17abc", 17),
    ("abc", 0), (None, 0), ("99999999", INFINITY),
])
def test_char2score_is_the_one_lenient_reading(text: str | None, value: int) -> None:
    assert char2score(text) == value
    if text is not None:
        assert score_of(text) == value  # the rules read scores the same way
