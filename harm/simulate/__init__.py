"""``harm simulate``: crm_simulate's behaviour on harm's engine.

* :mod:`harm.simulate.options` — what the user asked for (typed, validated);
* :mod:`harm.simulate.injections` — node up/down/fail, operation results, quorum,
  node attributes, applied to the CIB before scheduling;
* :mod:`harm.simulate.run` — the sections crm_simulate prints, in its order;
* :mod:`harm.simulate.explain` — why each resource is placed where it is;
* :mod:`harm.simulate.conformance` — the runner over Pacemaker's scheduler corpus.
"""

from harm.simulate.options import SimulateOptions
from harm.simulate.run import SimulationResult, simulate

__all__ = ["SimulateOptions", "SimulationResult", "simulate"]
