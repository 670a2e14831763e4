"""The seed scenarios as CIBs: the lab's two-node PostgreSQL cluster (configs/pgsql-lab.crm)
in the states the seed report walks through.

* ``healthy``: osspc30 primary (PRI), osspc31 sync standby (HS:sync), VIPs on the primary,
  the read-only VIP on the standby, pingd on both, every heartbeat link up;
* ``failover``: postgres was killed on osspc30: its 7 s monitor returned 7 (not running),
  fail-count 1 with migration-threshold 1, osspc31 promoted and running the VIPs;
  osspc30 shows STOP / DISCONNECT / -INFINITY as the seed report describes;
* ``peer_lost``: osspc31 is gone (both its links dead), osspc30 runs everything alone.

Built from harm's typed model (configuration parsed from the crm file, status as
dataclasses) and written as Pacemaker CIB XML with harm's exporter, so crm_mon can read
exactly what harm_mon reads.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from harm.cib.cib import Cib
from harm.cib.config import NvSet
from harm.cib.status import NodeState, OpRecord, ResourceHistory, Status
from harm.crmsh.load import parse_configuration

REPO_ROOT = Path(__file__).resolve().parents[2]

UUID = "6d3fd0b4-24a1-4c8e-9d55-0a4a4c5d9e01"
T0 = 1_795_000_000  # a fixed moment (2026-11-18) so the outputs are reproducible
NOW = T0 + 3600
NODES = ("osspc30", "osspc31")
AGENTS = {
    "r_service_vip": ("ocf", "heartbeat", "IPaddr2"),
    "r_replication_vip": ("ocf", "heartbeat", "IPaddr2"),
    "r_readonly_vip": ("ocf", "heartbeat", "IPaddr2"),
    "r_pgsql": ("ocf", "heartbeat", "pgsql"),
    "r_pingd": ("ocf", "pacemaker", "pingd"),
}


@dataclass
class _Calls:
    next_call: int = 10

    def op(self, rsc: str, task: str, interval_ms: int, rc: int, node: str, *,
           target: int | None = None, at: int = T0, record_id: str | None = None,
           exec_ms: int = 40) -> OpRecord:
        self.next_call += 1
        expected = rc if target is None else target
        key = f"{self.next_call}:1:{expected}:{UUID}"
        if record_id is None:
            record_id = f"{rsc}_monitor_{interval_ms}" if interval_ms else f"{rsc}_last_0"
        return OpRecord(
            id=record_id, operation=task, interval_ms=interval_ms, rc=rc,
            call_id=self.next_call, last_rc_change=at, last_run=at, exec_time=exec_ms,
            queue_time=0, on_node=node, transition_key=key,
            transition_magic=f"0:{rc};{key}", op_digest="0" * 32,
            extra=(("operation_key", f"{rsc}_{task}_{interval_ms}"),
                   ("crm-debug-origin", "do_update_resource"),
                   ("crm_feature_set", "3.16.2")),
        )


def configuration_text() -> str:
    return (REPO_ROOT / "configs" / "pgsql-lab.crm").read_text()


def _history(rsc: str, ops: list[OpRecord]) -> ResourceHistory:
    cls, provider, kind = AGENTS[rsc]
    return ResourceHistory(id=rsc, cls=cls, provider=provider, type=kind, ops=tuple(ops))


def _attrs(node: str, pairs: dict[str, str]) -> tuple[NvSet, ...]:
    return (NvSet(id=f"status-{node}", pairs=tuple(pairs.items())),)


def _node(name: str, attrs: dict[str, str], histories: list[ResourceHistory],
          online: bool = True) -> NodeState:
    return NodeState(
        id=name, uname=name, in_ccm=online, crmd="online" if online else "offline",
        join="member" if online else "down", expected="member" if online else "down",
        transient_attributes=_attrs(name, attrs) if online else (),
        resources=tuple(histories),
    )


def _started(calls: _Calls, rsc: str, node: str, interval_ms: int) -> ResourceHistory:
    return _history(rsc, [calls.op(rsc, "start", 0, 0, node),
                          calls.op(rsc, "monitor", interval_ms, 0, node)])


def _primary(calls: _Calls, node: str) -> ResourceHistory:
    return _history("r_pgsql", [
        calls.op("r_pgsql", "promote", 0, 0, node),
        calls.op("r_pgsql", "monitor", 7000, 8, node),
    ])


def _standby(calls: _Calls, node: str) -> ResourceHistory:
    return _history("r_pgsql", [
        calls.op("r_pgsql", "start", 0, 0, node),
        calls.op("r_pgsql", "monitor", 30000, 0, node),
    ])


def _links(peer: str, state: str = "up") -> dict[str, str]:
    return {f"{peer}-eth0": state, f"{peer}-eth1": state}


def _cib(nodes: list[NodeState]) -> Cib:
    configuration = parse_configuration(configuration_text(), "pgsql-lab.crm")
    return Cib(
        configuration=configuration, status=Status(nodes=tuple(nodes)),
        admin_epoch=0, epoch=12, num_updates=40, have_quorum=True, dc_uuid="osspc30",
        validate_with="pacemaker-3.7",
        extra=(("cib-last-written", "Wed Nov 18 09:06:40 2026"),
               ("update-origin", "osspc30"), ("update-client", "harm"),
               ("update-user", "root"), ("crm_feature_set", "3.16.2")),
    )


def healthy() -> Cib:
    calls = _Calls()
    primary, standby = NODES
    return _cib([
        _node(primary, {
            **_links(standby), "default_ping_set": "100", "master-r_pgsql": "1000",
            "pgsql-status": "PRI", "pgsql-data-status": "LATEST",
            "r_pgsql-master-baseline": "0000000003000098",
        }, [
            _started(calls, "r_pingd", primary, 10000),
            _primary(calls, primary),
            _started(calls, "r_service_vip", primary, 10000),
            _started(calls, "r_replication_vip", primary, 10000),
        ]),
        _node(standby, {
            **_links(primary), "default_ping_set": "100", "master-r_pgsql": "100",
            "pgsql-status": "HS:sync", "pgsql-data-status": "STREAMING|SYNC",
        }, [
            _started(calls, "r_pingd", standby, 10000),
            _standby(calls, standby),
            _started(calls, "r_readonly_vip", standby, 10000),
        ]),
    ])


def failover() -> Cib:
    calls = _Calls()
    old, new = NODES
    failed_at = T0 + 600
    failure = calls.op("r_pgsql", "monitor", 7000, 7, old, target=8, at=failed_at,
                       record_id="r_pgsql_last_failure_0", exec_ms=52)
    return _cib([
        _node(old, {
            **_links(new), "default_ping_set": "100", "master-r_pgsql": "-INFINITY",
            "pgsql-status": "STOP", "pgsql-data-status": "DISCONNECT",
            "fail-count-r_pgsql#monitor_7000": "1",
            "last-failure-r_pgsql#monitor_7000": str(failed_at),
        }, [
            _started(calls, "r_pingd", old, 10000),
            _history("r_pgsql", [
                failure,
                calls.op("r_pgsql", "stop", 0, 0, old, at=failed_at + 5),
            ]),
            _history("r_service_vip", [calls.op("r_service_vip", "stop", 0, 0, old)]),
            _history("r_replication_vip",
                     [calls.op("r_replication_vip", "stop", 0, 0, old)]),
        ]),
        _node(new, {
            **_links(old), "default_ping_set": "100", "master-r_pgsql": "1000",
            "pgsql-status": "PRI", "pgsql-data-status": "LATEST",
            "r_pgsql-master-baseline": "0000000003000150",
        }, [
            _started(calls, "r_pingd", new, 10000),
            _primary(calls, new),
            _started(calls, "r_service_vip", new, 10000),
            _started(calls, "r_replication_vip", new, 10000),
            _started(calls, "r_readonly_vip", new, 10000),
        ]),
    ])


def peer_lost() -> Cib:
    calls = _Calls()
    alive, gone = NODES
    return _cib([
        _node(alive, {
            **_links(gone, "dead"), "default_ping_set": "100", "master-r_pgsql": "1000",
            "pgsql-status": "PRI", "pgsql-data-status": "LATEST",
        }, [
            _started(calls, "r_pingd", alive, 10000),
            _primary(calls, alive),
            _started(calls, "r_service_vip", alive, 10000),
            _started(calls, "r_replication_vip", alive, 10000),
            _started(calls, "r_readonly_vip", alive, 10000),
        ]),
        _node(gone, {}, [], online=False),
    ])


SCENARIOS = {"healthy": healthy, "failover": failover, "peer_lost": peer_lost}
