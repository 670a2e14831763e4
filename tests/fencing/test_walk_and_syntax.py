"""The level walk (with a fake agent runner), the crm syntax of fencing_topology, its
XML, verify messages and the fencing history as harm_mon shows it."""

from __future__ import annotations

import pytest

from harm.cib.cib import Cib
from harm.cib.status import FenceEvent, FenceState, Status
from harm.cib.xml_export import cib_to_xml
from harm.cib.xml_import import parse_cib_xml
from harm.crmsh.load import load_text, parse_configuration
from harm.crmsh.render import render_configuration
from harm.errors import ConfigErrors
from harm.fencing.agent import AgentRun, stdin_for
from harm.fencing.device import Device
from harm.fencing.fencer import FenceOutcome, execute
from harm.fencing.plan import plan
from harm.mon.fencing import fence_history_element, fencing_lines

TEXT = """node n1
node n2
primitive st_bad stonith:fence_ipmilan \\
    params ip=10.0.0.1 password=wrong pcmk_host_list="n1 n2"
primitive st_good stonith:fence_ipmilan \\
    params ip=10.0.0.2 password=right pcmk_host_list="n1 n2"
primitive st_disk stonith:fence_dummy params pcmk_host_check=none
fencing_topology \\
    n1: st_bad st_good,st_disk \\
    n2: st_good
"""


def the_plan(target: str = "n1"):  # type: ignore[no-untyped-def]
    found = plan(parse_configuration(TEXT), plan_id="p1", target=target, action="reboot",
                 local="n2" if target == "n1" else "n1", members=frozenset({"n1", "n2"}),
                 attrs={}, priorities={}, cluster_size=2, random_fraction=0.0)
    assert found is not None
    return found


class FakeAgents:
    def __init__(self, failing: set[str]) -> None:
        self.failing = failing
        self.calls: list[tuple[str, str, str | None]] = []

    def __call__(self, device: Device, action: str, target: str | None,
                 timeout_ms: int) -> AgentRun:
        self.calls.append((device.id, action, target))
        return AgentRun(1 if device.id in self.failing else 0, "")


def test_levels_are_tried_in_order_and_every_device_of_a_level_must_succeed() -> None:
    agents = FakeAgents({"st_bad"})
    outcome = execute(the_plan(), "n2", run=agents, sleep=lambda s: None, wall=lambda: 100)
    assert outcome.ok and outcome.device == "st_good,st_disk" and outcome.delegate == "n2"
    # level 2 has two devices: a reboot is both off, then both on (never one at a time)
    assert agents.calls == [("st_bad", "reboot", "n1"), ("st_bad", "reboot", "n1"),
                            ("st_good", "off", "n1"), ("st_disk", "off", "n1"),
                            ("st_good", "on", "n1"), ("st_disk", "on", "n1")]
    agents = FakeAgents({"st_bad", "st_disk"})
    outcome = execute(the_plan(), "n2", run=agents, sleep=lambda s: None, wall=lambda: 100)
    assert not outcome.ok
    assert "level 1: st_bad reboot" in outcome.reason and "level 2: st_disk off" in outcome.reason
    assert FenceOutcome.from_json(outcome.to_json()) == outcome


class OnFails(FakeAgents):
    def __call__(self, device: Device, action: str, target: str | None,
                 timeout_ms: int) -> AgentRun:
        self.calls.append((device.id, action, target))
        return AgentRun(1 if action == "on" and device.id in self.failing else 0, "")


def test_a_level_that_powered_the_node_off_has_fenced_it_even_if_power_on_fails() -> None:
    agents = OnFails({"st_good"})
    outcome = execute(the_plan(), "n2", run=agents, sleep=lambda s: None, wall=lambda: 100)
    assert outcome.ok and outcome.device == "st_bad"  # level 1: one device, a plain reboot
    assert agents.calls == [("st_bad", "reboot", "n1")]
    agents = OnFails({"st_good"})
    outcome = execute(the_plan(), "n2", run=FakeFirstFails(agents), sleep=lambda s: None,
                      wall=lambda: 100)
    assert outcome.ok and outcome.device == "st_good,st_disk"
    assert ("st_good", "on", "n1") in agents.calls and ("st_disk", "on", "n1") in agents.calls


class FakeFirstFails:
    """st_bad always fails; everything else is passed to ``inner``."""

    def __init__(self, inner: FakeAgents) -> None:
        self.inner = inner

    def __call__(self, device: Device, action: str, target: str | None,
                 timeout_ms: int) -> AgentRun:
        if device.id == "st_bad":
            return AgentRun(1, "")
        return self.inner(device, action, target, timeout_ms)


def test_the_delay_is_waited_before_the_first_agent_runs() -> None:
    slept: list[float] = []
    found = the_plan("n2")
    from dataclasses import replace

    outcome = execute(replace(found, delay_ms=1500), "n1", run=FakeAgents(set()),
                      sleep=slept.append, wall=lambda: 1)
    assert outcome.ok and slept == [1.5]


def test_the_agent_gets_its_parameters_the_action_and_the_target_on_stdin() -> None:
    device = the_plan().levels[0].devices[0]
    text = stdin_for(device, "reboot", "n1")
    assert text.splitlines()[:2] == ["ip=10.0.0.1", "password=wrong"]
    assert "action=reboot" in text and "nodename=n1" in text
    assert "plug=n1" in text  # fence_ipmilan's meta-data names the port "plug"
    assert "pcmk_host_list" not in text


