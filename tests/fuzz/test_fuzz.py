"""Every decoder of peer and client input, fuzzed briefly (seeded: the same inputs on every
run). The long run is ``bench/fuzz/run.py`` (see docs/benchmarks.md)."""

from __future__ import annotations

import random

import pytest

from tests.fuzz.targets import TARGETS

ITERATIONS = {"membership": 15_000, "wire": 5000, "control": 8000}
DEFAULT = 20_000


@pytest.mark.parametrize("name", sorted(TARGETS))
def test_no_input_escapes_the_decoder(name: str) -> None:
    target = TARGETS[name]
    rng = random.Random(f"harm-fuzz-{name}")
    for _ in range(ITERATIONS.get(name, DEFAULT)):
        target(rng)
