"""ping/pingd against hosts inside namespaces the test creates (never an outside address)."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from .netns import in_ns, ip, namespace

pytestmark = pytest.mark.netns

REPO = Path(__file__).resolve().parents[2]


@contextmanager
def two_hosts() -> Iterator[tuple[str, str]]:
    """ns ``here`` (10.97.0.1, fd00:97::1) wired to ns ``there`` (10.97.0.2, fd00:97::2)."""
    with namespace("harmt-here") as here, namespace("harmt-there") as there:
        ip("-n", here, "link", "add", "va", "type", "veth", "peer", "name", "vb",
           "netns", there)
        ip("-n", here, "addr", "add", "10.97.0.1/24", "dev", "va")
        ip("-n", there, "addr", "add", "10.97.0.2/24", "dev", "vb")
        ip("-n", here, "addr", "add", "fd00:97::1/64", "dev", "va", "nodad")
        ip("-n", there, "addr", "add", "fd00:97::2/64", "dev", "vb", "nodad")
        ip("-n", here, "link", "set", "va", "up")
        ip("-n", there, "link", "set", "vb", "up")
        yield here, there


def wait_reachable(ns: str, *hosts: str, seconds: float = 20.0) -> None:
    """Wait until every host answers one ping from ``ns`` (a link just came back up)."""
    deadline = time.monotonic() + seconds
    for host in hosts:
        while subprocess.run(["ip", "netns", "exec", ns, "ping", "-c", "1", "-W", "1", host],
                             capture_output=True, check=False).returncode != 0:
            if time.monotonic() > deadline:
                raise AssertionError(f"{host} did not answer from {ns} within {seconds} s")
            time.sleep(0.2)


def run(
    ns: str, agent: str, action: str, tmp: Path, **params: str
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OCF_")}
    env.update(
        {
            "OCF_RESOURCE_INSTANCE": "r_pingd:0",
            "OCF_RESKEY_CRM_meta_on_node": "n1",
            "HARM_ATTRIBUTE_DIR": str(tmp / "attrs"),
            "HA_RSCTMP": str(tmp / "rsc"),
        }
    )
    env.update({f"OCF_RESKEY_{k}": v for k, v in params.items()})
    return in_ns(ns, [str(REPO / "agents" / agent), action], env=env)


def attribute(tmp: Path, name: str) -> str | None:
    path = tmp / "attrs" / "reboot" / "n1" / name
    return path.read_text() if path.exists() else None


@pytest.mark.parametrize("agent", ["ping", "pingd"])
def test_value_is_reachable_hosts_times_multiplier(agent: str, tmp_path: Path) -> None:
    params = {
        "name": "default_ping_set",
        "multiplier": "100",
        "host_list": "10.97.0.2 fd00:97::2 10.97.0.3",
        "attempts": "2",
        "timeout": "1",
        "dampen": "2s",
    }
    with two_hosts() as (here, there):
        assert run(here, agent, "monitor", tmp_path, **params).returncode == 7
        started = run(here, agent, "start", tmp_path, **params)
        assert started.returncode == 0, started.stderr
        assert attribute(tmp_path, "default_ping_set") == "200"  # .3 does not exist
        ip("-n", there, "link", "set", "vb", "down")
        assert run(here, agent, "monitor", tmp_path, **params).returncode == 0
        assert attribute(tmp_path, "default_ping_set") == "0"
        failing = run(here, agent, "monitor", tmp_path, failure_score="100", **params)
        assert failing.returncode == 1
        assert "below failure_score" in failing.stderr
        ip("-n", there, "link", "set", "vb", "up")
        # a link going down flushes its IPv6 addresses (keep_addr_on_down=0): put it back
        ip("-n", there, "addr", "replace", "fd00:97::2/64", "dev", "vb", "nodad")
        wait_reachable(here, "10.97.0.2", "fd00:97::2")
        assert run(here, agent, "monitor", tmp_path, **params).returncode == 0
        assert attribute(tmp_path, "default_ping_set") == "200"
        assert run(here, agent, "stop", tmp_path, **params).returncode == 0
        assert attribute(tmp_path, "default_ping_set") is None
        assert run(here, agent, "stop", tmp_path, **params).returncode == 0
        assert run(here, agent, "monitor", tmp_path, **params).returncode == 7


def test_configuration_errors(tmp_path: Path) -> None:
    with namespace() as ns:
        assert run(ns, "ping", "start", tmp_path).returncode == 6  # no host_list
        assert run(ns, "ping", "start", tmp_path, host_list="-f").returncode == 6
        assert run(ns, "ping", "start", tmp_path, host_list="10.97.0.2",
                   dampen="soon").returncode == 6


def test_ocf_tester_passes_in_the_namespace(tmp_path: Path) -> None:
    with two_hosts() as (here, _there):
        env = {k: v for k, v in os.environ.items() if not k.startswith("OCF_")}
        env.update({"HARM_ATTRIBUTE_DIR": str(tmp_path / "attrs"),
                    "HA_RSCTMP": str(tmp_path / "rsc")})
        argv = ["ocf-tester", "-n", "r_ping", "-o", "host_list=10.97.0.2", "-o",
                "attempts=1", "-o", "timeout=1", str(REPO / "agents" / "ping")]
        done = in_ns(here, argv, env=env, timeout=300)
        assert done.returncode == 0, done.stdout + done.stderr
        assert "passed all tests" in done.stdout
