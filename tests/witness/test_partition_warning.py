"""An unsafe two-node configuration is accepted with a warning (configure, harm_mon)."""

from __future__ import annotations

from pathlib import Path

import pytest

from harm.cib.cib import Cib
from harm.cli.main import main
from harm.crmsh.load import parse_configuration
from harm.membership.quorum import PARTITION_RISK, partition_risk
from harm.mon.snapshot import take_snapshot
from harm.mon.summary import summarize, summary_lines

REPO = Path(__file__).resolve().parents[2]
LAB = REPO / "configs" / "pgsql-lab.crm"


def test_the_rule() -> None:
    assert partition_risk(2, False, False, "ignore") == PARTITION_RISK
    assert partition_risk(2, True, False, "ignore") is None  # witness
    assert partition_risk(2, False, True, "ignore") is None  # fencing
    assert partition_risk(2, False, False, "demote") is None
    assert partition_risk(3, False, False, "ignore") is None


@pytest.mark.parametrize("policy, warned", [("ignore", True), ("demote", False)])
def test_configure_verify_warns_with_the_risk_and_both_remedies(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        policy: str, warned: bool) -> None:
    monkeypatch.setenv("HARM_CONFIG", str(tmp_path / "no-harm.yaml"))
    source = tmp_path / "lab.crm"
    source.write_text(LAB.read_text().replace("no-quorum-policy=demote",
                                              f"no-quorum-policy={policy}"))
    code = main(["configure", "--cib", str(tmp_path / "cib.xml"), "verify", str(source)])
    err = capsys.readouterr().err
    assert code == 0
    assert ("warning: two nodes, no witness, no fencing" in err) is warned
    if warned:
        assert "a witness" in err and "fencing (stonith-enabled=true" in err


def test_a_witness_in_harm_yaml_silences_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    settings = tmp_path / "harm.yaml"
    settings.write_text("cluster: c\nnode: osspc30\nnodes: [osspc30, osspc31]\n"
                        "links: [{bcast: eth0}]\nwitness: {address: 192.168.10.100}\n")
    monkeypatch.setenv("HARM_CONFIG", str(settings))
    source = tmp_path / "lab.crm"
    source.write_text(LAB.read_text().replace("no-quorum-policy=demote",
                                              "no-quorum-policy=ignore"))
    assert main(["configure", "--cib", str(tmp_path / "cib.xml"), "verify", str(source)]) == 0
    assert "warning: two nodes" not in capsys.readouterr().err


def test_harm_mon_shows_the_warning_when_harmd_has_no_witness() -> None:
    text = LAB.read_text().replace("no-quorum-policy=demote", "no-quorum-policy=ignore")
    cib = Cib(configuration=parse_configuration(text), have_quorum=True)
    shown = summary_lines(summarize(take_snapshot(cib, 0, witness=False)))
    assert f"  * WARNING: {PARTITION_RISK}" in shown
    assert not any("WARNING" in line
                   for line in summary_lines(summarize(take_snapshot(cib, 0, witness=True))))


def test_harm_mon_names_the_command_an_agent_asks_for() -> None:
    from dataclasses import replace

    from harm.cib.config import NvSet
    from tests.mon.helpers import NOW, SCENARIOS

    cib = SCENARIOS["healthy"]()
    state = cib.status.node("osspc31")
    assert state is not None
    pairs = (*state.transient_attributes[0].pairs,
             ("r_pgsql-needs", "harm pgsql rejoin -r r_pgsql (on osspc31): diverged"))
    needs = replace(state, transient_attributes=(NvSet(state.transient_attributes[0].id,
                                                       pairs),))
    cib = replace(cib, status=cib.status.with_node(needs))
    shown = summary_lines(summarize(take_snapshot(cib, NOW)))
    assert "  * ACTION NEEDED on osspc31: harm pgsql rejoin -r r_pgsql (on osspc31): " \
        "diverged" in shown


@pytest.mark.pacemaker
def test_harm_mon_says_why_a_running_promotable_clone_has_no_primary(
        tmp_path: Path, corpus_dir: Path) -> None:
    import subprocess

    from harm.cib.xml_import import parse_cib_xml

    after = tmp_path / "after.xml"
    subprocess.run(["crm_simulate", "-x", str(corpus_dir / "xml" / "no_quorum_demote.xml"),
                    "-S", "-O", str(after)], capture_output=True, check=True, timeout=120)
    cib = parse_cib_xml(after.read_text())
    shown = summary_lines(summarize(take_snapshot(cib, 0, witness=False)))
    assert "  * NO PRIMARY: rsc1-clone has no promoted instance: this partition has no " \
        "quorum (no-quorum-policy=demote); it promotes nothing" in shown
    # a CIB file (not a running cluster) shows what crm_mon shows
    assert not any("NO PRIMARY" in line for line in summary_lines(summarize(
        take_snapshot(cib, 0))))
