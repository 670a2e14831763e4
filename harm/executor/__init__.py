"""harm's executor: runs OCF resource agents for harmd, like Pacemaker's pacemaker-execd.

    lookup.py ........ agent name → executable (harm's agents first, then OCF_ROOT)
    request.py ....... OpRequest, CloneInfo, NotifyInfo: what to run
    build.py ......... request_for(): an OpRequest from the configuration
    environment.py ... the OCF environment of a call (pure)
    process.py ....... one agent process in its own group; the whole group dies on timeout
    result.py ........ OpResult and its OpRecord (lrm_rsc_op) form; ocf-exit-reason
    digest.py ........ Pacemaker's op-digest of the parameters
    recurring.py ..... which recurring results are reported (first, then changes; pure)
    executor.py ...... Executor: queue, per-resource serialisation, parallel limit, recurring ops
    inbox.py ......... ResultInbox: results handed to a selectors loop through a pipe
"""

from harm.executor.environment import NodeContext, agent_environment
from harm.executor.executor import Executor, OpHandle, ResultListener
from harm.executor.inbox import ResultInbox
from harm.executor.lookup import AgentLocator, ResolvedAgent
from harm.executor.request import CloneInfo, NotifyInfo, OpRequest, Peer
from harm.executor.result import OpResult

__all__ = [
    "AgentLocator",
    "CloneInfo",
    "Executor",
    "NodeContext",
    "NotifyInfo",
    "OpHandle",
    "OpRequest",
    "OpResult",
    "Peer",
    "ResolvedAgent",
    "ResultInbox",
    "ResultListener",
    "agent_environment",
]
