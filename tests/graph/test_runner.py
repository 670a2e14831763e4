"""The graph runner fires synapses in Pacemaker's order and honours orderings."""

from __future__ import annotations

from dataclasses import dataclass, field

from harm.engine.transition import Action, ActionKind, Ordering, OrderKind, Transition
from harm.graph.runner import ActionOutcome, Graph, GraphStatus, run_graph


@dataclass
class Recorder:
    """A backend that records what it was asked to do; chosen actions fail or stay open."""

    fail: set[int] = field(default_factory=set)
    deferred: set[int] = field(default_factory=set)
    done: list[str] = field(default_factory=list)

    def _run(self, action: Action) -> ActionOutcome:
        self.done.append(f"{action.key}@{action.node}")
        if action.id in self.deferred:
            return ActionOutcome(confirmed=False)
        return ActionOutcome(failed=action.id in self.fail)

    def pseudo(self, action: Action) -> ActionOutcome:
        return self._run(action)

    def resource(self, action: Action) -> ActionOutcome:
        return self._run(action)

    def cluster(self, action: Action) -> ActionOutcome:
        return self._run(action)

    def fence(self, action: Action) -> ActionOutcome:
        return self._run(action)


def _transition() -> Transition:
    actions = (
        Action(0, "stop", "a", "n1"),
        Action(1, "start", "a", "n2"),
        Action(2, "start", "g", kind=ActionKind.PSEUDO),
        Action(3, "start", "b", "n2"),
        Action(4, "monitor", "b", "n2", interval_ms=10000),
        Action(5, "start", "c", "n1", optional=True),  # not executed
    )
    orderings = (
        Ordering(0, 1, OrderKind.IMPLIES_THEN),
        Ordering(2, 3),
        Ordering(1, 3),
        Ordering(3, 4),
        Ordering(5, 4),  # from an action that is not in the graph: ignored
    )
    return Transition(actions=actions, orderings=orderings)


def test_actions_run_after_their_inputs_in_graph_order() -> None:
    transition = _transition()
    backend = Recorder()
    order = sorted(transition.executable_actions(), key=lambda a: -a.id)
    assert run_graph(transition, order, backend) is GraphStatus.COMPLETE
    # pass 1 fires g then a's stop; a's start waits a pass, b's start another
    assert backend.done == ["g_start_0@None", "a_stop_0@n1", "a_start_0@n2",
                            "b_start_0@n2", "b_monitor_10000@n2"]


def test_a_later_synapse_can_fire_in_the_same_pass() -> None:
    transition = _transition()
    backend = Recorder()
    order = sorted(transition.executable_actions(), key=lambda a: a.id)
    graph = Graph.from_transition(transition, order, backend)
    assert graph.step() is GraphStatus.ACTIVE
    assert backend.done == ["a_stop_0@n1", "a_start_0@n2", "g_start_0@None",
                            "b_start_0@n2", "b_monitor_10000@n2"]
    assert graph.step() is GraphStatus.COMPLETE


def test_a_failure_stops_real_actions_but_not_pseudo_ones() -> None:
    transition = _transition()
    backend = Recorder(fail={0})
    order = sorted(transition.executable_actions(), key=lambda a: a.id)
    assert run_graph(transition, order, backend) is GraphStatus.TERMINATED
    assert backend.done == ["a_stop_0@n1", "g_start_0@None"]


def test_results_can_arrive_later() -> None:
    transition = _transition()
    backend = Recorder(deferred={0})
    order = sorted(transition.executable_actions(), key=lambda a: a.id)
    graph = Graph.from_transition(transition, order, backend)
    assert graph.step() is GraphStatus.ACTIVE
    assert backend.done == ["a_stop_0@n1", "g_start_0@None"]
    assert graph.step() is GraphStatus.ACTIVE  # still waiting for the stop
    graph.confirm(0)
    while graph.step() is GraphStatus.ACTIVE:
        pass
    assert backend.done[2:] == ["a_start_0@n2", "b_start_0@n2", "b_monitor_10000@n2"]
