"""Multicast and unicast links with real UDP: every transport carries membership."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator

import pytest

from harm.daemon.client import request as control_request
from harm.lab import faults, lab
from harm.lab.spec import LabSpec

pytestmark = [
    pytest.mark.netns,
    pytest.mark.skipif(os.geteuid() != 0, reason="network namespaces need root"),
]


@pytest.fixture(params=["mcast", "ucast"])
def spec(request: pytest.FixtureRequest) -> Iterator[LabSpec]:
    transport = request.param
    name = f"{transport[0]}{os.getpid() % 100_000}"
    lab.down(name)
    built = lab.up(LabSpec(name, ("A", "B", "C"), links=2, transport=transport))
    try:
        lab.wait_sockets(built, ["A", "B", "C"])
        yield built
    finally:
        lab.down(name)


def attributes(spec: LabSpec, node: str) -> dict[str, str]:
    result = control_request(spec.node_dir(node) / "harmd.sock", "status")
    assert isinstance(result, dict)
    return dict(result["attributes"])


def wait_for(condition: object, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.05)


def test_every_link_is_up_and_a_cut_is_seen(spec: LabSpec) -> None:
    text = (spec.node_dir("A") / "harm.yaml").read_text()
    assert f"{spec.transport}:" in text
    wait_for(lambda: all(v == "up" for n in ("A", "B", "C")
                         for v in attributes(spec, n).values()), 10)
    faults.fail(spec, "C", "link=eth1")
    # Each observer decides on its own clock: wait for both, with the same bound.
    wait_for(lambda: attributes(spec, "A")["C-eth1"] == "dead", 4)
    wait_for(lambda: attributes(spec, "B")["C-eth1"] == "dead", 4)
    assert attributes(spec, "A")["C-eth0"] == "up"
