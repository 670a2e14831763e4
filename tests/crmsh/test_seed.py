"""The seed report's configuration (section 4.3.1) as the language must take it."""

from __future__ import annotations

import pytest

from harm.catalog import AgentCatalog
from harm.cib.config import Clone, Colocation, Group, Location, Order, Primitive, Role
from harm.cib.config import Configuration as Config
from harm.cib.scores import INFINITY
from harm.crmsh.load import load_text
from harm.errors import ConfigErrors

from .seed import corrected_seed_text, seed_text


def test_as_printed_both_slips_are_named_with_position_and_suggestion() -> None:
    with pytest.raises(ConfigErrors) as caught:
        load_text(Config(), seed_text(), "crm_conf.txt", catalog=AgentCatalog.scan())
    messages = [str(e) for e in caught.value.errors]
    assert messages == [
        "crm_conf.txt:1:25: unknown resource agent ocf:heartbeat:IPAddr2 "
        "(did you mean ocf:heartbeat:IPaddr2?)",
        "crm_conf.txt:4:29: unknown resource agent ocf:heartbeat:IPAddr2 "
        "(did you mean ocf:heartbeat:IPaddr2?)",
        "crm_conf.txt:36:1: expected NAME=VALUE, 'params', 'meta', 'utilization', 'op', "
        "got 'clone' (the backslash at the end of line 35 continues the 'primitive' "
        "statement onto this line; remove it so that 'clone' starts a statement of its own)",
    ]


def test_corrected_seed_loads_into_the_expected_model() -> None:
    outcome = load_text(Config(), corrected_seed_text(), "crm_conf.txt",
                        catalog=AgentCatalog.scan())
    config = outcome.configuration
    ids = [r.id for r in config.resources]
    assert ids == ["g_service", "ms_pgsql", "c_pingd"]
    g_service = config.find_resource("g_service")
    assert isinstance(g_service, Group)
    assert [c.id for c in g_service.children] == ["r_service_vip", "r_replication_vip"]
    ms = config.find_resource("ms_pgsql")
    assert isinstance(ms, Clone) and ms.promotable and ms.meta_value("notify") == "true"
    pgsql = config.find_resource("r_pgsql")
    assert isinstance(pgsql, Primitive)
    assert pgsql.param("rep_mode") == "sync"
    assert pgsql.param("primary_conninfo_opt") == (  # joined as crm shell joins it
        "keepalives_idle=60 keepalives_interval=5 keepalives_count=5"
    )
    master_monitor = [op for op in pgsql.ops if op.role is Role.PROMOTED]
    assert [(op.interval_ms, op.attr("on-fail")) for op in master_monitor] == [(7000, "restart")]
    location = config.constraint("rsc_location-1")
    assert isinstance(location, Location)
    assert [(r.role, r.score) for r in location.rules] == [
        (Role.PROMOTED, 200), (Role.PROMOTED, 100), (Role.PROMOTED, -INFINITY), (None, -INFINITY)
    ]
    assert location.rules[3].boolean_op == "or"
    colocation = config.constraint("rsc_colocation-2")
    assert colocation == Colocation("rsc_colocation-2", INFINITY, "g_service", "ms_pgsql",
                                    None, Role.PROMOTED)
    order = config.constraint("rsc_order-2")
    assert order == Order("rsc_order-2", "ms_pgsql", "g_service", "promote", "start", None, 0,
                          False)
    assert config.property("no-quorum-policy") == "ignore"
    assert config.rsc_defaults[0].get("resource-stickiness") == "INFINITY"


def test_corrected_seed_warns_about_the_node_list_spelling() -> None:
    outcome = load_text(Config(), corrected_seed_text(), "crm_conf.txt")
    assert [str(w) for w in outcome.warnings] == [
        "crm_conf.txt:17:16: warning: node_list of 'r_pgsql': no other statement names a node "
        "'osspec30'; did you mean 'osspc30'?",
        "crm_conf.txt:17:16: warning: node_list of 'r_pgsql': no other statement names a node "
        "'osspec31'; did you mean 'osspc31'?",
    ]
