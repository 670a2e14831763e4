"""The ``harm`` commands against a running cluster, through a real control socket.

A real :class:`~harm.daemon.control.ControlServer` listens on a temporary socket in a
background thread. Behind it, :class:`LocalCluster` plays harmd's coordinator with real
parts: a real CIB object, ``cib-commit`` applied with the version check and epoch bump,
cluster-ops applied with harm's pure operations, and after each change the transition
scheduled by harm's policy engine and executed by the simulated backend, so the CIB shows
resources stopping, starting and moving as a cluster would. The CLI runs for real
(``harm.cli.main.main``) and talks to it over the socket.
"""

from __future__ import annotations

import itertools
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from harm.cib.cib import Cib
from harm.cib.store import save_cib
from harm.cib.xml_export import cib_to_xml
from harm.cib.xml_import import parse_cib_xml
from harm.cli.main import main
from harm.cli.session import CONFLICT, RETRIES, AttributeOp, CleanupOp, ClusterSession
from harm.crmsh.load import parse_configuration
from harm.daemon.control import ControlServer
from harm.errors import ConfigError, ControlError
from harm.operations import attributes, resources
from harm.operations.attributes import Lifetime
from harm.simulate.options import SimulateOptions
from harm.simulate.run import simulate

from ..crmsh.seed import SEED
from ..operations.test_operator_actions import running_cluster
from .test_configure import LAB_CONFIG

pytestmark = pytest.mark.pacemaker


