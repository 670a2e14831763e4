"""The state file Dummy and Stateful keep: where it lives and how it is written."""

from __future__ import annotations

import os
from pathlib import Path

from harm.ocf.env import OcfEnv

DEFAULT_RSCTMP = "/run/resource-agents"


def default_state_path(env: OcfEnv, agent: str) -> Path:
    """``$HA_RSCTMP/<agent>-<instance>.state`` (HA_RSCTMP defaults to /run/resource-agents)."""
    rsctmp = env.environ.get("HA_RSCTMP") or DEFAULT_RSCTMP
    instance = (env.instance or "default").replace("/", "_")
    return Path(rsctmp) / f"{agent}-{instance}.state"


def read_state(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None


def write_state(path: Path, content: str) -> None:
    """Write atomically: a reader sees the old content or the new one, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}")
    tmp.write_text(content + "\n", encoding="utf-8")
    os.replace(tmp, path)
