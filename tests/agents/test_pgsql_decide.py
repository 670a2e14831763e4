"""The pgsql agent's pure decisions: election, promotion refusal, sync standby plan; the
argv it gives pg_ctl, and the lock file made durable."""

from __future__ import annotations

import os
import shlex
import stat
from pathlib import Path

import pytest

from harm.agents.pgsql import server
from harm.agents.pgsql.decide import (
    Candidate,
    Position,
    Replica,
    ReplicationPlan,
    decode_candidate,
    elect,
    format_lsn,
    parse_lsn,
    plan_replication,
    promotion_refusal,
    quote_standby_names,
)
from harm.agents.pgsql.lockfile import create_lock, remove_lock
from harm.agents.pgsql.settings import RepMode, SyncFallback, settings_from_params
from harm.ocf.outcome import ActionError

NOW = 1_000_000.0


def cand(node: str, tli: int, lsn: int, age: float = 0.0) -> Candidate:
    return Candidate(node, Position(tli, lsn), NOW - age)


def test_lsn_forms() -> None:
    assert parse_lsn("0/3000060") == 0x3000060
    assert parse_lsn("1/0") == 1 << 32
    assert format_lsn(0x3000060) == "0000000003000060"
    assert parse_lsn(format_lsn(0x1_2345_6789)) == 0x1_2345_6789


def test_candidate_encoding_round_trip_and_garbage() -> None:
    me = cand("n1", 3, 0x500)
    text = me.position.encode(NOW)
    assert decode_candidate("n1", text) == me
    assert decode_candidate("n1", None) is None
    assert decode_candidate("n1", "3/zz/1") is None
    assert decode_candidate("n1", "3/500") is None


def test_timeline_wins_over_lsn() -> None:
    me = cand("n1", 2, 0x100)
    peer = cand("n2", 1, 0x900)
    result = elect(me, peers=[peer], data_status=None, rep_mode=RepMode.SYNC, now=NOW,
                   max_age=30)
    assert result.score == "1000"
    assert "most recent" in result.reason


def test_behind_a_live_peer_is_never() -> None:
    result = elect(cand("n1", 2, 0x100), peers=[cand("n2", 2, 0x200)], data_status="LATEST",
                   rep_mode=RepMode.SYNC, now=NOW, max_age=30)
    assert result.score == "-INFINITY"
    assert "behind n2" in result.reason


def test_stale_peer_does_not_block() -> None:
    result = elect(cand("n1", 2, 0x100), peers=[cand("n2", 9, 0xFFFF, age=31)],
                   data_status="STREAMING|SYNC", rep_mode=RepMode.SYNC, now=NOW, max_age=30)
    assert result.score == "1000"
    assert "stale" in result.reason and "n2" in result.reason


def test_equal_positions_both_may_win() -> None:
    result = elect(cand("n1", 2, 0x100), peers=[cand("n2", 2, 0x100)], data_status=None,
                   rep_mode=RepMode.ASYNC, now=NOW, max_age=30)
    assert result.score == "1000"


@pytest.mark.parametrize(
    ("data_status", "mode", "allowed"),
    [
        (None, RepMode.SYNC, True),
        ("LATEST", RepMode.SYNC, True),
        ("STREAMING|SYNC", RepMode.SYNC, True),
        ("STREAMING|ASYNC", RepMode.SYNC, False),
        ("STREAMING|ASYNC", RepMode.ASYNC, True),
        ("STREAMING|POTENTIAL", RepMode.SYNC, False),
        ("DISCONNECT", RepMode.ASYNC, False),
        ("DISCONNECT", RepMode.SYNC, False),
    ],
)
def test_promotion_refusal(data_status: str | None, mode: RepMode, allowed: bool) -> None:
    assert (promotion_refusal(data_status, mode) is None) is allowed


def test_refused_standby_scores_never_even_when_ahead() -> None:
    result = elect(cand("n1", 5, 0x900), peers=[], data_status="DISCONNECT",
                   rep_mode=RepMode.SYNC, now=NOW, max_age=30)
    assert result.score == "-INFINITY"
    assert "DISCONNECT" in result.reason


def _plan(replicas: list[Replica], fallback: SyncFallback = SyncFallback.ASYNC,
          current: tuple[str, ...] = (), mode: RepMode = RepMode.SYNC,
          status: dict[str, str | None] | None = None) -> ReplicationPlan:
    return plan_replication(replicas, peers=["n2", "n3"], peer_status=status or {},
                            rep_mode=mode, fallback=fallback, current_sync=current)


def test_streaming_standbys_become_sync_candidates_in_node_list_order() -> None:
    plan = _plan([Replica("n3", "streaming", "async"), Replica("n2", "streaming", "async")])
    assert plan.sync_names == ("n2", "n3")
    assert not plan.read_only
    assert plan.peers["n2"].status == "HS:async"
    assert plan.peers["n2"].score == "-INFINITY"  # not yet synchronous


def test_sync_and_potential_views() -> None:
    plan = _plan([Replica("n2", "streaming", "sync"), Replica("n3", "streaming", "potential")],
                 current=("n2", "n3"))
    assert plan.peers["n2"].status == "HS:sync"
    assert plan.peers["n2"].data_status == "STREAMING|SYNC"
    assert plan.peers["n2"].score == "100"
    assert plan.peers["n3"].status == "HS:potential"
    assert plan.peers["n3"].score == "-INFINITY"


