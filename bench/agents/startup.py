"""Agent start-up: wall time of one agent call, against a bare interpreter.

    .venv/bin/python bench/agents/startup.py [--runs 40] [--json] [--other DIR] [--writes]

Each case runs ``agents/<Name> ACTION`` through the launcher, the way the cluster calls an
agent: ``monitor`` of a stopped Dummy and a stopped Stateful (the common probe; rc 7 is
expected), ``meta-data`` of pgsql and IPaddr2 (rc 0), and ``monitor`` of an IPaddr2 whose
address is there (127.0.0.1 on lo: a read-only call, rc 0). The baseline is ``python -c
pass`` with the interpreter the launcher picks (the checkout's .venv). Runs are interleaved
(one of each case per round) so that background load hits every case alike, after one
warm-up call of each that leaves compiled bytecode behind (``PYTHONDONTWRITEBYTECODE`` is
dropped), as a node has it after an agent's first call. Prints the median and p95 of each
case's wall time in ms and the ratio of its median to the baseline's, then the median CPU
time (user + system of the call and of what it ran, from ``wait4``), which a busy machine
inflates less than wall time, and its ratio; ``--json`` prints the same as JSON. Every
case's exit code is checked; a wrong one stops the benchmark.

``--other DIR`` adds the same agent calls through ``DIR/agents`` (another copy of harm,
e.g. ``git archive COMMIT | tar -x -C DIR`` and a link ``DIR/.venv`` to this checkout's),
interleaved with this checkout's, so that a before/after comparison sees the same load.

``--writes`` also times one attribute write as agents make it now (a request on a control
socket, answered by a :class:`harm.daemon.control.ControlServer` in this process that only
records it) and the start-up of the ``harm attribute`` command every write used to run
(``harm attribute --help``: the floor of that cost, before any work).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

CHECKOUT = Path(__file__).resolve().parents[2]
AGENTS = CHECKOUT / "agents"
PYTHON = CHECKOUT / ".venv" / "bin" / "python"


@dataclass(frozen=True)
class Case:
    name: str
    argv: tuple[str, ...]
    rc: int
    params: tuple[tuple[str, str], ...] = ()  # OCF_RESKEY_<name>=<value>


def agent_cases(agents: Path, suffix: str = "") -> list[Case]:
    return [
        Case(f"Dummy monitor (stopped){suffix}", (str(agents / "Dummy"), "monitor"), 7),
        Case(f"Stateful monitor (stopped){suffix}", (str(agents / "Stateful"), "monitor"), 7),
        Case(f"pgsql meta-data{suffix}", (str(agents / "pgsql"), "meta-data"), 0),
        Case(f"IPaddr2 meta-data{suffix}", (str(agents / "IPaddr2"), "meta-data"), 0),
        Case(
            f"IPaddr2 monitor (running){suffix}", (str(agents / "IPaddr2"), "monitor"), 0,
            (("ip", "127.0.0.1"), ("nic", "lo")),
        ),
    ]


def cases(other: Path | None = None) -> list[Case]:
    python = str(PYTHON if PYTHON.exists() else Path(sys.executable))
    todo = [Case("python -c pass", (python, "-c", "pass"), 0), *agent_cases(AGENTS)]
    if other is not None:
        todo += agent_cases(other / "agents", " [other]")
    return todo


def agent_environ(scratch: Path) -> dict[str, str]:
    """An OCF environment whose state files and attributes stay inside ``scratch``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OCF_", "HARM_"))}
    # a node keeps compiled bytecode after an agent's first call; so does the warm-up here
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.update(
        OCF_ROOT="/usr/lib/ocf",
        OCF_RESOURCE_INSTANCE="bench",
        HA_RSCTMP=str(scratch / "rsctmp"),
        HARM_ATTRIBUTE_DIR=str(scratch / "attrs"),
    )
    return env


@dataclass(frozen=True)
class Sample:
    wall_ms: float  # from fork to exit
    cpu_ms: float  # user + system of the call and the programs it waited for


def time_once(case: Case, env: dict[str, str]) -> Sample:
    """One call of ``case``; its exit code must be the expected one."""
    if case.params:
        env = {**env, **{f"OCF_RESKEY_{k}": v for k, v in case.params}}
    start = time.perf_counter()
    child = subprocess.Popen(
        case.argv, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE, cwd=env["HA_RSCTMP"],
    )
    assert child.stderr is not None
    stderr = child.stderr.read()
    _, status, usage = os.wait4(child.pid, 0)
    elapsed = (time.perf_counter() - start) * 1000.0
    child.returncode = os.waitstatus_to_exitcode(status)
    child.stderr.close()
    if child.returncode != case.rc:
        raise SystemExit(
            f"{case.name}: exit {child.returncode}, expected {case.rc}: "
            f"{stderr.decode(errors='replace').strip()}"
        )
    return Sample(elapsed, (usage.ru_utime + usage.ru_stime) * 1000.0)


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(0.95 * len(ordered)) - 1)]


