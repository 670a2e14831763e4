"""Whatever the configuration gate accepts, the engine schedules.

Random configurations (``bench/fuzz/configs.py``: rules, dates, durations, date_spec,
scores, groups, clones, constraints, odd values) are each either refused by the checker
with positioned errors, or written as CIB XML, read back unchanged and scheduled. The
seeds are fixed, so a failure names a case that can be replayed; the long run is
``bench/fuzz/cib_and_engine.py engine``.
"""

from __future__ import annotations

import importlib.util
import random
import sys
import time
from pathlib import Path
from types import ModuleType

from harm.cib.status import NodeState, Status

FUZZ = Path(__file__).resolve().parents[2] / "bench" / "fuzz" / "configs.py"
CASES = 300
SECONDS = 60.0  # a bound on a loaded machine; about 3 s on an idle one


def _configs() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_fuzz_configs", FUZZ)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_every_verify_valid_configuration_is_scheduled() -> None:
    configs = _configs()
    outcomes: dict[str, int] = {"refused": 0, "scheduled": 0}
    started = time.monotonic()
    for seed in range(CASES):
        case = configs.random_case(random.Random(seed))
        try:
            outcomes[configs.run_case(case)] += 1
        except Exception as error:  # the seed is the report
            raise AssertionError(f"seed {seed}: {error!r}\n{case.text}") from error
    assert time.monotonic() - started < SECONDS
    # both sides of the gate are exercised
    assert outcomes["scheduled"] >= CASES // 5, outcomes
    assert outcomes["refused"] >= CASES // 10, outcomes


def test_the_configurations_that_crashed_the_engine_are_refused_or_scheduled() -> None:
    configs = _configs()
    online = Status(nodes=tuple(
        NodeState(id=n, uname=n, in_ccm=True, crmd="online", join="member", expected="member")
        for n in ("n1", "n2")))
    base = "node n1\nnode n2\nprimitive r ocf:harm:Dummy\nproperty stonith-enabled=false\n"
    refused = [
        "location l r rule -inf: date gt 9999-366",
        "location l r rule -inf: date in_range start=2020-01-01 days=99999999999999",
        "location l r rule -inf: date date_spec years=" + "9" * 5000,
        'primitive q ocf:harm:Dummy params fake="a\x01b"',
        "clone c r meta clone-max=2147483648",
    ]
    scheduled = [
        "location l r rule -inf: date in_range start=9999-12-31 years=5",
        "location l r rule -inf: date in_range start=2020-01-01 years=-3000",
        "location l r rule 100: a gt " + "9" * 5000 + "\nnode n1 attributes a=" + "9" * 5000,
        "location l r rule pri: defined pri\nnode n1 attributes pri=" + "9" * 5000,
    ]
    for text in refused:
        assert configs.run_case(configs.Case(base + text + "\n", online)) == "refused", text
    for text in scheduled:
        assert configs.run_case(configs.Case(base + text + "\n", online)) == "scheduled", text
