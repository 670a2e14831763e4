"""The local PostgreSQL instance: processes, configuration files and queries.

Everything PostgreSQL runs as ``pgdba``: commands with ``subprocess(user=…)`` in their own
session, queries in a forked child that took ``pgdba``'s uid, so local ``peer``
authentication works when the agent runs as root. The agent owns one file in the data
directory, ``harm-pgsql.conf``, and adds one ``include_if_exists`` line for it to the
configuration file in use; it never rewrites anything else there.
"""

from __future__ import annotations

import json
import os
import pwd
import select
import shlex
import signal
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harm.errors import AgentError
from harm.ocf.deadline import Deadline

from .decide import Replica, quote_standby_names
from .settings import PgSettings

INCLUDE_MARK = "# added by harm's pgsql agent"
SIGNAL_NAME = "standby.signal"

Row = list[Any]


@dataclass(frozen=True)
class Account:
    uid: int
    gid: int
    name: str
    home: str

    @property
    def is_current(self) -> bool:
        return os.geteuid() == self.uid


def account(settings: PgSettings) -> Account:
    try:
        entry = pwd.getpwnam(settings.pgdba)
    except KeyError:
        raise AgentError(f"pgdba user {settings.pgdba!r} does not exist") from None
    return Account(entry.pw_uid, entry.pw_gid, entry.pw_name, entry.pw_dir)


