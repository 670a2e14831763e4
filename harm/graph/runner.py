"""Fire a transition's actions in order, through a backend that performs them.

A *synapse* is one action with its inputs (the actions it must wait for). A pass walks
the synapses in graph order and fires each one whose inputs are all confirmed; a backend
may confirm at once (simulation) or later (:meth:`Graph.confirm`). Passes repeat until
nothing is in flight and nothing more can fire — as Pacemaker's ``pcmk__execute_graph``.

When an action fails, the graph is aborted: pseudo-actions still complete, but no further
real action starts, and actions that wait for the failed one never fire.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Protocol

from harm.engine.transition import Action, ActionKind, Transition


class GraphStatus(enum.Enum):
    """How a run ended (Pacemaker's ``pcmk__graph_status``)."""

    ACTIVE = "active"  # actions in flight
    COMPLETE = "complete"
    TERMINATED = "terminated"  # some synapses could never fire


@dataclass(frozen=True)
class ActionOutcome:
    """What a backend reports for an action it was asked to perform.

    ``confirmed`` False means the result will arrive later through :meth:`Graph.confirm`.
    """

    confirmed: bool = True
    failed: bool = False


class Backend(Protocol):
    """Performs the actions of a graph (Pacemaker's ``pcmk__graph_functions_t``)."""

    def pseudo(self, action: Action) -> ActionOutcome: ...

    def resource(self, action: Action) -> ActionOutcome: ...

    def cluster(self, action: Action) -> ActionOutcome: ...

    def fence(self, action: Action) -> ActionOutcome: ...


@dataclass
class _Synapse:
    action: Action
    inputs: tuple[int, ...]
    fired: bool = False
    confirmed: bool = False
    failed: bool = False


@dataclass
class Graph:
    """A transition being executed. Build it with :meth:`from_transition`."""

    synapses: list[_Synapse]
    backend: Backend
    aborted: bool = False
    _by_id: dict[int, _Synapse] = field(default_factory=dict)

    @classmethod
    def from_transition(cls, transition: Transition, order: Iterable[Action],
                        backend: Backend) -> Graph:
        synapses = [_Synapse(a, transition.inputs(a.id)) for a in order]
        graph = cls(synapses=synapses, backend=backend)
        graph._by_id = {s.action.id: s for s in synapses}
        return graph

    def confirm(self, action_id: int, failed: bool = False) -> None:
        """Record the result of an action that was in flight."""
        synapse = self._by_id[action_id]
        synapse.confirmed = True
        synapse.failed = failed
        if failed:
            self.aborted = True

    def _ready(self, synapse: _Synapse) -> bool:
        for input_id in synapse.inputs:
            prereq = self._by_id.get(input_id)
            if prereq is None:
                continue  # not in the graph: nothing to wait for
            if not prereq.confirmed or prereq.failed:
                return False
        return not (self.aborted and synapse.action.kind is not ActionKind.PSEUDO)

    def _fire(self, synapse: _Synapse) -> None:
        synapse.fired = True
        action = synapse.action
        if action.kind is ActionKind.PSEUDO:
            outcome = self.backend.pseudo(action)
        elif action.kind is ActionKind.FENCE:
            outcome = self.backend.fence(action)
        elif action.kind is ActionKind.CLUSTER:
            outcome = self.backend.cluster(action)
        else:
            outcome = self.backend.resource(action)
        if outcome.confirmed:
            self.confirm(action.id, outcome.failed)

    def step(self) -> GraphStatus:
        """One pass over the synapses; fires everything that is ready."""
        fired = pending = incomplete = 0
        for synapse in self.synapses:
            if synapse.fired:
                if not synapse.confirmed:
                    pending += 1
                continue
            if self._ready(synapse):
                self._fire(synapse)
                fired += 1
                if not synapse.confirmed:
                    pending += 1
            else:
                incomplete += 1
        if pending == 0 and fired == 0:
            return GraphStatus.TERMINATED if incomplete else GraphStatus.COMPLETE
        return GraphStatus.ACTIVE


def run_graph(transition: Transition, order: Iterable[Action], backend: Backend,
              max_passes: int = 100_000) -> GraphStatus:
    """Run until complete or stuck; the backend must confirm every action at once."""
    graph = Graph.from_transition(transition, order, backend)
    status = GraphStatus.ACTIVE
    for _ in range(max_passes):
        status = graph.step()
        if status is not GraphStatus.ACTIVE:
            break
    return status
