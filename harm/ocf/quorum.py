"""Does this node's partition have quorum, and what does the cluster do without it?

An agent asks before it lets a service go on alone (the pgsql primary that lost its
synchronous standby). The answer comes from whoever runs the agent, as for attributes
(:mod:`harm.ocf.attributes`):

    harm        harmd's control socket, request ``quorum``
    pacemaker   ``crm_node -q`` and the ``no-quorum-policy`` cluster property
    dir         the file ``$HARM_ATTRIBUTE_DIR/quorum`` ("quorate POLICY" or
                "unquorate POLICY"); without it: quorate, policy stop (tests)

A node may go on alone when its partition is quorate or the policy is ``ignore``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from harm.errors import AgentError, ControlError
from harm.ocf.attributes import _run, choose_backend


@dataclass(frozen=True)
class Quorum:
    quorate: bool
    policy: str  # no-quorum-policy: stop | demote | freeze | ignore | suicide

    @property
    def may_act_alone(self) -> bool:
        """May this partition take decisions that the other side could take too?"""
        return self.quorate or self.policy == "ignore"


def query_quorum(environ: Mapping[str, str]) -> Quorum:
    """This node's quorum; AgentError when it cannot be known (treat as no quorum)."""
    backend = choose_backend(environ)
    if backend == "dir":
        path = Path(environ.get("HARM_ATTRIBUTE_DIR", "")) / "quorum"
        try:
            words = path.read_text(encoding="utf-8").split()
        except FileNotFoundError:
            return Quorum(True, "stop")
        except OSError as error:
            raise AgentError(f"cannot read {path}: {error}") from None
        return Quorum(bool(words) and words[0] == "quorate",
                      words[1] if len(words) > 1 else "stop")
    if backend == "pacemaker":
        done = _run(["crm_node", "-q"])
        policy = _run(["crm_attribute", "-t", "crm_config", "-n", "no-quorum-policy", "-G",
                       "-q"]).stdout.strip() or "stop"
        if done.returncode != 0:
            raise AgentError(f"crm_node -q failed: {done.stderr.strip()}")
        return Quorum(done.stdout.strip() == "1", policy.lower())
    from harm.daemon.client import DEFAULT_SOCKET, request

    socket = Path(environ.get("HARM_SOCKET") or DEFAULT_SOCKET)
    try:
        answer = request(socket, "quorum", timeout=5.0)
    except ControlError as error:
        raise AgentError(f"cannot ask harmd for quorum: {error}") from None
    if not isinstance(answer, dict) or not isinstance(answer.get("quorate"), bool):
        raise AgentError(f"harmd at {socket} answered the quorum query with {answer!r}")
    return Quorum(answer["quorate"], str(answer.get("no_quorum_policy") or "stop"))
