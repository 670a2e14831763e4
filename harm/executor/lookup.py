"""Finding the executable behind an agent name (``ocf:heartbeat:pgsql`` → a file).

Precedence for OCF agents, first match wins:

    1. harm's own agents directory (:func:`harm.catalog.default_agents_dir`), for the
       providers harm answers for (``heartbeat``, ``pacemaker``, ``harm``), so the seed's
       ``ocf:heartbeat:IPaddr2``, ``ocf:heartbeat:pgsql`` and ``ocf:pacemaker:pingd`` run
       harm's agents even where Debian's resource-agents ship an agent of the same name;
    2. ``OCF_ROOT/resource.d/PROVIDER/TYPE`` (Debian's resource-agents and Pacemaker's own
       agents), for any provider.

harm's agents win because the cluster's behaviour (attribute names, lock files, promotion
scores) is specified and tested against them; a stock agent only runs where harm has none
of that name. Other classes (``lsb``, ``systemd``, ``service``, ``stonith`` …) are not run
by harm yet and give an :class:`~harm.errors.AgentError` that says so.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from harm.catalog import DEFAULT_OCF_ROOT, HARM_PROVIDERS, default_agents_dir
from harm.cib.config import AgentRef
from harm.errors import AgentError


@dataclass(frozen=True)
class ResolvedAgent:
    """An agent name bound to the file that runs it."""

    agent: AgentRef
    path: Path
    origin: str  # "harm" (harm's agents directory) or "ocf" (under OCF_ROOT)


@dataclass(frozen=True)
class AgentLocator:
    """Where agents are looked up: harm's directory first, then ``OCF_ROOT``."""

    agents_dir: Path
    ocf_root: Path

    @classmethod
    def default(cls) -> AgentLocator:
        """harm's agents (``HARM_AGENTS_DIR`` or the checkout) and ``$OCF_ROOT`` or /usr/lib/ocf."""
        root = os.environ.get("OCF_ROOT") or str(DEFAULT_OCF_ROOT)
        return cls(agents_dir=default_agents_dir(), ocf_root=Path(root))

    def resolve(self, agent: AgentRef) -> ResolvedAgent:
        """The executable for ``agent``; AgentError when it is missing or of an unrun class."""
        if agent.cls != "ocf":
            raise AgentError(
                f"{agent}: the {agent.cls!r} class of agents is not supported by harm's "
                "executor yet (only ocf:PROVIDER:TYPE agents run)"
            )
        if not agent.provider:
            raise AgentError(f"{agent}: an OCF agent needs a provider (ocf:PROVIDER:TYPE)")
        for name in (agent.provider, agent.type):
            if not name or "/" in name or name in {".", ".."}:
                raise AgentError(f"{agent}: {name!r} is not a valid agent name part")
        tried: list[Path] = []
        if agent.provider in HARM_PROVIDERS:
            # absolute (agents run with cwd /) but not resolved: harm's agents are symbolic
            # links whose own name says which agent runs
            own = self.agents_dir.absolute() / agent.type
            if _runnable(own):
                return ResolvedAgent(agent, own, "harm")
            tried.append(own)
        stock = self.ocf_root.absolute() / "resource.d" / agent.provider / agent.type
        if _runnable(stock):
            return ResolvedAgent(agent, stock, "ocf")
        tried.append(stock)
        looked = ", ".join(str(path) for path in tried)
        raise AgentError(f"{agent}: no such agent (looked for an executable at {looked})")


def _runnable(path: Path) -> bool:
    return path.is_file() and os.access(path, os.X_OK)
