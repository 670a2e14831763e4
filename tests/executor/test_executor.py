"""The executor with real agents: Debian's Dummy and Stateful, and the test agents."""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from harm.cib.config import AgentRef, Role
from harm.cib.status import ExecStatus, OcfRc
from harm.errors import AgentError
from harm.executor import Executor, OpRequest

from .conftest import Recorder, process_alive

Make = Callable[..., tuple[Executor, Recorder]]
DUMMY = AgentRef("ocf", "heartbeat", "Dummy")
STATEFUL = AgentRef("ocf", "pacemaker", "Stateful")
ECHO = AgentRef("ocf", "harm", "Echo")
SLOW = AgentRef("ocf", "harm", "Slow")
FORKER = AgentRef("ocf", "harm", "Forker")
WAIT = 60.0


def eventually(check: Callable[[], bool], timeout: float = WAIT) -> None:
    end = time.monotonic() + timeout
    while not check():
        if time.monotonic() > end:
            raise AssertionError("condition not reached in time")
        time.sleep(0.05)


def spans(log: Path) -> list[tuple[str, str, int, int]]:
    """(instance, action, begin, end) of every finished call in a Slow agent's log."""
    open_calls: dict[tuple[str, str], int] = {}
    done = []
    for line in log.read_text().splitlines() if log.exists() else []:
        edge, instance, action, stamp = line.split()
        if edge == "begin":
            open_calls[(instance, action)] = int(stamp)
        else:
            done.append((instance, action, open_calls.pop((instance, action)), int(stamp)))
    return done


def overlapping(calls: list[tuple[str, str, int, int]]) -> bool:
    ordered = sorted(calls, key=lambda call: call[2])
    return any(later[2] < earlier[3] for earlier, later in itertools.pairwise(ordered))


def test_stock_dummy_lifecycle(make_executor: Make, rsctmp: Path) -> None:
    executor, recorder = make_executor()
    params = (("state", str(rsctmp / "d1.state")),)

    def run(action: str) -> int:
        return executor.run(OpRequest("d1", DUMMY, action, params=params), WAIT).rc

    assert [run(a) for a in ("monitor", "start", "monitor", "stop", "monitor")] == [
        OcfRc.NOT_RUNNING, OcfRc.OK, OcfRc.OK, OcfRc.OK, OcfRc.NOT_RUNNING,
    ]
    results = recorder.wait_for(5)
    assert [r.call_id for r in results] == [1, 2, 3, 4, 5]
    stop = results[3]
    record = stop.op_record()
    assert record.id == "d1_last_0"
    assert (record.operation, record.interval_ms, record.rc) == ("stop", 0, 0)
    assert record.status == ExecStatus.DONE
    assert record.call_id == 4
    assert record.on_node == "node1"
    assert record.op_digest == stop.digest and len(stop.digest) == 32
    assert record.exec_time is not None and record.last_run is not None
    assert record.last_rc_change == record.last_run
    assert stop.failure_record() is None


def test_stock_stateful_promote_and_demote(make_executor: Make, rsctmp: Path) -> None:
    executor, _ = make_executor()
    params = (("state", str(rsctmp / "s.state")),)

    def run(action: str, role: Role | None = None) -> int:
        return executor.run(OpRequest("s:0", STATEFUL, action, params=params, role=role), WAIT).rc

    assert run("start") == OcfRc.OK
    assert run("monitor") == OcfRc.OK
    assert run("promote") == OcfRc.OK
    assert run("monitor", Role.PROMOTED) == OcfRc.RUNNING_PROMOTED
    assert run("demote") == OcfRc.OK
    assert run("monitor", Role.UNPROMOTED) == OcfRc.OK
    assert run("stop") == OcfRc.OK
    assert run("monitor") == OcfRc.NOT_RUNNING


