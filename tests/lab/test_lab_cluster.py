"""A real three-node lab with two links: real UDP in namespaces, real ``ip``, real harmd."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from harm.daemon.client import request
from harm.lab import faults, lab, netns
from harm.lab.spec import LabSpec

pytestmark = [
    pytest.mark.netns,
    pytest.mark.slow,
    pytest.mark.skipif(os.geteuid() != 0, reason="network namespaces need root"),
]

DEADTIME_S = 2.0
NODES = ("A", "B", "C")


def status(spec: LabSpec, node: str) -> dict[str, Any]:
    result = request(spec.node_dir(node) / "harmd.sock", "status", timeout=2.0)
    assert isinstance(result, dict)
    return result


def wait_for(condition: Callable[[], bool], timeout_s: float) -> float:
    """Seconds until ``condition()`` held; fails the test after ``timeout_s``."""
    start = time.monotonic()
    while not condition():
        if time.monotonic() - start > timeout_s:
            pytest.fail(f"condition not met within {timeout_s}s")
        time.sleep(0.05)
    return time.monotonic() - start


def members(spec: LabSpec, node: str) -> set[str]:
    return set(status(spec, node)["view"]["members"])


def all_agree(spec: LabSpec) -> bool:
    return all(members(spec, n) == set(NODES) for n in NODES)


@pytest.fixture(scope="module")
def spec() -> Iterator[LabSpec]:
    name = f"t{os.getpid() % 1_000_000}"
    lab.down(name)
    built = lab.up(LabSpec(name, NODES, links=2, keepalive="200ms", deadtime="2s",
                           warntime="1s", initdead="4s"))
    try:
        lab.wait_sockets(built, list(NODES))
        yield built
    finally:
        lab.down(name)
        assert not netns.lab_namespaces(f"{name}-")
        assert not built.run_dir.exists()


@pytest.fixture()
def healed(spec: LabSpec) -> Iterator[LabSpec]:
    wait_for(lambda: all_agree(spec), 10)
    try:
        yield spec
    finally:
        faults.heal(spec)
        wait_for(lambda: all_agree(spec), 10)


def test_three_nodes_agree_and_are_quorate(healed: LabSpec) -> None:
    for node in NODES:
        st = status(healed, node)
        assert st["view"]["quorate"]
        assert all(v == "up" for v in st["attributes"].values())
        assert len(st["attributes"]) == 4


def test_cutting_eth1_marks_the_link_dead_and_keeps_the_member(healed: LabSpec) -> None:
    faults.fail(healed, "C", "link=eth1")
    took = wait_for(
        lambda: all(status(healed, n)["attributes"]["C-eth1"] == "dead" for n in ("A", "B")),
        DEADTIME_S + 3,
    )
    assert took <= DEADTIME_S + 1
    for node in ("A", "B"):
        st = status(healed, node)
        assert "C" in st["view"]["members"] and st["attributes"]["C-eth0"] == "up"
    faults.heal(healed, "C")
    wait_for(lambda: status(healed, "A")["attributes"]["C-eth1"] == "up", 5)


def test_cutting_every_link_removes_the_node_and_healing_brings_it_back(
    healed: LabSpec,
) -> None:
    faults.fail(healed, "C", "link=eth0")
    faults.fail(healed, "C", "link=eth1")
    took = wait_for(lambda: all("C" not in members(healed, n) for n in ("A", "B")),
                    DEADTIME_S + 3)
    assert took <= DEADTIME_S + 1
    assert status(healed, "A")["view"]["quorate"]
    faults.heal(healed, "C")
    wait_for(lambda: all_agree(healed), 5)


def test_partition_two_one_keeps_quorum_only_with_the_two(healed: LabSpec) -> None:
    faults.fail(healed, "A", "partition=A,B")
    wait_for(lambda: members(healed, "A") == members(healed, "B") == {"A", "B"}
             and members(healed, "C") == {"C"}, DEADTIME_S + 3)
    assert status(healed, "A")["view"]["quorate"]
    assert status(healed, "B")["view"]["quorate"]
    assert not status(healed, "C")["view"]["quorate"]
    faults.heal(healed)
    wait_for(lambda: all_agree(healed), 5)
    assert all(status(healed, n)["view"]["quorate"] for n in NODES)


def test_killed_harmd_is_removed_and_a_restart_rejoins(healed: LabSpec) -> None:
    old = status(healed, "B")["generation"]
    faults.fail(healed, "B", "harmd")
    wait_for(lambda: "B" not in members(healed, "A"), DEADTIME_S + 3)
    faults.heal(healed, "B")
    wait_for(lambda: all_agree(healed), 5)
    assert status(healed, "B")["generation"] > old


def test_messages_are_delivered_in_order_over_the_surviving_link(healed: LabSpec) -> None:
    faults.fail(healed, "B", "link=eth0")
    sock = healed.node_dir("A") / "harmd.sock"
    for i in range(30):
        request(sock, "send", body=f"msg-{i}")
    request(sock, "send", body="just-for-c", dest="C")

    def bodies(node: str) -> list[str]:
        got = request(healed.node_dir(node) / "harmd.sock", "messages")
        return [m["body"] for m in got if m["sender"] == "A"]

    expected = [f"msg-{i}" for i in range(30)]
    wait_for(lambda: bodies("B") == expected and bodies("C")[-1:] == ["just-for-c"], 5)
    assert bodies("C") == [*expected, "just-for-c"]


def test_strangers_replays_and_garbage_are_counted_and_harmless(healed: LabSpec) -> None:
    before = status(healed, "A")
    rogue = Path(__file__).with_name("rogue.py")
    done = subprocess.run(
        ["ip", "netns", "exec", healed.gateway_ns, sys.executable, str(rogue),
         healed.name, "B", "20"],
        capture_output=True, text=True, timeout=60, check=False,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["replayed"] == 20
    time.sleep(0.5)
    after = status(healed, "A")
    dropped_before = before["counters"]["dropped"]
    dropped = after["counters"]["dropped"]

    def grew(*reasons: str) -> int:
        return sum(dropped.get(r, 0) - dropped_before.get(r, 0) for r in reasons)

    assert grew("bad-mac") >= 20
    assert grew("garbage", "truncated", "bad-version", "unknown-key", "malformed") >= 19
    assert grew("replay", "too-old") >= 12  # our own captured packets are not counted
    assert after["generation"] == before["generation"]  # the same harmd, still running
    assert set(after["view"]["members"]) == set(NODES)
    assert lab.harmd_pid(healed, "A") is not None


def test_failed_node_is_removed_and_heal_restarts_it(healed: LabSpec) -> None:
    old = status(healed, "C")["generation"]
    faults.fail(healed, "C", "node")
    assert lab.harmd_pid(healed, "C") is None
    assert netns.pids(healed.node_ns("C")) == []
    took = wait_for(lambda: all("C" not in members(healed, n) for n in ("A", "B")),
                    DEADTIME_S + 3)
    assert took <= DEADTIME_S + 1
    faults.heal(healed, "C")
    wait_for(lambda: all_agree(healed), 5)
    assert status(healed, "C")["generation"] > old
