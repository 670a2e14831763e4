"""The scheduler against Pacemaker's own answers, plus the properties it must always keep.

Cases come from Pacemaker 2.1.5's scheduler corpus (read in place) and the seed
configuration's golden directories; each is imported with the real XML reader and
unpacked with the real unpacker before scheduling.
"""

from __future__ import annotations

import fnmatch
import re
from pathlib import Path

import pytest

from harm.cib.config import Role
from harm.cib.xml_import import parse_cib_xml
from harm.engine.schedule import schedule, schedule_cib
from harm.engine.transition import Decision, OrderKind, Transition, Verb
from harm.engine.unpack import unpack

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "pacemaker-2.1.5-scheduler"
SEED = Path(__file__).resolve().parents[1] / "golden" / "seed"

# The must-pass families. Cases using live migration (allow-migrate) are out of
# scope by the mechanical rule and left out here.
PRIORITY = (
    "simple*", "group*", "attrs*", "standby", "quorum-*", "failcount*",
    "promoted-[0-9]", "promoted-1[0-3]", "bug-lf-2574", "colo_promoted_w_native",
    "promoted-asymmetrical-order", "order-optional", "order-mandatory", "order-serialize",
)


def _priority_cases() -> list[str]:
    if not (CORPUS / "xml").is_dir():
        return ["<corpus missing>"]
    names = []
    for path in sorted((CORPUS / "xml").glob("*.xml")):
        if any(fnmatch.fnmatch(path.stem, pattern) for pattern in PRIORITY) \
                and "allow-migrate" not in path.read_text():
            names.append(path.stem)
    return names


def _squash(line: str) -> str:
    return re.sub(r"\s+", "", line)


def _expected_summary(text: str) -> list[str]:
    match = re.search(r"Transition Summary:\n(.*?)\nExecuting Cluster Transition", text, re.S)
    assert match is not None
    return [_squash(line) for line in match.group(1).splitlines() if line.strip()]


def _got_summary(transition: Transition) -> list[str]:
    return [_squash("* " + line) for line in transition.summary_lines()]


# A fixed "now" later than every timestamp in the corpus (the expected outputs were made
# long after the recorded failures, so failure timeouts have expired).
NOW = 1_700_000_000


def _schedule_file(path: Path) -> Transition:
    cib = parse_cib_xml(path.read_bytes(), str(path))
    state = unpack(cib, NOW)
    return schedule(state, state.now)


@pytest.mark.parametrize("name", _priority_cases())
def test_priority_case_matches_pacemaker(corpus_dir: Path, name: str) -> None:
    transition = _schedule_file(corpus_dir / "xml" / f"{name}.xml")
    expected = _expected_summary((corpus_dir / "summary" / f"{name}.summary").read_text())
    assert _got_summary(transition) == expected


# One or more corpus cases per feature beyond the must-pass families, so a change that
# breaks a feature fails here and not only in the conformance run.
FEATURE_CASES = (
    "systemhealth1", "systemhealthp2", "systemhealthm2",  # node-health strategies
    "clone-require-all-1", "clone_min_start_one", "one-or-more-1",  # relaxed orderings
    "anti-colocation-promoted", "coloc-unpromoted-anti",  # colocation with roles
    "clone-interleave-1",  # interleave keeps an instance without a partner down
    "enforce-colo1",  # a primary that cannot start blocks its dependents
    "value-source",  # rules comparing with parameters and meta-attributes
    "unmanaged-stop-1",  # a blocked unmanaged stop blocks the stop ordered after it
    "order_constraint_stops_promoted",  # stand-in first actions
    "bug-1685",  # promotable clone with notifications
    "rsc-defaults", "bug-pm-11",
)


@pytest.mark.parametrize("name", FEATURE_CASES)
def test_feature_case_matches_pacemaker(corpus_dir: Path, name: str) -> None:
    transition = _schedule_file(corpus_dir / "xml" / f"{name}.xml")
    expected = _expected_summary((corpus_dir / "summary" / f"{name}.summary").read_text())
    assert _got_summary(transition) == expected


