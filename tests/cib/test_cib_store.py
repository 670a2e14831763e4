"""harm's CIB file: atomic saves that never leave a half-written or changed file on failure."""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import stat
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from harm.cib.cib import Cib
from harm.cib.config import AgentRef, Configuration, NvSet, Primitive
from harm.cib.store import (
    PersistedCib,
    load_cib,
    load_cib_or_empty,
    load_persisted_cib,
    persist_cib_xml,
    save_cib,
)
from harm.cib.xml_export import cib_to_xml
from harm.cib.xml_import import parse_cib_xml
from harm.errors import CibFormatError, CibStoreError

REPO_ROOT = Path(__file__).resolve().parents[2]


def small_cib(epoch: int = 1) -> Cib:
    config = Configuration(
        crm_config=(NvSet("cib-bootstrap-options", (("stonith-enabled", "false"),)),),
        resources=(Primitive("vip", AgentRef("ocf", "heartbeat", "IPaddr2"),
                             params=(NvSet("vip-params", (("ip", "10.0.0.1"),)),)),),
    )
    return Cib(configuration=config, epoch=epoch)


def big_cib(resources: int = 400) -> Cib:
    config = Configuration(resources=tuple(
        Primitive(f"rsc{i}", AgentRef("ocf", "pacemaker", "Dummy"),
                  params=(NvSet(f"rsc{i}-params", (("fake", "x" * 40),)),))
        for i in range(resources)
    ))
    return Cib(configuration=config, epoch=2)


def test_save_then_load_round_trips(tmp_path: Path) -> None:
    path = tmp_path / "cib.xml"
    save_cib(path, small_cib())
    assert load_cib(path) == small_cib()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert sorted(os.listdir(tmp_path)) == ["cib.xml"]


def test_the_file_is_pacemaker_xml(tmp_path: Path, corpus_dir: Path) -> None:
    original = parse_cib_xml((corpus_dir / "xml" / "bug-lf-2613.xml").read_bytes())
    path = tmp_path / "cib.xml"
    save_cib(path, original)
    assert path.read_text().startswith("<cib ")
    assert load_cib(path) == original


def test_save_replaces_and_resets_the_mode(tmp_path: Path) -> None:
    path = tmp_path / "cib.xml"
    path.write_text("old")
    path.chmod(0o644)
    save_cib(path, small_cib(epoch=9))
    assert load_cib(path).epoch == 9
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_load_or_empty(tmp_path: Path) -> None:
    assert load_cib_or_empty(tmp_path / "missing.xml") == Cib()
    corrupt = tmp_path / "corrupt.xml"
    corrupt.write_text("<cib><configuration>")
    with pytest.raises(CibFormatError):
        load_cib_or_empty(corrupt)  # a damaged file is an error, never an empty CIB


def test_load_missing_file_is_a_store_error(tmp_path: Path) -> None:
    with pytest.raises(CibStoreError, match=r"cannot read the CIB file .*missing\.xml"):
        load_cib(tmp_path / "missing.xml")


@pytest.fixture
def saved() -> Iterator[tuple[Path, bytes]]:
    """A directory holding one saved CIB file, and that file's bytes (removed afterwards)."""
    directory = Path(tempfile.mkdtemp(prefix="harm-cibstore-"))
    try:
        path = directory / "cib.xml"
        save_cib(path, small_cib())
        yield path, path.read_bytes()
    finally:
        shutil.rmtree(directory)


def test_serializer_failure_leaves_the_old_file(saved: tuple[Path, bytes]) -> None:
    path, before = saved
    broken = Cib(configuration=Configuration(extra_sections=(("configuration", "<tags>"),)))
    with pytest.raises(CibFormatError, match="raw section kept for configuration"):
        save_cib(path, broken)
    assert path.read_bytes() == before
    assert sorted(os.listdir(path.parent)) == ["cib.xml"]


