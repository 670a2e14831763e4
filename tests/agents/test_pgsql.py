"""The pgsql agent against real PostgreSQL 15: two instances on loopback, no cluster.

Every action is run through ``agents/pgsql`` with the OCF environment a cluster would
give it; node attributes go to a directory store the test reads.
"""

from __future__ import annotations

import time

import psycopg
import pytest
from click.testing import CliRunner

from harm.agents.pgsql import cli as pgsql_cli

from .pgnode import RESOURCE, PgLab, PgNode, pg_lab, wait_for

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

STATUS = f"{RESOURCE}-status"
DATA = f"{RESOURCE}-data-status"
SCORE = f"master-{RESOURCE}"
CANDIDATE = f"{RESOURCE}-candidate"
MONITOR_MS = 5000


def primary(lab: PgLab, node: PgNode) -> None:
    """initdb, start as standby, win the election, promote."""
    lab.initdb(node)
    assert node.agent("start").rc == 0
    assert node.attr(STATUS) == "HS:alone"
    assert node.agent("monitor", MONITOR_MS).rc == 0
    assert node.attr(SCORE) == "1000"
    result = node.agent("promote")
    assert result.rc == 0, result.stderr
    assert node.agent("monitor", MONITOR_MS).rc == 8


def standby_of(lab: PgLab, node: PgNode, source: PgNode) -> None:
    lab.basebackup(node, source)
    result = node.agent("start")
    assert result.rc == 0, result.stderr


def peer_status(watcher: PgNode, node: PgNode, want: str) -> bool:
    """Run the primary's monitor until it publishes ``want`` as the status of ``node``."""

    def probe() -> bool:
        assert watcher.agent("monitor", MONITOR_MS).rc == 8
        return watcher.attr(STATUS, node.name) == want

    return bool(wait_for(probe, timeout=60, interval=0.5))


def replicated(node: PgNode, value: int) -> bool:
    def probe() -> bool:
        rows = node.sql("SELECT count(*) FROM t WHERE x = %s", (value,))
        return bool(rows[0][0])

    return bool(wait_for(probe, timeout=60))


def test_probe_and_stop_on_a_clean_node() -> None:
    with pg_lab("n1") as lab:
        node = lab.nodes["n1"]
        lab.initdb(node)
        assert node.agent("monitor").rc == 7
        assert node.agent("stop").rc == 0
        assert node.agent("monitor").rc == 7
        assert node.attr(STATUS) == "STOP"


def test_start_as_standby_then_promote() -> None:
    with pg_lab("n1", "n2") as lab:
        n1 = lab.nodes["n1"]
        primary(lab, n1)
        assert n1.attr(STATUS) == "PRI"
        assert n1.attr(DATA) == "LATEST"
        assert n1.attr(SCORE) == "1000"
        assert n1.lock.exists()
        assert not (n1.pgdata / "standby.signal").exists()
        # the peer that was not streaming cannot be promoted after us
        assert n1.attr(DATA, "n2") == "DISCONNECT"
        assert n1.agent("start").rc == 0  # idempotent
        assert n1.agent("promote").rc == 0  # idempotent


def test_standby_streams_async_then_sync() -> None:
    with pg_lab("n1", "n2") as lab:
        n1, n2 = lab.nodes["n1"], lab.nodes["n2"]
        primary(lab, n1)
        standby_of(lab, n2, n1)
        assert n2.attr(STATUS) == "HS:alone"
        assert n2.agent("monitor", MONITOR_MS).rc == 0
        seen = []

        def probe() -> bool:
            assert n1.agent("monitor", MONITOR_MS).rc == 8
            seen.append(n1.attr(STATUS, "n2"))
            return seen[-1] == "HS:sync"

        assert wait_for(probe, timeout=60, interval=0.5)
        assert "HS:async" in seen  # streaming first, then listed as synchronous
        assert n1.attr(DATA, "n2") == "STREAMING|SYNC"
        assert n1.attr(SCORE, "n2") == "100"
        assert 'synchronous_standby_names = \'FIRST 1 ("n2")\'' in n1.include_text()
        assert n1.sql("SHOW synchronous_standby_names") == [('FIRST 1 ("n2")',)]
        n1.sql("CREATE TABLE t (x int)")
        n1.sql("INSERT INTO t VALUES (1)")
        assert replicated(n2, 1)
        assert n2.agent("monitor", MONITOR_MS).rc == 0
        assert n2.attr(CANDIDATE) is None  # it has a primary: no election


