"""Every error path of the language: where it is reported and what it says."""

from __future__ import annotations

import pytest

from harm.catalog import AgentCatalog
from harm.cib.config import Configuration
from harm.crmsh.load import load_text
from harm.errors import ConfigErrors

BASE = "primitive A ocf:heartbeat:Dummy\nprimitive B ocf:heartbeat:Dummy\n"

# (text appended after BASE, expected "LINE:COL: fragment" of the first error)
CASES = [
    ("primitiv C Dummy", "3:1: expected a statement keyword", "did you mean 'primitive'?"),
    ("bundle b docker image=x", "3:1: expected a statement harm supports", "does not implement"),
    ("rsc_ticket t x A", "3:14: expected TICKET:", "'x'"),
    ("primitive 9x Dummy", "3:11: expected a resource id", "'9x'"),
    ("primitive C", "3:12: expected a resource agent", "the end of the statement"),
    ("primitive C ocf:Dummy", "3:13: expected ocf:PROVIDER:TYPE", "needs a provider"),
    ("primitive C ofc:heartbeat:Dummy", "3:13: expected CLASS:TYPE", "only OCF"),
    ("primitive C lbs:cron", "3:13: expected a resource agent class", "did you mean 'lsb'?"),
    ("primitive C Dummy params x", "3:26: expected NAME=VALUE", "'x'"),
    ("primitive C Dummy op", "3:21: expected an operation name", "end of the statement"),
    ("primitive C Dummy op monitor interval=10s role=Boss", "3:48: expected a role", "'Boss'"),
    ("primitive C Dummy op monitor interval=ten", "3:39: interval must be a duration", "'ten'"),
    ("primitive C Dummy op monitor timeout=5x", "3:38: op monitor timeout must be a duration", ""),
    ("primitive C Dummy op monitor on-fail=explode", "3:38: op monitor on-fail must be one of",
     "'explode'"),
    ("primitive C Dummy op monitr", "3:11: unknown operation 'monitr'", "did you mean 'monitor'?"),
    ("primitive C Dummy op monitor interval=10 op monitor interval=10s", "3:11: operation monitor",
     "defined twice"),
    ("primitive C Dummy meta target-role=Runing", "3:36: target-role must be a role", "'Runing'"),
    ("primitive C Dummy meta is-managed=perhaps", "3:35: is-managed must be true or false", ""),
    ("primitive C Dummy meta migration-threshold=lots", "3:44: migration-threshold must be a score",
     ""),
    ("primitive A Dummy", "3:11: duplicate id 'A'", "line 1"),
    ("group g", "3:8: expected at least one group member", ""),
    ("group g A X", "3:11: unknown resource 'X' in group member", ""),
    ("group g A\ngroup h A", "4:9: 'A' is already in 'g'", "one group or clone only"),
    ("group g A\nclone c g\nclone d c", "5:9: 'c' is a clone", "cannot be cloned"),
    ("group g A\nclone c A", "4:9: 'A' is a member of group 'g'", "clone the group instead"),
    ("clone c A meta clone-max=-1", "3:26: clone-max must be a non-negative integer", ""),
    ("location l Z 100: n1", "3:12: unknown resource 'Z' in constraint", ""),
    ("location l A 10x: n1", "3:14: expected a score", "'10x:'"),
    ("location l A 100:", "3:18: expected a node name after the score", ""),
    ("location l A", "3:13: expected SCORE: NODE or rule", "end of the statement"),
    ("location l A rule 100: #uname equals n1", "3:31: expected a comparison", "'equals'"),
    ("location l A rule 100: #uname eq n1 and x eq 1 or y eq 2", "3:48: expected 'and'",
     "single 'and' or 'or'"),
    ("location l A rule 100: ping float:lt 3", "3:29: expected a value type", ""),
    ("location l A rule $role=master 100: #uname eq n1", "3:12: 'A' is not promotable",
     "Promoted/Unpromoted"),
    ("location l A rule 100: ping integer:lt many", "3:10: rule 'l-rule' compares ping as integer",
     "not a number"),
    ("colocation c A B", "3:14: expected SCORE:", "'A'"),
    ("colocation c inf: A", "3:20: expected at least two resources", ""),
    ("colocation c inf: A B:Master", "3:21: 'B' is not promotable", ""),
    ("colocation c inf: A B:Leader", "3:21: expected a role", "'Leader'"),
    ("colocation c inf: A ( B", "3:24: expected the closing bracket of '('", ""),
    ("colocation c inf: A B A", "3:23: 'A' appears twice in constraint 'c'", ""),
    ("order o Mandatroy: A B", "3:9: expected a kind (Mandatory, Optional, Serialize)",
     "did you mean 'Mandatory'?"),
    ("order o inf: A:begin B", "3:14: expected an action after ':'", ""),
    ("order o inf: A B symmetrical=maybe", "3:30: expected true or false", "'maybe'"),
    ("order o inf: A:promote B", "3:14: 'A' is not promotable", ""),
    ("property", "3:9: expected NAME=VALUE", "end of the statement"),
    ("property no-quorum-policy=sometimes", "3:27: no-quorum-policy must be one of", "'sometimes'"),
    ("property stonith-enabled=maybe", "3:26: stonith-enabled must be true or false", ""),
    ("rsc_defaults resource-stickiness=sticky", "3:34: resource-stickiness must be a score", ""),
    ("location A A 100: n1", "3:10: duplicate id 'A'", "line 1"),
    ('primitive C Dummy params x="unclosed', "3:28: expected a closing \"",
     "continue a quoted value"),
    ("node n1 colour=blue", "3:9: expected 'attributes', 'utilization' or description=TEXT", ""),
    # dates the engine could not use: refused where they stand, never scheduled
    ("location l A rule -inf: date gt 9999-366", "3:33: expected a date", "'9999-366'"),
    ("location l A rule -inf: date lt 2023-02-29", "3:33: expected a date", ""),
    ("location l A rule -inf: date gt 2021-W53-1", "3:33: expected a date", ""),
    ("location l A rule -inf: date gt 2020-01-01T25:00", "3:33: expected a date", ""),
    ("location l A rule -inf: date gt yesterday", "3:33: expected a date", "'yesterday'"),
    ("location l A rule -inf: date in_range start=2020-13-01", "3:45: expected a date", ""),
    ("location l A rule -inf: date in_range start=2020-01-01 years=99999999999",
     "3:62: expected an integer between -2147483648 and 2147483647", ""),
    ("location l A rule -inf: date in_range start=2020-01-01 yaers=1", "3:56: expected one of",
     "did you mean 'years'?"),
    ("location l A rule -inf: date in_range start=2020-01-01 days=1 days=2", "3:63: expected "
     "each field once", ""),
    ("location l A rule -inf: date in_range start=2020-01-01 end=2021-01-01 days=1",
     "3:71: expected end=DATE or a duration, not both", ""),
    ("location l A rule -inf: date date_spec hours=9-x", "3:46: expected a number or a range",
     "'9-x'"),
    ("location l A rule -inf: date date_spec hours=" + "9" * 5000,
     "3:46: expected a number or a range", ""),
    ("location l A rule -inf: date date_spec moon=1 hours=1 moon=2", "3:55: expected each "
     "field once", ""),
    # text the CIB (XML) cannot hold
    ('primitive C Dummy params fake="a\x01b"', "3:33: expected a printable character",
     "U+0001"),
    ("primitive C Dummy params fake=a\x1fb", "3:32: expected a printable character", "U+001F"),
    ('primitive C Dummy params fake="\ud800"', "3:32: expected a printable character", ""),
    ("primitive C Dummy meta description=\uffff", "3:36: expected a printable character", ""),
    # accepted before, written as a CIB that read back otherwise: the round trip says so
    ("primitive C Dummy op monitor interval=10s timeout=10s timeout=20s",
     "3:11: this definition does not read back the same from CIB XML", ""),
    ("primitive C Dummy op monitor interval=10s name=start",
     "3:11: this definition does not read back the same from CIB XML", ""),
    ("clone c A meta clone-max=2147483648", "3:26: clone-max must be a non-negative integer up "
     "to 1000", ""),
]


