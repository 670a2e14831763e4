"""Partitions of the demo cluster with its witness: never two writable primaries, no
acknowledged commit lost, one primary after the heal (docs/quorum.md).

The session's seed lab (tests/e2e/conftest.py: the seed's two nodes, the witness in the
gateway, PostgreSQL 15, configs/pgsql-lab.crm with no-quorum-policy=demote), as
test_pgsql_cluster.py leaves it, or started here when this module runs alone; the lab is
removed after this module. Clients run in the gateway, which reaches
both nodes whatever the faults between the nodes. Each split is measured with a client's
data: a writer through the service VIP logs every commit it got acknowledged, and a prober
asks each node directly (its own address) whether it commits a write.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

from harm.cib.durations import parse_ms
from harm.cib.xml_import import parse_cib_xml
from harm.daemon.client import request
from harm.engine.unpack import unpack
from harm.errors import ControlError
from harm.lab import demo, faults, lab
from harm.lab.spec import GATEWAY, LabSpec

from .conftest import release
from .test_pgsql_cluster import REPO, data_status, mon, status, wait_for

pytestmark = [pytest.mark.netns, pytest.mark.postgres, pytest.mark.slow]

A, B = "osspc30", "osspc31"
READONLY_VIP = "192.168.10.11"


@pytest.fixture(scope="module")
def spec(seed_lab: LabSpec) -> Iterator[LabSpec]:
    try:
        if not all(lab.harmd_pid(seed_lab, n) for n in seed_lab.nodes):
            for node in seed_lab.nodes:
                lab.start_harmd(seed_lab, node)
            lab.wait_sockets(seed_lab, list(seed_lab.nodes))
            demo.configure(seed_lab, REPO / "configs" / "pgsql-lab.crm")
            demo.wait_ready(seed_lab)
        healthy(seed_lab, 180)
        must(seed_lab, "CREATE TABLE IF NOT EXISTS acked (id int PRIMARY KEY)")
        must(seed_lab, "CREATE TABLE IF NOT EXISTS probe (node text, "
             "at timestamptz DEFAULT now())")
        must(seed_lab, "CREATE TABLE IF NOT EXISTS harm_probe (at timestamptz)")
        yield seed_lab
    finally:
        release()  # the last module on this lab


def must(spec: LabSpec, statement: str, host: str = demo.SERVICE_VIP) -> str:
    done = demo.try_sql(spec, statement, host, connect_timeout_s=5)
    assert done is not None and done.returncode == 0, done.stderr if done else "timeout"
    return done.stdout.strip()


def node_address(spec: LabSpec, node: str) -> str:
    return spec.address(node, 0).split("/")[0]


def deadtime_s(spec: LabSpec) -> float:
    return parse_ms(spec.deadtime) / 1000


def running_on(spec: LabSpec, rsc: str, promoted_only: bool = False) -> list[str]:
    """Where the cluster's status (as the first answering node has it) shows the primitive
    ``rsc`` (or its clone instances ``rsc:N``) running, or running promoted."""
    for node in spec.nodes:
        try:
            xml = request(demo.socket_of(spec, node), "cib", timeout=3)["xml"]
        except ControlError:
            continue
        state = unpack(parse_cib_xml(xml), int(time.time()))
        return sorted(n for r in state.resources
                      if (r.id == rsc or r.id.startswith(rsc + ":"))
                      and (not promoted_only or r.role.value == "Promoted")
                      for n in r.running_on)
    return []


def healthy(spec: LabSpec, timeout: float = 120) -> str:
    """Wait for one PRI with the service VIP and one HS:sync; the primary."""
    def check() -> bool:
        first = demo.primary(spec)
        other = B if first == A else A
        return first is not None and status(spec, other) == "HS:sync" and \
            data_status(spec, other) == "STREAMING|SYNC" and \
            running_on(spec, "r_service_vip") == [first]
    wait_for("primary + sync standby", check, timeout)
    found = demo.primary(spec)
    assert found is not None
    return found


@dataclass
class Clients:
    """A writer through the service VIP and a prober of each node, in threads."""

    spec: LabSpec
    acked: list[int] = field(default_factory=list)
    accepted: dict[str, list[tuple[float, float]]] = field(default_factory=dict)
    stop: threading.Event = field(default_factory=threading.Event)
    threads: list[threading.Thread] = field(default_factory=list)

    def __enter__(self) -> Clients:
        self.threads = [threading.Thread(target=self._write, daemon=True)]
        self.threads += [threading.Thread(target=self._probe, args=(n,), daemon=True)
                         for n in self.spec.nodes]
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=30)

    def _write(self) -> None:
        number = 0
        while not self.stop.is_set():
            number += 1
            done = demo.try_sql(self.spec, f"INSERT INTO acked VALUES ({number})")
            if done is not None and done.returncode == 0:
                self.acked.append(number)
            time.sleep(0.05)

    def _probe(self, node: str) -> None:
        host = node_address(self.spec, node)
        while not self.stop.is_set():
            began = time.monotonic()
            done = demo.try_sql(self.spec, f"INSERT INTO probe (node) VALUES ('{node}')", host)
            if done is not None and done.returncode == 0:
                self.accepted.setdefault(node, []).append((began, time.monotonic()))
            time.sleep(0.1)

    def both_writable_s(self) -> float:
        """How long both nodes were committing writes at the same time."""
        total = 0.0
        for a0, a1 in self.accepted.get(A, []):
            for b0, b1 in self.accepted.get(B, []):
                total += max(0.0, min(a1, b1) - max(a0, b0))
        return total

    def last_accepted(self, node: str) -> float | None:
        spans = self.accepted.get(node, [])
        return spans[-1][1] if spans else None

    def first_accepted_after(self, node: str, since: float) -> float | None:
        return next((b for b, _ in self.accepted.get(node, []) if b >= since), None)


def cleanup(spec: LabSpec, rsc: str) -> None:
    """``harm resource cleanup RSC``, through the first node's harmd."""
    sock = demo.socket_of(spec, spec.nodes[0])
    ident = request(sock, "cluster-op", op="cleanup", rsc=rsc)["request"]
    wait_for(f"cleanup of {rsc}", lambda: request(sock, "request-status",
                                                   request=ident)["state"] == "done", 30)


