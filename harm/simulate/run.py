"""One simulation, with crm_simulate's sections in crm_simulate's order.

    [Using the original execution date of: …]       (the CIB's execution-date is "now")
    [maintenance banner / "N of M resource instances DISABLED …"]
    Current cluster status:           Node List, Full List of Resources [, attributes]
    [Performing Requested Modifications:]            (injections, then unpack again)
    [Allocation Scores:]                             (-s)
    Transition Summary:                              (-R or -S)
    [Placement explanations:]                        (--explain)
    Executing Cluster Transition:                    (-S)
    Revised Cluster Status:                          (-S, after unpacking the result)

Pure apart from what it is given: the CIB and ``now`` come from the caller.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from harm.cib.cib import Cib
from harm.engine.schedule import schedule
from harm.engine.state import ClusterState
from harm.engine.transition import Transition
from harm.engine.unpack import unpack
from harm.graph.order import synapse_order
from harm.graph.runner import GraphStatus, run_graph
from harm.graph.simulated import OpFailure, SimulatedBackend
from harm.simulate.explain import explanation_lines
from harm.simulate.injections import apply_injections
from harm.simulate.options import SimulateOptions
from harm.view.extras import attribute_lines, failcount_lines
from harm.view.status import preamble_lines, status_lines


@dataclass
class SimulationResult:
    """What a simulation printed and produced."""

    lines: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    cib: Cib | None = None  # the CIB after injections and (with -S) the executed transition
    transition: Transition | None = None
    graph_status: GraphStatus | None = None

    @property
    def text(self) -> str:
        return "".join(f"{line}\n" for line in self.lines)


def effective_now(cib: Cib, options: SimulateOptions, clock_now: int) -> tuple[int, str | None]:
    """The time to schedule at, and the line announcing it (if any)."""
    if options.set_datetime is not None:
        from harm.engine.rules import parse_iso_datetime

        moment = parse_iso_datetime(options.set_datetime)
        if moment is None:
            from harm.errors import ConfigError

            raise ConfigError(f"not an ISO 8601 date and time: {options.set_datetime!r}")
        return int(moment.timestamp()), f"Setting effective cluster time: {options.set_datetime}"
    recorded = cib.attr("execution-date")
    if recorded is not None and recorded.strip().isdigit():
        when = int(recorded.strip())
        text = dt.datetime.fromtimestamp(when, dt.UTC).strftime("%Y-%m-%d %H:%M:%SZ")
        return when, f"Using the original execution date of: {text}"
    return clock_now, None


def simulate(cib: Cib, options: SimulateOptions, clock_now: int) -> SimulationResult:
    """Run a simulation of ``cib``; ``clock_now`` is used when the CIB records no date.

    With ``quiet`` (``-Q``) everything runs but only the scores (``-s``) are printed.
    """
    result = _simulate(cib, options, clock_now)
    if options.quiet:
        result.lines = [f"{score.line()}" for score in result.transition.scores] \
            if options.show_scores and result.transition is not None else []
    return result


def _simulate(cib: Cib, options: SimulateOptions, clock_now: int) -> SimulationResult:
    result = SimulationResult()
    out = result.lines
    now, date_line = effective_now(cib, options, clock_now)
    if cib.validate_with.strip().lower() == "none":
        out.append("Schema validation of configuration is disabled (enabling is encouraged "
                   "and prevents common misconfigurations)")
    if date_line:
        out.append(date_line)
    state = unpack(cib, now)
    preamble = preamble_lines(state)
    out += preamble
    if preamble:
        out.append("")
    out += status_lines(state, "Current cluster status", show_pending=options.show_pending)
    out += _extras(state, options)
    if options.injects:
        out.append("")
        out.append("Performing Requested Modifications:")
        cib, changes = apply_injections(cib, state, options, clock_now)
        out += [f"  * {line}" for line in changes]
        if date_line:
            out.append(date_line)
        state = unpack(cib, now)
    result.cib = cib
    if not options.schedules:
        return result
    transition = schedule(state, now)
    result.transition = transition
    if options.show_scores:
        out.append("")
        out.append("Allocation Scores:")
        out += [f"  * {score.line()}" for score in transition.scores]
    out.append("")
    out.append("Transition Summary:")
    out += [f"  * {line}" for line in transition.summary_lines()]
    if options.explain:
        out.append("")
        out += explanation_lines(state, transition)
    if not options.simulate:
        return result
    failures = tuple(OpFailure.parse(spec) for spec in options.op_fail)
    backend = SimulatedBackend(cib, state, clock_now, failures)
    out.append("")
    out.append("Executing Cluster Transition:")
    status = run_graph(transition, synapse_order(transition, state), backend)
    result.graph_status = status
    out += [line if line.startswith("\t") else f"  * {line}" for line in backend.lines]
    if status is not GraphStatus.COMPLETE:
        result.errors.append(f"Transition failed: {status.value}")
    cib = backend.result()
    result.cib = cib
    if date_line:
        out.append(date_line)
    revised = unpack(cib, now)
    out.append("")
    out += status_lines(revised, "Revised Cluster Status", show_pending=False)
    out += _extras(revised, options)
    return result


def _extras(state: ClusterState, options: SimulateOptions) -> list[str]:
    lines: list[str] = []
    if options.show_attrs:
        lines += attribute_lines(state)
    if options.show_failcounts:
        lines += failcount_lines(state)
    return lines
