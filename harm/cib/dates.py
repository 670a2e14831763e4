"""ISO 8601 dates, durations and ``date_spec`` ranges, read as Pacemaker reads them.

Moments are whole seconds since the epoch (UTC) on the proleptic Gregorian calendar, as
plain integers: adding a duration of 2,000,000,000 years to 9999-12-31 is arithmetic, never
an overflow. What is accepted:

* dates ``YYYY``, ``YYYY-MM``, ``YYYY-MM-DD``, ``YYYY-DDD`` (ordinal), ``YYYY-Www-D`` (ISO
  week), optionally followed by ``T`` or a blank and a time ``hh[:mm[:ss[.frac]]]`` with a
  zone ``Z``, ``±hh``, ``±hhmm`` or ``±hh:mm`` (a blank before the zone is allowed). A time
  without zone is UTC. Fields out of their range (month 13, 2023-02-29, ordinal day 366 of
  a common year, week 53 of a 52-week year, hour 25, minute 60) make the text not a date,
  as in Pacemaker's ``crm_time_new``; ``24:00:00`` is the end of the day.
* duration fields ``years months weeks days hours minutes seconds``: the leading integer of
  the value; a value that is not an integer, or lies outside a C ``int`` (±2³¹), is ignored
  as Pacemaker ignores it. Months are added on the calendar, the day clamped to the
  month's last (``01-31`` + 1 month is ``02-28`` or ``02-29``).
* ``date_spec`` fields ``years months monthdays hours minutes seconds yeardays weekyears
  weeks weekdays moon``, each ``N``, ``N-M``, ``N-`` or ``-M`` (numbers within a 64-bit
  integer). A field whose range is malformed does not decide the match (Pacemaker calls it
  undetermined); ``harm configure verify`` refuses it.

Nothing here reads a clock.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from harm.cib.config import Pairs

DURATION_FIELDS = ("years", "months", "weeks", "days", "hours", "minutes", "seconds")
DATE_SPEC_FIELDS = ("years", "months", "monthdays", "hours", "minutes", "seconds",
                    "yeardays", "weekyears", "weeks", "weekdays", "moon")
DATE_FORMS = ("a date (YYYY-MM-DD, YYYY-DDD or YYYY-Www-D, optionally with a time "
              "hh:mm:ss and a zone Z or ±hh:mm)")
INT_MIN, INT_MAX = -(2**31), 2**31 - 1
LLONG_MIN, LLONG_MAX = -(2**63), 2**63 - 1

_DAY = 86_400
_MAX_DIGITS = 20  # more digits than any 64-bit integer has (after leading zeros)

_DATE = re.compile(
    r"^(?P<year>\d{4})"
    r"(?:-(?:(?P<month>\d{2})(?:-(?P<day>\d{2}))?|W(?P<week>\d{2})(?:-(?P<wday>\d))?"
    r"|(?P<yday>\d{3})))?$"
)
_TIME = re.compile(
    r"^(?P<h>\d{2})(?::(?P<m>\d{2})(?::(?P<s>\d{2})(?:\.\d+)?)?)?"
    r"(?P<tz>Z|[+-]\d{2}(?::?\d{2})?)?$"
)
_LEADING_INT = re.compile(r"^\s*([+-]?)0*(\d+)")
_RANGE = re.compile(r"^\s*(\d*)\s*(?:(-)\s*(\d*))?\s*$")


# ----------------------------------------------------------------------------- calendar


def is_leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def days_in_month(year: int, month: int) -> int:
    if month == 2:
        return 29 if is_leap(year) else 28
    return 30 if month in (4, 6, 9, 11) else 31


def days_from_civil(year: int, month: int, day: int) -> int:
    """Days from 1970-01-01 to year-month-day (any integer year)."""
    y = year - (month <= 2)
    era = y // 400
    yoe = y - era * 400
    mp = (month + 9) % 12  # March is 0
    doy = (153 * mp + 2) // 5 + day - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146_097 + doe - 719_468


def civil_from_days(days: int) -> tuple[int, int, int]:
    """The (year, month, day) ``days`` after 1970-01-01."""
    z = days + 719_468
    era = z // 146_097
    doe = z - era * 146_097
    yoe = (doe - doe // 1460 + doe // 36_524 - doe // 146_096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    day = doy - (153 * mp + 2) // 5 + 1
    month = mp + 3 if mp < 10 else mp - 9
    return yoe + era * 400 + (month <= 2), month, day


def iso_weekday(days: int) -> int:
    """1 (Monday) … 7 (Sunday) for the day ``days`` after 1970-01-01 (a Thursday)."""
    return (days + 3) % 7 + 1


def _iso_week_one(year: int) -> int:
    """The day number of the Monday of ISO week 1 of ``year``."""
    jan4 = days_from_civil(year, 1, 4)
    return jan4 - (iso_weekday(jan4) - 1)


def iso_weeks_in_year(year: int) -> int:
    return (_iso_week_one(year + 1) - _iso_week_one(year)) // 7


@dataclass(frozen=True)
class Civil:
    """The calendar fields of one moment, as ``date_spec`` tests them."""

    year: int
    month: int
    day: int
    hour: int
    minute: int
    second: int
    yday: int
    week_year: int
    week: int
    weekday: int


def civil(seconds: int) -> Civil:
    days, rest = divmod(seconds, _DAY)
    year, month, day = civil_from_days(days)
    week_year = year
    if days < _iso_week_one(year):
        week_year = year - 1
    elif days >= _iso_week_one(year + 1):
        week_year = year + 1
    week = (days - _iso_week_one(week_year)) // 7 + 1
    return Civil(year, month, day, rest // 3600, rest // 60 % 60, rest % 60,
                 days - days_from_civil(year, 1, 1) + 1, week_year, week, iso_weekday(days))


def moon_phase(year: int, yday: int) -> int:
    """Pacemaker's phase of the moon, 0 (new) … 7 (4 is full)."""
    golden = (year % 19) + 1
    epact = (11 * golden + 18) % 30
    if (epact == 25 and golden > 11) or epact == 24:
        epact += 1
    return ((((yday + epact) * 6) + 11) % 177) // 22 & 7