def none_missing(spec: LabSpec, acked: list[int]) -> None:
    """Every commit the writer got acknowledged is on the primary."""
    rows = must(spec, "SELECT id FROM acked ORDER BY id", demo.SERVICE_VIP)
    present = {int(r) for r in rows.split() if r.strip().isdigit()}
    missing = sorted(set(acked) - present)
    assert not missing, f"{len(missing)} acknowledged commits missing: {missing[:10]}"


def test_1_cross_connect_cut_the_primary_keeps_quorum_the_standby_never_writes(
        spec: LabSpec) -> None:
    primary = healthy(spec)
    standby = B if primary == A else A
    with Clients(spec) as clients:
        time.sleep(2)
        split = time.monotonic()
        faults.fail(spec, primary, f"cut={standby}")
        try:
            wait_for("the standby's partition without quorum", lambda: not request(
                demo.socket_of(spec, standby), "quorum")["quorate"], 30)
            time.sleep(max(0.0, 30 - (time.monotonic() - split)))
            assert request(demo.socket_of(spec, primary), "quorum")["quorate"]
            assert demo.attribute(spec, standby, demo.STATUS, via=standby) != "PRI"
        finally:
            faults.heal(spec)
        healed = time.monotonic()
        wait_for("one primary with the service VIP after the heal",
                 lambda: running_on(spec, "r_pgsql", promoted_only=True) == [primary]
                 and running_on(spec, "r_service_vip") == [primary], 30)
        assert time.monotonic() - healed <= 30
        time.sleep(1)
    first = clients.first_accepted_after(primary, split)
    print(f"split 30 s: both nodes writable {clients.both_writable_s():.2f} s; the primary "
          f"commits again {first - split if first else float('nan'):.2f} s after the split; "
          f"{len(clients.acked)} commits acknowledged through the VIP")
    assert clients.both_writable_s() <= deadtime_s(spec) + 1
    assert clients.first_accepted_after(standby, split) is None  # it never took writes
    assert clients.first_accepted_after(primary, split + deadtime_s(spec) + 1) is not None
    assert len(clients.acked) > 20
    none_missing(spec, clients.acked)
    healthy(spec)


