"""Schedule a Pacemaker CIB XML file with harm's policy engine, in this process.

    .venv/bin/python bench/engine/harm_schedule.py FILE [--repeat N] [--budget S] [--json]

Each run does the whole work from bytes to transition: XML parse (``parse_cib_xml``),
``unpack`` and ``schedule``, at the CIB's ``execution-date`` (a fixed time when it has
none). Without ``--json`` it schedules once and prints the transition summary the way
``crm_simulate -R`` does, so the wall time of this process is harm's cost with start-up.
With ``--json`` it runs up to ``--repeat`` times (stopping early once ``--budget`` seconds
are spent, after at least one run) and prints one JSON object::

    {"runs": [{"parse": s, "unpack": s, "schedule": s, "total": s}, ...],
     "summary": ["Start rsc (node1)", ...], "error": null}

``error`` is ``"Type: message"`` when harm cannot schedule the file; ``runs`` then holds
the runs that did finish (none).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from harm.cib.xml_import import parse_cib_xml
from harm.engine.schedule import schedule
from harm.engine.unpack import unpack

DEFAULT_NOW = 1_700_000_000


def schedule_file(data: bytes, source: str) -> tuple[dict[str, float], list[str]]:
    """One run: phase times in seconds and the transition summary lines."""
    start = time.perf_counter()
    cib = parse_cib_xml(data, source)
    parsed = time.perf_counter()
    recorded = (cib.attr("execution-date") or "").strip()
    now = int(recorded) if recorded.isdigit() else DEFAULT_NOW
    state = unpack(cib, now)
    unpacked = time.perf_counter()
    transition = schedule(state, now)
    done = time.perf_counter()
    times = {"parse": parsed - start, "unpack": unpacked - parsed, "schedule": done - unpacked,
             "total": done - start}
    return times, list(transition.summary_lines())


def measure(path: Path, repeat: int, budget: float) -> dict[str, Any]:
    """Up to ``repeat`` runs on ``path`` (file read once, outside the timing)."""
    data = path.read_bytes()
    runs: list[dict[str, float]] = []
    summary: list[str] = []
    error: str | None = None
    spent = 0.0
    try:
        while len(runs) < repeat and (not runs or spent < budget):
            times, summary = schedule_file(data, str(path))
            runs.append(times)
            spent += times["total"]
    except Exception as exc:  # the benchmark reports harm's failures instead of hiding them
        error = f"{type(exc).__name__}: {exc}"
    return {"runs": runs, "summary": summary, "error": error}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("file", type=Path)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--budget", type=float, default=float("inf"))
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    if args.json:
        print(json.dumps(measure(args.file, args.repeat, args.budget)))
        return 0
    _, summary = schedule_file(args.file.read_bytes(), str(args.file))
    print("Transition Summary:")
    for line in summary:
        print(f"  * {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
