"""crm_mon's spellings: intervals, op keys, exit codes and times."""

from __future__ import annotations

import pytest

from harm.mon.formats import (
    action_text,
    epoch_text,
    exec_status_text,
    exit_text,
    iso_text,
    parse_op_key,
    readable_interval,
)
from tests.mon.helpers import utc


@pytest.mark.parametrize(("ms", "text"), [
    (0, "0s"), (200, "200ms"), (1000, "1000ms"), (1500, "1.500s"), (7000, "7s"),
    (10000, "10s"), (60000, "60s"), (90000, "1m30s"), (3_600_000, "60m"),
    (3_600_001, "1h1ms"), (90_061_000, "1d1h1m1000ms"), (90_062_000, "1d1h1m2s"),
])
def test_readable_interval(ms: int, text: str) -> None:
    assert readable_interval(ms) == text


@pytest.mark.parametrize(("key", "parsed"), [
    ("r_pgsql_monitor_7000", ("r_pgsql", "monitor", 7000)),
    ("r_pgsql:0_monitor_7000", ("r_pgsql:0", "monitor", 7000)),
    ("vm_migrate_to_0", ("vm", "migrate_to", 0)),
    ("vm_migrate_from_0", ("vm", "migrate_from", 0)),
    ("db_post_notify_start_0", ("db", "post_notify_start", 0)),
    ("group_1-postfix_9_stop_0", ("group_1-postfix_9", "stop", 0)),
    ("nounderscore", None), ("rsc_monitor_x", None), ("_0", None),
])
def test_parse_op_key(key: str, parsed: tuple[str, str, int] | None) -> None:
    assert parse_op_key(key) == parsed


def test_codes_and_actions() -> None:
    assert exit_text(7) == "not running"
    assert exit_text(8) == "promoted"
    assert exit_text(190) == "OCF_DEGRADED"
    assert exit_text(191) == "promoted (degraded)"
    assert exit_text(42) == "unknown"
    assert exec_status_text(2) == "Timed Out"
    assert exec_status_text(99) == "UNKNOWN!"
    assert action_text("monitor", 0) == "probe"
    assert action_text("monitor", 7000) == "monitor"


def test_times_are_ctime_and_iso() -> None:
    with utc():
        assert epoch_text(1269837816) == "Mon Mar 29 04:43:36 2010"
        assert epoch_text(1267417416) == "Mon Mar  1 04:23:36 2010"
        assert iso_text(1269837816) == "2010-03-29 04:43:36Z"
