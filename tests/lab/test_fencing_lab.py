"""Fencing for real: the seed's PostgreSQL pair on a lab whose nodes have IPMI BMCs
(OpenIPMI's ipmi_sim on a management network), fenced by the stock fence_ipmilan.

One lab for the module (``harm lab up --demo --fencing`` as a fixture), scenarios in order,
each leaving the cluster primary + sync standby again:

1. the primary's node crashes: it is powered off and on through its BMC, the standby is
   promoted only after the fence is confirmed, no acknowledged commit is lost;
2. ``harm node fence`` of the DC itself, through a topology whose level 1 has a wrong
   password: another node runs it, level 2 fences, and after the DC change every node
   shows the same fencing history;
3. a device that always fails: no recovery and the failure shown, recovery once the
   device is fixed.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from harm.cib.status import FenceEvent, FenceState
from harm.cib.xml_import import parse_cib_xml
from harm.daemon.client import request
from harm.errors import HarmError
from harm.lab import bmc, demo, faults, lab
from harm.lab.postgres import PG_DIRS
from harm.lab.spec import LabSpec
from tests.e2e.test_pgsql_cluster import healthy, sql, status, wait_for

pytestmark = [pytest.mark.netns, pytest.mark.postgres]

LAB = "hfence"
A, B = "osspc30", "osspc31"
REPO = Path(__file__).resolve().parents[2]


def other_of(node: str) -> str:
    return B if node == A else A


def harm(spec: LabSpec, node: str, *args: str, check: bool = True,
         ) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HARM_SOCKET": str(demo.socket_of(spec, node))}
    env.pop("HARM_CIB_FILE", None)
    done = subprocess.run([sys.executable, "-m", "harm.cli.main", *args], env=env,
                          capture_output=True, text=True, timeout=300, check=False)
    assert not check or done.returncode == 0, done.stdout + done.stderr
    return done


def load(spec: LabSpec, node: str, text: str) -> None:
    path = spec.run_dir / "update.crm"
    path.write_text(text, encoding="utf-8")
    harm(spec, node, "configure", "load", "update", str(path))


def history(spec: LabSpec, node: str) -> tuple[FenceEvent, ...]:
    return parse_cib_xml(request(demo.socket_of(spec, node), "cib")["xml"]).status.fencing


def mon_history(spec: LabSpec, node: str, level: str = "3") -> list[str]:
    done = subprocess.run([sys.executable, "-m", "harm.mon", "--socket",
                           str(demo.socket_of(spec, node)), "-1", "-m", level],
                          capture_output=True, text=True, timeout=60, check=False)
    lines = done.stdout.splitlines()
    start = next((i for i, line in enumerate(lines) if line.startswith(
        ("Fencing History", "Failed Fencing"))), len(lines))
    # the fencing sections only: what follows them (each node's own dropped-input counts)
    # differs from node to node
    shown: list[str] = []
    for line in lines[start:]:
        if line.strip() and not line.startswith(
                ("Fencing History", "Failed Fencing", "Pending Fencing", " ")):
            break
        shown.append(line)
    while shown and not shown[-1].strip():
        shown.pop()
    return shown


def answers(spec: LabSpec, node: str) -> bool:
    try:
        request(demo.socket_of(spec, node), "ping", timeout=1.0)
    except HarmError:
        return False
    return True


def dc_of(spec: LabSpec, via: str) -> str | None:
    answer = request(demo.socket_of(spec, via), "cib")
    dc = answer.get("dc")
    return dc if isinstance(dc, str) else None


def device_text(spec: LabSpec, node: str, password: str | None = None) -> str:
    """``node``'s device as the lab configures it (with another password if given)."""
    lines = bmc.fencing_config(spec).splitlines()
    start = lines.index(f"primitive st_{node} stonith:fence_ipmilan \\")
    chosen = "\n".join(lines[start:start + 3]) + "\n"
    if password is not None:  # ipmitool_timeout=1: a refused login ends in ~5 s, not ~8 s
        chosen = chosen.replace(f"password={bmc.password(spec)}",
                                f"password={password} ipmitool_timeout=1")
    return chosen


class Writer:
    """Inserts 1, 2, 3 … through the service VIP as fast as it can, one psql each, and
    logs every value whose INSERT was acknowledged (COMMIT returned)."""

    def __init__(self, spec: LabSpec) -> None:
        self.spec = spec
        self.acknowledged: list[int] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self) -> None:
        value = 0
        while not self.stop.is_set():
            value += 1
            done = demo.try_sql(self.spec, f"INSERT INTO acked VALUES ({value})")
            if done is not None and done.returncode == 0:
                self.acknowledged.append(value)
            else:
                time.sleep(0.05)

    def __enter__(self) -> Writer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join(30)


