"""Where a command's CIB lives: a file, or the running cluster through the local harmd.

Every ``harm configure``/``resource``/``node``/``attribute`` command works through one
:class:`Session`, chosen by :func:`open_session`:

* ``--cib FILE`` (or ``HARM_CIB_FILE``) → :class:`FileSession`: load the file, apply a pure
  operation, save it atomically;
* otherwise → :class:`ClusterSession` on harmd's control socket (``--socket PATH``,
  ``HARM_SOCKET``, default ``/run/harm/harmd.sock``).

Two kinds of change exist, because the cluster keeps them apart:

* a *configuration change* (:meth:`Session.change`): an edit ``Cib -> (Cib, value)`` built
  from :mod:`harm.operations` or the crm language. On the cluster it is a read-modify-write:
  ``cib`` → edit → ``cib-commit`` with the base version → poll ``request-status``. When the
  configuration changed meanwhile, the whole read-modify-write runs again (up to
  :data:`RETRIES` more times), so the edit always applies to what it read;
* a *status-side operation* (:meth:`Session.run`, a :data:`ClusterOp`): node attributes,
  cleanup, a recorded failure. On the cluster it is a ``cluster-op``; it is first applied to
  the CIB read from harmd with the same pure function a file session uses, so a mistake
  (unknown node, unknown resource) is reported here and nothing is sent.

An edit that changes nothing sends (or writes) nothing.
"""

from __future__ import annotations

import random
import socket as socketlib
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, Protocol, TypeVar

import click

from harm.cib.cib import Cib
from harm.cib.status import OcfRc
from harm.cib.store import load_cib, load_cib_or_empty, save_cib
from harm.cib.xml_export import cib_to_xml
from harm.cib.xml_import import parse_cib_xml
from harm.daemon.client import DEFAULT_SOCKET, request
from harm.errors import ControlError
from harm.operations import attributes, tickets
from harm.operations.attributes import Lifetime

R = TypeVar("R")

RETRIES = 3  # further read-modify-write rounds after "the configuration changed meanwhile"
CONFLICT = "the configuration changed meanwhile"
POLL_S = 0.1
DEFAULT_WAIT_S = 20.0
REQUEST_TIMEOUT_S = 5.0


# ----------------------------------------------------------------------------- operations


@dataclass(frozen=True)
class AttributeOp:
    """Set (``value``) or delete (``value`` None) a node attribute; ``delay_ms`` dampens."""

    node: str
    name: str
    value: str | None
    lifetime: Lifetime
    delay_ms: int = 0

    def fields(self) -> dict[str, Any]:
        return {"op": "attribute", "node": self.node, "name": self.name, "value": self.value,
                "lifetime": self.lifetime.value, "delay_ms": self.delay_ms}


@dataclass(frozen=True)
class CleanupOp:
    """Forget RSC's failures on NODE (or everywhere) so the cluster probes it again."""

    rsc: str
    node: str | None

    def fields(self) -> dict[str, Any]:
        return {"op": "cleanup", "rsc": self.rsc, "node": self.node}


@dataclass(frozen=True)
class FailOp:
    """Record a failed monitor of RSC on NODE (``crm_resource --fail``).

    ``rsc`` is what the operator named (a clone, a group or a primitive); ``primitive`` is
    the resource history the failure goes to (``r_pgsql``, or ``r_pgsql:1`` for an
    instance), which is what harmd's executor records it for.
    """

    rsc: str
    node: str
    primitive: str
    interval_ms: int
    rc: int = int(OcfRc.ERR_GENERIC)
    action: str = "monitor"

    def fields(self) -> dict[str, Any]:
        return {"op": "fail", "rsc": self.primitive, "node": self.node, "action": self.action,
                "interval_ms": self.interval_ms, "rc": self.rc}


@dataclass(frozen=True)
class TicketOp:
    """Grant, revoke, put on standby or activate a ticket (``crm_ticket``)."""

    ticket: str
    change: str  # grant | revoke | standby | activate

    def fields(self) -> dict[str, Any]:
        return {"op": "ticket", "ticket": self.ticket, "change": self.change}


ClusterOp = AttributeOp | CleanupOp | FailOp | TicketOp


def apply_op(cib: Cib, op: ClusterOp, now: int) -> Cib:
    """What ``op`` does to a CIB: the pure operations a file session writes and a cluster
    session checks before sending (they raise ConfigError for an unknown node/resource)."""
    if isinstance(op, AttributeOp):
        return attributes.update(cib, op.node, op.name, op.value, op.lifetime)
    if isinstance(op, TicketOp):
        return tickets.change(cib, op.ticket, op.change, now)
    from harm.operations import resources  # loads the engine: only when it is needed

    if isinstance(op, CleanupOp):
        return resources.cleanup(cib, op.rsc, op.node)[0]
    return resources.fail(cib, op.rsc, op.node, now)


