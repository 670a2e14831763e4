"""Mutated CIB XML documents for fuzzing the XML reader, the writer and the engine.

    from xml_inputs import seeds, mutate
    text = mutate(random.Random(seed), rng.choice(seeds()))

The seeds are CIBs written by harm itself (from :mod:`configs` cases, with status and
operation history). A mutation truncates, flips, inserts or deletes bytes, cuts or repeats
an element, turns an ``id`` into an ``id-ref`` (cycles included), puts odd values in
attributes (5,000 digits, character references to control characters, surrogates), nests
elements thousands deep, or adds a DOCTYPE with entities.

:func:`run_xml` is the property: the reader returns a CIB or raises CibFormatError; a CIB
it returns is written again (or refused with CibFormatError), read back, and — when asked —
scheduled by the engine without an error.
"""

from __future__ import annotations

import functools
import random
import re

from harm.cib.cib import Cib
from harm.cib.status import OpRecord, ResourceHistory
from harm.cib.xml_export import cib_to_xml
from harm.cib.xml_import import parse_cib_xml
from harm.crmsh.load import parse_configuration
from harm.engine.schedule import schedule
from harm.engine.unpack import unpack
from harm.errors import CibFormatError, ConfigErrors

NOW = 1_700_000_000

_VALUES = ("9" * 5000, "-" + "9" * 400, "INFINITY", "-INFINITY", "", " ", "&#1;", "&#xD800;",
           "&#0;", "&amp;", "1e999", "nan", "2147483648", "-1", "0", "Promoted", "Master",
           "9999-366", "P99999999999999Y", "10000000000000000000000s", "&lt;x&gt;", "\t",
           "monitor", "start", "7", "8", "-5", "99999999999999999999")
_TAGS = ("rule", "expression", "date_expression", "date_spec", "duration", "nvpair",
         "primitive", "group", "clone", "master", "rsc_location", "rsc_colocation",
         "rsc_order", "resource_set", "resource_ref", "node_state", "lrm", "lrm_resources",
         "lrm_resource", "lrm_rsc_op", "instance_attributes", "meta_attributes",
         "transient_attributes", "op", "operations", "node", "cib", "configuration",
         "status", "tickets", "bundle", "template")
_ATTRS = ("id", "id-ref", "score", "role", "rsc-role", "with-rsc", "rsc", "first", "then",
          "operation", "value", "attribute", "type", "start", "end", "years", "hours",
          "interval", "rc-code", "op-status", "call-id", "last-rc-change", "epoch",
          "admin_epoch", "num_updates", "crmd", "in_ccm", "join", "name", "class",
          "provider", "boolean-op", "score-attribute", "kind", "sequential", "operation_key",
          "transition-key", "exec-time", "on_node", "uname", "node", "require-all")


@functools.cache
def seeds(history: bool = True) -> tuple[str, ...]:
    """A few CIBs written by harm, with status and history (the same every run); without
    ``history``, only their configurations (smaller: the long run's cheap target)."""
    from configs import random_case  # the sibling module (bench/fuzz on sys.path)

    texts: list[str] = []
    seed = 0
    while len(texts) < 12:
        case = random_case(random.Random(seed))
        seed += 1
        try:
            configuration = parse_configuration(case.text, "<seed>")
        except ConfigErrors:
            continue
        nodes = []
        for state in case.status.nodes:
            history = tuple(
                ResourceHistory(id=rsc.id, cls="ocf", provider="harm", type="Dummy", ops=(
                    OpRecord(id=f"{rsc.id}_last_0", operation="start", interval_ms=0,
                             rc=seed % 9, call_id=3, last_rc_change=NOW - 60),
                    OpRecord(id=f"{rsc.id}_monitor_10000", operation="monitor",
                             interval_ms=10_000, rc=0, call_id=4),
                ))
                for rsc in configuration.resources[:2])
            nodes.append(state.__class__(**{**state.__dict__, "resources": history}))
        status = case.status.__class__(nodes=tuple(nodes) if history else ())
        texts.append(cib_to_xml(Cib(configuration=configuration, status=status, epoch=3,
                                    have_quorum=True)))
    return tuple(texts)


