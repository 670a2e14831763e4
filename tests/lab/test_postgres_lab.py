"""The two-node PostgreSQL demo's data layer in a real lab: each node's own PostgreSQL 15 in
its own /var/lib/pgsql, harm's pgsql and IPaddr2 agents run through ``harm lab exec`` with the
OCF environment ``configs/pgsql-lab.crm`` gives them, synchronous streaming over eth1, SQL
from the gateway, and ``harm lab fail NODE postgres``.

No harmd decides anything here: the test plays the cluster's part (start both, promote
osspc30, then the replication VIP, as ``rsc_order-2`` orders it) and checks what the agents
and PostgreSQL do.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from harm.cib.config import Clone, Configuration, Primitive
from harm.cib.durations import parse_ms
from harm.crmsh.load import parse_configuration
from harm.errors import LabError
from harm.lab import lab, mounts, netns, postgres
from harm.lab.spec import LabSpec

as_root = pytest.mark.skipif(os.geteuid() != 0, reason="network namespaces need root")

REPO = Path(__file__).resolve().parents[2]
CONFIG = REPO / "configs" / "pgsql-lab.crm"
PRIMARY, STANDBY = "osspc30", "osspc31"
NODES = (PRIMARY, STANDBY)
STATUS = "r_pgsql-status"
SHARED = Path("/var/lib/pgsql")


# ---------------------------------------------------------------- pure parts


def test_settings_open_postgresql_to_the_lab_networks_only() -> None:
    spec = LabSpec("x", NODES, links=2, private_dirs=postgres.PG_DIRS)
    settings = postgres.lab_settings(postgres.PgLayout())
    for line in ("listen_addresses = '*'", "wal_level = replica", "hot_standby = on",
                 "unix_socket_directories = '/var/run/postgresql'"):
        assert line in settings.splitlines()
    rules = [line.split() for line in postgres.hba_lines(spec).splitlines()
             if line and not line.startswith("#")]
    assert {(r[0], r[1], r[3], r[4]) for r in rules} == {
        ("host", db, net, "trust") for db in ("all", "replication")
        for net in ("192.168.10.0/24", "192.168.11.0/24")}
    assert postgres.replication_address(spec, PRIMARY, postgres.PgLayout()) == "192.168.11.1"
    one_link = LabSpec("x", NODES, links=1, private_dirs=postgres.PG_DIRS)
    assert postgres.replication_address(one_link, STANDBY, postgres.PgLayout()) == "192.168.10.2"


def test_data_directories_must_be_private() -> None:
    spec = LabSpec("x", NODES, private_dirs=postgres.PG_DIRS)
    assert postgres.host_path(spec, PRIMARY, "/var/lib/pgsql/data") == Path(
        "/run/harm-lab/x/osspc30/private/var/lib/pgsql/data")
    with pytest.raises(LabError, match="not in a private directory"):
        postgres.host_path(LabSpec("x", NODES), PRIMARY, "/var/lib/pgsql/data")


def test_the_service_vip_is_read_from_the_configuration() -> None:
    configuration = parse_configuration(CONFIG.read_text(), str(CONFIG))
    assert postgres.service_vip(configuration) == "192.168.10.10"
    assert postgres.service_vip(Configuration()) is None
    argv = postgres.sql_argv("192.168.10.10", "SELECT 1", postgres.PgLayout(), True)
    assert argv[0] == "/usr/lib/postgresql/15/bin/psql"
    assert argv[-4:] == ["-c", "SELECT 1", "-A", "-t"]


# ---------------------------------------------------------------- in a lab


def harm(*args: str, env: dict[str, str] | None = None,
         cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "harm.cli.main", *args], capture_output=True,
                          text=True, timeout=240, check=False, env=env, cwd=cwd)


def wait_for(probe: Callable[[], object], timeout_s: float = 90.0) -> object:
    """Poll until ``probe()`` is truthy; fails the test after a generous timeout."""
    end = time.monotonic() + timeout_s
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > end:
            pytest.fail(f"not reached within {timeout_s}s: {probe.__doc__ or probe}")
        time.sleep(0.5)


class Cluster:
    """Plays the cluster's part: runs agents as the configuration says it would."""

    def __init__(self, spec: LabSpec, configuration: Configuration, attrs: Path) -> None:
        self.spec = spec
        self.attrs = attrs
        clone = configuration.find_resource("ms_pgsql")
        assert isinstance(clone, Clone) and clone.promotable
        assert isinstance(clone.child, Primitive)
        self.pgsql: Primitive = clone.child
        self.clone = clone
        self.config = configuration

    def primitive(self, rsc_id: str) -> Primitive:
        found = self.config.find_resource(rsc_id)
        assert isinstance(found, Primitive)
        return found

    def timeout_ms(self, primitive: Primitive, action: str, interval_ms: int) -> int:
        for op in primitive.ops:
            if op.name == action and op.interval_ms == interval_ms:
                return parse_ms(op.attr("timeout") or "20s")
        return 20_000

    def ocf_env(self, primitive: Primitive, node: str, action: str,
                interval_ms: int = 0) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("OCF_")}
        for nvset in primitive.params:
            env.update({f"OCF_RESKEY_{k}": v for k, v in nvset.pairs})
        meta = {
            "on_node": node,
            "interval": str(interval_ms),
            "timeout": str(self.timeout_ms(primitive, action, interval_ms)),
        }
        instance = primitive.id
        if primitive is self.pgsql:
            # what Pacemaker adds for an instance of a promotable clone
            for nvset in self.clone.meta:
                meta.update({k.replace("-", "_"): v for k, v in nvset.pairs})
            meta.update(clone=str(NODES.index(node)), globally_unique="false",
                        promotable="true", promoted_max=meta.get("master_max", "1"),
                        promoted_node_max=meta.get("master_node_max", "1"))
            instance = f"{primitive.id}:{NODES.index(node)}"
        env.update({f"OCF_RESKEY_CRM_meta_{k}": v for k, v in meta.items()})
        env.update(OCF_ROOT="/usr/lib/ocf", OCF_RESOURCE_INSTANCE=instance,
                   HARM_ATTRIBUTE_DIR=str(self.attrs))
        return env

    def agent(self, rsc_id: str, node: str, action: str, interval_ms: int = 0) -> int:
        primitive = self.primitive(rsc_id)
        agent = REPO / "agents" / primitive.agent.type
        done = harm("lab", "exec", "--lab", self.spec.name, node, "--", str(agent), action,
                    env=self.ocf_env(primitive, node, action, interval_ms))
        print(f"{rsc_id} {action} on {node}: {done.returncode} {done.stdout} {done.stderr}")
        return done.returncode

    def attr(self, node: str, name: str) -> str | None:
        for lifetime in ("reboot", "forever"):
            path = self.attrs / lifetime / node / name
            if path.exists():
                return path.read_text()
        return None