def measure(runs: int, other: Path | None = None) -> list[dict[str, object]]:
    todo = cases(other)
    samples: dict[str, list[Sample]] = {case.name: [] for case in todo}
    with tempfile.TemporaryDirectory(prefix="harm-bench-agents-") as scratch:
        env = agent_environ(Path(scratch))
        Path(env["HA_RSCTMP"]).mkdir()  # also the calls' working directory: no harm/ there
        for case in todo:  # warm the page cache and the bytecode caches
            time_once(case, env)
        for _ in range(runs):
            for case in todo:
                samples[case.name].append(time_once(case, env))

    def wall(name: str) -> list[float]:
        return [sample.wall_ms for sample in samples[name]]

    def cpu(name: str) -> list[float]:
        return [sample.cpu_ms for sample in samples[name]]

    base, base_cpu = statistics.median(wall(todo[0].name)), statistics.median(cpu(todo[0].name))
    rows: list[dict[str, object]] = []
    for case in todo:
        median, median_cpu = statistics.median(wall(case.name)), statistics.median(cpu(case.name))
        rows.append(
            {
                "case": case.name,
                "runs": runs,
                "median_ms": round(median, 1),
                "p95_ms": round(p95(wall(case.name)), 1),
                "ratio": round(median / base, 2),
                "cpu_median_ms": round(median_cpu, 1),
                "cpu_ratio": round(median_cpu / base_cpu, 2),
            }
        )
    return rows


def attribute_writes(runs: int) -> list[dict[str, object]]:
    """Wall time of one attribute write over the socket, and of the old command's start-up."""
    import threading

    from harm.daemon.control import ControlServer
    from harm.ocf.attributes import HarmSocketStore

    socket_ms: list[float] = []
    with tempfile.TemporaryDirectory(prefix="harm-bench-writes-") as scratch:
        control = ControlServer(Path(scratch) / "harmd.sock", allowed_uid=os.geteuid())
        control.register("cluster-op", lambda request: {"request": "bench"})
        stop = threading.Event()

        def serve() -> None:
            while not stop.is_set():
                control.service(0.05)

        thread = threading.Thread(target=serve, daemon=True)
        thread.start()
        try:
            store = HarmSocketStore(control.path)
            for i in range(runs + 1):
                start = time.perf_counter()
                store.update("n1", "pingd", str(i), delay_s=5)
                if i:
                    socket_ms.append((time.perf_counter() - start) * 1000.0)
        finally:
            stop.set()
            thread.join(10)
            control.close()
    harm = PYTHON.with_name("harm")
    cli = Case("harm attribute --help", (str(harm), "attribute", "--help"), 0)
    with tempfile.TemporaryDirectory(prefix="harm-bench-writes-") as scratch:
        env = agent_environ(Path(scratch))
        Path(env["HA_RSCTMP"]).mkdir()
        time_once(cli, env)
        cli_ms = [time_once(cli, env).wall_ms for _ in range(runs)]
    return [
        {"case": "write over the control socket", "runs": runs,
         "median_ms": round(statistics.median(socket_ms), 2), "p95_ms": round(p95(socket_ms), 2)},
        {"case": "harm attribute --help (old, per write)", "runs": runs,
         "median_ms": round(statistics.median(cli_ms), 1), "p95_ms": round(p95(cli_ms), 1)},
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--runs", type=int, default=40, help="calls of each case (default 40)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument("--other", type=Path, help="another checkout to compare with")
    parser.add_argument("--writes", action="store_true", help="also time attribute writes")
    args = parser.parse_args()
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    if args.other is not None and not (args.other / "agents" / "ocf-launch").exists():
        parser.error(f"--other {args.other}: no agents/ocf-launch there")
    rows = measure(args.runs, args.other)
    writes = attribute_writes(args.runs) if args.writes else []
    if args.json:
        print(json.dumps(rows + writes, indent=2))
        return 0
    print(
        f"{'case':<36} {'median ms':>10} {'p95 ms':>8} {'x python':>9}"
        f" {'cpu ms':>8} {'x python':>9}"
    )
    for row in rows:
        print(
            f"{row['case']!s:<36} {row['median_ms']!s:>10} {row['p95_ms']!s:>8} "
            f"{row['ratio']!s:>9} {row['cpu_median_ms']!s:>8} {row['cpu_ratio']!s:>9}"
        )
    for row in writes:
        print(f"{row['case']!s:<40} {row['median_ms']!s:>10} {row['p95_ms']!s:>8}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
