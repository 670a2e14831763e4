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

harmd's replica (:func:`persist_cib_xml`, :func:`load_persisted_cib`) also keeps, as
Pacemaker keeps ``cib-N.raw`` and its ``.sig``:

    cib.xml          the CIB                 cib.xml.sig       its SHA-256 (hex) and size
    cib.xml.last     the CIB saved before    cib.xml.last.sig  its SHA-256
    cib.xml.bad      the last file found unusable at start (kept for the operator)

A save moves the current file to ``.last`` only when it has the size its digest file
records (a cheap check: hashing the old file on every save would double the cost of saving
a large CIB), so a file cut short never replaces the last good one. At start the CIB is read from
``cib.xml`` if it is complete and matches its digest, else from ``cib.xml.last``, else
harmd starts with an empty CIB and takes the DC's copy when it joins; the notes say which.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from harm.cib.cib import Cib
from harm.cib.xml_export import cib_to_xml
from harm.cib.xml_import import parse_cib_xml
from harm.errors import CibError, CibStoreError

__all__ = ["CIB_FILE_MODE", "PersistedCib", "load_cib", "load_cib_or_empty",
           "load_persisted_cib", "persist_cib_xml", "save_cib", "save_cib_xml"]

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
    target = Path(path)
    _replace_file(target, xml.encode("utf-8"))
    # a digest left by harmd would no longer match: the file now stands on its own
    with contextlib.suppress(FileNotFoundError):
        os.unlink(_sig(target))
    _fsync_directory(target.parent)


# ----------------------------------------------------------------------------- harmd's replica


@dataclass(frozen=True)
class PersistedCib:
    """The CIB harmd starts with, where it came from, and what was wrong on the way."""

    cib: Cib
    origin: str  # "cib.xml", "cib.xml.last" or "empty"
    notes: tuple[str, ...] = ()


def _sig(path: Path) -> Path:
    return path.with_name(path.name + ".sig")


def _last(path: Path) -> Path:
    return path.with_name(path.name + ".last")


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def persist_cib_xml(path: StrPath, xml: str) -> None:
    """Save harmd's replica with its digest, keeping the previous good one as ``.last``.

    Raises CibStoreError when the disk refuses; the files already in place stay usable."""
    target = Path(path)
    data = xml.encode("utf-8")
    if os.path.exists(target) and _looks_whole(target):
        # the current file is whole: it becomes the last good one, with its digest
        _link_over(target, _last(target))
        if os.path.exists(_sig(target)):
            _link_over(_sig(target), _sig(_last(target)))
        else:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(_sig(_last(target)))
    _replace_file(target, data)
    _replace_file(_sig(target), f"{_digest(data)} {len(data)}\n".encode())
    _fsync_directory(target.parent)


def load_persisted_cib(path: StrPath) -> PersistedCib:
    """The CIB to start with: ``cib.xml``, else ``cib.xml.last``, else an empty one.

    Never raises for what is in the files: a missing, truncated, corrupt or mismatching
    file is a note, and an unusable ``cib.xml`` is kept as ``cib.xml.bad``."""
    target = Path(path)
    notes: list[str] = []
    if not os.path.lexists(target) and not os.path.lexists(_last(target)):
        return PersistedCib(Cib(), "empty")
    for candidate in (target, _last(target)):
        if not os.path.lexists(candidate):
            notes.append(f"{candidate} does not exist")
            continue
        problem = _check(candidate)
        if problem is None:
            try:
                cib = parse_cib_xml(candidate.read_bytes(), os.fspath(candidate))
            except (OSError, CibError) as exc:
                problem = str(exc)
            else:
                if candidate != target:
                    notes.append(f"using the last good CIB {candidate} "
                                 f"(version {'.'.join(map(str, cib.version))})")
                return PersistedCib(cib, candidate.name, tuple(notes))
        notes.append(f"{candidate} is unusable: {problem}")
        if candidate == target:
            _keep_bad(target, notes)
    notes.append("starting with an empty CIB; the DC's copy is taken on joining")
    return PersistedCib(Cib(), "empty", tuple(notes))


def _looks_whole(path: Path) -> bool:
    """The cheap check before a save (the full one runs at start): the file has the size
    its digest file records, or has no digest file. Hashing the old file on every save
    would double the cost of saving a large CIB."""
    try:
        fields = _sig(path).read_text(encoding="ascii").split()
        size = path.stat().st_size
    except FileNotFoundError:
        return os.path.exists(path)
    except (OSError, UnicodeDecodeError):
        return False
    return len(fields) >= 2 and fields[1].isdigit() and int(fields[1]) == size


def _check(path: Path) -> str | None:
    """None when ``path`` can be read and matches its digest (or has none, as files
    written before digests were kept); else what is wrong."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return "missing"
    except OSError as exc:
        return f"cannot be read: {_reason(exc)}"
    try:
        fields = _sig(path).read_text(encoding="ascii").split()
        recorded = fields[0] if fields else ""
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        return f"its digest cannot be read: {exc}"
    actual = _digest(data)
    if recorded != actual:
        return (f"its SHA-256 {actual[:12]}… does not match {_sig(path).name} "
                f"({recorded[:12]}…): cut short or changed on disk")
    return None


def _keep_bad(target: Path, notes: list[str]) -> None:
    bad = target.with_name(target.name + ".bad")
    try:
        os.replace(target, bad)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(_sig(target))
        notes.append(f"kept it as {bad}")
    except OSError as exc:
        notes.append(f"cannot move it aside to {bad}: {_reason(exc)}")


def _link_over(source: Path, dest: Path) -> None:
    """Make ``dest`` a second name of ``source``'s file (atomically replacing ``dest``)."""
    temp = dest.with_name(f".{dest.name}.{os.getpid()}.tmp")
    try:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)
        os.link(source, temp)
        os.replace(temp, dest)
    except FileNotFoundError:
        return
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise CibStoreError(f"cannot keep {source} as {dest}: {_reason(exc)}") from None


def _replace_file(target: Path, data: bytes) -> None:
    """Write ``data`` to a new file next to ``target`` (fsync'ed) and rename it over
    ``target``; the caller syncs the directory."""
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
