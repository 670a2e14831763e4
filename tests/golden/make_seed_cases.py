"""Build the seed configuration's scenarios and record what Pacemaker's scheduler does.

Each scenario is a CIB (configs/pgsql-lab.crm plus a status section) that Debian's
``crm_simulate`` replays; its output is stored beside the input as the expected answer:

    tests/golden/seed/NAME/cib.xml           the input
    tests/golden/seed/NAME/expected.summary  crm_simulate -x cib.xml -S
    tests/golden/seed/NAME/expected.scores   crm_simulate -x cib.xml -s -Q (sorted)

Scenarios are chained the way the seed report runs them: both nodes come up, pingd sets its
attribute and pgsql reports promotion scores, then one fault is injected at a time. Run it
again after changing the configuration:

    .venv/bin/python -m tests.golden.make_seed_cases
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

from harm.cib.cib import Cib
from harm.cib.config import NvSet
from harm.cib.xml_export import cib_to_xml
from harm.cib.xml_import import parse_cib_xml
from harm.crmsh.load import parse_configuration

REPO = Path(__file__).resolve().parents[2]
OUT = Path(__file__).resolve().parent / "seed"
NODES = ("osspc30", "osspc31")
EXECUTION_DATE = "1700000000"


def simulate(cib_xml: str, *args: str) -> tuple[str, str]:
    """Run crm_simulate on ``cib_xml``; return (summary text, CIB after the transition)."""
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "in.xml"
        after = Path(tmp) / "out.xml"
        source.write_text(cib_xml)
        done = subprocess.run(
            ["crm_simulate", "-x", str(source), "-S", "-O", str(after), *args],
            capture_output=True, text=True, timeout=120, check=True,
        )
        return done.stdout, after.read_text()


def scores(cib_xml: str) -> str:
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "in.xml"
        source.write_text(cib_xml)
        done = subprocess.run(
            ["crm_simulate", "-x", str(source), "-s", "-Q"],
            capture_output=True, text=True, timeout=120, check=True,
        )
    return "".join(sorted(done.stdout.splitlines(keepends=True)))


def with_attributes(cib: Cib, values: dict[str, dict[str, str | None]]) -> Cib:
    """Set (or with None, remove) transient attributes per node."""
    status = cib.status
    for uname, changes in values.items():
        state = status.node(uname)
        assert state is not None, uname
        current = dict(state.transient_attributes[0].pairs) if state.transient_attributes else {}
        for name, value in changes.items():
            if value is None:
                current.pop(name, None)
            else:
                current[name] = value
        nvset = NvSet(f"status-{state.id}", tuple(current.items()))
        status = status.with_node(replace(state, transient_attributes=(nvset,)))
    return replace(cib, status=status)


def save(name: str, cib_xml: str, args: tuple[str, ...] = ()) -> str:
    """Record one case; return the CIB after its transition (the next case's start)."""
    case = OUT / name
    case.mkdir(parents=True, exist_ok=True)
    (case / "cib.xml").write_text(cib_xml)
    if args:
        (case / "args").write_text(" ".join(args) + "\n")
    summary, after = simulate(cib_xml, *args)
    (case / "expected.summary").write_text(summary)
    (case / "expected.scores").write_text(scores(cib_xml))
    return after


def main() -> int:
    if shutil.which("crm_simulate") is None:
        print("crm_simulate is missing (apt-get install pacemaker-cli-utils)", file=sys.stderr)
        return 1
    config = parse_configuration((REPO / "configs" / "pgsql-lab.crm").read_text())
    # quorate throughout: both nodes, or (nodes lost) the survivor with the witness's vote
    empty = Cib(configuration=config, have_quorum=True,
                extra=(("execution-date", EXECUTION_DATE),))
    if OUT.exists():
        shutil.rmtree(OUT)

    # Both nodes up, no attributes yet: only the ping clone may start.
    nodes_up = parse_cib_xml(simulate(cib_to_xml(empty), "-u", NODES[0], "-u", NODES[1])[1])
    ping_running = parse_cib_xml(save("01-nodes-up-no-attributes", cib_to_xml(nodes_up)))

    # pingd reached the gateway on both nodes, pgsql published its promotion scores.
    attrs = with_attributes(ping_running, {
        NODES[0]: {"default_ping_set": "100", "master-r_pgsql": "1000"},
        NODES[1]: {"default_ping_set": "100", "master-r_pgsql": "100"},
    })
    running = parse_cib_xml(save("02-ping-and-promotion-scores", cib_to_xml(attrs)))
    settled = cib_to_xml(running)

    save("03-master-monitor-fails", settled, ("-i", f"r_pgsql_monitor_7000@{NODES[0]}=7"))
    save("04-standby-monitor-fails", settled, ("-i", f"r_pgsql_monitor_30000@{NODES[1]}=7"))
    save("05-master-node-lost", settled, ("-f", NODES[0]))
    save("06-service-vip-fails", settled, ("-i", f"r_service_vip_monitor_10000@{NODES[0]}=7"))
    lost_ping = with_attributes(running, {NODES[0]: {"default_ping_set": "0"}})
    save("07-ping-lost-on-master", cib_to_xml(lost_ping))
    standby = with_node_attribute_standby(running, NODES[0])
    save("08-master-node-standby", cib_to_xml(standby))
    save("09-standby-node-lost", settled, ("-f", NODES[1]))
    print(f"wrote {len(list(OUT.iterdir()))} cases under {OUT.relative_to(REPO)}")
    return 0


def with_node_attribute_standby(cib: Cib, uname: str) -> Cib:
    """Put a node in standby the way ``crm node standby`` does: a permanent attribute."""
    nodes = []
    for node in cib.configuration.nodes:
        if node.uname == uname:
            standby = NvSet(f"nodes-{uname}", (("standby", "on"),))
            nodes.append(replace(node, attributes=(standby,)))
        else:
            nodes.append(node)
    return replace(cib, configuration=replace(cib.configuration, nodes=tuple(nodes)))


if __name__ == "__main__":
    sys.exit(main())
