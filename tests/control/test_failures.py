"""Which results raise a fail-count, and the attributes the coordinator writes for them."""

from __future__ import annotations

import pytest

from harm.cib.status import ExecStatus
from harm.control.failures import (
    counts_as_failure,
    failure_attributes,
    failure_name,
    record_failure,
)

DONE, CANCELLED, TIMEOUT = ExecStatus.DONE, ExecStatus.CANCELLED, ExecStatus.TIMEOUT


@pytest.mark.parametrize("rc, target", [(0, 7), (7, 7), (8, 7), (0, 0), (7, 0), (8, 8)])
def test_probe_finding_a_state_is_information(rc: int, target: int) -> None:
    assert not counts_as_failure("monitor", 0, rc, DONE, target)


@pytest.mark.parametrize("rc", [1, 2, 5, 6])
def test_probe_with_an_error_counts(rc: int) -> None:
    assert counts_as_failure("monitor", 0, rc, DONE, 7)


def test_probe_that_timed_out_counts() -> None:
    assert counts_as_failure("monitor", 0, 1, TIMEOUT, 7)


def test_recurring_monitor_not_running_counts() -> None:
    assert counts_as_failure("monitor", 10_000, 7, DONE, 0)
    assert counts_as_failure("monitor", 10_000, 0, DONE, 8)  # promoted one found unpromoted
    assert not counts_as_failure("monitor", 10_000, 0, DONE, 0)
    assert not counts_as_failure("monitor", 10_000, 8, DONE, 8)


@pytest.mark.parametrize("action", ["monitor", "start", "stop", "promote"])
def test_cancellation_never_counts(action: str) -> None:
    interval = 10_000 if action == "monitor" else 0
    assert not counts_as_failure(action, interval, 1, CANCELLED, 0)


@pytest.mark.parametrize("action", ["start", "stop", "promote", "demote", "reload"])
def test_failed_actions_count(action: str) -> None:
    assert counts_as_failure(action, 0, 1, DONE, 0)
    assert counts_as_failure(action, 0, 0, TIMEOUT, 0)
    assert not counts_as_failure(action, 0, 0, DONE, 0)


@pytest.mark.parametrize("action", ["notify", "meta-data", "validate-all"])
def test_notifications_and_informational_calls_do_not_count(action: str) -> None:
    assert not counts_as_failure(action, 0, 1, DONE, 0)


def test_failure_name_of_anonymous_instances() -> None:
    assert failure_name("r_pgsql:1") == "r_pgsql"
    assert failure_name("r_vip") == "r_vip"


def test_first_failure_writes_per_op_and_total() -> None:
    writes = record_failure({}, "r1", "monitor", 10_000, now=1700, fatal=False)
    assert writes == {
        "fail-count-r1#monitor_10000": "1",
        "last-failure-r1#monitor_10000": "1700",
        "fail-count-r1": "1",
        "last-failure-r1": "1700",
    }


def test_failures_accumulate_per_operation_and_in_total() -> None:
    attrs: dict[str, str] = {}
    attrs.update(record_failure(attrs, "r1", "monitor", 10_000, now=10, fatal=False))
    attrs.update(record_failure(attrs, "r1", "monitor", 10_000, now=20, fatal=False))
    attrs.update(record_failure(attrs, "r1", "stop", 0, now=30, fatal=False))
    assert attrs["fail-count-r1#monitor_10000"] == "2"
    assert attrs["fail-count-r1#stop_0"] == "1"
    assert attrs["fail-count-r1"] == "3"
    assert attrs["last-failure-r1#monitor_10000"] == "20"
    assert attrs["last-failure-r1"] == "30"


def test_other_resources_are_not_summed() -> None:
    attrs = {"fail-count-r10#monitor_10000": "5", "fail-count-r1x#start_0": "2"}
    writes = record_failure(attrs, "r1", "monitor", 10_000, now=1, fatal=False)
    assert writes["fail-count-r1"] == "1"


def test_fatal_start_failure_is_infinity() -> None:
    writes = record_failure({}, "r1", "start", 0, now=5, fatal=True)
    assert writes["fail-count-r1#start_0"] == "INFINITY"
    assert writes["fail-count-r1"] == "INFINITY"


def test_counts_saturate_at_infinity() -> None:
    attrs = {"fail-count-r1#start_0": "INFINITY"}
    writes = record_failure(attrs, "r1", "monitor", 10_000, now=5, fatal=False)
    assert writes["fail-count-r1#monitor_10000"] == "1"
    assert writes["fail-count-r1"] == "INFINITY"
    attrs = {"fail-count-r1#monitor_10000": "999999"}
    writes = record_failure(attrs, "r1", "monitor", 10_000, now=5, fatal=False)
    assert writes["fail-count-r1#monitor_10000"] == "INFINITY"


def test_unreadable_counts_start_again() -> None:
    attrs = {"fail-count-r1#monitor_10000": "lots", "fail-count-r1#stop_0": "-3"}
    writes = record_failure(attrs, "r1", "monitor", 10_000, now=5, fatal=False)
    assert writes["fail-count-r1#monitor_10000"] == "1"
    assert writes["fail-count-r1"] == "1"


def test_infinity_spellings_are_understood() -> None:
    for text in ("INFINITY", "+INFINITY", "infinity"):
        writes = record_failure({"fail-count-r1#stop_0": text}, "r1", "monitor", 1000,
                                now=1, fatal=False)
        assert writes["fail-count-r1"] == "INFINITY"


ATTRS = {
    "fail-count-r1#monitor_10000": "2",
    "last-failure-r1#monitor_10000": "10",
    "fail-count-r1": "2",
    "last-failure-r1": "10",
    "fail-count-db:0#start_0": "1",
    "fail-count-db#monitor_5000": "1",
    "fail-count-r10": "1",
    "pingd": "100",
    "master-db": "10",
}


def test_cleanup_names_of_one_resource() -> None:
    assert sorted(failure_attributes(ATTRS, "r1")) == [
        "fail-count-r1", "fail-count-r1#monitor_10000",
        "last-failure-r1", "last-failure-r1#monitor_10000",
    ]


def test_cleanup_names_cover_clone_instances() -> None:
    expected = ["fail-count-db#monitor_5000", "fail-count-db:0#start_0"]
    assert sorted(failure_attributes(ATTRS, "db")) == expected
    assert sorted(failure_attributes(ATTRS, "db:1")) == expected


def test_cleanup_names_of_every_resource() -> None:
    names = failure_attributes(ATTRS, None)
    assert sorted(names) == sorted(k for k in ATTRS if k.startswith(("fail-count-",
                                                                     "last-failure-")))
    assert "pingd" not in names and "master-db" not in names