# ----------------------------------------------------------------------------- parsing


def parse_date(text: str) -> int | None:
    """Seconds since the epoch for an ISO 8601 date (see the module doc); None when
    ``text`` is not one."""
    text = text.strip()
    date_part, _, time_part = text.replace("T", " ", 1).partition(" ")
    match = _DATE.match(date_part)
    if match is None:
        return None
    year = int(match.group("year"))
    if match.group("yday"):
        yday = int(match.group("yday"))
        if not 1 <= yday <= (366 if is_leap(year) else 365):
            return None
        days = days_from_civil(year, 1, 1) + yday - 1
    elif match.group("week"):
        week, wday = int(match.group("week")), int(match.group("wday") or 1)
        if not (1 <= week <= iso_weeks_in_year(year) and 1 <= wday <= 7):
            return None
        days = _iso_week_one(year) + (week - 1) * 7 + wday - 1
    else:
        month, day = int(match.group("month") or 1), int(match.group("day") or 1)
        if not (1 <= month <= 12 and 1 <= day <= days_in_month(year, month)):
            return None
        days = days_from_civil(year, month, day)
    # Pacemaker also accepts a blank before the zone: "2019-09-23 12:30:00 -05:00"
    time_part = re.sub(r"\s+(?=[+-]\d)", "", time_part.strip())
    seconds = 0
    if time_part:
        tmatch = _TIME.match(time_part)
        if tmatch is None:
            return None
        hours, minutes = int(tmatch.group("h")), int(tmatch.group("m") or 0)
        secs = int(tmatch.group("s") or 0)
        if hours == 24 and minutes == secs == 0:
            pass  # the end of the day: the next day's 00:00:00
        elif hours >= 24 or minutes >= 60 or secs >= 60:
            return None
        seconds = hours * 3600 + minutes * 60 + secs
        zone = tmatch.group("tz")
        if zone and zone != "Z":
            digits = zone[1:].replace(":", "")
            zone_hours, zone_minutes = int(digits[:2]), int(digits[2:4] or 0)
            if zone_hours > 23 or zone_minutes > 59:
                return None
            offset = zone_hours * 3600 + zone_minutes * 60
            seconds -= offset if zone[0] == "+" else -offset
    return days * _DAY + seconds


