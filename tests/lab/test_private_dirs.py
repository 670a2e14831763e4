"""Private directories: each lab node has its own copy, in its own mount namespace."""

from __future__ import annotations

import json
import os
import pwd
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from harm.errors import LabError
from harm.lab import lab, mounts, netns
from harm.lab.spec import LabSpec, PrivateDir

as_root = pytest.mark.skipif(os.geteuid() != 0, reason="namespaces need root")
SHARED = Path("/var/lib/pgsql")


# ---------------------------------------------------------------- pure parts


@pytest.mark.parametrize(("text", "expected"), [
    ("/var/lib/pgsql", PrivateDir("/var/lib/pgsql", "")),
    ("/var/lib/pgsql/:postgres", PrivateDir("/var/lib/pgsql", "postgres")),
])
def test_private_dir_is_parsed(text: str, expected: PrivateDir) -> None:
    assert PrivateDir.parse(text) == expected


@pytest.mark.parametrize(("text", "message"), [
    ("var/lib/pgsql", "absolute"),
    ("/", "absolute"),
    ("//srv", "absolute"),
    ("/var/../etc", "normalised"),
    ("/proc/x", "off limits"),
    ("/var/lib/pgsql:no body", "not a user name"),
])
def test_bad_private_dirs_are_refused(text: str, message: str) -> None:
    with pytest.raises(LabError, match=message):
        PrivateDir.parse(text)


def test_nested_or_state_hiding_private_dirs_are_refused() -> None:
    with pytest.raises(LabError, match="inside another"):
        LabSpec("x", ("A",), private_dirs=("/srv", "/srv/data")).validate()
    with pytest.raises(LabError, match="lab's state"):
        LabSpec("x", ("A",), private_dirs=("/run",)).validate()
    spec = LabSpec("x", ("A",), private_dirs=("/var/lib/pgsql:postgres",)).validate()
    expected = Path("/run/harm-lab/x/A/private/var/lib/pgsql")
    assert spec.private_source("A", "/var/lib/pgsql") == expected


def test_older_spec_files_have_no_private_dirs() -> None:
    spec = LabSpec("x", ("A", "B"))
    data = json.loads(spec.to_json())
    del data["private_dirs"]
    text = json.dumps(data)
    assert LabSpec.from_json(text) == spec
    with_dirs = LabSpec("x", ("A",), private_dirs=("/srv:postgres",))
    assert LabSpec.from_json(with_dirs.to_json()) == with_dirs


def test_the_gateway_address_can_be_chosen() -> None:
    assert LabSpec("x", ("A",)).gateway_address() == "192.168.10.254/24"
    spec = LabSpec("x", ("A", "B"), gateway="192.168.10.100").validate()
    assert spec.gateway_address() == "192.168.10.100/24"
    assert LabSpec.from_json(spec.to_json()) == spec
    for bad, message in (("192.168.11.5", "not a host address"), ("192.168.10.2", "node's"),
                         ("192.168.10.255", "not a host address"), ("gw", "gateway 'gw'")):
        with pytest.raises(LabError, match=message):
            LabSpec("x", ("A", "B"), gateway=bad).validate()


def test_mountinfo_escapes_are_read() -> None:
    info = ("27 1 254:0 / / rw - ext4 /dev/vda rw\n"
            "90 27 254:0 /x /run/harm-lab/a\\040b rw - ext4 /dev/vda rw\n"
            "91 90 0:4 mnt:[1] /run/harm-lab/a\\040b/A/mntns rw - nsfs nsfs rw\n"
            "92 27 254:0 /y /run/harm-lab/ab rw - ext4 /dev/vda rw\n")
    assert mounts.mounts_under(Path("/run/harm-lab/a b"), info) == [
        "/run/harm-lab/a b", "/run/harm-lab/a b/A/mntns"]


# ---------------------------------------------------------------- real namespaces


def harm(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "harm.cli.main", *args], capture_output=True,
                          text=True, timeout=120, check=False)


def listing(path: Path) -> list[str] | None:
    return sorted(os.listdir(path)) if path.is_dir() else None


@pytest.fixture()
def name() -> Iterator[str]:
    lab_name = f"pd{os.getpid() % 100_000}"
    lab.down(lab_name)
    try:
        yield lab_name
    finally:
        lab.down(lab_name)
        assert not mounts.mounts_under(Path("/run/harm-lab") / lab_name)


@pytest.mark.netns
@as_root
def test_each_node_sees_only_its_own_directory(name: str) -> None:
    before = listing(SHARED)
    done = harm("lab", "up", "--lab", name, "--nodes", "A,B", "--links", "1",
                "--private-dir", f"{SHARED}:postgres", "--private-dir", "/var/run/postgresql")
    assert done.returncode == 0, done.stderr
    spec = lab.load(name)
    for node in ("A", "B"):
        done = harm("lab", "exec", "--lab", name, node, "--",
                    "sh", "-c", f"echo {node} > {SHARED}/written-by-{node}")
        assert done.returncode == 0, done.stderr
    for node, other in (("A", "B"), ("B", "A")):
        done = harm("lab", "exec", "--lab", name, node, "--", "ls", "-A", str(SHARED))
        assert done.stdout.split() == [f"written-by-{node}"], done.stderr
        seen = spec.private_source(node, str(SHARED))
        assert (seen / f"written-by-{node}").read_text() == f"{node}\n"
        assert not (seen / f"written-by-{other}").exists()
        assert seen.stat().st_uid == pwd.getpwnam("postgres").pw_uid
        # harmd runs there too: its view of the file system is the node's
        pid = lab.harmd_pid(spec, node)
        assert pid is not None
        assert os.listdir(f"/proc/{pid}/root{SHARED}") == [f"written-by-{node}"]
        # the socket directory keeps the main namespace's owner and mode
        run_pg = spec.private_source(node, "/var/run/postgresql").stat()
        main_pg = Path("/var/run/postgresql").stat()
        assert (run_pg.st_uid, run_pg.st_mode) == (main_pg.st_uid, main_pg.st_mode)
        # only the node's own network namespace file is mounted in its mount namespace
        done = harm("lab", "exec", "--lab", name, node, "--", "findmnt", "-rn", "-o", "TARGET")
        netns_files = [m for m in done.stdout.split() if m.startswith("/run/netns/")]
        assert netns_files == [f"/run/netns/{spec.node_ns(node)}"]
    # the main namespace's directory did not change
    assert listing(SHARED) in (before, [])
    assert not any(f.startswith("written-by") for f in listing(SHARED) or [])
    done = harm("lab", "down", "--lab", name)
    assert done.returncode == 0, done.stderr
    assert not mounts.mounts_under(spec.run_dir)
    assert not netns.lab_namespaces(spec.prefix)
    assert not spec.run_dir.exists()


@pytest.mark.netns
@as_root
def test_down_after_a_crash_unmounts_the_namespaces(name: str) -> None:
    spec = lab.up(LabSpec(name, ("A", "B"), links=1, private_dirs=(str(SHARED),)),
                  start=False)
    assert len(mounts.mounts_under(spec.run_dir)) == 3  # the run dir and two namespaces
    # a crash: the lab's description and pid files are gone, its mounts are not
    (spec.run_dir / "lab.json").unlink()
    with pytest.raises(LabError, match="no lab named"):
        lab.load(name)
    removed = lab.down(name)
    assert str(spec.mount_ns_file("A")) in removed
    assert not mounts.mounts_under(spec.run_dir)
    assert not netns.lab_namespaces(spec.prefix)
    assert not spec.run_dir.exists()
