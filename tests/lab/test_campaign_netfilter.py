"""The campaign's packet faults on a real lab (no harmd needed): a cut between two nodes
while the gateway reaches both, loss and duplication on one link, and the heal."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator

import pytest

from harm.lab import faults, lab, netfilter
from harm.lab.spec import GATEWAY, LabSpec

pytestmark = [pytest.mark.netns]

LAB = "hcampn"


@pytest.fixture(scope="module")
def spec() -> Iterator[LabSpec]:
    lab.down(LAB)
    try:
        yield lab.up(LabSpec(name=LAB, nodes=("A", "B"), links=2).validate(), start=False)
    finally:
        lab.down(LAB)


def ping(spec: LabSpec, node: str, target: str, count: int = 3) -> str:
    argv, env = lab.exec_argv(spec, node, ["ping", "-n", "-c", str(count), "-i", "0.2",
                                           "-W", "1", target])
    done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=30,
                          check=False, cwd="/")
    return done.stdout


def received(text: str) -> int:
    line = next(line for line in text.splitlines() if "received" in line)
    return int(line.split(",")[1].split()[0])


def address(spec: LabSpec, node: str, link: int) -> str:
    return spec.address(node, link).split("/")[0]


def test_cut_separates_the_nodes_but_not_from_the_gateway(spec: LabSpec) -> None:
    gateway = spec.gateway_address().split("/")[0]
    assert received(ping(spec, "A", address(spec, "B", 1))) == 3
    netfilter.cut(spec, "A", "B")
    try:
        for link in (0, 1):
            assert received(ping(spec, "A", address(spec, "B", link))) == 0
            assert received(ping(spec, "B", address(spec, "A", link))) == 0
        assert received(ping(spec, "A", gateway)) == 3
        assert received(ping(spec, GATEWAY, address(spec, "B", 0))) == 3
    finally:
        faults.heal(spec, "A")
        faults.heal(spec, "B")
    assert received(ping(spec, "A", address(spec, "B", 0))) == 3


def test_loss_and_duplication_on_one_link(spec: LabSpec) -> None:
    faults.fail(spec, "A", "loss=eth1:100")
    try:
        assert received(ping(spec, "A", address(spec, "B", 1))) == 0
        assert received(ping(spec, "A", address(spec, "B", 0))) == 3  # eth0 untouched
    finally:
        faults.heal(spec, "A")
    faults.fail(spec, "B", "duplicate=eth0:100")
    try:
        assert "DUP!" in ping(spec, "A", address(spec, "B", 0))  # B's replies come twice
    finally:
        faults.heal(spec, "B")
    assert "DUP!" not in ping(spec, "A", address(spec, "B", 0))
