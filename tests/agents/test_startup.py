"""What an agent call imports: cheap actions must not load what they do not use.

Each case runs ``python -m harm.agents NAME ACTION`` the way the launcher does (through
runpy, in a fresh interpreter) and records ``sys.modules`` when the call has finished. A
``monitor`` of a stopped Dummy or Stateful and any ``meta-data`` must not load psycopg,
pyroute2, click, the engine, the CIB model or the daemon, nor does an IPaddr2 monitor; the
control case shows that an action which needs pyroute2 does load it, so the recording sees
lazy imports.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

# run one agent call as ``python -m harm.agents`` does, then list every loaded module
# (the recording itself imports nothing beyond runpy, which ``python -m`` uses too)
RECORD = """
import runpy, sys
out, sys.argv = sys.argv[1], ["harm.agents", *sys.argv[2:]]
try:
    runpy.run_module("harm.agents", run_name="__main__", alter_sys=True)
except SystemExit as done:
    code = done.code
else:
    code = 0
with open(out, "w") as handle:
    handle.write("\\n".join([str(code), *sorted(sys.modules)]))
"""

HEAVY = (
    "psycopg",
    "pyroute2",
    "click",
    "harm.engine",
    "harm.cib.config",
    "harm.cib.status",
    "harm.cib.cib",
    "harm.cib.xml_import",
    "harm.daemon",
    "harm.control",
    "harm.operations",
    "harm.cli",
)


def imported(agent: str, action: str, tmp_path: Path, **params: str) -> tuple[int, set[str]]:
    """Exit code and loaded modules of one call of ``agent`` with ``action``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OCF_", "HARM_"))}
    env.update(
        OCF_ROOT="/usr/lib/ocf",
        OCF_RESOURCE_INSTANCE="t_startup",
        HA_RSCTMP=str(tmp_path / "rsctmp"),
        HARM_ATTRIBUTE_DIR=str(tmp_path / "attrs"),
        PYTHONPATH=str(REPO),
    )
    env.update({f"OCF_RESKEY_{k}": v for k, v in params.items()})
    out = tmp_path / f"{agent}-{action}.modules"
    done = subprocess.run(
        [sys.executable, "-P", "-c", RECORD, str(out), agent, action],
        env=env, capture_output=True, text=True, timeout=120, check=False, cwd=tmp_path,
    )
    if not out.exists():
        pytest.fail(f"{agent} {action} recorded nothing: {done.stderr[-2000:]}")
    code, *modules = out.read_text().split("\n")
    return int(code), set(modules)


def heavy(modules: set[str]) -> list[str]:
    return sorted(m for m in modules if any(m == h or m.startswith(h + ".") for h in HEAVY))


@pytest.mark.parametrize(
    ("agent", "action", "rc"),
    [
        ("Dummy", "monitor", 7),
        ("Stateful", "monitor", 7),
        ("Dummy", "meta-data", 0),
        ("Stateful", "meta-data", 0),
        ("pgsql", "meta-data", 0),
        ("IPaddr2", "meta-data", 0),
        ("ping", "meta-data", 0),
    ],
)
def test_cheap_calls_load_nothing_heavy(agent: str, action: str, rc: int, tmp_path: Path) -> None:
    code, modules = imported(agent, action, tmp_path)
    assert code == rc
    assert "harm.ocf.runner" in modules  # the call really went through the agent library
    assert heavy(modules) == []


def test_pgsql_meta_data_does_not_load_the_actions(tmp_path: Path) -> None:
    code, modules = imported("pgsql", "meta-data", tmp_path)
    assert code == 0
    assert "harm.agents.pgsql.metadata" in modules
    assert not modules & {"harm.agents.pgsql.agent", "harm.agents.pgsql.server", "subprocess"}


def test_a_stopped_monitor_does_not_load_subprocess_or_sockets(tmp_path: Path) -> None:
    for agent in ("Dummy", "Stateful"):
        code, modules = imported(agent, "monitor", tmp_path)
        assert code == 7
        assert not modules & {"subprocess", "socket", "json", "typing", "harm.agents.pgsql"}


def test_ipaddr2_meta_data_opens_no_sockets(tmp_path: Path) -> None:
    code, modules = imported("IPaddr2", "meta-data", tmp_path)
    assert code == 0
    assert not modules & {"socket", "harm.agents.announce"}


