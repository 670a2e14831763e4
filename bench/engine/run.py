"""Policy-engine benchmark: harm's scheduler against Pacemaker's crm_simulate, same run.

    .venv/bin/python bench/engine/run.py [--sizes 16x200,32x500,32x1000] [--repeat 5]
        [--budget 40] [--timeout 150] [--dir DIR] [--seed-dir tests/golden/seed]
        [--seed-repeat 10] [--json OUT]

For each size, with and without operation history (files from ``generate.py``, written
into ``--dir`` or a temporary directory that is removed afterwards), it measures:

* **Pacemaker**: wall time of ``crm_simulate -x FILE -Q -G /dev/null`` (scheduling only);
* **harm in-process**: XML parse + unpack + schedule, timed inside one Python process
  (``harm_schedule.py --json``), the way harmd pays it;
* **harm process**: wall time of a fresh ``python harm_schedule.py FILE``, so interpreter
  start-up and imports are visible; and of ``harm simulate -x FILE -R -Q`` (schedules,
  prints nothing) when the CLI offers it.

Each is repeated ``--repeat`` times, fewer when one cell has spent ``--budget`` seconds
(at least once); a run longer than ``--timeout`` seconds is stopped and reported as such.
The transition summaries are compared line by line (whitespace ignored); Pacemaker's is
taken from one more, untimed, ``crm_simulate -x FILE -R`` run.

Then the seed configuration's golden scenarios (``--seed-dir``/*/cib.xml) are timed the
same way. Prints Markdown tables on stdout, progress on stderr.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import generate  # noqa: E402  (a sibling script, not a package)

WORKER = HERE / "harm_schedule.py"


@dataclass
class Timing:
    """Repeated wall times of one command on one file, or why there are none."""

    runs: list[float] = field(default_factory=list)
    failure: str | None = None  # "timeout after N s", "exit 1: …", "Type: message"

    def cell(self) -> str:
        if not self.runs:
            return f"**{self.failure}**" if self.failure else "n/a"
        med, low, high = self.median, min(self.runs), max(self.runs)
        return f"{_fmt(med)} ({_fmt(low)}-{_fmt(high)}, n={len(self.runs)})"

    @property
    def median(self) -> float:
        return statistics.median(self.runs)

    def as_dict(self) -> dict[str, Any]:
        return {"runs": self.runs, "failure": self.failure}


@dataclass
class Case:
    """Everything measured on one file."""

    label: str
    path: Path
    pacemaker: Timing = field(default_factory=Timing)
    harm_inproc: Timing = field(default_factory=Timing)
    harm_phases: dict[str, float] = field(default_factory=dict)  # medians
    harm_process: Timing = field(default_factory=Timing)
    harm_cli: Timing | None = None
    pacemaker_summary: list[str] | None = None
    harm_summary: list[str] | None = None


def _fmt(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms" if seconds < 1 else f"{seconds:.2f} s"


def _progress(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def _squash(line: str) -> str:
    return re.sub(r"\s+", "", line.strip().removeprefix("*"))


def summary_of(output: str) -> list[str]:
    """The lines of the "Transition Summary:" section of crm_simulate's output."""
    lines: list[str] = []
    inside = False
    for line in output.splitlines():
        if line.startswith("Transition Summary:"):
            inside = True
            continue
        if inside:
            if not line.strip():
                break
            if not line.startswith(" "):
                break
            lines.append(line.strip())
    return lines


def timed(argv: list[str], repeat: int, budget: float, timeout: float) -> Timing:
    """Wall time of ``argv`` (output discarded), repeated within the budget."""
    timing = Timing()
    spent = 0.0
    while len(timing.runs) < repeat and (not timing.runs or spent < budget):
        start = time.perf_counter()
        try:
            done = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                  timeout=timeout, check=False)
        except subprocess.TimeoutExpired:
            timing.failure = f"timeout after {timeout:.0f} s"
            break
        elapsed = time.perf_counter() - start
        if done.returncode != 0:
            last = done.stderr.decode(errors="replace").strip().splitlines()[-1:]
            timing.failure = f"exit {done.returncode}: {' '.join(last)[:120]}"
            break
        timing.runs.append(elapsed)
        spent += elapsed
    return timing


