"""harm installs as a normal (non-editable) package: modules, agents and console scripts."""

from __future__ import annotations

import os
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