def run(
    settings: PgSettings, argv: Sequence[str], timeout: float
) -> subprocess.CompletedProcess[str]:
    """Run a PostgreSQL tool as pgdba in its own session (killed whole on timeout)."""
    who = account(settings)
    user = None if who.is_current else who.uid
    group = None if who.is_current else who.gid
    env = {"PATH": "/usr/bin:/bin", "LANG": "C", "LC_ALL": "C", "HOME": who.home or "/"}
    try:
        proc = subprocess.Popen(
            list(argv),
            user=user,
            group=group,
            extra_groups=[] if user is not None else None,
            cwd="/",
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
    except OSError as error:
        raise AgentError(f"cannot run {argv[0]}: {error}") from None
    try:
        out, err = proc.communicate(timeout=max(timeout, 1.0))
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        return subprocess.CompletedProcess(list(argv), 124, out, err + "\n(timed out)")
    return subprocess.CompletedProcess(list(argv), proc.returncode, out, err)


def tool(settings: PgSettings, name: str) -> str:
    return str(settings.bindir / name)


# --- is it running -------------------------------------------------------------------------


def postmaster_pid(settings: PgSettings) -> int | None:
    """The pid of this data directory's postmaster when it is alive, else None."""
    try:
        first = (settings.pgdata / "postmaster.pid").read_text().split("\n", 1)[0]
        pid = int(first)
    except (OSError, ValueError):
        return None
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    comm = stat[stat.find("(") + 1 : stat.rfind(")")]
    state = stat[stat.rfind(")") + 2 :][:1]
    if state in {"Z", "X"}:  # dead, waiting to be reaped
        return None
    return pid if comm in {"postgres", "postmaster"} else None


def is_standby_configured(settings: PgSettings) -> bool:
    return (settings.pgdata / SIGNAL_NAME).exists()


# --- configuration files -------------------------------------------------------------------


def _conf_value(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _write_owned(settings: PgSettings, path: Path, text: str) -> None:
    who = account(settings)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    if not who.is_current:
        os.chown(tmp, who.uid, who.gid)
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)


def ensure_include_line(settings: PgSettings) -> None:
    """Make ``include_if_exists = '<pgdata>/harm-pgsql.conf'`` the config file's one line
    from harm, at its end (a line copied from another node by pg_basebackup is dropped)."""
    conf = settings.config_file
    try:
        text = conf.read_text(encoding="utf-8")
    except OSError as error:
        raise AgentError(f"cannot read {conf}: {error}") from None
    line = f"include_if_exists = {_conf_value(str(settings.include_file))}  {INCLUDE_MARK}"
    lines = text.splitlines()
    kept = [x for x in lines if not x.rstrip().endswith(INCLUDE_MARK)]
    if lines and lines[-1] == line and len(kept) == len(lines) - 1:
        return
    stat = conf.stat()
    tmp = conf.with_name(f".{conf.name}.harm.tmp")
    tmp.write_text("\n".join([*kept, line]) + "\n", encoding="utf-8")
    os.chown(tmp, stat.st_uid, stat.st_gid)
    os.chmod(tmp, stat.st_mode & 0o7777)
    os.replace(tmp, conf)


def conninfo_for_primary(settings: PgSettings) -> str:
    parts = [
        f"host={settings.master_ip}",
        f"port={settings.master_port}",
        f"user={settings.repuser}",
        f"application_name={settings.node}",
    ]
    if settings.primary_conninfo_opt:
        parts.append(settings.primary_conninfo_opt)
    return " ".join(parts)


def write_standby_config(settings: PgSettings) -> None:
    lines = [
        "# managed by harm's pgsql agent; rewritten on start, promote and demote",
        f"primary_conninfo = {_conf_value(conninfo_for_primary(settings))}",
        "recovery_target_timeline = 'latest'",
        "hot_standby = on",
        "synchronous_standby_names = ''",
        "default_transaction_read_only = off",
    ]
    if settings.restore_command:
        lines.append(f"restore_command = {_conf_value(settings.restore_command)}")
    if settings.replication_slot_name:
        lines.append(f"primary_slot_name = {_conf_value(settings.slot_for(settings.node))}")
    _write_owned(settings, settings.include_file, "\n".join(lines) + "\n")
    _write_owned(settings, settings.pgdata / SIGNAL_NAME, "")


def write_primary_config(
    settings: PgSettings, sync_names: Sequence[str], read_only: bool, drop_signal: bool = True
) -> None:
    """The primary's settings; ``drop_signal=False`` before ``pg_ctl promote`` (PostgreSQL
    removes standby.signal itself and fails if it is already gone)."""
    lines = [
        "# managed by harm's pgsql agent; rewritten on start, promote and demote",
        f"synchronous_standby_names = {_conf_value(quote_standby_names(sync_names))}",
        f"default_transaction_read_only = {'on' if read_only else 'off'}",
    ]
    _write_owned(settings, settings.include_file, "\n".join(lines) + "\n")
    if drop_signal:
        (settings.pgdata / SIGNAL_NAME).unlink(missing_ok=True)


def read_primary_config(settings: PgSettings) -> tuple[tuple[str, ...], bool]:
    """The sync names and read-only flag the include file holds now."""
    names: tuple[str, ...] = ()
    read_only = False
    try:
        text = settings.include_file.read_text(encoding="utf-8")
    except OSError:
        return names, read_only
    for line in text.splitlines():
        key, _, value = line.partition("=")
        key, value = key.strip(), value.strip().strip("'")
        if key == "synchronous_standby_names" and "(" in value:
            inner = value[value.index("(") + 1 : value.rindex(")")]
            names = tuple(n.strip().strip('"') for n in inner.split(",") if n.strip())
        elif key == "default_transaction_read_only":
            read_only = value == "on"
    return names, read_only


def ensure_tmpdir(settings: PgSettings) -> None:
    who = account(settings)
    settings.tmpdir.mkdir(parents=True, exist_ok=True)
    if not who.is_current:
        os.chown(settings.tmpdir, who.uid, who.gid)


# --- pg_ctl --------------------------------------------------------------------------------


def server_arguments(settings: PgSettings) -> list[str]:
    """The postgres command-line arguments, one word each: ``start_opt`` is split as a
    shell would split it (quotes group), but nothing in it is ever run or expanded."""
    arguments = ["-p", str(settings.pgport)]
    if settings.socketdir:
        arguments += ["-k", settings.socketdir]
    if settings.config:
        arguments += ["-c", f"config_file={settings.config}"]
    return arguments + shlex.split(settings.start_opt)  # checked by settings_from_params


def start_argv(settings: PgSettings, seconds: int) -> list[str]:
    """``pg_ctl start``'s argv. pg_ctl hands its ``-o`` options to postgres through
    ``/bin/sh -c``, so each word goes in its own ``-o``, quoted for that shell: the server
    receives exactly the words, and ``$(…)``, ``;`` or ``*`` stay plain text."""
    argv = [str(settings.pgctl), "start", "-w", "-t", str(seconds), "-D", str(settings.pgdata),
            "-l", settings.logfile]
    for word in server_arguments(settings):
        argv += ["-o", shlex.quote(word)]
    return argv


def start(settings: PgSettings, deadline: Deadline) -> None:
    """``pg_ctl start -w``: returns once the server accepts connections, raises otherwise."""
    seconds = max(int(deadline.remaining()), 1)
    argv = start_argv(settings, seconds)
    done = run(settings, argv, deadline.remaining() + 2)
    if done.returncode != 0:
        raise AgentError(f"pg_ctl start failed ({done.returncode}): {_tail(done)}")


def stop(settings: PgSettings, deadline: Deadline) -> bool:
    """Stop with ``-m fast``, escalate to ``immediate`` then SIGKILL. True if it was clean."""
    pgctl = [str(settings.pgctl), "stop", "-w", "-D", str(settings.pgdata)]
    fast_for = deadline.remaining() * 0.8
    if settings.stop_escalate > 0:
        fast_for = min(fast_for, float(settings.stop_escalate))
    fast_for = max(fast_for, 1.0)
    done = run(settings, [*pgctl, "-m", "fast", "-t", str(int(fast_for))], fast_for + 2)
    if done.returncode == 0 and postmaster_pid(settings) is None:
        return True
    remaining = max(int(deadline.remaining()), 1)
    run(settings, [*pgctl, "-m", "immediate", "-t", str(remaining)], remaining + 2)
    pid = postmaster_pid(settings)
    if pid is not None:
        os.kill(pid, signal.SIGKILL)
    deadline.wait_for(lambda: True if postmaster_pid(settings) is None else None)
    return False


def promote(settings: PgSettings, deadline: Deadline) -> None:
    seconds = max(int(deadline.remaining()), 1)
    argv = [str(settings.pgctl), "promote", "-w", "-t", str(seconds), "-D", str(settings.pgdata)]
    done = run(settings, argv, deadline.remaining() + 2)
    if done.returncode != 0:
        raise AgentError(f"pg_ctl promote failed ({done.returncode}): {_tail(done)}")


def reload(settings: PgSettings) -> None:
    done = run(settings, [str(settings.pgctl), "reload", "-D", str(settings.pgdata)], 20)
    if done.returncode != 0:
        raise AgentError(f"pg_ctl reload failed: {_tail(done)}")


def controldata(settings: PgSettings) -> dict[str, str]:
    done = run(settings, [tool(settings, "pg_controldata"), "-D", str(settings.pgdata)], 20)
    if done.returncode != 0:
        raise AgentError(f"pg_controldata failed: {_tail(done)}")
    fields: dict[str, str] = {}
    for line in done.stdout.splitlines():
        key, sep, value = line.partition(":")
        if sep:
            fields[key.strip()] = value.strip()
    return fields


def _tail(done: subprocess.CompletedProcess[str]) -> str:
    text = (done.stderr or done.stdout or "").strip().splitlines()
    return " / ".join(text[-3:]) if text else "no output"


# --- queries -------------------------------------------------------------------------------


def _conninfo(settings: PgSettings) -> dict[str, Any]:
    info: dict[str, Any] = {
        "host": settings.socket_host,
        "port": settings.pgport,
        "dbname": settings.pgdb,
        "user": settings.monitor_user or settings.pgdba,
        "connect_timeout": 5,
        "application_name": "harm-pgsql-agent",
        "options": "-c statement_timeout=10000",
    }
    if settings.monitor_password:
        info["password"] = settings.monitor_password
    return info


def _execute(
    settings: PgSettings, statements: Sequence[str], target: tuple[str, int] | None = None
) -> list[list[Row]]:
    import psycopg

    info = _conninfo(settings)
    if target is not None:
        info.update(host=target[0], port=target[1], user=settings.pgdba)
    results: list[list[Row]] = []
    with psycopg.connect(autocommit=True, **info) as conn:
        for statement in statements:
            cursor = conn.execute(statement)
            rows = cursor.fetchall() if cursor.description else []
            results.append([[None if v is None else str(v) for v in row] for row in rows])
    return results


def query(
    settings: PgSettings,
    statements: Sequence[str],
    timeout: float = 15.0,
    target: tuple[str, int] | None = None,
) -> list[list[Row]]:
    """Run SQL statements as pgdba (or monitor_user); each result is rows of strings.

    ``target`` (host, port) queries another server as pgdba instead of the local one.
    Under root the query always runs in a child with pgdba's uid, also with a
    monitor_password: Debian's ``local all postgres peer`` checks the uid first."""
    who = account(settings)
    if who.is_current:
        try:
            return _execute(settings, statements, target)
        except Exception as error:
            raise AgentError(f"query failed: {error}") from None
    import psycopg  # imported before dropping privileges: the child may not read the stdlib

    del psycopg
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # child: become pgdba, query, send JSON back
        os.close(read_end)
        code = 0
        try:
            os.setgroups([])
            os.setgid(who.gid)
            os.setuid(who.uid)
            payload: dict[str, Any] = {"ok": _execute(settings, statements, target)}
        except BaseException as error:
            payload = {"error": str(error) or type(error).__name__}
            code = 1
        with os.fdopen(write_end, "w") as out:
            out.write(json.dumps(payload))
        os._exit(code)
    os.close(write_end)
    chunks: list[bytes] = []
    with os.fdopen(read_end, "rb") as src:
        while True:
            ready, _, _ = select.select([src], [], [], timeout)
            if not ready:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
                raise AgentError("query timed out")
            chunk = src.read1(65536)
            if not chunk:
                break
            chunks.append(chunk)
    os.waitpid(pid, 0)
    try:
        payload = json.loads(b"".join(chunks) or b"{}")
    except ValueError:
        raise AgentError("query: no answer from the query process") from None
    if "ok" not in payload:
        raise AgentError(f"query failed: {payload.get('error', 'no answer')}")
    result: list[list[Row]] = payload["ok"]
    return result


@dataclass(frozen=True)
class Observation:
    """What one monitor learns from the running server."""

    in_recovery: bool
    timeline: int
    lsn: int
    receiving: bool  # a standby whose WAL receiver streams from a primary
    replicas: tuple[Replica, ...]


def observe(settings: PgSettings) -> Observation:
    """One connection, three statements: role and position, WAL receiver, replicas."""
    from .decide import parse_lsn

    position, receivers, replicas = query(
        settings,
        [
            "SELECT pg_is_in_recovery(), "
            "CASE WHEN pg_is_in_recovery() THEN NULL ELSE pg_current_wal_lsn() END, "
            "pg_last_wal_receive_lsn(), pg_last_wal_replay_lsn(), "
            "(SELECT timeline_id FROM pg_control_checkpoint())",
            "SELECT status, received_tli, sender_host, sender_port FROM pg_stat_wal_receiver",
            "SELECT application_name, state, sync_state FROM pg_stat_replication",
        ],
    )
    recovery, current, receive, replay, checkpoint_tli = position[0]
    if recovery != "True":
        rows = tuple(Replica(r[0] or "", r[1] or "", r[2] or "") for r in replicas)
        return Observation(False, int(checkpoint_tli or 0), parse_lsn(current), False, rows)
    lsns = [parse_lsn(v) for v in (receive, replay) if v]
    receiver = receivers[0] if receivers else [None, None, None, None]
    tlis = [int(v) for v in (checkpoint_tli, receiver[1]) if v]
    # a standby whose master_ip:master_port leads back to itself has no primary
    to_self = receiver[3] == str(settings.pgport) and receiver[2] in {
        "127.0.0.1", "::1", "localhost", settings.socketdir, settings.pghost,
    }
    streaming = receiver[0] == "streaming" and not to_self
    return Observation(True, max(tlis, default=0), max(lsns, default=0), streaming, ())


def primary_timeline(settings: PgSettings, host: str, port: int) -> tuple[int, str]:
    """The timeline the primary at ``host:port`` writes now, and its history file."""
    (rows,) = query(settings, ["SELECT pg_walfile_name(pg_current_wal_lsn())"], timeout=5.0,
                    target=(host, port))
    timeline = int(rows[0][0][:8], 16)
    if timeline <= 1:
        return timeline, ""
    (history,) = query(settings, [f"SELECT pg_read_file('pg_wal/{timeline:08X}.history')"],
                       timeout=5.0, target=(host, port))
    return timeline, history[0][0] or ""


def terminate_clients(settings: PgSettings) -> None:
    """End every client session (not the walsenders, not this agent's own): a terminated
    session's commit that waits for a standby is not reported as committed, unlike a
    cancelled one."""
    query(settings, [
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE backend_type = "
        "'client backend' AND pid <> pg_backend_pid() AND application_name <> "
        "'harm-pgsql-agent'"])


def ensure_slots(settings: PgSettings) -> None:
    if not settings.replication_slot_name:
        return
    statements = [
        "SELECT pg_create_physical_replication_slot(s) FROM (VALUES "
        + ", ".join(f"('{settings.slot_for(n)}')" for n in settings.peers)
        + ") v(s) WHERE s NOT IN (SELECT slot_name FROM pg_replication_slots)"
    ]
    if settings.peers:
        query(settings, statements)
