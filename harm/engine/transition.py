"""What the scheduler decides: actions, the orderings between them, and why.

A :class:`Transition` is the whole output of :func:`harm.engine.schedule.schedule`:

    Transition
     ├── actions:    Action…      (resource, pseudo, cluster; ids 0…n-1 in creation order)
     ├── orderings:  Ordering…    (``then`` may run only after ``first`` completed)
     ├── decisions:  Decision…    (one "Transition Summary" line per changing resource)
     ├── fencing:    Fencing…     (nodes to fence, listed first in the summary)
     ├── scores:     Score…       (allocation and promotion scores, as ``crm_simulate -s``)
     ├── notes:      Note…        (one sentence per decision: which scores won and lost)
     └── warnings:   str…         (invalid items that were ignored, each named)

An action's *key* is Pacemaker's operation key ``<rsc>_<task>_<interval>``
(``vip_start_0``, ``db:1_monitor_7000``, ``ms_promote_0``, ``ms_confirmed-post_notify_start_0``).
Everything here is frozen; a transition can be compared, hashed and rendered without side
effects.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import NamedTuple

from harm.cib.config import Pairs, Role
from harm.cib.scores import format_score


class ActionKind(enum.Enum):
    """How a graph executor treats an action."""

    RESOURCE = "resource"  # run an agent operation on a node
    PSEUDO = "pseudo"  # a synchronisation point that only "completes"
    CLUSTER = "cluster"  # a controller action on a node (do_shutdown, clear_failcount …)
    FENCE = "fence"  # fence a node (stonith)


@dataclass(frozen=True)
class Action:
    """One thing to do (or a pseudo-action marking a point in the transition).

    ``rsc`` is the resource or clone-instance id (``db:1``), ``None`` for cluster and fencing
    actions. ``optional`` actions exist only to carry orderings and are not executed;
    unrunnable ones (``runnable=False``) are blocked and never executed either.
    ``meta`` carries operation details such as ``notify_type``/``notify_operation`` for
    notifications, ``stonith_action`` for fencing, or ``on_node_uuid``.
    """

    id: int
    task: str
    rsc: str | None = None
    node: str | None = None
    interval_ms: int = 0
    kind: ActionKind = ActionKind.RESOURCE
    optional: bool = False
    runnable: bool = True
    reason: str | None = None
    meta: Pairs = ()

    @property
    def key(self) -> str:
        """Pacemaker's operation key, e.g. ``db:1_monitor_7000`` (or a fixed name such as
        ``clone-one-or-more:order-id`` for a synchronisation pseudo-action)."""
        fixed = self.meta_value("key")
        if fixed is not None:
            return fixed
        owner = self.rsc if self.rsc is not None else self.node or "cluster"
        return f"{owner}_{self.task}_{self.interval_ms}"

    @property
    def pseudo(self) -> bool:
        return self.kind is ActionKind.PSEUDO

    @property
    def executable(self) -> bool:
        """True when a graph executor has to do (or confirm) this action."""
        return self.runnable and not self.optional

    def meta_value(self, name: str) -> str | None:
        for key, value in self.meta:
            if key == name:
                return value
        return None

    def describe(self) -> str:
        """crm_simulate's line for this action in "Executing Cluster Transition"."""
        if self.kind is ActionKind.PSEUDO:
            return f"Pseudo action:   {self.key}"
        if self.kind is ActionKind.FENCE:
            how = self.meta_value("stonith_action") or "reboot"
            return f"Fencing {self.node} ({how})"
        if self.kind is ActionKind.CLUSTER:
            return f"Cluster action:  {self.task} for {self.rsc} on {self.node}" if self.rsc \
                else f"Cluster action:  {self.task} on {self.node}"
        task = self.task
        if self.interval_ms:
            task = f"{task}={self.interval_ms}"
        return f"Resource action: {self.rsc:<15} {task} on {self.node}"


