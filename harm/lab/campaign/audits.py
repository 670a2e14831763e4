"""The campaign's audits: pure functions of what was seen, each returning its findings.

Instantaneous audits look at one :class:`Snapshot`; :func:`persistent` turns one into a
timeline audit that tolerates a condition for ``grace`` seconds (the window the cluster
needs to notice a fault, deadtime + 1 s by default) and reports it, with how long it
lasted, when it lasts longer.

    dc .............. at most one DC among nodes that see each other; once settled,
                      exactly one per group of nodes that reach each other, named by all
    cib ............. once settled, every node's CIB has the same version and content
    over_active ..... no resource active on more nodes (or promoted more often) than its
                      configuration allows: on the nodes themselves, and in the DC's CIB
    double_writers .. at most one node accepting writes at any time (the prober's probes)
    missing_commits . every commit the writer saw acknowledged is on the primary
    unsettled ....... why the cluster is not settled (nothing pending, one view, ...)
    harmd_deaths .... no harmd gone or restarted that no fault killed
    log_errors ...... no traceback or ERROR line in harmd's log the fault does not explain
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence

from harm.lab.campaign.model import Activity, Finding, Limit, Probe, Snapshot

DC = "one-dc-per-partition"
CIB = "cib-identical"
OVER_ACTIVE = "not-over-active"
OVER_ACTIVE_CIB = "not-over-active-cib"
DOUBLE_WRITERS = "one-writable-node"
MISSING_COMMITS = "no-acknowledged-commit-lost"
SETTLED = "settled-within-limit"
HARMD_DIED = "no-unexpected-harmd-death"
LOG_ERRORS = "no-unexplained-log-error"

ERROR_LINE = re.compile(r"Traceback \(most recent call last\)| (ERROR|CRITICAL) ")


# ---------------------------------------------------------------- DC


def dc(snap: Snapshot) -> list[Finding]:
    """Two nodes that both coordinate while each is in the other's view."""
    claimers = [n for n in snap.live() if n.answered and n.is_dc]
    found = []
    for i, first in enumerate(claimers):
        for second in claimers[i + 1:]:
            if second.node in first.members and first.node in second.members:
                found.append(Finding(DC, f"{first.node} and {second.node} are both DC and "
                                     "see each other", snap.at, (first.node, second.node)))
    return found


def dc_settled(snap: Snapshot) -> list[Finding]:
    """Once settled: each group of nodes that reach each other has one DC, named by all."""
    found = []
    live = {n.node: n for n in snap.live()}
    for group in snap.reachable:
        members = [live[name] for name in sorted(group) if name in live]
        if not members:
            continue
        claimers = sorted(n.node for n in members if n.is_dc)
        named = sorted({n.dc or "none" for n in members})
        if len(claimers) != 1 or named != claimers:
            found.append(Finding(DC, f"nodes {', '.join(n.node for n in members)}: DC "
                                 f"claimed by [{', '.join(claimers)}], named "
                                 f"[{', '.join(named)}]", snap.at, tuple(claimers)))
    return found


# ---------------------------------------------------------------- CIB


def cib(snap: Snapshot) -> list[Finding]:
    """Every answering node holds the same CIB: version and content."""
    nodes = [n for n in snap.live() if n.answered]
    if len(nodes) < 2:
        return []
    versions = {n.node: n.version for n in nodes}
    if len(set(versions.values())) > 1:
        shown = ", ".join(f"{k} {'.'.join(map(str, v))}" for k, v in sorted(versions.items()))
        return [Finding(CIB, f"CIB versions differ: {shown}", snap.at, tuple(sorted(versions)))]
    contents = defaultdict(list)
    for n in nodes:
        contents[n.cib_xml or ""].append(n.node)
    if len(contents) > 1:
        groups = " | ".join(", ".join(g) for g in contents.values())
        return [Finding(CIB, f"same version {'.'.join(map(str, nodes[0].version))}, "
                        f"different content: {groups}", snap.at, tuple(sorted(versions)))]
    return []


# ---------------------------------------------------------------- resources


def over_active(snap: Snapshot, limits: Mapping[str, Limit]) -> list[Finding]:
    """What runs on the nodes themselves (powered-off nodes run nothing)."""
    real = [a for a in snap.reality if a.node not in snap.powered_off]
    return _over(real, limits, OVER_ACTIVE, "on the nodes", snap.at)


