"""harm_mon -1 against a real lab cluster (two harmd in network namespaces): the CIB the DC
keeps, with the heartbeat link attributes, then a link failure and a dead node as the lab
injects them."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from harm.mon.membership import cib_from_membership
from harm.mon.options import MonOptions
from harm.mon.snapshot import take_snapshot
from harm.mon.text import render_text

BIN = Path(sys.executable).parent
RUN_ROOT = Path("/run/harm-lab")
WAIT_S = 30.0


def harm(*args: str) -> str:
    done = subprocess.run([str(BIN / "harm"), *args], capture_output=True, text=True,
                          timeout=180, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def harm_mon(sock: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(BIN / "harm_mon"), "--socket", str(sock), *args],
                          capture_output=True, text=True, timeout=60, check=False)


def wait_for(sock: Path, what: Callable[[str], bool], label: str) -> str:
    deadline = time.monotonic() + WAIT_S
    out = ""
    while time.monotonic() < deadline:
        out = harm_mon(sock, "-1", "-A").stdout
        if what(out):
            return out
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {label}; harm_mon printed:\n{out}")


@pytest.fixture
def lab() -> Iterator[str]:
    if os.geteuid() != 0:
        pytest.fail("the lab needs root (network namespaces)")
    name = f"hmon{os.getpid() % 100000}"
    try:
        harm("lab", "up", "--nodes", "osspc30,osspc31", "--name", name)
        yield name
    finally:
        subprocess.run([str(BIN / "harm"), "lab", "down", "--name", name],
                       capture_output=True, timeout=120, check=False)


@pytest.mark.netns
@pytest.mark.slow
def test_harm_mon_on_a_lab_shows_links_and_injected_failures(lab: str) -> None:
    sock = RUN_ROOT / lab / "osspc30" / "harmd.sock"
    out = wait_for(sock, lambda o: "osspc31-eth1" in o and "Online: [ osspc30 osspc31 ]" in o,
                   "both nodes and their links")
    assert "  * Stack: harm\n" in out
    assert "  * Current DC: osspc30 (version harm-" in out  # the CIB harmd's DC keeps
    assert " - partition with quorum\n" in out
    assert "    * osspc31-eth0                    \t: up        \n" in out

    harm("lab", "fail", "osspc31", "link=eth1", "--name", lab)
    out = wait_for(sock, lambda o: "osspc31-eth1                    \t: dead" in o,
                   "the dead link")
    assert "    * osspc31-eth0                    \t: up        \n" in out
    assert "Online: [ osspc30 osspc31 ]" in out

    harm("lab", "fail", "osspc31", "harmd", "--name", lab)
    out = wait_for(sock, lambda o: "OFFLINE: [ osspc31 ]" in o, "the dead node")
    assert "osspc31-eth0                    \t: dead" in out
    simple = harm_mon(sock, "-s")
    assert simple.returncode == 1 and "offline node: osspc31" in simple.stdout


def test_membership_status_becomes_a_cib() -> None:
    status = {
        "node": "osspc30", "cluster": "harm", "view": {"id": 3, "members": ["osspc30"],
                                                       "quorate": False},
        "peers": {"osspc31": {"alive": False, "links": {"eth0": "dead", "eth1": "dead"}}},
        "attributes": {"osspc31-eth1": "dead", "osspc31-eth0": "dead"},
    }
    text = render_text(take_snapshot(cib_from_membership(status), 0),
                       MonOptions(attributes=True))
    assert "  * Current DC: NONE - partition WITHOUT quorum\n" in text
    assert "  * Online: [ osspc30 ]\n  * OFFLINE: [ osspc31 ]\n" in text
    assert ("  * Node: osspc30:\n    * osspc31-eth0                    \t: dead      \n"
            "    * osspc31-eth1                    \t: dead      \n") in text


def test_membership_status_of_the_wrong_shape() -> None:
    from harm.errors import CibFormatError

    with pytest.raises(CibFormatError, match="unexpected membership status"):
        cib_from_membership({"node": "a"})
