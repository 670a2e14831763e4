"""Typed controller messages and operator requests: one decoder, reasons for refusals."""

from __future__ import annotations

from typing import Any

import pytest

from harm.cib.cib import Cib
from harm.cib.xml_export import cib_to_xml
from harm.control import messages as msg
from harm.control.codec import request_to_json
from harm.control.controller import Controller
from harm.errors import ControlError
from harm.executor.request import OpRequest
from harm.membership.events import View

XML = cib_to_xml(Cib())
DEEP_RULES = ('<cib><configuration><constraints><rsc_location id="l" rsc="r">'
              + "".join(f'<rule id="r{i}" score="1">' for i in range(600))
              + "</rule>" * 600 + "</rsc_location></constraints></configuration></cib>")


FENCE = {"id": "f-1", "target": "b", "action": "reboot", "delay_ms": 0, "origin": "a",
         "client": "harm"}
OUTCOME = {"plan_id": "f-1", "target": "b", "action": "reboot", "ok": True, "delegate": "a",
           "device": "ipmi-b", "reason": "", "origin": "a", "client": "harm",
           "completed": 1_796_000_000}


def test_each_kind_decodes_to_its_dataclass() -> None:
    from harm.cib.config import AgentRef

    op = OpRequest(rsc="d1", agent=AgentRef("ocf", "harm", "Dummy"), action="start")
    cases: list[tuple[str, dict[str, Any], msg.Message]] = [
        ("hello", {"members": ["a", "b"], "dc": None, "cib": XML},
         msg.Hello(("a", "b"), None, XML)),
        ("resync", {}, msg.Resync()),
        ("cib", {"xml": XML}, msg.CibUpdate(XML)),
        ("op", {"request": request_to_json(op)}, msg.RunOp(op)),
        ("cancel", {"rsc": "d1", "action": "monitor", "interval_ms": 2000},
         msg.CancelOp("d1", "monitor", 2000)),
        ("forget", {"rsc": None}, msg.ForgetRsc(None)),
        ("fail", {"rsc": "d1", "action": "monitor", "interval_ms": 0, "rc": 7},
         msg.FailOp("d1", "monitor", 0, 7)),
        ("state", {"cib": XML, "result": None}, msg.State(XML, None)),
        ("request", {"id": "a:1:1", "op": "cleanup", "rsc": "d1"},
         msg.Request("a:1:1", msg.Cleanup("d1", None))),
        ("reply", {"id": "a:1:1", "ok": False, "message": "no"},
         msg.Reply("a:1:1", False, "no")),
        ("fence", FENCE, msg.RunFence("f-1", "b", "reboot", 0, "a", "harm")),
        ("fenced", {"outcome": OUTCOME}, msg.Fenced(OUTCOME)),
    ]
    assert {kind for kind, _, _ in cases} == msg.KINDS
    for kind, payload, expected in cases:
        assert msg.decode_message(kind, payload) == expected


@pytest.mark.parametrize("kind, payload, reason", [
    ("fail", {"rsc": "r", "action": "monitor", "interval_ms": "abc", "rc": 1}, "interval_ms"),
    ("fail", {"rsc": "r", "action": "monitor", "interval_ms": 0, "rc": [1]}, "'rc'"),
    ("fail", {"rsc": "r", "action": "monitor", "interval_ms": 0, "rc": True}, "'rc'"),
    ("fail", {"rsc": "r", "action": "monitor", "interval_ms": 2**64, "rc": 1}, "interval_ms"),
    ("cancel", {"rsc": "", "action": "monitor", "interval_ms": 0}, "'rsc'"),
    ("cancel", {"rsc": "a\x01b", "action": "monitor", "interval_ms": 0}, "'rsc'"),
    ("hello", {"members": "a", "dc": None, "cib": XML}, "members"),
    ("hello", {"members": [1], "dc": None, "cib": XML}, "members"),
    ("hello", {"members": ["a"], "dc": 5, "cib": XML}, "'dc'"),
    ("cib", {"xml": "\ud800"}, "not text"),
    ("cib", {"xml": DEEP_RULES}, "nested"),
    ("state", {"cib": XML, "result": {"rsc": "r"}}, "action"),
    ("state", {"cib": XML, "result": []}, "result"),
    ("op", {"request": {"agent": "x"}}, "agent"),
    ("request", {"op": "fail", "node": "a", "rsc": "r"}, "'id'"),
    ("request", {"id": "x", "op": "fail", "node": "a", "rsc": "r", "interval_ms": "abc"},
     "interval_ms"),
    ("request", {"id": "x", "op": "commit", "xml": XML, "base": [1.5, 2]}, "base"),
    ("reply", {"id": "x", "ok": "yes"}, "ok"),
    ("fence", {**FENCE, "delay_ms": -1}, "delay_ms"),
    ("fence", {**FENCE, "target": ["b"]}, "'target'"),
    ("fenced", {"outcome": {**OUTCOME, "ok": "yes"}}, "ok"),
    ("fenced", {"outcome": {**OUTCOME, "completed": float("inf")}}, "completed"),
    ("fenced", {"outcome": None}, "outcome"),
    ("bogus", {}, "unknown message kind"),
])
def test_malformed_messages_are_refused_with_a_reason(kind: str, payload: dict[str, Any],
                                                       reason: str) -> None:
    with pytest.raises(ControlError, match=reason):
        msg.decode_message(kind, payload)


