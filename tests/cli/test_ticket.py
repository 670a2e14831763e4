"""``harm ticket`` on a CIB file, read back by Pacemaker's own ``crm_ticket``."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from harm.cib.store import load_cib

HARM = [sys.executable, "-m", "harm.cli.main", "ticket"]


def _harm(cib: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*HARM, "--cib", str(cib), *args], capture_output=True, text=True,
                          timeout=120, check=False)


@pytest.mark.pacemaker
def test_ticket_changes_are_what_crm_ticket_reads(corpus_dir: Path, tmp_path: Path) -> None:
    cib = tmp_path / "cib.xml"
    cib.write_bytes((corpus_dir / "xml" / "ticket-primitive-3.xml").read_bytes())
    env = {**os.environ, "CIB_file": str(cib)}

    def crm_ticket() -> str:
        return subprocess.run(["crm_ticket", "-l"], capture_output=True, text=True,
                              timeout=60, check=True, env=env).stdout

    for change, word in (("grant", "granted"), ("standby", "[standby]"),
                         ("activate", "granted"), ("revoke", "revoked")):
        done = _harm(cib, change, "ticketA")
        assert done.returncode == 0, done.stderr
        assert word in crm_ticket().split("\n")[0]
        assert _harm(cib, "show").stdout == crm_ticket()
    state = load_cib(cib).status.ticket("ticketA")
    assert state is not None and not state.granted and not state.standby
    assert state.last_granted is not None


def test_a_change_needs_a_ticket_and_a_known_verb(tmp_path: Path) -> None:
    cib = tmp_path / "cib.xml"
    assert _harm(cib, "grant").returncode != 0
    assert _harm(cib, "steal", "t").returncode != 0
