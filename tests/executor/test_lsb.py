"""lsb:NAME and service:NAME: a real init script started, monitored and stopped, and LSB's
exit codes mapped as Pacemaker maps them."""

from __future__ import annotations

import contextlib
import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from harm.cib.config import AgentRef
from harm.cib.status import ExecStatus, OcfRc
from harm.executor import AgentLocator, Executor, NodeContext, OpRequest
from harm.executor.lsb import ocf_rc

from .conftest import STOCK_OCF_ROOT, TEST_AGENTS

WAIT = 60.0

# an init script in LSB's manner: a daemon in a session of its own, a pid file, and
# status 0 running / 1 dead with a pid file left / 3 not running
SCRIPT = """#!/bin/sh
PIDFILE={pidfile}
LOG={log}
echo "$1 $(env | grep -c '^OCF_')" >> "$LOG"
running() {{ [ -f "$PIDFILE" ] && ps -o stat= -p "$(cat "$PIDFILE")" | grep -qv Z; }}
case "$1" in
start)
    running && exit 0
    setsid sleep 600 </dev/null >/dev/null 2>&1 &
    echo $! > "$PIDFILE"
    exit 0 ;;
stop)
    if running; then kill "$(cat "$PIDFILE")"; fi
    rm -f "$PIDFILE"
    exit 0 ;;
status)
    running && exit 0
    [ -f "$PIDFILE" ] && exit 1
    exit 3 ;;
reload) exit 9 ;;
*) exit 2 ;;
esac
"""


@pytest.fixture
def service(tmp_path: Path) -> Iterator[tuple[Path, Path, Path]]:
    init_dir = tmp_path / "init.d"
    init_dir.mkdir()
    pidfile, log = tmp_path / "svc.pid", tmp_path / "calls.log"
    script = init_dir / "harmsvc"
    script.write_text(SCRIPT.format(pidfile=pidfile, log=log))
    script.chmod(0o755)
    yield init_dir, pidfile, log
    if pidfile.exists():  # the test failed half way: stop what it started
        with contextlib.suppress(ProcessLookupError, ValueError):
            os.kill(int(pidfile.read_text()), signal.SIGKILL)


@pytest.mark.parametrize("cls", ["lsb", "service"])
def test_an_init_script_started_monitored_stopped(
    cls: str, service: tuple[Path, Path, Path], rsctmp: Path
) -> None:
    init_dir, pidfile, log = service
    node = NodeContext("node1", "1", rsctmp, ocf_root=STOCK_OCF_ROOT)
    agent = AgentRef(cls, None, "harmsvc")
    locator = AgentLocator(TEST_AGENTS, STOCK_OCF_ROOT, init_dir=init_dir)
    with Executor(node, locator) as executor:
        def run(action: str, interval_ms: int = 0) -> tuple[ExecStatus, int]:
            result = executor.run(OpRequest("svc", agent, action, interval_ms=interval_ms,
                                            target_rc=7 if action == "monitor" else 0), WAIT)
            if interval_ms:
                executor.cancel("svc", action, interval_ms)
            return result.status, result.rc

        assert run("monitor") == (ExecStatus.DONE, OcfRc.NOT_RUNNING)  # probe: status 3
        assert run("start") == (ExecStatus.DONE, OcfRc.OK)
        pid = int(pidfile.read_text())
        os.kill(pid, 0)  # the daemon runs, outside the script's process group
        assert run("monitor", 10_000) == (ExecStatus.DONE, OcfRc.OK)
        os.kill(pid, signal.SIGKILL)  # it dies and leaves its pid file: status 1
        _wait_dead(pid)
        assert run("monitor") == (ExecStatus.DONE, OcfRc.NOT_RUNNING)
        assert run("start") == (ExecStatus.DONE, OcfRc.OK)
        assert run("stop") == (ExecStatus.DONE, OcfRc.OK)
        assert not pidfile.exists()
        assert run("monitor") == (ExecStatus.DONE, OcfRc.NOT_RUNNING)
        assert run("stop") == (ExecStatus.DONE, OcfRc.OK)  # stopped already: success
        assert run("reload") == (ExecStatus.DONE, OcfRc.ERR_GENERIC)  # 9: beyond LSB's 0-7
    calls = log.read_text().split("\n")
    assert calls[0] == "status 0"  # monitor runs status, with no OCF variable at all
    assert {line.split()[0] for line in calls if line} == {"status", "start", "stop", "reload"}


def _wait_dead(pid: int) -> None:
    """Until ``pid`` is gone or a zombie (its reaper may be slow)."""
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except (FileNotFoundError, IndexError):
            return
        if state in ("Z", "X"):
            return
        time.sleep(0.05)
    raise AssertionError(f"{pid} did not die")


@pytest.mark.parametrize(
    ("action", "status", "rc"),
    [("status", 0, 0), ("monitor", 1, 7), ("monitor", 2, 7), ("monitor", 3, 7),
     ("monitor", 4, 1), ("monitor", 150, 5), ("monitor", 151, 4), ("monitor", 7, 1),
     ("start", 0, 0), ("start", 1, 1), ("start", 5, 5), ("stop", 7, 7), ("start", 8, 1),
     ("stop", 200, 1)],
)
def test_lsb_exit_codes_as_pacemaker_maps_them(action: str, status: int, rc: int) -> None:
    assert ocf_rc(action, status) == rc
