"""Conformance with Pacemaker 2.1.5's scheduler, measured on its own regression corpus.

    python -m harm.simulate.conformance [--corpus DIR] [--output TSV] [--jobs N]
                                        [--only NAME…] [--check TSV]

For every case ``NAME`` of the corpus, ``harm simulate -x xml/NAME.xml -S`` is run
(in-process) and compared with ``summary/NAME.summary`` the way Pacemaker's own runner
compares (``diff --ignore-all-space --ignore-blank-lines``), three times — plus a fourth
verdict for the status view alone:

* **current** — everything before "Transition Summary" (the unpacked status, as shown);
* **scores** — the allocation and promotion scores (``crm_simulate -s``) against
  ``scores/NAME.scores``, as sorted sets of lines; ``n/a`` for the few cases whose scores
  pass needs extra arguments (``tests.tsv``);
* **transition** — the "Transition Summary" lines;
* **revised** — the "Revised Cluster Status" block;
* **whole** — the whole output.

Cases whose input uses a feature outside harm's scope are counted separately. The rule is
mechanical, on the input XML alone, and printed with the results (see :data:`SCOPE_RULE`).
The family of a case is the letters its name starts with (``promoted-7`` → ``promoted``,
``1360`` → ``numbered``).

``--output`` writes one row per case (the checked-in list lives in
``docs/conformance/pacemaker-2.1.5.tsv``); ``--check`` compares a fresh run with such a
list and fails when a case that passed no longer does.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
import xml.etree.ElementTree as ET
from collections import defaultdict
from collections.abc import Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

DEFAULT_CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / \
    "pacemaker-2.1.5-scheduler"
DEFAULT_OUTPUT = Path(__file__).resolve().parents[2] / "docs" / "conformance" / \
    "pacemaker-2.1.5.tsv"

SCOPE_RULE = (
    "out of scope when the input XML has any of: <bundle>, "
    "a node of type remote/guest, "
    "an ocf:pacemaker:remote primitive or a remote-node/container meta-attribute, "
    "live migration (allow-migrate=true or migrate_to/migrate_from history)"
)

COLUMNS = ("name", "family", "in_scope", "scope_reason", "transition", "revised", "whole",
           "current", "scores", "error")


@dataclass(frozen=True)
class CaseResult:
    """The verdicts for one corpus case."""

    name: str
    family: str
    in_scope: bool
    scope_reason: str
    transition: bool
    revised: bool
    whole: bool
    current: bool = False
    scores: bool | None = None  # None: not comparable (the scores pass needs arguments)
    error: str = ""

    def row(self) -> str:
        cells = (self.name, self.family, "yes" if self.in_scope else "no",
                 self.scope_reason, _word(self.transition), _word(self.revised),
                 _word(self.whole), _word(self.current),
                 "n/a" if self.scores is None else _word(self.scores),
                 self.error.replace("\t", " ").replace("\n", " "))
        return "\t".join(cells)


def _word(ok: bool) -> str:
    return "pass" if ok else "fail"


def family_of(name: str) -> str:
    """The letters a case name starts with: ``promoted-7`` → ``promoted``; names that
    start with a digit (``1360``, ``1-a-then-bm-move-b``) form the ``numbered`` family."""
    match = re.match(r"[A-Za-z]+", name)
    return match.group(0).lower() if match else "numbered"


def scope_reason(xml_text: bytes) -> str:
    """Why a case is out of scope (empty when it is in scope)."""
    try:
        root = ET.fromstring(xml_text)
    except ET.ParseError as error:
        return f"unreadable XML ({error})"
    tags = {elem.tag for elem in root.iter()}
    if "bundle" in tags:
        return "bundle"
    for elem in root.iter("primitive"):
        if (elem.get("class"), elem.get("provider"), elem.get("type")) == \
                ("ocf", "pacemaker", "remote"):
            return "remote node"
    for elem in root.iter("node"):
        if (elem.get("type") or "member") in ("remote", "guest"):
            return "remote node"
    for elem in root.iter("nvpair"):
        name, value = elem.get("name"), (elem.get("value") or "").lower()
        if name in ("remote-node", "container"):
            return "remote node"
        if name == "allow-migrate" and value in ("true", "yes", "on", "1", "y"):
            return "live migration"
    for elem in root.iter("lrm_rsc_op"):
        if elem.get("operation") in ("migrate_to", "migrate_from"):
            return "live migration"
    return ""


def _meaningful(lines: Iterable[str]) -> list[str]:
    """Lines without any whitespace, blank lines dropped (diff -w -B)."""
    result = []
    for line in lines:
        squeezed = re.sub(r"\s+", "", line)
        if squeezed:
            result.append(squeezed)
    return result


def _section(lines: Sequence[str], start: str, end: str | None) -> list[str]:
    try:
        first = list(lines).index(start)
    except ValueError:
        return []
    rest = list(lines[first + 1:])
    if end is not None and end in rest:
        rest = rest[:rest.index(end)]
    return rest


def compare(expected: str, got: str) -> tuple[bool, bool, bool]:
    """(transition summary, revised status, whole) identical, ignoring whitespace."""
    return compare_all(expected, got)[:3]


def compare_all(expected: str, got: str) -> tuple[bool, bool, bool, bool]:
    """(transition, revised, whole, current status) identical, ignoring whitespace."""
    exp, out = expected.splitlines(), got.splitlines()
    transition = _meaningful(_section(exp, "Transition Summary:",
                                      "Executing Cluster Transition:")) == \
        _meaningful(_section(out, "Transition Summary:", "Executing Cluster Transition:"))
    revised = _meaningful(_section(exp, "Revised Cluster Status:", None)) == \
        _meaningful(_section(out, "Revised Cluster Status:", None))
    whole = _meaningful(exp) == _meaningful(out)
    current = _meaningful(_before(exp, "Transition Summary:")) == \
        _meaningful(_before(out, "Transition Summary:"))
    return transition, revised, whole, current


def _before(lines: Sequence[str], marker: str) -> list[str]:
    items = list(lines)
    return items[:items.index(marker)] if marker in items else items


def run_case(corpus: str, name: str, clock_now: int) -> CaseResult:
    """Simulate one case and judge it (never raises)."""
    from harm.cib.xml_import import parse_cib_xml
    from harm.simulate.options import SimulateOptions
    from harm.simulate.run import simulate

    base = Path(corpus)
    data = (base / "xml" / f"{name}.xml").read_bytes()
    expected = (base / "summary" / f"{name}.summary").read_text(encoding="utf-8",
                                                                 errors="replace")
    reason = scope_reason(data)
    family = family_of(name)
    try:
        cib = parse_cib_xml(data, f"{name}.xml")
        result = simulate(cib, SimulateOptions(simulate=True), clock_now)
    except Exception as error:  # a crash is a verdict, not the end of the run
        return CaseResult(name, family, not reason, reason, False, False, False, False,
                          False, f"{type(error).__name__}: {error}"[:200])
    transition, revised, whole, current = compare_all(expected, result.text)
    scores: bool | None = None
    scores_file = base / "scores" / f"{name}.scores"
    if name not in _args_cases(base) and scores_file.exists() and result.transition:
        wanted = sorted(_squeezed(scores_file.read_text(errors="replace").splitlines()))
        ours = sorted(_squeezed(s.line() for s in result.transition.scores))
        scores = wanted == ours
    return CaseResult(name, family, not reason, reason, transition, revised, whole, current,
                      scores)


def _squeezed(lines: Iterable[str]) -> list[str]:
    return [re.sub(r"\s+", "", line) for line in lines if line.strip()]


def _args_cases(corpus: Path) -> set[str]:
    """Cases whose scores pass runs with extra crm_simulate arguments."""
    table = corpus / "tests.tsv"
    names = set()
    if table.exists():
        for line in table.read_text().splitlines()[1:]:
            cells = line.split("\t")
            if len(cells) >= 4 and cells[3].strip():
                names.add(cells[1])
    return names


def case_names(corpus: Path) -> list[str]:
    """Every case with both an input and an expected summary, sorted."""
    names = []
    for xml_file in sorted((corpus / "xml").glob("*.xml")):
        if (corpus / "summary" / f"{xml_file.stem}.summary").exists():
            names.append(xml_file.stem)
    return names


def run_all(corpus: Path, names: Sequence[str], jobs: int) -> list[CaseResult]:
    clock_now = int(time.time())
    if jobs <= 1:
        return [run_case(str(corpus), name, clock_now) for name in names]
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        return list(pool.map(run_case, [str(corpus)] * len(names), names,
                             [clock_now] * len(names), chunksize=8))


def read_table(path: Path) -> dict[str, dict[str, str]]:
    """A checked-in TSV as {name: row}."""
    rows: dict[str, dict[str, str]] = {}
    lines = path.read_text(encoding="utf-8").splitlines()
    header = lines[0].split("\t")
    for line in lines[1:]:
        cells = line.split("\t")
        cells += [""] * (len(header) - len(cells))
        row = dict(zip(header, cells, strict=False))
        rows[row["name"]] = row
    return rows


def write_table(path: Path, results: Sequence[CaseResult]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = "\t".join(COLUMNS) + "\n" + "".join(r.row() + "\n" for r in results)
    path.write_text(text, encoding="utf-8")


def regressions(results: Sequence[CaseResult], baseline: dict[str, dict[str, str]]
                ) -> list[str]:
    """Verdicts that were "pass" in the baseline and are not any more."""
    lost = []
    for result in results:
        row = baseline.get(result.name)
        if row is None:
            continue
        for column, now in (("transition", result.transition), ("revised", result.revised),
                            ("whole", result.whole), ("current", result.current),
                            ("scores", bool(result.scores))):
            if row.get(column) == "pass" and not now:
                lost.append(f"{result.name}: {column} no longer identical"
                            + (f" ({result.error})" if result.error else ""))
    return lost


def report(results: Sequence[CaseResult]) -> list[str]:
    """Per-family and overall percentages, in-scope and out-of-scope counted apart."""
    lines = [f"Scope rule: {SCOPE_RULE}", ""]
    families: dict[str, list[CaseResult]] = defaultdict(list)
    for result in results:
        if result.in_scope:
            families[result.family].append(result)
    lines.append(f"{'family':<24} {'cases':>5} {'transition':>11} {'revised':>9} "
                 f"{'whole':>9} {'current':>9} {'scores':>9}")
    for family in sorted(families):
        group = families[family]
        lines.append(_stat_line(family, group))
    inside = [r for r in results if r.in_scope]
    outside = [r for r in results if not r.in_scope]
    lines.append("")
    lines.append(_stat_line("IN SCOPE (all)", inside))
    lines.append(_stat_line("out of scope", outside))
    lines.append(_stat_line("every case", list(results)))
    crashed = [r for r in results if r.error]
    lines.append(f"crashes: {len(crashed)}")
    return lines


def _pct(count: int, total: int) -> str:
    return f"{100.0 * count / total:5.1f}%" if total else "    -"


def _stat_line(label: str, group: Sequence[CaseResult]) -> str:
    total = len(group)
    t = sum(r.transition for r in group)
    v = sum(r.revised for r in group)
    w = sum(r.whole for r in group)
    c = sum(r.current for r in group)
    s = sum(bool(r.scores) for r in group)
    return (f"{label:<24} {total:>5} {t:>4} {_pct(t, total)} {v:>3} {_pct(v, total)} "
            f"{w:>3} {_pct(w, total)} {c:>3} {_pct(c, total)} {s:>3} {_pct(s, total)}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m harm.simulate.conformance",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--output", type=Path, default=None,
                        help=f"write the per-case table (e.g. {DEFAULT_OUTPUT})")
    parser.add_argument("--check", type=Path, default=None,
                        help="fail if a case that passed in this table no longer passes")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--only", nargs="*", default=None, help="run only these cases")
    args = parser.parse_args(argv)
    names = args.only or case_names(args.corpus)
    started = time.monotonic()
    results = run_all(args.corpus, names, args.jobs)
    elapsed = time.monotonic() - started
    for line in report(results):
        print(line)
    print(f"{len(results)} cases in {elapsed:.1f} s with {args.jobs} job(s)")
    if args.output is not None:
        write_table(args.output, results)
    if args.check is not None:
        lost = regressions(results, read_table(args.check))
        for line in lost:
            print(f"REGRESSION {line}", file=sys.stderr)
        if lost:
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