class LocalCluster:
    """harmd's side of the control protocol for one node, backed by a real CIB."""

    def __init__(self, cib: Cib, path: Path) -> None:
        self.cib = cib
        self.settles = True  # run each change's transition (False: nothing ever stops)
        self.lag = 0  # CIB reads after a commit that still show the state before its transition
        self.served: list[Cib] = []  # every CIB handed out, in order
        self._unsettled = 0
        self.interfere = 0  # commits that find the configuration changed meanwhile
        self.pending_polls = 1  # "pending" answers before a request is done
        self.refuse: str | None = None  # fail every commit with this message
        self.dc: str | None = "osspc30"  # the coordinator harmd names (None: none yet)
        self.no_cleanup = False  # answer cleanup with an error, as harmd does a bad request
        self.requests: list[dict[str, Any]] = []  # every request received, in order
        self.latest: dict[tuple[str, str, str], str | None] = {}  # attribute-query answers
        self._states: dict[str, list[Any]] = {}
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self.server = ControlServer(path, allowed_uid=os.getuid())
        for kind, handler in (("cib", self._cib), ("cib-commit", self._commit),
                              ("cluster-op", self._cluster_op),
                              ("request-status", self._status),
                              ("attribute-query", self._attribute_query)):
            self.server.register(kind, self._recorded(kind, handler))
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def __enter__(self) -> LocalCluster:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join(timeout=10)
        self.server.close()

    def kinds(self) -> list[str]:
        return [r["type"] for r in self.requests if r["type"] not in ("cib", "request-status")]

    def ops(self) -> list[dict[str, Any]]:
        return [{k: v for k, v in r.items() if k != "type"}
                for r in self.requests if r["type"] == "cluster-op"]

    # -- the server loop

    def _serve(self) -> None:
        while not self._stop.is_set():
            self.server.service(0.05)

    def _recorded(self, kind: str, handler: Any) -> Any:
        def run(request: Mapping[str, Any]) -> Any:
            with self._lock:
                self.requests.append(dict(request))
                return handler(request)
        return run

    # -- requests

    def _cib(self, _request: Mapping[str, Any]) -> dict[str, Any]:
        if self._unsettled > 0:
            self._unsettled -= 1
            if self._unsettled == 0:
                self.cib = self._settled(self.cib)
        self.served.append(self.cib)
        return {"xml": cib_to_xml(self.cib), "dc": self.dc, "settled": self.dc is not None,
                "quorate": True}

    def _new_request(self, state: str, message: str | None = None) -> dict[str, Any]:
        ident = f"osspc30:{next(self._ids)}"
        self._states[ident] = [state, message, self.pending_polls]
        return {"request": ident}

    def _commit(self, request: Mapping[str, Any]) -> dict[str, Any]:
        wanted = parse_cib_xml(request["xml"], "cib-commit")
        if self.interfere > 0:  # someone else's change lands first
            self.interfere -= 1
            self.cib = replace(self.cib, epoch=self.cib.epoch + 1, num_updates=0)
        if self.refuse is not None:
            return self._new_request("failed", self.refuse)
        base = tuple(request["base"])
        if base[:2] != (self.cib.admin_epoch, self.cib.epoch):
            return self._new_request("failed", CONFLICT)
        self.cib = replace(self.cib, configuration=wanted.configuration,
                           epoch=self.cib.epoch + 1, num_updates=0)
        if self.lag > 0:
            self._unsettled = self.lag + 1
        else:
            self.cib = self._settled(self.cib)
        return self._new_request("done")

    def _cluster_op(self, request: Mapping[str, Any]) -> dict[str, Any]:
        op = request["op"]
        if op == "attribute":
            key = (request["node"], request["name"], request["lifetime"])
            self.latest[key] = request["value"]
            if request["delay_ms"] == 0:  # a dampened value reaches the CIB later
                self.cib = attributes.update(self.cib, request["node"], request["name"],
                                             request["value"],
                                             Lifetime.parse(request["lifetime"]))
        elif op == "cleanup" and self.no_cleanup:
            raise ControlError(f"{request['rsc']}: cleanup is switched off here")
        elif op == "cleanup":
            self.cib = resources.cleanup(self.cib, request["rsc"], request["node"])[0]
        elif op == "fail":  # harmd records it for the primitive's history, as here
            assert self.cib.configuration.find_resource(request["rsc"]) is not None
            assert (request["action"], request["rc"]) == ("monitor", 1)
            self.cib = resources.fail(self.cib, request["rsc"], request["node"],
                                      int(time.time()))
        else:
            raise ConfigError(f"unknown cluster-op {op!r}")
        self.cib = self._settled(self.cib)
        return self._new_request("done")

    def _status(self, request: Mapping[str, Any]) -> dict[str, Any]:
        entry = self._states[request["request"]]
        if entry[2] > 0:
            entry[2] -= 1
            return {"state": "pending", "message": None}
        return {"state": entry[0], "message": entry[1]}

    def _attribute_query(self, request: Mapping[str, Any]) -> dict[str, Any]:
        key = (request["node"], request["name"], request["lifetime"])
        if key in self.latest:
            return {"value": self.latest[key]}
        return {"value": attributes.query(self.cib, request["node"], request["name"],
                                          Lifetime.parse(request["lifetime"]))}

    def settle(self) -> None:
        """Run the transition a lagging commit still owes."""
        with self._lock:
            if self._unsettled > 0:
                self._unsettled = 0
                self.cib = self._settled(self.cib)

    def _settled(self, cib: Cib) -> Cib:
        """The CIB after the transition the policy engine schedules for it has run."""
        if not self.settles:
            return cib
        after = simulate(cib, SimulateOptions(simulate=True), int(time.time())).cib
        assert after is not None
        return replace(after, epoch=cib.epoch, admin_epoch=cib.admin_epoch)


@pytest.fixture(scope="module")
def seed_cluster() -> Cib:
    return running_cluster()


@pytest.fixture
def cluster(seed_cluster: Cib, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
            ) -> Iterator[LocalCluster]:
    path = tmp_path / "run" / "harmd.sock"
    monkeypatch.delenv("HARM_CIB_FILE", raising=False)
    monkeypatch.setenv("HARM_SOCKET", str(path))
    with LocalCluster(seed_cluster, path) as running:
        yield running