class OrderKind(enum.Flag):
    """Why ``then`` waits for ``first`` (a subset of Pacemaker's ``pe_ordering`` flags)."""

    NONE = 0
    OPTIONAL = enum.auto()  # order only if both happen
    IMPLIES_THEN = enum.auto()  # first happening forces then to happen
    IMPLIES_FIRST = enum.auto()  # then happening forces first (inert, as in Pacemaker 2.1.5,
    #                              except that a blocked unmanaged stop blocks first)
    PROMOTED_IMPLIES_FIRST = enum.auto()  # a required stop of a promoted rsc needs its demote
    RUNNABLE_LEFT = enum.auto()  # then is runnable only if first is
    SERIALIZE = enum.auto()  # never at the same time, any order
    ONE_OR_MORE = enum.auto()  # then is runnable if any of its firsts is
    RESTART = enum.auto()  # stop before start of one resource: a needed start needs the stop
    ASYMMETRIC = enum.auto()  # one-way mandatory order (symmetrical=false)
    LOAD = enum.auto()  # capacity freed before it is used: only between actions of one node
    IMPLIES_FIRST_MIGRATABLE = enum.auto()  # a needed stop/start needs its migrate_from
    PSEUDO_LEFT = enum.auto()  # then (a migration's start) is real again if first cannot run


@dataclass(frozen=True)
class Ordering:
    """``then`` (an action id) may start only after ``first`` (an action id) completed."""

    first: int
    then: int
    kind: OrderKind = OrderKind.OPTIONAL


def load_ordering_counts(first_node: str | None, then_task: str, then_node: str | None,
                         migrate_target: str | None) -> bool:
    """A load ordering holds only between actions on the same node; a ``migrate_to``
    counts as being on the node the resource migrates to."""
    node = migrate_target if then_task == "migrate_to" else then_node
    return first_node is not None and node is not None and first_node == node


class Verb(enum.Enum):
    """The word opening a "Transition Summary" line."""

    START = "Start"
    STOP = "Stop"
    MOVE = "Move"
    RECOVER = "Recover"
    RESTART = "Restart"
    PROMOTE = "Promote"
    DEMOTE = "Demote"
    REPROMOTE = "Re-promote"
    MIGRATE = "Migrate"
    RELOAD = "Reload"


@dataclass(frozen=True)
class Decision:
    """What happens to one resource: from (role, node) to (next role, node), and why.

    ``origin`` is the node it runs on now (None when stopped), ``destination`` the node it
    will run on (None when it stops). ``blocked`` marks a change the cluster wanted but
    cannot carry out.
    """

    rsc: str
    verb: Verb
    role: Role
    next_role: Role
    origin: str | None
    destination: str | None
    reason: str | None = None
    blocked: bool = False

    def details(self) -> str:
        """The part between parentheses, following crm_simulate's rules."""
        need_role = self.role in (Role.PROMOTED, Role.UNPROMOTED) or self.next_role is Role.PROMOTED
        same_host = self.origin is not None and self.origin == self.destination
        same_role = self.role is self.next_role
        role, next_role = _role_word(self.role), _role_word(self.next_role)
        if self.origin is None:
            if need_role:
                return f"{role} -> {next_role} {self.destination}"
            return f"{self.destination}"
        if self.destination is None:
            if need_role:
                return f"{role} {self.origin}"
            return f"{self.origin}"
        if same_role and same_host:
            return f"{role} {self.origin}" if need_role else f"{self.origin}"
        if same_role:
            if need_role:
                return f"{self.origin} -> {self.destination} {role}"
            return f"{self.origin} -> {self.destination}"
        if same_host:
            return f"{role} -> {next_role} {self.origin}"
        return f"{role} {self.origin} -> {next_role} {self.destination}"

    def suffix(self) -> str:
        if self.reason and self.blocked:
            return f"  due to {self.reason} (blocked)"
        if self.reason:
            return f"  due to {self.reason}"
        if self.blocked:
            return "  blocked"
        return ""


