"""Fixtures for the executor tests: a temp HA_RSCTMP, real agents, executors that close."""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from harm.executor import AgentLocator, Executor, NodeContext, OpResult

TEST_AGENTS = Path(__file__).resolve().parent / "agents"
STOCK_OCF_ROOT = Path("/usr/lib/ocf")


class Recorder:
    """A listener that keeps every reported result, and can wait for the n-th."""

    def __init__(self) -> None:
        self.results: list[OpResult] = []
        self._cond = threading.Condition()

    def __call__(self, result: OpResult) -> None:
        with self._cond:
            self.results.append(result)
            self._cond.notify_all()

    def wait_for(self, count: int, timeout: float = 60.0) -> list[OpResult]:
        with self._cond:
            if not self._cond.wait_for(lambda: len(self.results) >= count, timeout):
                raise AssertionError(f"only {len(self.results)} of {count} results came")
            return list(self.results)

    def snapshot(self) -> list[OpResult]:
        with self._cond:
            return list(self.results)


@pytest.fixture
def rsctmp(tmp_path: Path) -> Path:
    path = tmp_path / "rsctmp"
    path.mkdir()
    return path


@pytest.fixture
def node(rsctmp: Path) -> NodeContext:
    return NodeContext(uname="node1", uuid="1", rsctmp=rsctmp, ocf_root=STOCK_OCF_ROOT)


@pytest.fixture
def locator() -> AgentLocator:
    """harm's agents replaced by the test agents, so stock Dummy/Stateful run from OCF_ROOT."""
    return AgentLocator(agents_dir=TEST_AGENTS, ocf_root=STOCK_OCF_ROOT)


@pytest.fixture
def make_executor(
    node: NodeContext, locator: AgentLocator
) -> Iterator[Callable[..., tuple[Executor, Recorder]]]:
    made: list[Executor] = []

    def make(**kwargs: object) -> tuple[Executor, Recorder]:
        recorder = Recorder()
        executor = Executor(node, locator, recorder, **kwargs)  # type: ignore[arg-type]
        made.append(executor)
        return executor, recorder

    yield make
    for executor in made:
        executor.close()


@pytest.fixture
def pidfiles(tmp_path: Path) -> Iterator[Callable[[str], Path]]:
    """Paths for agents to write child pids into; a pid still alive at the end is killed
    with its whole process group."""
    made: list[Path] = []

    def pidfile(name: str) -> Path:
        path = tmp_path / f"{name}.pid"
        made.append(path)
        return path

    yield pidfile
    for path in made:
        if path.exists():
            text = path.read_text().strip()
            if text.isdigit() and process_alive(int(text)):
                os.killpg(os.getpgid(int(text)), signal.SIGKILL)


def process_alive(pid: int) -> bool:
    """Alive and not a zombie (a zombie holds no resources and runs nothing)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            data = stat.read()
    except FileNotFoundError:
        return False
    state = data[data.rfind(b")") + 2 :].split()[0]
    return state not in (b"Z", b"X")
