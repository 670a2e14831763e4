"""Reading Pacemaker CIB XML: the whole regression corpus, and each construct by hand."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from harm.cib.config import (
    AgentRef,
    AttrExpression,
    Clone,
    Colocation,
    DateExpression,
    Group,
    Location,
    NvSet,
    OpExpression,
    Order,
    Primitive,
    Role,
    RscExpression,
    Rule,
    Tag,
    Ticket,
)
from harm.cib.scores import INFINITY
from harm.cib.status import TicketState
from harm.cib.xml_import import parse_cib_xml
from harm.errors import CibFormatError


def corpus_files(corpus_dir: Path) -> list[Path]:
    files = sorted((corpus_dir / "xml").glob("*.xml"))
    assert len(files) == 799, "the corpus should hold 799 CIBs"
    return files


def test_every_corpus_file_imports(corpus_dir: Path) -> None:
    """All 799 CIBs read, and no operation record or node state is dropped on the way."""
    failures = []
    for path in corpus_files(corpus_dir):
        data = path.read_bytes()
        try:
            cib = parse_cib_xml(data, str(path))
        except CibFormatError as exc:
            failures.append(f"{path.name}: {exc}")
            continue
        tree = ET.fromstring(data)
        assert len(cib.status.nodes) == len(tree.findall("status/node_state")), path.name
        records = sum(len(h.ops) for n in cib.status.nodes for h in n.resources)
        assert records == len(tree.findall("status/node_state/lrm/lrm_resources/*/lrm_rsc_op"))
        assert len(cib.configuration.nodes) == len(tree.findall("configuration/nodes/node"))
    assert failures == []


def wrap(configuration: str = "", status: str = "", root_attrs: str = "") -> str:
    return (
        f'<cib admin_epoch="1" epoch="7" num_updates="3" validate-with="pacemaker-3.7" '
        f'have-quorum="1" dc-uuid="n1" cib-last-written="Tue Jan  1 00:00:00 2030" {root_attrs}>'
        f"<configuration><crm_config/><nodes/><resources/><constraints/>{configuration}"
        f"</configuration><status>{status}</status></cib>"
    )


def test_root_attributes() -> None:
    cib = parse_cib_xml(wrap(root_attrs='execution-date="1600000000"'))
    assert cib.version == (1, 7, 3)
    assert cib.have_quorum is True
    assert cib.dc_uuid == "n1"
    assert cib.validate_with == "pacemaker-3.7"
    assert cib.attr("cib-last-written") == "Tue Jan  1 00:00:00 2030"
    assert cib.attr("execution-date") == "1600000000"


RESOURCES = """
<configuration>
 <crm_config>
  <cluster_property_set id="cib-bootstrap-options">
   <nvpair id="o1" name="stonith-enabled" value="false"/>
   <nvpair id="o2" name="no-value"/>
  </cluster_property_set>
 </crm_config>
 <nodes>
  <node id="1" uname="pg1" type="member" score="100">
   <instance_attributes id="pg1-ia"><nvpair id="a1" name="site" value="east"/></instance_attributes>
   <utilization id="pg1-u"><nvpair id="u1" name="cpu" value="4"/></utilization>
  </node>
 </nodes>
 <resources>
  <template id="tmpl" class="ocf" provider="pacemaker" type="Dummy"/>
  <primitive id="ip" class="ocf" provider="heartbeat" type="IPaddr2" description="vip">
   <instance_attributes id="ip-params">
    <nvpair id="ip-ip" name="ip" value="10.0.0.1"/>
   </instance_attributes>
   <meta_attributes id="ip-meta"><nvpair id="m1" name="target-role" value="Started"/>
   </meta_attributes>
   <utilization id="ip-u"><nvpair id="ip-u1" name="cpu" value="1"/></utilization>
   <operations id="ip-ops">
    <op id="ip-mon" name="monitor" interval="10s" timeout="20s" on-fail="restart" role="Slave">
     <instance_attributes id="ip-mon-ia"><nvpair id="d" name="OCF_CHECK_LEVEL" value="10"/>
     </instance_attributes>
     <meta_attributes id="ip-mon-meta"><nvpair id="e" name="x" value="y"/></meta_attributes>
    </op>
   </operations>
  </primitive>
  <primitive id="ip2" class="ocf" provider="heartbeat" type="IPaddr2">
   <instance_attributes id-ref="ip-params"/>
   <instance_attributes id="ip2-more">
    <nvpair id-ref="ip-ip" name="other"/>
   </instance_attributes>
   <operations id-ref="ip-ops"/>
  </primitive>
  <primitive id="from-tmpl" template="tmpl"/>
  <group id="g" description="grp">
   <meta_attributes id="g-meta"><nvpair id="g1" name="ordered" value="true"/></meta_attributes>
   <primitive id="a" class="lsb" type="foo"/>
   <primitive id="b" class="systemd" type="bar"/>
  </group>
  <clone id="c"><meta_attributes id="c-meta"><nvpair id="c1" name="promotable" value="true"/>
   </meta_attributes><primitive id="p" class="ocf" provider="pacemaker" type="Stateful"/></clone>
  <master id="ms"><group id="msg"><primitive id="q" class="ocf" provider="x" type="y"/></group>
  </master>
  <bundle id="bun"><docker image="img"/></bundle>
 </resources>
 <constraints>
  <rsc_location id="l1" rsc="ip" node="pg1" score="-INFINITY" resource-discovery="never"/>
  <rsc_location id="l2" rsc-pattern="^ip" role="Master">
   <rule id="r1" score="INFINITY" boolean-op="or" role="Promoted">
    <expression id="e1" attribute="#uname" operation="eq" value="pg1" type="string"/>
    <expression id="e2" attribute="pingd" operation="not_defined"/>
    <rule id="r1b" score="0">
     <date_expression id="de" operation="in_range" start="2020-01-01">
      <duration id="du" years="1"/>
     </date_expression>
     <date_expression id="ds" operation="date_spec"><date_spec id="dsp" hours="9-17"/>
     </date_expression>
    </rule>
   </rule>
  </rsc_location>
  <rsc_location id="l3" rsc="g">
   <rule id-ref="r1"/>
  </rsc_location>
  <rsc_colocation id="co1" rsc="ip" with-rsc="c" with-rsc-role="Master" rsc-role="Started"
    score="INFINITY" node-attribute="site" influence="false"/>
  <rsc_colocation id="co2" score="100">
   <resource_set id="s1" sequential="false" role="Slave">
    <resource_ref id="a"/><resource_ref id="b"/>
   </resource_set>
   <resource_set id="s2"><resource_ref id="ip"/></resource_set>
  </rsc_colocation>
  <rsc_order id="o1" first="ip" first-action="start" then="g" then-action="promote"
    kind="Optional" symmetrical="false" require-all="false"/>
  <rsc_order id="o2" score="0">
   <resource_set id="s3" action="start" require-all="false" ordering="listed" kind="Serialize"
     score="5"><resource_ref id="a"/></resource_set>
  </rsc_order>
  <rsc_ticket id="t1" rsc="ip" ticket="T" loss-policy="stop"/>
 </constraints>
 <rsc_defaults>
  <meta_attributes id="rd"><rule id="rd-r"><rsc_expression id="rx" class="ocf" type="Dummy"/>
   </rule><nvpair id="rd1" name="stickiness" value="1"/></meta_attributes>
 </rsc_defaults>
 <op_defaults>
  <meta_attributes id="od" score="5"><rule id="od-r"><op_expression id="ox" name="monitor"
   interval="10s"/></rule><nvpair id="od1" name="timeout" value="30s"/></meta_attributes>
 </op_defaults>
 <tags><tag id="tag1"><obj_ref id="ip"/></tag></tags>
