"""The seed report's cluster run by the stock agents: resource-agents' ocf:heartbeat:pgsql and
ocf:heartbeat:IPaddr2 and Pacemaker's ocf:pacemaker:ping under harmd, built by
``harm lab up --demo --stock-agents`` (configs/pgsql-lab-stock.crm).

In order, as the report tells it (section 4.3): primary + synchronous standby with the
report's attribute names; kill -9 of the primary's postgres: the standby is promoted, the
VIPs follow, the failed node shows STOP / DISCONNECT / -INFINITY, fail-count 1 and the
failed 7 s monitor, and keeps the agent's lock file; the report's recovery procedure
(delete the lock, re-seed with pg_basebackup, clean up) brings it back as HS:sync.
Every attribute is written by the stock agents through harm's Pacemaker tools."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator

import pytest

from harm.lab import demo, faults, lab
from harm.lab.postgres import host_path, seed_standby
from harm.lab.spec import LabSpec

pytestmark = [pytest.mark.netns, pytest.mark.postgres, pytest.mark.slow]

LAB = "hstock"
A, B = "osspc30", "osspc31"
LOCK = "/var/lib/pgsql/tmp/PGSQL.lock"


def wait_for(what: str, check: Callable[[], bool], timeout: float = 180.0) -> None:
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if check():
            return
        time.sleep(0.5)
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")


def attr(spec: LabSpec, node: str, name: str) -> str | None:
    return demo.attribute(spec, node, name)


def harm(spec: LabSpec, node: str, *args: str) -> str:
    env = {**os.environ, "HARM_SOCKET": str(demo.socket_of(spec, node))}
    env.pop("HARM_CIB_FILE", None)
    done = subprocess.run([sys.executable, "-m", "harm.cli.main", *args], env=env,
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout + done.stderr


def mon(spec: LabSpec, node: str) -> str:
    return subprocess.run([sys.executable, "-m", "harm.mon", "--socket",
                           str(demo.socket_of(spec, node)), "-1", "-Afr"],
                          capture_output=True, text=True, timeout=60, check=False).stdout


def sql(spec: LabSpec, statement: str) -> str:
    done = demo.try_sql(spec, statement, connect_timeout_s=5)
    assert done is not None and done.returncode == 0, done.stderr if done else "timeout"
    return done.stdout.strip()


@pytest.fixture(scope="module")
def spec() -> Iterator[LabSpec]:
    lab.down(LAB)
    try:
        done = subprocess.run([sys.executable, "-m", "harm.cli.main", "lab", "up", "--demo",
                               "--stock-agents", "--name", LAB], capture_output=True,
                              text=True, timeout=900, check=False, cwd="/")
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
        assert "pgsql-lab-stock.crm" in done.stdout and "is HS:sync" in done.stdout
        yield lab.load(LAB)
    finally:
        lab.down(LAB)


def test_1_stock_agents_give_primary_and_sync_standby_with_the_reports_names(
        spec: LabSpec) -> None:
    assert attr(spec, A, "r_pgsql-status") == "PRI"
    assert attr(spec, A, "r_pgsql-data-status") == "LATEST"
    assert attr(spec, A, "master-r_pgsql") == "1000"
    assert attr(spec, A, "r_pgsql-master-baseline")
    wait_for("STREAMING|SYNC", lambda: attr(spec, B, "r_pgsql-data-status") == "STREAMING|SYNC")
    assert attr(spec, B, "r_pgsql-status") == "HS:sync"
    assert attr(spec, B, "master-r_pgsql") == "100"
    for node in (A, B):
        assert attr(spec, node, "default_ping_set") == "100"  # stock ping, both nodes
    text = mon(spec, A)
    assert "r_service_vip\t(ocf:heartbeat:IPaddr2):\t Started osspc30" in text
    assert "Promoted: [ osspc30 ]" in text
    agents = harm(spec, A, "resource", "agents", "ms_pgsql")
    assert agents.startswith("r_pgsql  ocf:heartbeat:pgsql → /usr/lib/ocf/resource.d/"
                             "heartbeat/pgsql (stock)")
    sql(spec, "CREATE TABLE rows (i int PRIMARY KEY); INSERT INTO rows VALUES (1), (2)")


def tool(spec: LabSpec, node: str, *argv: str) -> str:
    """One of harm's Pacemaker tools as harmd gave it to the agents of ``node``."""
    program = spec.node_dir(node) / "tmp" / "harm-pcmk-bin" / argv[0]
    env = {"PATH": "/usr/bin:/bin", "HARM_SOCKET": str(demo.socket_of(spec, node)),
           "HA_NODENAME": node}
    done = subprocess.run([str(program), *argv[1:]], env=env, capture_output=True,
                          text=True, timeout=60, check=False, cwd="/")
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_1b_the_tools_the_agents_call_answer_from_harmd(spec: LabSpec) -> None:
    assert tool(spec, B, "crm_resource", "--locate", "-r", "ms_pgsql", "-Q").split("\n")[:2] \
        == ["osspc30 Promoted", "osspc31"]
    assert tool(spec, B, "crm_node", "-n") == "osspc31\n"
    assert tool(spec, B, "crm_node", "-l") == "osspc30 osspc30 member\nosspc31 osspc31 member\n"
    assert tool(spec, B, "crm_node", "-q") == "1\n"
    assert tool(spec, B, "crm_attribute", "-N", A, "-n", "r_pgsql-status", "-l", "reboot",
                "-G", "-q") == "PRI\n"
    assert tool(spec, A, "attrd_updater", "-n", "default_ping_set", "-Q", "-A") == (
        'name="default_ping_set" host="osspc30" value="100"\n'
        'name="default_ping_set" host="osspc31" value="100"\n')
    assert "<resource id=\"r_pgsql\"" in tool(spec, A, "crm_mon", "-1", "--as-xml")


