"""Node attributes: one small interface, three stores chosen by the environment.

Agents publish what they know as node attributes (``pingd``, ``master-<rsc>``,
``<rsc>-status`` …). Where the value goes depends on who runs the agent:

    backend     chosen when                                   talks to
    ---------   --------------------------------------------  ------------------------------
    dir         HARM_ATTRIBUTE_DIR is set                      files DIR/<lifetime>/<node>/<name>
    pacemaker   OCF_RESKEY_crm_feature_set is set (Pacemaker   attrd_updater (lifetime reboot),
                runs the agent)                                crm_attribute (lifetime forever)
    harm        otherwise (harmd runs the agent)               harmd's control socket
                                                              ($HARM_SOCKET, else
                                                              /run/harm/harmd.sock)

``HARM_ATTRIBUTE_BACKEND=dir|pacemaker|harm`` overrides the choice. The harm store sends
each change to harmd and returns without waiting for the coordinator to apply it; a query
answers the latest value given to the cluster. The directory store is what tests use
without a cluster: one file per node and attribute, written atomically (temporary file +
rename), its mtime telling when it was last written. It applies no dampening: ``delay`` is
passed on to harmd and attrd only.

An agent call imports this module but reaches for subprocess, sockets and JSON only in the
store it uses, so that a call which writes no attribute stays cheap to start.
"""

from __future__ import annotations

import enum
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from harm.errors import AgentError, ControlError

if TYPE_CHECKING:
    import subprocess


class Lifetime(enum.Enum):
    """``reboot``: transient, gone when the node leaves; ``forever``: kept in the configuration."""

    REBOOT = "reboot"
    FOREVER = "forever"


class AttributeStore(Protocol):
    """Where an agent's node attributes go.

    ``query`` and ``delete`` take an optional ``lifetime``; without one, ``query`` answers
    the transient value first, then the permanent one, and ``delete`` removes both.
    """

    def update(
        self,
        node: str,
        name: str,
        value: str,
        *,
        delay_s: int = 0,
        lifetime: Lifetime = Lifetime.REBOOT,
    ) -> None: ...

    def query(self, node: str, name: str, *, lifetime: Lifetime | None = None) -> str | None: ...

    def delete(
        self, node: str, name: str, *, delay_s: int = 0, lifetime: Lifetime | None = None
    ) -> None: ...


def _lifetimes(lifetime: Lifetime | None) -> tuple[Lifetime, ...]:
    """The lifetimes a query or delete covers, transient first."""
    return tuple(Lifetime) if lifetime is None else (lifetime,)


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

    def query(self, node: str, name: str, *, lifetime: Lifetime | None = None) -> str | None:
        for each in _lifetimes(lifetime):
            try:
                return self._path(each, node, name).read_text(encoding="utf-8")
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

    def delete(
        self, node: str, name: str, *, delay_s: int = 0, lifetime: Lifetime | None = None
    ) -> None:
        for each in _lifetimes(lifetime):
            self._path(each, node, name).unlink(missing_ok=True)

    def forget_node(self, node: str) -> None:
        """Drop a node's transient attributes, as the cluster does when the node leaves."""
        import shutil

        shutil.rmtree(self.root / Lifetime.REBOOT.value / _safe_component(node), True)


@dataclass(frozen=True)
class HarmSocketStore:
    """harmd's attribute store, over its control socket (:mod:`harm.daemon.control`).

    An update or delete is the cluster operation ``attribute`` (a value of null deletes);
    harmd takes it and passes it to the coordinator, and the agent does not wait for the
    coordinator to apply it. A query is ``attribute-query``, which answers the latest value
    given to the cluster, even one that dampening has not written to the CIB yet.
    """

    socket: Path
    timeout_s: float = 5.0

    def update(
        self,
        node: str,
        name: str,
        value: str,
        *,
        delay_s: int = 0,
        lifetime: Lifetime = Lifetime.REBOOT,
    ) -> None:
        self._set(node, name, value, lifetime, delay_s)

    def query(self, node: str, name: str, *, lifetime: Lifetime | None = None) -> str | None:
        for each in _lifetimes(lifetime):
            result = self._ask(
                "attribute-query", f"query {name} of {node}",
                node=node, name=name, lifetime=each.value,
            )
            value = result.get("value", False) if isinstance(result, dict) else False
            if value is not None and not isinstance(value, str):
                raise AgentError(
                    f"harmd at {self.socket} answered the query of {name} of {node} "
                    f"with {result!r}, not a value"
                )
            if value is not None:
                return value
        return None

    def delete(
        self, node: str, name: str, *, delay_s: int = 0, lifetime: Lifetime | None = None
    ) -> None:
        """Without a lifetime, the permanent value goes only when there is one: deleting it
        is a configuration change, which agents that only ever set transient values (every
        stop deletes its attributes) should not cause."""
        for each in _lifetimes(lifetime):
            implied = lifetime is None and each is Lifetime.FOREVER
            if implied and self.query(node, name, lifetime=each) is None:
                continue
            self._set(node, name, None, each, delay_s)

    def _set(
        self, node: str, name: str, value: str | None, lifetime: Lifetime, delay_s: int
    ) -> None:
        doing = f"set {name}={value} on {node}" if value is not None else f"delete {name} of {node}"
        self._ask(
            "cluster-op", doing, op="attribute", node=node, name=name, value=value,
            lifetime=lifetime.value, delay_ms=max(0, delay_s) * 1000,
        )

    def _ask(self, kind: str, doing: str, **fields: object) -> object:
        from harm.daemon.client import request

        try:
            return request(self.socket, kind, timeout=self.timeout_s, **fields)
        except ControlError as error:
            raise AgentError(f"cannot {doing} through harmd: {error}") from None


def _run(argv: list[str]) -> subprocess.CompletedProcess[str]:
    import subprocess

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

    def query(self, node: str, name: str, *, lifetime: Lifetime | None = None) -> str | None:
        lifetimes = _lifetimes(lifetime)
        if Lifetime.REBOOT in lifetimes:
            done = _run(["attrd_updater", "-Q", "-n", name, "-N", node])
            for word in done.stdout.split():
                if word.startswith('value="') and word.endswith('"') and len(word) > 8:
                    return word[7:-1]
        if Lifetime.FOREVER in lifetimes:
            done = _run(["crm_attribute", "-N", node, "-n", name, "-l", "forever", "-G", "-q"])
            value = done.stdout.strip()
            if done.returncode == 0 and value:
                return value
        return None

    def delete(
        self, node: str, name: str, *, delay_s: int = 0, lifetime: Lifetime | None = None
    ) -> None:
        lifetimes = _lifetimes(lifetime)
        if Lifetime.REBOOT in lifetimes:
            _run(["attrd_updater", "-D", "-n", name, "-N", node])
        if Lifetime.FOREVER in lifetimes:
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
    from harm.daemon.client import DEFAULT_SOCKET

    return HarmSocketStore(Path(environ.get("HARM_SOCKET") or DEFAULT_SOCKET))
