"""The command line: sources, options, formats and exit codes; and the file source."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from harm.mon.main import main
from harm.mon.simple import CRIT, OK, WARN, simple_status
from harm.mon.source import FileSource
from tests.mon.helpers import scenario, utc, write_cib
from tests.mon.scenarios import SCENARIOS


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    with utc():
        code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("option", ["--cib", "-x"])
def test_one_shot_text(option: str, tmp_path: Path,
                       capsys: pytest.CaptureFixture[str]) -> None:
    path = write_cib(SCENARIOS["failover"](), tmp_path / "cib.xml")
    code, out, _ = run(capsys, option, str(path), "-1", "-Afr")
    assert code == 0
    assert out.startswith("Cluster Summary:\n")
    assert "Full List of Resources:" in out and "Migration Summary:" in out
    assert "* pgsql-status                    \t: STOP      " in out


def test_sections_follow_the_flags(tmp_path: Path,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    path = write_cib(SCENARIOS["failover"](), tmp_path / "cib.xml")
    _, out, _ = run(capsys, "-x", str(path), "-1")
    assert "Active Resources:" in out
    assert "Node Attributes:" not in out and "Migration Summary:" not in out
    assert "Stopped: [ osspc30 ]" not in out  # only with -r
    assert "Failed Resource Actions:" in out  # always
    _, out, _ = run(capsys, "-x", str(path), "-1", "-o")
    assert "Operations:\n  * Node: osspc30:\n    * r_pingd: migration-threshold=1:\n" in out
    assert ("    * r_pgsql: migration-threshold=1 fail-count=1 last-failure='Wed Nov 18 "
            "11:16:40 2026':\n      * (11) monitor: interval=\"7000ms\"\n      * (14) stop\n"
            ) in out
    _, out, _ = run(capsys, "-x", str(path), "-1", "-n")
    assert "  * Node osspc31: online:\n    * Resources:\n" in out


def test_xml_and_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_cib(SCENARIOS["healthy"](), tmp_path / "cib.xml")
    code, out, _ = run(capsys, "-x", str(path), "--output-as", "xml")
    assert code == 0 and out.startswith('<pacemaker-result api-version="2.25"')
    assert f'request="harm_mon -x {path} --output-as xml"' in out
    code, out, _ = run(capsys, "-x", str(path), "--output-as", "json")
    assert code == 0 and json.loads(out)["pacemaker-result"]["status"][0]["code"] == "0"


@pytest.mark.parametrize(("name", "code", "line"), [
    ("healthy", OK, "CLUSTER OK: 2 nodes online, 7 resource instances configured"),
    ("peer_lost", WARN, "CLUSTER WARN: offline node: osspc31"),
    ("failover", WARN, "CLUSTER WARN: 1 failed resource action"),
])
def test_simple_status(name: str, code: int, line: str, tmp_path: Path,
                       capsys: pytest.CaptureFixture[str]) -> None:
    assert simple_status(scenario(name)).line == line
    path = write_cib(SCENARIOS[name](), tmp_path / "cib.xml")
    assert run(capsys, "-x", str(path), "-s") == (code, line + "\n", "")


def test_unavailable_source(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "nothing.xml"
    code, out, err = run(capsys, "--cib", str(missing), "-1")
    assert (code, out) == (1, "")
    assert err == f"harm_mon: file {missing} unavailable: {missing}: no such file\n"
    code, out, _ = run(capsys, "--cib", str(missing), "-s")
    assert code == CRIT and out.startswith("CLUSTER CRIT: Connection to cluster failed: ")
    garbage = tmp_path / "garbage.xml"
    garbage.write_text("<cib><configuration>")
    code, _, err = run(capsys, "-x", str(garbage), "-1")
    assert code == 1 and "unavailable" in err


def test_no_harmd(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sock = tmp_path / "harmd.sock"
    code, _, err = run(capsys, "--socket", str(sock), "-1")
    assert code == 1 and "no such socket" in err


@pytest.mark.parametrize("args", [["-i", "soon"], ["-i", "0"], ["--output-as", "yaml"],
                                  ["--cib", "a", "-x", "b"]])
def test_usage_errors(args: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(args)
    assert exit_info.value.code == 2
    assert "harm_mon: error:" in capsys.readouterr().err


def test_file_source_sees_every_change(tmp_path: Path) -> None:
    path = tmp_path / "cib.xml"
    source = FileSource(path)
    assert source.token() is None and source.read().error == f"{path}: no such file"
    write_cib(SCENARIOS["healthy"](), path)
    first = source.token()
    reading = source.read()
    assert reading.ok and reading.cib is not None and reading.cib.dc_uuid == "osspc30"
    write_cib(SCENARIOS["failover"](), tmp_path / "new.xml")
    os.replace(tmp_path / "new.xml", path)  # the way harm's store replaces its CIB
    assert source.token() != first
    path.write_text("not xml")
    assert not source.read().ok


@pytest.mark.pacemaker
@pytest.mark.parametrize("name", ["healthy", "peer_lost"])
def test_simple_status_line_equals_crm_mon(name: str, tmp_path: Path) -> None:
    """The line itself is crm_mon's (its exit code with a CIB file is always 0)."""
    import subprocess

    path = write_cib(SCENARIOS[name](), tmp_path / "cib.xml")
    done = subprocess.run(["crm_mon", "-1", "-s"], env={"CIB_file": str(path),
                                                       "PATH": os.environ.get("PATH", "")},
                          capture_output=True, text=True, timeout=60, check=False)
    assert simple_status(scenario(name)).line == done.stdout.strip()
