"""The request for each transition action, against what Pacemaker writes into its graph.

For each corpus case, Debian's ``crm_simulate -x CASE -S -G graph.xml`` writes Pacemaker's
transition graph; every ``<rsc_op>`` in it is matched (by operation key and node) to the
action harm's engine schedules for the same input, and the request harm builds for that
action is compared field by field with the ``<rsc_op>``'s attributes: the resource name,
operation, interval, timeout, expected rc, clone meta, every ``notify_*`` list and the
instance parameters.
"""

from __future__ import annotations

import subprocess
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from harm.cib.cib import Cib
from harm.cib.config import AttrExpression, NvSet, Role, Rule
from harm.cib.xml_import import parse_cib_xml
from harm.control.requests import (
    available_nodes,
    evaluate_sets,
    node_params,
    request_for_action,
    transition_key,
)
from harm.engine.rules import RuleInput
from harm.engine.schedule import schedule
from harm.engine.state import ClusterState
from harm.engine.transition import Action, ActionKind, Transition
from harm.engine.unpack import unpack
from harm.errors import ConfigError
from harm.executor.request import OpRequest

CASES = (
    # simple start / stop / monitor, probes, orphans
    "simple2", "simple4", "simple7", "simple8", "orphan-0", "bug-5186-partial-migrate",
    # instance attributes with rules (node attributes, #site-name, dates, value-source)
    "per-node-attrs", "site-specific-params", "cluster-specific-params", "date-1",
    "value-source", "novell-239082",
    # op_defaults with op_expression / rsc_expression / date rules
    "op-defaults", "op-defaults-2", "op-defaults-3", "nvpair-date-rules-1",
    # groups
    "group1", "group5", "group10",
    # anonymous and unique clones
    "clone-anon-probe-1", "clone-anon-probe-2", "clone-anon-failcount", "clone-no-shuffle",
    "inc2", "inc4",
    # notifications (unique and anonymous), promotable with and without notify=true
    "notify-0", "notify-1", "notify-2", "notify-3", "promoted-notify",
    "bug-lf-2574", "promoted-1", "promoted-2", "promoted-3", "promoted-8",
    "promoted-demote", "promoted-demote-2", "promoted-move", "promoted-probed-score",
    "promoted-partially-demoted-group", "bug-suse-707150", "promoted-4", "promoted-10",
    "promoted-13", "promoted-failed-demote", "failed-demote-recovery-promoted",
    "bug-5143-ms-shuffle", "bug-lf-2317", "probe-2", "promoted-colocation",
    # monitors for the Stopped role, recovery with fencing
    "stopped-monitor-01", "rec-node-15",
)

_CLONE_META = ("clone", "clone_max", "clone_node_max", "notify", "globally_unique",
               "promoted_max", "promoted_node_max", "master_max", "master_node_max")


@dataclass(frozen=True)
class GraphOp:
    """One ``<rsc_op>`` of Pacemaker's graph."""

    action_id: int
    operation: str
    key: str  # the instance's own key (internal_operation_key when given)
    node: str
    rsc_id: str
    attrs: dict[str, str] = field(default_factory=dict, hash=False)

    def meta(self, name: str) -> str | None:
        return self.attrs.get(f"CRM_meta_{name}")

    @property
    def params(self) -> dict[str, str]:
        return {k: v for k, v in self.attrs.items()
                if not k.startswith("CRM_meta_") and k != "crm_feature_set"}


@dataclass
class Comparison:
    """What one case's comparison found."""

    case: str
    compared: int = 0
    cancels: int = 0
    equal: int = 0
    unmatched: list[str] = field(default_factory=list)
    differences: list[str] = field(default_factory=list)


