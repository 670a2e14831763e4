"""harmd's controller on a real three-node lab: placement, recovery, standby, DC loss,
harmd restarts, configuration replication, and an action that times out.

Each node runs harmd in its own network namespace; the operator's commands are the real
``harm`` CLI talking to one node's control socket; agents are harm's Dummy/Stateful and a
stock resource-agents agent. Tests share one lab (module fixture) and leave it as they found
it, so they can run in any order.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from harm.cib.cib import Cib
from harm.cib.xml_import import parse_cib_xml
from harm.daemon.client import request
from harm.engine.schedule import schedule
from harm.engine.state import Variant
from harm.engine.unpack import unpack
from harm.errors import ControlError
from harm.lab import lab as lablib
from harm.lab.spec import LabSpec

pytestmark = [pytest.mark.netns, pytest.mark.slow]

LAB = "hctl"
NODES = ("c1", "c2", "c3")
HAVE_STOCK_DELAY = Path("/usr/lib/ocf/resource.d/heartbeat/Delay").exists()

CONFIG = """\
primitive d1 ocf:harm:Dummy op monitor interval=2s timeout=20s
primitive d2 ocf:harm:Dummy op monitor interval=2s timeout=20s
group g1 d1 d2 meta migration-threshold=1
primitive cl ocf:harm:Dummy op monitor interval=3s timeout=20s
clone cl_clone cl
primitive st ocf:harm:Stateful \\
    op monitor interval=2s role=Master timeout=20s \\
    op monitor interval=3s role=Slave timeout=20s