def run_save_elsewhere(path: Path, script: str) -> subprocess.CompletedProcess[str]:
    """Save ``big_cib()`` to ``path`` in a child process first prepared by ``script``."""
    code = (
        "import sys\n"
        f"{script}\n"
        "from harm.cib.store import save_cib\n"
        "from tests.cib.test_cib_store import big_cib\n"
        "from harm.errors import HarmError\n"
        "try:\n"
        f"    save_cib({str(path)!r}, big_cib())\n"
        "except HarmError as exc:\n"
        "    print(f'{type(exc).__name__}: {exc}')\n"
        "    sys.exit(3)\n"
    )
    return subprocess.run(
        [sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True,
        timeout=120, check=False,
    )


@contextlib.contextmanager
def unwritable(directory: Path) -> Iterator[None]:
    """No file can be created in ``directory``: root ignores modes, so root makes it
    immutable instead. Undone on the way out, whatever happens."""
    as_root = os.geteuid() == 0
    if as_root:
        result = subprocess.run(["chattr", "+i", str(directory)], capture_output=True,
                                text=True, check=False, timeout=30)
        if result.returncode != 0:
            pytest.fail(f"cannot make {directory} immutable: {result.stderr.strip()}")
    else:
        directory.chmod(0o555)
    try:
        yield
    finally:
        if as_root:
            subprocess.run(["chattr", "-i", str(directory)], check=True, timeout=30)
        else:
            directory.chmod(0o755)


def test_unwritable_directory_leaves_the_old_file(saved: tuple[Path, bytes]) -> None:
    path, before = saved
    with unwritable(path.parent), pytest.raises(CibStoreError) as info:
        save_cib(path, big_cib())
    assert str(info.value).startswith("cannot create a file next to")
    assert path.read_bytes() == before
    assert sorted(os.listdir(path.parent)) == ["cib.xml"]
    save_cib(path, big_cib())  # the same save succeeds once the directory is writable
    assert load_cib(path) == big_cib()


def test_disk_full_during_the_write_leaves_the_old_file(saved: tuple[Path, bytes]) -> None:
    """The write itself fails half-way (a file size limit stands in for a full disk)."""
    path, before = saved
    limit = 8192
    assert len(before) < limit
    script = f"import resource\nresource.setrlimit(resource.RLIMIT_FSIZE, ({limit}, {limit}))"
    result = run_save_elsewhere(path, script)
    assert result.returncode == 3, result.stderr
    assert result.stdout.startswith("CibStoreError: cannot save the CIB to")
    assert "too large" in result.stdout
    assert path.read_bytes() == before
    assert sorted(os.listdir(path.parent)) == ["cib.xml"]


@pytest.mark.slow
def test_a_large_cib_round_trips_through_the_file(tmp_path: Path) -> None:
    """32 nodes x 1000 resources, 33,000 history entries: nothing lost at scale."""
    from tests.cib.large_cib import build_large_cib

    cib = build_large_cib()
    path = tmp_path / "cib.xml"
    save_cib(path, cib)
    assert load_cib(path) == cib


# ---------------------------------------------------------------------- harmd's replica


def test_the_replica_keeps_its_digest_and_the_last_good_cib(tmp_path: Path) -> None:
    path = tmp_path / "cib.xml"
    persist_cib_xml(path, cib_to_xml(small_cib(1)))
    persist_cib_xml(path, cib_to_xml(small_cib(2)))
    assert (tmp_path / "cib.xml.sig").read_text().split() == [
        hashlib.sha256(path.read_bytes()).hexdigest(), str(path.stat().st_size)]
    assert load_cib(tmp_path / "cib.xml.last").epoch == 1
    loaded = load_persisted_cib(path)
    assert (loaded.cib.epoch, loaded.origin, loaded.notes) == (2, "cib.xml", ())


@pytest.mark.parametrize("damage", ["truncate", "zero", "flip", "empty", "garbage"])
def test_a_damaged_cib_falls_back_to_the_last_good_one(tmp_path: Path, damage: str) -> None:
    path = tmp_path / "cib.xml"
    persist_cib_xml(path, cib_to_xml(small_cib(1)))
    persist_cib_xml(path, cib_to_xml(small_cib(2)))
    data = path.read_bytes()
    path.write_bytes({
        "truncate": data[: len(data) // 2],
        "zero": b"\0" * len(data),
        "flip": data.replace(b'"10.0.0.1"', b'"10.0.0.9"'),  # still a CIB: the digest says
        "empty": b"",
        "garbage": b"\xff\xfe<<<",
    }[damage])
    loaded = load_persisted_cib(path)
    assert (loaded.cib.epoch, loaded.origin) == (1, "cib.xml.last")
    assert any("cib.xml is unusable" in note for note in loaded.notes), loaded.notes
    assert any("using the last good CIB" in note for note in loaded.notes), loaded.notes
    assert (tmp_path / "cib.xml.bad").exists() and not path.exists()
    # the next save does not make the bad file the "last good" one
    persist_cib_xml(path, cib_to_xml(small_cib(3)))
    assert load_cib(tmp_path / "cib.xml.last").epoch == 1
    assert load_persisted_cib(path).cib.epoch == 3


def test_nothing_usable_starts_empty_and_says_so(tmp_path: Path) -> None:
    path = tmp_path / "cib.xml"
    path.write_text("<cib epoch='4'><configuration>")  # cut short, no digest, no last
    loaded = load_persisted_cib(path)
    assert (loaded.cib, loaded.origin) == (Cib(), "empty")
    assert loaded.notes[-1] == "starting with an empty CIB; the DC's copy is taken on joining"
    assert load_persisted_cib(tmp_path / "none.xml") == PersistedCib(Cib(), "empty", ())


def test_a_cib_written_without_digest_is_read(tmp_path: Path) -> None:
    path = tmp_path / "cib.xml"
    persist_cib_xml(path, cib_to_xml(small_cib(1)))
    save_cib(path, small_cib(7))  # e.g. edited offline with the CLI: the stale digest goes
    assert not (tmp_path / "cib.xml.sig").exists()
    assert load_persisted_cib(path).cib.epoch == 7


def test_persisting_syncs_the_files_and_the_directory(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    synced: list[str] = []
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        synced.append("dir" if stat.S_ISDIR(os.fstat(fd).st_mode) else "file")
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    persist_cib_xml(tmp_path / "cib.xml", cib_to_xml(small_cib(1)))
    assert synced == ["file", "file", "dir"]  # the CIB, its digest, then the renames
