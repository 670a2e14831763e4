"""Which file runs for an agent name, and which agents exist on this machine.

One rule, used by the executor (which runs the file) and by configuration checks (which
warn about a substitute and suggest names):

    ocf:harm:TYPE         harm's own agents: the ``agents/`` directory of the
                          installation (or ``HARM_AGENTS_DIR``), then
                          ``OCF_ROOT/resource.d/harm/TYPE`` (harm's agents installed
                          there by linking or copying the directory)
    ocf:heartbeat:TYPE    the stock agent ``OCF_ROOT/resource.d/PROVIDER/TYPE`` when it is
    ocf:pacemaker:TYPE    installed; harm's agent of that name only when none is (a
                          *substitute*: configuration checks warn about it)
    ocf:PROVIDER:TYPE     ``OCF_ROOT/resource.d/PROVIDER/TYPE`` only
    lsb:NAME              the init script ``INIT_DIR/NAME`` (/etc/init.d)
    service:NAME          the init script of that name, when there is one (harm runs no
                          systemd units: a service that is not an init script is an error)

Fence agents (``stonith:fence_*``) are run by the fencer (:mod:`harm.fencing`), not here;
configuration checks look for them in /usr/sbin (or ``HARM_FENCE_AGENTS_DIR``).

A name that resolves nowhere, or a class harm does not run (systemd, nagios …), is an
:class:`~harm.errors.AgentError` that says where it looked.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from harm.cib.config import AgentRef, Primitive
from harm.errors import AgentError

HARM_PROVIDER = "harm"
STOCK_PROVIDERS = ("heartbeat", "pacemaker")  # stock first, harm's agent as a substitute
HARM_PROVIDERS = (*STOCK_PROVIDERS, HARM_PROVIDER)  # provider names harm has agents for
DEFAULT_OCF_ROOT = Path("/usr/lib/ocf")
DEFAULT_INIT_DIR = Path("/etc/init.d")


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


def default_ocf_root() -> Path:
    return Path(os.environ.get("OCF_ROOT") or str(DEFAULT_OCF_ROOT))


class Origin:
    """Where the file that runs comes from (:attr:`ResolvedAgent.origin`)."""

    HARM = "harm"  # harm's agent, named ocf:harm:TYPE
    SUBSTITUTE = "harm-substitute"  # harm's agent, run for a stock name with no stock agent
    STOCK = "ocf"  # an OCF agent under OCF_ROOT
    LSB = "lsb"  # an init script


@dataclass(frozen=True)
class ResolvedAgent:
    """An agent name bound to the file that runs it."""

    agent: AgentRef
    path: Path
    origin: str  # one of Origin's values

    @property
    def is_harm(self) -> bool:
        """harm's own agent (run with harm's interpreter)."""
        return self.origin in (Origin.HARM, Origin.SUBSTITUTE)

    @property
    def is_lsb(self) -> bool:
        return self.origin == Origin.LSB

    def describe(self) -> str:
        """``ocf:heartbeat:pgsql → /usr/lib/ocf/resource.d/heartbeat/pgsql (stock)``."""
        what = {Origin.HARM: "harm's", Origin.SUBSTITUTE: "harm's, no stock agent installed",
                Origin.STOCK: "stock", Origin.LSB: "init script"}[self.origin]
        return f"{self.agent} → {self.path} ({what})"

    def warning(self) -> str | None:
        """What to tell the operator about this choice (a substitute), else None."""
        if self.origin != Origin.SUBSTITUTE:
            return None
        return (f"{self.agent}: no stock agent is installed under "
                f"{self.agent.provider}; harm's {self.agent.type} ({self.path}) runs instead "
                f"(name it ocf:{HARM_PROVIDER}:{self.agent.type} to say so)")


@dataclass(frozen=True)
class AgentDirs:
    """The three places agents are found: harm's directory, ``OCF_ROOT``, the init dir."""

    agents_dir: Path
    ocf_root: Path
    init_dir: Path = DEFAULT_INIT_DIR

    @classmethod
    def default(cls) -> AgentDirs:
        return cls(default_agents_dir(), default_ocf_root(), DEFAULT_INIT_DIR)

    def resolve(self, agent: AgentRef) -> ResolvedAgent:
        """The file that runs ``agent`` (see the module doc); AgentError when none does."""
        for name in (agent.provider, agent.type):
            if name is not None and (not name or "/" in name or name in {".", ".."}):
                raise AgentError(f"{agent}: {name!r} is not a valid agent name part")
        if agent.cls == "ocf":
            return self._ocf(agent)
        if agent.cls in ("lsb", "service"):
            script = self.init_dir.absolute() / agent.type
            if _runnable(script):
                return ResolvedAgent(agent, script, Origin.LSB)
            what = "init script" if agent.cls == "lsb" else \
                "init script (harm runs service: agents that are LSB init scripts only)"
            raise AgentError(f"{agent}: no such {what} (looked for an executable at {script})")
        raise AgentError(
            f"{agent}: the {agent.cls!r} class of agents is not supported by harm's "
            "executor (ocf:PROVIDER:TYPE, lsb:NAME and service:NAME run)"
        )

    def _ocf(self, agent: AgentRef) -> ResolvedAgent:
        if not agent.provider:
            raise AgentError(f"{agent}: an OCF agent needs a provider (ocf:PROVIDER:TYPE)")
        # absolute (agents run with cwd /) but not resolved: harm's agents are symbolic
        # links whose own name says which agent runs
        own = self.agents_dir.absolute() / agent.type
        stock = self.ocf_root.absolute() / "resource.d" / agent.provider / agent.type
        if agent.provider == HARM_PROVIDER:
            candidates = [(own, Origin.HARM), (stock, Origin.HARM)]
        elif agent.provider in STOCK_PROVIDERS:
            candidates = [(stock, Origin.STOCK), (own, Origin.SUBSTITUTE)]
        else:
            candidates = [(stock, Origin.STOCK)]
        for path, origin in candidates:
            if _runnable(path):
                return ResolvedAgent(agent, path, origin)
        looked = ", ".join(str(path) for path, _ in candidates)
        raise AgentError(f"{agent}: no such agent (looked for an executable at {looked})")


