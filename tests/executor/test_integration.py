"""The executor with harm's own agents, and the hand-over of results to a selectors loop."""

from __future__ import annotations

import selectors
import time
from collections.abc import Callable
from pathlib import Path

from harm.catalog import default_agents_dir
from harm.cib.config import AgentRef, Role
from harm.cib.status import ExecStatus, OcfRc
from harm.executor import (
    AgentLocator,
    CloneInfo,
    Executor,
    NodeContext,
    OpRequest,
    OpResult,
    ResultInbox,
)

from .conftest import STOCK_OCF_ROOT, Recorder

Make = Callable[..., tuple[Executor, Recorder]]
SLOW = AgentRef("ocf", "harm", "Slow")
HANG = AgentRef("ocf", "harm", "Hang")
WAIT = 60.0


def test_harms_own_agents_run_through_the_default_lookup(
    rsctmp: Path, tmp_path: Path
) -> None:
    """ocf:harm:Dummy and ocf:harm:Stateful resolve to harm's agents directory and run
    with harmd's interpreter; Stateful publishes its promotion score where the node's
    settings say."""
    attributes = tmp_path / "attributes"
    node = NodeContext("node1", "1", rsctmp, extra_env=(("HARM_ATTRIBUTE_DIR", str(attributes)),))
    locator = AgentLocator(default_agents_dir(), STOCK_OCF_ROOT)
    assert locator.resolve(AgentRef("ocf", "harm", "Dummy")).origin == "harm"
    with Executor(node, locator) as executor:
        dummy = AgentRef("ocf", "harm", "Dummy")
        rcs = [executor.run(OpRequest("hd", dummy, a), WAIT).rc
               for a in ("monitor", "start", "monitor", "stop")]
        assert rcs == [OcfRc.NOT_RUNNING, OcfRc.OK, OcfRc.OK, OcfRc.OK]

        meta = executor.run(OpRequest("hd", dummy, "meta-data"), WAIT)
        assert meta.rc == OcfRc.OK and "<resource-agent" in meta.stdout

        stateful = AgentRef("ocf", "harm", "Stateful")
        clone = CloneInfo(instance=0, clone_max=2, promotable=True)

        def run(action: str, role: Role | None = None) -> int:
            request = OpRequest("hs:0", stateful, action, clone=clone, role=role)
            return executor.run(request, WAIT).rc

        assert run("start") == OcfRc.OK
        assert list(attributes.rglob("master-hs"))
        assert run("promote") == OcfRc.OK
        assert run("monitor", Role.PROMOTED) == OcfRc.RUNNING_PROMOTED
        assert run("demote") == OcfRc.OK
        assert run("stop") == OcfRc.OK


def test_results_reach_a_selectors_loop(node: NodeContext, locator: AgentLocator) -> None:
    inbox = ResultInbox()
    selector = selectors.DefaultSelector()
    selector.register(inbox.fileno(), selectors.EVENT_READ)
    try:
        with Executor(node, locator, inbox) as executor:
            assert selector.select(0) == []
            for n in range(3):
                executor.submit(OpRequest(f"i{n}", SLOW, "start"))
            got: list[OpResult] = []
            end = time.monotonic() + WAIT
            while len(got) < 3 and time.monotonic() < end:
                if selector.select(1.0):
                    got += inbox.drain()
            assert sorted(r.request.rsc for r in got) == ["i0", "i1", "i2"]
            assert selector.select(0) == []  # drained: the pipe is quiet again
    finally:
        selector.close()
        inbox.close()


def test_a_failing_listener_does_not_stop_the_executor(
    node: NodeContext, locator: AgentLocator
) -> None:
    calls: list[str] = []

    def listener(result: OpResult) -> None:
        calls.append(result.request.rsc)
        raise RuntimeError("listener bug")

    with Executor(node, locator, listener, max_parallel=1) as executor:
        first = executor.run(OpRequest("l1", SLOW, "start"), WAIT)
        second = executor.run(OpRequest("l2", SLOW, "start"), WAIT)
    assert (first.rc, second.rc) == (0, 0)
    assert calls == ["l1", "l2"]


def test_recurring_monitor_timeout_is_reported_as_a_change(
    make_executor: Make, rsctmp: Path
) -> None:
    executor, recorder = make_executor(kill_grace=0.5)
    executor.run(OpRequest("t1", SLOW, "start"), WAIT)
    executor.run(OpRequest("t1", SLOW, "monitor", interval_ms=100, timeout_ms=1000), WAIT)
    # the same key with parameters that make the monitor hang: a reschedule
    slow = OpRequest("t1", SLOW, "monitor", interval_ms=100, timeout_ms=500,
                     params=(("delay", "30"),))
    timed_out = executor.run(slow, WAIT)
    assert timed_out.status == ExecStatus.TIMEOUT
    assert timed_out.exit_reason == "monitor did not exit within 500ms"
    reported = recorder.wait_for(3)
    assert [r.status for r in reported] == [ExecStatus.DONE, ExecStatus.DONE, ExecStatus.TIMEOUT]
    executor.cancel_resource("t1")


def test_a_hung_agent_does_not_hold_other_resources(make_executor: Make) -> None:
    executor, recorder = make_executor(max_parallel=2, kill_grace=0.2)
    hung = executor.submit(OpRequest("h1", HANG, "start", timeout_ms=5000))
    quick = executor.run(OpRequest("h2", SLOW, "start"), WAIT)
    assert quick.rc == OcfRc.OK
    assert hung.result(WAIT).status == ExecStatus.TIMEOUT
    # the other resource was served while the hung agent still held its worker
    assert [r.request.rsc for r in recorder.wait_for(2)] == ["h2", "h1"]
