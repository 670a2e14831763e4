"""The campaign's loop. Per step, from a healthy cluster:

1. note every harmd's pid, the end of every harmd log, the time;
2. apply the step's fault (and the second one of a double, ``gap_s`` later), looking at
   the cluster about once a second;
3. after ``hold_s``, heal everything; keep looking until the cluster is settled, at most
   ``settle_limit_s`` (60 s);
4. audit: the timeline of looks (one DC, not over-active, one writable node), the settled
   cluster (one DC named by all, identical CIBs), harmd deaths and log lines, the writer's
   acknowledged commits against the primary; copy the evidence when something failed;
5. the operator's repair (cleanup, rejoin), so that the next step starts healthy again.
   A cluster that cannot be repaired is rebuilt, and that is a violation too.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from harm.cib.durations import parse_ms
from harm.errors import HarmError, LabError
from harm.lab import lab
from harm.lab.campaign import actions, audits, clients, observe, profiles, report
from harm.lab.campaign.model import Finding, Snapshot
from harm.lab.campaign.power import PowerSwitch, switch
from harm.lab.campaign.profiles import Profile
from harm.lab.campaign.schedule import Step, describe, plan
from harm.lab.spec import GATEWAY, LabSpec

RECOVERY = "operator-recovery"
LOOK_EVERY_S = 1.0


@dataclass
class Options:
    faults: int
    seed: int
    profile: Profile
    name: str = "hcamp"
    output: Path = Path("campaign-out")
    only: int | None = None
    fencing: bool = False
    keep: bool = False
    grace_s: float | None = None  # default: the lab's deadtime + 1 s
    settle_limit_s: float = 60.0
    replay_args: str = ""  # how the run was started (for the replay line)


@dataclass
class Run:
    """One campaign's running state."""

    options: Options
    spec: LabSpec
    watch: observe.Watched
    power: PowerSwitch
    out: report.Writer
    echo: Callable[[str], None]
    clients: list[subprocess.Popen[bytes]] = field(default_factory=list)
    powered_off: set[str] = field(default_factory=set)
    commits_since: float = 0.0  # acknowledged commits after this are checked
    reported_lost: set[int] = field(default_factory=set)

    @property
    def profile(self) -> Profile:
        return self.options.profile

    @property
    def grace(self) -> float:
        if self.options.grace_s is not None:
            return self.options.grace_s
        return parse_ms(self.spec.deadtime) / 1000 + 1.0

    def look(self) -> Snapshot:
        snap, _state = observe.look(self.spec, self.watch, self.powered_off)
        return dataclasses.replace(snap, service_ok=profiles.service_ok(self.profile, snap))

    def lab(self) -> actions.Lab:
        return actions.Lab(self.spec, self.profile, self.power, self.look)


# ---------------------------------------------------------------- the whole run


def run(options: Options, echo: Callable[[str], None] = print) -> int:
    """Run the campaign; the number of violations (the last line printed says it)."""
    steps = plan(options.seed, options.faults, options.profile.kind, len(options.profile.nodes))
    if options.only is not None:
        if not 1 <= options.only <= len(steps):
            raise LabError(f"--only {options.only}: the plan has steps 1 to {len(steps)}")
        steps = [steps[options.only - 1]]
    power = switch(options.fencing)
    out = report.Writer(options.output)
    (options.output / "plan.jsonl").write_text(
        "".join(json.dumps({"step": s.index, "kind": s.kind, "plan": describe(s)}) + "\n"
                for s in steps), encoding="utf-8")
    echo(f"campaign: seed {options.seed}, {len(steps)} step(s) on the {options.profile.kind} "
         f"cluster ({', '.join(options.profile.nodes)}), power: {power.name}; "
         f"output in {options.output}")
    echo("building the lab ...")
    summary = report.Summary()
    try:
        spec, watch = profiles.build(options.profile, options.name, options.fencing)
    except BaseException:
        if not options.keep:
            lab.down(options.name)
        raise
    state = Run(options, spec, watch, power, out, echo, commits_since=time.time())
    try:
        if options.profile.writer:
            _start_clients(state)
        for step in steps:
            record = run_step(state, step)
            summary.add(record)
            out.step(record)
            verdict = "ok" if not record.findings else \
                f"{len(record.findings)} violation(s): " + "; ".join(
                    f"{f.audit}: {f.detail}" for f in record.findings)
            settle = "-" if record.settle_s is None else f"{record.settle_s:.1f}s"
            what = "; ".join(f.what for f in record.faults) or "not applied"
            echo(f"step {step.index}/{options.faults} {step.kind}: {what}; healed after "
                 f"{step.hold_s:.1f}s; settled {settle}; {verdict}")
    finally:
        _stop_clients(state)
        if not options.keep:
            lab.down(options.name)
    header = (f"harm lab campaign --seed {options.seed} --faults {options.faults}"
              f"{options.replay_args}")
    out.finish(header, summary)
    echo(summary.table())
    echo(report.last_line(summary))
    return summary.total_violations


