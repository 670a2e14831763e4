"""op-digest as Pacemaker computes it, checked against the regression corpus."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from harm.cib.config import AgentRef
from harm.cib.durations import parse_ms
from harm.executor.digest import op_digest, parameters_text
from harm.executor.request import OpRequest

DUMMY = AgentRef("ocf", "heartbeat", "Dummy")
Params = list[tuple[str, str]]
OpTable = dict[tuple[str, int], tuple[int, Params]]  # (name, interval) -> (timeout, op params)


def test_known_values() -> None:
    # the digests of a parameterless start and of a 20 s-timeout monitor in Pacemaker's corpus
    assert op_digest(OpRequest("A", DUMMY, "start")) == "f2317cad3d54cec5d7d7aa7d0bf35cf8"
    monitor = OpRequest("A", DUMMY, "monitor", interval_ms=60000, timeout_ms=20000)
    assert op_digest(monitor) == "4811cef7f7f94e3a35a70be7916cb2fd"


def test_text_is_sorted_and_escaped() -> None:
    text = parameters_text([("b", 'x"<&>'), ("A", "1"), ("a", "2")])
    assert text == ' <parameters A="1" a="2" b="x&quot;&lt;&amp;&gt;"/>\n'


def test_timeout_counts_for_recurring_ops_only() -> None:
    params = (("ip", "192.168.10.100"),)
    start_20 = OpRequest("v", DUMMY, "start", timeout_ms=20000, params=params)
    start_60 = OpRequest("v", DUMMY, "start", timeout_ms=60000, params=params)
    assert op_digest(start_20) == op_digest(start_60)
    mon_20 = OpRequest("v", DUMMY, "monitor", interval_ms=10000, timeout_ms=20000, params=params)
    mon_60 = OpRequest("v", DUMMY, "monitor", interval_ms=10000, timeout_ms=60000, params=params)
    assert op_digest(mon_20) != op_digest(mon_60)
    changed = OpRequest("v", DUMMY, "start", params=(("ip", "192.168.10.101"),))
    assert op_digest(changed) != op_digest(start_20)


def _interval(text: str | None) -> int | None:
    try:
        return parse_ms(text or "0")
    except ValueError:
        return None


def test_corpus_digests(corpus_dir: Path) -> None:
    """Recompute every op-digest whose primitive has plain parameters and compare.

    Not every one can match: some cases change a resource's parameters after its
    operations ran (that is what they test), and very old feature sets hashed differently.
    """
    checked = matched = 0
    for path in sorted((corpus_dir / "xml").glob("*.xml")):
        root = ET.parse(path).getroot()
        primitives: dict[str, tuple[Params, OpTable]] = {}
        for prim in root.iter("primitive"):
            sets = prim.findall("instance_attributes")
            if prim.get("template") or any(s.find("rule") is not None for s in sets):
                continue
            params = [
                (n.get("name", ""), n.get("value", "")) for s in sets for n in s.iter("nvpair")
            ]
            ops: OpTable = {}
            for op in prim.iter("op"):
                interval = _interval(op.get("interval"))
                timeout = _interval(op.get("timeout")) or 20000
                if interval is None:
                    continue
                op_params = [
                    (n.get("name", ""), n.get("value", ""))
                    for s in op.findall("instance_attributes")
                    for n in s.iter("nvpair")
                ]
                ops[(op.get("name", ""), interval)] = (timeout, op_params)
            primitives[prim.get("id", "")] = (params, ops)
        for lrm in root.iter("lrm_resource"):
            rsc = lrm.get("id", "").split(":")[0]
            if rsc not in primitives:
                continue
            params, ops = primitives[rsc]
            for record in lrm.iter("lrm_rsc_op"):
                digest = record.get("op-digest")
                if not digest:
                    continue
                interval = int(record.get("interval", "0"))
                timeout, op_params = ops.get((record.get("operation", ""), interval), (20000, []))
                request = OpRequest(
                    rsc, DUMMY, "monitor", interval_ms=interval, timeout_ms=timeout,
                    params=tuple(params), op_params=tuple(op_params),
                )
                checked += 1
                matched += op_digest(request) == digest
    assert checked > 10000
    assert matched / checked > 0.9, (matched, checked)
