"""The seed report's two-node PostgreSQL cluster, end to end, on a lab run by harmd.

One lab for the whole module (osspc30, osspc31; eth0 service, eth1 replication; the gateway
as the ping target and the witness; PostgreSQL 15 in each node's own /var/lib/pgsql).
The scenarios follow the report and run in order, each leaving the cluster primary + sync
standby again:

1. the first node alone becomes primary, the VIPs follow, a client writes;
2. the second node joins and becomes the synchronous standby;
3. kill -9 of the primary's postgres: failover, no committed row lost, the old primary
   keeps its lock and refuses to start;
4. the recovery procedure (lock, re-seed, cleanup), and the one-step rejoin;
5. a node crash; 6. the service link cut on the primary; 7. the replication link cut on
the standby; 8. a planned switchover with move/clear; 9. both links of the primary cut:
the witness lets only the other side go on. (More partitions: test_quorum_partitions.py.)
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from harm.cib.xml_import import parse_cib_xml
from harm.daemon.client import request
from harm.lab import demo, faults, lab
from harm.lab.postgres import host_path, seed_standby
from harm.lab.spec import LabSpec

pytestmark = [pytest.mark.netns, pytest.mark.postgres, pytest.mark.slow]

A, B = "osspc30", "osspc31"
REPO = Path(__file__).resolve().parents[2]
LOCK = "/var/lib/pgsql/tmp/PGSQL.lock"


def wait_for(what: str, check: Callable[[], bool], timeout: float = 120.0) -> float:
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if check():
            return time.monotonic() - start
        time.sleep(0.25)
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")


def status(spec: LabSpec, node: str) -> str | None:
    return demo.attribute(spec, node, demo.STATUS)


def data_status(spec: LabSpec, node: str) -> str | None:
    return demo.attribute(spec, node, demo.DATA_STATUS)


def sql(spec: LabSpec, statement: str, host: str = demo.SERVICE_VIP) -> str:
    done = demo.try_sql(spec, statement, host, connect_timeout_s=5)
    assert done is not None and done.returncode == 0, done.stderr if done else "timeout"
    return done.stdout.strip()


def harm(spec: LabSpec, node: str, *args: str) -> str:
    env = {**os.environ, "HARM_SOCKET": str(demo.socket_of(spec, node))}
    env.pop("HARM_CIB_FILE", None)
    done = subprocess.run([sys.executable, "-m", "harm.cli.main", *args], env=env,
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def mon(spec: LabSpec, node: str) -> str:
    done = subprocess.run([sys.executable, "-m", "harm.mon", "--socket",
                           str(demo.socket_of(spec, node)), "-1", "-Afr"],
                          capture_output=True, text=True, timeout=60, check=False)
    return done.stdout


def healthy(spec: LabSpec) -> str:
    """Wait until one node is PRI with the service VIP and the other HS:sync; the primary."""
    def check() -> bool:
        first = demo.primary(spec)
        other = B if first == A else A
        return first is not None and status(spec, other) == "HS:sync" and \
            data_status(spec, other) == "STREAMING|SYNC"
    wait_for("primary + sync standby", check, 180)
    found = demo.primary(spec)
    assert found is not None
    sql(spec, "SELECT 1")
    return found


def member(spec: LabSpec, node: str, via: str) -> bool:
    """``node`` is in the membership, as ``via``'s CIB shows it."""
    cib = parse_cib_xml(request(demo.socket_of(spec, via), "cib")["xml"])
    state = cib.status.node(node)
    return state is not None and bool(state.in_ccm)


def failed_monitor_shown(text: str) -> bool:
    return "monitor on" in text and "'not running'" in text


@pytest.fixture(scope="module")
def spec(seed_lab: LabSpec) -> LabSpec:
    """The session's seed lab (tests/e2e/conftest.py), harmd not started yet."""
    return seed_lab


def test_1_first_node_alone_becomes_primary(spec: LabSpec) -> None:
    lab.start_harmd(spec, A)
    lab.wait_sockets(spec, [A])
    demo.configure(spec, REPO / "configs" / "pgsql-lab.crm")
    wait_for("default_ping_set=100 on osspc30",
             lambda: demo.attribute(spec, A, "default_ping_set") == "100")
    wait_for("HS:alone", lambda: status(spec, A) in ("HS:alone", "PRI"))
    wait_for("PRI", lambda: status(spec, A) == "PRI", 180)
    assert data_status(spec, A) == "LATEST"
    wait_for("the service VIP", lambda: answers(spec))
    sql(spec, "CREATE TABLE rows (i int PRIMARY KEY); INSERT INTO rows VALUES (1)")
    sql(spec, "CREATE TABLE harm_probe (at timestamptz)")
    assert sql(spec, "SELECT count(*) FROM rows") == "1"