ms ms_st st meta notify=true
property stonith-enabled=false
rsc_defaults resource-stickiness=100
"""
STOCK = "primitive stock ocf:heartbeat:Delay params startdelay=0 stopdelay=0 mondelay=0 " \
    "op monitor interval=5s timeout=20s\n"


def _sock(node: str) -> Path:
    return Path(f"/run/harm-lab/{LAB}/{node}/harmd.sock")


def harm(node: str, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HARM_SOCKET": str(_sock(node))}
    env.pop("HARM_CIB_FILE", None)
    done = subprocess.run([sys.executable, "-m", "harm.cli.main", *args], env=env,
                          capture_output=True, text=True, timeout=90, check=False)
    if check and done.returncode != 0:
        raise AssertionError(f"harm {' '.join(args)}: {done.stdout}{done.stderr}")
    return done


def cib_of(node: str) -> Cib:
    return parse_cib_xml(request(_sock(node), "cib", timeout=5)["xml"])


def controller(node: str) -> dict[str, object]:
    result = request(_sock(node), "controller", timeout=5)
    assert isinstance(result, dict)
    return result


def wait_for(what: str, check: Callable[[], bool], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except (ControlError, OSError, KeyError) as error:
            last = error
        time.sleep(0.25)
    raise AssertionError(f"timed out waiting for {what}" + (f" (last error: {last})"
                                                             if last else ""))


def placement(cib: Cib) -> dict[str, tuple[str, tuple[str, ...]]]:
    """Primitive instance → (role, nodes), as the engine reads the status."""
    state = unpack(cib, int(time.time()))
    return {r.id: (r.role.value, tuple(sorted(r.running_on))) for r in state.resources
            if r.variant is Variant.PRIMITIVE}


def where(cib: Cib, rsc: str) -> tuple[str, ...]:
    """Nodes each instance of ``rsc`` runs on (a primitive or a clone's instances)."""
    found: list[str] = []
    for rsc_id, (_role, nodes) in placement(cib).items():
        if rsc_id == rsc or rsc_id.split(":", 1)[0] == rsc:
            found += nodes
    return tuple(sorted(found))


def promoted(cib: Cib, rsc: str) -> list[str]:
    return sorted(n for rsc_id, (role, nodes) in placement(cib).items()
                  if rsc_id.split(":", 1)[0] == rsc and role == "Promoted" for n in nodes)


def pending_changes(cib: Cib) -> list[str]:
    """What the engine would still change: the lines of a Transition Summary."""
    now = int(time.time())
    return [line for line in schedule(unpack(cib, now), now).summary_lines() if line.strip()]


def settled(expect_dc: str | None = None) -> bool:
    states = [controller(n) for n in NODES if lablib.harmd_pid(_spec(), n) is not None]
    dcs = {s["dc"] for s in states}
    versions = {tuple(s["version"][:2]) for s in states}  # type: ignore[index]
    return (len(dcs) == 1 and None not in dcs and all(s["settled"] for s in states)
            and len(versions) == 1 and (expect_dc is None or dcs == {expect_dc}))


def quiet() -> bool:
    """Settled, no transition running, and nothing left to do."""
    if not settled():
        return False
    dc = dc_node()
    info = controller(dc)["transition"]
    assert isinstance(info, dict)
    return not info["running"] and not pending_changes(cib_of(dc))


def dc_node() -> str:
    return str(controller(next(n for n in NODES if lablib.harmd_pid(_spec(), n)))["dc"])


def history(cib: Cib, node: str) -> list[tuple[str, str, int]]:
    """(resource, operation, call id) of every record on ``node``."""
    state = cib.status.node(node)
    if state is None:
        return []
    return [(h.id, op.operation, op.call_id) for h in state.resources for op in h.ops]


def starts(cib: Cib, node: str) -> set[tuple[str, int]]:
    return {(rsc, call) for rsc, op, call in history(cib, node) if op == "start"}


_SPEC: list[LabSpec] = []


def _spec() -> LabSpec:
    return _SPEC[0]


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    lablib.down(LAB)
    spec = LabSpec(name=LAB, nodes=NODES, links=2).validate()
    _SPEC[:] = [spec]
    try:
        lablib.up(spec)
        lablib.wait_sockets(spec, list(NODES))
        wait_for("the three nodes to settle", lambda: settled("c1"))
        folder = tmp_path_factory.mktemp("ctl")
        text = CONFIG + (STOCK if HAVE_STOCK_DELAY else "")
        (folder / "lab.crm").write_text(text)
        harm("c2", "configure", "load", "update", str(folder / "lab.crm"))
        wait_for("the resources to be placed", quiet, 90)
        yield "c1"
    finally:
        lablib.down(LAB)


def test_placement_matches_the_engine(cluster: str) -> None:
    cib = cib_of("c3")
    # nothing left to do: the cluster is where the policy engine wants it
    assert pending_changes(cib) == []
    # the group is together on one node, the clone everywhere, one promoted instance
    assert len(set(where(cib, "d1"))) == 1
    assert where(cib, "d1") == where(cib, "d2")
    assert where(cib, "cl") == NODES
    assert len(promoted(cib, "st")) == 1
    assert where(cib, "st") == NODES
    if HAVE_STOCK_DELAY:  # a stock agent from resource-agents runs too
        assert len(where(cib, "stock")) == 1
    # every node holds the same configuration
    versions = {cib_of(n).version[:2] for n in NODES}
    assert len(versions) == 1


def test_failed_monitor_moves_the_group_and_cleanup_clears_it(cluster: str) -> None:
    cib = cib_of("c1")
    (first,) = set(where(cib, "d1"))
    state_file = Path(f"/run/harm-lab/{LAB}/{first}/tmp/Dummy-d1.state")
    assert state_file.exists()
    state_file.unlink()  # the resource "dies": its monitor fails

    def moved() -> bool:
        now = cib_of("c1")
        node = now.status.node(first)
        count = node.attribute("fail-count-d1#monitor_2000") if node else None
        there = where(now, "d1")
        return count == "1" and len(there) == 1 and there[0] != first and \
            where(now, "d2") == there
    wait_for("the group to move after the failure (migration-threshold=1)", moved)
    node_state = cib_of("c1").status.node(first)
    assert node_state is not None
    assert node_state.attribute("fail-count-d1") == "1"  # the per-resource total, too
    assert "Failed Resource Actions" in harm("c3", "status").stdout
    shown = subprocess.run([sys.executable, "-m", "harm.mon", "--socket", str(_sock("c3")),
                            "-1", "-f"], capture_output=True, text=True, timeout=30,
                           check=True).stdout
    assert "d1: migration-threshold=1 fail-count=1" in shown

    harm("c2", "resource", "cleanup", "d1")

    def cleaned() -> bool:
        now = cib_of("c3")
        node = now.status.node(first)
        return node is not None and node.attribute("fail-count-d1#monitor_2000") is None \
            and node.attribute("fail-count-d1") is None
    wait_for("the fail-count to be cleared", cleaned)
    wait_for("the cluster to be quiet again", quiet)
    assert "Failed Resource Actions" not in harm("c3", "status").stdout


def test_standby_empties_a_node_and_stickiness_keeps_resources_after(cluster: str) -> None:
    target = where(cib_of("c1"), "d1")[0]
    harm("c3", "node", "standby", target)

    def emptied() -> bool:
        cib = cib_of("c1")
        return all(target not in nodes for _role, nodes in placement(cib).values())
    wait_for(f"{target} to be emptied", emptied)
    wait_for("quiet after standby", quiet)
    before = placement(cib_of("c1"))
    harm("c3", "node", "online", target)
    wait_for("quiet after online", quiet)
    after = placement(cib_of("c1"))
    # the group stays where it went; only the clones come back to the returning node
    assert where(cib_of("c1"), "d1") == tuple(
        n for rsc, (_r, nodes) in before.items() if rsc == "d1" for n in nodes)
    assert where(cib_of("c1"), "cl") == NODES
    assert after  # something is placed


def test_killing_the_dc_elects_a_new_one_and_nothing_restarts(cluster: str) -> None:
    wait_for("quiet", quiet)
    old_dc = dc_node()
    survivors = [n for n in NODES if n != old_dc]
    cib = cib_of(survivors[0])
    running = {n: {rsc.split(":", 1)[0] for rsc, (_r, nodes) in placement(cib).items()
                   if n in nodes} for n in survivors}
    last_call = {n: max((call for _rsc, _op, call in history(cib, n)), default=0)
                 for n in survivors}
    lablib.stop_harmd(_spec(), old_dc)  # kill -9, resources on it keep running
    try:
        wait_for("a new DC among the survivors",
                 lambda: dc_node() in survivors and settled(), 30)
        new_dc = dc_node()
        assert new_dc == min(survivors)
        wait_for("quiet under the new DC", quiet, 60)
        cib = cib_of(new_dc)
        for node in survivors:
            # what ran there still runs, and was neither stopped nor started again
            still = {rsc.split(":", 1)[0] for rsc, (_r, nodes) in placement(cib).items()
                     if node in nodes}
            assert running[node] <= still
            again = [(rsc, op) for rsc, op, call in history(cib, node)
                     if call > last_call[node] and op in ("start", "stop")
                     and rsc.split(":", 1)[0] in running[node]]
            assert again == [], f"restarted on {node}: {again}"
    finally:
        lablib.start_harmd(_spec(), old_dc)
        lablib.wait_sockets(_spec(), [old_dc])
    wait_for("the old DC back and the cluster quiet", quiet, 90)


def test_restarting_harmd_restarts_no_resource(cluster: str) -> None:
    wait_for("quiet", quiet)
    node = "c2"
    running = {rsc for rsc, (_r, nodes) in placement(cib_of("c1")).items() if node in nodes}
    assert running
    lablib.stop_harmd(_spec(), node)
    lablib.start_harmd(_spec(), node)  # back within deadtime: the same member, restarted
    lablib.wait_sockets(_spec(), [node])
    wait_for("the restarted node to be probed and the cluster quiet", quiet, 60)
    cib = cib_of("c1")
    ops = history(cib, node)
    # its new history holds probes (and monitors), no start: everything was adopted
    assert not [op for op in ops if op[1] in ("start", "stop", "promote", "demote")], ops
    assert {rsc for rsc, (_r, nodes) in placement(cib).items() if node in nodes} == running


def test_configuration_change_reaches_every_node_and_a_returning_one(
        cluster: str, tmp_path: Path) -> None:
    wait_for("quiet", quiet)
    absent = "c3"
    lablib.stop_harmd(_spec(), absent)
    try:
        wait_for(f"{absent} to be out of the view", settled, 30)
        change = tmp_path / "change.crm"
        change.write_text("primitive extra ocf:harm:Dummy op monitor interval=5s\n")
        harm("c2", "configure", "load", "update", str(change))  # c2 is not the DC
        wait_for("extra to be configured on c1 and c2", lambda: all(
            cib_of(n).configuration.find_resource("extra") is not None for n in ("c1", "c2")))
    finally:
        time.sleep(3)  # past deadtime: c3 left the cluster
        lablib.start_harmd(_spec(), absent)
        lablib.wait_sockets(_spec(), [absent])
    wait_for(f"{absent} to catch up", lambda: cib_of(absent).configuration.find_resource(
        "extra") is not None and settled(), 60)
    assert len({cib_of(n).version[:2] for n in NODES}) == 1
    harm("c1", "configure", "delete", "extra")
    wait_for("quiet without extra", quiet, 60)


def test_an_action_that_times_out_is_aborted_and_its_processes_are_gone(
        cluster: str, tmp_path: Path) -> None:
    wait_for("quiet", quiet)
    dc = dc_node()
    before = controller(dc)["transition"]
    assert isinstance(before, dict)
    slow = tmp_path / "slow.crm"
    # every action of "slow" sleeps 8 s: probes and stops have the time, the start not
    slow.write_text("primitive slow ocf:harm:Dummy params op_sleep=8 "
                    "op start timeout=3s interval=0 op stop timeout=30s interval=0 "
                    "op monitor timeout=30s interval=0\n")
    harm("c1", "configure", "load", "update", str(slow))

    def failed_everywhere() -> bool:
        cib = cib_of(dc)
        counts = []
        for node in NODES:
            state = cib.status.node(node)
            counts.append(state.attribute("fail-count-slow#start_0") if state else None)
        return all(c == "INFINITY" for c in counts)
    wait_for("the start to time out on every node", failed_everywhere, 150)
    after = controller(dc)["transition"]
    assert isinstance(after, dict)
    assert int(after["transitions"]) > int(before["transitions"]) + 2  # aborted, recomputed
    wait_for("quiet after the timeouts", quiet, 90)
    assert where(cib_of(dc), "slow") == ()
    leftovers = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            environ = Path(f"/proc/{pid}/environ").read_bytes()
        except OSError:
            continue
        if b"OCF_RESOURCE_INSTANCE=slow\0" in environ:
            leftovers.append(pid)
    # only a stop or probe still sleeping may be left, never the killed start
    assert all(b"start" not in Path(f"/proc/{p}/cmdline").read_bytes() for p in leftovers
               if Path(f"/proc/{p}").exists())
    harm("c1", "configure", "delete", "slow")
    harm("c1", "resource", "cleanup", "slow", check=False)
    wait_for("quiet without slow", quiet, 90)