def test_exit_reason_and_failure_record(make_executor: Make) -> None:
    executor, _ = make_executor()
    params = (("rc", "6"), ("reason", "parameter ip is missing"))
    result = executor.run(OpRequest("e1", ECHO, "start", params=params), WAIT)
    assert (result.rc, result.status) == (OcfRc.ERR_CONFIGURED, ExecStatus.DONE)
    assert result.exit_reason == "parameter ip is missing"
    assert result.stdout == "echo agent ran start\n"
    assert "some diagnostics" in result.stderr
    assert result.failed
    failure = result.failure_record()
    assert failure is not None and failure.id == "e1_last_failure_0"
    assert failure.exit_reason == "parameter ip is missing"


def test_probe_expecting_not_running_is_no_failure(make_executor: Make) -> None:
    executor, _ = make_executor()
    request = OpRequest("e2", ECHO, "monitor", params=(("rc", "7"),), target_rc=7,
                        transition_key="3:1:7:uuid")
    result = executor.run(request, WAIT)
    assert result.succeeded and not result.failed
    assert result.op_record().transition_magic == "0:7;3:1:7:uuid"


def test_agent_sees_the_ocf_environment(make_executor: Make, rsctmp: Path) -> None:
    executor, _ = make_executor()
    request = OpRequest("e3:1", ECHO, "monitor", interval_ms=0, timeout_ms=12345,
                        params=(("ip", "10.0.0.1"),))
    executor.run(request, WAIT)
    lines = (rsctmp / "env.e3:1.monitor").read_text().splitlines()
    env = dict(line.split("=", 1) for line in lines if "=" in line)
    assert env["OCF_RESKEY_ip"] == "10.0.0.1"
    assert env["OCF_RESKEY_CRM_meta_timeout"] == "12345"
    assert env["OCF_RESOURCE_INSTANCE"] == "e3:1"
    assert env["OCF_RESOURCE_PROVIDER"] == "harm"
    assert env["HA_RSCTMP"] == str(rsctmp)
    assert env["OCF_RESKEY_CRM_meta_on_node"] == "node1"


def test_timeout_result_and_no_survivors(
    make_executor: Make, pidfiles: Callable[[str], Path]
) -> None:
    executor, recorder = make_executor(kill_grace=0.5)
    pidfile = pidfiles("timeout")
    request = OpRequest("f1", FORKER, "start", timeout_ms=2000,
                        params=(("pidfile", str(pidfile)),))
    result = executor.run(request, WAIT)
    assert result.status == ExecStatus.TIMEOUT
    assert result.rc == OcfRc.ERR_GENERIC
    assert result.exit_reason == "start did not exit within 2000ms"
    assert result.failed
    assert not process_alive(int(pidfile.read_text()))
    assert recorder.wait_for(1)[0].status == ExecStatus.TIMEOUT


@pytest.mark.parametrize(
    ("agent", "status", "rc"),
    [
        (AgentRef("ocf", "harm", "NoSuchAgent"), ExecStatus.NOT_INSTALLED, OcfRc.ERR_INSTALLED),
        (AgentRef("lsb", None, "harm-no-such-script"), ExecStatus.NOT_INSTALLED,
         OcfRc.ERR_INSTALLED),
        (AgentRef("systemd", None, "nginx"), ExecStatus.NOT_SUPPORTED, OcfRc.ERR_UNIMPLEMENTED),
    ],
)
def test_agents_that_cannot_run(
    make_executor: Make, agent: AgentRef, status: ExecStatus, rc: OcfRc
) -> None:
    executor, _ = make_executor()
    result = executor.run(OpRequest("x", agent, "start"), WAIT)
    assert (result.status, result.rc) == (status, rc)
    assert result.exit_reason and str(agent) in result.exit_reason


def test_actions_of_one_resource_never_overlap(make_executor: Make, tmp_path: Path) -> None:
    executor, _ = make_executor(max_parallel=4)
    log = tmp_path / "calls.log"
    params = (("delay", "0.3"), ("log", str(log)))
    handles = [
        executor.submit(OpRequest("r1", SLOW, action, params=params))
        for action in ("start", "monitor", "stop")
    ]
    for handle in handles:
        handle.result(WAIT)
    calls = spans(log)
    assert [call[1] for call in sorted(calls, key=lambda c: c[2])] == ["start", "monitor", "stop"]
    assert not overlapping(calls)
    assert [h.call_id for h in handles] == [1, 2, 3]


