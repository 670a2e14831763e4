"""Re-seeding a node whose data may have diverged (an old primary) so it can rejoin.

The seed's manual procedure (remove PGSQL.lock, pg_basebackup from the new primary, clean
up the resource) as one call. ``pg_rewind`` is tried first when asked or on ``auto``: it
copies only what changed, and needs ``wal_log_hints = on`` or data checksums. Otherwise,
or when it fails, the data directory is moved aside (``<pgdata>.harm-rejoin-<time>``, kept
for the operator) and filled again by ``pg_basebackup``. The lock file goes last.
"""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from harm.errors import AgentError

from . import server
from .lockfile import remove_lock
from .settings import PgSettings


@dataclass(frozen=True)
class RejoinOutcome:
    method: str  # pg_rewind | pg_basebackup
    moved_aside: Path | None
    detail: str


def _stop_local(settings: PgSettings, timeout_s: float) -> None:
    if server.postmaster_pid(settings) is None:
        return
    seen = server.observe(settings)
    if not seen.in_recovery:
        raise AgentError(
            f"the local server in {settings.pgdata} runs as a primary; "
            "demote or stop the resource before rejoining"
        )
    from harm.ocf.deadline import Deadline

    server.stop(settings, Deadline.after_ms(int(timeout_s * 1000)))


def _rewind(settings: PgSettings, host: str, port: int, timeout_s: float) -> str | None:
    # a just-promoted primary records its new timeline in pg_control only at its first
    # checkpoint; before that pg_rewind sees one timeline and finds "no rewind required"
    try:
        server.query(settings, ["CHECKPOINT"], timeout=timeout_s, target=(host, port))
    except AgentError as error:
        return f"CHECKPOINT on the primary failed: {error}"
    source = f"host={host} port={port} user={settings.pgdba} dbname={settings.pgdb}"
    done = server.run(
        settings,
        [server.tool(settings, "pg_rewind"), "--target-pgdata", str(settings.pgdata),
         "--source-server", source],
        timeout_s,
    )
    output = f"{done.stdout}\n{done.stderr}".strip()
    if done.returncode != 0:
        return output or f"exit status {done.returncode}"
    if "no rewind required" in output:
        # after the checkpoint above, this means the histories did not fork; still, the
        # crash recovery pg_rewind runs first may have written past the fork point: re-seed
        return "pg_rewind found nothing to rewind; not trusted, re-seeding instead"
    return None


def _basebackup(settings: PgSettings, host: str, port: int, timeout_s: float) -> Path:
    aside = settings.pgdata.with_name(f"{settings.pgdata.name}.harm-rejoin-{int(time.time())}")
    settings.pgdata.rename(aside)
    done = server.run(
        settings,
        [server.tool(settings, "pg_basebackup"), "-D", str(settings.pgdata), "-h", host,
         "-p", str(port), "-U", settings.repuser, "-X", "stream", "-c", "fast"],
        timeout_s,
    )
    if done.returncode != 0:
        shutil.rmtree(settings.pgdata, ignore_errors=True)
        aside.rename(settings.pgdata)
        raise AgentError(f"pg_basebackup failed, data left as it was: {done.stderr.strip()}")
    return aside


def rejoin_detailed(
    settings: PgSettings,
    primary_host: str,
    primary_port: int,
    *,
    method: str = "auto",
    timeout_s: float = 3600.0,
) -> RejoinOutcome:
    """Make the local data directory a copy of the primary's and remove PGSQL.lock."""
    if method not in {"auto", "rewind", "basebackup"}:
        raise AgentError(f"rejoin method {method!r}: use auto, rewind or basebackup")
    if not (settings.pgdata / "PG_VERSION").is_file():
        raise AgentError(f"{settings.pgdata} is not a PostgreSQL data directory")
    _stop_local(settings, min(timeout_s, 120.0))
    outcome: RejoinOutcome | None = None
    if method in {"auto", "rewind"}:
        failure = _rewind(settings, primary_host, primary_port, timeout_s)
        if failure is None:
            outcome = RejoinOutcome("pg_rewind", None, "rewound to the primary's timeline")
        elif method == "rewind":
            raise AgentError(f"pg_rewind failed: {failure}")
    if outcome is None:
        aside = _basebackup(settings, primary_host, primary_port, timeout_s)
        outcome = RejoinOutcome("pg_basebackup", aside, f"old data kept in {aside}")
    remove_lock(settings.lock_file)
    return outcome


def rejoin(
    settings: PgSettings, primary_host: str, primary_port: int, *, method: str = "auto"
) -> str:
    """:func:`rejoin_detailed`, returning only the method used."""
    return rejoin_detailed(settings, primary_host, primary_port, method=method).method
