"""Applying one planned fault to the lab, and healing every fault of a step.

:func:`apply` resolves the fault's target against the cluster's roles at that moment
(the DC, the promoted node, the first group's node) and acts through ``harm.lab.faults``,
the power switch, or the operator's ``harm`` commands; it returns what was done, when,
to whom, and what the heal must undo. :func:`heal` powers nodes back on, undoes every
network fault and restarts harmd where it was killed (``harm lab heal``), then undoes
the operator's changes (online, clear).
"""

from __future__ import annotations

import random
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from harm.errors import LabError
from harm.lab import faults, lab, netfilter
from harm.lab.campaign.catalogue import BY_NAME, PGSQL
from harm.lab.campaign.model import Snapshot
from harm.lab.campaign.power import PowerSwitch
from harm.lab.campaign.profiles import Profile, any_live, harm_cli
from harm.lab.campaign.schedule import Fault, pick
from harm.lab.spec import LabSpec


@dataclass(frozen=True)
class Applied:
    kind: str
    at: float  # seconds since the epoch
    what: str
    targets: tuple[str, ...] = ()
    harmd_killed: frozenset[str] = frozenset()
    powered_off: frozenset[str] = frozenset()
    undo: tuple[tuple[str, ...], ...] = ()  # harm commands the heal runs


@dataclass
class Lab:
    """What the actions work on; ``look`` takes a fresh snapshot."""

    spec: LabSpec
    profile: Profile
    power: PowerSwitch
    look: Callable[[], Snapshot]
    settle_probe_s: float = 15.0  # how long to wait for a failover to begin
    notes: list[str] = field(default_factory=list)


# ---------------------------------------------------------------- roles


def dc_of(snap: Snapshot) -> str | None:
    return next((v.node for v in snap.nodes if v.is_dc and v.harmd_pid), None)


def promoted_on(snap: Snapshot, profile: Profile) -> list[str]:
    return sorted({a.node for a in snap.believed if a.resource == profile.promotable
                   and a.promoted})


def unpromoted_on(snap: Snapshot, profile: Profile) -> list[str]:
    return sorted({a.node for a in snap.believed if a.resource == profile.promotable
                   and not a.promoted})


def holder_of(snap: Snapshot, profile: Profile) -> list[str]:
    return sorted({a.node for a in snap.believed if a.resource == profile.group_first})


def live(snap: Snapshot) -> list[str]:
    return [v.node for v in snap.nodes if v.harmd_pid is not None]


def _need(node: str | None, what: str) -> str:
    if node is None:
        raise LabError(f"no {what} to fault")
    return node


# ---------------------------------------------------------------- one fault
# one function per kind: (the lab, the planned fault, the look before it, now) -> Applied

Apply = Callable[[Lab, Fault, Snapshot, float], Applied]


def _kill_postgres(ctx: Lab, fault: Fault, snap: Snapshot, now: float) -> Applied:
    primary = fault.kind.endswith("primary")
    role = promoted_on(snap, ctx.profile) if primary else unpromoted_on(snap, ctx.profile)
    node = _need(pick(role, fault.picks[0]), "primary" if primary else "standby")
    return Applied(fault.kind, now, faults.fail(ctx.spec, node, "postgres"), (node,))


def _kill_harmd(ctx: Lab, fault: Fault, snap: Snapshot, now: float) -> Applied:
    dc = dc_of(snap)
    of_dc = fault.kind.endswith("dc")
    role = ([dc] if dc else []) if of_dc else [n for n in live(snap) if n != dc]
    node = _need(pick(role, fault.picks[0]), "DC" if of_dc else "other node")
    return Applied(fault.kind, now, faults.fail(ctx.spec, node, "harmd"), (node,),
                   harmd_killed=frozenset({node}))


def _crash(ctx: Lab, fault: Fault, snap: Snapshot, now: float) -> Applied:
    node = _need(pick(live(snap), fault.picks[0]), "node")
    what = ctx.power.off(ctx.spec, node)
    return Applied(fault.kind, now, f"{ctx.power.name}: {what}", (node,),
                   harmd_killed=frozenset({node}), powered_off=frozenset({node}))


