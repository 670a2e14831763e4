"""XML from anyone: no DOCTYPE or entities, bounded nesting, and a fuzzed reader."""

from __future__ import annotations

import importlib.util
import random
import sys
import time
from pathlib import Path
from types import ModuleType

import pytest

from harm.cib.cib import Cib
from harm.cib.config import AttrExpression, Configuration, Location, Rule
from harm.cib.safe_xml import MAX_DEPTH, parse_xml
from harm.cib.xml_export import cib_to_xml
from harm.cib.xml_import import parse_cib_xml
from harm.errors import CibFormatError

FUZZ = Path(__file__).resolve().parents[2] / "bench" / "fuzz"
CIB = '<cib epoch="1" num_updates="0" admin_epoch="0"><configuration/><status/></cib>'


@pytest.mark.parametrize("text", [
    # entities that multiply (a billion laughs, cut short)
    '<?xml version="1.0"?><!DOCTYPE cib [<!ENTITY a "aaaaaaaaaa">'
    '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><cib epoch="&b;"/>',
    # an external entity that reads a file
    '<!DOCTYPE cib [<!ENTITY x SYSTEM "file:///etc/passwd">]><cib epoch="1">&x;</cib>',
    '<!DOCTYPE cib SYSTEM "http://example.invalid/cib.dtd"><cib/>',
])
def test_a_doctype_is_refused_whatever_expat_would_do(text: str) -> None:
    with pytest.raises(CibFormatError, match="DOCTYPE or entity declaration is not allowed"):
        parse_cib_xml(text, "cib.xml")


def test_nesting_is_limited_when_reading() -> None:
    deep = "<cib><configuration><constraints>" + "<rule>" * 3000 + "</rule>" * 3000 + \
        "</constraints></configuration></cib>"
    with pytest.raises(CibFormatError, match=f"nested deeper than {MAX_DEPTH} levels"):
        parse_cib_xml(deep, "cib.xml")
    ok = "<a>" * MAX_DEPTH + "</a>" * MAX_DEPTH
    assert parse_xml(ok, "x").tag == "a"
    with pytest.raises(CibFormatError, match="level 257"):
        parse_xml("<a>" + ok + "</a>", "x")


def test_a_hundred_thousand_levels_are_refused_without_recursion() -> None:
    started = time.monotonic()
    with pytest.raises(CibFormatError, match="nested deeper"):
        parse_xml("<a>" * 100_000 + "</a>" * 100_000, "x")
    assert time.monotonic() - started < 10.0  # about 0.4 s on an idle machine


def test_nesting_is_limited_when_writing() -> None:
    rule: Rule = Rule("r0", (AttrExpression("e", "a", "defined"),), score=1)
    for level in range(1, 3000):
        rule = Rule(f"r{level}", (rule,), score=1)
    deep = Cib(configuration=Configuration(constraints=(
        Location(id="l", rsc="x", rules=(rule,)),)))
    with pytest.raises(CibFormatError, match=f"nested deeper than {MAX_DEPTH} levels"):
        cib_to_xml(deep)


@pytest.mark.parametrize(("data", "message"), [
    (b"\xff\xfe<cib/>", "not UTF-8"),
    ("<cib a='\ud800'/>", "not valid text"),
    ("", "no element found"),
    (CIB[:40], "not well-formed"),
])
def test_text_that_is_not_xml_is_a_format_error(data: str | bytes, message: str) -> None:
    with pytest.raises(CibFormatError, match=message):
        parse_cib_xml(data, "cib.xml")


def test_a_byte_order_mark_is_fine() -> None:
    assert parse_cib_xml(b"\xef\xbb\xbf" + CIB.encode(), "cib.xml").epoch == 1


def _fuzz_module() -> ModuleType:
    sys.path.insert(0, str(FUZZ))  # xml_inputs builds its seeds with its sibling configs
    try:
        spec = importlib.util.spec_from_file_location("bench_fuzz_xml_inputs",
                                                      FUZZ / "xml_inputs.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module
        spec.loader.exec_module(module)
        module.seeds()
    finally:
        sys.path.remove(str(FUZZ))
    return module


def test_mutated_cibs_are_read_or_refused_and_what_is_read_is_scheduled() -> None:
    fuzz = _fuzz_module()
    outcomes = {"refused": 0, "read": 0, "scheduled": 0}
    for seed in range(800):
        rng = random.Random(seed)
        text = fuzz.mutate(rng, rng.choice(fuzz.seeds()))
        try:
            outcomes[fuzz.run_xml(text, engine=seed % 4 == 0)] += 1
        except Exception as error:  # the seed is the report
            raise AssertionError(f"seed {seed}: {error!r}") from error
    assert outcomes["refused"] >= 100 and outcomes["read"] + outcomes["scheduled"] >= 100, \
        outcomes


def _location_with(rules: str, extra: str = "") -> str:
    return ('<cib epoch="1"><configuration><resources><primitive id="p" class="ocf" '
            'provider="harm" type="Dummy"/></resources><constraints>'
            f'<rsc_location id="l" rsc="p">{rules}</rsc_location>{extra}'
            '</constraints></configuration><status/></cib>')


def test_an_id_ref_cycle_between_rules_is_refused() -> None:
    cyclic = _location_with('<rule id="r1" score="1"><rule id="r2" boolean-op="and">'
                            '<rule id-ref="r1"/></rule></rule>')
    with pytest.raises(CibFormatError, match="contain itself"):
        parse_cib_xml(cyclic, "cib.xml")


def test_id_refs_cannot_multiply_rules_exponentially() -> None:
    levels = 40  # each rule refers twice to the next: 2**40 rules once expanded
    defined = "".join(
        f'<rsc_location id="x{i}" rsc="p"><rule id="q{i}" score="1">'
        + (f'<rule id-ref="q{i + 1}"/><rule id-ref="q{i + 1}"/>' if i < levels else
           '<expression id="e" attribute="a" operation="defined"/>')
        + "</rule></rsc_location>" for i in range(levels + 1))
    started = time.monotonic()
    with pytest.raises(CibFormatError, match="more than 100000 rules"):
        parse_cib_xml(_location_with('<rule id-ref="q0"/>', defined), "cib.xml")
    assert time.monotonic() - started < 30.0