def test_2_second_node_joins_as_sync_standby(spec: LabSpec) -> None:
    seen: list[str] = []
    lab.start_harmd(spec, B)
    lab.wait_sockets(spec, [B])

    def synced() -> bool:
        value = status(spec, B)
        if value and (not seen or seen[-1] != value):
            seen.append(value)
        return value == "HS:sync"
    wait_for("HS:sync on osspc31", synced, 180)
    # the primary writes the standby's status and data status one after the other
    wait_for("STREAMING|SYNC on osspc31", lambda: data_status(spec, B) == "STREAMING|SYNC", 60)
    assert seen[-1] == "HS:sync" and set(seen) <= {"STOP", "HS:alone", "HS:async", "HS:sync"}
    text = mon(spec, B)
    for line in ("Online: [ osspc30 osspc31 ]", "Promoted: [ osspc30 ]",
                 "Unpromoted: [ osspc31 ]", "r_service_vip\t(ocf:harm:IPaddr2):\t Started "
                 "osspc30", "r_pgsql-status                  \t: PRI",
                 "r_pgsql-status                  \t: HS:sync", "osspc31-eth1",
                 "default_ping_set                \t: 100"):
        assert line in text, f"{line!r} not in:\n{text}"


def test_3_killing_the_primary_postgres_fails_over_without_losing_rows(
        spec: LabSpec) -> None:
    first = healthy(spec)
    other = B if first == A else A
    for i in range(2, 12):
        sql(spec, f"INSERT INTO rows VALUES ({i})")
    start = time.monotonic()
    faults.fail(spec, first, "postgres")
    took = demo.wait_writable(spec, start)
    assert took < 60
    wait_for(f"{other} PRI", lambda: status(spec, other) == "PRI")
    assert sql(spec, "SELECT count(*) FROM rows") == "11"  # every committed row
    wait_for("the old primary stopped", lambda: status(spec, first) == "STOP")
    wait_for("-INFINITY", lambda: demo.attribute(spec, first, "master-r_pgsql") == "-INFINITY",
             30)
    wait_for("DISCONNECT", lambda: data_status(spec, first) == "DISCONNECT")
    text = mon(spec, other)
    assert "fail-count=1" in text and failed_monitor_shown(text), text
    assert host_path(spec, first, LOCK).exists()  # the lock stays: it refuses to start
    assert f"Stopped: [ {first} ]" in text


def test_4a_recovery_procedure_lock_reseed_cleanup(spec: LabSpec) -> None:
    current = demo.primary(spec)
    assert current is not None
    old = B if current == A else A
    host_path(spec, old, LOCK).unlink()
    data = host_path(spec, old, "/var/lib/pgsql/data")
    shutil.rmtree(data)
    seed_standby(spec, old, current)
    harm(spec, current, "resource", "cleanup", "ms_pgsql")
    wait_for(f"{old} HS:sync", lambda: status(spec, old) == "HS:sync", 180)
    assert sql(spec, "SELECT count(*) FROM rows") == "11"


def test_4b_one_step_rejoin(spec: LabSpec) -> None:
    first = healthy(spec)
    other = B if first == A else A
    faults.fail(spec, first, "postgres")
    wait_for(f"{other} PRI", lambda: status(spec, other) == "PRI")
    wait_for("the old primary stopped", lambda: status(spec, first) == "STOP")
    demo.rejoin(spec, first)
    wait_for(f"{first} HS:sync", lambda: status(spec, first) == "HS:sync", 180)


def test_5_node_crash_fails_over_within_deadtime_and_promotion(spec: LabSpec) -> None:
    first = healthy(spec)
    other = B if first == A else A
    before = int(sql(spec, "SELECT count(*) FROM rows"))
    sql(spec, f"INSERT INTO rows VALUES ({before + 100})")
    start = time.monotonic()
    faults.fail(spec, first, "node")
    took = demo.wait_writable(spec, start)
    assert took < 30
    assert sql(spec, "SELECT count(*) FROM rows") == str(before + 1)
    assert status(spec, other) == "PRI"
    faults.heal(spec, first)
    lab.wait_sockets(spec, [first])
    demo.rejoin(spec, first)
    healthy(spec)


def test_6_service_link_cut_on_the_primary_moves_the_primary(spec: LabSpec) -> None:
    first = healthy(spec)
    other = B if first == A else A
    faults.fail(spec, first, "link=eth0")
    try:
        wait_for(f"{first}-eth0 dead", lambda: demo.attribute(
            spec, other, f"{first}-eth0") == "dead", 30)
        # heartbeat goes on over eth1: both nodes stay members
        assert member(spec, first, via=other)
        wait_for("the primary on the node that reaches the gateway",
                 lambda: status(spec, other) == "PRI", 120)
        wait_for("ping fails on the cut node",
                 lambda: demo.attribute(spec, first, "default_ping_set") in (None, "0"), 60)
        assert sql(spec, "SELECT count(*) FROM rows")
    finally:
        faults.heal(spec, first)
    lab.wait_sockets(spec, [first])
    if status(spec, first) != "HS:sync":
        wait_for(f"{first} back", lambda: status(spec, first) in ("HS:sync", "STOP"), 120)
        if status(spec, first) == "STOP":
            demo.rejoin(spec, first)
    # the service VIP failed on the cut node: the seed's rule keeps the primary off it
    # (defined fail-count-r_service_vip) until the operator cleans it up
    harm(spec, other, "resource", "cleanup", "g_service")
    harm(spec, other, "resource", "cleanup", "r_readonly_vip")  # its monitor saw no carrier
    healthy(spec)


