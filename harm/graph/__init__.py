"""Running a transition: the graph of actions and their orderings, fired in Pacemaker's order.

* :mod:`harm.graph.runner` — synapses (an action and the actions it waits for), fired pass
  after pass as their inputs are confirmed, through an injected backend
  (Pacemaker's ``pcmk__graph_functions_t``);
* :mod:`harm.graph.order` — the order synapses appear in, as Pacemaker's graph producer
  lays them out (resource by resource, then node actions);
* :mod:`harm.graph.simulated` — a backend that completes every action at once and records
  the result in the CIB status, as ``crm_simulate`` does.
"""

from harm.graph.order import synapse_order
from harm.graph.runner import ActionOutcome, Backend, Graph, GraphStatus, run_graph

__all__ = ["ActionOutcome", "Backend", "Graph", "GraphStatus", "run_graph", "synapse_order"]
