"""The pgsql instance parameters, typed and checked once per call."""

from __future__ import annotations

import enum
import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from harm.ocf.env import OcfEnv
from harm.ocf.outcome import not_configured

LOCK_NAME = "PGSQL.lock"
INCLUDE_NAME = "harm-pgsql.conf"


class RepMode(enum.Enum):
    NONE = "none"
    ASYNC = "async"
    SYNC = "sync"


class SyncFallback(enum.Enum):
    """What a sync-mode primary does when no standby can confirm commits."""

    ASYNC = "async"  # drop to asynchronous replication, keep accepting writes
    REFUSE = "refuse"  # read-only restricted: no new writes until a standby is back


# parameter -> default, in the order the meta-data lists them
DEFAULTS: dict[str, str] = {
    "pgctl": "/usr/lib/postgresql/15/bin/pg_ctl",
    "psql": "/usr/lib/postgresql/15/bin/psql",
    "pgdata": "/var/lib/postgresql/15/main",
    "pgport": "5432",
    "pghost": "",
    "socketdir": "",
    "pgdba": "postgres",
    "pgdb": "postgres",
    "logfile": "/dev/null",
    "start_opt": "",
    "config": "",
    "rep_mode": "none",
    "node_list": "",
    "master_ip": "",
    "master_port": "",
    "repuser": "postgres",
    "primary_conninfo_opt": "",
    "restore_command": "",
    "tmpdir": "/var/lib/pgsql/tmp",
    "stop_escalate": "90",
    "monitor_user": "",
    "monitor_password": "",
    "replication_slot_name": "",
    "xlog_check_count": "3",
    "sync_fallback": "async",
}

_SLOT_OK = re.compile(r"^[a-z0-9_]+$")


@dataclass(frozen=True)
class PgSettings:
    resource: str
    node: str
    pgctl: Path
    psql: Path
    pgdata: Path
    pgport: int
    pghost: str
    socketdir: str
    pgdba: str
    pgdb: str
    logfile: str
    start_opt: str
    config: str
    rep_mode: RepMode
    node_list: tuple[str, ...]
    master_ip: str
    master_port: int
    repuser: str
    primary_conninfo_opt: str
    restore_command: str
    tmpdir: Path
    stop_escalate: int
    monitor_user: str
    monitor_password: str
    replication_slot_name: str
    xlog_check_count: int
    sync_fallback: SyncFallback

    @property
    def bindir(self) -> Path:
        return self.pgctl.parent

    @property
    def replicated(self) -> bool:
        return self.rep_mode is not RepMode.NONE

    @property
    def peers(self) -> tuple[str, ...]:
        return tuple(n for n in self.node_list if n != self.node)

    @property
    def lock_file(self) -> Path:
        return self.tmpdir / LOCK_NAME

    @property
    def config_file(self) -> Path:
        return Path(self.config) if self.config else self.pgdata / "postgresql.conf"

    @property
    def include_file(self) -> Path:
        return self.pgdata / INCLUDE_NAME

    @property
    def socket_host(self) -> str:
        """Where a local client connects: the socket dir, else pghost, else the default dir."""
        return self.socketdir or self.pghost or "/var/run/postgresql"

    # the node attributes, named as the stock agent names them
    @property
    def status_attr(self) -> str:
        return f"{self.resource}-status"

    @property
    def data_status_attr(self) -> str:
        return f"{self.resource}-data-status"

    @property
    def baseline_attr(self) -> str:
        return f"{self.resource}-master-baseline"

    @property
    def xlog_attr(self) -> str:
        return f"{self.resource}-xlog-loc"

    @property
    def candidate_attr(self) -> str:
        return f"{self.resource}-candidate"

    @property
    def needs_attr(self) -> str:
        """What an operator must do for this node to rejoin (harm_mon shows it)."""
        return f"{self.resource}-needs"

    @property
    def score_attr(self) -> str:
        return f"master-{self.resource}"

    def slot_for(self, node: str) -> str:
        """The physical replication slot kept on the primary for standby ``node``."""
        suffix = re.sub(r"[^a-z0-9_]", "_", node.lower())
        return f"{self.replication_slot_name}_{suffix}"


def settings_from_params(params: Mapping[str, str], resource: str, node: str) -> PgSettings:
    """Check and type the parameters; a wrong one raises ERR_CONFIGURED with its name."""

    def get(name: str) -> str:
        value = params.get(name, "")
        return value if value != "" else DEFAULTS[name]

    def integer(name: str, low: int = 0) -> int:
        raw = get(name)
        try:
            value = int(raw)
        except ValueError:
            raise not_configured(f"{name}={raw!r} is not an integer") from None
        if value < low:
            raise not_configured(f"{name}={raw!r} must be at least {low}")
        return value

    try:
        rep_mode = RepMode(get("rep_mode"))
    except ValueError:
        raise not_configured(f"rep_mode={get('rep_mode')!r}: use none, async or sync") from None
    try:
        fallback = SyncFallback(get("sync_fallback"))
    except ValueError:
        raise not_configured(
            f"sync_fallback={get('sync_fallback')!r}: use async or refuse"
        ) from None
    node_list = tuple(get("node_list").split())
    pgport = integer("pgport", 1)
    slot = get("replication_slot_name")
    if rep_mode is not RepMode.NONE:
        if not node_list:
            raise not_configured("rep_mode needs node_list (the nodes that run this resource)")
        if node not in node_list:
            raise not_configured(
                f"this node {node!r} is not in node_list {' '.join(node_list)!r}"
            )
        if not get("master_ip"):
            raise not_configured("rep_mode needs master_ip (the address of the primary)")
    try:
        shlex.split(get("start_opt"))  # passed to postgres word by word (server.start_argv)
    except ValueError as error:
        raise not_configured(f"start_opt={get('start_opt')!r}: {error}") from None
    if slot and not _SLOT_OK.match(slot):
        raise not_configured(f"replication_slot_name={slot!r}: lower case letters, digits, _")
    return PgSettings(
        resource=resource,
        node=node,
        pgctl=Path(get("pgctl")),
        psql=Path(get("psql")),
        pgdata=Path(get("pgdata")),
        pgport=pgport,
        pghost=get("pghost"),
        socketdir=get("socketdir"),
        pgdba=get("pgdba"),
        pgdb=get("pgdb"),
        logfile=get("logfile"),
        start_opt=get("start_opt"),
        config=get("config"),
        rep_mode=rep_mode,
        node_list=node_list,
        master_ip=get("master_ip"),
        master_port=integer("master_port", 1) if params.get("master_port") else pgport,
        repuser=get("repuser"),
        primary_conninfo_opt=get("primary_conninfo_opt"),
        restore_command=get("restore_command"),
        tmpdir=Path(get("tmpdir")),
        stop_escalate=integer("stop_escalate"),
        monitor_user=get("monitor_user"),
        monitor_password=get("monitor_password"),
        replication_slot_name=slot,
        xlog_check_count=integer("xlog_check_count", 1),
        sync_fallback=fallback,
    )


def settings_from_env(env: OcfEnv) -> PgSettings:
    return settings_from_params(env.params, env.resource or "pgsql", env.node_name)
