"""The cluster status: node states, transient attributes and operation history.

The shape follows Pacemaker's ``<status>`` section so that a CIB saved by Pacemaker
(``lrm_rsc_op`` history included) can be read, scheduled and written back:

    Status
     └── NodeState…            (membership as the coordinator saw it)
          ├── transient_attributes: NvSet…   (lifetime "reboot": gone when the node leaves)
          └── resources: ResourceHistory…    (per resource on that node)
               └── ops: OpRecord…            (last result of each operation kind)
    fencing: FenceEvent…       (harm's fencing history, newest last; replicated with the CIB)
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, replace

from harm.cib.config import NvSet, Pairs
from harm.ocf.rc import OcfRc as OcfRc  # noqa: PLC0414 (re-export)


def rc_text(rc: int) -> str:
    """Pacemaker's words for an exit code (``not running`` for 7 …)."""
    try:
        return OcfRc(rc).text
    except ValueError:
        return "unknown"


class ExecStatus(enum.IntEnum):
    """How the execution of an operation ended (Pacemaker's ``op-status``)."""

    PENDING = -1
    DONE = 0
    CANCELLED = 1
    TIMEOUT = 2
    NOT_SUPPORTED = 3
    ERROR = 4
    ERROR_HARD = 5
    ERROR_FATAL = 6
    NOT_INSTALLED = 7
    NOT_CONNECTED = 8
    INVALID = 9
    NO_FENCE_DEVICE = 10
    NO_SECRETS = 11


@dataclass(frozen=True)
class OpRecord:
    """One recorded operation result (Pacemaker's ``lrm_rsc_op``)."""

    id: str  # e.g. rsc_last_0, rsc_last_failure_0, rsc_monitor_7000
    operation: str
    interval_ms: int
    rc: int
    status: int = ExecStatus.DONE
    call_id: int = 0
    last_rc_change: int | None = None
    last_run: int | None = None
    exec_time: int | None = None
    queue_time: int | None = None
    on_node: str | None = None
    exit_reason: str | None = None
    transition_key: str | None = None
    transition_magic: str | None = None
    op_digest: str | None = None
    extra: Pairs = ()  # other XML attributes, kept for a faithful round trip

    @property
    def is_failure_record(self) -> bool:
        return "_last_failure_" in self.id


@dataclass(frozen=True)
class ResourceHistory:
    """Operation history of one resource (or clone instance) on one node."""

    id: str
    cls: str
    provider: str | None
    type: str
    ops: tuple[OpRecord, ...] = ()
    extra: Pairs = ()


@dataclass(frozen=True)
class NodeState:
    """Membership and history of one node, as recorded in the status section."""

    id: str
    uname: str
    in_ccm: bool | None = False  # None: never seen by the membership layer (absent in XML)
    crmd: str = "offline"  # online | offline ("" when absent in XML)
    join: str = "down"  # member | down | pending | banned ("" when absent)
    expected: str = "down"  # member | down ("" when absent)
    transient_attributes: tuple[NvSet, ...] = ()
    resources: tuple[ResourceHistory, ...] = ()
    extra: Pairs = ()  # shutdown, crm-debug-origin, … kept as read

    @property
    def online(self) -> bool:
        """In the membership and its controller joined (what crm_mon calls Online)."""
        return self.in_ccm is True and self.crmd == "online" and self.join == "member"

    def attribute(self, name: str) -> str | None:
        for nvset in self.transient_attributes:
            value = nvset.get(name)
            if value is not None:
                return value
        return None

    def history(self, rsc_id: str) -> ResourceHistory | None:
        for history in self.resources:
            if history.id == rsc_id:
                return history
        return None


class FenceState(enum.Enum):
    """How a fencing operation stands (crm_mon's words)."""

    PENDING = "pending"
    SUCCESS = "success"
    FAILED = "failed"


@dataclass(frozen=True)
class FenceEvent:
    """One fencing operation: who asked (``origin``, ``client``), whom (``target``), what
    (``action``), who ran the device (``delegate``) with which ``device``, how it ended and
    when (``completed``, seconds since the epoch; the start while pending)."""

    id: str
    target: str
    action: str
    state: FenceState
    origin: str
    client: str
    completed: int
    delegate: str = ""
    device: str = ""
    exit_reason: str = ""


FENCE_HISTORY_KEPT = 100


@dataclass(frozen=True)
class TicketState:
    """A ticket's state (``<ticket_state>`` in ``<tickets>``): granted to this site or
    not, on standby (granted but not to be used), when it was last granted."""

    id: str
    granted: bool = False
    standby: bool = False
    last_granted: int | None = None
    extra: Pairs = ()  # other attributes, kept as read


@dataclass(frozen=True)
class Status:
    """The whole status section."""

    nodes: tuple[NodeState, ...] = ()
    tickets: tuple[TicketState, ...] = ()
    fencing: tuple[FenceEvent, ...] = ()
    extra_sections: Pairs = ()  # raw XML harm keeps but ignores (tickets, …) as (path, xml)

    def node(self, uname: str) -> NodeState | None:
        for state in self.nodes:
            if state.uname == uname:
                return state
        return None

    def ticket(self, ticket_id: str) -> TicketState | None:
        for state in self.tickets:
            if state.id == ticket_id:
                return state
        return None

    def with_ticket(self, state: TicketState) -> Status:
        """A copy with ``state`` replacing the ticket of the same id (or added)."""
        tickets = list(self.tickets)
        for index, existing in enumerate(tickets):
            if existing.id == state.id:
                tickets[index] = state
                break
        else:
            tickets.append(state)
        return replace(self, tickets=tuple(tickets))

    def with_node(self, state: NodeState) -> Status:
        """A copy with ``state`` replacing the node of the same uname (or added)."""
        nodes = [s for s in self.nodes if s.uname != state.uname]
        for index, existing in enumerate(self.nodes):
            if existing.uname == state.uname:
                nodes.insert(index, state)
                break
        else:
            nodes.append(state)
        return replace(self, nodes=tuple(nodes))