def _any_node(ctx: Lab, fault: Fault) -> str:
    return _need(pick(list(ctx.spec.nodes), fault.picks[0]), "node")


def _nic(ctx: Lab, fault: Fault) -> str:
    return ctx.spec.nic(fault.link % ctx.spec.links)


def _link_cut(ctx: Lab, fault: Fault, _snap: Snapshot, now: float) -> Applied:
    node = _any_node(ctx, fault)
    return Applied(fault.kind, now, faults.fail(ctx.spec, node, f"link={_nic(ctx, fault)}"),
                   (node,))


def _all_links_cut(ctx: Lab, fault: Fault, _snap: Snapshot, now: float) -> Applied:
    node = _any_node(ctx, fault)
    for link in range(ctx.spec.links):
        faults.fail(ctx.spec, node, f"link={ctx.spec.nic(link)}")
    return Applied(fault.kind, now, f"{node}: every link down", (node,))


def _isolate(ctx: Lab, fault: Fault, _snap: Snapshot, now: float) -> Applied:
    node = _any_node(ctx, fault)
    return Applied(fault.kind, now, faults.fail(ctx.spec, node, "partition="), (node,))


def _split(ctx: Lab, fault: Fault, _snap: Snapshot, now: float) -> Applied:
    side, other = split_sides(list(ctx.spec.nodes), fault.picks)
    for node in side:
        for peer in other:
            netfilter.cut(ctx.spec, node, peer)
    return Applied(fault.kind, now, f"{','.join(side)} | {','.join(other)} cut from each "
                   "other (clients reach every node)", tuple(side))


def _partition_2_1(ctx: Lab, fault: Fault, _snap: Snapshot, now: float) -> Applied:
    pair, rest = split_sides(list(ctx.spec.nodes), fault.picks, size=2)
    faults.fail(ctx.spec, pair[0], "partition=" + pair[1])
    return Applied(fault.kind, now, f"{','.join(pair)} | {','.join(rest)} (the clients with "
                   f"{','.join(rest)})", tuple(pair))


def _packets(ctx: Lab, fault: Fault, _snap: Snapshot, now: float) -> Applied:
    node = _any_node(ctx, fault)
    name = "loss" if fault.kind == "packet-loss" else "duplicate"
    what = faults.fail(ctx.spec, node, f"{name}={_nic(ctx, fault)}:{fault.share}")
    return Applied(fault.kind, now, what, (node,))


def _standby(ctx: Lab, fault: Fault, _snap: Snapshot, now: float) -> Applied:
    node = _any_node(ctx, fault)
    harm_cli(ctx.spec, any_live(ctx.spec), "node", "standby", node)
    return Applied(fault.kind, now, f"harm node standby {node}", (node,),
                   undo=(("node", "online", node),))


def _resource_fail(ctx: Lab, fault: Fault, snap: Snapshot, now: float) -> Applied:
    first = ctx.profile.group_first
    node = _need(pick(holder_of(snap, ctx.profile), fault.picks[0]), f"node running {first}")
    return Applied(fault.kind, now, fail_resource(ctx.spec, ctx.profile, node), (node,))


def apply(ctx: Lab, fault: Fault, snap: Snapshot) -> Applied:
    action = ACTIONS.get(fault.kind)
    if action is None:
        raise LabError(f"fault {fault.kind!r} cannot be applied here")
    return action(ctx, fault, snap, time.time())


def split_sides(nodes: list[str], picks: tuple[float, ...], size: int = 0
                ) -> tuple[list[str], list[str]]:
    """The nodes in two non-empty groups, drawn from ``picks``: ``size`` nodes (or a
    drawn number) on the first side."""
    order = sorted(nodes)
    random.Random(picks[1]).shuffle(order)
    count = size or 1 + min(int(picks[2] * (len(order) - 1)), len(order) - 2)
    return sorted(order[:count]), sorted(order[count:])


def fail_resource(spec: LabSpec, profile: Profile, node: str) -> str:
    """The resource dies on ``node``: its state file goes (its monitor fails)."""
    path = spec.node_dir(node) / "tmp" / f"Dummy-{profile.group_first}.state"
    path.unlink(missing_ok=True)
    return f"{profile.group_first} died on {node} (state file removed)"


