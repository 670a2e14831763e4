"""What every tool shares: where the cluster is, the local node, exit codes, errors.

    Access.from_environ()   CIB_file set → that file; else harmd at $HARM_SOCKET
    node attributes         get/set/delete, through harmd's attribute requests (cheap:
                            no CIB is parsed) or on the file
    the CIB                 read (harmd's ``cib`` request or the file), and configuration
                            changes through :mod:`harm.cli.session` (read, edit, commit)

A tool reports a failure by raising :class:`ToolError` with Pacemaker's exit code; its
``run`` wrapper prints ``PROGRAM: message`` on stderr and exits with the code.
"""

from __future__ import annotations

import enum
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from harm.errors import AgentError, ControlError, HarmError
from harm.ocf.attributes import HarmSocketStore, Lifetime
from harm.pcmktools.options import UsageError

if TYPE_CHECKING:
    from harm.cib.cib import Cib


class Exit(enum.IntEnum):
    """Pacemaker's exit codes (``crm_exit_t``) the tools use."""

    OK = 0
    ERROR = 1
    USAGE = 64
    DATAERR = 65
    UNAVAILABLE = 69
    PROTOCOL = 76
    NOT_CONNECTED = 102
    NOSUCH = 105


class ToolError(Exception):
    def __init__(self, code: Exit, message: str) -> None:
        self.code = code
        super().__init__(message)


def no_such(message: str = "Error performing operation: No such device or address"
            ) -> ToolError:
    return ToolError(Exit.NOSUCH, message)


@dataclass(frozen=True)
class Access:
    """The cluster a tool works on: harmd's socket, or a CIB file (``CIB_file``)."""

    environ: Mapping[str, str]
    socket: Path
    cib_file: Path | None = None

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> Access:
        env = os.environ if environ is None else environ
        from harm.daemon.client import DEFAULT_SOCKET

        cib_file = env.get("CIB_file")
        return cls(env, Path(env.get("HARM_SOCKET") or DEFAULT_SOCKET),
                   Path(cib_file) if cib_file else None)

    # ---------------------------------------------------------------- the node

    def local_node(self) -> str:
        """This node: the agent's ``CRM_meta_on_node``, ``HA_NODENAME``, else the host name."""
        given = (self.environ.get("OCF_RESKEY_CRM_meta_on_node")
                 or self.environ.get("HA_NODENAME"))
        if given:
            return given
        import socket

        return socket.gethostname().split(".", 1)[0]

    # ---------------------------------------------------------------- node attributes

    def get_node_attribute(self, node: str, name: str, lifetime: Lifetime) -> str | None:
        if self.cib_file is not None:
            from harm.operations import attributes

            try:
                return attributes.query(self.cib(), node, name,
                                        attributes.Lifetime(lifetime.value))
            except HarmError:
                raise no_such(f"Could not map name={node} to a UUID") from None
        return self._store(lambda s: s.query(node, name, lifetime=lifetime))

    def set_node_attribute(self, node: str, name: str, value: str | None,
                           lifetime: Lifetime, delay_s: int = 0) -> None:
        if self.cib_file is not None:
            self._file_attribute(node, name, value, lifetime)
            return
        if value is None:
            self._store(lambda s: s.delete(node, name, delay_s=delay_s, lifetime=lifetime))
        else:
            self._store(lambda s: s.update(node, name, value, delay_s=delay_s,
                                           lifetime=lifetime))

    def _store(self, call: Callable[[HarmSocketStore], str | None]) -> str | None:
        try:
            return call(HarmSocketStore(self.socket))
        except AgentError as error:
            raise _unreachable(error) from None

    def _file_attribute(self, node: str, name: str, value: str | None,
                        lifetime: Lifetime) -> None:
        from harm.cli.session import AttributeOp, FileSession
        from harm.operations.attributes import Lifetime as CibLifetime

        try:
            FileSession(self._file()).run(
                AttributeOp(node, name, value, CibLifetime(lifetime.value)))
        except HarmError as error:
            raise ToolError(Exit.ERROR, f"Error performing operation: {error}") from None

    # ---------------------------------------------------------------- the CIB

    def _file(self) -> Path:
        assert self.cib_file is not None
        return self.cib_file

    def cib_xml(self) -> str:
        if self.cib_file is not None:
            try:
                return self.cib_file.read_text(encoding="utf-8")
            except OSError as error:
                raise ToolError(Exit.NOT_CONNECTED,
                                f"cannot read {self.cib_file}: {error.strerror}") from None
        answer = self.ask("cib")
        xml = answer.get("xml") if isinstance(answer, dict) else None
        if not isinstance(xml, str):
            raise ToolError(Exit.PROTOCOL, f"harmd at {self.socket} sent no CIB")
        return xml

    def cib(self) -> Cib:
        from harm.cib.xml_import import parse_cib_xml

        try:
            return parse_cib_xml(self.cib_xml(), str(self.cib_file or self.socket))
        except HarmError as error:
            raise ToolError(Exit.DATAERR, f"the CIB cannot be read: {error}") from None

    def ask(self, kind: str, **fields: object) -> object:
        """One request to harmd; ToolError 102 when it cannot be reached."""
        from harm.daemon.client import request

        try:
            return request(self.socket, kind, timeout=5.0, **fields)
        except ControlError as error:
            raise _unreachable(error) from None

    def change(self, edit: Callable[[Cib], Cib]) -> None:
        """A configuration change: read, ``edit``, commit (or write the file)."""
        from harm.cli.session import open_session

        session = open_session(self.cib_file, self.socket, notice=lambda _m: None)
        try:
            session.change(lambda cib: (edit(cib), None))
        except ControlError as error:
            raise _unreachable(error) from None
        except HarmError as error:
            raise ToolError(Exit.ERROR, f"Error performing operation: {error}") from None

    def quorate_and_dc(self) -> tuple[bool, str | None]:
        """Whether this node's partition has quorum, and the coordinator it knows."""
        if self.cib_file is not None:
            cib = self.cib()
            return cib.have_quorum, cib.dc_uuid
        answer = self.ask("cib")
        if not isinstance(answer, dict):
            raise ToolError(Exit.PROTOCOL, "harmd sent no valid answer")
        dc = answer.get("dc")
        return bool(answer.get("quorate")), dc if isinstance(dc, str) else None


def _unreachable(error: Exception) -> ToolError:
    text = str(error)
    if "connection refused" in text or "no such socket" in text or "not running" in text:
        return ToolError(Exit.NOT_CONNECTED, f"Could not connect to harmd: {text}")
    return ToolError(Exit.ERROR, f"Error performing operation: {text}")


def run(program: str, main: Callable[[Sequence[str], Access], int],
        argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None) -> int:
    """Run a tool's ``main``; print ``PROGRAM: message`` for its errors; the exit code."""
    words = list(sys.argv[1:] if argv is None else argv)
    try:
        return main(words, Access.from_environ(environ))
    except UsageError as error:
        print(f"{program}: {error}", file=sys.stderr)
        return int(Exit.USAGE)
    except ToolError as error:
        print(f"{program}: {error}", file=sys.stderr)
        return int(error.code)