def test_resources_run_in_parallel_up_to_the_limit(make_executor: Make, tmp_path: Path) -> None:
    log = tmp_path / "parallel.log"
    params = (("delay", "2"), ("log", str(log)))
    executor, _ = make_executor(max_parallel=3)
    for handle in [executor.submit(OpRequest(f"p{n}", SLOW, "start", params=params))
                   for n in range(3)]:
        handle.result(WAIT)
    calls = spans(log)
    assert len(calls) == 3
    assert max(call[2] for call in calls) < min(call[3] for call in calls)  # all at once

    serial_log = tmp_path / "serial.log"
    serial = (("delay", "0.5"), ("log", str(serial_log)))
    executor, _ = make_executor(max_parallel=1)
    handles = [executor.submit(OpRequest(f"q{n}", SLOW, "start", params=serial))
               for n in range(3)]
    results = [handle.result(WAIT) for handle in handles]
    assert not overlapping(spans(serial_log))
    # the last one waited for the two before it
    assert results[2].queue_ms >= results[0].exec_ms + results[1].exec_ms


def test_recurring_monitor_reports_first_result_and_changes_only(
    make_executor: Make, rsctmp: Path, tmp_path: Path
) -> None:
    executor, recorder = make_executor()
    log = tmp_path / "monitor.log"
    params = (("log", str(log)),)
    executor.run(OpRequest("m1", SLOW, "start", params=params), WAIT)
    monitor = OpRequest("m1", SLOW, "monitor", interval_ms=100, params=params)
    first = executor.run(monitor, WAIT)
    assert (first.rc, first.status) == (OcfRc.OK, ExecStatus.DONE)
    assert first.op_record().id == "m1_monitor_100"

    eventually(lambda: sum(call[1] == "monitor" for call in spans(log)) >= 5)
    assert [r.request.action for r in recorder.snapshot()] == ["start", "monitor"]

    broken = rsctmp / "Slow.m1.broken"
    broken.touch()
    failed = recorder.wait_for(3)[2]
    assert (failed.rc, failed.exit_reason) == (OcfRc.ERR_GENERIC, "service is broken")
    assert failed.call_id == first.call_id  # a recurring op keeps its call id
    assert failed.op_record().last_rc_change == failed.started
    broken.unlink()
    healed = recorder.wait_for(4)[3]
    assert healed.rc == OcfRc.OK

    cancelled = executor.cancel("m1", "monitor", 100)
    assert cancelled is not None and cancelled.status == ExecStatus.CANCELLED
    assert recorder.wait_for(5)[4] == cancelled
    assert executor.recurring() == []
    runs = sum(call[1] == "monitor" for call in spans(log))
    time.sleep(0.5)
    assert sum(call[1] == "monitor" for call in spans(log)) <= runs + 1  # one may be running
    assert executor.cancel("m1", "monitor", 100) is None


def test_stop_cancels_the_resources_recurring_ops(make_executor: Make, tmp_path: Path) -> None:
    executor, recorder = make_executor()
    log = tmp_path / "stop.log"
    params = (("log", str(log)), ("delay", "0.05"))
    executor.run(OpRequest("s1", SLOW, "start", params=params), WAIT)
    executor.run(OpRequest("s1", SLOW, "monitor", interval_ms=50, params=params), WAIT)
    executor.run(OpRequest("s2", SLOW, "monitor", interval_ms=10_000, params=params), WAIT)
    executor.run(OpRequest("s1", SLOW, "stop", params=params), WAIT)
    reported = [(r.request.rsc, r.request.action, r.status) for r in recorder.wait_for(5)]
    assert reported[3:] == [("s1", "monitor", ExecStatus.CANCELLED), ("s1", "stop", 0)]
    assert [r.key for r in executor.recurring()] == ["s2_monitor_10000"]
    assert not overlapping([call for call in spans(log) if call[0] == "s1"])


