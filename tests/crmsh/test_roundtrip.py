"""load → show → load gives the identical model, for every example and many shapes."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harm.cib.cib import Cib
from harm.cib.xml_export import cib_to_xml
from harm.cib.xml_import import parse_cib_xml
from harm.crmsh.load import parse_configuration
from harm.crmsh.render import render_configuration

from .seed import corrected_seed_text

REPO = Path(__file__).resolve().parents[2]

SHAPES = [
    "primitive p ocf:heartbeat:Dummy\n",
    'primitive p ocf:heartbeat:Dummy params state="/tmp/a b" fake="x\\"y" '
    "meta target-role=Stopped op monitor interval=10s timeout=20s "
    "op monitor interval=11s role=Slave op start interval=0 timeout=1min\n",
    "primitive a Dummy\nprimitive b Dummy\ngroup g a b meta target-role=Started\n"
    "clone c g meta interleave=true\n",
    "primitive a Dummy\nms m a meta master-max=1 notify=true\n"
    "location l m rule $role=Master 100: #uname eq n1 and site ne b\n",
    "primitive a Dummy\nprimitive b Dummy\nprimitive c Dummy\n"
    "colocation x -inf: a b c\ncolocation y 50: ( a b ) c\norder o Serialize: [ a b ] c\n"
    "order p inf: a:start b:stop symmetrical=true\n",
    "primitive a Dummy\nlocation l a rule $id=custom pingd: defined pingd\n"
    "location m a rule -inf: date date_spec hours=9-17 weekdays=1-5\n"
    "location n /^a/ -100: n2\n",
    "node n1 attributes site=a standby=off\nnode $id=7 n2:member utilization cpu=4\n"
    "property $id=more maintenance-mode=false\nproperty stonith-enabled=false\n"
    "rsc_defaults resource-stickiness=100\nop_defaults timeout=30s record-pending=true\n",
]


def roundtrip(text: str) -> None:
    first = parse_configuration(text, "first")
    shown = render_configuration(first)
    second = parse_configuration(shown, "shown")
    assert second == first, shown
    assert render_configuration(second) == shown


@pytest.mark.parametrize("text", SHAPES)
def test_shapes_round_trip(text: str) -> None:
    roundtrip(text)


def test_the_corrected_seed_configuration_round_trips() -> None:
    roundtrip(corrected_seed_text())


@pytest.mark.parametrize("path", sorted((REPO / "configs").glob("*.crm")), ids=lambda p: p.name)
def test_example_configurations_round_trip(path: Path) -> None:
    roundtrip(path.read_text())


# Every character a CIB (XML 1.0) can hold, except the line ends the crm syntax uses.
_VALUES = st.text(
    alphabet=st.characters(
        exclude_categories=("Cs",),
        exclude_characters="\n\r\ufffe\uffff" + "".join(
            chr(c) for c in range(0x20) if chr(c) != "\t"),
    ),
    min_size=0,
    max_size=12,
)
_NAMES = st.from_regex(r"[a-z][a-z0-9_\-]{0,8}", fullmatch=True).filter(
    lambda n: n not in ("params", "meta", "op", "utilization", "operations")
)


@settings(max_examples=150, deadline=None)
@given(st.dictionaries(_NAMES, _VALUES, min_size=1, max_size=5))
def test_any_parameter_value_round_trips(params: dict[str, str]) -> None:
    def crm_quote(value: str) -> str:
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'

    text = "primitive p Dummy params " + " ".join(
        f"{k}={crm_quote(v)}" for k, v in params.items()
    )
    config = parse_configuration(text)
    assert config.resources[0].params[0].as_dict() == params  # type: ignore[union-attr]
    roundtrip(text)
    cib = Cib(configuration=config)
    assert parse_cib_xml(cib_to_xml(cib)).configuration == config