def is_date(text: str) -> bool:
    return parse_date(text) is not None


def leading_integer(text: str, low: int = LLONG_MIN, high: int = LLONG_MAX) -> int | None:
    """The integer ``text`` starts with (as ``strtoll`` reads it), or None when there is
    none or it lies outside ``[low, high]`` — without ever converting thousands of
    digits."""
    match = _LEADING_INT.match(text)
    if match is None:
        return None
    digits = match.group(2)
    if len(digits) > _MAX_DIGITS:
        return None
    value = -int(digits) if match.group(1) == "-" else int(digits)
    return value if low <= value <= high else None


def duration_amount(text: str) -> int | None:
    """One duration field's amount (None: ignored, see the module doc)."""
    return leading_integer(text, INT_MIN, INT_MAX)


def add_duration(start: int, duration: Pairs) -> int:
    """``start`` (seconds since the epoch) plus a duration's fields."""
    amounts = {key: duration_amount(value) or 0 for key, value in duration
               if key in DURATION_FIELDS}
    moment = start
    years, months = amounts.get("years", 0), amounts.get("months", 0)
    if years or months:
        days, rest = divmod(moment, _DAY)
        year, month, day = civil_from_days(days)
        total = year * 12 + (month - 1) + years * 12 + months
        year, month0 = divmod(total, 12)
        day = min(day, days_in_month(year, month0 + 1))
        moment = days_from_civil(year, month0 + 1, day) * _DAY + rest
    return (moment + amounts.get("weeks", 0) * 7 * _DAY + amounts.get("days", 0) * _DAY
            + amounts.get("hours", 0) * 3600 + amounts.get("minutes", 0) * 60
            + amounts.get("seconds", 0))


def parse_range(spec: str) -> tuple[int | None, int | None] | None:
    """``5`` → (5, 5), ``1-5`` → (1, 5), ``-5`` → (None, 5), ``5-`` → (5, None); None
    when ``spec`` is not such a range."""
    match = _RANGE.match(spec)
    if match is None:
        return None
    low_text, dash, high_text = match.groups()
    if not low_text and not high_text:
        return None
    low = leading_integer(low_text) if low_text else None
    high = leading_integer(high_text) if high_text else None
    if (low_text and low is None) or (high_text and high is None):
        return None  # beyond a 64-bit integer
    return (low, low) if dash is None else (low, high)


def is_range(spec: str) -> bool:
    return parse_range(spec) is not None


def date_spec_matches(spec: Pairs, seconds: int) -> bool:
    """True when every field of a ``date_spec`` holds at ``seconds``; a field that is
    unknown or malformed does not decide."""
    moment = civil(seconds)
    fields = {
        "years": moment.year,
        "months": moment.month,
        "monthdays": moment.day,
        "hours": moment.hour,
        "minutes": moment.minute,
        "seconds": moment.second,
        "yeardays": moment.yday,
        "weekyears": moment.week_year,
        "weeks": moment.week,
        "weekdays": moment.weekday,
        "moon": moon_phase(moment.year, moment.yday),
    }
    for key, value in spec:
        if key not in fields:
            continue
        bounds = parse_range(value)
        if bounds is None:
            continue
        low, high = bounds
        if (low is not None and fields[key] < low) or (high is not None and fields[key] > high):
            return False
    return True
