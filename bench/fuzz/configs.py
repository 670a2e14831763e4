"""Random crm configurations for fuzzing the configuration gate and the policy engine.

    from configs import random_case
    case = random_case(random.Random(seed))   # text + node states, reproducible per seed

A case is a crm text on 2 to 4 nodes (primitives, groups, clones and promotable clones,
location constraints with rules on node attributes, dates, durations and date_spec,
colocations and orders, cluster properties and defaults) and the nodes' status (online or
not, transient attributes). Values are drawn from the valid, the edge (year 9999, ordinal
day 366, week 53, 0, huge and negative numbers, empty strings) and the odd (5,000-digit
numbers, control characters, non-ASCII), so that many cases are refused by the checker and
the rest must be scheduled.

:func:`run_case` is the property every case must satisfy: the configuration is either
refused with harm's positioned ConfigErrors, or it is written as CIB XML, read back
unchanged and scheduled; anything else raises.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from harm.cib.cib import Cib
from harm.cib.config import NvSet
from harm.cib.status import NodeState, Status
from harm.cib.xml_export import cib_to_xml
from harm.cib.xml_import import parse_cib_xml
from harm.crmsh.load import parse_configuration
from harm.engine.schedule import schedule
from harm.engine.unpack import unpack
from harm.errors import ConfigErrors

NOW = 1_700_000_000

_BIG = "9" * 5000
_NUMBERS = ("0", "1", "-1", "7", "100", "59", "60", "366", "2147483647", "2147483648",
            "-2147483649", "9223372036854775808", "99999999999999999999", _BIG, "00012",
            "+5", "1.5", "-0", "1e308", "1e999", "", "abc", "INFINITY", "-inf")
_YEARS = ("0000", "0001", "1970", "2005", "2024", "2038", "9998", "9999")
_TIMES = ("", "T00:00:00", " 12:30:00Z", "T23:59:59+02:00", "T24:00:00", " 12:00:00 -05:00",
          "T25:61:61", "T12:00:00.5Z", "T00:00")
_DURATION_KEYS = ("years", "months", "weeks", "days", "hours", "minutes", "seconds",
                  "bogus")
_SPEC_KEYS = ("years", "months", "monthdays", "hours", "minutes", "seconds", "yeardays",
              "weekyears", "weeks", "weekdays", "moon", "bogus")
_ATTRS = ("site", "rack", "ssd", "ping", "#uname", "#kind", "#id", "#role", "pri")
_OPS = ("lt", "gt", "lte", "gte", "eq", "ne")
_TYPES = ("", "string:", "integer:", "number:", "version:")
_SCORES = ("inf", "-inf", "100", "-100", "0", "+INFINITY", "1000000", "-999999",
           "5000000", _BIG)
_ODD = ("", "a\x01b", "tab\there", "é", "\u2028", "x" * 300, "&amp;", "<>", '"', "a b",
        "\x7f", "\ufffe", "\ud800", _BIG, "2147483648", "-9223372036854775809", "1e999")


@dataclass(frozen=True)
class Case:
    text: str
    status: Status
    have_quorum: bool = True


def _pick(rng: random.Random, *choices: str) -> str:
    return rng.choice(choices)


def _number(rng: random.Random) -> str:
    if rng.random() < 0.9:
        return str(rng.randint(-5, 70))
    return rng.choice(_NUMBERS)


def _odd(rng: random.Random, usual: str) -> str:
    """Mostly ``usual``; now and then something odd."""
    return rng.choice(_ODD) if rng.random() < 0.05 else usual


def _date(rng: random.Random) -> str:
    year = rng.choice(_YEARS) if rng.random() < 0.7 else f"{rng.randint(0, 9999):04d}"
    form = rng.randrange(7) if rng.random() < 0.25 else 6
    if form == 0:
        day = year
    elif form == 1:
        day = f"{year}-{rng.randint(0, 13):02d}-{rng.randint(0, 32):02d}"
    elif form == 6:
        day = f"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
    elif form == 2:
        day = f"{year}-{rng.choice((1, 59, 60, 365, 366, 367, 0, 999)):03d}"
    elif form == 3:
        day = f"{year}-W{rng.choice((1, 52, 53, 54, 0)):02d}-{rng.randint(0, 8)}"
    elif form == 4:
        day = f"{year}-{rng.randint(1, 12):02d}"
    else:
        day = rng.choice(("bogus", "", "2024-02-29", "1999-12-31", "2024-1-1", _BIG[:12]))
    return day + (rng.choice(_TIMES) if rng.random() < 0.5 else "")


def _quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _range(rng: random.Random) -> str:
    form = rng.randrange(5)
    a, b = str(rng.randint(0, 60)), _number(rng)
    return _odd(rng, (a, f"{a}-{b}", f"-{b}", f"{a}-", a)[form])


def _expression(rng: random.Random) -> str:
    kind = rng.randrange(6)
    if kind == 0:
        return f"date {_pick(rng, 'gt', 'lt')} {_quote(_date(rng))}"
    if kind == 1:
        pairs = [f"start={_quote(_date(rng))}"] if rng.random() < 0.8 else []
        if rng.random() < 0.4 or not pairs:
            pairs.append(f"end={_quote(_date(rng))}")
        for _ in range(rng.randrange(3) if len(pairs) == 1 and rng.random() < 0.9 else 0):
            key = rng.choice(_DURATION_KEYS) if rng.random() < 0.1 else rng.choice(
                _DURATION_KEYS[:-1])
            pairs.append(f"{key}={_quote(_number(rng))}")
        return "date in_range " + " ".join(pairs)
    if kind == 2:
        keys = rng.sample(_SPEC_KEYS[:-1], 1 + rng.randrange(3))
        if rng.random() < 0.05:
            keys.append(rng.choice(_SPEC_KEYS))
        pairs = [f"{key}={_quote(_range(rng))}" for key in keys]
        return "date date_spec " + " ".join(pairs)
    if kind == 3:
        return f"{_pick(rng, 'defined', 'not_defined')} {rng.choice(_ATTRS)}"
    value = _odd(rng, rng.choice((_number(rng), "n1", "Promoted", "1.2.3", "dc1")))
    return (f"{rng.choice(_ATTRS)} {rng.choice(_TYPES)}{rng.choice(_OPS)} "
            f"{_quote(value)}")


def _rule(rng: random.Random) -> str:
    head = "rule "
    if rng.random() < 0.2:
        head += f"$role={_pick(rng, 'Promoted', 'Unpromoted', 'Started')} "
    score = rng.choice(_SCORES) if rng.random() < 0.8 else rng.choice(("pri", "ping"))
    joiner = _pick(rng, " and ", " or ")
    expressions = joiner.join(_expression(rng) for _ in range(1 + rng.randrange(3)))
    return f"{head}{score}: {expressions}"


def random_case(rng: random.Random) -> Case:
    """One random configuration and status (the same ``rng`` state gives the same case)."""
    nodes = [f"n{i}" for i in range(1, 2 + rng.randrange(3))]
    lines = []
    for node in nodes:
        attrs = " ".join(f"{rng.choice(_ATTRS[:5])}={_quote(_number(rng))}"
                         for _ in range(rng.randrange(3)))
        lines.append(f"node {node}" + (f" attributes {attrs}" if attrs else ""))
    prims = [f"p{i}" for i in range(1 + rng.randrange(6))]
    for prim in prims:
        agent = _pick(rng, "ocf:harm:Dummy", "ocf:harm:Stateful")
        line = f"primitive {prim} {agent}"
        if rng.random() < 0.3:
            line += f" params fake={_quote(_odd(rng, rng.choice(('x', '1', 'a b'))))}"
        if rng.random() < 0.4:
            line += (f" meta resource-stickiness={_quote(rng.choice(_SCORES))}"
                     f" migration-threshold={_quote(_odd(rng, str(rng.randint(0, 5))))}"
                     f" priority={_quote(_odd(rng, str(rng.randint(-5, 10))))}")
        if rng.random() < 0.4:
            interval = _odd(rng, rng.choice(("10s", "0", str(rng.randint(1, 90)))))
            timeout = _odd(rng, rng.choice(("20s", f"{rng.randint(1, 90)}s")))
            line += f" op monitor interval={_quote(interval)} timeout={_quote(timeout)}"
        lines.append(line)
    free = list(prims)
    rng.shuffle(free)
    tops: list[str] = []
    if len(free) >= 3 and rng.random() < 0.5:
        members = [free.pop(), free.pop()]
        lines.append(f"group g1 {' '.join(members)}")
        tops.append("g1")
    promotable: list[str] = []
    while free and rng.random() < 0.5:
        child = free.pop()
        cid = f"c_{child}"
        meta = []
        if rng.random() < 0.5:
            meta.append("promotable=true")
            promotable.append(cid)
        if rng.random() < 0.5:
            meta.append(f"clone-max={_quote(_odd(rng, str(rng.randint(0, 5))))}")
        if rng.random() < 0.3:
            meta.append(f"promoted-max={_quote(_odd(rng, str(rng.randint(0, 3))))}")
        lines.append(f"clone {cid} {child}" + (" meta " + " ".join(meta) if meta else ""))
        tops.append(cid)
    tops += free
    for index in range(rng.randrange(5)):
        rsc = rng.choice(tops)
        if rng.random() < 0.3:
            lines.append(f"location loc{index} {rsc} {rng.choice(_SCORES)}: "
                         f"{rng.choice(nodes)}")
        else:
            role = " role=Promoted" if rsc in promotable and rng.random() < 0.3 else ""
            rules = " ".join(_rule(rng) for _ in range(1 + rng.randrange(2)))
            lines.append(f"location loc{index} {rsc}{role} {rules}")
    if rng.random() < 0.2:
        lines.append(f"location pat {rng.choice(('/p.*/', '/c_.*/', '/[/', '/g1/'))} "
                     f"{rng.choice(_SCORES)}: {rng.choice(nodes)}")
    if len(tops) >= 2:
        for index in range(rng.randrange(4)):
            a, b = rng.sample(tops, 2)
            b_role = ":Promoted" if b in promotable and rng.random() < 0.5 else ""
            a_act = ":promote" if a in promotable and rng.random() < 0.5 else rng.choice(
                ("", "", ":start", ":stop"))
            form = rng.randrange(5)
            if form == 0:
                lines.append(f"colocation col{index} {rng.choice(_SCORES)}: {a} {b}{b_role}")
            elif form == 1:
                lines.append(f"order ord{index} {_pick(rng, 'Mandatory', 'Optional', '0', 'inf')}"
                             f": {a}{a_act} {b} symmetrical={_pick(rng, 'true', 'false')}")
            elif form == 2 and len(tops) >= 3:
                x, y, z = rng.sample(tops, 3)
                lines.append(f"colocation cset{index} {rng.choice(_SCORES)}: ( {x} {y} ) {z}")
            elif form == 3 and len(tops) >= 3:
                x, y, z = rng.sample(tops, 3)
                lines.append(f"order oset{index} Mandatory: {x} [ {y} {z} ]")
            else:
                lines.append(f"colocation cna{index} {rng.choice(_SCORES)}: {a} {b} "
                             f"node-attribute={rng.choice(_ATTRS[:4])}")
    if rng.random() < 0.3:
        target = rng.choice(prims)
        lines.append(f"primitive {target}x ocf:harm:Dummy meta target-role="
                     f"{_pick(rng, 'Stopped', 'Started', 'Promoted', 'Unpromoted')} "
                     f"failure-timeout={_odd(rng, rng.choice(('10s', '0', '1min')))} "
                     f"op monitor interval=5s on-fail="
                     f"{_pick(rng, 'ignore', 'block', 'stop', 'restart', 'standby', 'fence')}")
    if rng.random() < 0.3:
        lines.append(f"op_defaults timeout={_odd(rng, '30s')} record-pending=true")
    if rng.random() < 0.9:
        lines.append(f"property stonith-enabled=false no-quorum-policy="
                     f"{_pick(rng, 'ignore', 'stop', 'freeze')}"
                     f" symmetric-cluster={_pick(rng, 'true', 'false')}")
    if rng.random() < 0.4:
        lines.append(f"rsc_defaults resource-stickiness={_quote(rng.choice(_SCORES))}")
    states = []
    for node in nodes:
        online = rng.random() < 0.85
        attrs = tuple((rng.choice(_ATTRS[:5]), _number(rng)) for _ in range(rng.randrange(3)))
        states.append(NodeState(
            id=node, uname=node, in_ccm=online, crmd="online" if online else "offline",
            join="member" if online else "down", expected="member" if online else "down",
            transient_attributes=(NvSet(f"status-{node}", attrs),) if attrs else ()))
    return Case("\n".join(lines) + "\n", Status(nodes=tuple(states)), rng.random() < 0.9)


def run_case(case: Case) -> str:
    """``refused`` or ``scheduled``; any other outcome raises (that is a bug)."""
    try:
        configuration = parse_configuration(case.text, "<fuzz>")
    except ConfigErrors:
        return "refused"
    cib = Cib(configuration=configuration, status=case.status, epoch=1,
              have_quorum=case.have_quorum)
    back = parse_cib_xml(cib_to_xml(cib), "<fuzz>")
    if back.configuration != cib.configuration:
        raise AssertionError("the configuration does not read back as it was written")
    schedule(unpack(back, NOW), NOW)
    return "scheduled"
