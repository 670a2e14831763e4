"""Where harm_mon's CIB comes from, behind one small interface.

A :class:`StatusSource` answers two questions: "has anything changed?" (cheap, asked
often) and "what is the CIB now?" (a :class:`Reading`: a CIB, or the reason there is
none). The live screen polls ``token()`` and re-reads only when it changes or the refresh
interval is up; when a read fails it keeps the last good CIB on screen under a banner, and
recovers as soon as a read succeeds again.

* :class:`FileSource` reads a CIB XML file (harm's own CIB file, or one saved by
  Pacemaker) — offline analysis, and the stand-in for the daemon in tests;
* :class:`DaemonSource` asks the local harmd over its control socket for the CIB as XML
  (request ``{"type": "cib"}``, answer ``{"xml": "<cib …>"}``); a harmd that does not
  know that request yet is asked for its membership ``status`` instead, which gives the
  nodes, quorum and heartbeat link attributes (:mod:`harm.mon.membership`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from harm.cib.cib import Cib
from harm.cib.xml_import import parse_cib_xml
from harm.errors import ControlError, HarmError

Token = tuple[object, ...] | None


@dataclass(frozen=True)
class Reading:
    """The outcome of one read: a CIB, or why there is none (never both)."""

    cib: Cib | None
    error: str | None = None
    notes: tuple[str, ...] = ()  # lines to show under the page (harmd's dropped inputs)
    witness: bool | None = None  # harmd has a witness configured (None: not known)

    @property
    def ok(self) -> bool:
        return self.cib is not None


class StatusSource(Protocol):
    @property
    def poll_s(self) -> float:
        """How often ``token()`` may be asked (seconds): cheap for a file, a request for
        harmd."""
        ...

    def describe(self) -> str:
        """A short name for banners (``file /var/lib/harm/cib.xml``)."""
        ...

    def token(self) -> Token:
        """Something that changes whenever the CIB may have changed (None: unavailable)."""
        ...

    def read(self) -> Reading:
        """The CIB now, or the reason it cannot be had. Never raises for I/O problems."""
        ...


@dataclass(frozen=True)
class FileSource:
    """A CIB XML file, re-read when its inode, size or modification time changes."""

    path: Path
    poll_s: float = 0.2

    def describe(self) -> str:
        return f"file {self.path}"

    def token(self) -> Token:
        try:
            info = os.stat(self.path)
        except OSError:
            return None
        return (info.st_ino, info.st_size, info.st_mtime_ns)

    def read(self) -> Reading:
        try:
            data = self.path.read_bytes()
        except FileNotFoundError:
            return Reading(None, f"{self.path}: no such file")
        except OSError as error:
            return Reading(None, f"{self.path}: {error.strerror or error}")
        try:
            return Reading(parse_cib_xml(data, str(self.path)))
        except HarmError as error:
            return Reading(None, str(error))


@dataclass(frozen=True)
class DaemonSource:
    """The local harmd, through its control socket."""

    socket: Path
    timeout: float = 2.0
    poll_s: float = 1.0

    def describe(self) -> str:
        return f"harmd at {self.socket}"

    def token(self) -> Token:
        reading = self._fetch()
        if reading.cib is None:
            return None
        return (reading.cib,)  # compared by value: any change in what is shown

    def read(self) -> Reading:
        return self._fetch()

    def _fetch(self) -> Reading:
        from harm.daemon.client import request
        from harm.mon.membership import cib_from_membership

        try:
            try:
                result = request(self.socket, "cib", timeout=self.timeout)
            except ControlError as error:
                if "unknown request 'cib'" not in str(error):
                    raise
                status = request(self.socket, "status", timeout=self.timeout)
                if not isinstance(status, dict):
                    return Reading(None, f"{self.socket}: harmd sent no status")
                return Reading(cib_from_membership(status, str(self.socket)))
            if not isinstance(result, dict) or not isinstance(result.get("xml"), str):
                return Reading(None, f"{self.socket}: harmd sent no CIB")
            witness = None
            try:
                quorum = request(self.socket, "quorum", timeout=self.timeout)
                if isinstance(quorum, dict):
                    witness = quorum.get("witness") is not None
            except ControlError:
                pass  # a harmd without the request: not known
            return Reading(parse_cib_xml(result["xml"], str(self.socket)),
                           notes=self._dropped_inputs(), witness=witness)
        except HarmError as error:
            return Reading(None, str(error))

    def _dropped_inputs(self) -> tuple[str, ...]:
        """``Dropped inputs: …`` when harmd dropped inputs that raised or were refused."""
        from harm.daemon.client import request

        try:
            status = request(self.socket, "status", timeout=self.timeout)
        except HarmError:
            return ()
        counts = status.get("inputs_dropped") if isinstance(status, dict) else None
        if not isinstance(counts, dict) or not counts:
            return ()
        return (dropped_inputs_line(counts),)


def dropped_inputs_line(counts: dict[str, object]) -> str:
    """One line for the operator: what harmd dropped, per kind of input."""
    return "Dropped inputs: " + ", ".join(f"{k}={v}" for k, v in sorted(counts.items()))