def _role_word(role: Role) -> str:
    return role.value


@dataclass(frozen=True)
class Fencing:
    """A node to fence, with crm_simulate's reason text."""

    node: str
    action: str = "reboot"
    reason: str = "peer is no longer part of the cluster"

    def summary_line(self) -> str:
        return f"Fence ({self.action}) {self.node} '{self.reason}'"


class Score(NamedTuple):
    """One allocation or promotion score as ``crm_simulate -s`` prints it.

    ``kind`` is ``allocation`` (``pcmk__primitive_assign: rsc allocation score on node: N``;
    ``function`` is ``pcmk__group_assign`` or ``pcmk__clone_allocate`` for the scores a
    group or clone saw) or ``promotion``. A named tuple rather than a dataclass: a large
    cluster has a hundred thousand of them, and tuples are cheap to make.
    """

    kind: str
    rsc: str
    node: str | None
    value: int
    function: str = "pcmk__primitive_assign"

    def line(self) -> str:
        text = format_score(self.value)
        if self.kind == "promotion":
            return f"{self.rsc} promotion score on {self.node or 'none'}: {text}"
        return f"{self.function}: {self.rsc} allocation score on {self.node}: {text}"


@dataclass(frozen=True)
class Note:
    """One sentence explaining a decision about a resource."""

    rsc: str
    text: str


@dataclass(frozen=True)
class Transition:
    """The scheduler's whole answer for one cluster state."""

    actions: tuple[Action, ...] = ()
    orderings: tuple[Ordering, ...] = ()
    decisions: tuple[Decision, ...] = ()
    fencing: tuple[Fencing, ...] = ()
    scores: tuple[Score, ...] = ()
    notes: tuple[Note, ...] = ()
    warnings: tuple[str, ...] = ()
    placements: tuple[tuple[str, str | None, Role], ...] = field(default=())
    recheck_by: int | None = None  # schedule again by then (seconds), even if nothing happens
    # (resource or instance id, node or None, next role) for every primitive/instance

    def action(self, action_id: int) -> Action:
        return self.actions[action_id]

    def executable_actions(self) -> Iterator[Action]:
        """Actions a graph executor runs (not optional, runnable)."""
        return (a for a in self.actions if a.executable)

    def inputs(self, action_id: int) -> tuple[int, ...]:
        """Ids of executable actions that must complete before ``action_id``."""
        return tuple(
            o.first for o in self.orderings
            if o.then == action_id and self.actions[o.first].executable
            and not (o.kind & OrderKind.SERIALIZE)
            and not (o.kind & OrderKind.LOAD and not self._same_node(o.first, o.then))
        )

    def _same_node(self, first: int, then: int) -> bool:
        """Whether a load ordering counts: both actions on one node (for a
        ``migrate_to``, the node the resource goes to)."""
        return load_ordering_counts(self.actions[first].node, self.actions[then].task,
                                    self.actions[then].node,
                                    self.actions[then].meta_value("migrate_target"))

    def summary_lines(self) -> list[str]:
        """The "Transition Summary" lines without the leading ``  * ``, fencing first."""
        lines = [f.summary_line() for f in self.fencing]
        rsc_width = 5
        detail_width = 5
        rendered: list[tuple[Decision, str]] = []
        for decision in self.decisions:
            details = decision.details()
            rendered.append((decision, details))
        for decision, details in rendered:
            if len(decision.rsc) > rsc_width:
                rsc_width = len(decision.rsc) + 2
            detail_width = max(detail_width, len(details))
            lines.append(
                f"{decision.verb.value:<8}   {decision.rsc:<{rsc_width}}   "
                f"( {details:>{detail_width}} ){decision.suffix()}"
            )
        return lines

    def notes_for(self, rsc: str) -> tuple[Note, ...]:
        return tuple(n for n in self.notes if n.rsc == rsc)
