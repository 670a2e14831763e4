"""Agent names say which agent runs: what ``harm configure verify/show --agents`` and
``harm resource agents`` print, and the warning a substitute gets at load."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from harm.catalog import default_agents_dir

from ..crmsh.seed import corrected_seed_text

HARM = [sys.executable, "-m", "harm.cli.main"]
STOCK = Path("/usr/lib/ocf/resource.d")


def harm(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*HARM, *args], capture_output=True, text=True, timeout=120,
                          env={**os.environ, **(env or {})}, check=False)


def test_the_seed_as_printed_runs_stock_agents_and_warns_for_pingd(tmp_path: Path) -> None:
    """With resource-agents and Pacemaker's agents installed the seed's names run the stock
    pgsql and IPaddr2; ocf:pacemaker:pingd left Pacemaker, so harm's pingd stands in and
    the load says so."""
    seed = tmp_path / "crm_conf.txt"
    seed.write_text(corrected_seed_text())
    cib = tmp_path / "cib.xml"
    done = harm("configure", "--cib", str(cib), "verify", "--agents", str(seed))
    assert done.returncode == 0, done.stderr
    assert "warning: r_pingd: ocf:pacemaker:pingd: no stock agent is installed" in done.stderr
    assert "name it ocf:harm:pingd" in done.stderr
    lines = done.stdout.splitlines()
    assert f"r_pgsql  ocf:heartbeat:pgsql → {STOCK}/heartbeat/pgsql (stock)" in lines
    assert f"r_service_vip  ocf:heartbeat:IPaddr2 → {STOCK}/heartbeat/IPaddr2 (stock)" in lines
    pingd = default_agents_dir().absolute() / "pingd"
    assert f"r_pingd  ocf:pacemaker:pingd → {pingd} (harm's, no stock agent installed)" \
        in lines


def test_without_stock_agents_the_seed_still_loads_on_harms(tmp_path: Path) -> None:
    """The seed keeps working either way: under an OCF_ROOT without agents every stock
    name is a substitute (a warning each), and the load succeeds."""
    seed = tmp_path / "crm_conf.txt"
    seed.write_text(corrected_seed_text())
    cib = tmp_path / "cib.xml"
    env = {"OCF_ROOT": str(tmp_path / "empty-ocf")}
    done = harm("configure", "--cib", str(cib), "load", "update", str(seed), env=env)
    assert done.returncode == 0, done.stderr
    for rsc in ("r_service_vip", "r_replication_vip", "r_pgsql", "r_pingd"):
        assert f"warning: {rsc}: ocf:" in done.stderr
    shown = harm("configure", "--cib", str(cib), "show", "--agents", "r_pgsql", env=env)
    assert shown.stdout == (f"r_pgsql  ocf:heartbeat:pgsql → "
                            f"{default_agents_dir().absolute() / 'pgsql'} "
                            "(harm's, no stock agent installed)\n")


def test_harm_resource_agents_names_the_files(tmp_path: Path) -> None:
    config = tmp_path / "lab.crm"
    config.write_text("primitive own ocf:harm:Dummy\n"
                      "primitive stock ocf:pacemaker:Stateful\n"
                      "primitive init lsb:harm-no-such-script\n"
                      "ms ms_stock stock\n")
    cib = tmp_path / "cib.xml"
    loaded = harm("configure", "--cib", str(cib), "load", "update", str(config))
    assert loaded.returncode != 0  # the init script does not exist: refused, by position
    assert "lab.crm:3:16: unknown resource agent lsb:harm-no-such-script" in loaded.stderr
    config.write_text(config.read_text().replace("primitive init lsb:harm-no-such-script\n",
                                                 ""))
    loaded = harm("configure", "--cib", str(cib), "load", "update", str(config))
    assert loaded.returncode == 0, loaded.stderr
    assert "warning" not in loaded.stderr
    done = harm("resource", "agents", "--cib", str(cib), "ms_stock")
    assert done.stdout == (f"stock  ocf:pacemaker:Stateful → {STOCK}/pacemaker/Stateful "
                           "(stock)\n")
    every = harm("resource", "agents", "--cib", str(cib)).stdout.splitlines()
    assert every[0] == f"own  ocf:harm:Dummy → {default_agents_dir().absolute() / 'Dummy'} " \
        "(harm's)"