def test_sync_standby_lost_falls_back_to_async() -> None:
    with pg_lab("n1", "n2") as lab:
        n1, n2 = lab.nodes["n1"], lab.nodes["n2"]
        primary(lab, n1)
        standby_of(lab, n2, n1)
        assert peer_status(n1, n2, "HS:sync")
        assert n2.agent("stop").rc == 0
        assert n1.agent("monitor", MONITOR_MS).rc == 8
        assert n1.attr(DATA, "n2") == "DISCONNECT"
        assert n1.attr(SCORE, "n2") == "-INFINITY"
        assert n1.sql("SHOW synchronous_standby_names") == [("",)]
        n1.sql("SET statement_timeout = '20s'; CREATE TABLE t (x int)")
        n1.sql("INSERT INTO t VALUES (2)")  # does not wait for the missing standby
        assert n1.sql("SELECT x FROM t") == [(2,)]


def test_sync_standby_lost_refuses_writes_when_asked() -> None:
    with pg_lab("n1", "n2") as lab:
        n1, n2 = lab.nodes["n1"], lab.nodes["n2"]
        for node in (n1, n2):
            node.params["sync_fallback"] = "refuse"
        primary(lab, n1)
        # no standby yet: read-only restricted
        with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
            n1.sql("CREATE TABLE t (x int)")
        standby_of(lab, n2, n1)
        assert peer_status(n1, n2, "HS:sync")
        n1.sql("CREATE TABLE t (x int)")
        assert n2.agent("stop").rc == 0
        assert n1.agent("monitor", MONITOR_MS).rc == 8
        assert n1.sql("SHOW default_transaction_read_only") == [("on",)]
        with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
            n1.sql("INSERT INTO t VALUES (3)")
        assert n1.attr(DATA, "n2") == "DISCONNECT"


def test_switchover_keeps_every_committed_row() -> None:
    with pg_lab("n1", "n2") as lab:
        n1, n2 = lab.nodes["n1"], lab.nodes["n2"]
        primary(lab, n1)
        standby_of(lab, n2, n1)
        assert peer_status(n1, n2, "HS:sync")
        n1.sql("CREATE TABLE t (x int)")
        n1.sql("INSERT INTO t SELECT generate_series(1, 1000)")
        last = n1.sql("INSERT INTO t VALUES (5000) RETURNING x")
        assert last == [(5000,)]
        # demote n1: clean stop, restart as a standby of n2
        result = n1.agent("demote")
        assert result.rc == 0, result.stderr
        assert not n1.lock.exists()  # clean stop, the sync standby had everything
        assert n1.agent("monitor", MONITOR_MS).rc == 0
        assert n1.attr(SCORE) == "-INFINITY"
        result = n2.agent("promote")
        assert result.rc == 0, result.stderr
        assert n2.agent("monitor", MONITOR_MS).rc == 8
        assert n2.sql("SELECT count(*) FROM t") == [(1001,)]
        assert peer_status(n2, n1, "HS:sync")
        n2.sql("INSERT INTO t VALUES (6000)")
        assert replicated(n1, 6000)
        assert n2.sql("SELECT timeline_id FROM pg_control_checkpoint()")[0][0] >= 2


