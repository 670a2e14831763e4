"""The pgsql agent's actions.

    start    (replication) write the standby settings + standby.signal and start as a hot
             standby (``HS:alone``); refused while ``PGSQL.lock`` exists
    promote  create the lock, ``pg_ctl promote``, become ``PRI`` with data ``LATEST``
    demote   clean stop, then start as a standby; the lock goes when the stop was clean
             (every peer either received the shutdown checkpoint or is marked DISCONNECT)
    monitor  7 stopped, 0 standby, 8 primary; the primary publishes its peers' status and
             manages synchronous_standby_names; a standby without a primary runs the election
    stop     ``-m fast``, escalating to ``immediate`` after ``stop_escalate`` seconds
"""

from __future__ import annotations

import contextlib
import sys
import time

from harm.errors import AgentError
from harm.ocf.attributes import AttributeStore, Lifetime, store_from_environ
from harm.ocf.deadline import Deadline
from harm.ocf.env import OcfEnv
from harm.ocf.outcome import ActionError, failed, not_configured
from harm.ocf.quorum import query_quorum
from harm.ocf.rc import OcfRc
from harm.ocf.runner import Agent

from . import server
from .decide import (
    DATA_DISCONNECT,
    DATA_LATEST,
    SCORE_NEVER,
    SCORE_PRIMARY,
    STATUS_ALONE,
    STATUS_PRIMARY,
    STATUS_STOP,
    Candidate,
    Position,
    decode_candidate,
    diverged,
    elect,
    format_lsn,
    parse_history,
    plan_replication,
    promotion_refusal,
)
from .lockfile import create_lock, remove_lock
from .metadata import INFO
from .rejoin import rejoin_detailed
from .settings import PgSettings, RepMode, SyncFallback, settings_from_env


class Context:
    """One call: settings, attribute store, deadline."""

    def __init__(self, env: OcfEnv) -> None:
        self.env = env
        self.settings = settings_from_env(env)
        self.deadline = Deadline.after_ms(env.timeout_ms)
        self._store: AttributeStore | None = None

    @property
    def store(self) -> AttributeStore:
        if self._store is None:
            self._store = store_from_environ(self.env.environ)
        return self._store

    def set_attr(
        self, node: str, name: str, value: str, lifetime: Lifetime = Lifetime.REBOOT
    ) -> None:
        if self.store.query(node, name) != value:
            self.store.update(node, name, value, lifetime=lifetime)

    def my(self, name: str) -> str | None:
        return self.store.query(self.settings.node, name)

    def set_mine(self, name: str, value: str, lifetime: Lifetime = Lifetime.REBOOT) -> None:
        self.set_attr(self.settings.node, name, value, lifetime)

    def drop_mine(self, name: str) -> None:
        if self.my(name) is not None:
            self.store.delete(self.settings.node, name)


# --- validate ------------------------------------------------------------------------------


def _check_installed(s: PgSettings) -> None:
    for binary in (s.pgctl, s.bindir / "postgres", s.bindir / "pg_controldata"):
        if not binary.is_file():
            raise ActionError(OcfRc.ERR_INSTALLED, f"{binary} is not installed")
    try:
        server.account(s)
    except AgentError as error:
        raise ActionError(OcfRc.ERR_INSTALLED, str(error)) from None


def validate(env: OcfEnv) -> OcfRc:
    s = settings_from_env(env)
    _check_installed(s)
    return OcfRc.OK


def _check_data_dir(s: PgSettings) -> None:
    """A missing data directory is this node's problem (5), not the configuration's (6)."""
    if not (s.pgdata / "PG_VERSION").is_file():
        raise ActionError(
            OcfRc.ERR_INSTALLED, f"pgdata {s.pgdata} is not a PostgreSQL data directory"
        )
    if s.config and not s.config_file.is_file():
        raise ActionError(OcfRc.ERR_INSTALLED, f"config {s.config} does not exist")


# --- start / stop --------------------------------------------------------------------------


def _lock_refusal(s: PgSettings) -> str:
    return (
        f"{s.lock_file} exists: this node was primary and its data may have diverged from "
        f"the current primary. Re-seed it (harm pgsql rejoin, or pg_basebackup from the "
        f"primary into {s.pgdata}), then remove {s.lock_file} and clean up the resource"
    )


