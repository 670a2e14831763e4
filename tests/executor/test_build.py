"""Requests built from a real configuration: the pgsql lab configuration in configs/."""

from __future__ import annotations

from pathlib import Path

import pytest

from harm.cib.config import AgentRef, Configuration, NvSet, Role
from harm.crmsh.load import parse_configuration
from harm.errors import ConfigError
from harm.executor import NodeContext, NotifyInfo, agent_environment
from harm.executor.build import request_for


@pytest.fixture(scope="module")
def config(repo_root: Path) -> Configuration:
    text = (repo_root / "configs" / "pgsql-lab.crm").read_text()
    return parse_configuration(text, "pgsql-lab.crm")


def test_promoted_monitor_of_a_pgsql_instance(config: Configuration) -> None:
    request = request_for(config, "r_pgsql:1", "monitor", 7000, transition_key="9:2:8:x",
                          target_rc=8)
    assert request.agent == AgentRef("ocf", "harm", "pgsql")
    assert request.timeout_ms == 30_000
    assert request.role == Role.PROMOTED
    params = dict(request.params)
    assert params["rep_mode"] == "sync"
    assert params["node_list"] == "osspc30 osspc31"
    assert params["start_opt"] == "-p 5432"
    assert dict(request.meta) == {"on-fail": "restart"}
    assert request.clone is not None
    assert (request.clone.instance, request.clone.clone_max) == (1, 2)
    assert request.clone.promotable and request.clone.notify
    assert request.clone.promoted_max == 1
    env = agent_environment(request, NodeContext("osspc31", "2", Path("/tmp")), inherited={})
    assert env["OCF_RESKEY_CRM_meta_on_fail"] == "restart"
    assert env["OCF_RESKEY_CRM_meta_master_max"] == "1"
    assert env["OCF_RESKEY_CRM_meta_role"] == "Master"
    assert env["OCF_RESKEY_CRM_meta_clone"] == "1"


def test_unpromoted_monitor_and_plain_actions(config: Configuration) -> None:
    assert request_for(config, "r_pgsql:0", "monitor", 30_000).role is None
    assert request_for(config, "r_pgsql:0", "start").timeout_ms == 120_000
    assert request_for(config, "r_pgsql:0", "promote").timeout_ms == 120_000
    notify = request_for(config, "r_pgsql:0", "notify", notify=NotifyInfo("pre", "promote"))
    assert notify.timeout_ms == 90_000


def test_probe_takes_the_shortest_monitors_timeout(config: Configuration) -> None:
    probe = request_for(config, "r_pgsql:0", "monitor", 0, target_rc=7)
    assert probe.timeout_ms == 30_000  # from the 7 s monitor
    assert probe.role is None and probe.meta == ()


def test_defaults_when_nothing_is_configured(config: Configuration) -> None:
    stop = request_for(config, "r_service_vip", "stop")
    assert stop.timeout_ms == 20_000
    assert stop.clone is None
    with_defaults = Configuration(
        resources=config.resources,
        op_defaults=(NvSet("op-options", (("timeout", "45s"),)),),
        nodes=config.nodes,
    )
    assert request_for(with_defaults, "r_service_vip", "start").timeout_ms == 45_000
    # an op's own timeout still wins over op_defaults
    assert request_for(with_defaults, "r_service_vip", "monitor", 10_000).timeout_ms == 20_000


def test_plain_clone_gets_the_node_count(config: Configuration) -> None:
    ping = request_for(config, "r_pingd:0", "start", node_count=3)
    assert ping.clone is not None
    assert (ping.clone.clone_max, ping.clone.promotable, ping.clone.notify) == (3, False, False)
    assert request_for(config, "r_pingd:1", "start").clone.clone_max == 2  # type: ignore[union-attr]


def test_start_delay(config: Configuration) -> None:
    text = "primitive d ocf:heartbeat:Dummy op monitor interval=10s start-delay=5s\n"
    delayed = parse_configuration(text, "delay.crm")
    assert request_for(delayed, "d", "monitor", 10_000).start_delay_ms == 5000
    assert request_for(config, "r_pgsql:0", "start").start_delay_ms == 0


def test_unknown_or_non_primitive_ids(config: Configuration) -> None:
    with pytest.raises(ConfigError, match="no primitive"):
        request_for(config, "nope", "start")
    with pytest.raises(ConfigError, match="no primitive"):
        request_for(config, "g_service", "start")
