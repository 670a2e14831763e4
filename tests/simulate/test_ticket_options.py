"""``harm simulate -g/-r/-b/-e`` against ``crm_simulate`` given the same ticket options."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest

from harm.cib.xml_import import parse_cib_xml
from harm.simulate.options import SimulateOptions
from harm.simulate.run import simulate

CASES = [
    ("ticket-primitive-3", ("-g", "ticketA")),
    ("ticket-primitive-3", ("-r", "ticketA", "-e", "ticketA")),
    ("ticket-group-1", ("-b", "ticketA")),
    ("ticket-promoted-13", ("-g", "ticketA")),
    ("ticket-promoted-13", ("-r", "ticketA")),
    ("ticket-clone-1", ("-g", "ticketA", "-b", "ticketA")),
]
NAMES = {"-g": "ticket_grant", "-r": "ticket_revoke", "-b": "ticket_standby",
         "-e": "ticket_activate"}


def _options(args: tuple[str, ...]) -> SimulateOptions:
    given: dict[str, tuple[str, ...]] = {}
    for flag, ticket in zip(args[::2], args[1::2], strict=True):
        given[NAMES[flag]] = (*given.get(NAMES[flag], ()), ticket)
    return SimulateOptions(simulate=True, **given)


def _squeeze(text: str) -> list[str]:
    return ["".join(line.split()) for line in text.splitlines() if line.strip()]


@pytest.mark.pacemaker
@pytest.mark.parametrize("name, args", CASES)
def test_ticket_options_do_what_crm_simulates_do(corpus_dir: Path, name: str,
                                                 args: tuple[str, ...]) -> None:
    xml = corpus_dir / "xml" / f"{name}.xml"
    theirs = subprocess.run(["crm_simulate", "-x", str(xml), "-S", *args],
                            capture_output=True, text=True, timeout=60, check=True).stdout
    ours = simulate(parse_cib_xml(xml.read_bytes()), _options(args), int(time.time()))
    assert _squeeze(ours.text) == _squeeze(theirs)
    assert ours.cib is not None
    ticket = ours.cib.status.ticket("ticketA")
    assert ticket is not None
