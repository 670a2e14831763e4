"""XML and JSON output: crm_mon's structure, valid against Pacemaker's RNG schema."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from harm.cib.xml_import import parse_cib_xml
from harm.mon.jsonout import render_json
from harm.mon.snapshot import take_snapshot
from harm.mon.xmlout import render_xml
from tests.mon.helpers import check_golden, comparable, crm_mon, scenario, utc, write_cib
from tests.mon.scenarios import NOW, SCENARIOS

SCHEMA = Path("/usr/share/pacemaker/api/api-result-2.25.rng")
CORPUS = ["clone-anon-failcount", "failcount-block", "failed-probe-clone", "standby",
          "unmanaged-block-restart", "node-maintenance-1", "orphan-1", "rec-node-13",
          "template-ticket", "ticket-clone-3", "tags-ticket", "failcount", "696", "1494",
          "dc-fence-ordering", "bug-5038", "obsolete-lrm-resource"]


def validate(xml_text: str, tmp_path: Path) -> None:
    if not SCHEMA.exists() or shutil.which("xmllint") is None:
        pytest.fail("needs pacemaker-cli-utils' API schemas and xmllint (libxml2-utils)")
    path = tmp_path / "out.xml"
    path.write_text(xml_text)
    done = subprocess.run(["xmllint", "--noout", "--relaxng", str(SCHEMA), str(path)],
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_scenario_xml_golden_and_valid(name: str, tmp_path: Path) -> None:
    with utc():
        text = render_xml(scenario(name))
    check_golden(f"{name}.xml", text)
    validate(text, tmp_path)


@pytest.mark.parametrize("case", CORPUS)
def test_corpus_xml_valid(case: str, corpus_dir: Path, tmp_path: Path) -> None:
    path = corpus_dir / "xml" / f"{case}.xml"
    validate(render_xml(take_snapshot(parse_cib_xml(path.read_bytes()), NOW)), tmp_path)


@pytest.mark.pacemaker
@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_scenario_xml_equals_crm_mon(name: str, tmp_path: Path) -> None:
    path = write_cib(SCENARIOS[name](), tmp_path / "cib.xml")
    expected = crm_mon(path, "--output-as=xml")
    with utc():
        got = render_xml(take_snapshot(parse_cib_xml(path.read_bytes()), NOW))
    assert comparable(got) == comparable(expected)


@pytest.mark.pacemaker
@pytest.mark.parametrize("case", CORPUS)
def test_corpus_xml_equals_crm_mon(case: str, corpus_dir: Path) -> None:
    path = corpus_dir / "xml" / f"{case}.xml"
    expected = crm_mon(path, "--output-as=xml")
    with utc():
        got = render_xml(take_snapshot(parse_cib_xml(path.read_bytes()), NOW))
    assert comparable(got) == comparable(expected)


def test_json_golden() -> None:
    with utc():
        check_golden("failover.json", render_json(scenario("failover")))


def test_json_carries_the_xml_content() -> None:
    with utc():
        data = json.loads(render_json(scenario("failover")))
    result = data["pacemaker-result"]
    dc = result["summary"][0]["current_dc"][0]
    assert dc["name"] == "osspc30" and dc["with_quorum"] is True
    nodes = {n["name"]: n for n in result["nodes"][0]["node"]}
    assert nodes["osspc31"]["online"] is True
    failure = result["failures"][0]["failure"][0]
    assert failure["op_key"] == "r_pgsql_monitor_7000"
    assert failure["exitstatus"] == "not running" and failure["node"] == "osspc30"
    attrs = {a["name"]: a["value"]
             for n in result["node_attributes"][0]["node"] if n["name"] == "osspc30"
             for a in n["attribute"]}
    assert attrs["pgsql-status"] == "STOP" and attrs["osspc31-eth1"] == "up"
