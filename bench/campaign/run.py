"""Fault campaign benchmark: a long seeded campaign, its results as Markdown.

    sudo .venv/bin/python bench/campaign/run.py --faults 50 --seed 1 [--nodes c1,c2,c3]
         [--fencing] [--output DIR] [--markdown FILE]
    .venv/bin/python bench/campaign/run.py --summarize DIR    (the tables of a finished or
                                                               interrupted run's DIR)

Runs ``harm lab campaign`` (see docs/campaign.md) and prints, for docs/benchmarks.md, the
summary per fault kind (count, violations, time from the heal to settled p50/p95), the
violations by audit, and each violation with its step and replay command. Not niced:
the times to settle are part of the result (say how loaded the machine was).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections import Counter
from pathlib import Path

from harm.lab.campaign import profiles, report, runner
from harm.lab.campaign.model import Finding


def markdown(out: Path, took_s: float, load: str) -> str:
    steps = [json.loads(line) for line in (out / report.STEPS_FILE).read_text().splitlines()]
    violations = [json.loads(line) for line in
                  (out / report.VIOLATIONS_FILE).read_text().splitlines()]
    summary = report.Summary()
    for step in steps:
        summary.add(report.StepRecord(
            step["seed"], step["step"], step["kind"], step["plan"], (), step["started"],
            step["healed"], step["heal"], step["settle_s"],
            tuple(Finding(**f) for f in step["findings"])))
    lines = [f"{summary.total} steps in {took_s / 60:.0f} min (load average at the end: "
             f"{load}); {summary.total_violations} violations", "",
             "| fault kind | count | violations | settle p50 | settle p95 |",
             "| --- | --- | --- | --- | --- |"]
    for row in summary.table().splitlines()[1:]:
        cells = row.split()
        lines.append("| " + " | ".join(cells) + " |")
    lines += ["", "| audit | violations |", "| --- | --- |"]
    for audit, count in Counter(v["audit"] for v in violations).most_common():
        lines.append(f"| {audit} | {count} |")
    lines += [""]
    for v in violations:
        lines.append(f"- step {v['step']} ({v['kind']}): **{v['audit']}**: {v['detail']} "
                     f"— `{v['replay']}`")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--faults", type=int, default=50)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--nodes", default="")
    parser.add_argument("--fencing", action="store_true")
    parser.add_argument("--lab", default="hcbench")
    parser.add_argument("--output", type=Path, default=Path("campaign-bench"))
    parser.add_argument("--markdown", type=Path)
    parser.add_argument("--summarize", type=Path, metavar="DIR",
                        help="only print the tables of the run in DIR")
    args = parser.parse_args(argv)
    if args.summarize:
        steps = [json.loads(line) for line in
                 (args.summarize / report.STEPS_FILE).read_text().splitlines()]
        took = steps[-1]["started"] - steps[0]["started"] if steps else 0.0
        print(markdown(args.summarize, took, "-"))
        return 0
    extra = ""
    if args.nodes:
        profile = profiles.dummy(tuple(args.nodes.split(",")))
        extra = f" --nodes {args.nodes}"
    else:
        profile = profiles.pgsql()
    options = runner.Options(faults=args.faults, seed=args.seed, profile=profile,
                             name=args.lab, output=args.output, fencing=args.fencing,
                             replay_args=extra + (" --fencing" if args.fencing else ""))
    start = time.monotonic()
    violations = runner.run(options, echo=lambda line: print(line, flush=True))
    text = markdown(args.output, time.monotonic() - start,
                    " ".join(f"{x:.1f}" for x in os.getloadavg()))
    print(text)
    if args.markdown:
        args.markdown.write_text(text)
    return 1 if violations else 0


if __name__ == "__main__":
    sys.exit(main())