def mutate(rng: random.Random, text: str) -> str:
    """One to three random mutations of ``text``."""
    for _ in range(1 + rng.randrange(3)):
        text = _MUTATIONS[rng.randrange(len(_MUTATIONS))](rng, text)
    return text


def _truncate(rng: random.Random, text: str) -> str:
    return text[:rng.randrange(len(text) + 1)]


def _flip(rng: random.Random, text: str) -> str:
    chars = list(text)
    for _ in range(1 + rng.randrange(8)):
        if chars:
            chars[rng.randrange(len(chars))] = rng.choice('<>/="\'&;#x \n\x00\x01é\ud800a0-')
    return "".join(chars)


def _delete(rng: random.Random, text: str) -> str:
    start = rng.randrange(len(text) + 1)
    return text[:start] + text[start + rng.randrange(200):]


def _insert_tag(rng: random.Random, text: str) -> str:
    at = _tag_start(rng, text)
    attrs = " ".join(f'{rng.choice(_ATTRS)}="{rng.choice(_VALUES)}"'
                     for _ in range(rng.randrange(4)))
    tag = rng.choice(_TAGS)
    piece = rng.choice((f"<{tag} {attrs}/>", f"<{tag} {attrs}>", f"</{tag}>",
                        f"<{tag} {attrs}><{rng.choice(_TAGS)} {attrs}/></{tag}>"))
    return text[:at] + piece + text[at:]


def _odd_value(rng: random.Random, text: str) -> str:
    matches = list(re.finditer(r'="[^"]*"', text))
    if not matches:
        return text
    match = rng.choice(matches)
    return text[:match.start()] + f'="{rng.choice(_VALUES)}"' + text[match.end():]


def _id_to_ref(rng: random.Random, text: str) -> str:
    matches = list(re.finditer(r' id="', text))
    if not matches:
        return text
    match = rng.choice(matches)
    return text[:match.start()] + ' id-ref="' + text[match.end():]


def _repeat_element(rng: random.Random, text: str) -> str:
    matches = list(re.finditer(r"<(\w+)[^<>]*/>", text))
    if not matches:
        return text
    match = rng.choice(matches)
    return text[:match.end()] + match.group() * rng.randrange(1, 50) + text[match.end():]


def _deep(rng: random.Random, text: str) -> str:
    at = _tag_start(rng, text)
    tag = rng.choice(("rule", "x", "resources", "group"))
    depth = rng.choice((200, 255, 256, 257, 300, 3000, 20_000))
    opening = f'<{tag} id="d" score="1" boolean-op="and">' if tag == "rule" else f"<{tag}>"
    return text[:at] + opening * depth + f"</{tag}>" * depth + text[at:]


def _doctype(rng: random.Random, text: str) -> str:
    body = text.split("?>", 1)[-1]
    entity = rng.choice((
        '<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">',
        '<!ENTITY x SYSTEM "file:///etc/hostname">', ""))
    return f"<!DOCTYPE cib [{entity}]>" + body.replace('epoch="', 'epoch="&b;', 1)


def _tag_start(rng: random.Random, text: str) -> int:
    starts = [m.start() for m in re.finditer("<", text)]
    return rng.choice(starts) if starts else 0


_MUTATIONS = (_truncate, _flip, _delete, _insert_tag, _insert_tag, _odd_value, _odd_value,
              _odd_value, _id_to_ref, _repeat_element, _deep, _doctype)


def run_xml(text: str, engine: bool) -> str:
    """``refused``, ``read`` or ``scheduled``; any other outcome raises (that is a bug)."""
    try:
        cib = parse_cib_xml(text, "<fuzz>")
    except CibFormatError:
        return "refused"
    try:
        written = cib_to_xml(cib)
    except CibFormatError:
        return "refused"
    parse_cib_xml(written, "<fuzz, written back>")
    if not engine:
        return "read"
    schedule(unpack(cib, NOW), NOW)
    return "scheduled"
