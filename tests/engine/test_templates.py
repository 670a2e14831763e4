"""Templates and tags: crm syntax in, the engine's expanded view out."""

from __future__ import annotations

import pytest

from harm.cib.cib import Cib
from harm.cib.config import Colocation, Location, Primitive
from harm.cib.status import NodeState, Status
from harm.cib.xml_export import cib_to_xml
from harm.cib.xml_import import parse_cib_xml
from harm.crmsh.load import parse_configuration
from harm.crmsh.render import render_configuration
from harm.engine.schedule import schedule
from harm.engine.templates import expand
from harm.engine.unpack import unpack
from harm.errors import ConfigErrors

NOW = 1_700_000_000
CRM = """\
node n1
node n2
property stonith-enabled=false
rsc_template web ocf:harm:Dummy params port=80 meta target-role=Stopped \\
    op monitor interval=10s op start timeout=20s
primitive w1 @web meta target-role=Started op monitor interval=30s
primitive w2 @web
primitive db ocf:harm:Dummy
tag front w1 w2
location front-on-n2 front 100: n2
colocation db-with-web inf: db web
"""


def _cib() -> Cib:
    nodes = tuple(NodeState(id=n, uname=n, in_ccm=True, crmd="online", join="member",
                            expected="member") for n in ("n1", "n2"))
    return Cib(configuration=parse_configuration(CRM), status=Status(nodes=nodes),
               have_quorum=True)


def test_a_primitive_takes_its_templates_agent_sets_and_missing_operations() -> None:
    config, warnings = expand(parse_configuration(CRM))
    assert warnings == []
    w1 = config.find_resource("w1")
    assert isinstance(w1, Primitive) and str(w1.agent) == "ocf:harm:Dummy"
    assert [(op.name, op.interval) for op in w1.ops] == [("monitor", "30s"), ("start", "0")]
    assert w1.meta_value("target-role") == "Started"  # its own set overrides the template's
    assert w1.param("port") == "80"


def test_constraints_naming_a_tag_or_template_apply_to_their_resources() -> None:
    config, _ = expand(parse_configuration(CRM))
    location = config.constraint("front-on-n2")
    assert isinstance(location, Location) and location.sets[0].resources == ("w1", "w2")
    colocation = config.constraint("db-with-web")
    assert isinstance(colocation, Colocation)
    assert [s.resources for s in colocation.sets] == [("db",), ("w1", "w2")]


def test_the_engine_schedules_the_expanded_configuration() -> None:
    cib = _cib()
    transition = schedule(unpack(cib, NOW), NOW)
    placed = {rsc: node for rsc, node, _role in transition.placements}
    assert placed["w1"] == "n2"  # the tag's location, the template's target-role overridden
    assert placed["w2"] is None  # the template's target-role=Stopped
    # colocated with every primitive the template stands for, and one of them is stopped
    assert placed["db"] is None


def test_templates_and_tags_round_trip_through_crm_text_and_xml() -> None:
    config = parse_configuration(CRM)
    again = parse_configuration(render_configuration(config))
    assert again == config
    back = parse_cib_xml(cib_to_xml(Cib(configuration=config))).configuration
    assert back.templates == config.templates and back.tags == config.tags
    assert back.resources == config.resources


@pytest.mark.parametrize("text, expected", [
    ("primitive w3 @nothere", "unknown template 'nothere'"),
    ("tag t2 w1 ghost", "unknown resource 'ghost'"),
    ("primitive w3 @", "@TEMPLATE"),
])
def test_bad_template_and_tag_references_are_reported(text: str, expected: str) -> None:
    with pytest.raises(ConfigErrors) as caught:
        parse_configuration(CRM + text + "\n")
    assert expected in str(caught.value)
