"""Durations as Pacemaker and Heartbeat spell them."""

from __future__ import annotations

import pytest

from harm.cib.durations import format_ms, is_duration, parse_ms


@pytest.mark.parametrize(
    ("text", "ms"),
    [("0", 0), ("7", 7000), ("7s", 7000), ("30sec", 30_000), ("200ms", 200), ("2min", 120_000),
     ("1m", 60_000), ("1h", 3_600_000), ("1.5s", 1500), ("PT5M", 300_000), ("P1DT1S", 86_401_000),
     ("500msec", 500), ("1000us", 1)],
)
def test_parse(text: str, ms: int) -> None:
    assert parse_ms(text) == ms


@pytest.mark.parametrize("text", ["", "ten", "7x", "-5s", "P", "PT", "s"])
def test_refuses(text: str) -> None:
    assert not is_duration(text)


@pytest.mark.parametrize("ms", [0, 1, 200, 1000, 7000, 60_000, 90_000, 3_600_000])
def test_format_round_trips(ms: int) -> None:
    assert parse_ms(format_ms(ms)) == ms
