"""Edits of a CIB status as Pacemaker's controller (and crm_simulate) record them.

A recurring operation keeps its own entry (``rsc_monitor_10000``), other operations
replace ``rsc_last_0``, a failure goes to ``rsc_last_failure_0`` (and ``rsc_last_0`` for
non-recurring ones) and bumps the ``fail-count-rsc#op_interval`` node attribute. A node
taken down loses its history and transient attributes.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from harm.cib.cib import Cib
from harm.cib.config import AgentRef, NvSet, Pairs
from harm.cib.status import NodeState, OpRecord, ResourceHistory

FAKE_TE_ID = "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx"
ORIGIN = "crm_simulate"


@dataclass
class History:
    """One resource's history on one node, being edited."""

    id: str
    cls: str
    provider: str | None
    type: str
    ops: list[OpRecord] = field(default_factory=list)
    extra: Pairs = ()


@dataclass
class NodeEntry:
    """One node_state being edited."""

    state: NodeState
    resources: list[History]


class StatusEditor:
    """A mutable copy of a CIB's status; :meth:`result` gives the new CIB."""

    def __init__(self, cib: Cib, now: int) -> None:
        self.cib = cib
        self.now = now  # the time results are recorded at (the real clock, as crm_simulate)
        self.lines: list[str] = []  # "Injecting attribute …" messages, as crm_simulate's
        self._nodes: dict[str, NodeEntry] = {}
        self._order: list[str] = []
        for node_state in cib.status.nodes:
            self._nodes[node_state.uname] = NodeEntry(
                node_state,
                [History(h.id, h.cls, h.provider, h.type, list(h.ops), h.extra)
                 for h in node_state.resources])
            self._order.append(node_state.uname)

    def result(self) -> Cib:
        """The CIB with every edit (num_updates bumped when the status changed)."""
        nodes = []
        for uname in self._order:
            node = self._nodes[uname]
            resources = tuple(
                ResourceHistory(h.id, h.cls, h.provider, h.type, tuple(h.ops), h.extra)
                for h in node.resources)
            nodes.append(replace(node.state, resources=resources))
        return self.cib.with_status(replace(self.cib.status, nodes=tuple(nodes)))

    def node(self, uname: str) -> NodeEntry:
        """The node's entry, created (id from the configuration, else the name) if absent."""
        node = self._nodes.get(uname)
        if node is None:
            configured = self.cib.configuration.node_by_uname(uname)
            node = NodeEntry(NodeState(id=configured.id if configured else uname,
                                       uname=uname), [])
            self._nodes[uname] = node
            self._order.append(uname)
        return node

    def set_membership(self, uname: str, up: bool) -> NodeEntry:
        """Pacemaker's ``pcmk__inject_node_state_change``."""
        node = self.node(uname)
        if up:
            node.state = replace(node.state, in_ccm=True, crmd="online", join="member",
                                 expected="member")
        else:
            node.state = replace(node.state, in_ccm=False, crmd="offline", join="down",
                                 expected="down")
        return node

    def clear_node(self, uname: str) -> None:
        """Forget the node's resource history and transient attributes."""
        node = self.node(uname)
        node.state = replace(node.state, transient_attributes=())
        node.resources = []

    def history(self, node: NodeEntry, name: str, config_name: str,
                agent: AgentRef) -> History:
        """The history under ``name`` (or ``config_name``), created as ``config_name``."""
        for wanted in (name, config_name):
            for history in node.resources:
                if history.id == wanted:
                    return history
        history = History(config_name, agent.cls,
                          agent.provider if agent.cls == "ocf" else None, agent.type)
        node.resources.append(history)
        return history

    def record(self, history: History, *, task: str, interval_ms: int, rc: int,
               target: int, node: str) -> None:
        """Record one result with the next call id (``pcmk__create_history_xml``)."""
        call_id = max((op.call_id for op in history.ops), default=0) + 1
        key = f"{history.id}_{task}_{interval_ms}"
        failed = rc != target
        if task == "notify":
            op_ids = [key]
            rc = 0
        elif task in ("migrate_to", "migrate_from"):
            op_ids = [key]
        elif failed:
            op_ids = [f"{history.id}_last_failure_0"]
            if interval_ms == 0:
                op_ids.append(f"{history.id}_last_0")
        elif interval_ms > 0:
            op_ids = [key]
        else:
            op_ids = [f"{history.id}_last_0"]
        transition_key = f"{call_id}:-1:{target}:{FAKE_TE_ID}"
        for op_id in op_ids:
            record = OpRecord(
                id=op_id, operation=task, interval_ms=interval_ms, rc=rc,
                status=0, call_id=call_id, last_rc_change=self.now, last_run=self.now,
                exec_time=0, queue_time=0, on_node=node, exit_reason="",
                transition_key=transition_key,
                transition_magic=f"0:{rc};{transition_key}",
                extra=(("operation_key", key), ("crm-debug-origin", ORIGIN)),
            )
            history.ops = [op for op in history.ops if op.id != op_id] + [record]

    def set_attribute(self, node: NodeEntry, name: str, value: str) -> None:
        """Set a transient node attribute (in the first set, created when missing)."""
        sets = list(node.state.transient_attributes)
        if not sets:
            sets = [NvSet(id=f"status-{node.state.id}")]
        pairs = dict(sets[0].pairs)
        pairs[name] = value
        sets[0] = replace(sets[0], pairs=tuple(pairs.items()))
        node.state = replace(node.state, transient_attributes=tuple(sets))

    def attribute(self, node: NodeEntry, name: str) -> str | None:
        return node.state.attribute(name)

    def inject_failcount(self, node: NodeEntry, rsc: str, task: str, interval_ms: int,
                         rc: int) -> None:
        """Count a failure as the controller would (``pcmk__inject_failcount``)."""
        if rc == 0 or (rc == 7 and interval_ms == 0):
            return
        count_name = f"fail-count-{rsc}#{task}_{interval_ms}"
        last_name = f"last-failure-{rsc}#{task}_{interval_ms}"
        where = f"into /node_state '{node.state.id}'"
        self.lines.append(f"Injecting attribute {count_name}=value++ {where}")
        current = self.attribute(node, count_name)
        try:
            value = int(current) + 1 if current is not None else 1
        except ValueError:
            value = 1
        self.set_attribute(node, count_name, str(value))
        self.lines.append(f"Injecting attribute {last_name}={self.now} {where}")
        self.set_attribute(node, last_name, str(self.now))