def start(env: OcfEnv) -> OcfRc:
    ctx = Context(env)
    s = ctx.settings
    _check_installed(s)
    _check_data_dir(s)
    if server.postmaster_pid(s) is not None:
        return OcfRc.OK
    if s.replicated:
        server.ensure_tmpdir(s)
        if s.lock_file.exists():
            raise failed(_lock_refusal(s))
        server.ensure_include_line(s)
        server.write_standby_config(s)
    else:
        server.ensure_include_line(s)
        server.write_primary_config(s, (), False)
    server.start(s, ctx.deadline)
    if s.replicated:
        ctx.set_mine(s.status_attr, STATUS_ALONE)
        ctx.set_mine(s.score_attr, SCORE_NEVER)
        ctx.drop_mine(s.candidate_attr)
        _reset_election(s)
    return OcfRc.OK


def stop(env: OcfEnv) -> OcfRc:
    ctx = Context(env)
    s = ctx.settings
    if server.postmaster_pid(s) is not None:
        server.stop(s, ctx.deadline)
        if server.postmaster_pid(s) is not None:
            raise failed("PostgreSQL did not stop")
    if s.replicated:
        ctx.set_mine(s.status_attr, STATUS_STOP)
        ctx.set_mine(s.score_attr, SCORE_NEVER)
        ctx.drop_mine(s.candidate_attr)
        ctx.drop_mine(s.xlog_attr)
        _reset_election(s)
    return OcfRc.OK


# --- monitor -------------------------------------------------------------------------------


def monitor(env: OcfEnv) -> OcfRc:
    ctx = Context(env)
    s = ctx.settings
    if server.postmaster_pid(s) is None:
        return OcfRc.NOT_RUNNING
    try:
        seen = server.observe(s)
    except AgentError as error:
        raise failed(f"PostgreSQL runs but does not answer: {error}") from None
    if not s.replicated:
        if seen.in_recovery:
            raise failed("rep_mode is none but the server is in recovery (standby.signal?)")
        return OcfRc.OK
    if seen.in_recovery:
        _standby_round(ctx, seen)
        return OcfRc.OK
    _primary_round(ctx, seen)
    return OcfRc.RUNNING_PROMOTED


def _may_act_alone(ctx: Context) -> bool:
    """Quorum, or no-quorum-policy=ignore; an unanswered question counts as no."""
    try:
        return query_quorum(ctx.env.environ).may_act_alone
    except AgentError as error:
        print(f"quorum unknown, taken as lost: {error}", file=sys.stderr)
        return False


def _primary_round(ctx: Context, seen: server.Observation) -> None:
    s = ctx.settings
    current, was_read_only = server.read_primary_config(s)
    streaming = any(r.state == "streaming" for r in seen.replicas)
    alone_ok = True
    if s.rep_mode is RepMode.SYNC and not streaming and s.sync_fallback is SyncFallback.ASYNC:
        alone_ok = _may_act_alone(ctx)
    plan = plan_replication(
        seen.replicas,
        peers=s.peers,
        peer_status={n: ctx.store.query(n, s.status_attr) for n in s.peers},
        rep_mode=s.rep_mode,
        fallback=s.sync_fallback,
        current_sync=current,
        may_act_alone=alone_ok,
    )
    if (plan.sync_names, plan.read_only) != (current, was_read_only):
        server.write_primary_config(s, plan.sync_names, plan.read_only)
        server.reload(s)
        if not alone_ok and not was_read_only:
            # sessions already open keep their read-write default, and a commit waiting
            # for the standby must not be cancelled (it would be reported committed):
            # end them; the cluster demotes this primary (no-quorum-policy)
            print("no quorum and no synchronous standby: read-only, client sessions ended",
                  file=sys.stderr)
            server.terminate_clients(s)
    for node, view in plan.peers.items():
        if view.status is not None:
            ctx.set_attr(node, s.status_attr, view.status)
        ctx.set_attr(node, s.data_status_attr, view.data_status, Lifetime.FOREVER)
        ctx.set_attr(node, s.score_attr, view.score)
    ctx.set_mine(s.status_attr, STATUS_PRIMARY)
    ctx.set_mine(s.data_status_attr, DATA_LATEST, Lifetime.FOREVER)
    ctx.set_mine(s.score_attr, SCORE_PRIMARY)


def _reset_election(s: PgSettings) -> None:
    with contextlib.suppress(OSError):
        (s.tmpdir / f"{s.resource}.no-primary-count").unlink(missing_ok=True)