</configuration>
"""


def test_configuration_constructs() -> None:
    doc = wrap().replace(
        "<configuration><crm_config/><nodes/><resources/><constraints/></configuration>",
        RESOURCES,
    )
    config = parse_cib_xml(doc).configuration
    assert config.property("stonith-enabled") == "false"
    assert config.crm_config[0].get("no-value") is None  # Pacemaker ignores valueless pairs

    node = config.nodes[0]
    assert (node.id, node.uname, node.type, node.score) == ("1", "pg1", "member", 100)
    assert node.attribute("site") == "east"
    assert node.utilization[0].pairs == (("cpu", "4"),)

    ip = config.find_resource("ip")
    assert isinstance(ip, Primitive)
    assert ip.agent == AgentRef("ocf", "heartbeat", "IPaddr2")
    assert ip.description == "vip"
    assert ip.param("ip") == "10.0.0.1"
    assert ip.meta_value("target-role") == "Started"
    (mon,) = ip.ops
    assert (mon.id, mon.name, mon.interval, mon.role) == ("ip-mon", "monitor", "10s",
                                                          Role.UNPROMOTED)
    assert mon.attrs == (("timeout", "20s"), ("on-fail", "restart"))
    assert mon.params == (NvSet("ip-mon-ia", (("OCF_CHECK_LEVEL", "10"),)),)
    assert mon.meta == (NvSet("ip-mon-meta", (("x", "y"),)),)

    ip2 = config.find_resource("ip2")
    assert isinstance(ip2, Primitive)
    assert ip2.params[0] == ip.params[0]  # the id-ref resolved to the referenced set
    assert ip2.params[1].pairs == (("other", "10.0.0.1"),)
    assert ip2.ops == ip.ops

    tmpl = config.find_resource("from-tmpl")
    assert isinstance(tmpl, Primitive)
    assert tmpl.template == "tmpl"
    assert tmpl.agent == AgentRef("ocf", "pacemaker", "Dummy")

    group = config.find_resource("g")
    assert isinstance(group, Group)
    assert [c.id for c in group.children] == ["a", "b"]
    assert group.children[0].agent == AgentRef("lsb", None, "foo")
    assert group.description == "grp"

    clone = config.find_resource("c")
    assert isinstance(clone, Clone)
    assert clone.promotable and not clone.legacy_ms
    ms = config.find_resource("ms")
    assert isinstance(ms, Clone)
    assert ms.legacy_ms and ms.promotable and isinstance(ms.child, Group)

    l1 = config.constraint("l1")
    assert l1 == Location(id="l1", rsc="ip", node="pg1", score=-INFINITY,
                          resource_discovery="never")
    l2 = config.constraint("l2")
    assert isinstance(l2, Location)
    assert l2.rsc_pattern == "^ip" and l2.role is Role.PROMOTED
    (rule,) = l2.rules
    assert rule.boolean_op == "or" and rule.score == INFINITY and rule.role is Role.PROMOTED
    assert rule.expressions[0] == AttrExpression("e1", "#uname", "eq", "pg1", "string")
    assert rule.expressions[1] == AttrExpression("e2", "pingd", "not_defined")
    nested = rule.expressions[2]
    assert isinstance(nested, Rule) and nested.score == 0
    assert nested.expressions[0] == DateExpression(
        "de", "in_range", start="2020-01-01", duration=(("years", "1"),)
    )
    assert nested.expressions[1] == DateExpression(
        "ds", "date_spec", date_spec=(("hours", "9-17"),)
    )
    l3 = config.constraint("l3")
    assert isinstance(l3, Location) and l3.rules == (rule,)

    co1 = config.constraint("co1")
    assert co1 == Colocation(
        id="co1", score=INFINITY, rsc="ip", with_rsc="c", rsc_role=Role.STARTED,
        with_rsc_role=Role.PROMOTED, node_attribute="site", influence=False,
    )
    co2 = config.constraint("co2")
    assert isinstance(co2, Colocation)
    assert [s.resources for s in co2.sets] == [("a", "b"), ("ip",)]
    assert co2.sets[0].sequential is False and co2.sets[0].role is Role.UNPROMOTED

    o1 = config.constraint("o1")
    assert o1 == Order(id="o1", first="ip", then="g", first_action="start",
                       then_action="promote", kind="Optional", symmetrical=False,
                       require_all=False)
    o2 = config.constraint("o2")
    assert isinstance(o2, Order) and o2.score == 0
    s3 = o2.sets[0]
    assert (s3.action, s3.require_all, s3.ordering, s3.kind, s3.score) == (
        "start", False, "listed", "Serialize", 5)

    assert config.rsc_defaults[0].rule == Rule(
        "rd-r", (RscExpression("rx", "ocf", None, "Dummy"),))
    assert config.op_defaults[0].score == 5
    assert config.op_defaults[0].rule == Rule("od-r", (OpExpression("ox", "monitor", "10s"),))

    kept = dict(config.extra_sections)
    paths = [path for path, _ in config.extra_sections]
    # where each kept element stood among its siblings (resource order matters)
    assert paths == ["configuration/resources@7"]  # the bundle
    assert config.constraint("t1") == Ticket("t1", "T", rsc="ip", loss_policy="stop")
    assert [t.id for t in config.templates] == ["tmpl"]
    assert config.tags == (Tag("tag1", ("ip",)),)
    assert '<bundle id="bun">' in kept["configuration/resources@7"]


STATUS = """
<node_state id="1" uname="pg1" in_ccm="true" crmd="online" join="member" expected="member"
  crm-debug-origin="do_update_resource" shutdown="0">
 <transient_attributes id="1">
  <instance_attributes id="status-1">
   <nvpair id="s1" name="master-pgsql" value="1000"/>
   <nvpair id="s2" name="fail-count-ip#monitor_10000" value="INFINITY"/>
  </instance_attributes>
 </transient_attributes>
 <lrm id="1"><lrm_resources>
  <lrm_resource id="pgsql:0" class="ocf" provider="heartbeat" type="pgsql" container="x">
   <lrm_rsc_op id="pgsql:0_last_0" operation_key="pgsql:0_promote_0" operation="promote"
     crm-debug-origin="build_active_RAs" crm_feature_set="3.0.1"
     transition-key="1:2:0:abc" transition-magic="0:0;1:2:0:abc" exit-reason=""
     on_node="pg1" call-id="12" rc-code="0" op-status="0" interval="0" last-run="1700000000"
     last-rc-change="1700000001" exec-time="120" queue-time="3" op-digest="d41d8"/>
   <lrm_rsc_op id="pgsql:0_monitor_7000" operation="monitor" call-id="13" rc-code="8"
     op-status="0" interval="7000" transition-key="k" transition-magic="m"/>
  </lrm_resource>
 </lrm_resources></lrm>