def measure_pacemaker(case: Case, repeat: int, budget: float, timeout: float) -> None:
    case.pacemaker = timed(["crm_simulate", "-x", str(case.path), "-Q", "-G", "/dev/null"],
                           repeat, budget, timeout)
    if case.pacemaker.failure and not case.pacemaker.runs:
        return
    try:
        out = subprocess.run(["crm_simulate", "-x", str(case.path), "-R"], capture_output=True,
                             text=True, timeout=timeout, check=False)
        case.pacemaker_summary = summary_of(out.stdout)
    except subprocess.TimeoutExpired:
        case.pacemaker_summary = None


def measure_harm(case: Case, repeat: int, budget: float, timeout: float,
                 cli: list[str] | None) -> None:
    python = sys.executable
    try:
        out = subprocess.run([python, str(WORKER), str(case.path), "--json", "--repeat",
                              str(repeat), "--budget", str(budget)],
                             capture_output=True, text=True, timeout=timeout * repeat,
                             check=False)
    except subprocess.TimeoutExpired:
        case.harm_inproc.failure = f"timeout after {timeout * repeat:.0f} s"
        return
    if out.returncode != 0:
        last = out.stderr.strip().splitlines()[-1:]
        case.harm_inproc.failure = f"exit {out.returncode}: {' '.join(last)[:120]}"
        return
    result = json.loads(out.stdout)
    runs = result["runs"]
    case.harm_inproc.runs = [run["total"] for run in runs]
    case.harm_inproc.failure = result["error"]
    if runs:
        case.harm_summary = result["summary"]
        case.harm_phases = {phase: statistics.median(run[phase] for run in runs)
                            for phase in ("parse", "unpack", "schedule")}
    if result["error"]:
        return
    case.harm_process = timed([python, str(WORKER), str(case.path)], repeat, budget, timeout)
    if cli is not None:
        case.harm_cli = timed([*cli, "-x", str(case.path), "-R", "-Q"], repeat, budget, timeout)


def harm_cli() -> list[str] | None:
    """``harm simulate`` when it accepts ``-x FILE -R -Q``; None while it does not."""
    harm = Path(sys.executable).with_name("harm")
    if not harm.exists():
        return None
    try:
        out = subprocess.run([str(harm), "simulate", "--help"], capture_output=True, text=True,
                             timeout=60, check=False)
    except subprocess.TimeoutExpired:
        return None
    if out.returncode != 0 or not all(opt in out.stdout for opt in ("--xml-file", "--run",
                                                                      "--quiet")):
        return None
    return [str(harm), "simulate"]


def _ratio(harm: Timing, pacemaker: Timing) -> str:
    if harm.runs and pacemaker.runs:
        return f"{harm.median / pacemaker.median:.2f}"
    if harm.runs and pacemaker.failure and pacemaker.failure.startswith("timeout"):
        return "< " + f"{harm.median / float(pacemaker.failure.split()[2]):.2f}"
    return "—"


def _agreement(case: Case) -> str:
    theirs, ours = case.pacemaker_summary, case.harm_summary
    if theirs is None or ours is None:
        return "—"
    if [_squash(x) for x in theirs] == [_squash(x) for x in ours]:
        return "same"
    differ = len({_squash(x) for x in theirs} ^ {_squash(x) for x in ours})
    return f"differ ({differ} lines)"


def _count(lines: list[str] | None) -> str:
    return "—" if lines is None else str(len(lines))


def table(cases: list[Case], with_cli: bool) -> list[str]:
    head = ["case", "Pacemaker crm_simulate", "harm in-process", "ratio harm/Pcmk",
            "harm process", "ratio", "summary lines Pcmk / harm", "summaries",
            "harm parse / unpack / schedule"]
    if with_cli:
        head.insert(6, "harm simulate CLI")
    rows = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for case in cases:
        phases = " / ".join(_fmt(case.harm_phases[p]) for p in ("parse", "unpack", "schedule")) \
            if case.harm_phases else "—"
        cells = [case.label, case.pacemaker.cell(), case.harm_inproc.cell(),
                 _ratio(case.harm_inproc, case.pacemaker), case.harm_process.cell(),
                 _ratio(case.harm_process, case.pacemaker),
                 f"{_count(case.pacemaker_summary)} / {_count(case.harm_summary)}",
                 _agreement(case), phases]
        if with_cli:
            cells.insert(6, case.harm_cli.cell() if case.harm_cli else "n/a")
        rows.append("| " + " | ".join(cells) + " |")
    return rows