# ---------------------------------------------------------------- one step


def run_step(state: Run, step: Step) -> report.StepRecord:
    spec = state.spec
    notes: list[str] = []
    findings: list[Finding] = []
    try:
        _ensure_healthy(state, notes, findings, "before the step")
    except HarmError as error:
        notes.append(f"not healthy before the step: {error}")
    before = {n: lab.harmd_pid(spec, n) for n in spec.nodes}
    offsets = {n: _log_size(spec, n) for n in spec.nodes}
    started = time.time()
    snaps: list[Snapshot] = [state.look()]
    applied: list[actions.Applied] = []
    ctx = state.lab()
    healed_at: float | None = None
    heal_text = ""
    settled_at: float | None = None
    last_reasons: list[str] = []
    try:
        for i, fault in enumerate(step.faults):
            if i:
                snaps += _watch_for(state, step.gap_s)
            applied.append(actions.apply(ctx, fault, snaps[-1]))
            state.powered_off |= applied[-1].powered_off
        snaps += _watch_for(state, step.hold_s)
        healed_at = time.time()
        heal_text = actions.heal(ctx, applied)
        state.powered_off.clear()
        settled_at, last_reasons, after = _watch_settle(state, healed_at)
        snaps += after
    except HarmError as error:
        notes.append(f"the step could not run as planned: {error}")
        if healed_at is None:
            healed_at = time.time()
            try:
                heal_text = actions.heal(ctx, applied)
            except HarmError as again:
                notes.append(f"heal failed: {again}")
            state.powered_off.clear()
            settled_at, last_reasons, after = _watch_settle(state, healed_at)
            snaps += after
    notes += ctx.notes
    found, commits_checked = _audit(state, step, snaps, applied, before, offsets, started,
                                    healed_at, settled_at, last_reasons)
    findings += found
    artifacts = ""
    if findings or not commits_checked:
        artifacts = str(_save_evidence(state, step, snaps, offsets, started))
    # the operator's part, so that the next step starts healthy; acknowledged commits
    # the primary could not be asked for are looked for once there is one again
    try:
        _ensure_healthy(state, notes, findings, "after the step")
    except HarmError as error:
        notes.append(f"not healthy after the step: {error}")
    if not commits_checked:
        lost, commits_checked = _check_commits(state)
        findings += lost
    if not commits_checked:
        findings.append(Finding(audits.MISSING_COMMITS, "the acknowledged commits could not "
                                "be checked: no primary answered, even after the repair"))
    if findings and not artifacts:
        artifacts = str(_save_evidence(state, step, snaps, offsets, started))
    record = report.StepRecord(
        state.options.seed, step.index, step.kind, describe(step),
        tuple(report.FaultRecord(a.kind, a.what, a.at) for a in applied), started,
        healed_at, heal_text, None if settled_at is None else settled_at - healed_at,
        tuple(findings), tuple(notes), artifacts, _replay(state, step))
    return record


def _replay(state: Run, step: Step) -> str:
    return (f"harm lab campaign --seed {state.options.seed} --faults {state.options.faults} "
            f"--only {step.index}{state.options.replay_args}")


def _watch_for(state: Run, seconds: float) -> list[Snapshot]:
    snaps = []
    end = time.monotonic() + seconds
    while True:
        began = time.monotonic()
        snaps.append(state.look())
        left = end - time.monotonic()
        if left <= 0:
            return snaps
        time.sleep(min(left, max(0.0, LOOK_EVERY_S - (time.monotonic() - began))))


def _watch_settle(state: Run, healed_at: float
                  ) -> tuple[float | None, list[str], list[Snapshot]]:
    """Look until the cluster is settled in two looks in a row (or the limit passed): when
    it first was, why not, the looks."""
    snaps = []
    reasons: list[str] = []
    since: float | None = None
    while True:
        began = time.monotonic()
        snap = state.look()
        snaps.append(snap)
        reasons = audits.unsettled(snap, state.spec.nodes)
        if reasons:
            since = None
        elif since is not None:
            return since, [], snaps
        else:
            since = snap.at
        if time.time() - healed_at > state.options.settle_limit_s and since is None:
            return None, reasons, snaps
        time.sleep(max(0.0, LOOK_EVERY_S - (time.monotonic() - began)))


