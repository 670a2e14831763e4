"""The simulated backend records results as Pacemaker's controller would."""

from __future__ import annotations

from harm.cib.xml_import import parse_cib_xml
from harm.engine.transition import Action, ActionKind
from harm.engine.unpack import unpack
from harm.graph.simulated import OpFailure, SimulatedBackend

CIB = b"""<cib have-quorum="1" admin_epoch="0" epoch="1" num_updates="0">
  <configuration>
    <crm_config><cluster_property_set id="o">
      <nvpair id="o1" name="stonith-enabled" value="true"/>
    </cluster_property_set></crm_config>
    <nodes><node id="1" uname="n1"/><node id="2" uname="n2"/></nodes>
    <resources>
      <primitive id="vip" class="ocf" provider="heartbeat" type="IPaddr2"/>
      <clone id="ping-clone"><primitive id="ping" class="ocf" provider="pacemaker"
        type="ping"/></clone>
    </resources>
  </configuration>
  <status>
    <node_state id="1" uname="n1" in_ccm="true" crmd="online" join="member"
        expected="member">
      <transient_attributes id="1"><instance_attributes id="status-1">
        <nvpair id="a1" name="pingd" value="100"/>
      </instance_attributes></transient_attributes>
      <lrm id="1"><lrm_resources>
        <lrm_resource id="ping" class="ocf" provider="pacemaker" type="ping">
          <lrm_rsc_op id="ping_last_0" operation="start" call-id="4" rc-code="0"
            op-status="0" interval="0" transition-key="1:1:0:x"/>
        </lrm_resource>
      </lrm_resources></lrm>
    </node_state>
    <node_state id="2" uname="n2" in_ccm="true" crmd="online" join="member"
        expected="member"/>
  </status>
</cib>"""


def _backend(*failures: str) -> SimulatedBackend:
    cib = parse_cib_xml(CIB, "test")
    state = unpack(cib, 1_700_000_000)
    return SimulatedBackend(cib, state, 1_700_000_000,
                            tuple(OpFailure.parse(f) for f in failures))


def test_start_and_monitor_are_recorded_and_shown() -> None:
    backend = _backend()
    backend.resource(Action(0, "start", "vip", "n2"))
    backend.resource(Action(1, "monitor", "vip", "n2", interval_ms=10000))
    assert backend.lines == ["Resource action: vip             start on n2",
                             "Resource action: vip             monitor=10000 on n2"]
    after = unpack(backend.result(), 1_700_000_000)
    vip = after.resource("vip")
    assert vip is not None and vip.running_on == ("n2",)
    history = vip.history_on("n2")
    assert history is not None
    assert [op.id for op in history.ops] == ["vip_last_0", "vip_monitor_10000"]
    assert history.active_monitors == (("monitor", 10000),)


def test_anonymous_instance_uses_the_name_its_history_uses() -> None:
    backend = _backend()
    backend.resource(Action(0, "monitor", "ping:0", "n1", interval_ms=5000))
    backend.resource(Action(1, "start", "ping:1", "n2"))
    # "ping" names a history entry, so Pacemaker's graph (and crm_simulate) call it so
    assert backend.lines[0].split() == ["Resource", "action:", "ping", "monitor=5000",
                                        "on", "n1"]
    assert backend.lines[1].split()[2] == "ping"


def test_injected_failure_counts_and_records_last_failure() -> None:
    backend = _backend("vip_start_0@n2=1")
    outcome = backend.resource(Action(3, "start", "vip", "n2"))
    assert outcome.failed
    assert backend.messages == ["Pretending action 3 failed with rc=1"]
    cib = backend.result()
    node = cib.status.node("n2")
    assert node is not None
    assert node.attribute("fail-count-vip#start_0") == "1"
    assert node.attribute("last-failure-vip#start_0") == "1700000000"
    history = node.history("vip")
    assert history is not None
    assert {op.id for op in history.ops} == {"vip_last_failure_0", "vip_last_0"}
    state = unpack(cib, 1_700_000_000)
    vip = state.resource("vip")
    assert vip is not None and vip.failed and vip.running_on == ("n2",)


def test_fencing_takes_the_node_out_and_clears_it() -> None:
    backend = _backend()
    backend.fence(Action(7, "stonith", None, "n1", kind=ActionKind.FENCE,
                         meta=(("stonith_action", "reboot"),)))
    assert backend.lines == ["Fencing n1 (reboot)"]
    node = backend.result().status.node("n1")
    assert node is not None
    assert not node.online and node.resources == () and node.transient_attributes == ()


def test_op_failure_spec_is_checked() -> None:
    assert OpFailure.parse("db:0_monitor_7000@n1=7") == OpFailure("db:0_monitor_7000", "n1", 7)
    for bad in ("db_start_0@n1", "db_start_0=1", "db_start_0@n1=x"):
        try:
            OpFailure.parse(bad)
        except ValueError:
            continue
        raise AssertionError(bad)