</node_state>
<node_state id="2" uname="pg2" in_ccm="false"/>
<node_state id="3" uname="pg3" crmd="offline"/>
<tickets><ticket_state id="T" granted="true"/></tickets>
"""


def test_status_constructs() -> None:
    status = parse_cib_xml(wrap(status=STATUS)).status
    pg1 = status.node("pg1")
    assert pg1 is not None and pg1.online
    assert pg1.extra == (("crm-debug-origin", "do_update_resource"), ("shutdown", "0"))
    assert pg1.attribute("master-pgsql") == "1000"
    assert pg1.attribute("fail-count-ip#monitor_10000") == "INFINITY"
    history = pg1.history("pgsql:0")
    assert history is not None
    assert (history.cls, history.provider, history.type) == ("ocf", "heartbeat", "pgsql")
    assert history.extra == (("container", "x"),)
    last, monitor = history.ops
    assert (last.operation, last.interval_ms, last.rc, last.status, last.call_id) == (
        "promote", 0, 0, 0, 12)
    assert (last.last_run, last.last_rc_change, last.exec_time, last.queue_time) == (
        1700000000, 1700000001, 120, 3)
    assert last.exit_reason == "" and last.on_node == "pg1" and last.op_digest == "d41d8"
    assert last.transition_key == "1:2:0:abc" and last.transition_magic == "0:0;1:2:0:abc"
    assert last.extra == (("operation_key", "pgsql:0_promote_0"),
                          ("crm-debug-origin", "build_active_RAs"),
                          ("crm_feature_set", "3.0.1"))
    assert monitor.interval_ms == 7000 and monitor.rc == 8 and monitor.last_run is None
    pg2 = status.node("pg2")
    assert pg2 is not None and not pg2.online
    assert pg2.in_ccm is False
    assert (pg2.crmd, pg2.join, pg2.expected) == ("", "", "")  # absent stays absent
    pg3 = status.node("pg3")
    assert pg3 is not None and pg3.in_ccm is None  # never seen, unlike pg2 that left
    assert status.tickets == (TicketState("T", granted=True),)
    assert status.extra_sections == ()


BAD = [
    ("not xml at all", "not well-formed XML"),
    ("<cib><configuration>", "not well-formed XML"),
    ("<configuration/>", "root element is <configuration>, expected <cib>"),
    ('<cib epoch="seven"/>', "<cib>: bad epoch='seven'"),
    (wrap().replace("<constraints/>", '<constraints><rsc_location id="l" rsc="a" node="n" '
                    'score="lots"/></constraints>'), "<rsc_location id='l'>: bad score='lots'"),
    (wrap().replace("<constraints/>", '<constraints><rsc_colocation id="c" rsc="a" '
                    'with-rsc="b" score="1" rsc-role="Boss"/></constraints>'),
     "<rsc_colocation id='c'>: bad rsc-role='Boss'"),
    (wrap().replace("<resources/>", '<resources><primitive id="p" type="x"/></resources>'),
     "<primitive id='p'>: attribute 'class' is missing"),
    (wrap().replace("<resources/>", '<resources><primitive id="p" class="ocf" type="x">'
                    '<meta_attributes id-ref="nowhere"/></primitive></resources>'),
     "<meta_attributes id='nowhere'>: id-ref 'nowhere' names no element"),
    (wrap().replace("<resources/>", '<resources><primitive id="p" template="t"/></resources>'),
     "<primitive id='p'>: template 't' does not exist"),
    (wrap().replace("<resources/>", '<resources><clone id="c"/></resources>'),
     "<clone id='c'>: holds no primitive or group"),
    (wrap(status='<node_state id="1" uname="a"><lrm><lrm_resources><lrm_resource id="r" '
                 'class="ocf" type="t"><lrm_rsc_op id="x" operation="start" interval="0" '
                 'op-status="0"/></lrm_resource></lrm_resources></lrm></node_state>'),
     "<lrm_rsc_op id='x'>: attribute 'rc-code' is missing"),
]


@pytest.mark.parametrize(("text", "message"), BAD)
def test_bad_documents_name_the_problem(text: str, message: str) -> None:
    with pytest.raises(CibFormatError) as info:
        parse_cib_xml(text, "bad.xml")
    assert str(info.value).startswith("bad.xml: ")
    assert message in str(info.value)
