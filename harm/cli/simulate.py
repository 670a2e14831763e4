"""``harm simulate``: schedule (and pretend to execute) a transition, as crm_simulate does.

    harm simulate -x pe-input.xml -S          # Pacemaker CIB XML, simulate the transition
    harm simulate --cib cib.xml -R -s         # harm's CIB file, show scores and the plan
    harm simulate -x f.xml -S -d node2 -F 'db_monitor_7000@node1=7' -O after.xml

Options keep crm_simulate's short and long names. ``--node-attr NODE:NAME=VALUE`` sets a
node attribute before scheduling; ``--explain`` says why each resource goes where it goes.
Time is the CIB's ``execution-date`` when it has one, else ``--set-datetime``, else now.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click

from harm.cib.cib import Cib
from harm.cib.store import load_cib, save_cib
from harm.cib.xml_import import parse_cib_xml
from harm.errors import CibFormatError, ConfigError
from harm.graph.simulated import OpFailure
from harm.simulate.options import NodeAttribute, SimulateOptions
from harm.simulate.run import simulate


def _read_input(xml_file: Path | None, cib_file: Path | None) -> Cib:
    if (xml_file is None) == (cib_file is None):
        raise ConfigError("give exactly one input: -x/--xml-file FILE or --cib FILE")
    if xml_file is not None:
        try:
            data = sys.stdin.buffer.read() if str(xml_file) == "-" else xml_file.read_bytes()
        except OSError as error:
            raise CibFormatError(f"cannot read {xml_file}: {error.strerror}") from None
        return parse_cib_xml(data, str(xml_file))
    assert cib_file is not None
    return load_cib(cib_file)


@click.command(name="simulate")
@click.option("-x", "--xml-file", type=click.Path(path_type=Path),
              help="Pacemaker CIB XML to read ('-' for standard input).")
@click.option("--cib", "cib_file", type=click.Path(path_type=Path),
              help="harm's own CIB file to read.")
@click.option("-R", "--run", "run_", is_flag=True, help="Schedule and show the transition.")
@click.option("-S", "--simulate", "simulate_", is_flag=True,
              help="Schedule, execute in simulation and show the revised status.")
@click.option("-s", "--show-scores", is_flag=True, help="Show allocation scores.")
@click.option("-A", "--show-attrs", is_flag=True, help="Show node attributes.")
@click.option("-c", "--show-failcounts", is_flag=True, help="Show fail counts.")
@click.option("-u", "--node-up", multiple=True, metavar="NODE", help="Bring a node online.")
@click.option("-d", "--node-down", multiple=True, metavar="NODE", help="Take a node offline.")
@click.option("-f", "--node-fail", multiple=True, metavar="NODE", help="Mark a node failed.")
@click.option("-i", "--op-inject", multiple=True, metavar="RSC_TASK_INTERVAL@NODE=RC",
              help="Record an operation result before scheduling.")
@click.option("-F", "--op-fail", multiple=True, metavar="RSC_TASK_INTERVAL@NODE=RC",
              help="Make an action of the simulated transition fail.")
@click.option("-g", "--ticket-grant", multiple=True, metavar="TICKET",
              help="Grant a ticket first.")
@click.option("-r", "--ticket-revoke", multiple=True, metavar="TICKET",
              help="Revoke a ticket first.")
@click.option("-b", "--ticket-standby", multiple=True, metavar="TICKET",
              help="Put a ticket on standby first.")
@click.option("-e", "--ticket-activate", multiple=True, metavar="TICKET",
              help="Take a ticket out of standby first.")
@click.option("-q", "--quorum", metavar="BOOL", help="Set whether the cluster has quorum.")
@click.option("-t", "--set-datetime", metavar="DATETIME", help="Schedule at this time.")
@click.option("-O", "--save-output", type=click.Path(path_type=Path),
              help="Save the resulting CIB (XML) to FILE.")
@click.option("--node-attr", multiple=True, metavar="NODE:NAME=VALUE",
              help="Set a node attribute before scheduling.")
@click.option("--explain", is_flag=True, help="Explain every placement with its scores.")
@click.option("--no-pending", is_flag=True, help="Do not show pending operations.")
@click.option("-Q", "--quiet", is_flag=True, help="Print only the scores (with -s).")
def command(xml_file: Path | None, cib_file: Path | None, run_: bool, simulate_: bool,
            show_scores: bool, show_attrs: bool, show_failcounts: bool,
            node_up: tuple[str, ...], node_down: tuple[str, ...], node_fail: tuple[str, ...],
            op_inject: tuple[str, ...], op_fail: tuple[str, ...],
            ticket_grant: tuple[str, ...], ticket_revoke: tuple[str, ...],
            ticket_standby: tuple[str, ...], ticket_activate: tuple[str, ...],
            quorum: str | None,
            set_datetime: str | None, save_output: Path | None, node_attr: tuple[str, ...],
            explain: bool, no_pending: bool, quiet: bool) -> None:
    """Show what the policy engine would do with a CIB (crm_simulate's options)."""
    cib = _read_input(xml_file, cib_file)
    try:
        attrs = tuple(NodeAttribute.parse(spec) for spec in node_attr)
        for spec in op_fail:
            OpFailure.parse(spec)
    except ValueError as error:
        raise ConfigError(str(error)) from None
    options = SimulateOptions(
        run=run_ or show_scores or explain, simulate=simulate_, show_scores=show_scores,
        show_attrs=show_attrs, show_failcounts=show_failcounts,
        show_pending=not no_pending, explain=explain, node_up=node_up,
        node_down=node_down, node_fail=node_fail, op_inject=op_inject, op_fail=op_fail,
        quorum=quorum, set_datetime=set_datetime, node_attrs=attrs, quiet=quiet,
        ticket_grant=ticket_grant, ticket_revoke=ticket_revoke,
        ticket_standby=ticket_standby, ticket_activate=ticket_activate,
    )
    result = simulate(cib, options, int(time.time()))
    click.echo(result.text, nl=False)
    for message in result.errors:
        click.echo(message, err=True)
    if save_output is not None and result.cib is not None:
        save_cib(save_output, result.cib)
