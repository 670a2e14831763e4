"""Agent lookup: harm's agents first for harm's providers, then OCF_ROOT."""

from __future__ import annotations

from pathlib import Path

import pytest

from harm.catalog import default_agents_dir
from harm.cib.config import AgentRef
from harm.errors import AgentError
from harm.executor import AgentLocator

from .conftest import STOCK_OCF_ROOT, TEST_AGENTS

HARM_AGENTS = default_agents_dir()


def ocf(provider: str, type_: str) -> AgentRef:
    return AgentRef("ocf", provider, type_)


@pytest.mark.parametrize(
    ("agent", "path", "origin"),
    [
        (ocf("heartbeat", "pgsql"), HARM_AGENTS / "pgsql", "harm"),
        (ocf("heartbeat", "IPaddr2"), HARM_AGENTS / "IPaddr2", "harm"),
        (ocf("pacemaker", "pingd"), HARM_AGENTS / "pingd", "harm"),
        (ocf("harm", "Stateful"), HARM_AGENTS / "Stateful", "harm"),
        # harm has no agent of these names: the stock ones run
        (ocf("heartbeat", "IPaddr"), STOCK_OCF_ROOT / "resource.d/heartbeat/IPaddr", "ocf"),
        (ocf("pacemaker", "ClusterMon"), STOCK_OCF_ROOT / "resource.d/pacemaker/ClusterMon", "ocf"),
    ],
)
def test_default_precedence(agent: AgentRef, path: Path, origin: str) -> None:
    resolved = AgentLocator(HARM_AGENTS, STOCK_OCF_ROOT).resolve(agent)
    assert (resolved.path, resolved.origin) == (path, origin)


def test_stock_agent_runs_when_harm_has_none_of_that_name() -> None:
    resolved = AgentLocator(TEST_AGENTS, STOCK_OCF_ROOT).resolve(ocf("heartbeat", "Dummy"))
    assert resolved.path == STOCK_OCF_ROOT / "resource.d/heartbeat/Dummy"
    assert resolved.origin == "ocf"


def test_other_providers_never_use_harms_directory(tmp_path: Path) -> None:
    (tmp_path / "resource.d/acme").mkdir(parents=True)
    stock = tmp_path / "resource.d/acme/Dummy"
    stock.write_text("#!/bin/sh\nexit 0\n")
    stock.chmod(0o755)
    resolved = AgentLocator(HARM_AGENTS, tmp_path).resolve(ocf("acme", "Dummy"))
    assert resolved.path == stock


def test_ocf_root_from_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("OCF_ROOT", str(tmp_path))
    assert AgentLocator.default().ocf_root == tmp_path


def test_non_executable_file_is_not_an_agent(tmp_path: Path) -> None:
    (tmp_path / "resource.d/acme").mkdir(parents=True)
    (tmp_path / "resource.d/acme/Plain").write_text("#!/bin/sh\n")
    with pytest.raises(AgentError, match="no such agent"):
        AgentLocator(tmp_path / "none", tmp_path).resolve(ocf("acme", "Plain"))


@pytest.mark.parametrize(
    ("agent", "message"),
    [
        (AgentRef("lsb", None, "cron"), "'lsb' class of agents is not supported"),
        (AgentRef("systemd", None, "nginx"), "'systemd' class of agents is not supported"),
        (ocf("heartbeat", "NoSuchAgent"), "no such agent"),
        (AgentRef("ocf", None, "Dummy"), "needs a provider"),
        (ocf("heartbeat", "../pacemaker/Stateful"), "not a valid agent name part"),
        (ocf("..", "Dummy"), "not a valid agent name part"),
    ],
)
def test_errors(agent: AgentRef, message: str) -> None:
    with pytest.raises(AgentError, match=message):
        AgentLocator(HARM_AGENTS, STOCK_OCF_ROOT).resolve(agent)


def test_relative_directories_give_absolute_paths(monkeypatch: pytest.MonkeyPatch) -> None:
    """Agents run with cwd /, so a path relative to the daemon's cwd would not be found."""
    monkeypatch.chdir(TEST_AGENTS.parent)
    resolved = AgentLocator(Path("agents"), STOCK_OCF_ROOT).resolve(ocf("harm", "Slow"))
    assert resolved.path == TEST_AGENTS / "Slow"
    assert resolved.path.is_absolute()
