"""ISO 8601 dates, durations and date_spec ranges as integers: no year overflows."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harm.cib import dates

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def _seconds(moment: dt.datetime) -> int:
    return int((moment - EPOCH).total_seconds())


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2005-01-20", "2005-01-20T00:00:00+00:00"),
        ("2005-020", "2005-01-20T00:00:00+00:00"),
        ("2024-366", "2024-12-31T00:00:00+00:00"),  # leap year: 366 days
        ("2009-W01-1", "2008-12-29T00:00:00+00:00"),
        ("2020-W53-7", "2021-01-03T00:00:00+00:00"),  # 2020 has 53 ISO weeks
        ("2005-01-20 24:00:00", "2005-01-21T00:00:00+00:00"),
        ("2019-09-23 12:30:00 -05:00", "2019-09-23T17:30:00+00:00"),
        ("9999-12-31T23:59:59-02:00", None),  # past 9999 for datetime, fine for integers
        ("0001-01-01T00:00:00+02:00", None),
    ],
)
def test_valid_dates(text: str, expected: str | None) -> None:
    seconds = dates.parse_date(text)
    assert seconds is not None
    if expected is not None:
        assert seconds == _seconds(dt.datetime.fromisoformat(expected))


@pytest.mark.parametrize("text", [
    "9999-366", "2023-366", "2023-000", "2021-W53-1", "2020-W00-1", "2020-W01-8", "2005-13-01",
    "2023-02-29", "2005-00-10", "2005-01-20T25:00", "2005-01-20T12:60", "2005-01-20T24:00:01",
    "2005-01-20T12:00+24:00", "yesterday", "", "20050120",
])
def test_invalid_dates_are_not_dates(text: str) -> None:
    assert dates.parse_date(text) is None


def test_durations_past_year_9999_are_plain_arithmetic() -> None:
    start = dates.parse_date("9999-12-31")
    assert start is not None
    end = dates.add_duration(start, (("years", "5"),))
    assert dates.civil(end).year == 10004
    back = dates.add_duration(start, (("years", "-12000"),))
    assert dates.civil(back).year == -2001
    huge = dates.add_duration(start, (("years", "2147483647"), ("days", "2147483647")))
    assert dates.civil(huge).year > 2147483647


def test_duration_fields_outside_a_c_int_are_ignored_as_pacemaker_ignores_them() -> None:
    start = dates.parse_date("2020-01-01")
    assert start is not None
    for text in ("2147483648", "-2147483649", "9" * 5000, "abc", ""):
        assert dates.add_duration(start, (("days", text),)) == start
    assert dates.add_duration(start, (("days", "3x"),)) == start + 3 * 86400  # strtoll
    assert dates.add_duration(start, (("fortnights", "1"),)) == start


def test_months_clamp_the_day_to_the_month() -> None:
    start = dates.parse_date("2020-01-31")
    assert start is not None
    assert dates.add_duration(start, (("months", "1"),)) == dates.parse_date("2020-02-29")
    assert dates.add_duration(start, (("months", "13"),)) == dates.parse_date("2021-02-28")


@settings(max_examples=300, deadline=None)
@given(st.integers(min_value=-62_135_596_800, max_value=253_402_300_799))
def test_calendar_fields_agree_with_the_standard_library(seconds: int) -> None:
    moment = EPOCH + dt.timedelta(seconds=seconds)
    fields = dates.civil(seconds)
    iso = moment.isocalendar()
    assert (fields.year, fields.month, fields.day) == (moment.year, moment.month, moment.day)
    assert (fields.hour, fields.minute, fields.second) == (moment.hour, moment.minute,
                                                           moment.second)
    assert fields.yday == moment.timetuple().tm_yday
    assert (fields.week_year, fields.week, fields.weekday) == (iso[0], iso[1], iso[2])
    assert dates.days_from_civil(moment.year, moment.month, moment.day) == seconds // 86400


@pytest.mark.parametrize(
    ("spec", "bounds"),
    [("5", (5, 5)), ("1-5", (1, 5)), ("-5", (None, 5)), ("5-", (5, None)), (" 9 - 17 ", (9, 17)),
     ("", None), ("-", None), ("a", None), ("1-2-3", None), ("9" * 5000, None),
     ("1-" + "9" * 30, None)],
)
def test_ranges(spec: str, bounds: tuple[int | None, int | None] | None) -> None:
    assert dates.parse_range(spec) == bounds


def test_date_spec_far_from_today_and_malformed_fields() -> None:
    now = dates.parse_date("2020-06-15 09:30:05")
    assert now is not None
    assert dates.date_spec_matches((("years", "2020"), ("weekdays", "1")), now)
    assert not dates.date_spec_matches((("years", "10000-"),), now)
    assert dates.date_spec_matches((("hours", "9" * 5000),), now)  # undetermined: no say
    far = dates.add_duration(now, (("years", "2147483647"),))
    assert dates.date_spec_matches((("months", "6"),), far)
