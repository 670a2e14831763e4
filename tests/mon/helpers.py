"""Shared pieces of the harm_mon tests: a fixed time zone, snapshots of the scenarios,
running Debian's crm_mon on a CIB file, and the golden-file check."""

from __future__ import annotations

import os
import re
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from harm.cib.cib import Cib
from harm.cib.xml_export import cib_to_xml
from harm.mon.snapshot import MonSnapshot, take_snapshot
from tests.mon.scenarios import NOW, SCENARIOS

GOLDEN = Path(__file__).resolve().parent / "golden"
UPDATE = os.environ.get("HARM_UPDATE_GOLDEN") == "1"


@contextmanager
def utc() -> Iterator[None]:
    """Render times in UTC (crm_mon and harm_mon both print local time)."""
    old = os.environ.get("TZ")
    os.environ["TZ"] = "UTC"
    time.tzset()
    try:
        yield
    finally:
        if old is None:
            del os.environ["TZ"]
        else:
            os.environ["TZ"] = old
        time.tzset()


def scenario(name: str) -> MonSnapshot:
    return take_snapshot(SCENARIOS[name](), NOW)


def write_cib(cib: Cib, path: Path) -> Path:
    path.write_text(cib_to_xml(cib))
    return path


def crm_mon(cib_file: Path, *args: str) -> str:
    """Debian's crm_mon on a CIB file, in UTC."""
    env = {"CIB_file": str(cib_file), "TZ": "UTC", "PATH": os.environ.get("PATH", "")}
    done = subprocess.run(["crm_mon", "-1", *args], env=env, capture_output=True, text=True,
                          timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout


def comparable(text: str) -> str:
    """Take out what differs by design: the clock and harm's quorum note when no DC."""
    text = re.sub(r"Last updated: .*", "Last updated: -", text)
    text = re.sub(r'<last_update time="[^"]*"/>', "<last_update/>", text)
    text = re.sub(r'request="[^"]*"', 'request=""', text)
    return re.sub(r"Current DC: NONE.*", "Current DC: NONE", text)


def check_golden(name: str, text: str) -> None:
    """Compare with ``golden/NAME`` (rewrite it when HARM_UPDATE_GOLDEN=1)."""
    path = GOLDEN / name
    if UPDATE or not path.exists():
        assert UPDATE, f"missing golden file {path}; run with HARM_UPDATE_GOLDEN=1"
        path.write_text(text)
    assert text == path.read_text()
