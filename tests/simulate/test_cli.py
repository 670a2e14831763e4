"""Transcripts of ``harm simulate`` run as a real command on corpus inputs."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from harm.cib.store import load_cib

HARM = [sys.executable, "-m", "harm.cli.main", "simulate"]


def harm_simulate(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*HARM, *args], capture_output=True, text=True, timeout=120,
                          env=dict(os.environ), check=False)


def _squeeze(text: str) -> list[str]:
    return ["".join(line.split()) for line in text.splitlines() if line.strip()]


def test_simulate_prints_crm_simulates_sections(corpus_dir: Path) -> None:
    done = harm_simulate("-x", str(corpus_dir / "xml" / "simple4.xml"), "-S")
    assert done.returncode == 0, done.stderr
    assert _squeeze(done.stdout) == _squeeze(
        (corpus_dir / "summary" / "simple4.summary").read_text())


def test_run_shows_only_the_plan(corpus_dir: Path) -> None:
    done = harm_simulate("-x", str(corpus_dir / "xml" / "simple1.xml"), "-R")
    assert done.returncode == 0, done.stderr
    assert "Transition Summary:" in done.stdout
    assert "Executing Cluster Transition:" not in done.stdout
    assert "Revised Cluster Status:" not in done.stdout


def test_injections_are_listed_and_applied(corpus_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "after.xml"
    done = harm_simulate("-x", str(corpus_dir / "xml" / "promoted-1.xml"), "-S",
                         "-d", "node2", "--node-attr", "node1:pingd=100", "-q", "true",
                         "-O", str(out))
    assert done.returncode == 0, done.stderr
    assert "Performing Requested Modifications:" in done.stdout
    assert "  * Taking node node2 offline" in done.stdout
    assert "  * Setting quorum: true" in done.stdout
    revised = done.stdout.split("Revised Cluster Status:")[1]
    assert "OFFLINE: [ node2 ]" in revised
    saved = load_cib(out)
    node1 = saved.status.node("node1")
    assert node1 is not None and node1.attribute("pingd") == "100"
    assert saved.have_quorum


def test_injected_failure_is_counted(corpus_dir: Path) -> None:
    done = harm_simulate("-x", str(corpus_dir / "xml" / "simple2.xml"), "-S",
                         "-F", "rsc1_start_0@node1=1")
    assert done.returncode == 0
    assert "Pretending action" in done.stdout and "failed with rc=1" in done.stdout
    assert "Injecting attribute fail-count-rsc1#start_0=value++ into /node_state" \
        in done.stdout
    revised = done.stdout.split("Revised Cluster Status:")[1]
    assert "FAILED node1" in revised


def test_explain_names_the_scores(corpus_dir: Path) -> None:
    done = harm_simulate("-x", str(corpus_dir / "xml" / "simple2.xml"), "--explain")
    assert done.returncode == 0, done.stderr
    assert "Placement Explanations:" in done.stdout
    assert "rsc1:" in done.stdout


def test_bad_input_is_a_clear_error_without_traceback(tmp_path: Path) -> None:
    missing = harm_simulate("-x", str(tmp_path / "nope.xml"), "-S")
    assert missing.returncode == 1
    assert missing.stderr.startswith("CibFormatError: cannot read")
    assert "Traceback" not in missing.stderr
    none = harm_simulate("-S")
    assert none.returncode == 1 and none.stderr.startswith("ConfigError: give exactly one")
    bad = tmp_path / "bad.xml"
    bad.write_text("<cib><configuration>")
    broken = harm_simulate("-x", str(bad), "-S")
    assert broken.returncode == 1 and broken.stderr.startswith("CibFormatError")
    spec = harm_simulate("-x", str(bad), "-F", "nonsense")
    assert spec.returncode == 1 and "Traceback" not in spec.stderr


def test_quiet_scores_are_crm_simulates(corpus_dir: Path) -> None:
    done = harm_simulate("-x", str(corpus_dir / "xml" / "group1.xml"), "-S", "-s", "-Q")
    assert done.returncode == 0, done.stderr
    expected = (corpus_dir / "scores" / "group1.scores").read_text()
    assert sorted(_squeeze(done.stdout)) == sorted(_squeeze(expected))
