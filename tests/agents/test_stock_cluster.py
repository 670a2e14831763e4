"""Pacemaker's own agents under harmd, on a three-node lab: the stock ``ocf:pacemaker:Stateful``
promoted on one node of three, and the stock ``ocf:pacemaker:ping`` setting its attribute
on every node. They reach the cluster only through harm's Pacemaker tools
(``crm_attribute --promotion``, ``attrd_updater``) on their PATH."""

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
from harm.engine.unpack import unpack
from harm.errors import ControlError
from harm.lab import lab
from harm.lab.spec import LabSpec

pytestmark = [pytest.mark.netns, pytest.mark.slow]

LAB = "hstock3"
NODES = ("s1", "s2", "s3")
GATEWAY = "192.168.10.100"
CONFIG = f"""\
primitive st ocf:pacemaker:Stateful \\
    op monitor interval=3s role=Master timeout=20s \\
    op monitor interval=4s role=Slave timeout=20s
ms ms_st st meta notify=true
primitive p ocf:pacemaker:ping \\
    params host_list={GATEWAY} name=pingd multiplier=100 dampen=1s attempts=1 timeout=1 \\
    op monitor interval=4s timeout=20s
clone c_p p
property stonith-enabled=false
"""


def sock(spec: LabSpec, node: str) -> Path:
    return spec.node_dir(node) / "harmd.sock"


def cib_of(spec: LabSpec, node: str) -> Cib:
    return parse_cib_xml(request(sock(spec, node), "cib", timeout=5)["xml"])


def wait_for(what: str, check: Callable[[], bool], timeout: float = 300.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except (ControlError, OSError, KeyError):
            pass
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}")


def roles(cib: Cib, rsc: str) -> dict[str, str]:
    """node → role of ``rsc``'s instance there."""
    state = unpack(cib, int(time.time()))
    return {node: r.role.value for r in state.primitives()
            if r.id.split(":", 1)[0] == rsc for node in r.running_on}


@pytest.fixture(scope="module")
def spec(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabSpec]:
    lab.down(LAB)
    the_spec = LabSpec(name=LAB, nodes=NODES, links=1, gateway=GATEWAY).validate()
    try:
        built = lab.up(the_spec)
        lab.wait_sockets(built, list(NODES))
        config = tmp_path_factory.mktemp("stock") / "stock.crm"
        config.write_text(CONFIG)
        env = {**os.environ, "HARM_SOCKET": str(sock(built, NODES[0]))}
        env.pop("HARM_CIB_FILE", None)
        done = subprocess.run([sys.executable, "-m", "harm.cli.main", "configure", "load",
                               "update", str(config)], env=env, capture_output=True,
                              text=True, timeout=120, check=False)
        assert done.returncode == 0, done.stderr
        yield built
    finally:
        lab.down(LAB)


def test_stock_ping_sets_its_attribute_on_every_node(spec: LabSpec) -> None:
    def everywhere() -> bool:
        cib = cib_of(spec, NODES[1])
        values = [(cib.status.node(n) or None) for n in NODES]
        return all(s is not None and s.attribute("pingd") == "100" for s in values)

    wait_for("pingd=100 on s1, s2 and s3", everywhere)
    assert sorted(roles(cib_of(spec, NODES[0]), "p")) == list(NODES)


def test_stock_stateful_is_promoted_on_one_node_of_three(spec: LabSpec) -> None:
    def one_promoted() -> bool:
        found = roles(cib_of(spec, NODES[2]), "st")
        return sorted(found) == list(NODES) and sorted(found.values()) == \
            ["Promoted", "Unpromoted", "Unpromoted"]

    wait_for("one Promoted and two Unpromoted instances of st", one_promoted)

    def scores_written() -> bool:
        # the stock agent's promotion scores, written with crm_attribute --promotion by its
        # monitors (an unpromoted instance's first monitor may come after the promotion)
        cib = cib_of(spec, NODES[0])
        found = roles(cib, "st")
        return all((cib.status.node(n) is not None and cib.status.node(n).attribute(  # type: ignore[union-attr]
            "master-st") == ("10" if role == "Promoted" else "5")) for n, role in found.items())

    wait_for("master-st 10 on the promoted node and 5 on the others", scores_written)
    cib = cib_of(spec, NODES[0])
    found = roles(cib, "st")
    (promoted,) = [n for n, role in found.items() if role == "Promoted"]
    # the file that ran is the stock one
    agents = subprocess.run([sys.executable, "-m", "harm.cli.main", "resource", "agents",
                             "--socket", str(sock(spec, promoted)), "ms_st"],
                            capture_output=True, text=True, timeout=60, check=True).stdout
    assert agents == "st  ocf:pacemaker:Stateful → /usr/lib/ocf/resource.d/pacemaker/" \
        "Stateful (stock)\n"
