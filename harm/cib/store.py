"""harm's CIB file on disk: Pacemaker CIB XML, replaced atomically.

A save never leaves a half-written file behind, whatever happens during it:

1. the CIB is serialized in memory first (a model that cannot be written fails here,
   before the disk is touched);
2. the text goes to a new temporary file in the same directory, mode 0600, which is
   flushed and fsync'ed;
3. the temporary file is renamed over the CIB file (atomic within one file system);
4. the directory is fsync'ed, so the rename itself survives a crash.

Any failure removes the temporary file and leaves the old CIB file byte for byte as it
was. Readers therefore always see either the old or the new CIB, complete.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from harm.cib.cib import Cib
from harm.cib.xml_export import cib_to_xml
from harm.cib.xml_import import parse_cib_xml
from harm.errors import CibStoreError

__all__ = ["CIB_FILE_MODE", "load_cib", "load_cib_or_empty", "save_cib"]

CIB_FILE_MODE = 0o600

StrPath = str | os.PathLike[str]


def load_cib(path: StrPath) -> Cib:
    """Read the CIB file at ``path``.

    Raises CibStoreError when it cannot be read, CibFormatError when it is not a CIB.
    """
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise CibStoreError(f"cannot read the CIB file {os.fspath(path)}: {_reason(exc)}") from None
    return parse_cib_xml(data, os.fspath(path))


def load_cib_or_empty(path: StrPath) -> Cib:
    """Read the CIB file at ``path``, or an empty CIB when there is no such file yet.

    A file that exists but cannot be read or parsed is an error, never an empty CIB.
    """
    if not os.path.lexists(path):
        return Cib()
    return load_cib(path)


def save_cib(path: StrPath, cib: Cib) -> None:
    """Replace the CIB file at ``path`` with ``cib``, atomically, with mode 0600.

    Raises CibStoreError when the disk refuses (the old file is then unchanged), and
    CibFormatError when the model itself cannot be written as XML.
    """
    save_cib_xml(path, cib_to_xml(cib))


def save_cib_xml(path: StrPath, xml: str) -> None:
    """:func:`save_cib` for a CIB already serialised (harmd has the text at hand: it
    sends or received it), so it is not serialised a second time."""
    data = xml.encode("utf-8")
    target = Path(path)
    directory = target.parent
    try:
        fd, temp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp",
                                         dir=directory)
    except OSError as exc:
        raise CibStoreError(
            f"cannot create a file next to {target} to save the CIB: {_reason(exc)}"
        ) from None
    try:
        try:
            os.fchmod(fd, CIB_FILE_MODE)
            _write_all(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(temp_name, target)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(temp_name)
        raise CibStoreError(f"cannot save the CIB to {target}: {_reason(exc)}") from None
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp_name)
        raise
    _fsync_directory(directory)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def _fsync_directory(directory: Path) -> None:
    """Make the rename durable. The new file is in place already, so a failure here is
    reported as an error but cannot bring the old file back."""
    try:
        dir_fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    except OSError as exc:
        raise CibStoreError(f"cannot open {directory} to sync it: {_reason(exc)}") from None
    try:
        os.fsync(dir_fd)
    except OSError as exc:
        raise CibStoreError(f"cannot sync {directory}: {_reason(exc)}") from None
    finally:
        os.close(dir_fd)


def _reason(exc: OSError) -> str:
    return exc.strerror or str(exc)
