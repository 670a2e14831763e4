"""``-A`` and ``-c`` blocks print what crm_simulate prints for the same input."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest


def _squeeze(text: str) -> list[str]:
    return [" ".join(line.split()) for line in text.splitlines() if line.strip()]


@pytest.mark.pacemaker
@pytest.mark.parametrize("name", ["failcount", "promoted-7", "attrs1", "standby"])
def test_attributes_and_failcounts_match(name: str, corpus_dir: Path) -> None:
    xml_file = str(corpus_dir / "xml" / f"{name}.xml")
    theirs = subprocess.run(["crm_simulate", "-x", xml_file, "-A", "-c"], capture_output=True,
                            text=True, timeout=120, check=True).stdout
    ours = subprocess.run([sys.executable, "-m", "harm.cli.main", "simulate", "-x", xml_file,
                           "-A", "-c"], capture_output=True, text=True, timeout=120,
                          check=True).stdout
    assert _squeeze(ours) == _squeeze(theirs)