def sql(name: str, via: str, statement: str, *extra: str) -> subprocess.CompletedProcess[str]:
    return harm("lab", "sql", "--lab", name, "--via", via, *extra, "-t", "--", statement)


@pytest.fixture()
def cluster(tmp_path: Path) -> Iterator[Cluster]:
    name = f"pg{os.getpid() % 100_000}"
    lab.down(name)
    before = sorted(os.listdir(SHARED)) if SHARED.is_dir() else []
    done = harm("lab", "up", "--lab", name, "--demo", "--no-provision")
    assert done.returncode == 0, done.stderr
    spec = lab.load(name)
    try:
        yield Cluster(spec, parse_configuration(CONFIG.read_text(), str(CONFIG)),
                      tmp_path / "attributes")
    finally:
        postmasters = [p for p in (postgres.postmaster_pid(spec, n) for n in NODES) if p]
        lab.down(name)
        for pid in postmasters:
            wait_for(lambda pid=pid: not netns.alive(pid), 20)
        assert not mounts.mounts_under(spec.run_dir)
        assert not netns.lab_namespaces(spec.prefix)
        after = sorted(os.listdir(SHARED)) if SHARED.is_dir() else []
        assert after == before  # the main namespace's /var/lib/pgsql was not touched


@pytest.mark.netns
@pytest.mark.postgres
@pytest.mark.slow
@as_root
def test_primary_and_sync_standby_in_their_own_data_directories(cluster: Cluster) -> None:
    spec, name = cluster.spec, cluster.spec.name
    assert spec.nodes == NODES
    # the demo's gateway is where configs/pgsql-lab.crm's pingd looks for it
    done = harm("lab", "exec", "--lab", name, STANDBY, "--", "ping", "-c", "1", "-W", "5",
                "192.168.10.100")
    assert done.returncode == 0, done.stdout + done.stderr
    monitor_primary, monitor_standby = 7_000, 30_000
    # osspc30: a new primary, started by the agent as a standby, then promoted; run from a
    # directory the postgres user cannot enter (root's home, a 0700 temporary directory)
    closed = cluster.attrs.parent / "closed"
    closed.mkdir(mode=0o700)
    done = harm("lab", "pg-init", "--lab", name, PRIMARY, cwd=closed)
    assert done.returncode == 0, done.stderr
    assert cluster.agent("r_pgsql", PRIMARY, "start") == 0
    assert cluster.attr(PRIMARY, STATUS) == "HS:alone"
    assert cluster.agent("r_pgsql", PRIMARY, "monitor", monitor_standby) == 0
    assert cluster.agent("r_pgsql", PRIMARY, "promote") == 0
    assert cluster.agent("r_pgsql", PRIMARY, "monitor", monitor_primary) == 8
    assert cluster.attr(PRIMARY, STATUS) == "PRI"
    # then the service group on the primary: the VIPs the standby and clients use
    assert cluster.agent("r_service_vip", PRIMARY, "start") == 0
    assert cluster.agent("r_replication_vip", PRIMARY, "start") == 0
    # osspc31: a copy over eth1, started as a standby of master_ip (192.168.11.10)
    assert not (spec.private_source(STANDBY, "/var/lib/pgsql") / "data").exists()
    done = harm("lab", "pg-seed", "--lab", name, STANDBY, "--from", PRIMARY)
    assert done.returncode == 0, done.stderr
    assert "192.168.11.1" in done.stdout
    assert cluster.agent("r_pgsql", STANDBY, "start") == 0

    def sync_standby() -> bool:
        """osspc31 is the primary's synchronous standby, and published as such"""
        assert cluster.agent("r_pgsql", PRIMARY, "monitor", monitor_primary) == 8
        assert cluster.agent("r_pgsql", STANDBY, "monitor", monitor_standby) == 0
        rows = sql(name, PRIMARY, "SELECT application_name, state, sync_state, client_addr "
                   "FROM pg_stat_replication").stdout.split()
        # the primary's monitor publishes what it saw before it made the standby sync
        return (rows == [f"{STANDBY}|streaming|sync|192.168.11.2"]
                and cluster.attr(STANDBY, STATUS) == "HS:sync")

    wait_for(sync_standby)
    # each node has its own data directory at the same path
    primary_data = spec.private_source(PRIMARY, "/var/lib/pgsql") / "data"
    standby_data = spec.private_source(STANDBY, "/var/lib/pgsql") / "data"
    assert (standby_data / "standby.signal").exists()
    assert not (primary_data / "standby.signal").exists()

    # a row written on the primary is read on the standby; the standby refuses writes
    done = sql(name, PRIMARY, "CREATE TABLE demo (id int PRIMARY KEY, who text); "
               "INSERT INTO demo VALUES (1, host(inet_server_addr()))")
    assert done.returncode == 0, done.stderr
    def replayed() -> bool:
        """the row on the standby"""
        done = sql(name, STANDBY, "SELECT id, who FROM demo")
        print(done.stdout, done.stderr)
        return done.stdout.split() == ["1|192.168.10.1"]

    wait_for(replayed)
    refused = sql(name, STANDBY, "INSERT INTO demo VALUES (2, 'standby')")
    assert refused.returncode != 0 and "read-only" in refused.stderr
    # the service VIP, as named by the configuration, leads to the primary
    done = harm("lab", "sql", "--lab", name, "--config", str(CONFIG), "-t", "--",
                "SELECT pg_is_in_recovery(), host(inet_server_addr())")
    assert done.stdout.split() == ["f|192.168.10.10"], done.stderr

    # fail osspc30 postgres: the postmaster and nothing else
    postmaster = postgres.postmaster_pid(spec, PRIMARY)
    standby_postmaster = postgres.postmaster_pid(spec, STANDBY)
    assert postmaster and standby_postmaster and postmaster != standby_postmaster
    # without a pid file to go by, the namespace's processes tell the same
    assert postgres.postmaster_pid(replace(spec, private_dirs=()), PRIMARY) == postmaster
    harmds = [lab.harmd_pid(spec, n) for n in NODES]
    done = harm("lab", "fail", "--lab", name, PRIMARY, "postgres")
    assert done.returncode == 0, done.stderr
    assert f"pid {postmaster}" in done.stdout
    assert not netns.alive(postmaster)
    assert netns.alive(standby_postmaster)
    assert [lab.harmd_pid(spec, n) for n in NODES] == harmds
    assert cluster.agent("r_pgsql", PRIMARY, "monitor", monitor_primary) == 7
    done = harm("lab", "fail", "--lab", name, PRIMARY, "postgres")
    assert done.returncode != 0 and "not running on osspc30" in done.stderr