def _bump_election(s: PgSettings) -> int:
    path = s.tmpdir / f"{s.resource}.no-primary-count"
    try:
        count = int(path.read_text()) + 1
    except (OSError, ValueError):
        count = 1
    server.ensure_tmpdir(s)
    path.write_text(str(count))
    return count


def _standby_round(ctx: Context, seen: server.Observation) -> None:
    s = ctx.settings
    ctx.set_mine(s.xlog_attr, format_lsn(seen.lsn))
    if seen.receiving:
        # a primary exists and feeds us: it publishes our status and score. A diverged
        # standby's receiver may be caught connecting; the primary never saw it stream, so
        # it is still HS:alone: compare it with the primary now (its receiver's timeline
        # is known, so this is exact)
        if ctx.my(s.status_attr) == STATUS_ALONE:
            primary = next((n for n in s.peers
                            if ctx.store.query(n, s.status_attr) == STATUS_PRIMARY), None)
            if primary is not None and _rejoin_if_diverged(ctx, seen, primary):
                return
        _reset_election(s)
        ctx.drop_mine(s.candidate_attr)
        ctx.drop_mine(s.needs_attr)
        return
    now = time.time()
    me = Candidate(s.node, Position(seen.timeline, seen.lsn), now)
    ctx.set_mine(s.candidate_attr, me.position.encode(now))
    if ctx.my(s.status_attr) != STATUS_ALONE:
        ctx.set_mine(s.status_attr, STATUS_ALONE)
    primary = next((n for n in s.peers if ctx.store.query(n, s.status_attr) == STATUS_PRIMARY),
                   None)
    rounds = _bump_election(s)
    # a standby that just lost its stream (a timeline switch restarts it, and its
    # checkpoint still names the old timeline) gets a round to reconnect before its data
    # is compared with the primary's; a wrong guess costs a pg_rewind that finds nothing
    if primary is not None and rounds >= 2 and _rejoin_if_diverged(ctx, seen, primary):
        return
    if rounds < s.xlog_check_count:
        return
    peers = [
        c
        for c in (decode_candidate(n, ctx.store.query(n, s.candidate_attr)) for n in s.peers)
        if c is not None
    ]
    interval_s = max(ctx.env.interval_ms / 1000.0, 1.0)
    max_age = max(interval_s * (s.xlog_check_count + 2), 30.0)
    outcome = elect(
        me,
        peers=peers,
        data_status=ctx.my(s.data_status_attr),
        rep_mode=s.rep_mode,
        now=now,
        max_age=max_age,
    )
    ctx.set_mine(s.score_attr, outcome.score)
    print(f"election: {outcome.reason}")


def _rejoin_command(s: PgSettings) -> str:
    return f"harm pgsql rejoin -r {s.resource} (on {s.node})"


def _rejoin_if_diverged(ctx: Context, seen: server.Observation, primary: str) -> bool:
    """A primary runs on ``primary`` and this standby does not follow it: when its data
    went past the primary's fork (a former primary after a split), rewind it with
    pg_rewind and start it again as a standby; when that is not safe (the lock of a
    primary that did not stop cleanly) or fails, stay out and say what to run. True
    when this round handled it."""
    s = ctx.settings
    try:
        timeline, history = server.primary_timeline(s, s.master_ip, s.master_port)
    except AgentError:
        return False  # the primary is not reachable yet: nothing to decide
    if not diverged(Position(seen.timeline, seen.lsn), timeline, parse_history(history)):
        ctx.drop_mine(s.needs_attr)
        return False
    why = (f"its data (timeline {seen.timeline}, lsn {format_lsn(seen.lsn)}) diverged from "
           f"the primary {primary} (timeline {timeline})")
    if s.lock_file.exists():
        ctx.set_mine(s.needs_attr, f"{_rejoin_command(s)}: {why}; {s.lock_file} kept")
        print(f"not rejoining by itself: {why} and {s.lock_file} exists", file=sys.stderr)
        return True
    print(f"{why}: rewinding with pg_rewind")
    try:
        outcome = rejoin_detailed(s, s.master_ip, s.master_port, method="rewind",
                                  timeout_s=max(ctx.deadline.remaining() - 5.0, 5.0))
    except AgentError as error:
        if "nothing to rewind" in str(error):
            # the histories did not fork after all: start it again, it follows the primary
            print(f"pg_rewind found nothing to rewind; starting {s.node} again as a standby")
            server.ensure_include_line(s)
            server.write_standby_config(s)
            server.start(s, ctx.deadline)
            return True
        s.lock_file.touch()  # keep it out until an operator has looked
        ctx.set_mine(s.needs_attr, f"{_rejoin_command(s)}: {why}; pg_rewind failed")
        raise failed(f"{why}; pg_rewind failed ({error}); run {_rejoin_command(s)}") from None
    server.ensure_include_line(s)
    server.write_standby_config(s)
    server.start(s, ctx.deadline)
    ctx.drop_mine(s.needs_attr)
    print(f"rejoined {primary} as a standby: {outcome.detail}")
    return True