def fail_op(cib: Cib, rsc: str, node: str, now: int) -> FailOp:
    """The failure ``harm resource fail RSC NODE`` records: the history and the monitor
    interval are the ones the pure operation picks for the role RSC has on NODE."""
    from harm.operations import resources

    after = resources.fail(cib, rsc, node, now)
    state = after.status.node(node)
    for history in state.resources if state is not None else ():
        for op in history.ops:
            if (op.transition_key or "").endswith(":harm-resource-fail") \
                    and op.last_run == now:
                return FailOp(rsc=rsc, node=node, primitive=history.id,
                              interval_ms=op.interval_ms, rc=int(op.rc))
    raise AssertionError(f"resources.fail recorded no failure of {rsc} on {node}")


# ----------------------------------------------------------------------------- sessions


@dataclass(frozen=True)
class Changed(Generic[R]):
    """The outcome of a configuration change: the CIB now, what the edit returned, and
    whether anything was written or sent."""

    cib: Cib
    value: R
    changed: bool


Edit = Callable[[Cib], tuple[Cib, R]]


class Session(Protocol):
    @property
    def live(self) -> bool:
        """True for the running cluster, False for a CIB file."""
        ...

    def describe(self) -> str: ...

    def read(self) -> Cib:
        """The CIB now (a file session with no file yet: an error)."""
        ...

    def read_or_empty(self) -> Cib:
        """The CIB now, or an empty one when a named file does not exist yet."""
        ...

    def change(self, edit: Edit[R], may_create: bool = False) -> Changed[R]:
        """Apply a configuration edit to the current CIB and store the result
        (``may_create``: a CIB file that does not exist yet starts empty)."""
        ...

    def run(self, op: ClusterOp) -> Cib:
        """Apply a status-side operation; returns the CIB it was checked against."""
        ...

    def query_attribute(self, node: str, name: str, lifetime: Lifetime) -> str | None: ...

    def wait_for(self, done: Callable[[Cib], bool], timeout_s: float) -> Cib:
        """Re-read the CIB until ``done`` holds for it; ControlError after ``timeout_s``."""
        ...


@dataclass(frozen=True)
class FileSession:
    """A CIB file: load, apply, save atomically (nothing is written when nothing changed)."""

    path: Path
    clock: Callable[[], float] = time.time

    @property
    def live(self) -> bool:
        return False

    def describe(self) -> str:
        return f"CIB file {self.path}"

    def read(self) -> Cib:
        return load_cib(self.path)

    def read_or_empty(self) -> Cib:
        return load_cib_or_empty(self.path)

    def change(self, edit: Edit[R], may_create: bool = False) -> Changed[R]:
        cib = load_cib_or_empty(self.path) if may_create else load_cib(self.path)
        updated, value = edit(cib)
        if updated is cib:
            return Changed(cib, value, changed=False)
        save_cib(self.path, updated)
        return Changed(updated, value, changed=True)

    def run(self, op: ClusterOp) -> Cib:
        cib = load_cib(self.path)
        updated = apply_op(cib, op, int(self.clock()))
        if updated is not cib:
            save_cib(self.path, updated)
        return cib

    def query_attribute(self, node: str, name: str, lifetime: Lifetime) -> str | None:
        return attributes.query(load_cib(self.path), node, name, lifetime)

    def wait_for(self, done: Callable[[Cib], bool], timeout_s: float) -> Cib:
        del done, timeout_s
        raise ControlError("waiting for the cluster needs a running cluster; "
                           "a CIB file has no processes")


def _quiet(_message: str) -> None:
    pass


def to_stderr(message: str) -> None:
    click.echo(message, err=True)