def test_a_probe_of_a_stopped_pgsql_loads_no_psycopg(tmp_path: Path) -> None:
    code, modules = imported(
        "pgsql", "monitor", tmp_path,
        pgdata=str(tmp_path / "no-pgdata"), tmpdir=str(tmp_path / "no-tmp"),
    )
    assert code == 7
    assert "harm.agents.pgsql.server" in modules
    assert heavy(modules) == []


def test_an_action_that_needs_pyroute2_loads_it(tmp_path: Path) -> None:
    # start of an address already there (127.0.0.1 on lo): pyroute2 is loaded, nothing is
    # added (EEXIST would be success anyway) and nothing is announced on loopback
    code, modules = imported("IPaddr2", "start", tmp_path, ip="127.0.0.1", nic="lo")
    assert code == 0
    assert "pyroute2" in modules
    assert heavy(modules) == sorted(m for m in modules if m.split(".")[0] == "pyroute2")


def test_an_ipaddr2_monitor_reads_the_kernel_without_pyroute2(tmp_path: Path) -> None:
    # a read-only monitor: the address is on lo (0), absent (7), or lo is not named (0)
    for params, rc in (
        ({"ip": "127.0.0.1", "nic": "lo"}, 0),
        ({"ip": "192.0.2.77", "nic": "lo", "cidr_netmask": "32"}, 7),
        ({"ip": "::1"}, 0),
    ):
        code, modules = imported("IPaddr2", "monitor", tmp_path, **params)
        assert code == rc
        assert "harm.ocf.netlink" in modules
        assert heavy(modules) == []


def test_the_launcher_falls_back_to_the_checkout_in_one_interpreter(tmp_path: Path) -> None:
    # a copy of agents/ beside a checkout without .venv, and a python3 without harm installed
    system_python = Path("/usr/bin/python3")
    probe = subprocess.run(
        [str(system_python), "-c", "import harm"], cwd=tmp_path, capture_output=True,
        timeout=60, check=False,
    )
    assert probe.returncode != 0, "this test needs a python3 without harm installed"
    (tmp_path / "agents").mkdir()
    (tmp_path / "bin").mkdir()
    (tmp_path / "agents" / "ocf-launch").write_bytes((REPO / "agents" / "ocf-launch").read_bytes())
    (tmp_path / "agents" / "ocf-launch").chmod(0o755)
    (tmp_path / "agents" / "Dummy").symlink_to("ocf-launch")
    (tmp_path / "harm").symlink_to(REPO / "harm")
    (tmp_path / "bin" / "python3").symlink_to(system_python)
    env = {
        "PATH": f"{tmp_path / 'bin'}:/usr/bin:/bin",
        "OCF_ROOT": "/usr/lib/ocf",
        "OCF_RESOURCE_INSTANCE": "t_launch",
        "HA_RSCTMP": str(tmp_path / "rsctmp"),
    }

    def call(*argv: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(tmp_path / "agents" / "Dummy"), *argv], env=env, cwd=tmp_path,
            capture_output=True, text=True, timeout=60, check=False,
        )

    reference = subprocess.run(
        [str(REPO / "agents" / "Dummy"), "meta-data"], capture_output=True, text=True,
        timeout=60, check=True,
    ).stdout
    described = call("meta-data")
    assert (described.returncode, described.stdout) == (0, reference)
    assert [call(a).returncode for a in ("monitor", "start", "monitor", "stop")] == [7, 0, 0, 0]
    assert call().returncode == 2
    assert call("frobnicate").returncode == 3


def test_the_working_directory_does_not_shadow_harm(tmp_path: Path) -> None:
    # an executor may start agents anywhere; a harm/ (or json.py) there must not be imported
    (tmp_path / "harm").mkdir()
    (tmp_path / "harm" / "__init__.py").write_text('raise SystemExit("shadowed")\n')
    (tmp_path / "json.py").write_text('raise SystemExit("shadowed")\n')
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("OCF_", "HARM_"))}
    for action, rc in (("meta-data", 0), ("monitor", 7)):
        done = subprocess.run(
            [str(REPO / "agents" / "Dummy"), action], cwd=tmp_path, capture_output=True,
            text=True, timeout=60, check=False,
            env={**clean, "OCF_RESOURCE_INSTANCE": "t_cwd", "HA_RSCTMP": str(tmp_path / "r")},
        )
        assert (done.returncode, done.stderr) == (rc, "")
