"""PostgreSQL on lab nodes: a primary's data directory, a standby's copy, SQL from the
gateway, and the postmaster to kill.

Every node has its own ``/var/lib/pgsql`` and ``/var/run/postgresql`` (private directories,
see :mod:`harm.lab.mounts`), the paths ``configs/pgsql-lab.crm`` names, so the pgsql agent
runs unchanged on each. Commands run as ``postgres`` inside the node (``runuser`` under
``nsenter … ip netns exec …``); files are edited from outside through the node's copy under
``/run/harm-lab/<lab>/<node>/private/``.

``init_primary`` runs ``initdb --data-checksums``: checksums let ``pg_rewind`` (tried
first by ``harm pgsql rejoin``) rewind a failed primary without ``wal_log_hints``, and they
catch torn pages in the crash tests. It then adds what replication and the agent need:
``listen_addresses = '*'``, ``wal_level = replica``, ``hot_standby``, WAL senders and
slots, ``wal_keep_size`` so a standby that was away briefly can catch up from the
primary's WAL; in ``pg_hba.conf`` ``trust`` for the lab's subnets only (SQL and
replication), and it creates the replication role (``repli``) in single-user mode, so no
server has to run.

``seed_standby`` copies a running primary with ``pg_basebackup`` over the replication link
(eth1), without ``-R``: the agent writes ``standby.signal`` and ``primary_conninfo``
(pointing at ``master_ip``) itself on start, and a ``primary_conninfo`` in
``postgresql.auto.conf`` would override it. ``harm pgsql rejoin`` is for a node that has a
data directory already (an old primary); a new standby is seeded here.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from harm.cib.config import Configuration
from harm.errors import LabError
from harm.lab import lab, netns
from harm.lab.spec import GATEWAY, LabSpec

PG_BIN = Path("/usr/lib/postgresql/15/bin")
# the private directories of the PostgreSQL demo
PG_DIRS = ("/var/lib/pgsql:postgres", "/var/run/postgresql:postgres")
SERVICE_VIP_RESOURCE = "r_service_vip"
DEFAULT_SERVICE_VIP = "192.168.10.10"
SETTINGS_MARK = "# harm lab: replication settings"


@dataclass(frozen=True)
class PgLayout:
    """Where PostgreSQL lives on every node and who it knows (as configs/pgsql-lab.crm)."""

    bindir: Path = PG_BIN
    pgdata: str = "/var/lib/pgsql/data"
    port: int = 5432
    superuser: str = "postgres"
    password: str = "postgres"  # the configuration's monitor_password
    repuser: str = "repli"
    replication_link: int = 1  # eth1; link 0 when the lab has one link only

    def tool(self, name: str) -> str:
        return str(self.bindir / name)


# ---------------------------------------------------------------- pure parts


def replication_address(spec: LabSpec, node: str, layout: PgLayout) -> str:
    link = layout.replication_link if layout.replication_link < spec.links else 0
    return spec.address(node, link).split("/")[0]


def lab_settings(layout: PgLayout) -> str:
    """Lines added to an initialised node's postgresql.conf."""
    return "\n".join([
        "",
        SETTINGS_MARK,
        "listen_addresses = '*'",
        f"port = {layout.port}",
        "unix_socket_directories = '/var/run/postgresql'",
        "wal_level = replica",
        "hot_standby = on",
        "hot_standby_feedback = on",
        "max_wal_senders = 10",
        "max_replication_slots = 10",
        "wal_keep_size = '256MB'",
        "wal_receiver_status_interval = 1s",
        # a cut replication link is noticed in seconds, not after the 60 s defaults
        "wal_sender_timeout = '5s'",
        "wal_receiver_timeout = '5s'",
        "",
    ])


def hba_lines(spec: LabSpec) -> str:
    """pg_hba.conf lines trusting the lab's subnets, and nothing beyond them."""
    lines = ["", "# harm lab: the lab's own networks only"]
    for link in range(spec.links):
        net = spec.network(link)
        lines += [f"host    all            all    {net}    trust",
                  f"host    replication    all    {net}    trust"]
    return "\n".join(lines) + "\n"


def service_vip(configuration: Configuration | None) -> str | None:
    """The ``ip`` parameter of ``r_service_vip`` in ``configuration``, when it has one."""
    if configuration is None:
        return None
    for primitive in configuration.primitives():
        if primitive.id == SERVICE_VIP_RESOURCE:
            return primitive.param("ip")
    return None