def test_notifications_surround_a_promotion(corpus_dir: Path) -> None:
    transition = _schedule_file(corpus_dir / "xml" / "bug-1685.xml")
    keys = [a.key for a in transition.executable_actions()]
    for key in ("shared_storage_pre_notify_promote_0",
                "shared_storage_confirmed-pre_notify_promote_0",
                "shared_storage_post_notify_promoted_0",
                "shared_storage_confirmed-post_notify_promoted_0"):
        assert key in keys
    notifies = [a for a in transition.executable_actions() if a.task == "notify" and a.node]
    assert {a.node for a in notifies} == {"redun1", "redun2"}
    by_key = {a.key: a for a in transition.actions}
    promote = next(a for a in transition.executable_actions() if a.task == "promote")
    assert _reaches(transition, by_key["shared_storage_confirmed-pre_notify_promote_0"].id,
                    promote.id)
    assert _reaches(transition, promote.id,
                    by_key["shared_storage_confirmed-post_notify_promoted_0"].id)


def test_priority_families_are_all_present(corpus_dir: Path) -> None:
    assert len(_priority_cases()) >= 60


@pytest.mark.parametrize(
    "case",
    ["01-nodes-up-no-attributes", "02-ping-and-promotion-scores", "07-ping-lost-on-master",
     "08-master-node-standby"],
)
def test_seed_scenarios_match_crm_simulate(case: str) -> None:
    directory = SEED / case
    transition = _schedule_file(directory / "cib.xml")
    expected = _expected_summary((directory / "expected.summary").read_text())
    assert _got_summary(transition) == expected


def test_seed_promotes_on_osspc30_and_places_vips_after_promotion() -> None:
    transition = _schedule_file(SEED / "02-ping-and-promotion-scores" / "cib.xml")
    verbs = {d.rsc: d for d in transition.decisions}
    promoted = [d for d in transition.decisions if d.verb is Verb.PROMOTE]
    assert [d.destination for d in promoted] == ["osspc30"]
    assert verbs["r_service_vip"].destination == "osspc30"
    by_key = {a.key + "@" + str(a.node): a for a in transition.actions}
    promote = next(a for a in transition.actions if a.task == "promote" and a.executable)
    vip_start = by_key["r_service_vip_start_0@osspc30"]
    assert _reaches(transition, promote.id, vip_start.id)


def _reaches(transition: Transition, start: int, goal: int) -> bool:
    after: dict[int, list[int]] = {}
    for ordering in transition.orderings:
        after.setdefault(ordering.first, []).append(ordering.then)
    seen, todo = set(), [start]
    while todo:
        current = todo.pop()
        if current == goal:
            return True
        if current in seen:
            continue
        seen.add(current)
        todo.extend(after.get(current, ()))
    return False


def test_schedule_is_pure(corpus_dir: Path) -> None:
    path = corpus_dir / "xml" / "promoted-2.xml"
    state = unpack(parse_cib_xml(path.read_bytes(), str(path)), NOW)
    before = repr(state)
    first = schedule(state, NOW)
    second = schedule(state, NOW)
    assert first == second
    assert repr(state) == before


@pytest.mark.parametrize("name", ["promoted-2", "group1", "order-mandatory", "bug-lf-2574"])
def test_executable_actions_have_no_ordering_cycle(corpus_dir: Path, name: str) -> None:
    transition = _schedule_file(corpus_dir / "xml" / f"{name}.xml")
    ids = {a.id for a in transition.executable_actions()}
    edges = {i: set() for i in ids}
    for ordering in transition.orderings:
        if ordering.first in ids and ordering.then in ids \
                and not ordering.kind & OrderKind.SERIALIZE:
            edges[ordering.then].add(ordering.first)
    done: set[int] = set()
    while len(done) < len(ids):
        ready = [i for i in ids - done if edges[i] <= done]
        assert ready, "the executable actions are ordered in a cycle"
        done.update(ready)