def test_2_killing_the_primary_postgres_fails_over(spec: LabSpec) -> None:
    faults.fail(spec, A, "postgres")
    wait_for(f"{B} PRI", lambda: attr(spec, B, "r_pgsql-status") == "PRI")
    wait_for("the VIPs on the new primary", lambda: "r_service_vip\t(ocf:heartbeat:"
             "IPaddr2):\t Started osspc31" in mon(spec, B))
    wait_for("writes through the service VIP",
             lambda: (done := demo.try_sql(spec, "INSERT INTO rows VALUES (3)")) is not None
             and done.returncode == 0, 120)
    assert sql(spec, "SELECT count(*) FROM rows") == "3"  # every committed row
    wait_for("STOP", lambda: attr(spec, A, "r_pgsql-status") == "STOP")
    wait_for("DISCONNECT", lambda: attr(spec, A, "r_pgsql-data-status") == "DISCONNECT")
    assert attr(spec, A, "master-r_pgsql") == "-INFINITY"
    text = mon(spec, B)
    assert "fail-count=1" in text
    # 'not running' (7) as in the report when the postmaster's pid is gone at the monitor;
    # 'error' (1) when its backends, which outlive a kill -9 of the postmaster for a moment,
    # still hold the socket and the stock agent's query fails instead
    assert ("r_pgsql 7s-interval monitor on osspc30 returned 'not running'" in text
            or "r_pgsql 7s-interval monitor on osspc30 returned 'error'" in text), text
    assert host_path(spec, A, LOCK).exists()  # the stock agent's lock stays on the old primary


def test_3_the_reports_recovery_procedure(spec: LabSpec) -> None:
    host_path(spec, A, LOCK).unlink()
    shutil.rmtree(host_path(spec, A, "/var/lib/pgsql/data"))
    seed_standby(spec, A, B)
    harm(spec, B, "resource", "cleanup", "ms_pgsql")
    wait_for(f"{A} HS:sync", lambda: attr(spec, A, "r_pgsql-status") == "HS:sync")
    wait_for("STREAMING|SYNC", lambda: attr(spec, A, "r_pgsql-data-status") == "STREAMING|SYNC")
    assert sql(spec, "SELECT count(*) FROM rows") == "3"
