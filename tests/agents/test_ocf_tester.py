"""Debian's ocf-tester and the resource-agents DTD against every harm agent."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from .pgnode import pg_lab

REPO = Path(__file__).resolve().parents[2]
AGENTS = REPO / "agents"
DTD = Path("/usr/share/resource-agents/ra-api-1.dtd")
ALL = ("Dummy", "Stateful", "IPaddr2", "ping", "pingd", "pgsql")


def ocf_tester(agent: str, name: str, params: dict[str, str], env: dict[str, str]) -> str:
    argv = ["ocf-tester", "-v", "-n", name]
    for key, value in params.items():
        argv += ["-o", f"{key}={value}"]
    clean = {k: v for k, v in os.environ.items() if not k.startswith("OCF_")}
    done = subprocess.run(
        [*argv, str(AGENTS / agent)], env={**clean, **env}, capture_output=True, text=True,
        timeout=600, check=False,
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert "passed all tests" in done.stdout
    return done.stdout


@pytest.mark.parametrize("agent", ALL)
def test_meta_data_is_dtd_valid_and_readable_by_nobody(agent: str) -> None:
    xml = subprocess.run(
        ["su", "nobody", "-s", "/bin/sh", "-c", f"{AGENTS / agent} meta-data"],
        capture_output=True, text=True, timeout=60, check=True,
    ).stdout
    done = subprocess.run(
        ["xmllint", "--noout", "--dtdvalid", str(DTD), "-"], input=xml,
        capture_output=True, text=True, timeout=60, check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "<resource-agent name=" in xml


def test_unknown_action_and_usage() -> None:
    done = subprocess.run(
        [str(AGENTS / "Dummy"), "frobnicate"], capture_output=True, timeout=60, check=False
    )
    assert done.returncode == 3
    done = subprocess.run([str(AGENTS / "Dummy")], capture_output=True, timeout=60, check=False)
    assert done.returncode == 2


@pytest.mark.parametrize("agent", ["Dummy", "Stateful"])
def test_ocf_tester_passes_for_test_agents(agent: str, tmp_path: Path) -> None:
    env = {"HA_RSCTMP": str(tmp_path / "rsc"), "HARM_ATTRIBUTE_DIR": str(tmp_path / "attrs")}
    ocf_tester(agent, f"t_{agent.lower()}", {}, env)
    if agent == "Stateful":
        # stopped at the end: its promotion score is gone
        assert not list((tmp_path / "attrs").rglob("master-*"))


@pytest.mark.postgres
@pytest.mark.slow
def test_ocf_tester_passes_for_pgsql() -> None:
    with pg_lab("n1", "n2") as lab:
        node = lab.nodes["n1"]
        lab.initdb(node)
        env = node.env()
        params = {
            k[len("OCF_RESKEY_"):]: v
            for k, v in env.items()
            if k.startswith("OCF_RESKEY_") and "CRM_meta" not in k
        }
        meta = {k: v for k, v in env.items() if k.startswith("OCF_RESKEY_CRM_meta")}
        out = ocf_tester(
            "pgsql", "r_pgsql", params, {**meta, "HARM_ATTRIBUTE_DIR": str(lab.attrs)}
        )
        assert "Promoting resource" in out
        assert not node.lock.exists()  # every demote was clean
        assert node.attr("r_pgsql-status") == "STOP"




def test_launcher_copied_out_of_the_checkout_uses_the_installed_harm(tmp_path: Path) -> None:
    """As in /usr/lib/ocf/resource.d/harm/: no checkout beside it, harm importable by python3."""
    provider = tmp_path / "resource.d" / "harm"
    provider.mkdir(parents=True)
    launcher = provider / "Dummy"
    launcher.write_bytes((AGENTS / "ocf-launch").read_bytes())
    launcher.chmod(0o755)
    bindir = tmp_path / "bin"
    bindir.mkdir()
    # harm installed here (a wrapper, not a link: a linked venv interpreter loses its venv)
    (bindir / "python3").write_text(f'#!/bin/sh\nexec {REPO / ".venv" / "bin" / "python"} "$@"\n')
    (bindir / "python3").chmod(0o755)
    env = {
        "PATH": f"{bindir}:/usr/bin:/bin",
        "OCF_RESOURCE_INSTANCE": "d1",
        "HA_RSCTMP": str(tmp_path / "rsc"),
    }
    for action, rc in (("monitor", 7), ("start", 0), ("monitor", 0), ("stop", 0)):
        done = subprocess.run([str(launcher), action], env=env, capture_output=True,
                              text=True, timeout=60, check=False)
        assert done.returncode == rc, done.stderr
    env["HARM_PYTHON"] = "/nonexistent/python"
    done = subprocess.run([str(launcher), "monitor"], env=env, capture_output=True,
                          text=True, timeout=60, check=False)
    assert done.returncode != 0  # HARM_PYTHON wins over everything else


# the combinations of the stock agent's meta-data beyond nic+cidr_netmask (tested in
# test_ipaddr2.py): nic and prefix found from the node's routes, a dotted netmask with a
# given broadcast, the nic:label form, a /32 outside every network, loopback found by
# itself, IPv6 found by route (ocf-tester takes ~13 s a set on a loaded machine)
IPADDR2_SETS = [
    {"ip": "10.98.6.11"},
    {"ip": "10.98.6.12", "cidr_netmask": "255.255.255.0", "broadcast": "10.98.6.255"},
    {"ip": "10.98.6.13", "nic": "va:svc"},
    {"ip": "10.97.6.15", "nic": "va", "cidr_netmask": "32"},
    {"ip": "127.0.0.20"},
    {"ip": "fd00:98:6::17", "nodad": "true"},
]


@pytest.mark.netns
@pytest.mark.parametrize("params", IPADDR2_SETS, ids=lambda p: "-".join(p.values()))
def test_ocf_tester_passes_for_ipaddr2(params: dict[str, str]) -> None:
    from .netns import in_ns, ip, veth_lab

    with veth_lab() as ns:
        ip("-n", ns, "addr", "add", "10.98.6.1/24", "dev", "va")
        ip("-n", ns, "addr", "add", "fd00:98:6::1/64", "dev", "va", "nodad")
        argv = ["ocf-tester", "-n", "vip"]
        for key, value in {**params, "arp_count": "1", "arp_interval": "50"}.items():
            argv += ["-o", f"{key}={value}"]
        env = {k: v for k, v in os.environ.items() if not k.startswith("OCF_")}
        done = in_ns(ns, [*argv, str(AGENTS / "IPaddr2")], env=env, timeout=300)
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
        assert "passed all tests" in done.stdout
        left = in_ns(ns, ["ip", "addr", "show"]).stdout
        assert params["ip"] not in left  # the tester's last stop removed it
