"""The pgsql agent's meta-data: the stock agent's parameters plus harm's additions."""

from __future__ import annotations

from harm.ocf.metadata import ActionSpec, AgentInfo, Parameter, ParamType

from .settings import DEFAULTS

_S, _I = ParamType.STRING, ParamType.INTEGER

_DESCRIPTIONS: dict[str, tuple[str, str, ParamType]] = {
    "pgctl": ("pg_ctl", "Path to pg_ctl; the other PostgreSQL tools are taken beside it.", _S),
    "psql": ("psql", "Path to psql (kept for compatibility; monitoring uses psycopg).", _S),
    "pgdata": ("Data directory", "Path to the PostgreSQL data directory.", _S),
    "pgport": ("Port", "Port the local server listens on.", _I),
    "pghost": ("Host", "Host or socket directory the agent connects to.", _S),
    "socketdir": ("Socket directory", "unix_socket_directories of the local server.", _S),
    "pgdba": ("Owner", "The operating system user PostgreSQL runs as.", _S),
    "pgdb": ("Database", "Database the monitor connects to.", _S),
    "logfile": ("Server log", "File pg_ctl sends the server's output to.", _S),
    "start_opt": ("Start options",
                  "Extra options passed to postgres at start, split into words as a shell "
                  "splits them (quotes group); each word reaches postgres as one argument "
                  "and nothing in it is expanded or run.", _S),
    "config": (
        "Configuration file",
        "postgresql.conf to use when it is not in pgdata; the agent adds one include line.",
        _S,
    ),
    "rep_mode": (
        "Replication mode",
        "none (a single server), async or sync streaming replication.",
        _S,
    ),
    "node_list": ("Nodes", "Space separated names of the nodes that run this resource.", _S),
    "master_ip": (
        "Primary address",
        "Address standbys connect to for replication (a VIP that follows the primary).",
        _S,
    ),
    "master_port": (
        "Primary port",
        "Port standbys connect to at master_ip (default: pgport).",
        _I,
    ),
    "repuser": ("Replication user", "User standbys replicate as.", _S),
    "primary_conninfo_opt": (
        "Extra conninfo",
        "Added to primary_conninfo (keepalives_idle=60 …).",
        _S,
    ),
    "restore_command": ("restore_command", "restore_command for standbys.", _S),
    "tmpdir": (
        "Agent directory",
        "Directory for PGSQL.lock and the agent's state; owned by pgdba.",
        _S,
    ),
    "stop_escalate": (
        "Stop escalation",
        "Seconds stop waits with -m fast before -m immediate (0: the op timeout decides).",
        _I,
    ),
    "monitor_user": ("Monitor user", "User the monitor connects as (default: pgdba).", _S),
    "monitor_password": ("Monitor password", "Password of monitor_user.", _S),
    "replication_slot_name": (
        "Replication slot prefix",
        "When set, the primary keeps one physical slot per standby: <prefix>_<node>.",
        _S,
    ),
    "xlog_check_count": (
        "Election rounds",
        "Monitors without a primary before a standby computes its promotion score.",
        _I,
    ),
    "sync_fallback": (
        "Sync fallback",
        "In sync mode, when no standby can confirm commits: async (keep writing, "
        "replicate asynchronously) or refuse (new transactions are read-only until a "
        "standby is back).",
        _S,
    ),
}

INFO = AgentInfo(
    name="pgsql",
    shortdesc="PostgreSQL with streaming replication (primary and hot standbys)",
    longdesc=(
        "Runs PostgreSQL 12 or later as a single server (rep_mode=none) or as a promotable "
        "resource with streaming replication. Publishes <rsc>-status, <rsc>-data-status, "
        "<rsc>-xlog-loc, <rsc>-master-baseline and master-<rsc> as node attributes, keeps "
        "PGSQL.lock in tmpdir while a node is primary, and promotes the standby with the "
        "most recent data (timeline, then LSN)."
    ),
    parameters=tuple(
        Parameter(
            name,
            _DESCRIPTIONS[name][0],
            _DESCRIPTIONS[name][1],
            _DESCRIPTIONS[name][2],
            default=DEFAULTS[name] if DEFAULTS[name] != "" else None,
            required=False,
            unique=name == "pgdata",
        )
        for name in DEFAULTS
    ),
    actions=(
        ActionSpec("start", timeout="120s"),
        ActionSpec("stop", timeout="120s"),
        ActionSpec("promote", timeout="120s"),
        ActionSpec("demote", timeout="120s"),
        ActionSpec("monitor", timeout="30s", interval="7s", role="Promoted", depth="0"),
        ActionSpec("monitor", timeout="30s", interval="30s", role="Unpromoted", depth="0"),
        ActionSpec("monitor", timeout="30s", interval="30s", depth="0"),
        ActionSpec("notify", timeout="90s"),
        ActionSpec("meta-data", timeout="5s"),
        ActionSpec("validate-all", timeout="5s"),
    ),
)
