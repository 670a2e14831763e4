"""harmd survives what it reads: a CIB file cut short on disk, and a configuration that
once crashed the policy engine, on a real three-node lab (real UDP in namespaces, real
harmd processes, the real CLI).
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

from harm.cib.cib import Cib
from harm.cib.config import DateExpression, Location, Rule
from harm.cib.xml_export import cib_to_xml
from harm.cib.xml_import import parse_cib_xml
from harm.daemon.client import request
from harm.errors import ControlError
from harm.lab import lab as lablib
from harm.lab.spec import LabSpec

pytestmark = [
    pytest.mark.netns,
    pytest.mark.slow,
    pytest.mark.skipif(os.geteuid() != 0, reason="network namespaces need root"),
]

LAB = "hsurv"
NODES = ("s1", "s2", "s3")
CONFIG = """\
primitive d1 ocf:harm:Dummy op monitor interval=2s timeout=20s
primitive d2 ocf:harm:Dummy op monitor interval=2s timeout=20s
property stonith-enabled=false
"""


def _sock(spec: LabSpec, node: str) -> Path:
    return spec.node_dir(node) / "harmd.sock"


def harm(spec: LabSpec, node: str, *args: str) -> str:
    env = {**os.environ, "HARM_SOCKET": str(_sock(spec, node))}
    env.pop("HARM_CIB_FILE", None)
    done = subprocess.run([sys.executable, "-m", "harm.cli.main", *args], env=env,
                          capture_output=True, text=True, timeout=90, check=False)
    assert done.returncode == 0, f"harm {' '.join(args)}: {done.stdout}{done.stderr}"
    return done.stdout


def cib_of(spec: LabSpec, node: str) -> Cib:
    return parse_cib_xml(request(_sock(spec, node), "cib", timeout=5)["xml"])


def controller(spec: LabSpec, node: str) -> dict[str, object]:
    result = request(_sock(spec, node), "controller", timeout=5)
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


def settled(spec: LabSpec) -> bool:
    states = [controller(spec, n) for n in NODES]
    versions = {tuple(s["version"][:2]) for s in states}  # type: ignore[index]
    dcs = {s["dc"] for s in states}
    return len(dcs) == 1 and None not in dcs and all(s["settled"] for s in states) \
        and len(versions) == 1


def all_running(spec: LabSpec) -> bool:
    return all(lablib.harmd_pid(spec, n) is not None for n in NODES)


def runs(spec: LabSpec, rsc: str) -> bool:
    """Some node's history shows ``rsc`` started and its monitor succeeding."""
    cib = cib_of(spec, NODES[0])
    for state in cib.status.nodes:
        history = state.history(rsc)
        if history is not None and any(op.operation == "monitor" and op.rc == 0
                                       for op in history.ops):
            return True
    return False


@pytest.fixture(scope="module")
def spec(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabSpec]:
    lablib.down(LAB)
    built = LabSpec(name=LAB, nodes=NODES, links=2).validate()
    try:
        lablib.up(built)
        lablib.wait_sockets(built, list(NODES))
        wait_for("the three nodes to settle", lambda: settled(built))
        config = tmp_path_factory.mktemp("survive") / "lab.crm"
        config.write_text(CONFIG)
        harm(built, "s2", "configure", "load", "update", str(config))
        wait_for("d1 and d2 to run", lambda: runs(built, "d1") and runs(built, "d2"), 90)
        yield built
    finally:
        lablib.down(LAB)


def test_a_truncated_cib_file_does_not_stop_harmd_and_the_node_rejoins(spec: LabSpec) -> None:
    node = "s3"
    state = spec.node_dir(node) / "state"
    lablib.stop_harmd(spec, node)
    cib_file = state / "cib.xml"
    data = cib_file.read_bytes()
    cib_file.write_bytes(data[: len(data) // 3])  # cut short, as by a full disk or a crash
    (state / "cib.xml.last").unlink(missing_ok=True)  # nothing to fall back on: start empty
    log = spec.node_dir(node) / "harmd.log"
    before = log.stat().st_size if log.exists() else 0
    lablib.start_harmd(spec, node)
    lablib.wait_sockets(spec, [node])
    wait_for("the node to rejoin with the cluster's CIB", lambda: settled(spec), 60)
    assert all_running(spec)
    mine, dc = cib_of(spec, node), cib_of(spec, "s1")
    assert mine.version[:2] == dc.version[:2]
    assert mine.configuration.find_resource("d1") is not None
    said = log.read_text(errors="replace")[before:]
    assert "CIB on disk:" in said and "is unusable" in said, said[-2000:]
    assert "starting with an empty CIB" in said, said[-2000:]
    assert (state / "cib.xml.bad").exists()
    wait_for("the saved replica to be whole again", lambda: parse_cib_xml(
        cib_file.read_bytes()).version[:2] == dc.version[:2], 30)


def test_a_configuration_that_crashed_the_engine_leaves_every_harmd_running(
        spec: LabSpec, tmp_path: Path) -> None:
    wait_for("settled", lambda: settled(spec))
    dc = str(controller(spec, "s1")["dc"])
    via = next(n for n in NODES if n != dc)
    cib = cib_of(spec, via)
    crashers = Location(id="l_dates", rsc="d1", rules=(
        Rule("l_dates-r1", (DateExpression("l_dates-e1", "gt", start="9999-366"),), score=-1),
        Rule("l_dates-r2", (DateExpression("l_dates-e2", "in_range", start="9999-12-31",
                                           duration=(("years", "5"),)),), score=-1),
        Rule("l_dates-r3", (DateExpression("l_dates-e3", "date_spec",
                                           date_spec=(("years", "9" * 5000),)),), score=-1),
    ))
    changed = cib.with_configuration(replace(
        cib.configuration, constraints=(*cib.configuration.constraints, crashers)))
    request(_sock(spec, via), "cib-commit", timeout=10, xml=cib_to_xml(changed),
            base=list(cib.version))
    wait_for("the commit to reach the DC", lambda: any(
        c.id == "l_dates" for c in cib_of(spec, dc).configuration.constraints), 30)
    time.sleep(3)  # several scheduler runs and heartbeats: nothing may die meanwhile
    assert all_running(spec)
    # a later good change is carried out
    more = tmp_path / "more.crm"
    more.write_text("primitive d3 ocf:harm:Dummy op monitor interval=2s timeout=20s\n")
    harm(spec, via, "configure", "load", "update", str(more))
    wait_for("d3 to run", lambda: runs(spec, "d3"), 60)
    assert all_running(spec)
    info = controller(spec, dc)["transition"]
    assert isinstance(info, dict) and info.get("scheduler") is None, info