def test_mandatory_order_restarts_and_blocks(corpus_dir: Path) -> None:
    transition = _schedule_file(corpus_dir / "xml" / "order-mandatory.xml")
    lines = {d.rsc: d for d in transition.decisions}
    assert lines["rsc2"].verb is Verb.RESTART
    assert lines["rsc2"].reason == "required rsc1 start"
    assert lines["rsc4"].verb is Verb.STOP
    assert lines["rsc4"].reason == "unrunnable rsc3 start"


def test_constraint_naming_a_missing_resource_is_ignored_with_a_warning(
        corpus_dir: Path) -> None:
    text = (corpus_dir / "xml" / "simple2.xml").read_text()
    broken = text.replace(
        "<constraints/>",
        '<constraints><rsc_location id="loc-ghost" rsc="ghost" node="node1" score="100"/>'
        '<rsc_colocation id="col-ghost" rsc="rsc1" with-rsc="ghost" score="INFINITY"/>'
        '<rsc_order id="ord-ghost" first="ghost" then="rsc1"/></constraints>',
    )
    assert broken != text
    transition = schedule_cib(parse_cib_xml(broken, "broken.xml"), NOW)
    warnings = "\n".join(transition.warnings)
    for cid in ("loc-ghost", "col-ghost", "ord-ghost"):
        assert cid in warnings
    assert "ghost" in warnings
    assert [d.verb for d in transition.decisions] == [Verb.START]


def test_every_corpus_input_schedules_without_crashing(corpus_dir: Path) -> None:
    failures = []
    for path in sorted((corpus_dir / "xml").glob("*.xml")):
        try:
            _schedule_file(path)
        except Exception as error:  # collect every crash, report them all
            failures.append(f"{path.stem}: {error!r}")
    assert failures == []


@pytest.mark.parametrize(
    ("decision", "details"),
    [
        (Decision("r", Verb.START, Role.STOPPED, Role.STARTED, None, "n1"), "n1"),
        (Decision("r", Verb.STOP, Role.STARTED, Role.STOPPED, "n1", None), "n1"),
        (Decision("r", Verb.MOVE, Role.STARTED, Role.STARTED, "n1", "n2"), "n1 -> n2"),
        (Decision("r", Verb.PROMOTE, Role.STOPPED, Role.PROMOTED, None, "n2"),
         "Stopped -> Promoted n2"),
        (Decision("r", Verb.DEMOTE, Role.PROMOTED, Role.UNPROMOTED, "n1", "n1"),
         "Promoted -> Unpromoted n1"),
        (Decision("r", Verb.STOP, Role.UNPROMOTED, Role.STOPPED, "n1", None),
         "Unpromoted n1"),
        (Decision("r", Verb.MOVE, Role.PROMOTED, Role.UNPROMOTED, "n1", "n2"),
         "Promoted n1 -> Unpromoted n2"),
        (Decision("r", Verb.RECOVER, Role.PROMOTED, Role.PROMOTED, "n1", "n1"),
         "Promoted n1"),
    ],
)
def test_summary_details(decision: Decision, details: str) -> None:
    assert decision.details() == details


def test_summary_suffixes() -> None:
    base = Decision("r", Verb.STOP, Role.STARTED, Role.STOPPED, "n1", None)
    assert base.suffix() == ""
    assert Decision("r", Verb.STOP, Role.STARTED, Role.STOPPED, "n1", None,
                    reason="node availability").suffix() == "  due to node availability"
    assert Decision("r", Verb.START, Role.STOPPED, Role.STARTED, None, "n1",
                    reason="no quorum", blocked=True).suffix() == "  due to no quorum (blocked)"
    assert Decision("r", Verb.START, Role.STOPPED, Role.STARTED, None, "n1",
                    blocked=True).suffix() == "  blocked"
