"""Finding the file behind an agent name, for the executor.

The rule is :meth:`harm.catalog.AgentDirs.resolve` (one place, shared with configuration
checks): ``ocf:harm:TYPE`` runs harm's own agent; ``ocf:heartbeat:TYPE`` and
``ocf:pacemaker:TYPE`` the stock agent under ``OCF_ROOT`` when it is installed, else
harm's agent of that name; other providers ``OCF_ROOT/resource.d/PROVIDER/TYPE``;
``lsb:NAME`` and ``service:NAME`` an init script. :class:`AgentLocator` is that rule
bound to the directories of one executor.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from harm.catalog import DEFAULT_INIT_DIR, AgentDirs, ResolvedAgent, default_agents_dir
from harm.catalog import default_ocf_root as _default_ocf_root
from harm.cib.config import AgentRef

__all__ = ["AgentLocator", "ResolvedAgent"]


@dataclass(frozen=True)
class AgentLocator:
    """Where agents are looked up: harm's directory, ``OCF_ROOT``, the init scripts."""

    agents_dir: Path
    ocf_root: Path
    init_dir: Path = DEFAULT_INIT_DIR

    @classmethod
    def default(cls) -> AgentLocator:
        """harm's agents (``HARM_AGENTS_DIR`` or the installation), ``$OCF_ROOT`` or
        /usr/lib/ocf, and /etc/init.d."""
        return cls(agents_dir=default_agents_dir(), ocf_root=_default_ocf_root())

    def resolve(self, agent: AgentRef) -> ResolvedAgent:
        """The file that runs ``agent``; AgentError when there is none or its class is not
        run by harm."""
        return AgentDirs(self.agents_dir, self.ocf_root, self.init_dir).resolve(agent)
