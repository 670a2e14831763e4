"""Transcripts of ``harm resource``, ``harm node`` and ``harm attribute`` on a CIB file."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from harm.cib.store import load_cib, save_cib
from harm.operations.attributes import Lifetime, query

from ..operations.test_operator_actions import running_cluster
from .test_configure import harm

pytestmark = pytest.mark.pacemaker


@pytest.fixture
def cib(tmp_path: Path) -> Path:
    path = tmp_path / "cib.xml"
    save_cib(path, running_cluster())
    return path


def test_move_show_and_clear(cib: Path) -> None:
    done = harm("resource", "--help")
    assert done.returncode == 0
    done = harm("resource", "move", "--cib", str(cib), "ms_pgsql", "osspc31")
    assert done.returncode == 0, done.stderr
    assert "created: location cli-prefer-ms_pgsql ms_pgsql role=Promoted inf: osspc31" \
        in done.stderr
    listed = harm("resource", "constraints", "--cib", str(cib))
    assert listed.stdout.splitlines() == [
        "location cli-prefer-ms_pgsql ms_pgsql role=Promoted inf: osspc31",
        "location cli-ban-ms_pgsql-on-osspc30 ms_pgsql role=Promoted -inf: osspc30",
    ]
    cleared = harm("resource", "clear", "--cib", str(cib), "ms_pgsql")
    assert cleared.stderr == "removed: cli-prefer-ms_pgsql, cli-ban-ms_pgsql-on-osspc30\n"
    assert harm("resource", "constraints", "--cib", str(cib)).stdout == ""


def test_errors_change_nothing(cib: Path) -> None:
    before = hashlib.sha256(cib.read_bytes()).hexdigest()
    for args in (("resource", "move", "--cib", str(cib), "c_pingd", "osspc31"),
                 ("resource", "ban", "--cib", str(cib), "nothing", "osspc31"),
                 ("node", "standby", "--cib", str(cib), "osspc99"),
                 ("resource", "restart", "--cib", str(cib), "g_service"),
                 ("attribute", "--cib", str(cib), "--node", "osspc30", "--name", "x")):
        done = harm(*args)
        assert done.returncode == 1, args
        assert "Traceback" not in done.stderr
        assert done.stderr.split(":")[0] in ("ConfigError", "ControlError"), done.stderr
    assert hashlib.sha256(cib.read_bytes()).hexdigest() == before


def test_node_standby_and_attributes(cib: Path) -> None:
    assert harm("node", "standby", "--cib", str(cib), "osspc30").returncode == 0
    assert query(load_cib(cib), "osspc30", "standby", Lifetime.FOREVER) == "on"
    assert harm("attribute", "--cib", str(cib), "-N", "osspc31", "-n", "default_ping_set",
                "-U", "0").returncode == 0
    shown = harm("attribute", "--cib", str(cib), "-N", "osspc31", "-n", "default_ping_set",
                 "-Q")
    assert shown.stdout == "0\n"
    assert harm("attribute", "--cib", str(cib), "-N", "osspc31", "-n", "default_ping_set",
                "-D").returncode == 0
    missing = harm("attribute", "--cib", str(cib), "-N", "osspc31", "-n", "default_ping_set",
                   "-Q")
    assert missing.returncode == 1


def test_fail_then_cleanup(cib: Path) -> None:
    assert harm("resource", "fail", "--cib", str(cib), "ms_pgsql", "osspc30").returncode == 0
    state = load_cib(cib).status.node("osspc30")
    assert state is not None and state.attribute("fail-count-r_pgsql#monitor_7000") == "1"
    done = harm("resource", "cleanup", "--cib", str(cib), "ms_pgsql")
    assert done.stderr == "cleaned up r_pgsql on osspc30\n"
    state = load_cib(cib).status.node("osspc30")
    assert state is not None and state.attribute("fail-count-r_pgsql#monitor_7000") is None