def _audit(state: Run, step: Step, snaps: list[Snapshot], applied: list[actions.Applied],
           before: dict[str, int | None], offsets: dict[str, int], started: float,
           healed_at: float | None, settled_at: float | None,
           reasons: list[str]) -> tuple[list[Finding], bool]:
    """The step's findings, and whether the acknowledged commits could be checked."""
    limits = state.watch.limits
    grace = state.grace
    found: list[Finding] = []
    found += audits.persistent(snaps, audits.dc, grace)
    found += audits.persistent(snaps, lambda s: audits.over_active(s, limits), grace)
    found += audits.persistent(snaps, lambda s: audits.over_active_cib(s, limits), grace)
    if healed_at is not None:
        found += audits.settle_time(healed_at, settled_at, state.options.settle_limit_s,
                                    reasons)
    if settled_at is not None:
        final = dataclasses.replace(snaps[-1], reachable=(frozenset(state.spec.nodes),))
        found += audits.dc_settled(final)
        found += audits.cib(final)
    killed = set().union(*(a.harmd_killed for a in applied)) if applied else set()
    deaths: dict[str, Finding] = {}
    for snap in snaps:
        for finding in audits.harmd_deaths(before, snap, killed):
            deaths.setdefault(finding.nodes[0], finding)
    found += deaths.values()
    explained = [re.compile(p) for p in actions.explained_patterns(applied)]
    found += audits.log_errors({n: _log_lines(state.spec, n, offsets[n])
                                for n in state.spec.nodes}, explained)
    checked = True
    if state.profile.writer:
        probes = clients.read_probes(_client_log(state, "prober"), started, time.time())
        found += audits.double_writers(probes, grace)
        lost, checked = _check_commits(state, wait_s=10)
        found += lost
    return found, checked


def _check_commits(state: Run, hosts: list[str] | None = None, wait_s: float = 30,
                   where: str = "the primary") -> tuple[list[Finding], bool]:
    """Every commit acknowledged since the lab was built is on the primary (asked through
    the service VIP), or on one of ``hosts``; a loss is reported once. The findings, and
    whether anyone could be asked."""
    if not state.profile.writer:
        return [], True
    acked = {i for i, at in clients.read_acknowledged(_client_log(state, "writer")).items()
             if at >= state.commits_since}
    if not acked:
        return [], True
    present: set[int] | None = None
    for host in hosts or [state.profile.service_vip or ""]:
        ids = _present_ids(state, min(acked), host, wait_s)
        if ids is not None:
            present = (present or set()) | ids
    if present is None:
        return [], False
    found = audits.missing_commits(acked - state.reported_lost, present, where)
    state.reported_lost |= acked - present
    return found, True


def _diverged(state: Run) -> list[Finding]:
    """Acknowledged commits each node has and another lacks: two servers took writes
    apart (asked at each node's own address; a node whose server is down is left out)."""
    acked = {i for i, at in clients.read_acknowledged(_client_log(state, "writer")).items()
             if at >= state.commits_since}
    if not acked:
        return []
    held = {}
    for node in state.spec.nodes:
        ids = _present_ids(state, min(acked), state.spec.address(node, 0).split("/")[0], 3)
        if ids is not None:
            held[node] = ids & acked
    return audits.diverged(held)


def _present_ids(state: Run, lowest: int, host: str, wait_s: float) -> set[int] | None:
    from harm.lab import demo

    deadline = time.monotonic() + wait_s
    while True:
        done = demo.try_sql(state.spec, f"SELECT id FROM {clients.WRITES_TABLE} "
                            f"WHERE id >= {lowest}", host=host, connect_timeout_s=3)
        if done is not None and done.returncode == 0:
            return {int(line) for line in done.stdout.split() if line.strip().isdigit()}
        if time.monotonic() > deadline:
            return None
        time.sleep(1.0)


# ---------------------------------------------------------------- between steps


def _ensure_healthy(state: Run, notes: list[str], findings: list[Finding], when: str) -> None:
    """Repair the cluster when it is not healthy; rebuild the lab when that fails (after
    looking for the acknowledged commits on every node: one missing everywhere is lost)."""
    spec, profile = state.spec, state.profile
    if not profiles.unhealthy(spec, profile, state.watch):
        return
    try:
        profiles.repair(spec, profile, state.watch)
        notes.append(f"repaired {when} (cleanup, rejoin)")
        return
    except HarmError as error:
        findings.append(Finding(RECOVERY, f"the operator's repair did not bring the cluster "
                                f"back: {error}; the lab is rebuilt", time.time()))
    notes.append(f"the lab's state before the rebuild: {_save_before_rebuild(state)}")
    if profile.writer:
        findings += _diverged(state)
    nodes = [spec.address(n, 0).split("/")[0] for n in spec.nodes]
    lost, checked = _check_commits(state, nodes, wait_s=5, where="every node")
    findings += lost
    if not checked:
        findings.append(Finding(audits.MISSING_COMMITS, "no node's PostgreSQL answered before "
                                "the rebuild: the acknowledged commits could not be checked"))
    _stop_clients(state)
    state.spec, state.watch = profiles.build(profile, state.options.name,
                                            state.options.fencing)
    state.commits_since = time.time()
    state.reported_lost.clear()
    if profile.writer:
        _start_clients(state)
    notes.append(f"lab rebuilt {when}")


