"""Compare harm's transition for a CIB with the graph Pacemaker computes for it.

    python -m harm.simulate.graphdiff FILE.xml [--now EPOCH]

Runs ``crm_simulate -x FILE -S -G graph`` (Pacemaker's scheduler, installed from Debian's
``pacemaker-cli-utils``) and harm's engine on the same input, then prints the executable
actions only one side has, and the first place where the two graphs list their actions
in a different order (which decides the order of "Executing Cluster Transition"). A
developer's tool: it runs a subprocess and is not used by harm itself.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from harm.cib.xml_import import parse_cib_xml
from harm.engine.schedule import schedule
from harm.engine.transition import Action
from harm.engine.unpack import unpack
from harm.graph.order import synapse_order
from harm.graph.pacemaker_xml import read_graph


def _label(action: Action) -> str:
    key = action.meta_value("key") or action.key
    return f"{key}@{action.node}" if action.node else key


def diff_lines(xml_file: Path, now: int) -> list[str]:
    """The differences, one per line (empty when the graphs agree)."""
    with tempfile.TemporaryDirectory() as tmp:
        graph_file = Path(tmp) / "graph.xml"
        done = subprocess.run(["crm_simulate", "-x", str(xml_file), "-S", "-G",
                               str(graph_file)], capture_output=True, text=True,
                              timeout=300, check=False)
        if done.returncode != 0:
            return [f"crm_simulate failed: {done.stderr.strip()}"]
        _, theirs = read_graph(graph_file.read_bytes(), str(graph_file))
    cib = parse_cib_xml(xml_file.read_bytes(), str(xml_file))
    recorded = cib.attr("execution-date")
    if recorded and recorded.isdigit():
        now = int(recorded)
    state = unpack(cib, now)
    ours = synapse_order(schedule(state, now), state)
    their_labels = [_label(a) for a in theirs]
    our_labels = [_label(a) for a in ours]
    lines = [f"only Pacemaker: {label}" for label in their_labels
             if label not in set(our_labels)]
    lines += [f"only harm:      {label}" for label in our_labels
              if label not in set(their_labels)]
    common = set(their_labels) & set(our_labels)
    theirs_common = [label for label in their_labels if label in common]
    ours_common = [label for label in our_labels if label in common]
    for index, (a, b) in enumerate(zip(theirs_common, ours_common, strict=False)):
        if a != b:
            lines.append(f"order differs at synapse {index}: Pacemaker {a}, harm {b}")
            break
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m harm.simulate.graphdiff")
    parser.add_argument("xml_file", type=Path)
    parser.add_argument("--now", type=int, default=None)
    args = parser.parse_args(argv)
    lines = diff_lines(args.xml_file, args.now if args.now is not None else int(time.time()))
    for line in lines:
        print(line)
    if not lines:
        print("same actions in the same order")
    return 1 if lines else 0


if __name__ == "__main__":
    sys.exit(main())