@dataclass(frozen=True)
class AgentCatalog:
    """The agents of this machine, for configuration checks: whether a name resolves, what
    runs for it, and the names that exist (to suggest one when a name is mistyped)."""

    dirs: AgentDirs
    harm_agents: frozenset[str]
    ocf: dict[str, frozenset[str]]
    lsb: frozenset[str]
    stonith: frozenset[str] | None = None  # None: fence agents not checked

    @classmethod
    def scan(
        cls,
        agents_dir: Path | None = None,
        ocf_root: Path | None = None,
        init_dir: Path = DEFAULT_INIT_DIR,
    ) -> AgentCatalog:
        dirs = AgentDirs(agents_dir or default_agents_dir(), ocf_root or default_ocf_root(),
                         init_dir)
        ocf: dict[str, frozenset[str]] = {}
        resource_d = dirs.ocf_root / "resource.d"
        if resource_d.is_dir():
            for provider in sorted(resource_d.iterdir()):
                if provider.is_dir():
                    ocf[provider.name] = frozenset(_executables(provider))
        from harm.fencing.agent import installed_agents

        return cls(dirs, frozenset(_executables(dirs.agents_dir)), ocf,
                   frozenset(_executables(init_dir)), installed_agents())

    def resolve(self, agent: AgentRef) -> ResolvedAgent | None:
        """What runs for ``agent``; None when nothing does. Classes harm does not run
        (systemd, stonith …) are not checked here and give None as well."""
        try:
            return self.dirs.resolve(agent)
        except AgentError:
            return None

    def exists(self, agent: AgentRef) -> bool:
        if agent.cls in ("ocf", "lsb"):
            return self.resolve(agent) is not None
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


def _runnable(path: Path) -> bool:
    return path.is_file() and os.access(path, os.X_OK)


def _executables(directory: Path) -> list[str]:
    if not directory.is_dir():
        return []
    return [
        entry.name
        for entry in directory.iterdir()
        if entry.is_file() and os.access(entry, os.X_OK) and not entry.name.startswith(".")
    ]


def agent_lines(primitives: Iterable[Primitive], catalog: AgentCatalog) -> list[str]:
    """``ID  AGENT → FILE (where from)`` for each primitive: what runs it on this node."""
    lines = []
    for primitive in primitives:
        try:
            text = catalog.dirs.resolve(primitive.agent).describe()
        except AgentError as error:
            text = f"{primitive.agent} → nothing runs it here: {error}"
        lines.append(f"{primitive.id}  {text}")
    return lines