def harm(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def promoted(cib: Cib) -> list[str]:
    return resources.current_nodes(cib, "ms_pgsql", int(time.time()), promoted_only=True)


# ----------------------------------------------------------------------------- configure


def test_load_replace_then_show_round_trips_through_the_cluster(
        cluster: LocalCluster, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    epoch = cluster.cib.epoch
    code, _, err = harm(capsys, "configure", "load", "replace", str(LAB_CONFIG))
    assert code == 0, err
    assert cluster.kinds() == []  # the cluster runs this configuration already
    source = tmp_path / "lab-plus.crm"
    source.write_text(LAB_CONFIG.read_text() + "primitive r_extra ocf:heartbeat:Dummy\n")
    code, _, err = harm(capsys, "configure", "load", "replace", str(source))
    assert code == 0, err
    assert err.endswith(f"replaced configuration from {source} (epoch {epoch + 1})\n")
    assert cluster.cib.epoch == epoch + 1
    commits = [r for r in cluster.requests if r["type"] == "cib-commit"]
    assert [c["base"][:2] for c in commits] == [[0, epoch]]
    code, out, _ = harm(capsys, "configure", "show")
    assert code == 0
    assert parse_configuration(out) == parse_configuration(source.read_text())
    assert parse_configuration(out) == cluster.cib.configuration
    code, out, _ = harm(capsys, "configure", "show", "r_extra")
    assert out == "primitive r_extra ocf:heartbeat:Dummy\n"
    assert cluster.cib.status.node("osspc30") is not None  # the engine started r_extra
    now = int(time.time())
    assert resources.current_nodes(cluster.cib, "r_extra", now, promoted_only=False) != []


def test_a_config_with_mistakes_is_reported_by_position_and_nothing_is_sent(
        cluster: LocalCluster, capsys: pytest.CaptureFixture[str]) -> None:
    before = cluster.cib
    code, _, err = harm(capsys, "configure", "load", "update", str(SEED))
    assert code == 1
    lines = err.splitlines()
    assert "seed-crm_conf.txt:1:25: unknown resource agent ocf:heartbeat:IPAddr2" in lines[0]
    assert "seed-crm_conf.txt:36:1: expected NAME=VALUE" in lines[2]
    assert lines[-1] == "ConfigErrors: 3 errors; nothing was changed"
    assert cluster.kinds() == []
    assert cluster.cib is before


def test_verify_delete_and_property_on_the_cluster(
        cluster: LocalCluster, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    text = tmp_path / "more.crm"
    text.write_text("colocation c_more inf: r_readonly_vip c_pingd\n")
    code, out, _ = harm(capsys, "configure", "verify", str(text))
    assert code == 0 and "configuration is valid" in out
    assert cluster.kinds() == []
    code, _, err = harm(capsys, "configure", "property", "maintenance-mode=true")
    assert code == 0, err
    assert cluster.cib.configuration.property("maintenance-mode") == "true"
    code, _, err = harm(capsys, "configure", "delete", "r_readonly_vip")
    assert code == 0, err
    assert "also deleted rsc_location-2, which referred to r_readonly_vip" in err
    assert cluster.cib.configuration.find_resource("r_readonly_vip") is None
    assert cluster.kinds() == ["cib-commit", "cib-commit"]


# ----------------------------------------------------------------------------- resources


def test_move_switches_the_promoted_role_over_and_clear_removes_the_constraints(
        cluster: LocalCluster, capsys: pytest.CaptureFixture[str]) -> None:
    assert promoted(cluster.cib) == ["osspc30"]
    code, _, err = harm(capsys, "resource", "move", "ms_pgsql", "osspc31")
    assert code == 0, err
    assert "created: location cli-prefer-ms_pgsql ms_pgsql role=Promoted inf: osspc31" in err
    assert promoted(cluster.cib) == ["osspc31"]
    code, out, _ = harm(capsys, "resource", "constraints")
    assert out.splitlines() == [
        "location cli-prefer-ms_pgsql ms_pgsql role=Promoted inf: osspc31",
        "location cli-ban-ms_pgsql-on-osspc30 ms_pgsql role=Promoted -inf: osspc30",
    ]
    code, _, err = harm(capsys, "resource", "clear", "ms_pgsql")
    assert err == "removed: cli-prefer-ms_pgsql, cli-ban-ms_pgsql-on-osspc30\n"
    assert resources.cli_constraints(cluster.cib.configuration) == []
    code, _, err = harm(capsys, "resource", "clear", "ms_pgsql")
    assert err == "ms_pgsql: nothing to clear\n"
    assert cluster.kinds() == ["cib-commit", "cib-commit"]  # nothing sent for no change


def test_node_standby_moves_everything_off_and_online_brings_it_back(
        cluster: LocalCluster, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = harm(capsys, "node", "standby", "osspc30")
    assert (code, err) == (0, "osspc30: standby=on\n")
    assert attributes.query(cluster.cib, "osspc30", "standby", Lifetime.FOREVER) == "on"
    now = int(time.time())
    assert resources.current_nodes(cluster.cib, "g_service", now, promoted_only=False) == [
        "osspc31"]
    assert promoted(cluster.cib) == ["osspc31"]
    code, _, _ = harm(capsys, "node", "online", "osspc30")
    assert code == 0
    assert attributes.query(cluster.cib, "osspc30", "standby", Lifetime.FOREVER) == "off"
    code, _, err = harm(capsys, "node", "standby", "osspc99")
    assert code == 1 and err.startswith("ConfigError: unknown node 'osspc99'")
    assert cluster.kinds() == ["cib-commit", "cib-commit"]


def test_fail_and_cleanup_are_cluster_ops(
        cluster: LocalCluster, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = harm(capsys, "resource", "fail", "ms_pgsql", "osspc30")
    assert code == 0, err
    assert cluster.ops() == [{"op": "fail", "rsc": "r_pgsql", "node": "osspc30",
                              "action": "monitor", "interval_ms": 7000, "rc": 1}]
    state = cluster.cib.status.node("osspc30")
    assert state is not None and state.attribute("fail-count-r_pgsql#monitor_7000") == "1"
    code, _, err = harm(capsys, "resource", "cleanup", "ms_pgsql")
    assert (code, err) == (0, "cleaned up r_pgsql on osspc30\n")
    assert cluster.ops()[1] == {"op": "cleanup", "rsc": "ms_pgsql", "node": None}
    state = cluster.cib.status.node("osspc30")
    assert state is not None and state.attribute("fail-count-r_pgsql#monitor_7000") is None
    code, _, err = harm(capsys, "resource", "cleanup", "g_service", "osspc31")
    assert err == "g_service: no failures to clean up; the cluster probes it again\n"
    assert cluster.ops()[2] == {"op": "cleanup", "rsc": "g_service", "node": "osspc31"}
    code, _, err = harm(capsys, "resource", "fail", "nothing", "osspc30")
    assert code == 1 and err == "ConfigError: no such resource: nothing\n"
    assert len(cluster.ops()) == 3
    assert "cib-commit" not in cluster.kinds()


def test_restart_stops_waits_and_starts_again(
        cluster: LocalCluster, capsys: pytest.CaptureFixture[str]) -> None:
    cluster.lag = 2
    code, _, err = harm(capsys, "resource", "restart", "r_readonly_vip")
    assert code == 0, err
    now = int(time.time())
    running = [bool(resources.current_nodes(c, "r_readonly_vip", now, promoted_only=False))
               for c in cluster.served]
    # read before the stop and for it, twice still running while its transition was
    # pending, then stopped: only then was it started again
    assert running[:5] == [True, True, True, True, False]
    assert err.splitlines() == ["r_readonly_vip: target-role=Stopped, waiting for it to stop",
                                "r_readonly_vip: stopped; target-role=Started"]
    commits = [parse_cib_xml(r["xml"]) for r in cluster.requests if r["type"] == "cib-commit"]
    roles = [c.configuration.find_resource("r_readonly_vip") for c in commits]
    assert [r.meta[0].get("target-role") for r in roles if r is not None] == [
        "Stopped", "Started"]
    cluster.settle()
    assert resources.current_nodes(cluster.cib, "r_readonly_vip", now, promoted_only=False) == [
        "osspc31"]


def test_restart_that_does_not_stop_in_time_gives_the_target_role_back(
        cluster: LocalCluster, capsys: pytest.CaptureFixture[str]) -> None:
    cluster.settles = False
    code, _, err = harm(capsys, "resource", "restart", "--timeout", "1", "r_readonly_vip")
    assert code == 1
    assert err.splitlines()[-1] == (
        "ControlError: r_readonly_vip did not stop within 1 s; its target-role is Started again")
    resource = cluster.cib.configuration.find_resource("r_readonly_vip")
    assert resource is not None and resource.meta[0].get("target-role") == "Started"


# ----------------------------------------------------------------------------- attributes


def test_attribute_update_with_delay_query_and_delete(
        cluster: LocalCluster, capsys: pytest.CaptureFixture[str]) -> None:
    args = ("attribute", "-N", "osspc31", "-n", "default_ping_set")
    code, _, err = harm(capsys, *args, "-U", "0", "--delay", "5s")
    assert code == 0, err
    assert cluster.ops() == [{"op": "attribute", "node": "osspc31", "name": "default_ping_set",
                              "value": "0", "lifetime": "reboot", "delay_ms": 5000}]
    code, out, _ = harm(capsys, *args, "-Q")
    assert (code, out) == (0, "0\n")  # the latest value, before dampening wrote it
    assert attributes.query(cluster.cib, "osspc31", "default_ping_set",
                            Lifetime.REBOOT) != "0"
    code, _, _ = harm(capsys, *args, "-D")
    assert code == 0 and cluster.ops()[-1]["value"] is None
    code, _, err = harm(capsys, *args, "-Q")
    assert code == 1 and err == "ConfigError: default_ping_set is not set on osspc31 " \
                                "(lifetime reboot)\n"
    code, _, _ = harm(capsys, "attribute", "-N", "osspc30", "-n", "rack", "-U", "r1",
                      "-l", "forever")
    assert code == 0
    assert attributes.query(cluster.cib, "osspc30", "rack", Lifetime.FOREVER) == "r1"
    code, _, err = harm(capsys, "attribute", "-N", "osspc99", "-n", "rack", "-U", "r1")
    assert code == 1 and err.startswith("ConfigError: unknown node 'osspc99'")
    code, _, err = harm(capsys, *args, "-U", "1", "--delay", "soon")
    assert code == 1 and "--delay must be a duration" in err
    assert len(cluster.ops()) == 3


# ----------------------------------------------------------------------------- failures


def test_a_conflict_reruns_the_whole_read_modify_write(
        cluster: LocalCluster, capsys: pytest.CaptureFixture[str]) -> None:
    cluster.interfere = RETRIES - 1
    code, _, err = harm(capsys, "resource", "ban", "g_service", "osspc31")
    assert code == 0, err
    assert err.splitlines() == [
        *(f"{CONFLICT}; reading it again and retrying ({n}/{RETRIES + 1})"
          for n in range(2, RETRIES + 1)),
        "created: cli-ban-g_service-on-osspc31"]
    commits = [r for r in cluster.requests if r["type"] == "cib-commit"]
    assert len(commits) == RETRIES
    assert [c["base"][1] for c in commits] == [
        commits[0]["base"][1] + n for n in range(RETRIES)]  # each round read afresh
    assert cluster.cib.configuration.constraint("cli-ban-g_service-on-osspc31") is not None


def test_too_many_conflicts_give_up_with_the_error(
        cluster: LocalCluster, capsys: pytest.CaptureFixture[str]) -> None:
    cluster.interfere = RETRIES + 5
    configuration = cluster.cib.configuration
    code, _, err = harm(capsys, "node", "standby", "osspc30")
    assert code == 1
    assert err.splitlines()[-1] == (f"ControlError: {CONFLICT}, {RETRIES + 1} times in a "
                                    "row; nothing was changed")
    assert len(err.splitlines()) == RETRIES + 1
    assert cluster.kinds() == ["cib-commit"] * (RETRIES + 1)
    assert cluster.cib.configuration == configuration


def test_a_refused_commit_is_reported_and_not_retried(
        cluster: LocalCluster, capsys: pytest.CaptureFixture[str]) -> None:
    cluster.refuse = "the cluster has no quorum"
    code, _, err = harm(capsys, "resource", "stop", "g_service")
    assert (code, err) == (1, "ControlError: the cluster has no quorum\n")
    assert cluster.kinds() == ["cib-commit"]


def test_harmd_not_running(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                           capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("HARM_CIB_FILE", raising=False)
    missing = tmp_path / "missing.sock"
    advice = "; name a CIB file with --cib FILE to work offline\n"
    for args in (("configure", "show"), ("resource", "move", "ms_pgsql", "osspc31"),
                 ("attribute", "-N", "osspc31", "-n", "x", "-Q"), ("status",)):
        code, out, err = harm(capsys, *args[:1], "--socket", str(missing), *args[1:]) \
            if args[0] in ("configure", "status") else \
            harm(capsys, *args, "--socket", str(missing))
        assert (code, out) == (1, "")
        assert err == f"ControlError: harmd is not running on this node (no socket at " \
                      f"{missing}){advice}", args
    dead = tmp_path / "dead.sock"
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.bind(str(dead))  # bound, never listening: connections are refused
        code, _, err = harm(capsys, "node", "standby", "--socket", str(dead), "osspc30")
    assert code == 1
    assert err == f"ControlError: harmd is not running on this node (nothing listens on " \
                  f"{dead}){advice}"


# ----------------------------------------------------------------------------- status


def _without_clock(text: str) -> list[str]:
    return [line for line in text.splitlines() if not line.startswith("  * Last updated")]


def test_status_prints_what_harm_mon_prints(
        cluster: LocalCluster, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    from harm.mon.main import main as harm_mon

    code, out, err = harm(capsys, "status", "-A", "-f")
    assert code == 0, err
    assert harm_mon(["-1", "-A", "-f", "--socket", str(cluster.server.path)]) == 0
    mon = capsys.readouterr().out
    assert "Node List:" in out and "ms_pgsql" in out
    assert _without_clock(out) == _without_clock(mon)
    path = tmp_path / "cib.xml"
    save_cib(path, cluster.cib)
    code, from_file, _ = harm(capsys, "status", "--cib", str(path), "-A", "-f")
    assert code == 0
    assert _without_clock(from_file) == _without_clock(out)
    missing = tmp_path / "none.xml"
    code, out, err = harm(capsys, "status", "--cib", str(missing))
    assert (code, out) == (1, "")
    assert err == f"harm_mon: file {missing} unavailable: {missing}: no such file\n"


def test_configure_and_attribute_do_not_load_the_policy_engine(cluster: LocalCluster) -> None:
    probe = ("import sys\n"
             "from harm.cli.main import main\n"
             "codes = [main(['configure', 'show', 'c_pingd']),\n"
             "         main(['attribute', '-N', 'osspc31', '-n', 'x', '-U', '1'])]\n"
             "print(codes, sorted(m for m in sys.modules if m.startswith('harm.engine')))\n")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.stdout.splitlines()[-1] == "[0, 0] []", done.stderr
    assert cluster.ops()[-1]["name"] == "x"


def test_a_request_that_never_finishes_times_out_with_advice(cluster: LocalCluster) -> None:
    cluster.pending_polls = 1_000_000
    session = ClusterSession(cluster.server.path, wait_s=0.5)
    with pytest.raises(ControlError) as caught:
        session.run(AttributeOp("osspc31", "x", "1", Lifetime.REBOOT))
    assert str(caught.value) == ("the cluster did not finish request osspc30:1 within 0.5 s "
                                 "(it may still be applied; check with 'harm status')")
    polls = [r for r in cluster.requests if r["type"] == "request-status"]
    assert len(polls) >= 3  # it polled, it did not give up at once


def test_harmd_refusing_a_request_is_reported_once(cluster: LocalCluster) -> None:
    cluster.no_cleanup = True
    session = ClusterSession(cluster.server.path)
    with pytest.raises(ControlError) as caught:
        session.run(CleanupOp("ms_pgsql", None))
    assert str(caught.value) == "ms_pgsql: cleanup is switched off here"


def test_a_change_without_a_coordinator_says_it_waits_for_one(
        cluster: LocalCluster, capsys: pytest.CaptureFixture[str]) -> None:
    cluster.dc = None
    code, _, err = harm(capsys, "node", "standby", "osspc31")
    assert code == 0
    assert err.splitlines() == [
        "no coordinator is elected yet; the change waits for one (up to 20 s)",
        "osspc31: standby=on"]
    code, out, err = harm(capsys, "configure", "show", "c_pingd")
    assert (code, out, err) == (0, "clone c_pingd r_pingd\n", "")  # reading needs none