@pytest.mark.parametrize(("extra", "where", "detail"), CASES, ids=[c[0][:40] for c in CASES])
def test_bad_input_is_reported_with_its_position(extra: str, where: str, detail: str) -> None:
    with pytest.raises(ConfigErrors) as caught:
        load_text(Configuration(), BASE + extra + "\n", "bad.crm", catalog=AgentCatalog.scan())
    first = str(caught.value.errors[0])
    assert first.startswith(f"bad.crm:{where}"), first
    assert detail in first


def test_every_error_of_a_text_is_reported_not_only_the_first() -> None:
    text = BASE + "primitiv C Dummy\nlocation l Z 100: n1\ngroup g A Y\n"
    with pytest.raises(ConfigErrors) as caught:
        load_text(Configuration(), text, "bad.crm")
    assert [str(e).split(":")[1] for e in caught.value.errors] == ["3", "4", "5"]


def test_a_failed_definition_does_not_cascade_into_unknown_reference_errors() -> None:
    text = BASE + "primitive C Dummy params x\nclone c C\ncolocation k inf: c A\n"
    with pytest.raises(ConfigErrors) as caught:
        load_text(Configuration(), text, "bad.crm")
    assert len(caught.value.errors) == 1


def test_unknown_agent_suggests_the_spelling_that_exists() -> None:
    with pytest.raises(ConfigErrors) as caught:
        load_text(Configuration(), "primitive v ocf:heartbeat:IPAddr2 ip=10.0.0.1\n", "x.crm",
                  catalog=AgentCatalog.scan())
    assert str(caught.value.errors[0]) == (
        "x.crm:1:13: unknown resource agent ocf:heartbeat:IPAddr2 "
        "(did you mean ocf:heartbeat:IPaddr2?)"
    )


def test_update_checks_references_against_the_existing_configuration() -> None:
    base = load_text(Configuration(), BASE + "ms m A\n", "base.crm").configuration
    # B exists in the base, so this update is fine; Z does not.
    load_text(base, "colocation c inf: B m:Master\n", "u.crm")
    with pytest.raises(ConfigErrors):
        load_text(base, "colocation c inf: Z m:Master\n", "u.crm")