def log_lines_since(spec: LabSpec, since: float, *nodes: str) -> list[str]:
    """The harmd log lines of ``nodes`` (default: all) stamped at or after ``since``
    (epoch seconds), merged in time order (the DC that logs an outcome may change)."""
    out: list[tuple[float, str]] = []
    for node in nodes or spec.nodes:
        text = (spec.node_dir(node) / "harmd.log").read_text(errors="replace")
        for line in text.splitlines():
            match = re.match(r"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d),(\d{3}) ", line)
            if match is None:
                continue
            stamp = time.mktime(time.strptime(match.group(1), "%Y-%m-%d %H:%M:%S"))
            stamp += int(match.group(2)) / 1000
            if stamp >= since - 1:
                out.append((stamp, line))
    return [line for _, line in sorted(out, key=lambda item: item[0])]


def rejoin_after_power_cycle(spec: LabSpec, node: str) -> None:
    """The fenced node comes back by itself (its BMC powered it on, harmd started):
    re-seed its PostgreSQL from the primary, as the seed's procedure does."""
    wait_for(f"harmd on {node} after the power cycle", lambda: answers(spec, node), 90)
    demo.rejoin(spec, node)
    healthy(spec)


@pytest.fixture(scope="module")
def spec() -> Iterator[LabSpec]:
    lab.down(LAB)
    the_spec = LabSpec(name=LAB, nodes=(A, B), links=2, private_dirs=PG_DIRS,
                       gateway="192.168.10.100", fencing=True).validate()
    try:
        built = lab.up(the_spec, start=False)
        demo.provision(built)
        for node in built.nodes:
            lab.start_harmd(built, node)
        lab.wait_sockets(built, list(built.nodes))
        demo.configure(built, REPO / "configs" / "pgsql-lab.crm")
        demo.configure_fencing(built)
        demo.wait_ready(built)
        sql(built, "CREATE TABLE acked (i int PRIMARY KEY); "
                   "CREATE TABLE harm_probe (at timestamptz)")
        yield built
    finally:
        lab.down(LAB)


def test_1_a_crashed_primary_is_fenced_before_the_standby_is_promoted(spec: LabSpec) -> None:
    first = healthy(spec)
    other = other_of(first)
    sql(spec, "DELETE FROM acked")
    with Writer(spec) as writer:
        wait_for("a few commits", lambda: len(writer.acknowledged) >= 5, 30)
        crashed = time.time()
        faults.fail(spec, first, "node")
        start = time.monotonic()
        demo.wait_writable(spec, start)
        seen = len(writer.acknowledged)
        wait_for("commits on the new primary", lambda: len(writer.acknowledged) >= seen + 5, 30)
    rows = {int(v) for v in sql(spec, "SELECT i FROM acked").split()}
    assert set(writer.acknowledged) <= rows  # no acknowledged commit lost
    assert status(spec, other) == "PRI"
    # fenced by the survivor through the crashed node's BMC: powered off, then on
    events = [e for e in history(spec, other) if e.target == first and e.completed >= crashed - 1]
    done = [e for e in events if e.state is FenceState.SUCCESS]
    assert done and done[0].delegate == other and done[0].device == f"st_{first}"
    assert done[0].action == "reboot" and done[0].origin == other
    power = (spec.node_dir(first) / "power.log").read_text().splitlines()
    sets = [line.split(" ", 1)[1] for line in power if float(line.split()[0]) >= crashed
            and " set " in line]
    assert sets[:2] == ["set power 0", "set power 1"], power
    # the order: the fence confirmed, then the promotion
    lines = log_lines_since(spec, crashed)
    fenced = next(i for i, line in enumerate(lines) if f"{first} was fenced" in line)
    promoted = next(i for i, line in enumerate(lines) if "_promote_0 on" in line)
    assert fenced < promoted, "\n".join(lines)
    promote = [op for h in parse_cib_xml(request(demo.socket_of(spec, other), "cib")["xml"])
               .status.node(other).resources if h.id.startswith("r_pgsql")  # type: ignore
               for op in h.ops if op.operation == "promote"]
    assert promote and (promote[0].last_rc_change or 0) >= done[0].completed
    rejoin_after_power_cycle(spec, first)


def test_2_harm_node_fence_of_the_dc_level_1_fails_level_2_fences_history_everywhere(
        spec: LabSpec) -> None:
    """``harm node fence`` of the DC itself, from the other node, with a topology whose
    level 1 has a wrong password: the other node runs it, level 2 fences; after the DC
    change both nodes show the same history, older events included."""
    healthy(spec)
    dc = dc_of(spec, A)
    assert dc in (A, B)
    other = other_of(dc)
    was_primary = status(spec, dc) == "PRI"
    bad = device_text(spec, dc, "wrong-password").replace(
        f"st_{dc} ", f"st_bad_{dc} ").replace(
        "pcmk_host_list", "pcmk_reboot_retries=1 pcmk_host_list")
    load(spec, other, bad + f"location l_st_bad_{dc} st_bad_{dc} -inf: {dc}\n"
         f"fencing_topology {dc}: st_bad_{dc} st_{dc}\n")
    before = {e.id for e in history(spec, other)}
    asked = time.time()
    harm(spec, other, "node", "fence", dc)  # returns when the fence has ended
    mine = [e for e in history(spec, other) if e.target == dc and e.id not in before
            and e.state is FenceState.SUCCESS]
    assert mine and mine[0].delegate == other and mine[0].device == f"st_{dc}"
    assert mine[0].client == "harm node fence"
    lines = log_lines_since(spec, asked, other)
    assert any(f"level 1 failed: st_bad_{dc} reboot" in line for line in lines), lines
    wait_for(f"harmd on {dc} after the power cycle", lambda: answers(spec, dc), 90)
    wait_for("one DC again", lambda: dc_of(spec, other) is not None
             and dc_of(spec, dc) == dc_of(spec, other), 60)
    # both nodes show the same history, the events before the DC change included
    wait_for("the same history on both nodes",
             lambda: mon_history(spec, A) == mon_history(spec, B) != [], 30)
    shown = mon_history(spec, A)
    assert len([line for line in shown if "successful" in line]) >= 2, shown
    harm(spec, other, "configure", "delete", "fencing_topology")
    harm(spec, other, "configure", "delete", f"st_bad_{dc}")
    if was_primary:
        demo.rejoin(spec, dc)
    healthy(spec)


