"""Agent lookup: ocf:harm is harm's, the stock providers the stock agents (harm's only as a
substitute), other providers OCF_ROOT; lsb/service init scripts."""

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
        (ocf("harm", "pgsql"), HARM_AGENTS / "pgsql", "harm"),
        (ocf("harm", "IPaddr2"), HARM_AGENTS / "IPaddr2", "harm"),
        (ocf("harm", "Stateful"), HARM_AGENTS / "Stateful", "harm"),
        # the stock names run the stock agents when they are installed
        (ocf("heartbeat", "pgsql"), STOCK_OCF_ROOT / "resource.d/heartbeat/pgsql", "ocf"),
        (ocf("heartbeat", "IPaddr2"), STOCK_OCF_ROOT / "resource.d/heartbeat/IPaddr2", "ocf"),
        (ocf("pacemaker", "ping"), STOCK_OCF_ROOT / "resource.d/pacemaker/ping", "ocf"),
        (ocf("pacemaker", "Stateful"), STOCK_OCF_ROOT / "resource.d/pacemaker/Stateful", "ocf"),
        (ocf("heartbeat", "IPaddr"), STOCK_OCF_ROOT / "resource.d/heartbeat/IPaddr", "ocf"),
        # and harm's agent of the name only when there is no stock one (pingd left
        # Pacemaker in 1.1)
        (ocf("pacemaker", "pingd"), HARM_AGENTS / "pingd", "harm-substitute"),
    ],
)
def test_default_precedence(agent: AgentRef, path: Path, origin: str) -> None:
    resolved = AgentLocator(HARM_AGENTS, STOCK_OCF_ROOT).resolve(agent)
    assert (resolved.path, resolved.origin) == (path, origin)


def test_stock_agent_runs_when_harm_has_none_of_that_name() -> None:
    resolved = AgentLocator(TEST_AGENTS, STOCK_OCF_ROOT).resolve(ocf("heartbeat", "Dummy"))
    assert resolved.path == STOCK_OCF_ROOT / "resource.d/heartbeat/Dummy"
    assert resolved.origin == "ocf"


def test_a_substitute_says_so(tmp_path: Path) -> None:
    """Without stock agents (an empty OCF_ROOT) the stock names run harm's agents, and
    the resolution carries the warning configuration checks print."""
    resolved = AgentLocator(HARM_AGENTS, tmp_path).resolve(ocf("heartbeat", "pgsql"))
    assert (resolved.path, resolved.origin) == (HARM_AGENTS / "pgsql", "harm-substitute")
    warning = resolved.warning()
    assert warning is not None and "ocf:harm:pgsql" in warning and "no stock agent" in warning
    assert AgentLocator(HARM_AGENTS, STOCK_OCF_ROOT).resolve(
        ocf("harm", "pgsql")).warning() is None


def test_harm_provider_installed_under_ocf_root(tmp_path: Path) -> None:
    """harm's agents linked into OCF_ROOT/resource.d/harm answer ocf:harm:TYPE when the
    installation's own directory is not there."""
    (tmp_path / "resource.d/harm").mkdir(parents=True)
    (tmp_path / "resource.d/harm/IPaddr2").symlink_to(HARM_AGENTS / "IPaddr2")
    resolved = AgentLocator(tmp_path / "none", tmp_path).resolve(ocf("harm", "IPaddr2"))
    assert resolved.path == tmp_path / "resource.d/harm/IPaddr2"
    assert resolved.origin == "harm"


def test_lsb_and_service_are_init_scripts(tmp_path: Path) -> None:
    script = tmp_path / "myservice"
    script.write_text("#!/bin/sh\nexit 0\n")
    script.chmod(0o755)
    locator = AgentLocator(HARM_AGENTS, STOCK_OCF_ROOT, init_dir=tmp_path)
    for cls in ("lsb", "service"):
        resolved = locator.resolve(AgentRef(cls, None, "myservice"))
        assert (resolved.path, resolved.origin) == (script, "lsb")
    with pytest.raises(AgentError, match="no such init script"):
        locator.resolve(AgentRef("service", None, "nosuch"))


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
        (AgentRef("lsb", None, "harm-no-such-script"), "no such init script"),
        (AgentRef("systemd", None, "nginx"), "'systemd' class of agents is not supported"),
        (AgentRef("stonith", None, "fence_ipmilan"), "'stonith' class of agents is not"),
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
