"""Node attributes: one small interface, three stores chosen by the environment.

Agents publish what they know as node attributes (``pingd``, ``master-<rsc>``,
``<rsc>-status`` …). Where the value goes depends on who runs the agent:

    backend     chosen when                                   talks to
    ---------   --------------------------------------------  ------------------------------
    dir         HARM_ATTRIBUTE_DIR is set                      files DIR/<lifetime>/<node>/<name>
    pacemaker   OCF_RESKEY_crm_feature_set is set (Pacemaker   attrd_updater (lifetime reboot),
                runs the agent)                                crm_attribute (lifetime forever)
    harm        otherwise (harmd runs the agent)               harm attribute --node … --name …

``HARM_ATTRIBUTE_BACKEND=dir|pacemaker|harm`` overrides the choice. The directory store is
what tests and the lab use until harmd's own store exists: one file per node and attribute,
written atomically (temporary file + rename), its mtime telling when it was last written.
It applies no dampening: ``delay`` is passed on to harm and attrd only.
"""

from __future__ import annotations

import enum
import os
import shutil
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from harm.errors import AgentError


class Lifetime(enum.Enum):
    """``reboot``: transient, gone when the node leaves; ``forever``: kept in the configuration."""

    REBOOT = "reboot"
    FOREVER = "forever"


class AttributeStore(Protocol):
    def update(
        self,
        node: str,
        name: str,
        value: str,
        *,
        delay_s: int = 0,
        lifetime: Lifetime = Lifetime.REBOOT,
    ) -> None: ...

    def query(self, node: str, name: str) -> str | None: ...

    def delete(self, node: str, name: str, *, delay_s: int = 0) -> None: ...


def _safe_component(text: str) -> str:
    if not text or text in {".", ".."} or "/" in text or "\0" in text:
        raise AgentError(f"{text!r} cannot name a node or attribute")
    return text


@dataclass(frozen=True)
class DirectoryStore:
    """Attributes as files under ``root``: ``<root>/<lifetime>/<node>/<name>`` holds the value."""

    root: Path

    def _path(self, lifetime: Lifetime, node: str, name: str) -> Path:
        return self.root / lifetime.value / _safe_component(node) / _safe_component(name)

    def update(
        self,
        node: str,
        name: str,
        value: str,
        *,
        delay_s: int = 0,
        lifetime: Lifetime = Lifetime.REBOOT,
    ) -> None:
        path = self._path(lifetime, node, name)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{name}.{os.getpid()}.tmp")
        tmp.write_text(value, encoding="utf-8")
        os.replace(tmp, path)
        for other in Lifetime:
            if other is not lifetime:
                self._path(other, node, name).unlink(missing_ok=True)

    def query(self, node: str, name: str) -> str | None:
        for lifetime in Lifetime:
            try:
                return self._path(lifetime, node, name).read_text(encoding="utf-8")
            except FileNotFoundError:
                continue
        return None

    def age_s(self, node: str, name: str, now: float) -> float | None:
        """Seconds since the attribute was last written (None when it is not set)."""
        for lifetime in Lifetime:
            try:
                return now - self._path(lifetime, node, name).stat().st_mtime
            except FileNotFoundError:
                continue
        return None

    def delete(self, node: str, name: str, *, delay_s: int = 0) -> None:
        for lifetime in Lifetime:
            self._path(lifetime, node, name).unlink(missing_ok=True)

    def forget_node(self, node: str) -> None:
        """Drop a node's transient attributes, as the cluster does when the node leaves."""
        shutil.rmtree(self.root / Lifetime.REBOOT.value / _safe_component(node), True)


def _run(argv: list[str]) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(argv, capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired) as error:
        raise AgentError(f"{argv[0]} failed: {error}") from None


def _checked(argv: list[str]) -> str:
    done = _run(argv)
    if done.returncode != 0:
        raise AgentError(f"{' '.join(argv)} exited {done.returncode}: {done.stderr.strip()}")
    return done.stdout


@dataclass(frozen=True)
class HarmCliStore:
    """harmd's attribute store through ``harm attribute``."""

    harm: str = "harm"

    def update(
        self,
        node: str,
        name: str,
        value: str,
        *,
        delay_s: int = 0,
        lifetime: Lifetime = Lifetime.REBOOT,
    ) -> None:
        argv = [self.harm, "attribute", "--node", node, "--name", name, "--update", value]
        argv += ["--delay", str(delay_s), "--lifetime", lifetime.value]
        _checked(argv)

    def query(self, node: str, name: str) -> str | None:
        done = _run([self.harm, "attribute", "--node", node, "--name", name, "--query"])
        value = done.stdout.strip()
        return value if done.returncode == 0 and value else None

    def delete(self, node: str, name: str, *, delay_s: int = 0) -> None:
        _checked([self.harm, "attribute", "--node", node, "--name", name, "--delete"])


@dataclass(frozen=True)
class PacemakerStore:
    """Pacemaker's attrd (transient) and CIB node attributes (permanent)."""

    def update(
        self,
        node: str,
        name: str,
        value: str,
        *,
        delay_s: int = 0,
        lifetime: Lifetime = Lifetime.REBOOT,
    ) -> None:
        if lifetime is Lifetime.REBOOT:
            argv = ["attrd_updater", "-n", name, "-N", node, "-U", value]
            _checked([*argv, "-d", f"{delay_s}s"] if delay_s else argv)
        else:
            _checked(["crm_attribute", "-N", node, "-n", name, "-l", "forever", "-v", value])

    def query(self, node: str, name: str) -> str | None:
        done = _run(["attrd_updater", "-Q", "-n", name, "-N", node])
        for word in done.stdout.split():
            if word.startswith('value="') and word.endswith('"') and len(word) > 8:
                return word[7:-1]
        done = _run(["crm_attribute", "-N", node, "-n", name, "-l", "forever", "-G", "-q"])
        value = done.stdout.strip()
        return value if done.returncode == 0 and value else None

    def delete(self, node: str, name: str, *, delay_s: int = 0) -> None:
        _run(["attrd_updater", "-D", "-n", name, "-N", node])
        _run(["crm_attribute", "-N", node, "-n", name, "-l", "forever", "-D"])


def choose_backend(environ: Mapping[str, str]) -> str:
    """Which store an agent running with ``environ`` writes to (see the module docstring)."""
    explicit = environ.get("HARM_ATTRIBUTE_BACKEND", "")
    if explicit:
        if explicit not in {"dir", "pacemaker", "harm"}:
            raise AgentError(f"HARM_ATTRIBUTE_BACKEND={explicit!r}: use dir, pacemaker or harm")
        return explicit
    if environ.get("HARM_ATTRIBUTE_DIR"):
        return "dir"
    if environ.get("OCF_RESKEY_crm_feature_set"):
        return "pacemaker"
    return "harm"


def store_from_environ(environ: Mapping[str, str]) -> AttributeStore:
    backend = choose_backend(environ)
    if backend == "dir":
        root = environ.get("HARM_ATTRIBUTE_DIR", "")
        if not root:
            raise AgentError("HARM_ATTRIBUTE_BACKEND=dir needs HARM_ATTRIBUTE_DIR")
        return DirectoryStore(Path(root))
    if backend == "pacemaker":
        return PacemakerStore()
    beside = Path(sys.executable).with_name("harm")
    harm = environ.get("HARM_CLI") or (str(beside) if beside.exists() else "harm")
    return HarmCliStore(harm)