def test_xml_depth_is_measured_without_recursion() -> None:
    assert msg.xml_depth(XML) <= 8
    assert msg.xml_depth('<a x=">"><b/><!-- <c><c><c> --><![CDATA[<d><d>]]></a>') == 1
    assert msg.xml_depth("<a>" * 3000 + "</a>" * 3000) > msg.MAX_XML_DEPTH


class _Io:
    def __init__(self) -> None:
        self.submitted: list[OpRequest] = []
        self.sent: list[tuple[str, dict[str, Any], str | None]] = []

    def send(self, kind: str, payload: dict[str, Any], dest: str | None = None) -> None:
        self.sent.append((kind, payload, dest))

    def submit(self, request: OpRequest) -> None:
        self.submitted.append(request)

    def cancel(self, rsc: str, action: str, interval_ms: int) -> None:
        raise AssertionError("not expected")

    def persist(self, cib: Cib, xml: str) -> None:
        pass

    def save_input(self, cib: Cib) -> None:
        pass

    def now_ms(self) -> int:
        return 0

    def wall(self) -> int:
        return 0


def test_an_op_claiming_the_dc_s_role_from_another_node_is_ignored_and_counted() -> None:
    from harm.cib.config import AgentRef

    io = _Io()
    ctl = Controller(node="b", io=io, cib=Cib(), all_nodes=("a", "b", "c"), startup_until=0)
    ctl.on_view(View(1, frozenset("abc"), True))
    ctl.dc = "a"
    forged = OpRequest(rsc="x", agent=AgentRef("ocf", "heartbeat", "anything"),
                       action="start", params=(("binfile", "/bin/sh"),))
    ctl.on_message("c", "op", {"request": request_to_json(forged)})  # c is not the DC
    assert io.submitted == [] and ctl.ignored == 1
    ctl.on_message("a", "op", {"request": {"agent": 5}})  # the DC, but malformed
    assert io.submitted == [] and ctl.ignored == 2
    ctl.on_message("a", "op", {"request": request_to_json(forged)})
    assert io.submitted == [forged]


def test_a_ticket_request_decodes_and_a_wrong_change_is_refused() -> None:
    request = msg.decode_request({"op": "ticket", "ticket": "site-a", "change": "grant"})
    assert request == msg.ChangeTicket("site-a", "grant")
    assert msg.request_payload(request) == {"op": "ticket", "ticket": "site-a",
                                             "change": "grant"}
    with pytest.raises(ControlError, match="not 'steal'"):
        msg.decode_request({"op": "ticket", "ticket": "site-a", "change": "steal"})
    with pytest.raises(ControlError):
        msg.decode_request({"op": "ticket", "ticket": ["site-a"], "change": "grant"})


def test_a_fence_request_decodes_and_a_wrong_action_is_refused() -> None:
    request = msg.decode_request({"op": "fence", "node": "n2", "action": "off"})
    assert request == msg.FenceNode("n2", "off")
    assert msg.request_payload(request) == {"op": "fence", "node": "n2", "action": "off"}
    assert msg.decode_request({"op": "fence", "node": "n2"}) == msg.FenceNode("n2", "reboot")
    with pytest.raises(ControlError, match="fence action"):
        msg.decode_request({"op": "fence", "node": "n2", "action": "explode"})
    with pytest.raises(ControlError):
        msg.decode_request({"op": "fence", "node": ""})
