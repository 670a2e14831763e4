"""The two-node PostgreSQL demo of the seed report, on a lab: provision, configure, wait.

    provision(spec)        initdb on the first node, start it by hand just long enough to
                           seed the second node with pg_basebackup over eth1, stop it
                           cleanly: both nodes hold the same data, no server runs
    configure(spec, file)  load the configuration through the first node's harmd
    wait_ready(spec)       until the first node is PRI with both VIPs and the second is
                           HS:sync (the agents' first election takes a few monitors)

Step by step this is the seed's procedure with harm's commands (docs/quickstart.md).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from harm.cib.xml_import import parse_cib_xml
from harm.daemon.client import request
from harm.errors import ControlError, LabError
from harm.lab import bmc
from harm.lab.postgres import PgLayout, init_primary, on_node, seed_standby
from harm.lab.spec import LabSpec

STATUS = "r_pgsql-status"
DATA_STATUS = "r_pgsql-data-status"
SERVICE_VIP = "192.168.10.10"
READY_TIMEOUT_S = 300.0
CONFIG = "pgsql-lab.crm"  # harm's agents (configs/)
STOCK_CONFIG = "pgsql-lab-stock.crm"  # the stock agents: harm lab up --demo --stock-agents


def provision(spec: LabSpec, layout: PgLayout | None = None) -> None:
    """PostgreSQL on both nodes: the first initialised, the second a copy of it."""
    layout = layout or PgLayout()
    first, second = spec.nodes[0], spec.nodes[1]
    init_primary(spec, first, layout)
    pg_ctl = layout.tool("pg_ctl")
    on_node(spec, first, [pg_ctl, "-D", layout.pgdata, "-w", "-t", "60", "-o",
                          f"-p {layout.port}", "-l", "/var/lib/pgsql/seed.log", "start"],
            user="postgres")
    try:
        seed_standby(spec, second, first, layout)
    finally:
        on_node(spec, first, [pg_ctl, "-D", layout.pgdata, "-w", "-m", "fast", "stop"],
                user="postgres")


def socket_of(spec: LabSpec, node: str) -> Path:
    return spec.node_dir(node) / "harmd.sock"


def configure(spec: LabSpec, config: Path) -> None:
    """``harm configure load update FILE`` on the first node."""
    env = {**os.environ, "HARM_SOCKET": str(socket_of(spec, spec.nodes[0]))}
    env.pop("HARM_CIB_FILE", None)
    done = subprocess.run([sys.executable, "-m", "harm.cli.main", "configure", "load",
                           "update", str(config)], env=env, capture_output=True, text=True,
                          timeout=120, check=False)
    if done.returncode != 0:
        raise LabError(f"loading {config} failed: {done.stderr or done.stdout}")


def ready(spec: LabSpec) -> bool:
    first, second = spec.nodes[0], spec.nodes[1]
    return (attribute(spec, first, STATUS) == "PRI"
            and attribute(spec, second, STATUS) == "HS:sync")


def wait_ready(spec: LabSpec, timeout_s: float = READY_TIMEOUT_S) -> float:
    """Seconds until the demo cluster is PRI + HS:sync; LabError after ``timeout_s``."""
    start = time.monotonic()
    while not ready(spec):
        if time.monotonic() - start > timeout_s:
            raise LabError(f"the demo cluster did not reach PRI + HS:sync in {timeout_s:.0f}s;"
                           f" see harm_mon --socket {socket_of(spec, spec.nodes[0])} -1 -Afr")
        time.sleep(1.0)
    return time.monotonic() - start


# ---------------------------------------------------------------- scenario helpers


def attribute(spec: LabSpec, node: str, name: str, via: str | None = None) -> str | None:
    """A transient attribute of ``node``, else the permanent one (``-data-status``), as
    the CIB of ``via`` (default: the first node that answers) shows it."""
    for source in [via] if via else spec.nodes:
        try:
            xml = request(socket_of(spec, source), "cib", timeout=3)["xml"]
        except ControlError:
            continue
        cib = parse_cib_xml(xml)
        state = cib.status.node(node)
        value = state.attribute(name) if state else None
        if value is None:
            configured = cib.configuration.node_by_uname(node)
            value = configured.attribute(name) if configured else None
        return value
    return None


def primary(spec: LabSpec) -> str | None:
    """The node whose pgsql status is PRI (the first one found)."""
    for node in spec.nodes:
        if attribute(spec, node, STATUS) == "PRI":
            return node
    return None


def try_sql(spec: LabSpec, statement: str, host: str = SERVICE_VIP,
            connect_timeout_s: int = 1) -> subprocess.CompletedProcess[str] | None:
    """Run ``statement`` from the gateway against ``host`` once, failing fast; the finished
    psql, or None when it could not even run in time."""
    from harm.lab import lab
    from harm.lab.postgres import sql_argv
    from harm.lab.spec import GATEWAY

    args, env = lab.exec_argv(spec, GATEWAY, sql_argv(host, statement, PgLayout(), True))
    env = {**env, "PGCONNECT_TIMEOUT": str(connect_timeout_s)}
    try:
        return subprocess.run(args, env=env, capture_output=True, text=True,
                              timeout=connect_timeout_s + 5, check=False, cwd="/")
    except subprocess.TimeoutExpired:
        return None


def wait_writable(spec: LabSpec, since: float, timeout_s: float = 120.0,
                  table: str = "harm_probe") -> float:
    """Seconds from ``since`` (time.monotonic()) until a write through the service VIP
    commits; LabError after ``timeout_s``."""
    statement = f"INSERT INTO {table} VALUES (now())"
    while time.monotonic() - since < timeout_s:
        done = try_sql(spec, statement)
        if done is not None and done.returncode == 0:
            return time.monotonic() - since
        time.sleep(0.1)
    raise LabError(f"no write through the service VIP within {timeout_s:.0f}s")


def rejoin(spec: LabSpec, node: str, timeout_s: float = 90.0) -> None:
    """``harm pgsql rejoin`` on ``node`` (re-seed from the primary, remove the lock,
    clean up); tried again while the primary is not reachable on the replication VIP yet
    (it follows the promotion)."""
    from harm.lab import lab

    args, env = lab.exec_argv(spec, node, [sys.executable, "-m", "harm.cli.main", "pgsql",
                                           "rejoin", "-r", "r_pgsql"])
    start = time.monotonic()
    while True:
        done = subprocess.run(args, env=env, capture_output=True, text=True, timeout=300,
                              check=False, cwd="/")
        if done.returncode == 0:
            return
        unreachable = "connection to server" in done.stderr
        if not unreachable or time.monotonic() - start > timeout_s:
            raise LabError(f"rejoin on {node} failed: {done.stderr or done.stdout}")
        time.sleep(1.0)


def configure_fencing(spec: LabSpec) -> Path:
    """Load one fence_ipmilan device per node (its BMC) and stonith-enabled=true, once the
    BMCs answer; the crm file loaded (kept in the lab's run directory)."""
    bmc.wait_bmcs(spec)
    path = spec.run_dir / "fencing.crm"
    path.write_text(bmc.fencing_config(spec), encoding="utf-8")
    configure(spec, path)
    return path
