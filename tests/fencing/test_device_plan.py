"""The pure part of fencing: device parameters, the levels to try, delays, the runner."""

from __future__ import annotations

import pytest

from harm.cib.config import Configuration
from harm.crmsh.load import parse_configuration
from harm.fencing.device import Device, DeviceError, parse_host_map, split_list
from harm.fencing.plan import (
    can_be_fenced,
    choose_runner,
    fencing_active,
    levels_for,
    plan,
    priority_delay_ms,
    topology_for,
)

CONFIG = """
node n1
node n2
node n3 attributes rack=r2
primitive st_ipmi1 stonith:fence_ipmilan params ip=10.0.0.1 pcmk_host_list=n1 \\
    pcmk_delay_base=2s pcmk_reboot_timeout=30s
primitive st_ipmi2 stonith:fence_ipmilan params ip=10.0.0.2 pcmk_host_map="n2:p2;n3:p3" \\
    pcmk_delay_max=10s pcmk_reboot_action=off pcmk_reboot_retries=1
primitive st_pdu stonith:fence_apc params ip=10.0.0.9 pcmk_host_check=none
primitive d ocf:harm:Dummy
location l1 st_ipmi1 -inf: n1
fencing_topology n1: st_ipmi1 st_pdu attr:rack=r2 st_pdu
property stonith-enabled=true priority-fencing-delay=15s
"""


def config(text: str = CONFIG) -> Configuration:
    return parse_configuration(text, "<test>")


def device(name: str) -> Device:
    found = config().find_resource(name)
    assert found is not None
    return Device.from_primitive(found)  # type: ignore[arg-type]


def test_device_parameters_are_read_and_kept_from_the_agent() -> None:
    ipmi1, ipmi2, pdu = device("st_ipmi1"), device("st_ipmi2"), device("st_pdu")
    assert ipmi1.params == (("ip", "10.0.0.1"),)  # pcmk_* stay with the fencer
    assert ipmi1.host_check == "static-list" and ipmi1.static_answer("n1") is True
    assert ipmi1.static_answer("n2") is False
    assert ipmi1.timeout_ms("reboot") == 30_000 and ipmi1.timeout_ms("off") == 60_000
    assert ipmi2.port_for("n3") == "p3" and ipmi2.port_for("n1") == "n1"
    assert ipmi2.agent_action("reboot") == "off" and ipmi2.tries("reboot") == 1
    assert pdu.static_answer("anything") is True
    # without a list or map the agent is asked (dynamic-list)
    bare = Device.from_primitive(config(
        "primitive s stonith:fence_ipmilan params ip=x").find_resource("s"))  # type: ignore
    assert bare.host_check == "dynamic-list" and bare.static_answer("n1") is None


def test_delays_static_random_and_per_node() -> None:
    assert device("st_ipmi1").delay_ms("n1", 0.9) == 2_000
    ipmi2 = device("st_ipmi2")
    assert ipmi2.delay_ms("n2", 0.0) == 0 and ipmi2.delay_ms("n2", 0.5) == 5_000
    per_node = Device("x", "fence_x", (), delay_base_per_node=(("n1", 1000), ("n2", 4000)),
                      delay_max_ms=5000)
    assert per_node.delay_ms("n2", 0.0) == 4000 and per_node.delay_ms("n2", 0.5) == 4500


@pytest.mark.parametrize(("text", "message"), [
    ("pcmk_host_check=maybe", "pcmk_host_check 'maybe'"),
    ("pcmk_delay_max=soon", "pcmk_delay_max 'soon'"),
    ("pcmk_host_map=n1", "pcmk_host_map entry 'n1'"),
    ("pcmk_reboot_timeout=x", "pcmk_reboot_timeout 'x'"),
])
def test_bad_device_parameters_say_which(text: str, message: str) -> None:
    from harm.cib.config import AgentRef, NvSet, Primitive

    name, value = text.split("=")
    primitive = Primitive("s", AgentRef("stonith", None, "fence_x"),
                          params=(NvSet("p", ((name, value),)),))
    with pytest.raises(DeviceError, match=message):
        Device.from_primitive(primitive)


