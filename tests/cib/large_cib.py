"""A large synthetic CIB (32 nodes x 1000 resources by default) for scale tests and timing.

Run ``.venv/bin/python -m tests.cib.large_cib [NODES RESOURCES]`` from the repository root
to print the CPU time that reading, writing and saving it take (CPU time, not wall
clock, so that other work on the machine does not distort it).
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from harm.cib.cib import Cib
from harm.cib.config import AgentRef, Configuration, Location, Node, NvSet, Op, Primitive
from harm.cib.status import NodeState, OpRecord, ResourceHistory, Status

UUID = "9d3f7a52-3c41-4a8e-b2a6-0f1e2d3c4b5a"


def build_large_cib(node_count: int = 32, resource_count: int = 1000) -> Cib:
    """Every resource is probed on every node and runs on one of them, with a monitor."""
    dummy = AgentRef("ocf", "pacemaker", "Dummy")
    nodes = tuple(Node(str(i), f"node{i}") for i in range(1, node_count + 1))
    resources = tuple(
        Primitive(
            f"rsc{r}", dummy,
            params=(NvSet(f"rsc{r}-params", (("fake", f"value-{r}"),)),),
            meta=(NvSet(f"rsc{r}-meta", (("target-role", "Started"),)),),
            ops=(Op(f"rsc{r}-monitor-10s", "monitor", "10s", attrs=(("timeout", "20s"),)),
                 Op(f"rsc{r}-start-0", "start", "0", attrs=(("timeout", "20s"),))),
        )
        for r in range(resource_count)
    )
    constraints = tuple(
        Location(f"prefer-rsc{r}", rsc=f"rsc{r}", node=f"node{r % node_count + 1}", score=100)
        for r in range(resource_count)
    )

    def history(r: int, node: int) -> ResourceHistory:
        if r % node_count + 1 != node:
            probe = OpRecord(f"rsc{r}_last_0", "monitor", 0, 7, call_id=r + 1,
                             transition_key=f"{r}:1:7:{UUID}",
                             transition_magic=f"0:7;{r}:1:7:{UUID}", on_node=f"node{node}")
            return ResourceHistory(f"rsc{r}", "ocf", "pacemaker", "Dummy", ops=(probe,))
        start = OpRecord(f"rsc{r}_last_0", "start", 0, 0, call_id=r + 1,
                         last_rc_change=1_700_000_000, exec_time=12, queue_time=0,
                         transition_key=f"{r}:2:0:{UUID}",
                         transition_magic=f"0:0;{r}:2:0:{UUID}", on_node=f"node{node}",
                         op_digest="f2317cad3d54cec5d7d7aa7d0bf35cf8")
        monitor = OpRecord(f"rsc{r}_monitor_10000", "monitor", 10_000, 0, call_id=r + 2,
                           last_rc_change=1_700_000_001, transition_key=f"{r}:3:0:{UUID}",
                           transition_magic=f"0:0;{r}:3:0:{UUID}", on_node=f"node{node}")
        return ResourceHistory(f"rsc{r}", "ocf", "pacemaker", "Dummy", ops=(start, monitor))

    states = tuple(
        NodeState(
            str(n), f"node{n}", in_ccm=True, crmd="online", join="member", expected="member",
            transient_attributes=(NvSet(f"status-{n}", (("pingd", "1000"),)),),
            resources=tuple(history(r, n) for r in range(resource_count)),
        )
        for n in range(1, node_count + 1)
    )
    return Cib(
        configuration=Configuration(nodes=nodes, resources=resources, constraints=constraints),
        status=Status(nodes=states),
        epoch=1,
    )


def main(argv: list[str]) -> int:
    from harm.cib.store import load_cib, save_cib
    from harm.cib.xml_export import cib_to_xml
    from harm.cib.xml_import import parse_cib_xml

    node_count, resource_count = (int(argv[0]), int(argv[1])) if len(argv) == 2 else (32, 1000)
    cib = build_large_cib(node_count, resource_count)
    records = sum(len(h.ops) for state in cib.status.nodes for h in state.resources)
    started = time.process_time()
    text = cib_to_xml(cib)
    written = time.process_time()
    back = parse_cib_xml(text)
    read = time.process_time()
    assert back == cib
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "cib.xml"
        before_save = time.process_time()
        save_cib(path, cib)
        saved = time.process_time()
        load_cib(path)
        loaded = time.process_time()
    print(f"{node_count} nodes x {resource_count} resources, {records} history entries, "
          f"{len(text) / 1e6:.1f} MB, CPU seconds: cib_to_xml {written - started:.2f}s, "
          f"parse_cib_xml {read - written:.2f}s, save_cib {saved - before_save:.2f}s, "
          f"load_cib {loaded - saved:.2f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