def test_3_a_device_that_always_fails_blocks_recovery_until_it_works(spec: LabSpec) -> None:
    first = healthy(spec)
    other = other_of(first)
    load(spec, other, device_text(spec, first, "wrong-password"))
    crashed = time.time()
    faults.fail(spec, first, "node")
    # every fence fails (two tries of 8 s each, then again after the back-off): the
    # standby stays a standby and no write is accepted anywhere
    deadline = time.monotonic() + 18
    while time.monotonic() < deadline:
        assert status(spec, other) != "PRI"
        done = demo.try_sql(spec, "INSERT INTO acked VALUES (-1)")
        assert done is None or done.returncode != 0
        time.sleep(1)
    failed = [e for e in history(spec, other) if e.target == first
              and e.state is FenceState.FAILED and e.completed >= crashed]
    assert failed, history(spec, other)
    shown = "\n".join(mon_history(spec, other, "1"))
    assert "Failed Fencing Actions:" in shown and f"reboot of {first} failed" in shown
    # the operator fixes the device: the next try fences, and the cluster recovers
    load(spec, other, device_text(spec, first))
    start = time.monotonic()
    demo.wait_writable(spec, start, timeout_s=120)
    assert status(spec, other) == "PRI"
    assert [e for e in history(spec, other) if e.target == first][-1].state is \
        FenceState.SUCCESS
    rejoin_after_power_cycle(spec, first)


def test_4_the_partition_fence_race_is_won_by_the_primarys_node(spec: LabSpec) -> None:
    """The standby's node cut from the primary's on every heartbeat link (the clients and
    the BMC network still reach the primary): each side wants to fence the other. With
    priority-fencing-delay and a priority on ms_pgsql, the side that would fence the
    primary's node waits; the primary's side fences first. stonith-action=off: the loser
    stays off. Exactly one node survives, the one with the primary; the standby is never
    promoted; every acknowledged commit is there."""
    first = healthy(spec)
    standby = other_of(first)
    load(spec, first, "ms ms_pgsql r_pgsql meta master-max=1 master-node-max=1 clone-max=2 "
         "clone-node-max=1 notify=true is-managed=true priority=10\n"
         "property priority-fencing-delay=10s stonith-action=off\n")
    sql(spec, "DELETE FROM acked")
    cut = time.time()
    with Writer(spec) as writer:
        faults.fail(spec, standby, f"partition={standby}")
        wait_for(f"{standby} powered off", lambda: not bmc.powered_on(spec, standby), 60)
        seen = len(writer.acknowledged)
        wait_for("commits after the race", lambda: len(writer.acknowledged) >= seen + 5, 60)
    assert bmc.powered_on(spec, first)
    power = (spec.node_dir(first) / "power.log").read_text().splitlines()
    assert not [line for line in power if float(line.split()[0]) >= cut and " set " in line]
    assert status(spec, first) == "PRI"
    rows = {int(v) for v in sql(spec, "SELECT i FROM acked").split()}
    assert set(writer.acknowledged) <= rows
    done = [e for e in history(spec, first) if e.completed >= cut - 1
            and e.state is FenceState.SUCCESS]
    assert [(e.target, e.action, e.delegate) for e in done] == [(standby, "off", first)]
    # it was a race: the cut standby planned to fence the primary's node too, but later
    planned = [line for line in log_lines_since(spec, cut, standby)
               if f"fencing {first} (off) by {standby}" in line]
    assert planned, "the standby never tried to fence"
    delay = int(re.search(r"(\d+) ms delay first", planned[0]).group(1))  # type: ignore
    assert delay >= 10_000
    # bring it back: power on through its BMC, then the links back on the main bridges
    load(spec, first, "property stonith-action=reboot\n")
    harm(spec, first, "lab", "power", "--name", spec.name, standby, "on")
    faults.heal(spec, standby)
    wait_for(f"harmd on {standby}", lambda: answers(spec, standby), 90)
    healthy(spec)
