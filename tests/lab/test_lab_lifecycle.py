"""Lab life cycle: two labs side by side, the CLI, and clean-up after a crash."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator

import pytest
from click.testing import CliRunner

from harm.cli.lab import command
from harm.daemon.client import request
from harm.lab import lab, netns
from harm.lab.spec import LabSpec

pytestmark = [
    pytest.mark.netns,
    pytest.mark.skipif(os.geteuid() != 0, reason="network namespaces need root"),
]


def main_namespace_links() -> set[str]:
    out = subprocess.run(["ip", "-o", "link", "show"], capture_output=True, text=True,
                         check=True).stdout
    return {line.split(":")[1].strip().split("@")[0] for line in out.splitlines()}


def main_namespace_addresses() -> str:
    return subprocess.run(["ip", "-o", "addr", "show"], capture_output=True, text=True,
                          check=True).stdout


@pytest.fixture()
def names() -> Iterator[tuple[str, str]]:
    base = os.getpid() % 100_000
    pair = (f"la{base}", f"lb{base}")
    try:
        yield pair
    finally:
        for name in pair:
            lab.down(name)


def test_two_labs_coexist_and_crash_leftovers_are_removed(names: tuple[str, str]) -> None:
    links_before = main_namespace_links()
    addresses_before = main_namespace_addresses()
    first = lab.up(LabSpec(names[0], ("A", "B"), links=1))
    second = lab.up(LabSpec(names[1], ("A", "B"), links=1))
    lab.wait_sockets(first, ["A", "B"])
    lab.wait_sockets(second, ["A", "B"])
    for spec in (first, second):
        deadline = time.monotonic() + 10
        while True:
            st = request(spec.node_dir("A") / "harmd.sock", "status")
            if st["view"]["members"] == ["A", "B"]:
                break
            assert time.monotonic() < deadline, st
            time.sleep(0.1)
        assert st["cluster"] == spec.name
        assert not st["counters"]["dropped"]  # same subnets, but the labs never meet
    assert main_namespace_links() == links_before
    assert main_namespace_addresses() == addresses_before
    pids = [lab.harmd_pid(first, n) for n in ("A", "B")]
    assert all(pids)
    # a crash: the lab's state directory is gone, its namespaces and processes are not
    shutil.rmtree(first.run_dir)
    removed = lab.down(names[0])
    assert f"{names[0]}-sw" in removed
    assert not netns.lab_namespaces(f"{names[0]}-")
    deadline = time.monotonic() + 5
    while any(netns.alive(p) for p in pids if p):
        assert time.monotonic() < deadline, "harmd outlived its lab"
        time.sleep(0.05)
    # the other lab did not notice
    assert request(second.node_dir("B") / "harmd.sock", "status")["view"]["members"] == ["A", "B"]
    lab.down(names[1])
    assert not netns.lab_namespaces(f"{names[1]}-")
    assert main_namespace_links() == links_before


def test_cli_up_status_exec_fail_heal_down(names: tuple[str, str]) -> None:
    runner = CliRunner()
    name = names[0]
    done = runner.invoke(command, ["up", "--name", name, "--nodes", "A,B", "--links", "2",
                                   "--subnet", "10.77.0.0/24", "--subnet", "10.78.0.0/24"])
    assert done.exit_code == 0, done.output
    spec = lab.load(name)
    assert spec.address("B", 1) == "10.78.0.2/24"
    out = subprocess.run(["ip", "netns", "exec", spec.node_ns("B"), "ip", "-br", "addr"],
                         capture_output=True, text=True, check=True).stdout
    assert "10.77.0.2/24" in out and "10.78.0.2/24" in out
    ping = subprocess.run(
        ["ip", "netns", "exec", spec.node_ns("A"), "ping", "-c", "1", "-W", "2", "10.77.0.254"],
        capture_output=True, text=True, check=False,
    )
    assert ping.returncode == 0, ping.stdout + ping.stderr
    done = runner.invoke(command, ["fail", "--name", name, "B", "link=eth1"])
    assert done.exit_code == 0 and "eth1 is down" in done.output
    done = runner.invoke(command, ["status", "--name", name])
    assert done.exit_code == 0
    row = next(line for line in done.output.splitlines() if line.startswith("B "))
    assert "down" in row
    done = runner.invoke(command, ["fail", "--name", name, "B", "link=eth7"])
    assert done.exit_code != 0 and "no link 'eth7'" in str(done.exception)
    done = runner.invoke(command, ["heal", "--name", name])
    assert done.exit_code == 0, done.output
    env_dump = subprocess.run(
        lab.exec_argv(spec, "B", ["sh", "-c", "echo $HA_RSCTMP $HARM_SOCKET"])[0],
        env=lab.exec_argv(spec, "B", ["true"])[1], capture_output=True, text=True, check=True,
    ).stdout.split()
    assert env_dump == [str(spec.node_dir("B") / "tmp"), str(spec.node_dir("B") / "harmd.sock")]
    done = runner.invoke(command, ["down", "--name", name])
    assert done.exit_code == 0 and "removed" in done.output
    assert not netns.lab_namespaces(f"{name}-")
