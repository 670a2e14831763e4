"""The status view prints what crm_simulate prints for the same cluster."""

from __future__ import annotations

from pathlib import Path

from harm.cib.xml_import import parse_cib_xml
from harm.engine.unpack import unpack
from harm.view import preamble_lines, status_lines

NOW = 1_700_000_000

CIB = b"""<cib have-quorum="1"><configuration>
  <crm_config><cluster_property_set id="o">
    <nvpair id="o1" name="stonith-enabled" value="false"/></cluster_property_set></crm_config>
  <nodes><node id="1" uname="node10"/><node id="2" uname="node2"/><node id="3" uname="node3"/>
  </nodes>
  <resources>
    <group id="g">
      <primitive id="a" class="ocf" provider="heartbeat" type="Dummy"/>
      <primitive id="b" class="lsb" type="b">
        <meta_attributes id="bm"><nvpair id="bm1" name="target-role" value="Stopped"/>
        </meta_attributes></primitive>
    </group>
    <clone id="ms"><meta_attributes id="mm"><nvpair id="mm1" name="promotable" value="true"/>
      </meta_attributes><primitive id="s" class="ocf" provider="pacemaker" type="Stateful"/>
    </clone>
  </resources></configuration>
  <status>
    <node_state id="1" uname="node10" in_ccm="true" crmd="online" join="member"
      expected="member"><lrm id="1"><lrm_resources>
      <lrm_resource id="s" class="ocf" provider="pacemaker" type="Stateful">
        <lrm_rsc_op id="s_last_0" operation="promote" call-id="3" rc-code="0" op-status="0"
          interval="0" transition-key="3:1:0:x"/></lrm_resource>
      <lrm_resource id="a" class="ocf" provider="heartbeat" type="Dummy">
        <lrm_rsc_op id="a_last_0" operation="start" call-id="4" rc-code="0" op-status="0"
          interval="0" transition-key="4:1:0:x"/></lrm_resource>
    </lrm_resources></lrm></node_state>
    <node_state id="2" uname="node2" in_ccm="true" crmd="online" join="member"
      expected="member"><transient_attributes id="2"><instance_attributes id="s2">
      <nvpair id="s2a" name="standby" value="on"/></instance_attributes></transient_attributes>
      <lrm id="2"><lrm_resources>
      <lrm_resource id="s" class="ocf" provider="pacemaker" type="Stateful">
        <lrm_rsc_op id="s_last_0" operation="start" call-id="3" rc-code="0" op-status="0"
          interval="0" transition-key="3:1:0:x"/></lrm_resource>
    </lrm_resources></lrm></node_state>
  </status></cib>"""


def test_status_block_in_crm_simulate_format() -> None:
    state = unpack(parse_cib_xml(CIB, "t"), NOW)
    assert status_lines(state) == [
        "Current cluster status:",
        "  * Node List:",
        "    * Node node2: standby (with active resources)",
        "    * Online: [ node10 ]",
        "    * OFFLINE: [ node3 ]",
        "",
        "  * Full List of Resources:",
        "    * Resource Group: g:",
        "      * a\t(ocf:heartbeat:Dummy):\t Started node10",
        "      * b\t(lsb:b):\t Stopped (disabled)",
        "    * Clone Set: ms [s] (promotable):",
        "      * Promoted: [ node10 ]",
        "      * Unpromoted: [ node2 ]",
        "      * Stopped: [ node3 ]",
    ]
    assert preamble_lines(state) == [
        "1 of 5 resource instances DISABLED and 0 BLOCKED from further action due to failure"]


def test_corpus_case_matches_its_summary(corpus_dir: Path) -> None:
    data = (corpus_dir / "xml" / "promoted-7.xml").read_bytes()
    expected = (corpus_dir / "summary" / "promoted-7.summary").read_text().splitlines()
    expected = expected[:expected.index("Transition Summary:")]
    state = unpack(parse_cib_xml(data, "promoted-7"), NOW)
    squeeze = [line.replace(" ", "").replace("\t", "") for line in expected if line.strip()]
    got = [line.replace(" ", "").replace("\t", "") for line in status_lines(state)
           if line.strip()]
    assert got == squeeze
