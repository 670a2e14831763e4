"""Running a stock fence agent (``/usr/sbin/fence_*``) by the fence-agents API.

The agent reads its parameters from standard input, one ``key=value`` a line: the device's
own parameters, ``action=`` (off, on, reboot, status, list, monitor, metadata),
``nodename=`` (the target), and the target's port under the name the device wants
(``pcmk_host_argument``, else ``plug`` or ``port`` as its meta-data offers, none when it
has neither). Its exit code: 0 success (for ``status``: powered on), 2 for ``status`` of a
powered-off target, anything else failure. It runs in its own process group, which is
killed whole on timeout (:func:`harm.executor.process.run_in_group`).
"""

from __future__ import annotations

import functools
import os
import re
import subprocess
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

from harm.executor.process import AgentExecError, run_in_group
from harm.fencing.device import Device

FENCE_AGENT_DIR = Path("/usr/sbin")
_AGENT_NAME = re.compile(r"^fence_[A-Za-z0-9_.-]+$")


def agent_dir() -> Path:
    """Where fence agents live: ``$HARM_FENCE_AGENTS_DIR`` or /usr/sbin."""
    return Path(os.environ.get("HARM_FENCE_AGENTS_DIR") or FENCE_AGENT_DIR)


def agent_path(agent: str) -> Path | None:
    """The executable of a fence agent, or None when it is not installed."""
    if not _AGENT_NAME.match(agent):
        return None
    path = agent_dir() / agent
    return path if path.is_file() and os.access(path, os.X_OK) else None


def installed_agents() -> frozenset[str]:
    folder = agent_dir()
    if not folder.is_dir():
        return frozenset()
    return frozenset(p.name for p in folder.iterdir()
                     if _AGENT_NAME.match(p.name) and os.access(p, os.X_OK))


@functools.lru_cache(maxsize=64)
def metadata_parameters(agent: str) -> frozenset[str]:
    """The parameter names in the agent's meta-data (empty when it cannot tell)."""
    path = agent_path(agent)
    if path is None:
        return frozenset()
    try:
        done = subprocess.run([str(path), "-o", "metadata"], capture_output=True, text=True,
                              timeout=30, check=False, stdin=subprocess.DEVNULL)
        root = ET.fromstring(done.stdout)
    except (OSError, subprocess.TimeoutExpired, ET.ParseError):
        return frozenset()
    return frozenset(p.get("name", "") for p in root.iter("parameter"))


def host_argument(device: Device) -> str | None:
    """The parameter that carries the port: pcmk_host_argument, else plug/port from the
    meta-data, else none."""
    if device.host_argument is not None:
        return None if device.host_argument == "none" else device.host_argument
    names = metadata_parameters(device.agent)
    for candidate in ("plug", "port"):
        if candidate in names:
            return candidate
    return None


@dataclass(frozen=True)
class AgentRun:
    """How one agent call ended."""

    rc: int  # the exit code; -1 when it could not run or was killed
    output: str
    timed_out: bool = False
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.rc == 0

    def describe(self) -> str:
        if self.error:
            return self.error
        if self.timed_out:
            return "timed out"
        last = [line for line in self.output.splitlines() if line.strip()]
        tail = f": {last[-1].strip()[:200]}" if last else ""
        return f"exit code {self.rc}{tail}"


def stdin_for(device: Device, action: str, target: str | None) -> str:
    """The agent's standard input for ``action`` on ``target``."""
    lines = [f"{key}={value}" for key, value in device.params]
    lines.append(f"action={action}")
    if target is not None:
        lines.append(f"nodename={target}")
        argument = host_argument(device)
        if argument is not None and not any(k == argument for k, _ in device.params):
            lines.append(f"{argument}={device.port_for(target)}")
    return "\n".join(lines) + "\n"


def run_agent(device: Device, action: str, target: str | None, timeout_ms: int) -> AgentRun:
    """Run the device's agent once (blocking; call it from a worker thread)."""
    path = agent_path(device.agent)
    if path is None:
        return AgentRun(-1, "", error=f"fence agent {device.agent} is not installed in "
                        f"{agent_dir()}")
    env = {"PATH": os.environ.get("PATH", "/usr/sbin:/usr/bin:/sbin:/bin"),
           "LANG": "C"}
    try:
        outcome = run_in_group([str(path)], env, timeout=timeout_ms / 1000.0, grace=2.0,
                               stdin_text=stdin_for(device, action, target))
    except AgentExecError as error:
        return AgentRun(-1, "", error=str(error))
    output = (outcome.stdout + outcome.stderr).strip()
    if outcome.timed_out:
        return AgentRun(-1, output, timed_out=True)
    return AgentRun(outcome.returncode if outcome.returncode is not None else -1, output)


def lists_target(run: AgentRun, device: Device, target: str) -> bool:
    """Whether the output of a ``list`` names the target's port (one per line,
    ``port[,alias]``)."""
    port = device.port_for(target)
    for line in run.output.splitlines():
        names = [part.strip() for part in line.split(",")]
        if port in names or target in names:
            return True
    return False
