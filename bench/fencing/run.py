"""Node crash → writable service VIP, with fencing (fence time included) and, as the anchor
in the same run, without it.

    sudo .venv/bin/python bench/fencing/run.py --repeat 5

The seed's two-node PostgreSQL cluster on a ``--fencing`` lab (an ipmi_sim BMC per node,
fence_ipmilan devices). Each round crashes the primary's node (``harm lab fail NODE node``)
twice: once with ``stonith-enabled=true`` (the survivor fences it through its BMC, reboot:
power off and on, before promoting) and once with ``stonith-enabled=false`` (the anchor:
promotion right after the node is declared dead). It measures

    write   seconds from the crash to the first write that commits through the service VIP
            (psql from the gateway, 1 s connect timeout, retried every 0.1 s)
    fence   seconds from the crash to the completed fence (the history's time, 1 s
            resolution; fencing rounds only)

and prints medians, p95 and the ratio of the medians as a Markdown table. Between rounds
the crashed node rejoins as a sync standby (``harm pgsql rejoin``).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from harm.cib.status import FenceState
from harm.cib.xml_import import parse_cib_xml
from harm.daemon.client import request
from harm.errors import HarmError
from harm.lab import bmc, demo, faults, lab
from harm.lab.postgres import PG_DIRS
from harm.lab.spec import LabSpec

REPO = Path(__file__).resolve().parents[2]
NODES = ("osspc30", "osspc31")


def harm(spec: LabSpec, node: str, *args: str) -> None:
    env = {**os.environ, "HARM_SOCKET": str(demo.socket_of(spec, node))}
    env.pop("HARM_CIB_FILE", None)
    subprocess.run([sys.executable, "-m", "harm.cli.main", *args], env=env,
                   capture_output=True, text=True, timeout=120, check=True)


def wait(what: str, check: object, timeout: float = 180.0) -> None:
    assert callable(check)
    start = time.monotonic()
    while not check():
        if time.monotonic() - start > timeout:
            raise SystemExit(f"timed out waiting for {what}")
        time.sleep(0.2)


def answers(spec: LabSpec, node: str) -> bool:
    try:
        request(demo.socket_of(spec, node), "ping", timeout=1.0)
    except HarmError:
        return False
    return True


def healthy(spec: LabSpec) -> tuple[str, str]:
    found: list[str] = []

    def check() -> bool:
        first = demo.primary(spec)
        if first is None:
            return False
        other = NODES[1] if first == NODES[0] else NODES[0]
        found[:] = [first, other]
        return demo.attribute(spec, other, demo.STATUS) == "HS:sync"
    wait("a primary and a sync standby", check)
    return found[0], found[1]


def set_fencing(spec: LabSpec, node: str, enabled: bool) -> None:
    harm(spec, node, "configure", "property", f"stonith-enabled={str(enabled).lower()}")


def one_run(spec: LabSpec, fencing: bool) -> tuple[float, float | None]:
    first, other = healthy(spec)
    set_fencing(spec, other, fencing)
    time.sleep(1)
    crashed_wall = time.time()
    start = time.monotonic()
    faults.fail(spec, first, "node")
    write = demo.wait_writable(spec, start)
    fence: float | None = None
    if fencing:
        cib = parse_cib_xml(request(demo.socket_of(spec, other), "cib")["xml"])
        done = [e for e in cib.status.fencing if e.target == first
                and e.state is FenceState.SUCCESS and e.completed >= int(crashed_wall)]
        fence = done[0].completed - crashed_wall if done else None
        wait(f"harmd on {first} after its power cycle", lambda: answers(spec, first), 120)
    else:
        faults.heal(spec, first)
        lab.wait_sockets(spec, [first])
    wait(f"{first} stopped", lambda: demo.attribute(spec, first, demo.STATUS) in (
        "STOP", "HS:sync", "HS:async", "HS:alone"))
    if demo.attribute(spec, first, demo.STATUS) == "STOP":
        demo.rejoin(spec, first)
    healthy(spec)
    return write, fence


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(0.95 * len(ordered)) - 1))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--lab", default="hfbench")
    parser.add_argument("--output", type=Path)
    args = parser.parse_args(argv)
    lab.down(args.lab)
    spec = LabSpec(name=args.lab, nodes=NODES, links=2, private_dirs=PG_DIRS,
                   gateway="192.168.10.100", fencing=True).validate()
    runs: dict[str, list[tuple[float, float | None]]] = {"fencing": [], "no fencing": []}
    try:
        spec = lab.up(spec)
        lab.wait_sockets(spec, list(NODES))
        demo.provision(spec)
        demo.configure(spec, REPO / "configs" / "pgsql-lab.crm")
        path = spec.run_dir / "fencing.crm"
        path.write_text(bmc.fencing_config(spec), encoding="utf-8")
        demo.configure(spec, path)
        demo.wait_ready(spec)
        demo.try_sql(spec, "CREATE TABLE harm_probe (at timestamptz)", connect_timeout_s=5)
        for _round in range(args.repeat):
            for label, fencing in (("fencing", True), ("no fencing", False)):
                write, fence = one_run(spec, fencing)
                runs[label].append((write, fence))
                shown = f"  fence {fence:5.1f}s" if fence is not None else ""
                print(f"{label:<11} write {write:6.2f}s{shown}", flush=True)
    finally:
        lab.down(args.lab)
    print("\n| crash of the primary's node | runs | write median | write p95 | fence median |")
    print("| --- | --- | --- | --- | --- |")
    for label, found in runs.items():
        if not found:
            continue
        writes = [w for w, _ in found]
        fences = [f for _, f in found if f is not None]
        fence = f"{statistics.median(fences):.1f} s" if fences else "—"
        print(f"| {label} | {len(found)} | {statistics.median(writes):.2f} s | "
              f"{p95(writes):.2f} s | {fence} |")
    if runs["fencing"] and runs["no fencing"]:
        ratio = statistics.median(w for w, _ in runs["fencing"]) / \
            statistics.median(w for w, _ in runs["no fencing"])
        print(f"\nwrite median with fencing / without: {ratio:.2f}")
    if args.output:
        args.output.write_text(json.dumps(runs, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