def test_2_the_primary_also_loses_the_witness_it_stops_writes_the_standby_takes_over(
        spec: LabSpec) -> None:
    """The side that keeps quorum is the other one: the old primary must stop committing
    within deadtime + 1 s of the split, and rejoins by itself (pg_rewind) after the heal."""
    primary = healthy(spec)
    standby = B if primary == A else A
    with Clients(spec) as clients:
        time.sleep(2)
        faults.fail(spec, primary, "cut=witness")
        split = time.monotonic()
        faults.fail(spec, primary, f"cut={standby}")
        try:
            wait_for(f"{standby} promoted", lambda: demo.attribute(
                spec, standby, demo.STATUS, via=standby) == "PRI", 60)
            wait_for("writes through the service VIP on the new primary",
                     lambda: clients.first_accepted_after(standby, split) is not None, 30)
            time.sleep(3)
        finally:
            faults.heal(spec)
        healed = time.monotonic()
        wait_for("one primary with the service VIP after the heal",
                 lambda: running_on(spec, "r_pgsql", promoted_only=True) == [standby]
                 and running_on(spec, "r_service_vip") == [standby], 30)
        assert time.monotonic() - healed <= 30
    last_old = clients.last_accepted(primary)
    first_new = clients.first_accepted_after(standby, split)
    print(f"primary also cut from the witness: its last commit "
          f"{'none after the split' if last_old is None or last_old < split else last_old - split}"
          f"; the standby commits {first_new - split if first_new else float('nan'):.2f} s "
          f"after the split; both writable {clients.both_writable_s():.2f} s")
    assert last_old is None or last_old <= split + deadtime_s(spec) + 1, last_old - split
    assert clients.both_writable_s() <= deadtime_s(spec) + 1
    none_missing(spec, clients.acked)
    # the old primary went past the fork (its commits waited for the standby): it rewinds
    # itself and follows the new primary, or says what to run
    try:
        wait_for(f"{primary} back as a standby", lambda: status(spec, primary) == "HS:sync"
                 or demo.attribute(spec, primary, "r_pgsql-needs") is not None, 180)
    except AssertionError:
        print(mon(spec, standby))  # what the operator would see, for the failure's record
        raise
    assert demo.attribute(spec, primary, "r_pgsql-needs") is None
    healthy(spec)


def test_3_a_node_cut_from_everything_does_not_promote_and_losing_the_witness_changes_nothing(
        spec: LabSpec) -> None:
    primary = healthy(spec)
    standby = B if primary == A else A
    for link in ("eth0", "eth1"):
        faults.fail(spec, standby, f"link={link}")
    try:
        wait_for("the cut node without quorum", lambda: not request(
            demo.socket_of(spec, standby), "quorum")["quorate"], 30)
        start = time.monotonic()
        demo.wait_writable(spec, start, 60)  # the majority (primary + witness) serves
        time.sleep(2 * deadtime_s(spec))
        assert demo.attribute(spec, standby, demo.STATUS, via=standby) != "PRI"
        assert request(demo.socket_of(spec, primary), "quorum")["quorate"]
    finally:
        faults.heal(spec, standby)
    cleanup(spec, "r_readonly_vip")  # its monitor saw no carrier on the cut node
    healthy(spec)
    faults.fail(spec, GATEWAY, "witness")
    try:
        time.sleep(2 * deadtime_s(spec))
        for node in spec.nodes:
            assert request(demo.socket_of(spec, node), "quorum")["quorate"], node
        must(spec, "INSERT INTO acked VALUES (-1)")
        assert running_on(spec, "r_pgsql", promoted_only=True) == [primary]
    finally:
        faults.heal(spec, GATEWAY)


def test_4_a_standby_s_postgres_stopped_the_readonly_vip_moves_to_the_primary(
        spec: LabSpec) -> None:
    primary = healthy(spec)
    standby = B if primary == A else A
    wait_for("the read-only VIP on the standby",
             lambda: running_on(spec, "r_readonly_vip") == [standby], 60)
    faults.fail(spec, standby, "postgres")
    wait_for("the read-only VIP on the primary",
             lambda: running_on(spec, "r_readonly_vip") == [primary], 90)
    assert must(spec, "SELECT pg_is_in_recovery()", READONLY_VIP) == "f"
    cleanup(spec, "ms_pgsql")
    healthy(spec)
    wait_for("the read-only VIP back on the standby",
             lambda: running_on(spec, "r_readonly_vip") == [standby], 60)
    assert must(spec, "SELECT pg_is_in_recovery()", READONLY_VIP) == "t"