def over_active_cib(snap: Snapshot, limits: Mapping[str, Limit]) -> list[Finding]:
    return _over(list(snap.believed), limits, OVER_ACTIVE_CIB, "in the DC's CIB", snap.at)


def _over(activity: Sequence[Activity], limits: Mapping[str, Limit], audit: str,
          where: str, at: float) -> list[Finding]:
    by_resource: dict[str, list[Activity]] = defaultdict(list)
    for entry in activity:
        by_resource[entry.resource].append(entry)
    found = []
    for rsc, entries in sorted(by_resource.items()):
        limit = limits.get(rsc, Limit(rsc))
        nodes = sorted({e.node for e in entries})
        per_node = max(sum(1 for e in entries if e.node == n) for n in nodes)
        promoted = sorted(e.node for e in entries if e.promoted)
        max_promoted = limit.max_promoted if limit.max_promoted is not None else 0
        if len(nodes) > limit.max_nodes:
            found.append(Finding(audit, f"{rsc} active on {len(nodes)} nodes {where} "
                                 f"({', '.join(nodes)}; at most {limit.max_nodes})", at,
                                 tuple(nodes)))
        elif per_node > limit.max_per_node:
            found.append(Finding(audit, f"{rsc}: {per_node} instances on one node {where} "
                                 f"(at most {limit.max_per_node})", at, tuple(nodes)))
        if len(promoted) > max_promoted:
            found.append(Finding(audit, f"{rsc} promoted on {len(promoted)} nodes {where} "
                                 f"({', '.join(promoted)}; at most {max_promoted})", at,
                                 tuple(promoted)))
    return found


# ---------------------------------------------------------------- timelines


def persistent(snaps: Sequence[Snapshot], check: Callable[[Snapshot], list[Finding]],
               grace: float) -> list[Finding]:
    """``check`` on each snapshot; a finding counts when the same condition (audit and
    nodes) holds in consecutive snapshots for longer than ``grace`` seconds. The reported
    finding is the first one seen, with how long the condition lasted."""
    found: list[Finding] = []
    open_: dict[tuple[str, tuple[str, ...]], tuple[Finding, float]] = {}
    for snap in sorted(snaps, key=lambda s: s.at):
        now = {(f.audit, f.nodes): f for f in check(snap)}
        for key in list(open_):
            if key not in now:
                first, last = open_.pop(key)
                found += _if_long(first, last, grace)
        for key, finding in now.items():
            first = open_[key][0] if key in open_ else finding
            open_[key] = (first, snap.at)
    for first, last in open_.values():
        found += _if_long(first, last, grace)
    return found


def _if_long(first: Finding, last: float, grace: float) -> list[Finding]:
    lasted = last - first.at
    if lasted <= grace:
        return []
    return [Finding(first.audit, f"{first.detail} (for {lasted:.1f}s)", first.at,
                    first.nodes)]


def double_writers(probes: Iterable[Probe], grace: float) -> list[Finding]:
    """Periods longer than ``grace`` in which two nodes accepted writes.

    A node is taken to accept writes from an accepted probe until its next probe that
    was refused (or its last probe), so two nodes overlap when their accepting periods
    do."""
    by_node: dict[str, list[Probe]] = defaultdict(list)
    for probe in sorted(probes, key=lambda p: p.at):
        by_node[probe.node].append(probe)
    periods: dict[str, list[tuple[float, float]]] = {}
    for node, seq in by_node.items():
        spans = []
        start: float | None = None
        for probe in seq:
            if probe.accepted and start is None:
                start = probe.at
            elif not probe.accepted and start is not None:
                spans.append((start, probe.at))
                start = None
        if start is not None:
            spans.append((start, seq[-1].at))
        periods[node] = spans
    found = []
    names = sorted(periods)
    for i, first in enumerate(names):
        for second in names[i + 1:]:
            for a0, a1 in periods[first]:
                for b0, b1 in periods[second]:
                    lo, hi = max(a0, b0), min(a1, b1)
                    if hi - lo > grace:
                        found.append(Finding(
                            DOUBLE_WRITERS, f"{first} and {second} both accepted writes for "
                            f"{hi - lo:.1f}s", lo, (first, second)))
    return found