def test_reschedule_replaces_a_recurring_op(make_executor: Make) -> None:
    executor, recorder = make_executor()
    executor.run(OpRequest("r", SLOW, "start"), WAIT)
    first = executor.run(OpRequest("r", SLOW, "monitor", interval_ms=60_000), WAIT)
    again = executor.run(
        OpRequest("r", SLOW, "monitor", interval_ms=60_000, timeout_ms=5000, role=Role.PROMOTED),
        WAIT,
    )
    assert again.call_id == first.call_id
    assert again.digest != first.digest  # the timeout of a recurring op is in its digest
    (scheduled,) = executor.recurring()
    assert (scheduled.timeout_ms, scheduled.role) == (5000, Role.PROMOTED)
    assert [r.request.timeout_ms for r in recorder.wait_for(3)[1:]] == [20_000, 5000]


def test_close_drops_recurring_ops_and_refuses_new_work(make_executor: Make) -> None:
    executor, _ = make_executor()
    executor.run(OpRequest("c", SLOW, "monitor", interval_ms=50), WAIT)
    executor.close()
    assert executor.recurring() == []
    with pytest.raises(AgentError, match="shutting down"):
        executor.submit(OpRequest("c", SLOW, "start"))


def test_stop_kills_a_hung_monitor_in_flight(make_executor: Make, tmp_path: Path) -> None:
    """The stop does not wait for a monitor stuck in its agent: the monitor is cancelled
    and its process group killed, as Pacemaker's executor does."""
    executor, recorder = make_executor(kill_grace=0.5)
    log = tmp_path / "hung.log"
    executor.run(OpRequest("hm", SLOW, "start", params=(("log", str(log)),)), WAIT)
    hung = OpRequest("hm", SLOW, "monitor", interval_ms=60_000, timeout_ms=120_000,
                     params=(("log", str(log)), ("delay", "100")))
    handle = executor.submit(hung)
    eventually(lambda: log.exists() and "begin hm monitor" in log.read_text())
    stop = executor.run(OpRequest("hm", SLOW, "stop", params=(("log", str(log)),)), WAIT)
    assert stop.rc == OcfRc.OK
    assert handle.result(0).status == ExecStatus.CANCELLED
    assert stop.queue_ms < 100_000  # it did not wait for the monitor's 100 s
    lines = log.read_text().splitlines()
    assert not any(line.startswith("end hm monitor") for line in lines)
    reported = [(r.request.action, r.status) for r in recorder.wait_for(3)]
    assert reported == [("start", 0), ("monitor", ExecStatus.CANCELLED), ("stop", 0)]


def test_rescheduling_before_the_first_run_resolves_the_old_handle(make_executor: Make) -> None:
    executor, recorder = make_executor()
    busy = executor.submit(OpRequest("rb", SLOW, "start", params=(("delay", "1"),)))
    first = executor.submit(OpRequest("rb", SLOW, "monitor", interval_ms=60_000))
    second = executor.submit(OpRequest("rb", SLOW, "monitor", interval_ms=60_000,
                                       timeout_ms=9000))
    assert first.result(0).status == ExecStatus.CANCELLED  # replaced before it ran
    assert busy.result(WAIT).rc == OcfRc.OK
    assert second.result(WAIT).rc == OcfRc.OK
    assert [r.request.action for r in recorder.wait_for(2)] == ["start", "monitor"]


def test_start_delay_holds_a_request_back(make_executor: Make, tmp_path: Path) -> None:
    executor, _ = make_executor()
    log = tmp_path / "delay.log"
    params = (("log", str(log)),)
    delayed_start = executor.submit(
        OpRequest("sd1", SLOW, "start", params=params, start_delay_ms=3000))
    delayed_monitor = executor.submit(
        OpRequest("sd2", SLOW, "monitor", interval_ms=60_000, params=params, start_delay_ms=3000))
    prompt = executor.run(OpRequest("sd3", SLOW, "start", params=params), WAIT)
    assert delayed_start.result(WAIT).rc == OcfRc.OK
    assert delayed_monitor.result(WAIT).rc == OcfRc.NOT_RUNNING
    order = [call[0] for call in sorted(spans(log), key=lambda call: call[2])]
    assert order[0] == "sd3"
    assert sorted(order[1:]) == ["sd1", "sd2"]
    assert prompt.rc == OcfRc.OK