# ---------------------------------------------------------------- the clients


def _client_log(state: Run, role: str) -> Path:
    return state.options.output / f"{role}.log"


def _start_clients(state: Run) -> None:
    spec = state.spec
    vip = state.profile.service_vip or ""
    base = [sys.executable, "-m", "harm.lab.campaign.clients"]
    start_id = max(clients.read_acknowledged(_client_log(state, "writer")), default=0) + 1000
    commands = [
        [*base, "writer", "--host", vip, "--start-id", str(start_id),
         "--log", str(_client_log(state, "writer"))],
        [*base, "prober", *[a for n in spec.nodes
                            for a in ("--host", f"{n}={spec.address(n, 0).split('/')[0]}")],
         "--log", str(_client_log(state, "prober"))],
    ]
    for command in commands:
        argv, env = lab.exec_argv(spec, GATEWAY, command)
        state.clients.append(subprocess.Popen(
            argv, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=(state.options.output / "clients.err").open("ab"), start_new_session=True,
            cwd="/"))


def _stop_clients(state: Run) -> None:
    for proc in state.clients:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    state.clients.clear()


# ---------------------------------------------------------------- logs and evidence


def _log_size(spec: LabSpec, node: str) -> int:
    try:
        return (spec.node_dir(node) / "harmd.log").stat().st_size
    except OSError:
        return 0


def _log_lines(spec: LabSpec, node: str, offset: int) -> list[str]:
    try:
        with (spec.node_dir(node) / "harmd.log").open("rb") as handle:
            handle.seek(offset)
            return handle.read().decode(errors="replace").splitlines()
    except OSError:
        return []


def _save_evidence(state: Run, step: Step, snaps: list[Snapshot], offsets: dict[str, int],
                   started: float) -> Path:
    """The step's pe-inputs (those written since shortly before it, and the last one
    before), every node's CIB, the step's harmd log lines and the looks taken."""
    folder = state.options.output / f"step-{step.index}"
    folder.mkdir(parents=True, exist_ok=True)
    spec = state.spec
    for node in spec.nodes:
        files = observe.pe_inputs(spec, node)
        older = [p for p in files if p.stat().st_mtime < started - 5]
        newer = [p for p in files if p.stat().st_mtime >= started - 5]
        chosen = older[-1:] + newer
        if chosen:
            target = folder / "pe-inputs" / node
            target.mkdir(parents=True, exist_ok=True)
            for path in chosen:
                shutil.copy2(path, target / path.name)
        view = snaps[-1].view(node)
        if view is not None and view.cib_xml:
            (folder / f"cib-{node}.xml").write_text(view.cib_xml, encoding="utf-8")
        (folder / f"harmd-{node}.log").write_text(
            "\n".join(_log_lines(spec, node, offsets[node])) + "\n", encoding="utf-8")
    with (folder / "looks.jsonl").open("w", encoding="utf-8") as handle:
        for snap in snaps:
            handle.write(json.dumps(_compact(snap)) + "\n")
    return folder


def _save_before_rebuild(state: Run, keep: int = 40) -> Path:
    """What a rebuild would destroy: every node's whole harmd log, its CIB and its newest
    pe-inputs (the repair ran after the step's evidence was saved)."""
    folder = state.options.output / f"before-rebuild-{int(time.time())}"
    spec = state.spec
    for node in spec.nodes:
        target = folder / node
        (target / "pe-inputs").mkdir(parents=True, exist_ok=True)
        for path in observe.pe_inputs(spec, node)[-keep:]:
            shutil.copy2(path, target / "pe-inputs" / path.name)
        for name in ("harmd.log", "state/cib.xml"):
            source = spec.node_dir(node) / name
            if source.exists():
                shutil.copy2(source, target / source.name)
    return folder


def _compact(snap: Snapshot) -> dict[str, object]:
    return {
        "at": snap.at,
        "nodes": {v.node: {"pid": v.harmd_pid, "answered": v.answered, "dc": v.dc,
                           "is_dc": v.is_dc, "settled": v.settled,
                           "members": sorted(v.members), "version": list(v.version),
                           "transition": v.transition_running} for v in snap.nodes},
        "reality": [[a.resource, a.node, a.promoted] for a in snap.reality],
        "believed": [[a.resource, a.node, a.promoted] for a in snap.believed],
        "pending": list(snap.pending), "powered_off": sorted(snap.powered_off),
        "service_ok": snap.service_ok,
    }