def test_crashed_primary_is_refused_until_rejoined() -> None:
    with pg_lab("n1", "n2") as lab:
        n1, n2 = lab.nodes["n1"], lab.nodes["n2"]
        primary(lab, n1)
        standby_of(lab, n2, n1)
        assert peer_status(n1, n2, "HS:sync")
        n1.sql("CREATE TABLE t (x int)")
        n1.kill()
        assert n1.agent("monitor", MONITOR_MS).rc == 7
        assert n1.agent("demote").rc == 0  # recorded stopped, as the stock agent does
        assert n1.agent("stop").rc == 0
        assert n1.attr(STATUS) == "STOP"
        assert n1.lock.exists()
        # the sync standby wins the election and is promoted
        assert wait_for(lambda: n2.agent("monitor", MONITOR_MS).rc == 0 and
                        n2.attr(SCORE) == "1000", timeout=60)
        assert n2.agent("promote").rc == 0
        n2.sql("INSERT INTO t VALUES (7)")
        refused = n1.agent("start")
        assert refused.rc == 1
        assert "PGSQL.lock" in refused.reason
        assert "harm pgsql rejoin" in refused.reason
        assert n1.agent("monitor").rc == 7
        params = [
            f"{k[len('OCF_RESKEY_'):]}={v}"
            for k, v in n1.env().items()
            if k.startswith("OCF_RESKEY_") and "CRM_meta" not in k
        ]
        argv = ["rejoin", "-r", RESOURCE, "-N", "n1", "--primary", f"127.0.0.1:{n2.port}",
                "--no-cleanup"]
        for item in params:
            argv += ["-p", item]
        done = CliRunner().invoke(pgsql_cli.command, argv)
        assert done.exit_code == 0, done.output + repr(done.exception)
        assert "with pg_basebackup" in done.output or "with pg_rewind" in done.output
        assert not n1.lock.exists()
        result = n1.agent("start")
        assert result.rc == 0, result.stderr
        assert replicated(n1, 7)
        assert peer_status(n2, n1, "HS:sync")


def test_election_ignores_stale_candidates_and_refuses_disconnected() -> None:
    with pg_lab("n1", "n2") as lab:
        n1 = lab.nodes["n1"]
        lab.initdb(n1)
        assert n1.agent("start").rc == 0
        peer_dir = lab.attrs / "reboot" / "n2"
        peer_dir.mkdir(parents=True)
        # n2 left long ago with a higher timeline and LSN, and a stale promotion score
        (peer_dir / CANDIDATE).write_text(f"9/00000009FFFFFFFF/{int(time.time()) - 3600}")
        (peer_dir / SCORE).write_text("1000")
        result = n1.agent("monitor", MONITOR_MS)
        assert result.rc == 0
        assert n1.attr(SCORE) == "1000"
        assert "stale" in result.stdout
        # the same candidate, fresh: n1 is behind and must not be promoted
        (peer_dir / CANDIDATE).write_text(f"9/00000009FFFFFFFF/{int(time.time())}")
        assert n1.agent("monitor", MONITOR_MS).rc == 0
        assert n1.attr(SCORE) == "-INFINITY"
        # a node the primary marked DISCONNECT is never promoted
        (peer_dir / CANDIDATE).unlink()
        (lab.attrs / "forever" / "n1").mkdir(parents=True)
        (lab.attrs / "forever" / "n1" / f"{RESOURCE}-data-status").write_text("DISCONNECT")
        assert n1.agent("monitor", MONITOR_MS).rc == 0
        assert n1.attr(SCORE) == "-INFINITY"
        refused = n1.agent("promote")
        assert refused.rc == 1
        assert "DISCONNECT" in refused.reason


def test_single_server_without_replication() -> None:
    with pg_lab("n1") as lab:
        node = lab.nodes["n1"]
        node.params.update({"rep_mode": "none", "node_list": "", "master_ip": ""})
        lab.initdb(node)
        assert node.agent("monitor").rc == 7
        assert node.agent("start").rc == 0
        assert node.agent("monitor", MONITOR_MS).rc == 0
        node.sql("CREATE TABLE t (x int)")  # a plain read-write server
        assert not (node.pgdata / "standby.signal").exists()
        assert node.agent("promote").rc == 6
        assert node.agent("stop").rc == 0
        assert node.agent("monitor").rc == 7
        assert node.attr(STATUS) is None  # no replication attributes