def sql_argv(host: str, statement: str, layout: PgLayout, tuples_only: bool) -> list[str]:
    argv = [layout.tool("psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", host,
            "-p", str(layout.port), "-U", layout.superuser, "-d", "postgres", "-c", statement]
    return argv + (["-A", "-t"] if tuples_only else [])


# ---------------------------------------------------------------- paths and commands


def host_path(spec: LabSpec, node: str, path: str) -> Path:
    """Where ``node``'s ``path`` (inside one of its private directories) is seen from here."""
    for private in spec.private():
        if path == private.path or path.startswith(private.path + "/"):
            rest = path[len(private.path):].lstrip("/")
            return spec.private_source(node, private.path) / rest
    raise LabError(f"{path} is not in a private directory of lab {spec.name} "
                   f"({', '.join(spec.private_dirs) or 'none'}); nodes would share it: "
                   "'harm lab up --postgres'")


def on_node(
    spec: LabSpec, node: str, argv: list[str], *, user: str | None = None,
    input_text: str | None = None, timeout: float = 300,
) -> subprocess.CompletedProcess[str]:
    """Run ``argv`` as ``node`` (as ``user`` when given); LabError when it fails."""
    command = ["runuser", "-u", user, "--", *argv] if user else argv
    # from /: initdb and pg_ctl refuse to run where their user cannot enter the directory
    args, env = lab.exec_argv(spec, node, command, wd="/")
    if node != GATEWAY:
        env = {k: v for k, v in env.items() if not k.startswith("PG")}
    try:
        done = subprocess.run(args, env=env, input=input_text, capture_output=True, text=True,
                              timeout=timeout, check=False, cwd="/")
    except (OSError, subprocess.TimeoutExpired) as error:
        raise LabError(f"{node}: {argv[0]}: {error}") from None
    if done.returncode != 0:
        tail = " / ".join((done.stderr or done.stdout).strip().splitlines()[-4:])
        raise LabError(f"{node}: {Path(argv[0]).name} failed ({done.returncode}): {tail}")
    return done


def _append(path: Path, text: str) -> None:
    with path.open("a", encoding="utf-8") as handle:
        handle.write(text)


# ---------------------------------------------------------------- provisioning


def init_primary(spec: LabSpec, node: str, layout: PgLayout = PgLayout()) -> Path:
    """A new data directory on ``node``, ready to be a replicated primary; its host path."""
    data = host_path(spec, node, layout.pgdata)
    if (data / "PG_VERSION").exists():
        raise LabError(f"{node}: {layout.pgdata} is initialised already")
    on_node(spec, node, [
        layout.tool("initdb"), "-D", layout.pgdata, "-U", layout.superuser, "--data-checksums",
        "--auth-local=peer", "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C.UTF-8",
        "--no-instructions",
    ], user="postgres")
    _append(data / "postgresql.conf", lab_settings(layout))
    _append(data / "pg_hba.conf", hba_lines(spec))
    password = layout.password.replace("'", "''")
    statements = (f"CREATE ROLE {layout.repuser} WITH REPLICATION LOGIN;\n"
                  f"ALTER ROLE {layout.superuser} PASSWORD '{password}';\n")
    on_node(spec, node, [layout.tool("postgres"), "--single", "-D", layout.pgdata, "postgres"],
            user="postgres", input_text=statements, timeout=120)
    return data


def seed_standby(
    spec: LabSpec, node: str, primary: str, layout: PgLayout = PgLayout()
) -> Path:
    """Copy the running ``primary``'s data to ``node`` over the replication link."""
    data = host_path(spec, node, layout.pgdata)
    if data.exists() and any(data.iterdir()):
        raise LabError(f"{node}: {layout.pgdata} is not empty; a standby starts from nothing "
                       "(an old primary: harm pgsql rejoin)")
    if primary not in spec.nodes:
        raise LabError(f"no node {primary!r} in lab {spec.name}")
    on_node(spec, node, [
        layout.tool("pg_basebackup"), "-D", layout.pgdata,
        "-h", replication_address(spec, primary, layout), "-p", str(layout.port),
        "-U", layout.repuser, "-X", "stream", "-c", "fast", "--no-password",
    ], user="postgres")
    return data


def run_sql(
    spec: LabSpec, host: str, statement: str, layout: PgLayout = PgLayout(),
    tuples_only: bool = False, timeout: float = 60,
) -> subprocess.CompletedProcess[str]:
    """``psql -c statement`` from the gateway against ``host``; the finished process."""
    args, env = lab.exec_argv(spec, GATEWAY, sql_argv(host, statement, layout, tuples_only))
    env = {**env, "PGCONNECT_TIMEOUT": "10"}
    try:
        return subprocess.run(args, env=env, capture_output=True, text=True, timeout=timeout,
                              check=False, cwd="/")
    except (OSError, subprocess.TimeoutExpired) as error:
        raise LabError(f"psql: {error}") from None


# ---------------------------------------------------------------- the postmaster


def _same_netns(spec: LabSpec, node: str, pid: int) -> bool:
    try:
        mine = os.stat(f"/run/netns/{spec.node_ns(node)}")
        theirs = os.stat(f"/proc/{pid}/ns/net")
    except OSError:
        return False
    return (mine.st_dev, mine.st_ino) == (theirs.st_dev, theirs.st_ino)


def _comm(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text(encoding="utf-8").strip()
    except OSError:
        return ""


def _is_postmaster_command(pid: int) -> bool:
    """The postmaster keeps its command line (``…/bin/postgres -D …``); every child it
    forks rewrites its own to a title (``postgres: checkpointer``)."""
    try:
        first = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0", 1)[0].decode()
    except (OSError, UnicodeDecodeError):
        return False
    return first.rsplit("/", 1)[-1] == "postgres"


def postmaster_pid(spec: LabSpec, node: str) -> int | None:
    """The pid of ``node``'s postmaster: from a postmaster.pid in its private directories,
    checked to be a live ``postgres`` in the node's network namespace; else the process
    there whose command line is still the server's own (children show a title)."""
    for private in spec.private():
        source = spec.private_source(node, private.path)
        for pid_file in [source / "postmaster.pid", *source.glob("*/postmaster.pid"),
                         *source.glob("*/*/postmaster.pid")]:
            try:
                pid = int(pid_file.read_text(encoding="utf-8").split("\n", 1)[0])
            except (OSError, ValueError):
                continue
            if netns.alive(pid) and _comm(pid) == "postgres" and _same_netns(spec, node, pid):
                return pid
    for pid in netns.pids(spec.node_ns(node)):
        if _comm(pid) == "postgres" and _is_postmaster_command(pid) and netns.alive(pid):
            return pid
    return None


def kill_postmaster(spec: LabSpec, node: str, timeout_s: float = 10.0) -> int:
    """kill -9 ``node``'s postmaster (its children are left to notice); its pid."""
    pid = postmaster_pid(spec, node)
    if pid is None:
        raise LabError(f"PostgreSQL is not running on {node}")
    netns.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + timeout_s
    while netns.alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    return pid
