"""Membership benchmark on real labs: CPU and bytes per node, and detection times.

    .venv/bin/python bench/membership/run.py [--sizes 3,8,16] [--window 10] [--trials 10]

For each lab size: build a lab (2 links, keepalive 200 ms, deadtime 2 s), let it settle,
then measure every harmd's CPU time (/proc/PID/schedstat) and bytes sent + received (its link
counters) over ``--window`` seconds. On the smallest lab, repeat ``--trials`` times: kill a
whole node / cut one link, and take the time from the fault to the moment the observer's
harmd logged the death (both on CLOCK_MONOTONIC, which all namespaces share).
Needs root. Prints a JSON summary; every lab is removed at the end, also on failure.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import time
from typing import Any

from harm.daemon.client import request
from harm.lab import faults, lab
from harm.lab.spec import LabSpec


def cpu_seconds(pid: int) -> float:
    """CPU time of ``pid`` from the scheduler's own accounting (ns precise, user + system)."""
    with open(f"/proc/{pid}/schedstat", encoding="ascii") as handle:
        return int(handle.read().split()[0]) / 1e9


def status(spec: LabSpec, node: str) -> dict[str, Any]:
    result = request(spec.node_dir(node) / "harmd.sock", "status", timeout=3.0)
    assert isinstance(result, dict)
    return result


def wait(condition: Any, timeout_s: float) -> None:
    end = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > end:
            raise TimeoutError("lab did not settle")
        time.sleep(0.1)


def converged(spec: LabSpec) -> bool:
    return all(len(status(spec, n)["view"]["members"]) == len(spec.nodes) for n in spec.nodes)


def traffic(spec: LabSpec) -> dict[str, int]:
    out = {}
    for node in spec.nodes:
        links = status(spec, node)["links"].values()
        out[node] = sum(link["tx_bytes"] + link["rx_bytes"] for link in links)
    return out


def load(spec: LabSpec, window: float) -> dict[str, Any]:
    pids = {n: lab.harmd_pid(spec, n) for n in spec.nodes}
    assert all(pids.values())
    cpu0 = {n: cpu_seconds(p) for n, p in pids.items() if p}
    bytes0 = traffic(spec)
    t0 = time.monotonic()
    time.sleep(window)
    elapsed = time.monotonic() - t0
    cpu = [(cpu_seconds(p) - cpu0[n]) / elapsed * 100 for n, p in pids.items() if p]
    bytes1 = traffic(spec)
    rate = [(bytes1[n] - bytes0[n]) / elapsed for n in spec.nodes]
    return {
        "nodes": len(spec.nodes),
        "cpu_percent_mean": round(statistics.mean(cpu), 2),
        "cpu_percent_max": round(max(cpu), 2),
        "bytes_per_s_mean": round(statistics.mean(rate)),
        "bytes_per_s_max": round(max(rate)),
    }


def detection(spec: LabSpec, kind: str, trials: int) -> list[float]:
    observer, victim = spec.nodes[0], spec.nodes[-1]
    event, what = ("NodeDead", "node") if kind == "node" else ("LinkDead", "link=eth1")
    times = []
    for _ in range(trials):
        wait(lambda: converged(spec), 20)
        time.sleep(0.3)
        start_ms = time.monotonic_ns() / 1e6
        faults.fail(spec, victim, what)

        def seen(start_ms: float = start_ms) -> list[dict[str, Any]]:
            return [c for c in status(spec, observer)["changes"]
                    if c["event"] == event and victim in c["text"] and c["at_ms"] >= start_ms]

        wait(lambda: bool(seen()), 15)
        times.append((seen()[0]["at_ms"] - start_ms) / 1000)
        faults.heal(spec, victim)
    return times


def summary(times: list[float]) -> dict[str, float]:
    ordered = sorted(times)
    return {
        "trials": len(times),
        "min_s": round(ordered[0], 3),
        "p50_s": round(statistics.median(ordered), 3),
        "p90_s": round(ordered[math.ceil(0.9 * len(ordered)) - 1], 3),
        "p99_s": round(ordered[math.ceil(0.99 * len(ordered)) - 1], 3),
        "max_s": round(ordered[-1], 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="3,8,16")
    parser.add_argument("--window", type=float, default=10.0)
    parser.add_argument("--trials", type=int, default=10)
    parser.add_argument("--name", default="bench")
    args = parser.parse_args()
    results: dict[str, Any] = {"keepalive": "200ms", "deadtime": "2s", "links": 2, "load": []}
    for index, size in enumerate(int(s) for s in args.sizes.split(",")):
        name = f"{args.name}{size}"
        lab.down(name)
        spec = lab.up(LabSpec(name, tuple(f"n{i}" for i in range(1, size + 1)), links=2,
                              keepalive="200ms", deadtime="2s", warntime="1s",
                              initdead="4s"))
        try:
            lab.wait_sockets(spec, list(spec.nodes), timeout_s=60)
            wait(lambda spec=spec: converged(spec), 60)
            time.sleep(2)
            results["load"].append(load(spec, args.window))
            if index == 0 and args.trials:
                results["node_loss"] = summary(detection(spec, "node", args.trials))
                results["link_loss"] = summary(detection(spec, "link", args.trials))
                results["detection_lab_nodes"] = size
        finally:
            lab.down(name)
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