@dataclass(frozen=True)
class ClusterSession:
    """The running cluster, through the local harmd's control socket."""

    socket: Path
    wait_s: float = DEFAULT_WAIT_S
    clock: Callable[[], float] = time.time  # wall time, for what is recorded
    monotonic: Callable[[], float] = time.monotonic  # for deadlines
    sleep: Callable[[float], None] = time.sleep
    notice: Callable[[str], None] = _quiet  # one line for the operator (a retry)

    @property
    def live(self) -> bool:
        return True

    def describe(self) -> str:
        return f"harmd at {self.socket}"

    # -- requests

    def _request(self, kind: str, **fields: Any) -> Any:
        try:
            return request(self.socket, kind, timeout=REQUEST_TIMEOUT_S, **fields)
        except ControlError as error:
            self.check_running()
            text = str(error)  # harmd's own ControlError needs no second label
            if text.startswith("ControlError: "):
                raise ControlError(text.removeprefix("ControlError: ")) from None
            raise

    def check_running(self) -> None:
        """ControlError with the one-line advice when nothing listens on the socket."""
        problem = _socket_problem(self.socket)
        if problem is not None:
            raise ControlError(
                f"harmd is not running on this node ({problem}); "
                "name a CIB file with --cib FILE to work offline"
            )

    def _dict(self, kind: str, **fields: Any) -> Mapping[str, Any]:
        result = self._request(kind, **fields)
        if not isinstance(result, dict):
            raise ControlError(f"harmd sent no valid answer to {kind!r}")
        return result

    def _wait(self, request_id: Any) -> None:
        """Poll ``request-status`` until done; ControlError when it failed or took too long."""
        deadline = self.monotonic() + self.wait_s
        while True:
            status = self._dict("request-status", request=request_id)
            state = status.get("state")
            if state == "done":
                return
            if state == "failed":
                raise ControlError(str(status.get("message") or "the cluster refused it"))
            if state != "pending":
                raise ControlError(f"harmd answered request {request_id} with state {state!r}")
            if self.monotonic() >= deadline:
                raise ControlError(
                    f"the cluster did not finish request {request_id} within "
                    f"{self.wait_s:g} s (it may still be applied; check with 'harm status')"
                )
            self.sleep(POLL_S)

    def _submit(self, kind: str, **fields: Any) -> None:
        answer = self._dict(kind, **fields)
        if "request" not in answer:
            raise ControlError(f"harmd gave no request id for {kind!r}")
        self._wait(answer["request"])

    # -- the session

    def read(self) -> Cib:
        return self._read()[0]

    def _read(self) -> tuple[Cib, bool]:
        """The node's replica of the CIB, and whether a coordinator is known to apply
        changes to it."""
        answer = self._dict("cib")
        xml = answer.get("xml")
        if not isinstance(xml, str):
            raise ControlError("harmd sent no CIB")
        return parse_cib_xml(xml, f"harmd at {self.socket}"), answer.get("dc") is not None

    def _read_for_change(self) -> Cib:
        cib, coordinated = self._read()
        if not coordinated:
            self.notice("no coordinator is elected yet; the change waits for one "
                        f"(up to {self.wait_s:g} s)")
        return cib

    def read_or_empty(self) -> Cib:
        return self.read()

    def change(self, edit: Edit[R], may_create: bool = False) -> Changed[R]:
        del may_create  # the cluster always has a CIB
        for attempt in range(RETRIES + 1):
            cib = self._read_for_change()
            updated, value = edit(cib)
            if updated is cib or updated.configuration == cib.configuration:
                return Changed(cib, value, changed=False)
            try:
                self._submit("cib-commit", xml=cib_to_xml(updated), base=list(cib.version))
            except ControlError as error:
                if CONFLICT in str(error) and attempt < RETRIES:
                    self.notice(f"{CONFLICT}; reading it again and retrying "
                                f"({attempt + 2}/{RETRIES + 1})")
                    # let the other writer finish; the jitter keeps rivals from colliding again
                    self.sleep(random.uniform(0.5, 2.0) * POLL_S * (attempt + 1))
                    continue
                if CONFLICT in str(error):
                    raise ControlError(
                        f"{CONFLICT}, {RETRIES + 1} times in a row; nothing was changed"
                    ) from None
                raise
            return Changed(updated, value, changed=True)
        raise AssertionError("unreachable")  # pragma: no cover

    def run(self, op: ClusterOp) -> Cib:
        cib = self._read_for_change()
        apply_op(cib, op, int(self.clock()))  # the same checks a file session makes
        self._submit("cluster-op", **op.fields())
        return cib

    def query_attribute(self, node: str, name: str, lifetime: Lifetime) -> str | None:
        answer = self._dict("attribute-query", node=node, name=name, lifetime=lifetime.value)
        value = answer.get("value")
        if value is not None and not isinstance(value, str):
            raise ControlError("harmd sent an attribute value that is not text")
        return value

    def wait_for(self, done: Callable[[Cib], bool], timeout_s: float) -> Cib:
        deadline = self.monotonic() + timeout_s
        while True:
            cib = self.read()
            if done(cib):
                return cib
            if self.monotonic() >= deadline:
                raise ControlError(f"the cluster did not get there within {timeout_s:g} s")
            self.sleep(min(0.5, max(POLL_S, timeout_s / 20)))


def _socket_problem(path: Path) -> str | None:
    """Why nothing can talk to harmd at ``path`` (None: something listens there)."""
    if not path.exists():
        return f"no socket at {path}"
    with socketlib.socket(socketlib.AF_UNIX, socketlib.SOCK_STREAM) as probe:
        probe.settimeout(REQUEST_TIMEOUT_S)
        try:
            probe.connect(str(path))
        except (ConnectionRefusedError, FileNotFoundError):
            return f"nothing listens on {path}"
        except OSError as error:
            return f"cannot connect to {path}: {error.strerror or error}"
    return None


def open_session(cib_file: Path | None, socket: Path | None,
                 wait_s: float = DEFAULT_WAIT_S,
                 notice: Callable[[str], None] = to_stderr) -> Session:
    """A file session when a CIB file is named, else the cluster behind the socket
    (``notice`` gets the lines worth telling the operator, such as a retry)."""
    if cib_file is not None:
        return FileSession(cib_file)
    return ClusterSession(socket if socket is not None else DEFAULT_SOCKET, wait_s=wait_s,
                          notice=notice)


def require_live(session: Session, what: str) -> ClusterSession:
    """The cluster session, or a ControlError saying that ``what`` needs one."""
    if isinstance(session, ClusterSession):
        return session
    raise ControlError(f"{what} needs a running cluster; a CIB file has no processes")