def test_start_opt_words_reach_postgres_and_nothing_in_them_is_run() -> None:
    with pg_lab("n1") as lab:
        node = lab.nodes["n1"]
        marker = lab.base / "ran"
        node.params.update({
            "rep_mode": "none", "node_list": "", "master_ip": "",
            "start_opt": f"-c work_mem=12345kB -c 'cluster_name=a b;$(touch {marker})'",
        })
        lab.initdb(node)
        result = node.agent("start")
        assert result.rc == 0, result.stderr
        assert node.sql("SHOW work_mem") == [("12345kB",)]
        assert node.sql("SHOW cluster_name") == [(f"a b;$(touch {marker})",)]
        assert not marker.exists()
        assert node.agent("stop").rc == 0
        assert node.agent("start", start_opt="-c 'unclosed").rc == 6


def test_configuration_errors_are_rc_6_and_missing_binaries_rc_5() -> None:
    with pg_lab("n1") as lab:
        node = lab.nodes["n1"]
        lab.initdb(node)
        wrong_node = node.agent("start", node_list="osspec30 osspec31")
        assert wrong_node.rc == 6
        assert "node_list" in wrong_node.reason
        assert node.agent("start", rep_mode="semi").rc == 6
        assert node.agent("start", pgdata=str(lab.base / "nowhere")).rc == 5  # this node
        assert node.agent("start", pgctl="/nonexistent/bin/pg_ctl").rc == 5
        assert node.agent("validate-all").rc == 0


def test_diverged_standby_is_refused_and_old_primary_is_rewound() -> None:
    with pg_lab("n1", "n2") as lab:
        n1, n2 = lab.nodes["n1"], lab.nodes["n2"]
        primary(lab, n1)
        standby_of(lab, n2, n1)
        assert peer_status(n1, n2, "HS:sync")
        n1.sql("CREATE TABLE t (x int)")
        assert n2.agent("stop").rc == 0
        assert n1.agent("monitor", MONITOR_MS).rc == 8  # falls back to async
        n1.sql("INSERT INTO t SELECT generate_series(1, 100)")  # n2 never sees these
        assert n1.agent("stop").rc == 0
        assert n1.lock.exists()  # stopped as primary, not demoted: the lock stays
        assert n2.agent("start").rc == 0
        refused = n2.agent("promote")
        assert refused.rc == 1
        assert "DISCONNECT" in refused.reason
        # the operator accepts the loss and forces n2 (the attribute a cluster tool would set)
        (lab.attrs / "forever" / "n2" / f"{RESOURCE}-data-status").write_text("LATEST")
        assert n2.agent("promote").rc == 0
        assert n2.sql("SELECT count(*) FROM t") == [(0,)]
        n2.sql("INSERT INTO t VALUES (-1)")
        assert n1.agent("start").rc == 1  # diverged: refused by the lock
        argv = ["rejoin", "-r", RESOURCE, "-N", "n1", "--no-cleanup", "--method", "rewind",
                "--primary", f"127.0.0.1:{n2.port}"]
        for key, value in n1.env().items():
            if key.startswith("OCF_RESKEY_") and "CRM_meta" not in key:
                argv += ["-p", f"{key[len('OCF_RESKEY_'):]}={value}"]
        done = CliRunner().invoke(pgsql_cli.command, argv)
        assert done.exit_code == 0, done.output + repr(done.exception)
        assert "with pg_rewind" in done.output
        assert n1.agent("start").rc == 0
        assert replicated(n1, -1)
        assert n1.sql("SELECT count(*) FROM t") == [(1,)]  # the 100 diverged rows are gone


def test_replication_slots_follow_the_primary() -> None:
    with pg_lab("n1", "n2") as lab:
        n1, n2 = lab.nodes["n1"], lab.nodes["n2"]
        for node in (n1, n2):
            node.params["replication_slot_name"] = "harm"
        primary(lab, n1)
        assert n1.sql("SELECT slot_name FROM pg_replication_slots") == [("harm_n2",)]
        standby_of(lab, n2, n1)
        assert peer_status(n1, n2, "HS:sync")
        assert n1.sql("SELECT slot_name, active FROM pg_replication_slots") == [("harm_n2", True)]
        assert n1.agent("demote").rc == 0
        assert n2.agent("promote").rc == 0
        assert peer_status(n2, n1, "HS:sync")
        assert n2.sql("SELECT slot_name, active FROM pg_replication_slots") == [("harm_n1", True)]