def test_host_lists_split_like_pacemaker() -> None:
    assert split_list("a b,c;d") == ("a", "b", "c", "d")
    assert parse_host_map("n1:1;n2=2 n3:3") == (("n1", "1"), ("n2", "2"), ("n3", "3"))


def test_topology_levels_by_name_then_attribute_and_devices_per_level() -> None:
    cfg = config()
    assert [lv.devices for lv in topology_for(cfg, "n1", {})] == [("st_ipmi1",), ("st_pdu",)]
    assert [lv.devices for lv in topology_for(cfg, "n3", {"rack": "r2"})] == [("st_pdu",)]
    assert topology_for(cfg, "n2", {}) == ()
    # a runner banned from a device loses the level that needs it
    on_n2 = levels_for(cfg, "n1", "n2", {})
    assert [[d.id for d in lv.devices] for lv in on_n2] == [["st_ipmi1"], ["st_pdu"]]
    on_n1 = levels_for(cfg, "n1", "n1", {})
    assert [[d.id for d in lv.devices] for lv in on_n1] == [["st_pdu"]]
    # no topology: each device that may fence the node is a level, in written order
    assert [[d.id for d in lv.devices] for lv in levels_for(cfg, "n2", "n1", {})] == \
        [["st_ipmi2"], ["st_pdu"]]


def test_a_victim_never_fences_itself() -> None:
    cfg = config()
    assert choose_runner(cfg, "n1", "n2", frozenset({"n1", "n2"})) == "n2"
    assert choose_runner(cfg, "n1", "n1", frozenset({"n1", "n2"})) == "n2"
    assert choose_runner(cfg, "n1", "n1", frozenset({"n1"})) is None
    assert plan(cfg, plan_id="p", target="n1", action="reboot", local="n1",
                members=frozenset({"n1"}), attrs={}, priorities={}, cluster_size=3,
                random_fraction=0.0) is None


def test_priority_fencing_delay_favours_the_node_with_the_promoted_instance() -> None:
    cfg = config()
    # two nodes cut from each other: each partition holds one of two nodes
    assert priority_delay_ms(cfg, "n1", {"n1": 11, "n2": 10}, 1, 2) == 15_000
    assert priority_delay_ms(cfg, "n2", {"n1": 11, "n2": 10}, 1, 2) == 0
    assert priority_delay_ms(cfg, "n1", {"n1": 10, "n2": 10}, 1, 2) == 0  # equal: none
    assert priority_delay_ms(cfg, "n1", {"n1": 11, "n2": 10}, 2, 3) == 0  # a majority
    found = plan(cfg, plan_id="p", target="n1", action="reboot", local="n2",
                 members=frozenset({"n2"}), attrs={}, priorities={"n1": 11, "n2": 10},
                 cluster_size=2, random_fraction=0.0, backoff_ms=1000)
    assert found is not None
    assert found.delay_ms == 15_000 + 2_000 + 1_000  # priority + first level + back-off
    assert found.runner == "n2" and found.timeout_ms == 60_000


def test_fencing_active_needs_enabled_and_a_device() -> None:
    assert fencing_active(config())
    assert not fencing_active(config(CONFIG.replace("stonith-enabled=true",
                                                    "stonith-enabled=false")))
    assert not fencing_active(config("primitive d ocf:harm:Dummy"))
    assert fencing_active(config(CONFIG.replace("stonith-enabled=true", "fencing-enabled=1")))


def test_can_be_fenced_is_verifys_question() -> None:
    cfg = config("node n1\nnode n2\n"
                 "primitive s stonith:fence_ipmilan params pcmk_host_list=n1")
    assert can_be_fenced(cfg, "n1", {}) and not can_be_fenced(cfg, "n2", {})