def _during_failover(ctx: Lab, fault: Fault, snap: Snapshot, now: float) -> Applied:
    """A failover (the primary's postgres killed, or the first group's resource dead),
    then, once the cluster reacts, the operator's command."""
    spec, profile = ctx.spec, ctx.profile
    if profile.kind == PGSQL:
        trigger = _need(pick(promoted_on(snap, profile), fault.picks[0]), "primary")
        what = faults.fail(spec, trigger, "postgres")
    else:
        trigger = _need(pick(holder_of(snap, profile), fault.picks[0]), "group's node")
        what = fail_resource(spec, profile, trigger)
    _wait_reaction(ctx)
    via = any_live(spec)
    undo: tuple[tuple[str, ...], ...] = ()
    if fault.kind == "standby-during-failover":
        node = _need(pick(list(spec.nodes), fault.picks[1]), "node")
        harm_cli(spec, via, "node", "standby", node)
        op = f"harm node standby {node}"
        undo = (("node", "online", node),)
    elif fault.kind == "move-during-failover":
        others = [n for n in spec.nodes if n not in promoted_on(snap, profile)]
        node = _need(pick(others, fault.picks[1]), "node to move to")
        harm_cli(spec, via, "resource", "move", profile.promotable_clone, node)
        op = f"harm resource move {profile.promotable_clone} {node}"
        undo = (("resource", "clear", profile.promotable_clone),)
    else:
        minutes = 10 + int(fault.picks[1] * 20)
        with tempfile.NamedTemporaryFile("w", suffix=".crm", delete=False) as handle:
            handle.write(f"property cluster-recheck-interval={minutes}min\n")
        try:
            harm_cli(spec, via, "configure", "load", "update", handle.name)
        finally:
            Path(handle.name).unlink(missing_ok=True)
        op = f"harm configure load update (cluster-recheck-interval={minutes}min)"
    return Applied(fault.kind, now, f"{what}; then {op}", (trigger,), undo=undo)


ACTIONS: dict[str, Apply] = {
    "kill-postgres-primary": _kill_postgres,
    "kill-postgres-standby": _kill_postgres,
    "kill-harmd-dc": _kill_harmd,
    "kill-harmd-other": _kill_harmd,
    "node-crash": _crash,
    "link-cut": _link_cut,
    "all-links-cut": _all_links_cut,
    "isolate": _isolate,
    "split": _split,
    "partition-2-1": _partition_2_1,
    "packet-loss": _packets,
    "packet-duplicate": _packets,
    "standby-online": _standby,
    "resource-fail": _resource_fail,
    "standby-during-failover": _during_failover,
    "move-during-failover": _during_failover,
    "load-during-failover": _during_failover,
}


def _wait_reaction(ctx: Lab) -> None:
    """Until the cluster works on the failure (a transition runs or is due), at most
    ``settle_probe_s``: the operator's command then lands in the middle of it."""
    deadline = time.monotonic() + ctx.settle_probe_s
    while time.monotonic() < deadline:
        snap = ctx.look()
        if snap.pending or any(v.transition_running for v in snap.nodes):
            return
        time.sleep(0.3)
    ctx.notes.append(f"no reaction seen within {ctx.settle_probe_s:.0f}s")


# ---------------------------------------------------------------- heal


def heal(ctx: Lab, applied: list[Applied]) -> str:
    spec = ctx.spec
    done = []
    for node in sorted(set().union(*(a.powered_off for a in applied))):
        done.append(f"{ctx.power.name}: {ctx.power.on(spec, node)}")
    done.append(faults.heal(spec))
    lab.wait_sockets(spec, list(spec.nodes), timeout_s=30)
    via = any_live(spec)
    for entry in applied:
        for args in entry.undo:
            harm_cli(spec, via, *args)
            done.append(f"harm {' '.join(args)}")
    return "; ".join(done)


def explained_patterns(applied: list[Applied]) -> list[str]:
    return [p for a in applied for p in BY_NAME[a.kind].explains]
