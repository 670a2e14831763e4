"""Failover benchmark: the seed's two-node PostgreSQL cluster on a lab, under four faults.

    sudo .venv/bin/python bench/failover/run.py --repeat 10 [--faults postgres,node,eth0,switchover]
                                                [--witness off|on|both]

For each fault, repeated ``--repeat`` times from a healthy cluster (one primary, one
HS:sync standby), it measures

    write   seconds from the fault to the first write that commits through the service VIP
            (a psql from the gateway namespace, 1 s connect timeout, retried every 0.1 s);
            for the switchover, the first write on the new primary (the old one accepts
            writes until it is demoted)
    sync    seconds from the fault until the old primary is a synchronous standby again,
            including the operator's step where the fault needs one (``harm pgsql rejoin``
            at once after a postgres kill or a node crash, as the seed's procedure does)

and prints medians and p95 as a Markdown table (``--output FILE`` also writes the raw
numbers as JSON). Faults:

    postgres    kill -9 of the primary's postmaster (detected by the 7 s master monitor)
    node        every process of the primary's node killed and its links cut (deadtime 2 s)
    eth0        the primary's service link cut (heartbeat goes on over eth1; ping fails)
    switchover  harm resource move ms_pgsql to the standby, then clear

``--witness on`` runs the lab with ``harm witness`` in the gateway (the demo's setup: a
lone survivor is quorate only with the witness's vote); ``both`` measures a lab without
it first, then one with it, in the same run, and prints the ratio of the medians.
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

from harm.lab import demo, faults, lab
from harm.lab.postgres import PG_DIRS
from harm.lab.spec import LabSpec

REPO = Path(__file__).resolve().parents[2]
NODES = ("osspc30", "osspc31")
FAULTS = ("postgres", "node", "eth0", "switchover")


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


def healthy(spec: LabSpec) -> tuple[str, str]:
    """(primary, standby) once the cluster is primary + sync standby."""
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


def failures(spec: LabSpec) -> bool:
    """Some fail-count is left in the CIB (it would keep the primary off a node)."""
    from harm.cib.xml_import import parse_cib_xml
    from harm.daemon.client import request

    cib = parse_cib_xml(request(demo.socket_of(spec, NODES[0]), "cib")["xml"])
    return any(name.startswith("fail-count-") for state in cib.status.nodes
               for nvset in state.transient_attributes for name, _ in nvset.pairs)


def one_run(spec: LabSpec, fault: str) -> tuple[float, float]:
    first, other = healthy(spec)
    if failures(spec):  # what the previous fault left: the operator cleans it up
        for rsc in ("g_service", "r_readonly_vip", "ms_pgsql"):
            harm(spec, other, "resource", "cleanup", rsc)
        time.sleep(2)
        first, other = healthy(spec)
    start = time.monotonic()
    if fault == "switchover":
        harm(spec, other, "resource", "move", "ms_pgsql", other)
    elif fault == "eth0":
        faults.fail(spec, first, "link=eth0")
    else:
        faults.fail(spec, first, fault)
    if fault == "switchover":  # the old primary accepts writes until it is demoted
        wait(f"{other} to be the primary", lambda: demo.primary(spec) == other)
    write = demo.wait_writable(spec, start)
    if fault in ("node", "eth0"):
        if fault == "eth0":
            wait("the primary to move", lambda: demo.primary(spec) == other)
        faults.heal(spec, first)
        lab.wait_sockets(spec, [first])
    if fault == "switchover":
        harm(spec, other, "resource", "clear", "ms_pgsql")
    else:
        wait(f"{first} to stop or rejoin", lambda: demo.attribute(
            spec, first, demo.STATUS) in ("STOP", "HS:sync", "HS:async", "HS:alone"))
        if demo.attribute(spec, first, demo.STATUS) == "STOP":
            demo.rejoin(spec, first)
    wait(f"{first} in sync", lambda: demo.attribute(spec, first, demo.STATUS) == "HS:sync")
    return write, time.monotonic() - start


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(0.95 * len(ordered)) - 1))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--faults", default=",".join(FAULTS))
    parser.add_argument("--lab", default="hbench")
    parser.add_argument("--output", type=Path)
    parser.add_argument("--witness", choices=("off", "on", "both"), default="off")
    args = parser.parse_args(argv)
    chosen = [f for f in args.faults.split(",") if f]
    modes = {"off": [False], "on": [True], "both": [False, True]}[args.witness]
    tables: dict[str, dict[str, list[tuple[float, float]]]] = {}
    for witness in modes:
        label = "with witness" if witness else "without witness"
        print(f"== {label}", flush=True)
        tables[label] = measure(args, chosen, witness)
    for label, results in tables.items():
        print(f"\n{label}:")
        print_table(results)
    if len(tables) == 2:
        plain, with_w = tables["without witness"], tables["with witness"]
        for fault in chosen:
            if plain[fault] and with_w[fault]:
                ratio = statistics.median(w for w, _ in with_w[fault]) / \
                    statistics.median(w for w, _ in plain[fault])
                print(f"{fault}: write median with / without the witness = {ratio:.2f}")
    if args.output:
        args.output.write_text(json.dumps(tables, indent=2))
    return 0


def measure(args: argparse.Namespace, chosen: list[str],
            witness: bool) -> dict[str, list[tuple[float, float]]]:
    lab.down(args.lab)
    spec = LabSpec(name=args.lab, nodes=NODES, links=2, private_dirs=PG_DIRS,
                   gateway="192.168.10.100", witness=witness).validate()
    results: dict[str, list[tuple[float, float]]] = {f: [] for f in chosen}
    try:
        spec = lab.up(spec)
        lab.wait_sockets(spec, list(NODES))
        demo.provision(spec)
        demo.configure(spec, REPO / "configs" / "pgsql-lab.crm")
        demo.wait_ready(spec)
        demo.try_sql(spec, "CREATE TABLE harm_probe (at timestamptz)", connect_timeout_s=5)
        for _round in range(args.repeat):
            for fault in chosen:
                write, sync = one_run(spec, fault)
                results[fault].append((write, sync))
                print(f"{fault:<10} write {write:6.2f}s  sync {sync:6.2f}s", flush=True)
    finally:
        lab.down(args.lab)
    return results


def print_table(results: dict[str, list[tuple[float, float]]]) -> None:
    print("| fault | runs | write median | write p95 | sync median | sync p95 |")
    print("| --- | --- | --- | --- | --- | --- |")
    for fault, runs in results.items():
        if not runs:
            continue
        writes, syncs = [w for w, _ in runs], [s for _, s in runs]
        print(f"| {fault} | {len(runs)} | {statistics.median(writes):.2f} s | "
              f"{p95(writes):.2f} s | {statistics.median(syncs):.2f} s | {p95(syncs):.2f} s |")


if __name__ == "__main__":
    sys.exit(main())
