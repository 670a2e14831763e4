"""Synapses are laid out as Pacemaker's graph producer lays them out."""

from __future__ import annotations

from harm.cib.xml_import import parse_cib_xml
from harm.engine.transition import Action, ActionKind, Transition
from harm.engine.unpack import unpack
from harm.graph.order import synapse_order

CIB = b"""<cib have-quorum="1"><configuration>
  <nodes><node id="1" uname="n1"/></nodes>
  <resources>
    <primitive id="low" class="ocf" provider="heartbeat" type="Dummy"/>
    <clone id="c"><primitive id="p" class="ocf" provider="heartbeat" type="Dummy"/></clone>
    <primitive id="high" class="ocf" provider="heartbeat" type="Dummy">
      <meta_attributes id="m"><nvpair id="m1" name="priority" value="10"/></meta_attributes>
    </primitive>
  </resources></configuration><status/></cib>"""


def test_priority_then_instances_before_clone_newest_first() -> None:
    state = unpack(parse_cib_xml(CIB, "t"), 0)
    actions = (
        Action(0, "start", "low", "n1"),
        Action(1, "monitor", "low", "n1"),
        Action(2, "start", "p:0", "n1"),
        Action(3, "start", "c", kind=ActionKind.PSEUDO),
        Action(4, "running", "c", kind=ActionKind.PSEUDO),
        Action(5, "start", "high", "n1"),
        Action(6, "stonith", None, "n9", kind=ActionKind.FENCE),
        Action(7, "stop", "low", "n1", optional=True),
    )
    order = synapse_order(Transition(actions=actions), state)
    assert [a.id for a in order] == [5, 1, 0, 2, 4, 3, 6]