def missing_commits(acknowledged: Iterable[int], present: Iterable[int],
                    where: str = "the primary") -> list[Finding]:
    lost = sorted(set(acknowledged) - set(present))
    if not lost:
        return []
    shown = ", ".join(map(str, lost[:10])) + (" ..." if len(lost) > 10 else "")
    return [Finding(MISSING_COMMITS, f"{len(lost)} acknowledged commit(s) missing on "
                    f"{where}: {shown}")]


def diverged(held: Mapping[str, set[int]]) -> list[Finding]:
    """Acknowledged commits that only some nodes hold, while each of two nodes holds some
    the other lacks: their servers took writes apart (a split brain's data)."""
    names = sorted(held)
    for i, first in enumerate(names):
        for second in names[i + 1:]:
            only_first = held[first] - held[second]
            only_second = held[second] - held[first]
            if only_first and only_second:
                return [Finding(MISSING_COMMITS, f"the servers diverged: {len(only_first)} "
                                f"acknowledged commit(s) only on {first}, "
                                f"{len(only_second)} only on {second}", 0.0,
                                (first, second))]
    return []


# ---------------------------------------------------------------- settling


def unsettled(snap: Snapshot, nodes: Iterable[str]) -> list[str]:
    """Why the cluster of ``nodes`` (all expected up and connected) is not settled."""
    expected = set(nodes)
    why = []
    views = {n.node: n for n in snap.nodes}
    for name in sorted(expected):
        view = views.get(name)
        if view is None or view.harmd_pid is None:
            why.append(f"harmd not running on {name}")
        elif not view.answered:
            why.append(f"harmd on {name} does not answer")
        elif not view.settled:
            why.append(f"{name} not settled")
        elif view.members != expected:
            why.append(f"{name} sees {','.join(sorted(view.members))}")
    if why:
        return why
    dcs = {views[n].dc for n in expected}
    if len(dcs) != 1:
        why.append(f"DC not agreed: {', '.join(sorted(map(str, dcs)))}")
    if len({views[n].version for n in expected}) != 1:
        why.append("CIB versions differ")
    if any(views[n].transition_running for n in expected):
        why.append("a transition runs")
    if snap.pending:
        why.append(f"the engine would still do: {'; '.join(snap.pending[:3])}")
    if snap.service_ok is False:
        why.append("the service check fails")
    return why


def settle_time(heal_at: float, settled_at: float | None, limit: float,
                reasons: Sequence[str] = ()) -> list[Finding]:
    if settled_at is not None and settled_at - heal_at <= limit:
        return []
    took = "never" if settled_at is None else f"after {settled_at - heal_at:.1f}s"
    because = f": {'; '.join(reasons[:4])}" if reasons else ""
    return [Finding(SETTLED, f"not settled within {limit:.0f}s of the heal ({took})"
                    f"{because}", heal_at)]


# ---------------------------------------------------------------- harmd and its log


def harmd_deaths(before: Mapping[str, int | None], snap: Snapshot,
                 explained: Iterable[str]) -> list[Finding]:
    """A harmd that ran at the step's start is gone or was replaced, and no fault of
    the step killed it."""
    allowed = set(explained)
    found = []
    for node, pid in sorted(before.items()):
        if pid is None or node in allowed:
            continue
        view = snap.view(node)
        now = view.harmd_pid if view else None
        if now != pid:
            what = "is gone" if now is None else f"was replaced (pid {pid} -> {now})"
            found.append(Finding(HARMD_DIED, f"harmd on {node} (pid {pid}) {what}",
                                 snap.at, (node,)))
    return found


def log_errors(lines: Mapping[str, Sequence[str]],
               explained: Sequence[re.Pattern[str]]) -> list[Finding]:
    """Traceback and ERROR/CRITICAL lines no pattern of ``explained`` matches."""
    found = []
    for node, text in sorted(lines.items()):
        bad = [line for line in text if ERROR_LINE.search(line)
               and not any(p.search(line) for p in explained)]
        if bad:
            shown = " | ".join(line.strip()[:200] for line in bad[:3])
            found.append(Finding(LOG_ERRORS, f"{node}: {len(bad)} unexplained line(s): "
                                 f"{shown}", 0.0, (node,)))
    return found
