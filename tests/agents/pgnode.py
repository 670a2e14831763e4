"""Real PostgreSQL 15 instances for the pgsql agent tests, driven through the agent itself.

Each instance lives under one temporary directory (data, socket, agent tmpdir, log) owned
by ``postgres``, listens on 127.0.0.1 on a free port, and is killed and removed at the end.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg

REPO = Path(__file__).resolve().parents[2]
AGENT = REPO / "agents" / "pgsql"
PG_BIN = Path("/usr/lib/postgresql/15/bin")
RESOURCE = "r_pgsql"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def as_postgres(argv: list[str], timeout: float = 120) -> subprocess.CompletedProcess[str]:
    pw = pwd.getpwnam("postgres")
    return subprocess.run(
        argv, user=pw.pw_uid, group=pw.pw_gid, extra_groups=[], cwd="/",
        capture_output=True, text=True, timeout=timeout, check=False,
    )


@dataclass(frozen=True)
class AgentResult:
    rc: int
    stdout: str
    stderr: str

    @property
    def reason(self) -> str:
        for line in self.stderr.splitlines():
            if line.startswith("ocf-exit-reason:"):
                return line.split(":", 1)[1]
        return ""


@dataclass
class PgNode:
    name: str
    root: Path
    port: int
    attrs: Path
    node_list: str
    params: dict[str, str] = field(default_factory=dict)
    peer_port: int = 0  # where this node's standby finds the primary (master_port)

    @property
    def pgdata(self) -> Path:
        return self.root / "data"

    @property
    def socketdir(self) -> Path:
        return self.root / "sock"

    @property
    def tmpdir(self) -> Path:
        return self.root / "tmp"

    @property
    def lock(self) -> Path:
        return self.tmpdir / "PGSQL.lock"

    def env(self, action_timeout_ms: int = 60_000, **extra: str) -> dict[str, str]:
        params = {
            "pgctl": str(PG_BIN / "pg_ctl"),
            "psql": str(PG_BIN / "psql"),
            "pgdata": str(self.pgdata),
            "pgport": str(self.port),
            "socketdir": str(self.socketdir),
            "tmpdir": str(self.tmpdir),
            "logfile": str(self.root / "server.log"),
            "rep_mode": "sync",
            "node_list": self.node_list,
            "master_ip": "127.0.0.1",
            "repuser": "postgres",
            "xlog_check_count": "1",
            "stop_escalate": "10",
            "master_port": str(self.peer_port or self.port),
            **self.params,
            **extra,
        }
        env = {k: v for k, v in os.environ.items() if not k.startswith("OCF_")}
        env.update({f"OCF_RESKEY_{k}": v for k, v in params.items()})
        env.update(
            {
                "OCF_ROOT": "/usr/lib/ocf",
                "OCF_RESOURCE_INSTANCE": f"{RESOURCE}:0",
                "OCF_RESKEY_CRM_meta_on_node": self.name,
                "OCF_RESKEY_CRM_meta_timeout": str(action_timeout_ms),
                "HARM_ATTRIBUTE_DIR": str(self.attrs),
            }
        )
        return env

    def agent(self, action: str, interval_ms: int = 0, **extra: str) -> AgentResult:
        env = self.env(**extra)
        env["OCF_RESKEY_CRM_meta_interval"] = str(interval_ms)
        done = subprocess.run(
            [str(AGENT), action], env=env, capture_output=True, text=True, timeout=180,
            check=False,
        )
        return AgentResult(done.returncode, done.stdout, done.stderr)

    def attr(self, name: str, node: str | None = None) -> str | None:
        for lifetime in ("reboot", "forever"):
            path = self.attrs / lifetime / (node or self.name) / name
            if path.exists():
                return path.read_text()
        return None

    def sql(self, statement: str, params: Any = None) -> list[tuple[Any, ...]]:
        with psycopg.connect(
            host=str(self.socketdir), port=self.port, user="postgres", dbname="postgres",
            autocommit=True, connect_timeout=5,
        ) as conn:
            cursor = conn.execute(statement, params)
            return cursor.fetchall() if cursor.description else []

    def include_text(self) -> str:
        return (self.pgdata / "harm-pgsql.conf").read_text()

    def kill(self) -> None:
        """Crash the server: SIGKILL the postmaster and its children."""
        pid = int((self.pgdata / "postmaster.pid").read_text().split()[0])
        subprocess.run(["pkill", "-KILL", "-P", str(pid)], check=False)
        os.kill(pid, 9)


class PgLab:
    """A temporary directory holding up to a few instances and their attribute store."""

    def __init__(self, names: tuple[str, ...]) -> None:
        self.base = Path(tempfile.mkdtemp(prefix="harm-pgsql-test-"))
        os.chmod(self.base, 0o755)
        self.attrs = self.base / "attrs"
        self.attrs.mkdir()
        pw = pwd.getpwnam("postgres")
        self.nodes: dict[str, PgNode] = {}
        for name in names:
            root = self.base / name
            for sub in ("", "sock", "tmp"):
                (root / sub).mkdir(exist_ok=True)
                os.chown(root / sub, pw.pw_uid, pw.pw_gid)
            self.nodes[name] = PgNode(name, root, free_port(), self.attrs, " ".join(names))
        ports = [n.port for n in self.nodes.values()]
        for index, node in enumerate(self.nodes.values()):
            node.peer_port = ports[(index + 1) % len(ports)] if len(ports) > 1 else 0

    def initdb(self, node: PgNode) -> None:
        done = as_postgres(
            [str(PG_BIN / "initdb"), "-D", str(node.pgdata), "-A", "trust", "--no-sync",
             "-U", "postgres"]
        )
        assert done.returncode == 0, done.stderr
        with (node.pgdata / "postgresql.conf").open("a") as conf:
            conf.write(
                "listen_addresses = '127.0.0.1'\n"
                "wal_log_hints = on\n"
                "wal_keep_size = '128MB'\n"
                "fsync = off\n"
                "wal_receiver_status_interval = 1s\n"
            )

    def basebackup(self, node: PgNode, source: PgNode) -> None:
        done = as_postgres(
            [str(PG_BIN / "pg_basebackup"), "-D", str(node.pgdata), "-h", "127.0.0.1",
             "-p", str(source.port), "-U", "postgres", "-X", "stream", "-c", "fast"]
        )
        assert done.returncode == 0, done.stderr

    def cleanup(self) -> None:
        for node in self.nodes.values():
            if (node.pgdata / "postmaster.pid").exists():
                as_postgres(
                    [str(PG_BIN / "pg_ctl"), "stop", "-m", "immediate", "-D", str(node.pgdata)],
                    timeout=60,
                )
                with suppress(OSError, ValueError):
                    node.kill()
        shutil.rmtree(self.base, ignore_errors=True)


@contextmanager
def pg_lab(*names: str) -> Iterator[PgLab]:
    lab = PgLab(names)
    try:
        yield lab
    finally:
        lab.cleanup()


def wait_for(probe: Any, timeout: float = 30.0, interval: float = 0.3) -> Any:
    """Poll ``probe`` until it returns something truthy (generous timeout, not a benchmark)."""
    import time

    end = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > end:
            return value
        time.sleep(interval)


def attrs_of(node: PgNode, names: Mapping[str, str]) -> dict[str, str | None]:
    return {key: node.attr(name) for key, name in names.items()}
