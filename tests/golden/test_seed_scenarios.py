"""harm simulate on the seed configuration's scenarios, compared with crm_simulate's answers.

The inputs and Pacemaker's outputs are in ``tests/golden/seed/NAME/`` (made by
``python -m tests.golden.make_seed_cases`` with Debian's crm_simulate). The comparison ignores
whitespace and blank lines, as Pacemaker's own regression runner does.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from harm.simulate.conformance import compare_all

CASES = sorted(p for p in (Path(__file__).resolve().parent / "seed").iterdir() if p.is_dir())

# Cases whose whole output (all four sections) still differs from crm_simulate's, and why.
# A case that starts to match fails here (strict), so this list only ever shrinks.
_NOTIFY = "some pseudo-actions around clone notifications execute in another order"
_DATE = "the 'Using the original execution date' line is not printed yet"
_INJECT = "injected fail-count/last-failure attributes are not listed yet"
WHOLE_DIFFERS: dict[str, str] = {
    "03-master-monitor-fails": f"{_NOTIFY}; {_INJECT}; {_DATE}",
    "04-standby-monitor-fails": f"{_NOTIFY}; {_INJECT}; {_DATE}",
    "06-service-vip-fails": f"{_INJECT}; {_DATE}",
    "07-ping-lost-on-master": _NOTIFY,
    "08-master-node-standby": _NOTIFY,
}


def run(case: Path) -> str:
    args = (case / "args").read_text().split() if (case / "args").exists() else []
    done = subprocess.run(
        [sys.executable, "-m", "harm.cli.main", "simulate", "-x", str(case / "cib.xml"), "-S",
         *args],
        capture_output=True, text=True, timeout=120, check=True,
    )
    return done.stdout


@pytest.fixture(scope="module")
def outputs() -> dict[str, str]:
    return {case.name: run(case) for case in CASES}


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.name)
def test_transition_and_revised_status_match_pacemaker(case: Path, outputs: dict[str, str]
                                                        ) -> None:
    expected = (case / "expected.summary").read_text()
    transition, revised, _whole, current = compare_all(expected, outputs[case.name])
    assert transition, outputs[case.name]
    assert revised, outputs[case.name]
    assert current or (case / "args").exists(), outputs[case.name]


@pytest.mark.parametrize(
    "case",
    [pytest.param(c, marks=pytest.mark.xfail(strict=True, reason=WHOLE_DIFFERS[c.name]))
     if c.name in WHOLE_DIFFERS else c for c in CASES],
    ids=lambda p: p.name,
)
def test_whole_output_matches_pacemaker(case: Path, outputs: dict[str, str]) -> None:
    expected = (case / "expected.summary").read_text()
    assert compare_all(expected, outputs[case.name])[2], outputs[case.name]