def pacemaker_ops(xml_file: Path, tmp: Path) -> list[GraphOp]:
    graph = tmp / f"{xml_file.stem}.graph.xml"
    done = subprocess.run(["crm_simulate", "-x", str(xml_file), "-S", "-Q", "-G", str(graph)],
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    ops = []
    for elem in ET.parse(graph).getroot().iter("rsc_op"):
        primitive = elem.find("primitive")
        attributes = elem.find("attributes")
        if primitive is None or attributes is None:
            continue  # a trigger's reference to an action, not the action
        ops.append(GraphOp(
            action_id=int(elem.get("id", "-1")),
            operation=elem.get("operation", ""),
            key=elem.get("internal_operation_key") or elem.get("operation_key") or "",
            node=elem.get("on_node", ""),
            rsc_id=primitive.get("id", ""),
            attrs=dict(attributes.attrib) | {
                # names XML cannot hold as attributes (``1``) come as <param> children
                p.get("name", ""): p.get("value", "") for p in attributes.iter("param")},
        ))
    return ops


def harm_schedule(xml_file: Path) -> tuple[Cib, ClusterState, Transition]:
    cib = parse_cib_xml(xml_file.read_bytes(), str(xml_file))
    # crm_simulate schedules at the recorded date, or at its clock when there is none
    recorded = cib.attr("execution-date")
    now = int(recorded) if recorded is not None and recorded.isdigit() else int(time.time())
    state = unpack(cib, now)
    return cib, state, schedule(state, now)


def differences(op: GraphOp, request: OpRequest) -> list[str]:
    """Each field where harm's request differs from Pacemaker's ``<rsc_op>``."""
    found = []

    def check(what: str, theirs: object, ours: object) -> None:
        if theirs != ours:
            found.append(f"{what}: Pacemaker {theirs!r}, harm {ours!r}")

    check("rsc", op.rsc_id, request.rsc)
    check("operation", op.operation, request.action)
    check("interval", int(op.meta("interval") or 0), request.interval_ms)
    check("timeout", int(op.meta("timeout") or 0), request.timeout_ms)
    check("target_rc", int(op.meta("op_target_rc") or 0), request.target_rc)
    check("role", op.meta("role"), request.role.value if request.role is not None else None)
    check("on-fail", op.meta("on_fail"), dict(request.meta).get("on-fail"))
    ours_clone = dict(request.clone.meta()) if request.clone is not None else {}
    theirs_clone = {n: v for n in _CLONE_META if (v := op.meta(n)) is not None}
    check("clone meta", theirs_clone, {n: v for n, v in ours_clone.items()
                                       if n in theirs_clone or n in ("clone", "clone_max")})
    theirs_notify = {k.removeprefix("CRM_meta_"): v for k, v in op.attrs.items()
                     if k.startswith("CRM_meta_notify_")}
    ours_notify = {k: v for k, v in request.meta if k.startswith("notify_")}
    if request.notify is not None:
        ours_notify |= dict(request.notify.meta())
    for name in sorted(set(theirs_notify) | set(ours_notify)):
        check(name, theirs_notify.get(name), ours_notify.get(name))
    check("params", op.params, dict(request.params) | dict(request.op_params))
    return found


def compare_case(corpus: Path, case: str, tmp: Path) -> Comparison:
    xml_file = corpus / "xml" / f"{case}.xml"
    theirs = pacemaker_ops(xml_file, tmp)
    cib, state, transition = harm_schedule(xml_file)
    ours: dict[tuple[str, str], Action] = {
        (a.key, a.node): a for a in transition.executable_actions()
        if a.kind is ActionKind.RESOURCE and a.node is not None
    }
    result = Comparison(case)
    for op in theirs:
        if op.operation == "cancel":
            result.cancels += 1  # the executor stops a recurring op itself: no agent request
            continue
        action = ours.get((op.key, op.node))
        if action is None:
            result.unmatched.append(f"{op.operation} {op.key}@{op.node}")
            continue
        key = transition_key(action.id, 0, 0, "dc-uuid")
        request = request_for_action(cib, state, transition, action, transition_key=key)
        result.compared += 1
        found = differences(op, request)
        if found:
            result.differences += [f"{op.key}@{op.node}: {line}" for line in found]
        else:
            result.equal += 1
    return result


# ----------------------------------------------------------------------------- corpus


@pytest.mark.pacemaker
@pytest.mark.parametrize("case", CASES)
def test_requests_match_pacemaker_graph(corpus_dir: Path, tmp_path: Path, case: str) -> None:
    result = compare_case(corpus_dir, case, tmp_path)
    assert result.compared > 0, f"no action of {case} matched: {result.unmatched}"
    assert result.differences == [], "\n".join(result.differences)


# ----------------------------------------------------------------------------- unit


def test_transition_key_is_pacemakers_form() -> None:
    key = transition_key(12, 3, 7, "1")
    assert key.startswith("12:3:7:1")
    assert len(key.split(":")[3]) == 36
    uuid = "6f1a3c1e-3b4d-4a7e-9c1e-1c2d3e4f5a6b"
    assert transition_key(0, 0, 0, uuid) == f"0:0:0:{uuid}"


def _case(corpus: Path, name: str) -> tuple[Cib, ClusterState, Transition]:
    return harm_schedule(corpus / "xml" / f"{name}.xml")


def test_pseudo_action_is_refused(corpus_dir: Path) -> None:
    cib, state, transition = _case(corpus_dir, "notify-1")
    pseudo = next(a for a in transition.actions if a.kind is ActionKind.PSEUDO)
    with pytest.raises(ConfigError):
        request_for_action(cib, state, transition, pseudo, transition_key="k")


def test_cancel_is_not_an_agent_request(corpus_dir: Path) -> None:
    cib, state, transition = _case(corpus_dir, "simple2")
    some = next(a for a in transition.executable_actions() if a.kind is ActionKind.RESOURCE)
    cancel = Action(id=999, task="cancel", rsc=some.rsc, node=some.node, interval_ms=10_000)
    with pytest.raises(ConfigError, match="not an agent action"):
        request_for_action(cib, state, transition, cancel, transition_key="k")


def test_probe_expects_not_running_and_promoted_monitor_expects_8(corpus_dir: Path) -> None:
    cib, state, transition = _case(corpus_dir, "promoted-1")
    probe = next(a for a in transition.executable_actions()
                 if a.task == "monitor" and a.interval_ms == 0)
    request = request_for_action(cib, state, transition, probe, transition_key="k")
    assert request.target_rc == 7
    assert request.clone is not None and request.clone.promotable
    cib, state, transition = _case(corpus_dir, "promoted-13")
    promoted = {rsc for rsc, _node, role in transition.placements if role is Role.PROMOTED}
    monitors = [a for a in transition.executable_actions()
                if a.task == "monitor" and a.interval_ms > 0 and a.rsc in promoted]
    assert monitors, "promoted-1 promotes instances that get a recurring monitor"
    for monitor in monitors:
        assert request_for_action(cib, state, transition, monitor,
                                  transition_key="k").target_rc == 8


def test_notify_carries_its_kind_and_lists(corpus_dir: Path) -> None:
    cib, state, transition = _case(corpus_dir, "notify-1")
    notify = next(a for a in transition.executable_actions()
                  if a.task == "notify" and a.kind is ActionKind.RESOURCE
                  and a.meta_value("notify_type") == "pre")
    request = request_for_action(cib, state, transition, notify, transition_key="k")
    assert request.notify is not None
    assert (request.notify.kind, request.notify.operation) == ("pre", "start")
    assert [p.resource for p in request.notify.start] == ["child_rsc1:1"]
    assert request.notify.all_unames == ("node1", "node2")
    clone = state.resource("rsc1")
    assert clone is not None
    assert available_nodes(state, transition, clone) == ("node1",)


def test_rule_on_instance_attributes_is_evaluated_per_node(corpus_dir: Path) -> None:
    from dataclasses import replace

    from harm.cib.config import Primitive

    cib, state, _transition = _case(corpus_dir, "simple1")
    primitive = next(iter(cib.configuration.primitives()))
    ruled = NvSet("on-node1", (("where", "one"),), score=10,
                  rule=Rule("r", (AttrExpression("e", "#uname", "eq", "node1"),)))
    plain = NvSet("elsewhere", (("where", "other"),))
    changed = replace(primitive, params=(plain, ruled))
    assert isinstance(changed, Primitive)
    config = replace(cib.configuration, resources=tuple(
        changed if r.id == primitive.id else r for r in cib.configuration.resources))
    state = unpack(replace(cib, configuration=config), state.now)
    rsc = state.resource(primitive.id)
    assert rsc is not None
    names = [n.name for n in state.nodes]
    assert "node1" in names
    assert node_params(state, rsc, "node1")["where"] == "one"
    others = [n for n in names if n != "node1"]
    for other in others:
        assert node_params(state, rsc, other)["where"] == "other"


def test_sets_of_equal_score_let_the_last_written_win() -> None:
    first = NvSet("first", (("a", "1"), ("b", "1")))
    second = NvSet("second", (("a", "2"),))
    assert evaluate_sets((first, second), RuleInput()) == {"a": "2", "b": "1"}
    higher = NvSet("higher", (("a", "3"),), score=5)
    assert evaluate_sets((higher, first, second), RuleInput())["a"] == "3"


def test_default_value_drops_what_a_preferred_set_gave() -> None:
    preferred = NvSet("preferred", (("a", "1"), ("b", "2")), score=10)
    resetting = NvSet("resetting", (("a", "#default"),))
    assert evaluate_sets((preferred, resetting), RuleInput()) == {"b": "2"}
    # processed first, "#default" has nothing to drop and the other set's value stands
    assert evaluate_sets((preferred, NvSet("top", (("a", "#default"),), score=20)),
                         RuleInput()) == {"a": "1", "b": "2"}


def test_ruled_set_applies_only_where_its_rule_holds() -> None:
    ruled = NvSet("ruled", (("a", "here"),),
                  rule=Rule("r", (AttrExpression("e", "#uname", "eq", "n1"),)))
    plain = NvSet("plain", (("a", "anywhere"),), score=-1)
    assert evaluate_sets((ruled, plain), RuleInput(node_attrs={"#uname": "n1"})) == \
        {"a": "here"}
    assert evaluate_sets((ruled, plain), RuleInput(node_attrs={"#uname": "n2"})) == \
        {"a": "anywhere"}


# ----------------------------------------------------------------------------- whole corpus


def main(argv: list[str] | None = None) -> int:
    """``python -m tests.control.test_requests [CASE…]``: compare every case of the corpus's
    tests.tsv (or the named ones) and print the cases that differ and the totals."""
    import sys
    import tempfile

    from tests.conftest import CORPUS_DIR

    names = list(argv if argv is not None else sys.argv[1:])
    if not names:
        rows = (CORPUS_DIR / "tests.tsv").read_text().splitlines()
        names = [r.split("\t")[1] for r in rows if r.strip() and not r.startswith("#")]
    compared = equal = unmatched = failed = 0
    with tempfile.TemporaryDirectory() as tmp:
        for name in names:
            if not (CORPUS_DIR / "xml" / f"{name}.xml").is_file():
                continue
            try:
                result = compare_case(CORPUS_DIR, name, Path(tmp))
            except (AssertionError, ConfigError, ValueError) as error:
                failed += 1
                print(f"{name}: not compared: {str(error).splitlines()[0]}")
                continue
            compared += result.compared
            equal += result.equal
            unmatched += len(result.unmatched)
            for line in result.differences:
                print(f"{name}: {line}")
    print(f"{compared} actions compared, {equal} equal; {unmatched} graph actions without "
          f"a counterpart in harm's transition; {failed} cases not compared")
    return 0 if compared == equal else 1


if __name__ == "__main__":
    raise SystemExit(main())