def test_catchup_is_not_streaming_and_lost_standby_goes_alone() -> None:
    plan = _plan([Replica("n2", "catchup", "async")], status={"n2": "HS:sync", "n3": "STOP"})
    assert plan.peers["n2"].data_status == "DISCONNECT"
    assert plan.peers["n2"].status == "HS:alone"
    assert plan.peers["n3"].status is None  # a stopped peer keeps its own STOP
    assert plan.sync_names == ()


def test_refuse_fallback_keeps_names_and_goes_read_only() -> None:
    plan = _plan([], fallback=SyncFallback.REFUSE, current=("n2",))
    assert plan.sync_names == ("n2",)
    assert plan.read_only


def test_without_quorum_the_async_fallback_becomes_a_refusal() -> None:
    """A primary cut off from its standby and without quorum must not acknowledge commits
    the other side never sees: its commits wait, new transactions are read-only."""
    alone = plan_replication([], peers=["n2", "n3"], peer_status={}, rep_mode=RepMode.SYNC,
                             fallback=SyncFallback.ASYNC, current_sync=(),
                             may_act_alone=False)
    assert alone.sync_names == ("n2", "n3") and alone.read_only
    quorate = plan_replication([], peers=["n2", "n3"], peer_status={}, rep_mode=RepMode.SYNC,
                               fallback=SyncFallback.ASYNC, current_sync=("n2",),
                               may_act_alone=True)
    assert quorate.sync_names == () and not quorate.read_only


def test_async_mode_never_lists_sync_names() -> None:
    plan = _plan([Replica("n2", "streaming", "async")], mode=RepMode.ASYNC)
    assert plan.sync_names == ()
    assert plan.peers["n2"].score == "100"


def test_standby_names_quoting() -> None:
    assert quote_standby_names([]) == ""
    assert quote_standby_names(["a", 'b"c']) == 'FIRST 1 ("a", "b""c")'


def test_settings_check_the_seed_mistakes() -> None:
    params = {"rep_mode": "sync", "node_list": "osspec30 osspec31", "master_ip": "192.168.11.10"}
    with pytest.raises(ActionError) as caught:
        settings_from_params(params, "r_pgsql", "osspc30")
    assert "osspc30" in caught.value.reason and "node_list" in caught.value.reason
    ok = settings_from_params(params, "r_pgsql", "osspec30")
    assert ok.peers == ("osspec31",)
    assert ok.master_port == 5432
    assert ok.lock_file.name == "PGSQL.lock"
    with pytest.raises(ActionError):
        settings_from_params({**params, "rep_mode": "semi"}, "r_pgsql", "osspec30")
    with pytest.raises(ActionError):
        settings_from_params({"rep_mode": "async", "node_list": "a"}, "r", "a")  # no master_ip


def test_start_opt_reaches_postgres_word_by_word_and_nothing_is_run() -> None:
    params = {"rep_mode": "none", "start_opt": "-c work_mem=64MB -c 'cluster_name=a b;$(id)'",
              "socketdir": "/tmp/s k", "pgport": "5433"}
    settings = settings_from_params(params, "r", "n1")
    assert server.server_arguments(settings) == [
        "-p", "5433", "-k", "/tmp/s k", "-c", "work_mem=64MB", "-c", "cluster_name=a b;$(id)"]
    argv = server.start_argv(settings, 30)
    options = [argv[i + 1] for i, word in enumerate(argv) if word == "-o"]
    # pg_ctl joins its -o options for /bin/sh -c: each word is quoted for that shell
    assert options == [shlex.quote(w) for w in server.server_arguments(settings)]
    assert shlex.split(" ".join(options)) == server.server_arguments(settings)
    with pytest.raises(ActionError) as caught:
        settings_from_params({**params, "start_opt": "-c 'unclosed"}, "r", "n1")
    assert caught.value.rc == 6 and "start_opt" in caught.value.reason


def test_the_lock_file_is_made_and_removed_durably(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    synced: list[str] = []
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        synced.append("dir" if stat.S_ISDIR(os.fstat(fd).st_mode) else "file")
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    lock = tmp_path / "PGSQL.lock"
    create_lock(lock)
    assert lock.exists() and synced == ["file", "dir"]
    create_lock(lock)  # already there: kept, synced again
    remove_lock(lock)
    assert not lock.exists() and synced == ["file", "dir", "file", "dir", "dir"]
    remove_lock(lock)  # already gone: nothing to sync
    assert len(synced) == 5


def test_a_former_primary_past_the_fork_has_diverged() -> None:
    from harm.agents.pgsql.decide import Position, diverged, parse_history

    history = parse_history("1\t0/3000060\tno recovery target specified\n"
                            "2\t0/3063DD8\tno recovery target specified\n")
    assert history == ((1, 0x3000060), (2, 0x3063DD8))
    assert diverged(Position(2, 0x3069CD0), 3, history)  # wrote past the fork
    assert not diverged(Position(2, 0x3063DD8), 3, history)  # stopped at it: can follow
    assert not diverged(Position(3, 0x4000000), 3, history)  # same timeline
    assert diverged(Position(5, 0x10), 3, history)  # a timeline the primary never had