# --- promote / demote ----------------------------------------------------------------------


def promote(env: OcfEnv) -> OcfRc:
    ctx = Context(env)
    s = ctx.settings
    if not s.replicated:
        raise not_configured("promote needs rep_mode async or sync")
    if server.postmaster_pid(s) is None:
        raise ActionError(OcfRc.NOT_RUNNING, "PostgreSQL is not running")
    seen = server.observe(s)
    if not seen.in_recovery:
        _primary_round(ctx, seen)
        return OcfRc.OK
    refusal = promotion_refusal(ctx.my(s.data_status_attr), s.rep_mode)
    if refusal:
        raise failed(f"refusing to promote {s.node}: {refusal}")
    if not _may_act_alone(ctx):
        raise failed(f"refusing to promote {s.node}: its partition has no quorum")
    server.ensure_tmpdir(s)
    create_lock(s.lock_file)
    refuse = s.rep_mode is RepMode.SYNC and _refuses(s)
    server.write_primary_config(s, (), refuse, drop_signal=False)
    server.promote(s, ctx.deadline)
    promoted = ctx.deadline.wait_for(
        lambda: True if not server.observe(s).in_recovery else None, interval=0.1
    )
    if not promoted:
        raise failed("pg_ctl promote returned but the server is still in recovery")
    server.reload(s)
    server.ensure_slots(s)
    ctx.set_mine(s.baseline_attr, format_lsn(seen.lsn))
    ctx.drop_mine(s.candidate_attr)
    ctx.drop_mine(s.xlog_attr)
    _reset_election(s)
    _primary_round(ctx, server.observe(s))
    return OcfRc.OK


def _refuses(s: PgSettings) -> bool:
    return s.sync_fallback is SyncFallback.REFUSE


def demote(env: OcfEnv) -> OcfRc:
    ctx = Context(env)
    s = ctx.settings
    if not s.replicated:
        raise not_configured("demote needs rep_mode async or sync")
    if server.postmaster_pid(s) is None:
        # as the stock agent: a primary that died is demoted by recording it stopped (the
        # failed monitor already told the cluster); its lock file stays, so it will not
        # start again on old data until an operator has looked
        ctx.set_mine(s.status_attr, STATUS_STOP)
        ctx.set_mine(s.score_attr, SCORE_NEVER)
        print(f"demote: PostgreSQL was not running; {s.lock_file} is kept", file=sys.stderr)
        return OcfRc.OK
    seen = server.observe(s)
    if seen.in_recovery:
        return OcfRc.OK
    streaming = {r.application_name for r in seen.replicas if r.state == "streaming"}
    clean = server.stop(s, ctx.deadline)
    state = server.controldata(s).get("Database cluster state", "") if clean else ""
    clean = clean and state == "shut down"
    for node in s.peers:
        if node not in streaming:
            ctx.set_attr(node, s.data_status_attr, DATA_DISCONNECT, Lifetime.FOREVER)
            ctx.set_attr(node, s.score_attr, SCORE_NEVER)
    if clean:
        remove_lock(s.lock_file)
    ctx.set_mine(s.score_attr, SCORE_NEVER)
    server.write_standby_config(s)
    server.start(s, ctx.deadline)
    ctx.set_mine(s.status_attr, STATUS_ALONE)
    if not clean:
        raise failed(f"the primary did not stop cleanly ({state or 'killed'}); lock kept")
    return OcfRc.OK


def notify(env: OcfEnv) -> OcfRc:
    return OcfRc.OK


AGENT = Agent(
    INFO,
    {
        "start": start,
        "stop": stop,
        "monitor": monitor,
        "promote": promote,
        "demote": demote,
        "notify": notify,
        "validate-all": validate,
    },
)
