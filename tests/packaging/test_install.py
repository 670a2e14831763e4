"""harm installs as a normal (non-editable) package: modules, agents and console scripts."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
         "-w", str(out), str(REPO)],
        check=True, timeout=600, capture_output=True,
    )
    [built] = out.glob("harm-*.whl")
    return built


def test_the_wheel_holds_the_package_the_agents_and_the_scripts(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    assert "harm/cli/main.py" in names
    assert "harm/py.typed" in names
    agents = {n.rsplit("/", 1)[1] for n in names if ".data/data/share/harm/agents/" in n}
    assert {"pgsql", "IPaddr2", "ping", "pingd", "Dummy", "Stateful", "ocf-launch"} <= agents
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    text = zipfile.ZipFile(wheel).read(entry_points).decode()
    for script in ("harm = harm.cli.main:main", "harmd = harm.daemon.main:main",
                   "harm_mon = harm.mon.main:main"):
        assert script in text


def test_the_installed_package_runs_outside_the_checkout(wheel: Path, tmp_path: Path) -> None:
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target",
                    str(target), str(wheel)], check=True, timeout=600, capture_output=True)
    env = {**os.environ, "PYTHONPATH": str(target)}
    done = subprocess.run(
        [sys.executable, "-c", "import harm, harm.cli.main as m; print(harm.__file__); "
         "raise SystemExit(m.main(['--version']))"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120, check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0].startswith(str(target))
    assert "harm, version" in done.stdout


@pytest.fixture(scope="module")
def venv(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtualenv outside the checkout with the wheel installed (not editable),
    its dependencies from the package index as a user would get them."""
    root = tmp_path_factory.mktemp("fresh") / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(root)], check=True, timeout=300)
    subprocess.run([str(root / "bin" / "pip"), "install", "-q", str(wheel)], check=True,
                   timeout=900, capture_output=True, cwd=root.parent)
    return root


def clean_env(**extra: str) -> dict[str, str]:
    """The environment of a user's shell: nothing pointing at the checkout or its venv."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("HARM_", "OCF_", "PYTHON", "VIRTUAL_ENV"))}
    env["PATH"] = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
    return {**env, **extra}


def test_the_fresh_install_imports_harm_from_the_venv(venv: Path) -> None:
    done = subprocess.run([str(venv / "bin" / "python"), "-c", "import harm; print(harm.__file__)"],
                          capture_output=True, text=True, timeout=60, env=clean_env(), cwd="/",
                          check=True)
    assert done.stdout.startswith(str(venv))
    assert (venv / "share" / "harm" / "configs" / "pgsql-lab-stock.crm").is_file()


def test_installed_agents_run_from_an_ocf_root_of_their_own(venv: Path, tmp_path: Path) -> None:
    """The installed agents copied (as a distribution package would) or linked into
    OCF_ROOT/resource.d/harm: with harmd's HARM_PYTHON a copy imports the venv's harm; a
    link finds the installation's interpreter by itself."""
    agents = venv / "share" / "harm" / "agents"
    provider = tmp_path / "ocf" / "resource.d" / "harm"
    provider.mkdir(parents=True)
    shutil.copy2(agents / "IPaddr2", provider / "IPaddr2")
    (provider / "Dummy").symlink_to(agents / "Dummy")
    env = clean_env(OCF_ROOT=str(tmp_path / "ocf"), HA_RSCTMP=str(tmp_path),
                    OCF_RESOURCE_INSTANCE="t", OCF_RESKEY_ip="127.0.0.1", OCF_RESKEY_nic="lo")
    python = str(venv / "bin" / "python")
    monitor = subprocess.run([str(provider / "IPaddr2"), "monitor"], capture_output=True,
                             text=True, timeout=60, env={**env, "HARM_PYTHON": python}, check=False)
    assert monitor.returncode == 0, monitor.stderr  # 127.0.0.1 is on lo
    probe = subprocess.run([str(provider / "Dummy"), "monitor"], capture_output=True,
                           text=True, timeout=60, env=env, check=False)
    assert probe.returncode == 7, probe.stderr
    locator_env = clean_env(OCF_ROOT=str(tmp_path / "ocf"), HARM_AGENTS_DIR=str(tmp_path / "x"))
    where = subprocess.run(
        [python, "-c", "from harm.executor import AgentLocator; from harm.cib.config import "
         "AgentRef; print(AgentLocator.default().resolve(AgentRef('ocf', 'harm', 'Dummy')).path)"],
        capture_output=True, text=True, timeout=60, env=locator_env, cwd="/", check=True)
    assert where.stdout.strip() == str(provider / "Dummy")


@pytest.mark.netns
@pytest.mark.postgres
def test_the_demo_from_a_fresh_install_reaches_primary_and_sync_standby(venv: Path) -> None:
    """``harm lab up --demo`` of the installed package, run from outside the checkout:
    harmd runs the agents with the venv's interpreter (the system python3 has no psycopg),
    so pgsql gets its primary and its synchronous standby."""
    name = "hpkg"
    harm = str(venv / "bin" / "harm")
    env = clean_env()
    # cwd /: the lab runs initdb as postgres in the caller's directory, which must be one
    # postgres can enter (pytest's temporary directories are not)
    subprocess.run([harm, "lab", "down", "--name", name], env=env, cwd="/",
                   capture_output=True, timeout=300, check=False)
    try:
        done = subprocess.run([harm, "lab", "up", "--demo", "--name", name], env=env,
                              cwd="/", capture_output=True, text=True, timeout=900,
                              check=False)
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
        assert "is PRI" in done.stdout and "is HS:sync" in done.stdout
        assert str(venv / "share" / "harm" / "configs" / "pgsql-lab.crm") in done.stdout
    finally:
        subprocess.run([harm, "lab", "down", "--name", name], env=env, cwd="/",
                       capture_output=True, timeout=300, check=False)
