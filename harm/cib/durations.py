"""Durations as Pacemaker and Heartbeat write them: ``7s``, ``30``, ``200ms``, ``1min``, ``PT5M``.

A bare number means seconds (Pacemaker's ``crm_get_msec``). ISO 8601 durations of the
``PnDTnHnMnS`` form are accepted too, because Pacemaker CIBs contain them.
"""

from __future__ import annotations

import re

_UNITS_MS = {
    "": 1000,
    "s": 1000,
    "sec": 1000,
    "secs": 1000,
    "ms": 1,
    "msec": 1,
    "msecs": 1,
    "us": 0.001,
    "usec": 0.001,
    "m": 60_000,
    "min": 60_000,
    "mins": 60_000,
    "h": 3_600_000,
    "hr": 3_600_000,
    "hrs": 3_600_000,
}

_PLAIN = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$")
_ISO = re.compile(
    r"^P(?:(?P<d>\d+)D)?(?:T(?:(?P<h>\d+)H)?(?:(?P<m>\d+)M)?(?:(?P<s>\d+(?:\.\d+)?)S)?)?$"
)


def parse_ms(text: str) -> int:
    """Milliseconds in ``text``; raises ValueError when it is not a duration."""
    match = _PLAIN.match(text)
    if match:
        unit = match.group(2).lower()
        if unit not in _UNITS_MS:
            raise ValueError(f"unknown time unit {match.group(2)!r} in {text!r}")
        return _whole_ms(float(match.group(1)) * _UNITS_MS[unit], text)
    iso = _ISO.match(text.strip().upper())
    if iso and any(iso.groupdict().values()):
        parts = {k: float(v) if v else 0.0 for k, v in iso.groupdict().items()}
        seconds = parts["d"] * 86400 + parts["h"] * 3600 + parts["m"] * 60 + parts["s"]
        return _whole_ms(seconds * 1000, text)
    raise ValueError(f"not a duration: {text!r}")


MAX_MS = 2**63 - 1  # Pacemaker keeps milliseconds in a long long


def _whole_ms(ms: float, text: str) -> int:
    if not ms <= MAX_MS:  # also infinity, from a number of hundreds of digits
        raise ValueError(f"duration too long: {text!r}")
    return round(ms)


def is_duration(text: str) -> bool:
    """True when ``text`` parses as a duration."""
    try:
        parse_ms(text)
    except ValueError:
        return False
    return True


def format_ms(ms: int) -> str:
    """A compact spelling: ``0``, ``200ms``, ``7s``, ``2min``."""
    if ms == 0:
        return "0"
    if ms % 60_000 == 0 and ms >= 60_000:
        return f"{ms // 60_000}min"
    if ms % 1000 == 0:
        return f"{ms // 1000}s"
    return f"{ms}ms"
