"""The graph backend of a real cluster: a transition's actions become requests to the
nodes' executors (:mod:`harm.graph.runner` fires them in order).

    pseudo-action        completes at once
    resource action      an executor request (:func:`harm.control.requests.request_for_action`)
                         sent to its node; confirmed when the node reports the result
    cancel               stops a recurring operation on its node; completes at once
    clear_failcount      removes the expired fail-count attributes; completes at once
    fencing              the DC's fencer (:mod:`harm.fencing.coordination`): confirmed when
                         the node is known to be off, failed when every level failed
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from harm.cib.cib import Cib
from harm.control.failures import failure_attributes
from harm.control.requests import expected_rc, request_for_action, transition_key
from harm.engine.state import ClusterState
from harm.engine.transition import Action, Transition
from harm.executor.request import OpRequest
from harm.fencing.plan import stonith_action
from harm.graph.runner import ActionOutcome
from harm.graph.simulated import graph_names

if TYPE_CHECKING:
    from harm.control.coordinator import Coordinator

log = logging.getLogger("harm.control.dc")


class ClusterBackend:
    """Performs the actions of one transition for a :class:`Coordinator`."""

    def __init__(self, dc: Coordinator, cib: Cib, state: ClusterState,
                 transition: Transition) -> None:
        self.dc = dc
        self.cib = cib
        self.state = state
        self.transition = transition

    def pseudo(self, action: Action) -> ActionOutcome:
        return ActionOutcome()

    def cluster(self, action: Action) -> ActionOutcome:
        if action.task == "clear_failcount" and action.node and action.rsc:
            attrs = self.dc.attrs.get(action.node, {})
            for key in failure_attributes(attrs, action.rsc):
                attrs.pop(key, None)
        return ActionOutcome()

    def fence(self, action: Action) -> ActionOutcome:
        target = action.node or ""
        if not self.dc.fencing.active:
            log.error("cannot fence %s: no fence device is configured (or fencing is off)",
                      target)
            return ActionOutcome(failed=True)
        how = stonith_action(self.cib.configuration)
        if (action.meta_value("stonith_action") or "reboot") != "reboot":
            how = action.meta_value("stonith_action") or how
        started = self.dc.fencing.start(target, how, graph_action=action.id, state=self.state)
        if started is None:
            return ActionOutcome(failed=True)
        return ActionOutcome(confirmed=False)

    def resource(self, action: Action) -> ActionOutcome:
        if action.task in ("probe_again", "delete", "lrm_delete"):
            return ActionOutcome()
        node = action.node or ""
        if node not in self.dc.joined:
            return ActionOutcome(failed=True)
        if action.task == "cancel":
            name, task = self._name(action), action.meta_value("task") or "monitor"
            if node == self.dc.ctl.node:
                self.dc.io.cancel(name, task, action.interval_ms)
            else:
                self.dc.io.send("cancel", {"rsc": name, "action": task,
                                           "interval_ms": action.interval_ms}, node)
            return ActionOutcome()
        try:
            request = self.request(action)
        except Exception as error:  # one bad action must not take the daemon down
            log.error("cannot run %s on %s: %s", action.key, node, error)
            return ActionOutcome(failed=True)
        self.dc.dispatch(action, request)
        return ActionOutcome(confirmed=False)

    def _name(self, action: Action) -> str:
        rsc = self.state.resource(action.rsc or "")
        return graph_names(rsc)[0] if rsc is not None else action.rsc or ""

    def request(self, action: Action) -> OpRequest:
        target = expected_rc(self.state, self.transition, action)
        key = transition_key(action.id, self.dc.tid, target,
                             self.dc.node_id(self.dc.ctl.node))
        return request_for_action(self.cib, self.state, self.transition, action,
                                  transition_key=key)
