"""A node's own operation history, recorded under Pacemaker's ``lrm_rsc_op`` ids."""

from __future__ import annotations

from harm.cib.config import AgentRef
from harm.cib.status import ExecStatus
from harm.control.lrm import LocalHistory
from harm.executor.request import CloneInfo, NotifyInfo, OpRequest
from harm.executor.result import OpResult

DUMMY = AgentRef("ocf", "heartbeat", "Dummy")


class Calls:
    """Results with increasing call ids, as one executor produces them."""

    def __init__(self) -> None:
        self.call_id = 0

    def result(self, rsc: str, action: str, interval_ms: int = 0, rc: int = 0,
               status: ExecStatus = ExecStatus.DONE, target_rc: int = 0,
               agent: AgentRef = DUMMY, clone: CloneInfo | None = None) -> OpResult:
        self.call_id += 1
        notify = NotifyInfo("pre", "start") if action == "notify" else None
        request = OpRequest(rsc, agent, action, interval_ms=interval_ms, target_rc=target_rc,
                            clone=clone, notify=notify, transition_key=f"{self.call_id}:1:0:n1")
        return OpResult(request=request, node="node1", call_id=self.call_id, rc=rc,
                        status=status, exit_reason=None, stdout="", stderr="", exec_ms=3,
                        queue_ms=0, started=1000 + self.call_id, rc_changed=1000 + self.call_id,
                        digest="abc")


def ops(history: LocalHistory, rsc: str) -> dict[str, tuple[str, int, int]]:
    """Record id → (operation, interval, rc) of one resource."""
    for entry in history.resources():
        if entry.id == rsc:
            return {op.id: (op.operation, op.interval_ms, op.rc) for op in entry.ops}
    return {}


def test_one_shot_operations_replace_last_0() -> None:
    calls, history = Calls(), LocalHistory()
    assert history.record(calls.result("r1", "monitor", rc=7, target_rc=7))  # probe
    assert ops(history, "r1") == {"r1_last_0": ("monitor", 0, 7)}
    assert history.record(calls.result("r1", "start"))
    assert ops(history, "r1") == {"r1_last_0": ("start", 0, 0)}
    history.record(calls.result("r1", "stop"))
    assert ops(history, "r1") == {"r1_last_0": ("stop", 0, 0)}


def test_recurring_monitor_has_its_own_record() -> None:
    calls, history = Calls(), LocalHistory()
    history.record(calls.result("r1", "start"))
    history.record(calls.result("r1", "monitor", interval_ms=10_000))
    assert ops(history, "r1") == {"r1_last_0": ("start", 0, 0),
                                  "r1_monitor_10000": ("monitor", 10_000, 0)}
    history.record(calls.result("r1", "monitor", interval_ms=10_000))  # a repeat replaces
    [entry] = history.resources()
    assert [op.id for op in entry.ops] == ["r1_last_0", "r1_monitor_10000"]
    assert entry.ops[-1].call_id == 3


def test_cancellation_removes_the_recurring_record() -> None:
    calls, history = Calls(), LocalHistory()
    history.record(calls.result("r1", "start"))
    history.record(calls.result("r1", "monitor", interval_ms=10_000))
    assert history.record(calls.result("r1", "monitor", interval_ms=10_000,
                                       status=ExecStatus.CANCELLED))
    assert ops(history, "r1") == {"r1_last_0": ("start", 0, 0)}
    # cancelling something not recorded changes nothing
    assert not history.record(calls.result("r1", "monitor", interval_ms=5_000,
                                           status=ExecStatus.CANCELLED))


def test_failure_is_kept_in_last_failure_0() -> None:
    calls, history = Calls(), LocalHistory()
    history.record(calls.result("r1", "start"))
    history.record(calls.result("r1", "monitor", interval_ms=10_000, rc=7))
    assert ops(history, "r1") == {
        "r1_last_0": ("start", 0, 0),
        "r1_monitor_10000": ("monitor", 10_000, 7),
        "r1_last_failure_0": ("monitor", 10_000, 7),
    }
    # a later success replaces the monitor's record but keeps the failure
    history.record(calls.result("r1", "stop"))
    history.record(calls.result("r1", "start"))
    assert ops(history, "r1")["r1_last_failure_0"] == ("monitor", 10_000, 7)
    assert ops(history, "r1")["r1_last_0"] == ("start", 0, 0)


def test_probe_with_expected_rc_is_no_failure() -> None:
    calls, history = Calls(), LocalHistory()
    history.record(calls.result("r1", "monitor", rc=7, target_rc=7))
    assert "r1_last_failure_0" not in ops(history, "r1")
    history.record(calls.result("r2", "start", rc=1))
    assert ops(history, "r2")["r2_last_failure_0"] == ("start", 0, 1)


def test_notify_and_meta_data_are_not_recorded() -> None:
    calls, history = Calls(), LocalHistory()
    assert not history.record(calls.result("r1", "notify"))
    assert not history.record(calls.result("r1", "meta-data"))
    assert not history.record(calls.result("r1", "validate-all"))
    assert history.resources() == ()


def test_records_carry_node_call_id_and_operation_key() -> None:
    calls, history = Calls(), LocalHistory()
    history.record(calls.result("r1", "monitor", interval_ms=10_000))
    [entry] = history.resources()
    [op] = entry.ops
    assert op.on_node == "node1" and op.call_id == 1
    assert op.transition_key == "1:1:0:n1" and op.transition_magic == "0:0;1:1:0:n1"
    assert dict(op.extra)["operation_key"] == "r1_monitor_10000"
    assert (entry.cls, entry.provider, entry.type) == ("ocf", "heartbeat", "Dummy")


def test_non_ocf_agents_have_no_provider() -> None:
    calls, history = Calls(), LocalHistory()
    history.record(calls.result("cron", "start", agent=AgentRef("lsb", None, "cron")))
    [entry] = history.resources()
    assert (entry.cls, entry.provider, entry.type) == ("lsb", None, "cron")


def test_resources_in_first_seen_order_and_ops_by_call_id() -> None:
    calls, history = Calls(), LocalHistory()
    history.record(calls.result("b", "start"))
    history.record(calls.result("a", "start"))
    history.record(calls.result("b", "monitor", interval_ms=1000))
    history.record(calls.result("b", "stop"))
    assert [e.id for e in history.resources()] == ["b", "a"]
    b_ops = history.resources()[0].ops
    assert [op.call_id for op in b_ops] == sorted(op.call_id for op in b_ops)
    assert history.max_call_id() == 4
    assert LocalHistory().max_call_id() == 0


def test_forget_by_primitive_id_takes_every_instance() -> None:
    calls, history = Calls(), LocalHistory()
    clone = CloneInfo(instance=0, clone_max=2)
    history.record(calls.result("db:0", "start", clone=clone))
    history.record(calls.result("db:1", "start", clone=clone))
    history.record(calls.result("dbx", "start"))
    history.record(calls.result("web", "start"))
    assert history.forget("db")
    assert [e.id for e in history.resources()] == ["dbx", "web"]
    assert not history.forget("db")


def test_forget_one_instance_by_its_name() -> None:
    calls, history = Calls(), LocalHistory()
    history.record(calls.result("db:0", "start"))
    history.record(calls.result("db:1", "start"))
    assert history.forget("db:1")
    assert [e.id for e in history.resources()] == ["db:0"]


def test_forget_everything() -> None:
    calls, history = Calls(), LocalHistory()
    assert not history.forget()
    history.record(calls.result("a", "start"))
    history.record(calls.result("b", "start"))
    assert history.forget(None)
    assert history.resources() == ()
