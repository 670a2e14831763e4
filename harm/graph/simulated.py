"""A graph backend that pretends: every action succeeds at once (or fails as asked), and its
result is written into the CIB status the way Pacemaker's controller would record it.

This is ``crm_simulate -S``: the lines it prints are "Executing Cluster Transition"'s, and
the status it leaves behind is what "Revised Cluster Status" shows after unpacking again.
Names follow Pacemaker's graph: an anonymous clone instance is called by its
configuration id when some instance's history already uses that name, else ``rsc:N``.
"""

from __future__ import annotations

from dataclasses import dataclass

from harm.cib.cib import Cib
from harm.engine.state import ClusterState, ResourceState, Variant
from harm.engine.transition import Action
from harm.graph.history import StatusEditor
from harm.graph.runner import ActionOutcome


@dataclass(frozen=True)
class OpFailure:
    """``-F rsc_task_interval@node=rc``: make that action fail with ``rc``."""

    key: str  # rsc_task_interval
    node: str
    rc: int

    @classmethod
    def parse(cls, spec: str) -> OpFailure:
        """Parse ``${rsc}_${task}_${interval_ms}@${node}=${rc}``; ValueError if malformed."""
        head, sep, rc_text = spec.rpartition("=")
        key, at, node = head.partition("@")
        if not sep or not at or not key or not node:
            raise ValueError(f"expected RSC_TASK_INTERVAL@NODE=RC, got {spec!r}")
        try:
            rc = int(rc_text)
        except ValueError:
            raise ValueError(f"the result code must be an integer in {spec!r}") from None
        return cls(key=key, node=node, rc=rc)


class SimulatedBackend:
    """Completes actions immediately, records them, and collects the printed lines."""

    def __init__(self, cib: Cib, state: ClusterState, now: int,
                 failures: tuple[OpFailure, ...] = ()) -> None:
        """``now`` is when results are recorded (crm_simulate uses the real clock)."""
        self.state = state
        self.failures = failures
        self.editor = StatusEditor(cib, now)
        self.lines: list[str] = []
        self.messages: list[str] = []  # "Pretending action N failed …"

    def result(self) -> Cib:
        return self.editor.result()

    # -- the backend interface

    def pseudo(self, action: Action) -> ActionOutcome:
        suffix = ""
        if action.node and action.task == "stonith":
            suffix = f" on {action.node}"
        self.lines.append(f"Pseudo action:   {action.key}{suffix}")
        return ActionOutcome()

    def cluster(self, action: Action) -> ActionOutcome:
        if action.rsc:
            self.lines.append(f"Cluster action:  {action.task} for {action.rsc} "
                              f"on {action.node}")
        else:
            self.lines.append(f"Cluster action:  {action.task} on {action.node}")
        return ActionOutcome()

    def fence(self, action: Action) -> ActionOutcome:
        how = action.meta_value("stonith_action") or "reboot"
        target = action.node or ""
        self.lines.append(f"Fencing {target} ({how})")
        if how != "on":
            self.editor.set_membership(target, up=False)
            self.editor.clear_node(target)
        return ActionOutcome()

    def resource(self, action: Action) -> ActionOutcome:
        if action.task == "probe_again":  # a re-probe request: no line, no history
            return ActionOutcome()
        rsc = self.state.resource(action.rsc or "")
        node_name = action.node or ""
        task = _op_text(action)
        if rsc is None or rsc.variant is not Variant.PRIMITIVE or rsc.agent is None:
            self.lines.append(f"Resource action: {action.rsc or '':<15} {task} on {node_name}")
            return ActionOutcome()
        config_name, long_name = graph_names(rsc)
        name = config_name
        if self._find(config_name) is None and self._find(long_name) is not None:
            name = long_name
        self.lines.append(f"Resource action: {name:<15} {task} on {node_name}")
        if action.task in ("delete", "meta-data"):
            return ActionOutcome()
        target = _target_rc(action)
        node = self.editor.node(node_name)
        history = self.editor.history(node, name, config_name, rsc.agent)
        rc, failed = target, False
        failure = self._failure_for(action, name, config_name)
        if failure is not None:
            rc, failed = failure.rc, True
            self.messages.append(f"Pretending action {action.id} failed with rc={rc}")
            self.lines.append(f"\tPretending action {action.id} failed with rc={rc}")
            counted = name if failure.key.lower().startswith(name.lower() + "_") \
                else config_name
            self.editor.inject_failcount(node, counted, action.task, action.interval_ms, rc)
            self.lines += self.editor.lines
            self.editor.lines.clear()
        self.editor.record(history, task=action.task, interval_ms=action.interval_ms, rc=rc,
                           target=target, node=node_name)
        return ActionOutcome(failed=failed)

    # -- helpers

    def _failure_for(self, action: Action, name: str, config_name: str) -> OpFailure | None:
        for failure in self.failures:
            if failure.node.lower() != (action.node or "").lower():
                continue
            for candidate in (name, config_name):
                if failure.key.lower() == \
                        f"{candidate}_{action.task}_{action.interval_ms}".lower():
                    return failure
        return None

    def _find(self, name: str) -> ResourceState | None:
        """Pacemaker's ``pe_find_resource``: by id, or by the name its history uses."""
        for rsc in self.state.resources:
            if name in (rsc.id, rsc.history_name):
                return rsc
        return None


def graph_names(rsc: ResourceState) -> tuple[str, str]:
    """(id, long id) as Pacemaker writes a resource into a graph action."""
    if rsc.orphan and rsc.history_name is not None:
        return rsc.history_name, rsc.id
    if not rsc.unique:
        if rsc.history_name is not None and rsc.history_name != rsc.config_id:
            return rsc.config_id, rsc.history_name
        return rsc.config_id, rsc.id
    return rsc.id, rsc.id


def _op_text(action: Action) -> str:
    if action.interval_ms:
        return f"{action.task}={action.interval_ms}"
    return action.task


def _target_rc(action: Action) -> int:
    given = action.meta_value("op_target_rc")
    if given is not None and given.lstrip("-").isdigit():
        return int(given)
    if action.task == "monitor" and action.interval_ms == 0:
        return 7
    if action.task == "monitor" and action.meta_value("role") in ("Promoted", "Master"):
        return 8
    return 0
