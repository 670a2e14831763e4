"""Agent processes: own session, output capture, and no survivors after a timeout."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from harm.errors import AgentError
from harm.executor.process import CancelToken, group_alive, run_in_group

from .conftest import TEST_AGENTS, process_alive

BASE_ENV = {"PATH": "/usr/bin:/bin"}


def wait_for_file(path: Path, timeout: float = 10.0) -> str:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if path.exists() and path.read_text().strip():
            return path.read_text().strip()
        time.sleep(0.02)
    raise AssertionError(f"{path} was never written")


def test_output_and_exit_code(tmp_path: Path) -> None:
    env = {**BASE_ENV, "HA_RSCTMP": str(tmp_path), "OCF_RESOURCE_INSTANCE": "e",
           "OCF_RESKEY_rc": "6", "OCF_RESKEY_reason": "bad"}
    outcome = run_in_group([str(TEST_AGENTS / "Echo"), "start"], env, timeout=30)
    assert outcome.returncode == 6
    assert not outcome.timed_out
    assert outcome.signals == ()
    assert outcome.stdout == "echo agent ran start\n"
    assert outcome.stderr == "some diagnostics\nocf-exit-reason:bad\n"


def test_agent_runs_in_its_own_session(tmp_path: Path) -> None:
    script = tmp_path / "ids"
    script.write_text("#!/bin/sh\nps -o pid=,pgid=,sid= -p $$\n")
    script.chmod(0o755)
    outcome = run_in_group([str(script)], BASE_ENV, timeout=30)
    pid, pgid, sid = outcome.stdout.split()
    assert pid == pgid == sid
    assert int(sid) != os.getsid(0)


def test_timeout_kills_the_whole_group(
    tmp_path: Path, pidfiles: Callable[[str], Path]
) -> None:
    """The agent and its child both ignore SIGTERM: SIGKILL after the grace ends them."""
    pidfile = pidfiles("forker")
    env = {**BASE_ENV, "OCF_RESKEY_pidfile": str(pidfile)}
    outcome = run_in_group([str(TEST_AGENTS / "Forker"), "start"], env, timeout=2.0, grace=0.5)
    child = int(wait_for_file(pidfile))
    assert outcome.timed_out
    assert outcome.returncode is None
    assert outcome.signals == ("SIGTERM", "SIGKILL")
    assert not process_alive(child)


def test_sigterm_is_enough_for_a_polite_agent() -> None:
    outcome = run_in_group([str(TEST_AGENTS / "Hang"), "start"], BASE_ENV, timeout=0.5, grace=30)
    assert outcome.timed_out
    assert outcome.signals == ("SIGTERM",)
    assert outcome.exec_ms < 30_000  # it did not wait for the grace to run out


def test_child_holding_the_pipes_does_not_block_the_call(
    pidfiles: Callable[[str], Path],
) -> None:
    """Like a service started with ``&``: the call ends when the agent exits."""
    pidfile = pidfiles("background")
    env = {**BASE_ENV, "OCF_RESKEY_pidfile": str(pidfile), "OCF_RESKEY_leader": "exit"}
    outcome = run_in_group([str(TEST_AGENTS / "Forker"), "start"], env, timeout=60)
    child = int(wait_for_file(pidfile))
    assert outcome.returncode == 0
    assert not outcome.timed_out
    assert process_alive(child)  # not the executor's to kill: the agent finished on time
    assert child in group_alive(os.getpgid(child))


def test_unrunnable_program(tmp_path: Path) -> None:
    text = tmp_path / "not-executable"
    text.write_text("hello\n")
    with pytest.raises(AgentError, match="cannot run"):
        run_in_group([str(text)], BASE_ENV, timeout=5)


def test_cancel_token_ends_the_call_and_the_group(pidfiles: Callable[[str], Path]) -> None:
    pidfile = pidfiles("cancelled")
    env = {**BASE_ENV, "OCF_RESKEY_pidfile": str(pidfile)}
    token = CancelToken()

    def cancel_once_forked() -> None:
        wait_for_file(pidfile, timeout=60)
        token.cancel()

    canceller = threading.Thread(target=cancel_once_forked)
    canceller.start()
    try:
        outcome = run_in_group(
            [str(TEST_AGENTS / "Forker"), "monitor"], env, timeout=600, grace=0.5, token=token
        )
    finally:
        canceller.join()
        token.close()
    assert outcome.cancelled and not outcome.timed_out
    assert outcome.returncode is None
    assert outcome.signals == ("SIGTERM", "SIGKILL")
    assert not process_alive(int(wait_for_file(pidfile)))
    token.cancel()  # after close: harmless


def test_token_cancelled_before_the_call_starts() -> None:
    token = CancelToken()
    token.cancel()
    try:
        outcome = run_in_group([str(TEST_AGENTS / "Hang"), "start"], BASE_ENV, timeout=600,
                               token=token)
    finally:
        token.close()
    assert outcome.cancelled
