"""harm's Pacemaker tools: wall time of the calls the stock agents make, against Pacemaker's.

    .venv/bin/python bench/agents/pcmktools.py [--runs 30] [--json]

Two sources, each tool call a new process as an agent makes it:

* ``socket``: harm's tools against a control socket answered in this process (a
  :class:`harm.daemon.control.ControlServer` that answers ``attribute-query``,
  ``cluster-op`` and ``cib`` from memory), which is how they run under harmd; harmd's own
  handling of a request is not included;
* ``CIB_file``: harm's and Pacemaker's tools on the same CIB file, the one way both run
  here without a cluster (Pacemaker's then read the file instead of asking its daemons).

Runs are interleaved (one of each case per round), after one warm-up call of each. Prints
the median and p95 wall time of each case in ms and its ratio to ``python -c pass`` (the
interpreter the tools run with) measured in the same rounds.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

CHECKOUT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(CHECKOUT))

from tests.executor.test_pcmktools import CIB  # noqa: E402  the same small two-node CIB


@contextmanager
def fake_harmd(folder: Path) -> Iterator[Path]:
    from harm.daemon.control import ControlServer

    control = ControlServer(folder / "harmd.sock", allowed_uid=os.geteuid())
    control.register("attribute-query", lambda request: {"value": "PRI"})
    control.register("cluster-op", lambda request: {"request": "bench"})
    control.register("cib", lambda request: {"xml": CIB, "dc": "n1", "quorate": True})
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            control.service(0.05)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield control.path
    finally:
        stop.set()
        thread.join(10)
        control.close()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    python = sys.executable
    with tempfile.TemporaryDirectory(prefix="harm-bench-pcmk-") as scratch:
        folder = Path(scratch)
        cib = folder / "cib.xml"
        cib.write_text(CIB)
        with fake_harmd(folder) as sock:
            base = {k: v for k, v in os.environ.items() if not k.startswith(("OCF_", "CIB_"))}
            live = {**base, "HARM_SOCKET": str(sock), "HA_NODENAME": "n1"}
            offline = {**base, "CIB_file": str(cib), "HA_NODENAME": "n1"}

            def harm(tool: str, *words: str) -> list[str]:
                return [python, "-P", "-m", f"harm.pcmktools.{tool}", *words]

            query = ("-N", "n1", "-n", "r_pgsql-status", "-l", "reboot", "-G", "-q")
            cases: list[tuple[str, list[str], dict[str, str]]] = [
                ("python -c pass", [python, "-P", "-c", "pass"], live),
                ("socket: crm_attribute -G -q", harm("crm_attribute", *query), live),
                ("socket: crm_attribute -v", harm("crm_attribute", "-N", "n1", "-n", "x",
                                                  "-l", "reboot", "-v", "1"), live),
                ("socket: attrd_updater -B -d", harm("attrd_updater", "-n", "pingd", "-B",
                                                     "100", "-d", "5s"), live),
                ("socket: crm_node -n", harm("crm_node", "-n"), live),
                ("socket: crm_mon -1 --output-as=xml", harm("crm_mon", "-1",
                                                            "--output-as=xml"), live),
                ("CIB_file: harm crm_attribute -G -q", harm("crm_attribute", *query), offline),
                ("CIB_file: Pacemaker crm_attribute -G -q",
                 [shutil.which("crm_attribute") or "crm_attribute", *query], offline),
                ("CIB_file: harm crm_mon -1 --output-as=xml",
                 harm("crm_mon", "-1", "--output-as=xml"), offline),
                ("CIB_file: Pacemaker crm_mon -1 --output-as=xml",
                 [shutil.which("crm_mon") or "crm_mon", "-1", "--output-as=xml"], offline),
            ]
            times: dict[str, list[float]] = {name: [] for name, _, _ in cases}
            for round_no in range(args.runs + 1):
                for name, argv, env in cases:
                    start = time.perf_counter()
                    done = subprocess.run(argv, env=env, capture_output=True, cwd=scratch,
                                          check=False)
                    took = (time.perf_counter() - start) * 1000.0
                    if done.returncode != 0:
                        raise SystemExit(f"{name}: exit {done.returncode}: {done.stderr!r}")
                    if round_no:
                        times[name].append(took)
    anchor = statistics.median(times["python -c pass"])
    rows = []
    for name, values in times.items():
        values.sort()
        median = statistics.median(values)
        p95 = values[min(len(values) - 1, round(0.95 * (len(values) - 1)))]
        rows.append({"case": name, "median_ms": round(median, 1), "p95_ms": round(p95, 1),
                     "x_python": round(median / anchor, 2)})
    if args.json:
        print(json.dumps(rows, indent=2))
    else:
        for row in rows:
            print(f"{row['case']:<48} {row['median_ms']:>8.1f} ms  (p95 {row['p95_ms']:>7.1f})"
                  f"  x{row['x_python']:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
