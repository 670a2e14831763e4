"""The long fuzz runs: every input either accepted or refused with harm's own error.

    nice -n 10 .venv/bin/python bench/fuzz/cib_and_engine.py rules  --count 1000000
    nice -n 10 .venv/bin/python bench/fuzz/cib_and_engine.py xml    --count 1000000
    nice -n 10 .venv/bin/python bench/fuzz/cib_and_engine.py engine --seconds 1200
    nice -n 10 .venv/bin/python bench/fuzz/cib_and_engine.py config --count 1000000

Targets (the suite runs a few hundred of each, ``tests/engine/test_fuzz_configs.py`` and
``tests/cib/test_safe_xml.py``):

* ``rules``  random rules and inputs (:mod:`rule_inputs`) through rule evaluation;
* ``xml``    mutated CIB XML (:mod:`xml_inputs`, configuration-only seeds) through the
  reader, the writer and the reader again;
* ``engine`` random crm configurations (:mod:`configs`) through verify, the XML round trip
  and the whole engine; and mutated CIBs with history, read and scheduled;
* ``config`` random crm configurations through the parser and checker only.

Case ``i`` of a run started at ``--seed S`` is ``random.Random(S + i)``, so a failure is
replayed with ``--seed S+i --count 1``. The summary is one JSON line: the counts of each
outcome, the uncaught errors (kind, place, first seed), inputs per second.
"""

from __future__ import annotations

import argparse
import collections
import json
import random
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from rule_inputs import run_rule
from xml_inputs import mutate, run_xml, seeds

from configs import random_case, run_case
from harm.crmsh.load import parse_configuration
from harm.errors import ConfigErrors


def _xml(rng: random.Random) -> str:
    return run_xml(mutate(rng, rng.choice(seeds(False))), engine=False)


def _engine(rng: random.Random) -> str:
    if rng.random() < 0.8:
        return run_case(random_case(rng))
    return run_xml(mutate(rng, rng.choice(seeds(True))), engine=True)


def _config(rng: random.Random) -> str:
    try:
        parse_configuration(random_case(rng).text, "<fuzz>")
    except ConfigErrors:
        return "refused"
    return "accepted"


TARGETS: dict[str, Callable[[random.Random], str]] = {
    "rules": run_rule, "xml": _xml, "engine": _engine, "config": _config}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("target", choices=sorted(TARGETS))
    parser.add_argument("--count", type=int, default=None, help="inputs to run")
    parser.add_argument("--seconds", type=float, default=None, help="or run this long")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    if args.count is None and args.seconds is None:
        args.count = 10_000
    run = TARGETS[args.target]
    outcomes: collections.Counter[str] = collections.Counter()
    errors: dict[str, dict[str, object]] = {}
    started = time.monotonic()
    index = 0
    while (args.count is None or index < args.count) and (
            args.seconds is None or time.monotonic() - started < args.seconds):
        seed = args.seed + index
        index += 1
        try:
            outcomes[run(random.Random(seed))] += 1
        except Exception as error:  # every uncaught error is the finding
            frame = traceback.extract_tb(error.__traceback__)[-1]
            key = f"{type(error).__name__} at {frame.filename}:{frame.lineno}"
            found = errors.setdefault(key, {"count": 0, "first_seed": seed,
                                            "message": str(error)[:300]})
            found["count"] = int(str(found["count"])) + 1
            outcomes["uncaught"] += 1
    elapsed = time.monotonic() - started
    print(json.dumps({"target": args.target, "seed": args.seed, "inputs": index,
                      "seconds": round(elapsed, 1),
                      "inputs_per_s": round(index / elapsed, 1) if elapsed else None,
                      "outcomes": dict(outcomes), "uncaught": errors}))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
