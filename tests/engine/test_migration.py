"""Live migration: the engine's plan for a moving resource, with and without allow-migrate,
against crm_simulate on the same input."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest

from harm.cib.xml_import import parse_cib_xml
from harm.engine.schedule import schedule
from harm.engine.transition import ActionKind
from harm.engine.unpack import unpack
from harm.simulate.options import SimulateOptions
from harm.simulate.run import simulate

CASE = "migrate-begin"  # test-vm moves from hex-14 to hex-13, allow-migrate=true


def _xml(corpus_dir: Path, allow: bool) -> bytes:
    data = (corpus_dir / "xml" / f"{CASE}.xml").read_bytes()
    assert b'name="allow-migrate" value="true"' in data
    return data if allow else data.replace(b'name="allow-migrate" value="true"',
                                           b'name="allow-migrate" value="false"')


def test_a_migratable_resource_migrates_instead_of_restarting(corpus_dir: Path) -> None:
    state = unpack(parse_cib_xml(_xml(corpus_dir, True)), int(time.time()))
    transition = schedule(state, int(time.time()))
    assert transition.summary_lines()[0].split()[:2] == ["Migrate", "test-vm"]
    by_task = {a.task: a for a in transition.actions if a.rsc == "test-vm" and a.executable}
    assert by_task["migrate_to"].node == "hex-14"
    assert by_task["migrate_from"].node == "hex-13"
    assert by_task["migrate_to"].meta_value("migrate_target") == "hex-13"
    assert by_task["start"].kind is ActionKind.PSEUDO  # already running there
    assert by_task["stop"].node == "hex-14"


def test_without_allow_migrate_it_moves(corpus_dir: Path) -> None:
    state = unpack(parse_cib_xml(_xml(corpus_dir, False)), int(time.time()))
    transition = schedule(state, int(time.time()))
    assert transition.summary_lines()[0].split()[:2] == ["Move", "test-vm"]
    assert not any(a.task.startswith("migrate") for a in transition.actions)


@pytest.mark.pacemaker
@pytest.mark.parametrize("allow", [True, False])
def test_the_whole_simulation_is_crm_simulates(corpus_dir: Path, tmp_path: Path,
                                               allow: bool) -> None:
    source = tmp_path / "cib.xml"
    source.write_bytes(_xml(corpus_dir, allow))
    theirs = subprocess.run(["crm_simulate", "-x", str(source), "-S"], capture_output=True,
                            text=True, timeout=60, check=True).stdout
    ours = simulate(parse_cib_xml(source.read_bytes()), SimulateOptions(simulate=True),
                    int(time.time())).text
    assert ["".join(line.split()) for line in ours.splitlines() if line.strip()] == \
        ["".join(line.split()) for line in theirs.splitlines() if line.strip()]
