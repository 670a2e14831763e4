"""Which recurring results are reported: the first, then each change."""

from __future__ import annotations

from harm.cib.status import ExecStatus
from harm.executor.recurring import Observed, observe


def test_first_result_is_reported() -> None:
    state, report = observe(None, 0, ExecStatus.DONE, now=100)
    assert report
    assert state == Observed(0, ExecStatus.DONE, 100)


def test_same_result_is_not_reported_and_keeps_its_time() -> None:
    first = Observed(0, ExecStatus.DONE, 100)
    state, report = observe(first, 0, ExecStatus.DONE, now=200)
    assert not report
    assert state.since == 100


def test_rc_change_is_reported() -> None:
    state, report = observe(Observed(0, ExecStatus.DONE, 100), 7, ExecStatus.DONE, now=200)
    assert report
    assert state == Observed(7, ExecStatus.DONE, 200)


def test_status_change_with_same_rc_is_reported() -> None:
    last = Observed(1, ExecStatus.DONE, 100)
    state, report = observe(last, 1, ExecStatus.TIMEOUT, now=300)
    assert report
    assert state.status == ExecStatus.TIMEOUT
