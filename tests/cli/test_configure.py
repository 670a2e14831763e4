"""Transcripts of ``harm configure`` run as a real command on a real CIB file."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from harm.cib.store import load_cib
from harm.crmsh.load import parse_configuration

from ..crmsh.seed import SEED, corrected_seed_text

REPO = Path(__file__).resolve().parents[2]
LAB_CONFIG = REPO / "configs" / "pgsql-lab.crm"
HARM = [sys.executable, "-m", "harm.cli.main"]


def harm(*args: str, stdin: str | None = None, env: dict[str, str] | None = None
         ) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*HARM, *args], input=stdin, capture_output=True, text=True, timeout=120,
        env={**os.environ, **(env or {})}, check=False,
    )


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def cib(tmp_path: Path) -> Path:
    path = tmp_path / "cib.xml"
    done = harm("configure", "--cib", str(path), "load", "replace", str(LAB_CONFIG))
    assert done.returncode == 0, done.stderr
    return path


def test_load_replace_creates_a_cib_and_show_prints_canonical_syntax(cib: Path) -> None:
    shown = harm("configure", "--cib", str(cib), "show")
    assert shown.returncode == 0
    assert parse_configuration(shown.stdout) == load_cib(cib).configuration
    assert parse_configuration(shown.stdout) == parse_configuration(LAB_CONFIG.read_text())
    assert oct(cib.stat().st_mode & 0o777) == "0o600"


def test_show_selected_objects(cib: Path) -> None:
    shown = harm("configure", "--cib", str(cib), "show", "rsc_colocation-2", "c_pingd")
    assert shown.stdout == (
        "clone c_pingd r_pingd\n"
        "colocation rsc_colocation-2 inf: g_service ms_pgsql:Promoted\n"
    )
    missing = harm("configure", "--cib", str(cib), "show", "nothing")
    assert missing.returncode == 1
    assert missing.stderr == "ConfigError: no such object: nothing\n"


def test_the_seed_as_printed_is_refused_with_every_slip_and_changes_nothing(cib: Path) -> None:
    before = digest(cib)
    done = harm("configure", "--cib", str(cib), "load", "update", str(SEED))
    assert done.returncode == 1
    lines = done.stderr.splitlines()
    assert lines[0].endswith(
        "seed-crm_conf.txt:1:25: unknown resource agent ocf:heartbeat:IPAddr2 "
        "(did you mean ocf:heartbeat:IPaddr2?)"
    )
    assert lines[1].endswith("seed-crm_conf.txt:4:29: unknown resource agent "
                             "ocf:heartbeat:IPAddr2 (did you mean ocf:heartbeat:IPaddr2?)")
    assert "seed-crm_conf.txt:36:1: expected NAME=VALUE" in lines[2]
    assert "the backslash at the end of line 35" in lines[2]
    assert lines[3] == "ConfigErrors: 3 errors; nothing was changed"
    assert digest(cib) == before


def test_a_failed_first_load_creates_no_file(tmp_path: Path) -> None:
    path = tmp_path / "cib.xml"
    done = harm("configure", "--cib", str(path), "load", "update", str(SEED))
    assert done.returncode == 1
    assert not path.exists()
    assert list(tmp_path.iterdir()) == []


def test_load_update_from_stdin_merges_and_bumps_the_epoch(cib: Path) -> None:
    epoch = load_cib(cib).epoch
    done = harm("configure", "--cib", str(cib), "load", "update", "-",
                stdin="primitive r_extra ocf:heartbeat:Dummy\n"
                      "location l_extra r_extra 50: osspc31\n")
    assert done.returncode == 0, done.stderr
    after = load_cib(cib)
    assert after.epoch == epoch + 1
    assert after.configuration.find_resource("r_extra") is not None
    assert after.configuration.find_resource("ms_pgsql") is not None


def test_the_corrected_seed_loads_with_warnings_only(tmp_path: Path) -> None:
    text = tmp_path / "crm_conf.txt"
    text.write_text(corrected_seed_text())
    done = harm("configure", "--cib", str(tmp_path / "cib.xml"), "load", "update", str(text))
    assert done.returncode == 0, done.stderr
    assert "warning: node_list of 'r_pgsql': no other statement names a node 'osspec30'" \
        in done.stderr


def test_verify_checks_without_writing(cib: Path, tmp_path: Path) -> None:
    before = digest(cib)
    good = tmp_path / "good.crm"
    good.write_text("colocation c_more inf: r_readonly_vip c_pingd\n")
    done = harm("configure", "--cib", str(cib), "verify", str(good))
    assert done.returncode == 0 and "configuration is valid" in done.stdout
    bad = tmp_path / "bad.crm"
    bad.write_text("colocation c_more inf: r_readonly_vip c_pingx\n")
    done = harm("configure", "--cib", str(cib), "verify", str(bad))
    assert done.returncode == 1
    assert "bad.crm:1:39: unknown resource 'c_pingx' in constraint (did you mean 'c_pingd'?)" \
        in done.stderr
    assert digest(cib) == before


def test_delete_takes_the_constraints_that_name_the_resource(cib: Path) -> None:
    done = harm("configure", "--cib", str(cib), "delete", "r_readonly_vip")
    assert done.returncode == 0, done.stderr
    assert "also deleted rsc_location-2" in done.stderr
    assert "also deleted rsc_colocation-3" in done.stderr
    config = load_cib(cib).configuration
    assert config.find_resource("r_readonly_vip") is None
    assert config.constraint("rsc_colocation-3") is None
    before = digest(cib)
    missing = harm("configure", "--cib", str(cib), "delete", "r_readonly_vip")
    assert missing.returncode == 1 and digest(cib) == before


def test_property_sets_and_refuses_bad_values(cib: Path) -> None:
    done = harm("configure", "--cib", str(cib), "property", "maintenance-mode=true")
    assert done.returncode == 0, done.stderr
    assert load_cib(cib).configuration.property("maintenance-mode") == "true"
    before = digest(cib)
    bad = harm("configure", "--cib", str(cib), "property", "no-quorum-policy=sometimes")
    assert bad.returncode == 1
    assert "no-quorum-policy must be one of" in bad.stderr
    assert digest(cib) == before


def test_the_cib_file_can_come_from_the_environment(cib: Path) -> None:
    done = harm("configure", "show", "c_pingd", env={"HARM_CIB_FILE": str(cib)})
    assert done.stdout == "clone c_pingd r_pingd\n"


def test_without_a_cib_and_without_harmd_the_error_says_what_to_do(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "HARM_CIB_FILE"}
    env["HARM_SOCKET"] = str(tmp_path / "harmd.sock")
    done = subprocess.run([*HARM, "configure", "show"], capture_output=True, text=True,
                          env=env, timeout=60, check=False)
    assert done.returncode == 1
    assert done.stderr == (
        f"ControlError: harmd is not running on this node (no socket at {tmp_path}/harmd.sock);"
        " name a CIB file with --cib FILE to work offline\n"
    )


@pytest.mark.pacemaker
@pytest.mark.skipif(shutil.which("crm_verify") is None, reason="needs Debian's crm_verify")
@pytest.mark.parametrize("example", ["pgsql-lab.crm", "corrected-seed"])
def test_crm_verify_accepts_the_exported_xml(example: str, tmp_path: Path) -> None:
    source = tmp_path / "config.crm"
    source.write_text(corrected_seed_text() if example == "corrected-seed"
                      else (REPO / "configs" / example).read_text())
    path = tmp_path / "cib.xml"
    assert harm("configure", "--cib", str(path), "load", "replace", str(source)).returncode == 0
    exported = tmp_path / "exported.xml"
    exported.write_text(harm("configure", "--cib", str(path), "show", "--xml").stdout)
    for candidate in (path, exported):
        verdict = subprocess.run(["crm_verify", "-x", str(candidate)], capture_output=True,
                                 text=True, timeout=120, check=False)
        output = verdict.stdout + verdict.stderr
        # The seed disables fencing, which crm_verify always warns about ("Blind faith");
        # warnings only are fine, errors are not.
        assert "Errors found" not in output and "error:" not in output, output
        assert verdict.returncode in (0, 78), output
