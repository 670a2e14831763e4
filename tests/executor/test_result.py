"""Exit reasons, failed starts of the agent program, and results cut short by a signal."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from harm.cib.config import AgentRef
from harm.cib.status import ExecStatus, OcfRc
from harm.executor import AgentLocator, Executor, NodeContext, OpRequest
from harm.executor.result import exit_reason

from .conftest import Recorder

Make = Callable[..., tuple[Executor, Recorder]]


@pytest.mark.parametrize(
    ("stderr", "reason"),
    [
        ("", None),
        ("plain noise\n", None),
        ("ocf-exit-reason:first\nmore\nocf-exit-reason:second\n", "second"),
        ("INFO: x ocf-exit-reason:  spaced out  \n", "spaced out"),
        ("ocf-exit-reason:\n", None),
        ("ocf-exit-reason:" + "x" * 300, "x" * 128),
        ("ocf-exit-reason:no newline at the end", "no newline at the end"),
    ],
)
def test_exit_reason(stderr: str, reason: str | None) -> None:
    assert exit_reason(stderr) == reason


def write_agent(root: Path, name: str, text: str) -> AgentRef:
    directory = root / "resource.d" / "acme"
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_text(text)
    path.chmod(0o755)
    return AgentRef("ocf", "acme", name)


def test_program_that_cannot_be_executed(node: NodeContext, tmp_path: Path) -> None:
    garbage = write_agent(tmp_path, "Garbage", "\x7fELF not really\n")
    with Executor(node, AgentLocator(tmp_path / "none", tmp_path)) as executor:
        result = executor.run(OpRequest("g", garbage, "start"), 60)
    assert (result.status, result.rc) == (ExecStatus.NOT_INSTALLED, OcfRc.ERR_INSTALLED)
    assert result.exit_reason is not None and "cannot run" in result.exit_reason


def test_agent_killed_by_a_signal(node: NodeContext, tmp_path: Path) -> None:
    suicidal = write_agent(tmp_path, "Suicidal", "#!/bin/sh\nkill -KILL $$\n")
    with Executor(node, AgentLocator(tmp_path / "none", tmp_path)) as executor:
        result = executor.run(OpRequest("k", suicidal, "monitor"), 60)
    assert (result.status, result.rc) == (ExecStatus.ERROR, OcfRc.ERR_GENERIC)
    assert result.exit_reason == "agent interrupted by signal 9"
    assert result.failed
