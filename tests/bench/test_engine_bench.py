"""The policy-engine benchmark's scripts on a tiny cluster, so they cannot rot.

The generator's clusters are checked with Pacemaker's own tools (crm_verify, crm_simulate):
with history, Pacemaker must find nothing to do; without, it must start everything. The
runner is run end to end on the 3 x 10 size and one seed scenario.
"""

from __future__ import annotations

import importlib.util
import json
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from types import ModuleType

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench" / "engine"


def _load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"bench_engine_{name}", BENCH / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


generate = _load("generate")
run = _load("run")


def test_generator_is_deterministic_in_its_seed() -> None:
    first = generate.generate(3, 10, history=True, seed=7)
    assert generate.generate(3, 10, history=True, seed=7) == first
    assert generate.generate(3, 10, history=True, seed=8) != first


@pytest.mark.parametrize("size", ["3x10", "16x200"])
def test_plan_respects_its_own_constraints(size: str) -> None:
    nodes, resources = generate.SIZES[size]
    plan = generate.plan_cluster(nodes, resources, seed=1)
    assert sum(len(u.members) for u in plan.units) == resources
    kinds = {u.kind for u in plan.units}
    assert kinds == {"primitive", "group", "clone", "promotable"}
    assert all(3 <= len(u.members) <= 5 for u in plan.units if u.kind == "group")
    for loc in plan.locations:
        rsc = loc.get("rsc", "")
        if loc.get("score") == "-INFINITY":
            assert plan.placed[rsc] != loc.get("node")
        rule = loc.find("rule")
        if rule is not None and rule.get("score") == "-INFINITY":  # needs an ssd node
            assert plan.ssd[plan.placed[rsc]]
    for col in plan.colocations:
        rsc, other = col.get("rsc", ""), col.get("with-rsc", "")
        if col.get("with-rsc-role") == "Promoted":
            assert plan.placed[rsc] == plan.promoted[other]
        elif other in plan.placed and col.get("score") == "INFINITY":
            assert plan.placed[rsc] == plan.placed[other]
        elif col.get("score") == "-INFINITY":
            assert plan.placed[rsc] != plan.placed[other]


def test_ids_are_unique() -> None:
    configuration = ET.fromstring(generate.generate(16, 200, history=True)).find("configuration")
    assert configuration is not None
    ids = [e.get("id") for e in configuration.iter() if e.get("id")]
    assert len(ids) == len(set(ids))


def _summary(path: Path) -> list[str]:
    out = subprocess.run(["crm_simulate", "-x", str(path), "-R"], capture_output=True,
                         text=True, timeout=120, check=True)
    lines: list[str] = run.summary_of(out.stdout)
    return lines


@pytest.mark.pacemaker
def test_pacemaker_accepts_the_clusters_and_finds_them_steady(tmp_path: Path) -> None:
    history, fresh = tmp_path / "history.xml", tmp_path / "fresh.xml"
    history.write_text(generate.generate(3, 10, history=True))
    fresh.write_text(generate.generate(3, 10, history=False))
    for path in (history, fresh):
        generate.check(path)  # crm_verify and crm_simulate -S, or SystemExit
    graph = tmp_path / "graph.xml"
    subprocess.run(["crm_simulate", "-x", str(history), "-Q", "-G", str(graph)], timeout=120,
                   check=True)
    assert _summary(history) == []
    assert "<synapse" not in graph.read_text()  # not even a monitor to reschedule
    started = _summary(fresh)
    assert started and all(line.startswith("* Start") for line in started)
    # every anonymous clone runs on every node
    assert sum("cln-01-rsc:" in line for line in started) == 3


def test_check_rejects_an_invalid_cib(tmp_path: Path) -> None:
    bad = tmp_path / "bad.xml"
    bad.write_text(generate.generate(3, 10, history=False).replace("<nodes>", "<nodez>", 1))
    with pytest.raises(SystemExit):
        generate.check(bad)


def test_harm_worker_reports_times_and_summary() -> None:
    result = run.json.loads(subprocess.run(
        [sys.executable, str(BENCH / "harm_schedule.py"), "/dev/stdin", "--json",
         "--repeat", "2"], input=generate.generate(3, 10, history=True), capture_output=True,
        text=True, timeout=300, check=True).stdout)
    assert result["error"] is None
    assert len(result["runs"]) in (1, 2)
    assert set(result["runs"][0]) == {"parse", "unpack", "schedule", "total"}


def test_harm_worker_reports_a_failure_instead_of_a_time(tmp_path: Path) -> None:
    broken = tmp_path / "broken.xml"
    broken.write_text("<cib><configuration>")
    out = subprocess.run([sys.executable, str(BENCH / "harm_schedule.py"), str(broken),
                          "--json"], capture_output=True, text=True, timeout=300, check=True)
    result = json.loads(out.stdout)
    assert result["runs"] == [] and result["error"]


@pytest.mark.pacemaker
@pytest.mark.slow
def test_runner_end_to_end_on_the_tiny_size(tmp_path: Path, repo_root: Path) -> None:
    seeds = tmp_path / "seed"
    seeds.mkdir()
    one = repo_root / "tests" / "golden" / "seed" / "01-nodes-up-no-attributes"
    shutil.copytree(one, seeds / one.name)
    raw = tmp_path / "raw.json"
    out = subprocess.run(
        [sys.executable, str(BENCH / "run.py"), "--sizes", "3x10", "--repeat", "2",
         "--seed-repeat", "2", "--budget", "5", "--seed-dir", str(seeds), "--json", str(raw),
         "--dir", str(tmp_path / "cibs")],
        capture_output=True, text=True, timeout=600, check=True).stdout
    rows = {line.split("|")[1].strip(): line.split("|")[2:-1]
            for line in out.splitlines() if line.startswith("| ")}
    steady = [cell.strip() for cell in rows["3x10 with history"]]
    assert re.match(r"\d+ ms \(", steady[0])  # Pacemaker timed
    assert re.match(r"\d+ ms \(", steady[1])  # harm timed
    assert re.match(r"\d+\.\d\d$", steady[2])  # ratio
    lines = [cell for cell in steady if re.fullmatch(r"\d+ / \d+", cell)]
    assert len(lines) == 1 and lines[0].startswith("0 / ")  # Pacemaker: nothing to do
    verdict = steady[steady.index(lines[0]) + 1]
    assert verdict == "same" or verdict.startswith("differ")
    assert "seed 01-nodes-up-no-attributes" in rows
    cases = json.loads(raw.read_text())
    assert [c["case"] for c in cases] == ["3x10 with history", "3x10 without history",
                                          "seed 01-nodes-up-no-attributes"]
    assert all(len(c["pacemaker"]["runs"]) == 2 for c in cases)
    assert (tmp_path / "cibs" / "cib-3x10-history.xml").is_file()