def test_7_replication_link_cut_on_the_standby_falls_back_to_async(spec: LabSpec) -> None:
    first = healthy(spec)
    other = B if first == A else A
    faults.fail(spec, other, "link=eth1")
    try:
        wait_for("the standby no longer in sync",
                 lambda: status(spec, other) != "HS:sync", 60)
        assert member(spec, other, via=first)  # still a member via eth0
        wait_for(f"{other}-eth1 dead", lambda: demo.attribute(
            spec, first, f"{other}-eth1") == "dead", 30)
        sql(spec, "INSERT INTO rows VALUES (500)")  # writes go on: async fallback
        assert status(spec, first) == "PRI"
    finally:
        faults.heal(spec, other)
    lab.wait_sockets(spec, [other])
    wait_for("HS:sync again", lambda: status(spec, other) == "HS:sync", 120)


def test_8_planned_switchover_with_move_and_clear(spec: LabSpec) -> None:
    first = healthy(spec)
    other = B if first == A else A
    text = mon(spec, first)
    # nothing keeps the primary off either node
    assert "r_service_vip: migration" not in text and "r_pgsql: migration" not in text, text
    count = sql(spec, "SELECT count(*) FROM rows")
    harm(spec, other, "resource", "move", "ms_pgsql", other)
    wait_for(f"{other} PRI", lambda: status(spec, other) == "PRI", 120)
    wait_for(f"{first} HS:sync", lambda: status(spec, first) == "HS:sync", 120)
    assert sql(spec, "SELECT count(*) FROM rows") == count
    assert "cli-" in harm(spec, first, "resource", "constraints")
    harm(spec, first, "resource", "clear", "ms_pgsql")
    assert "cli-" not in harm(spec, first, "resource", "constraints")
    assert demo.primary(spec) == other  # stickiness: clear does not move it back


def test_9_split_brain_the_lock_keeps_the_old_primary_out(spec: LabSpec) -> None:
    """Both links of the primary cut (the witness with them): the cut node loses quorum
    and demotes (no-quorum-policy=demote), the standby keeps quorum with the witness and
    promotes itself. When the links come back the cluster keeps one promoted instance;
    the loser is not let back in with its data as it is (docs/quorum.md)."""
    first = healthy(spec)
    other = B if first == A else A
    faults.fail(spec, first, "link=eth0")
    faults.fail(spec, first, "link=eth1")
    try:
        wait_for(f"{other} promotes itself", lambda: demo.attribute(
            spec, other, demo.STATUS, via=other) == "PRI", 120)
    finally:
        faults.heal(spec, first)
    lab.wait_sockets(spec, [first])
    wait_for("one promoted instance after the merge",
             lambda: len(promoted(spec)) == 1 and demo.primary(spec) in promoted(spec), 180)
    survivor = promoted(spec)[0]
    loser = B if survivor == A else A
    wait_for(f"PostgreSQL on {loser} no longer a primary", lambda: not runs_as_primary(
        spec, loser), 120)
    # its data may have diverged: it is not let back in as it is; it is held back, or it
    # rewinds itself and follows the survivor
    wait_for(f"{loser} held back or following {survivor}", lambda: host_path(
        spec, loser, LOCK).exists() or data_status(spec, loser) == "DISCONNECT"
        or status(spec, loser) == "HS:sync", 150)
    # the cluster keeps serving through the survivor
    for rsc in ("g_service", "r_readonly_vip"):
        harm(spec, survivor, "resource", "cleanup", rsc)
    wait_for("the service VIP on the survivor", lambda: answers(spec), 120)


def answers(spec: LabSpec) -> bool:
    done = demo.try_sql(spec, "SELECT 1")
    return done is not None and done.returncode == 0


def promoted(spec: LabSpec) -> list[str]:
    """Nodes where the cluster's status shows r_pgsql promoted."""
    from harm.engine.unpack import unpack

    xml = request(demo.socket_of(spec, A if lab.harmd_pid(spec, A) else B), "cib")["xml"]
    state = unpack(parse_cib_xml(xml), int(time.time()))
    return sorted(n for r in state.resources if r.id.split(":")[0] == "r_pgsql"
                  and r.role.value == "Promoted" for n in r.running_on)


def runs_as_primary(spec: LabSpec, node: str) -> bool:
    """A postmaster runs in ``node``'s data directory without standby.signal."""
    data = host_path(spec, node, "/var/lib/pgsql/data")
    return (data / "postmaster.pid").exists() and not (data / "standby.signal").exists()
