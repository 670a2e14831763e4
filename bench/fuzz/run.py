"""Long fuzz run of every decoder of peer and client input (targets: tests/fuzz/targets.py).

    nice -n 10 .venv/bin/python bench/fuzz/run.py [--inputs 1000000] [--seed 1]
                                                  [--targets packet,wire,...]

Feeds ``--inputs`` inputs to each target (seeded), counts the inputs whose exception escaped
the decoder (an uncaught error), keeps the first few for the report, and prints a JSON
summary: per target the inputs, uncaught errors, seconds and inputs per second.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.fuzz.targets import TARGETS


def run(name: str, inputs: int, seed: int) -> dict[str, object]:
    target = TARGETS[name]
    rng = random.Random(f"{seed}-{name}")
    errors = 0
    first: list[str] = []
    start = time.perf_counter()
    for _ in range(inputs):
        try:
            target(rng)
        except Exception:
            errors += 1
            if len(first) < 3:
                first.append(traceback.format_exc(limit=3)[-600:])
    took = time.perf_counter() - start
    return {"inputs": inputs, "uncaught": errors, "seconds": round(took, 1),
            "per_second": round(inputs / took), "first": first}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--inputs", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--targets", default=",".join(TARGETS))
    args = parser.parse_args()
    results = {}
    for name in args.targets.split(","):
        results[name] = run(name, args.inputs, args.seed)
        print(json.dumps({name: results[name]}), file=sys.stderr, flush=True)
    print(json.dumps({"seed": args.seed, "targets": results}, indent=2))
    return 1 if any(r["uncaught"] for r in results.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
