"""Ticket constraints: the engine on crm text, the crm syntax, and the XML model.

The loss policies are checked against Pacemaker's own answers on its corpus by the
conformance run; these cases pin each rule down on a small cluster written in crm syntax.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from harm.cib.cib import Cib
from harm.cib.config import Role, Ticket
from harm.cib.status import NodeState, Status, TicketState
from harm.cib.xml_export import cib_to_xml
from harm.cib.xml_import import parse_cib_xml
from harm.crmsh.load import parse_configuration
from harm.crmsh.render import render_constraint
from harm.engine.schedule import schedule
from harm.engine.unpack import unpack
from harm.errors import ConfigErrors

CRM = """\
node n1
node n2
property stonith-enabled=false
primitive db ocf:harm:Dummy
primitive web ocf:harm:Dummy
primitive st ocf:harm:Stateful
ms ms_st st
location promote-on-n1 ms_st role=Promoted 100: n1
rsc_ticket db-needs-a site-a: db loss-policy=stop
rsc_ticket web-needs-b site-b: web
rsc_ticket st-promoted-a site-a: ms_st:Promoted loss-policy=demote
"""


def _cib(*tickets: TicketState) -> Cib:
    nodes = tuple(NodeState(id=name, uname=name, in_ccm=True, crmd="online", join="member",
                            expected="member") for name in ("n1", "n2"))
    return Cib(configuration=parse_configuration(CRM),
               status=Status(nodes=nodes, tickets=tickets), have_quorum=True)


def _runnable(cib: Cib, task: str) -> set[str]:
    """Resources with a runnable ``task`` on some node."""
    transition = schedule(unpack(cib, 1_700_000_000), 1_700_000_000)
    return {a.rsc or "" for a in transition.actions
            if a.task == task and a.runnable and a.node is not None}


def _starts(cib: Cib) -> set[str]:
    return _runnable(cib, "start")


def _promotes(cib: Cib) -> set[str]:
    return _runnable(cib, "promote")


def test_a_ticket_never_granted_keeps_its_resources_stopped() -> None:
    assert _starts(_cib()) == {"st:0", "st:1"}  # only the ticket-free clone starts


def test_a_granted_ticket_lets_its_resources_start() -> None:
    starts = _starts(_cib(TicketState("site-a", granted=True), TicketState("site-b", granted=True)))
    assert {"db", "web"} <= starts


def test_a_ticket_on_standby_counts_as_not_granted() -> None:
    starts = _starts(_cib(TicketState("site-a", granted=True, standby=True),
                          TicketState("site-b", granted=True)))
    assert "db" not in starts and "web" in starts


def test_a_promoted_role_ticket_forbids_only_promotion() -> None:
    assert _promotes(_cib()) == set()
    assert len(_promotes(_cib(TicketState("site-a", granted=True)))) == 1


def test_crm_syntax_round_trips_through_the_model_and_xml() -> None:
    config = parse_configuration(CRM + "rsc_ticket both site-c: db web:Started ms_st:Promoted"
                                       " loss-policy=freeze\n")
    both = config.constraint("both")
    assert isinstance(both, Ticket)
    assert [(s.resources, s.role) for s in both.sets] == [
        (("db",), None), (("web",), Role.STARTED), (("ms_st",), Role.PROMOTED)]
    assert render_constraint(both) == \
        "rsc_ticket both site-c: db web:Started ms_st:Promoted loss-policy=freeze"
    simple = config.constraint("db-needs-a")
    assert render_constraint(simple) == "rsc_ticket db-needs-a site-a: db loss-policy=stop"
    cib = replace(_cib(TicketState("site-a", granted=True, standby=True, last_granted=17)),
                  configuration=config)
    again = parse_cib_xml(cib_to_xml(cib))
    assert again.configuration.constraints == config.constraints
    assert again.status.tickets == cib.status.tickets


@pytest.mark.parametrize("text, expected", [
    ("rsc_ticket t site-a db", "TICKET:"),
    ("rsc_ticket t site-a: db loss-policy=explode", "a loss policy"),
    ("rsc_ticket t site-a: loss-policy=stop", "at least one resource"),
])
def test_bad_ticket_syntax_is_reported_with_a_position(text: str, expected: str) -> None:
    with pytest.raises(ConfigErrors) as caught:
        parse_configuration(CRM + text + "\n")
    message = str(caught.value)
    assert expected in message and ":12:" in message