def test_crm_syntax_round_trips_through_show_and_xml() -> None:
    config = parse_configuration(TEXT)
    shown = render_configuration(config)
    assert "fencing_topology \\\n    n1: st_bad st_good,st_disk \\\n    n2: st_good" in shown
    assert parse_configuration(shown) == config
    xml = cib_to_xml(Cib(configuration=config))
    assert '<fencing-level id="fl-n1-2" target="n1" index="2" devices="st_good,st_disk"' \
        in xml
    assert parse_cib_xml(xml).configuration == config
    for text, rendered in (
            ("fencing_topology st_good st_disk", "fencing_topology st_good st_disk"),
            ("fencing_topology attr:rack=1 st_good pattern:n[0-9] st_disk",
             "fencing_topology \\\n    attr:rack=1 st_good \\\n    pattern:n[0-9] st_disk")):
        again = parse_configuration(TEXT.split("fencing_topology", maxsplit=1)[0] + text)
        assert rendered in render_configuration(again)
        assert parse_configuration(render_configuration(again)) == again


def test_pacemaker_xml_levels_are_read() -> None:
    xml = ('<cib validate-with="pacemaker-3.7" epoch="1" num_updates="0" admin_epoch="0">'
           '<configuration><crm_config/><nodes/><resources/><constraints/>'
           '<fencing-topology><fencing-level id="f1" target-attribute="rack" '
           'target-value="r1" index="1" devices="a,b"/><fencing-level id="f2" '
           'target-pattern="node[12]" index="2" devices="c"/></fencing-topology>'
           '</configuration><status/></cib>')
    levels = parse_cib_xml(xml).configuration.fencing_levels
    assert [(lv.target_key, lv.index, lv.devices) for lv in levels] == [
        (("attr", "rack=r1"), 1, ("a", "b")), (("pattern", "node[12]"), 2, ("c",))]


@pytest.mark.parametrize(("text", "expected"), [
    ("fencing_topology n1: st_nothere", "<t>:1:22: unknown resource 'st_nothere' in fencing "
     "topology"),
    ("primitive d ocf:harm:Dummy\nfencing_topology n1: d", "<t>:2:22: fencing topology: 'd' "
     "is not a stonith resource"),
    ("fencing_topology st_good n1: st_good", None),
    ("fencing_topology", "<t>:1:17: expected fencing devices (a level)"),
    ("fencing_topology attr:rack st_good", "<t>:1:18: expected attr:NAME=VALUE"),
    ("primitive s stonith:fence_nosuch", "<t>:1:13: unknown resource agent "
     "stonith:fence_nosuch"),
])
def test_bad_fencing_input_is_reported_with_its_position(text: str, expected: str | None
                                                         ) -> None:
    from harm.catalog import AgentCatalog

    base = parse_configuration(TEXT)
    catalog = AgentCatalog.scan()
    if expected is None:
        load_text(base, text, "<t>", catalog=catalog)
        return
    with pytest.raises(ConfigErrors) as raised:
        load_text(base, text, "<t>", catalog=catalog)
    assert any(str(e).startswith(expected) for e in raised.value.errors), \
        [str(e) for e in raised.value.errors]


def test_verify_warns_about_a_node_nobody_can_fence() -> None:
    outcome = load_text(parse_configuration("node n1\nnode n2"),
                        "primitive s stonith:fence_ipmilan params pcmk_host_list=n1\n"
                        "property stonith-enabled=true", "<t>")
    assert [str(w) for w in outcome.warnings] == [
        "<t>:2:26: warning: no fence device can fence node 'n2' (pcmk_host_list, "
        "pcmk_host_map or fencing_topology)"]


EVENTS = (
    FenceEvent("e1", "n1", "reboot", FenceState.FAILED, "n2", "harm-dc", 1_700_000_000,
               delegate="n2", exit_reason="level 1: st_bad reboot: exit code 1"),
    FenceEvent("e2", "n1", "reboot", FenceState.SUCCESS, "n2", "harm-dc", 1_700_000_010,
               delegate="n2", device="st_good"),
    FenceEvent("e3", "n2", "off", FenceState.PENDING, "n1", "harm node fence", 1_700_000_020,
               delegate="n1"),
)


def test_history_survives_the_cib_and_is_shown_as_crm_mon_does(tmp_path) -> None:  # type: ignore[no-untyped-def]
    cib = Cib(configuration=parse_configuration(TEXT), status=Status(fencing=EVENTS))
    again = parse_cib_xml(cib_to_xml(cib))
    assert again.status.fencing == EVENTS
    default = fencing_lines(again, 1)
    assert default[0][0] == "Failed Fencing Actions:"
    assert default[0][1].startswith("  * reboot of n1 failed (level 1: st_bad reboot: exit "
                                    "code 1): delegate=n2, client=harm-dc, origin=n2, "
                                    "last-failed='")
    assert default[1] == ["Pending Fencing Actions:",
                          "  * off of n2 pending: delegate=n1, client=harm node fence, "
                          "origin=n1"]
    history = fencing_lines(again, 2)
    assert history[0][0] == "Fencing History:" and len(history[0]) == 4
    assert "reboot of n1 successful by st_good: delegate=n2" in history[0][2]
    assert fencing_lines(again, 0) == []
    elem = fence_history_element(again, 2)
    assert elem is not None and [e.get("status") for e in elem] == \
        ["pending", "success", "failed"]
    from harm.mon.snapshot import take_snapshot
    from harm.mon.xmlout import render_xml
    from tests.mon.test_xml import validate

    validate(render_xml(take_snapshot(again, 1_700_000_030), fence_history=3), tmp_path)