def run_cases(cases: list[Case], repeat: int, budget: float, timeout: float,
              cli: list[str] | None) -> None:
    for case in cases:
        _progress(f"{case.label}: Pacemaker")
        measure_pacemaker(case, repeat, budget, timeout)
        _progress(f"{case.label}: harm")
        measure_harm(case, repeat, budget, timeout, cli)
        _progress(f"{case.label}: Pacemaker {case.pacemaker.cell()}, "
                  f"harm {case.harm_inproc.cell()}")


def harm_version() -> str:
    """The commit the measured engine comes from, and whether harm/ had local changes."""
    repo = HERE.parent.parent
    try:
        head = subprocess.run(["git", "-C", str(repo), "rev-parse", "--short", "HEAD"],
                              capture_output=True, text=True, timeout=30, check=True)
        dirty = subprocess.run(["git", "-C", str(repo), "status", "--porcelain", "--", "harm"],
                               capture_output=True, text=True, timeout=30, check=True)
    except (OSError, subprocess.SubprocessError):
        return "harm at an unknown commit"
    changes = " plus uncommitted changes in harm/" if dirty.stdout.strip() else ""
    return f"harm at commit {head.stdout.strip()}{changes}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default=",".join(generate.STANDARD),
                        help=f"comma-separated among {', '.join(generate.SIZES)}")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--budget", type=float, default=40.0,
                        help="seconds per measurement after which it stops repeating")
    parser.add_argument("--timeout", type=float, default=150.0, help="seconds per run")
    parser.add_argument("--seed", type=int, default=1, help="the generator's seed")
    parser.add_argument("--dir", type=Path, help="keep the generated CIBs here")
    parser.add_argument("--seed-dir", type=Path,
                        default=HERE.parent.parent / "tests" / "golden" / "seed",
                        help="golden scenarios of the seed configuration (*/cib.xml)")
    parser.add_argument("--seed-repeat", type=int, default=10,
                        help="repetitions for the seed scenarios (budget at most 10 s)")
    parser.add_argument("--json", type=Path, help="also write every raw time here")
    args = parser.parse_args(argv)
    sizes = tuple(s for s in args.sizes.split(",") if s)
    unknown = [s for s in sizes if s not in generate.SIZES]
    if unknown:
        parser.error(f"unknown size {unknown[0]}; known: {', '.join(generate.SIZES)}")

    started = dt.datetime.now(dt.UTC)
    version = harm_version()
    workdir = args.dir or Path(tempfile.mkdtemp(prefix="harm-bench-engine-"))
    try:
        _progress(f"generating into {workdir}")
        generate.write_standard(workdir, sizes, args.seed, verify=False)
        cases = [Case(f"{size} {'with' if history else 'without'} history",
                      workdir / generate.file_name(size, history))
                 for size in sizes for history in (True, False)]
        seeds = [Case(f"seed {path.parent.name}", path)
                 for path in sorted(args.seed_dir.glob("*/cib.xml"))]
        cli = harm_cli()
        run_cases(cases, args.repeat, args.budget, args.timeout, cli)
        run_cases(seeds, args.seed_repeat, min(args.budget, 10.0), args.timeout, cli)
    finally:
        if args.dir is None:
            shutil.rmtree(workdir, ignore_errors=True)
    finished = dt.datetime.now(dt.UTC)

    load = os.getloadavg()
    out = [f"Run {started:%Y-%m-%d %H:%M}-{finished:%H:%M} UTC on {os.cpu_count()} cores, "
           f"load average at the end {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f}; "
           f"median (min-max, n runs); {version}.", ""]
    if cli is None:
        out += ["`harm simulate -x FILE -R -Q` was not available; not measured.", ""]
    out += table(cases, cli is not None)
    out += ["", "Seed configuration scenarios:", ""]
    out += table(seeds, cli is not None)
    print("\n".join(out))
    if args.json:
        raw = [{"case": c.label, "pacemaker": c.pacemaker.as_dict(),
                "harm_inprocess": c.harm_inproc.as_dict(), "harm_phases": c.harm_phases,
                "harm_process": c.harm_process.as_dict(),
                "harm_cli": c.harm_cli.as_dict() if c.harm_cli else None,
                "pacemaker_summary": c.pacemaker_summary, "harm_summary": c.harm_summary}
               for c in cases + seeds]
        args.json.write_text(json.dumps(raw, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
