"""The harm attribute store against a real control socket.

A :class:`harm.daemon.control.ControlServer` listens on a temporary socket in a thread;
its handlers stand in for harmd's (record each request, answer as the protocol says), so
these tests check exactly what an agent sends and how it reads the answers. harmd's own
handlers are tested with the cluster.
"""

from __future__ import annotations

import os
import subprocess
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from harm.daemon.control import ControlServer
from harm.errors import AgentError, ControlError
from harm.ocf.attributes import DirectoryStore, HarmSocketStore, Lifetime, store_from_environ

REPO = Path(__file__).resolve().parents[2]
AGENTS = REPO / "agents"


@dataclass
class FakeHarmd:
    """What the control socket received, and the attribute values it answers queries with."""

    path: Path
    requests: list[dict[str, Any]] = field(default_factory=list)
    values: dict[tuple[str, str, str], str] = field(default_factory=dict)

    def of(self, kind: str) -> list[dict[str, Any]]:
        return [r for r in self.requests if r["type"] == kind]


def _serve(control: ControlServer, stop: threading.Event) -> None:
    while not stop.is_set():
        control.service(0.05)


@pytest.fixture()
def harmd(tmp_path: Path) -> Iterator[FakeHarmd]:
    path = tmp_path / "run" / "harmd.sock"
    control = ControlServer(path, allowed_uid=os.geteuid())
    fake = FakeHarmd(path)

    def cluster_op(request: Mapping[str, Any]) -> object:
        fake.requests.append(dict(request))
        if request.get("name") == "refused":
            raise ControlError("no coordinator yet")
        return {"request": f"n1:{len(fake.requests)}"}

    def attribute_query(request: Mapping[str, Any]) -> object:
        fake.requests.append(dict(request))
        if request.get("name") == "garbled":
            return ["not", "an", "answer"]
        key = (str(request["node"]), str(request["name"]), str(request["lifetime"]))
        return {"value": fake.values.get(key)}

    def request_status(request: Mapping[str, Any]) -> object:
        fake.requests.append(dict(request))
        return {"state": "done", "message": None}

    handlers: dict[str, Callable[[Mapping[str, Any]], object]] = {
        "cluster-op": cluster_op,
        "attribute-query": attribute_query,
        "request-status": request_status,
    }
    for name, handler in handlers.items():
        control.register(name, handler)
    stop = threading.Event()
    thread = threading.Thread(target=_serve, args=(control, stop), daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        stop.set()
        thread.join(10)
        control.close()


def op(node: str, name: str, value: str | None, lifetime: str, delay_ms: int) -> dict[str, Any]:
    return {
        "type": "cluster-op", "op": "attribute", "node": node, "name": name, "value": value,
        "lifetime": lifetime, "delay_ms": delay_ms,
    }


def test_update_sends_one_attribute_operation_and_does_not_wait(harmd: FakeHarmd) -> None:
    store = HarmSocketStore(harmd.path)
    store.update("n1", "pingd", "100", delay_s=5)
    store.update("n2", "site", "a", lifetime=Lifetime.FOREVER)
    assert harmd.requests == [
        op("n1", "pingd", "100", "reboot", 5000),
        op("n2", "site", "a", "forever", 0),
    ]
    assert harmd.of("request-status") == []


def test_delete_sends_null_for_each_lifetime_that_holds_a_value(harmd: FakeHarmd) -> None:
    store = HarmSocketStore(harmd.path)
    store.delete("n1", "pingd", delay_s=2)
    # no permanent value: deleting one would only change the configuration for nothing
    assert harmd.of("cluster-op") == [op("n1", "pingd", None, "reboot", 2000)]
    harmd.requests.clear()
    harmd.values[("n1", "site", "forever")] = "a"
    store.delete("n1", "site", delay_s=2)
    assert harmd.of("cluster-op") == [
        op("n1", "site", None, "reboot", 2000),
        op("n1", "site", None, "forever", 2000),
    ]
    harmd.requests.clear()
    store.delete("n1", "master-r", lifetime=Lifetime.REBOOT)
    store.delete("n1", "other", lifetime=Lifetime.FOREVER)
    assert harmd.requests == [
        op("n1", "master-r", None, "reboot", 0),
        op("n1", "other", None, "forever", 0),
    ]


def test_query_asks_transient_then_permanent(harmd: FakeHarmd) -> None:
    store = HarmSocketStore(harmd.path)
    harmd.values[("n1", "data-status", "forever")] = "LATEST"
    harmd.values[("n1", "status", "reboot")] = "PRI"
    assert store.query("n1", "status") == "PRI"
    assert store.query("n1", "data-status") == "LATEST"
    assert store.query("n1", "nothing") is None
    asked = [(r["name"], r["lifetime"]) for r in harmd.of("attribute-query")]
    assert asked == [
        ("status", "reboot"),
        ("data-status", "reboot"), ("data-status", "forever"),
        ("nothing", "reboot"), ("nothing", "forever"),
    ]
    assert all(set(r) == {"type", "node", "name", "lifetime"} for r in harmd.requests)


def test_query_of_one_lifetime_asks_once(harmd: FakeHarmd) -> None:
    store = HarmSocketStore(harmd.path)
    harmd.values[("n1", "status", "reboot")] = "PRI"
    assert store.query("n1", "status", lifetime=Lifetime.FOREVER) is None
    assert store.query("n1", "status", lifetime=Lifetime.REBOOT) == "PRI"
    assert len(harmd.requests) == 2


def test_a_refused_operation_is_an_agent_error(harmd: FakeHarmd) -> None:
    expected = r"cannot set refused=1 on n1 through harmd: .*no coordinator"
    with pytest.raises(AgentError, match=expected):
        HarmSocketStore(harmd.path).update("n1", "refused", "1")


def test_a_garbled_answer_is_an_agent_error(harmd: FakeHarmd) -> None:
    with pytest.raises(AgentError, match="answered the query of garbled of n1 with"):
        HarmSocketStore(harmd.path).query("n1", "garbled")


def test_no_harmd_is_an_agent_error(tmp_path: Path) -> None:
    store = HarmSocketStore(tmp_path / "absent.sock")
    with pytest.raises(AgentError, match=r"absent\.sock: no such socket"):
        store.update("n1", "pingd", "1")
    with pytest.raises(AgentError, match="cannot query pingd of n1 through harmd"):
        store.query("n1", "pingd")


def test_the_socket_comes_from_harm_socket() -> None:
    assert store_from_environ({"HARM_SOCKET": "/tmp/x.sock"}) == HarmSocketStore(
        Path("/tmp/x.sock")
    )
    assert store_from_environ({}) == HarmSocketStore(Path("/run/harm/harmd.sock"))


def agent_env(tmp_path: Path, harmd: FakeHarmd) -> dict[str, str]:
    clean = {
        k: v for k, v in os.environ.items() if not k.startswith(("OCF_", "HARM_", "HA_"))
    }
    return {
        **clean,
        "OCF_ROOT": "/usr/lib/ocf",
        "OCF_RESOURCE_INSTANCE": "r_state:0",
        "HA_RSCTMP": str(tmp_path / "rsctmp"),
        "HA_NODENAME": "n1",
        "HARM_SOCKET": str(harmd.path),
    }


def test_an_agent_run_by_harmd_writes_through_the_socket(
    harmd: FakeHarmd, tmp_path: Path
) -> None:
    env = agent_env(tmp_path, harmd)
    for action in ("start", "promote", "stop"):
        done = subprocess.run(
            [str(AGENTS / "Stateful"), action], env=env, capture_output=True, text=True,
            timeout=60, check=False,
        )
        assert done.returncode == 0, done.stderr
    assert harmd.of("cluster-op") == [
        op("n1", "master-r_state", "5", "reboot", 0),
        op("n1", "master-r_state", "10", "reboot", 0),
        op("n1", "master-r_state", None, "reboot", 0),
    ]


def test_an_agent_without_harmd_fails_with_a_reason(tmp_path: Path) -> None:
    env = agent_env(tmp_path, FakeHarmd(tmp_path / "gone.sock"))
    done = subprocess.run(
        [str(AGENTS / "Stateful"), "start"], env=env, capture_output=True, text=True,
        timeout=60, check=False,
    )
    assert done.returncode == 1
    assert "ocf-exit-reason:cannot set master-r_state=5 on n1 through harmd" in done.stderr
    assert "gone.sock: no such socket" in done.stderr


def test_the_directory_store_keeps_lifetimes_apart(tmp_path: Path) -> None:
    store = DirectoryStore(tmp_path)
    store.update("n1", "site", "a", lifetime=Lifetime.FOREVER)
    assert store.query("n1", "site") == "a"
    assert store.query("n1", "site", lifetime=Lifetime.REBOOT) is None
    store.delete("n1", "site", lifetime=Lifetime.REBOOT)
    assert store.query("n1", "site", lifetime=Lifetime.FOREVER) == "a"
    store.delete("n1", "site", lifetime=Lifetime.FOREVER)
    assert store.query("n1", "site") is None
