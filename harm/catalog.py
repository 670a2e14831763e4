"""Which resource agents exist on this machine, for checking configurations.

harm's own agents (the ``agents/`` directory of the installation, or ``HARM_AGENTS_DIR``)
answer for every OCF provider name the seed configurations use (``heartbeat``, ``pacemaker``,
``harm``), so ``ocf:heartbeat:pgsql`` and ``ocf:pacemaker:pingd`` resolve to them. Other OCF
agents are looked up under ``OCF_ROOT/resource.d/PROVIDER/TYPE`` (Debian's resource-agents).
LSB scripts are looked up in /etc/init.d, fence agents (``stonith:fence_*``) in /usr/sbin
(or ``HARM_FENCE_AGENTS_DIR``); systemd units are not checked.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

from harm.cib.config import AgentRef

HARM_PROVIDERS = ("heartbeat", "pacemaker", "harm")
DEFAULT_OCF_ROOT = Path("/usr/lib/ocf")


def default_agents_dir() -> Path:
    """harm's own agents: $HARM_AGENTS_DIR, else ``agents/`` of the source checkout harm runs
    from, else ``share/harm/agents`` of the installation (``pip install`` puts them there)."""
    env = os.environ.get("HARM_AGENTS_DIR")
    if env:
        return Path(env)
    checkout = Path(__file__).resolve().parent.parent / "agents"
    if checkout.is_dir():
        return checkout
    return Path(sys.prefix) / "share" / "harm" / "agents"


@dataclass(frozen=True)
class AgentCatalog:
    """A snapshot of the agents installed: OCF (provider → types) and LSB scripts."""

    harm_agents: frozenset[str]
    ocf: dict[str, frozenset[str]]
    lsb: frozenset[str]
    stonith: frozenset[str] | None = None  # None: fence agents not checked

    @classmethod
    def scan(
        cls,
        agents_dir: Path | None = None,
        ocf_root: Path | None = None,
        init_dir: Path = Path("/etc/init.d"),
    ) -> AgentCatalog:
        agents_dir = agents_dir or default_agents_dir()
        ocf_root = ocf_root or Path(os.environ.get("OCF_ROOT", str(DEFAULT_OCF_ROOT)))
        harm_agents = frozenset(_executables(agents_dir))
        ocf: dict[str, frozenset[str]] = {}
        resource_d = ocf_root / "resource.d"
        if resource_d.is_dir():
            for provider in sorted(resource_d.iterdir()):
                if provider.is_dir():
                    ocf[provider.name] = frozenset(_executables(provider))
        from harm.fencing.agent import installed_agents

        return cls(harm_agents, ocf, frozenset(_executables(init_dir)), installed_agents())

    def exists(self, agent: AgentRef) -> bool:
        if agent.cls == "ocf":
            if agent.provider in HARM_PROVIDERS and agent.type in self.harm_agents:
                return True
            return agent.type in self.ocf.get(agent.provider or "", frozenset())
        if agent.cls == "lsb":
            return agent.type in self.lsb
        if agent.cls == "stonith" and self.stonith is not None:
            return agent.type in self.stonith
        return True

    def candidates(self, agent: AgentRef) -> list[str]:
        """Agent names of the same class, to suggest the one probably meant."""
        if agent.cls == "ocf":
            names = {f"ocf:{p}:{t}" for p, types in self.ocf.items() for t in types}
            names |= {f"ocf:{p}:{t}" for p in HARM_PROVIDERS for t in self.harm_agents}
            return sorted(names)
        if agent.cls == "lsb":
            return sorted(f"lsb:{t}" for t in self.lsb)
        if agent.cls == "stonith" and self.stonith is not None:
            return sorted(f"stonith:{t}" for t in self.stonith)
        return []


def _executables(directory: Path) -> list[str]:
    if not directory.is_dir():
        return []
    return [
        entry.name
        for entry in directory.iterdir()
        if entry.is_file() and os.access(entry, os.X_OK) and not entry.name.startswith(".")
    ]
