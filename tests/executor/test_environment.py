"""The OCF environment an agent is called with."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from harm.cib.config import AgentRef, Role
from harm.executor import CloneInfo, NodeContext, NotifyInfo, OpRequest, Peer, agent_environment

PGSQL = AgentRef("ocf", "heartbeat", "pgsql")
NODE = NodeContext(uname="osspc30", uuid="101", rsctmp=Path("/run/harm/rsctmp"))


def test_basic_names() -> None:
    request = OpRequest(
        rsc="r_pgsql:0",
        agent=PGSQL,
        action="monitor",
        interval_ms=7000,
        timeout_ms=60000,
        params=(("rep_mode", "sync"), ("node_list", "osspc30 osspc31")),
        meta=(("migration-threshold", "1"),),
        role=Role.PROMOTED,
        op_params=(("OCF_CHECK_LEVEL", "10"),),
    )
    env = agent_environment(request, NODE, inherited={"HOME": "/root", "LANG": "C.UTF-8"})
    assert env["OCF_ROOT"] == "/usr/lib/ocf"
    assert (env["OCF_RA_VERSION_MAJOR"], env["OCF_RA_VERSION_MINOR"]) == ("1", "1")
    assert env["OCF_RESOURCE_INSTANCE"] == "r_pgsql:0"
    assert env["OCF_EXIT_REASON_PREFIX"] == "ocf-exit-reason:"
    assert env["OCF_RESOURCE_TYPE"] == "pgsql"
    assert env["OCF_RESOURCE_PROVIDER"] == "heartbeat"
    assert env["OCF_RESKEY_rep_mode"] == "sync"
    assert env["OCF_RESKEY_node_list"] == "osspc30 osspc31"
    assert env["OCF_RESKEY_OCF_CHECK_LEVEL"] == "10"
    assert env["OCF_RESKEY_CRM_meta_interval"] == "7000"
    assert env["OCF_RESKEY_CRM_meta_timeout"] == "60000"
    assert env["OCF_RESKEY_CRM_meta_name"] == "monitor"
    assert env["OCF_RESKEY_CRM_meta_role"] == "Master"
    assert env["OCF_RESKEY_CRM_meta_on_node"] == "osspc30"
    assert env["OCF_RESKEY_CRM_meta_on_node_uuid"] == "101"
    assert env["OCF_RESKEY_CRM_meta_migration_threshold"] == "1"
    assert env["HA_RSCTMP"] == "/run/harm/rsctmp"
    assert env["HA_NODENAME"] == "osspc30"
    assert env["PATH"].split(":")[-2:] == ["/sbin", "/bin"]
    assert env["LANG"] == "C.UTF-8"
    assert "HOME" not in env  # nothing else of the daemon's environment leaks in


def test_pacemaker_tools_first_on_path_and_harms_interpreter() -> None:
    """harm's Pacemaker tools come first on the agents' PATH (and in HA_SBIN_DIR, which the
    stock agents call them through); harm's agents run with harmd's own interpreter,
    unless harmd was given HARM_PYTHON."""
    request = OpRequest(rsc="r", agent=PGSQL, action="start")
    node = NodeContext(uname="n1", uuid="1", rsctmp=Path("/run/x"), python="/opt/venv/bin/py")
    env = agent_environment(request, node, inherited={"PATH": "/home/me/bin"})
    tools = "/run/x/harm-pcmk-bin"
    assert env["PATH"] == f"{tools}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
    assert env["HA_SBIN_DIR"] == tools
    assert env["HARM_PYTHON"] == "/opt/venv/bin/py"
    given = agent_environment(request, node, inherited={"HARM_PYTHON": "/usr/bin/python3"})
    assert given["HARM_PYTHON"] == "/usr/bin/python3"
    own = NodeContext(uname="n1", uuid="1", rsctmp=Path("/run/x"), tools_dir=Path("/t"))
    assert agent_environment(request, own, inherited={})["PATH"].startswith("/t:")
    assert NODE.python == sys.executable


def test_clone_meta_of_a_promotable_instance() -> None:
    clone = CloneInfo(instance=1, clone_max=2, clone_node_max=1, promotable=True, notify=True)
    request = OpRequest(rsc="r_pgsql:1", agent=PGSQL, action="start", clone=clone)
    env = agent_environment(request, NODE, inherited={})
    meta = {k[len("OCF_RESKEY_CRM_meta_"):]: v for k, v in env.items() if "CRM_meta_" in k}
    assert meta["clone"] == "1"
    assert meta["clone_max"] == "2"
    assert meta["clone_node_max"] == "1"
    assert meta["promoted_max"] == meta["master_max"] == "1"
    assert meta["promoted_node_max"] == meta["master_node_max"] == "1"
    assert meta["notify"] == "true"
    assert meta["globally_unique"] == "false"
    assert "role" not in meta


def test_plain_clone_has_no_promotion_meta() -> None:
    request = OpRequest(rsc="p:0", agent=PGSQL, action="start", clone=CloneInfo(instance=0))
    env = agent_environment(request, NODE, inherited={})
    assert "OCF_RESKEY_CRM_meta_promoted_max" not in env
    assert "OCF_RESKEY_CRM_meta_master_max" not in env


def test_notify_variables() -> None:
    notify = NotifyInfo(
        kind="pre",
        operation="promote",
        promote=(Peer("r_pgsql:1", "osspc31"),),
        active=(Peer("r_pgsql:1", "osspc31"), Peer("r_pgsql:0", "osspc30")),
        inactive=(Peer("r_pgsql:2", ""),),
        unpromoted=(Peer("r_pgsql:1", "osspc31"),),
        available_unames=("osspc30", "osspc31"),
        all_unames=("osspc30", "osspc31"),
    )
    request = OpRequest(rsc="r_pgsql:0", agent=PGSQL, action="notify", notify=notify)
    env = agent_environment(request, NODE, inherited={})
    prefix = "OCF_RESKEY_CRM_meta_notify_"
    assert env[prefix + "type"] == "pre"
    assert env[prefix + "operation"] == "promote"
    assert env[prefix + "promote_resource"] == "r_pgsql:1"
    assert env[prefix + "promote_uname"] == "osspc31"
    assert env[prefix + "active_resource"] == "r_pgsql:0 r_pgsql:1"
    assert env[prefix + "active_uname"] == "osspc30 osspc31"
    assert env[prefix + "slave_resource"] == env[prefix + "unpromoted_resource"] == "r_pgsql:1"
    assert env[prefix + "master_resource"] == env[prefix + "promoted_resource"] == " "
    assert env[prefix + "start_uname"] == env[prefix + "stop_uname"] == " "
    assert env[prefix + "inactive_resource"] == "r_pgsql:2"
    assert prefix + "inactive_uname" not in env
    assert env[prefix + "available_uname"] == "osspc30 osspc31"
    assert env[prefix + "all_uname"] == "osspc30 osspc31"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"action": "explode"}, "unknown agent action"),
        ({"action": "notify"}, "needs its NotifyInfo"),
        ({"action": "monitor", "interval_ms": -1}, "interval and start delay must be"),
        ({"action": "start", "start_delay_ms": -5}, "interval and start delay must be"),
        ({"action": "start", "timeout_ms": 0}, "timeout > 0"),
    ],
)
def test_bad_requests(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        OpRequest(rsc="r", agent=PGSQL, **kwargs)  # type: ignore[arg-type]