@pytest.mark.netns
@as_root
def test_sql_finds_the_service_vip_in_the_running_configuration(tmp_path: Path) -> None:
    """No --config: the address comes from harmd's CIB (no PostgreSQL needed to see it)."""
    name = f"pv{os.getpid() % 100_000}"
    lab.down(name)
    crm = tmp_path / "vip.crm"
    crm.write_text("primitive r_service_vip ocf:harm:IPaddr2 \\\n"
                   "    params nic=eth0 ip=192.168.10.77 cidr_netmask=24 \\\n"
                   "    meta target-role=Stopped\n"
                   "property stonith-enabled=false\n")
    try:
        done = harm("lab", "up", "--lab", name, "--nodes", "A,B", "--links", "1")
        assert done.returncode == 0, done.stderr

        def loaded() -> bool:
            """the configuration is loaded into the cluster"""
            return harm("lab", "exec", "--lab", name, "A", "--", sys.executable, "-m",
                        "harm.cli.main", "configure", "load", "update", str(crm)).returncode == 0

        wait_for(loaded, 60)
        done = sql(name, "service-vip", "SELECT 1")
        assert done.returncode != 0
        assert "192.168.10.77" in done.stderr
        done = sql(name, "nobody", "SELECT 1")
        assert done.returncode != 0 and "use service-vip or one of A, B" in done.stderr
    finally:
        lab.down(name)
        assert not netns.lab_namespaces(f"{name}-")
