"""The seeded plan: which fault each step applies, to whom, and when it is healed.

Step K of seed S is drawn from its own generator (``random.Random("S:K")``), so the plan
of a step does not depend on the steps before it: ``--only K`` regenerates exactly the
step a full run made. Targets are drawn as numbers in [0, 1) and resolved when the step
runs, against the cluster's roles then (see :func:`pick`).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from harm.lab.campaign.catalogue import FaultKind, kinds_for

SHARES = {  # the share of the packets, in percent
    "packet-loss": ("20", "40", "60"),
    "packet-duplicate": ("30", "60"),
}
HOLD_S = (3.0, 20.0)  # a fault is healed after a random time in this range
GAP_S = (0.5, 3.0)  # the second fault of a double comes this long after the first


@dataclass(frozen=True)
class Fault:
    """One fault of a step: its kind and the numbers that resolve its details."""

    kind: str
    picks: tuple[float, ...]  # target choices, resolved against the roles at run time
    link: int = 0  # which link, for link, loss and duplication faults (modulo the lab's links)
    share: str = ""  # the share of the packets (percent), for loss and duplication


@dataclass(frozen=True)
class Step:
    index: int  # 1-based
    seed: int
    faults: tuple[Fault, ...]
    hold_s: float  # from the (last) fault to the heal
    gap_s: float = 0.0  # between the two faults of a double
    label: str = field(default="")  # the kind the step was drawn as

    @property
    def kind(self) -> str:
        return self.label or self.faults[0].kind


def _fault(rng: random.Random, kind: FaultKind) -> Fault:
    picks = tuple(rng.random() for _ in range(3))
    link = rng.randrange(8)
    share = rng.choice(SHARES[kind.name]) if kind.name in SHARES else ""
    return Fault(kind.name, picks, link, share)


def step(seed: int, index: int, cluster: str, nodes: int) -> Step:
    """Step ``index`` (1-based) of ``seed`` for a ``cluster`` profile of ``nodes`` nodes."""
    rng = random.Random(f"{seed}:{index}")
    kinds = kinds_for(cluster, nodes)
    kind = rng.choice(kinds)
    hold = round(rng.uniform(*HOLD_S), 1)
    if kind.name != "double":
        return Step(index, seed, (_fault(rng, kind),), hold)
    simple = [k for k in kinds if k.simple]
    first, second = rng.choice(simple), rng.choice(simple)
    gap = round(rng.uniform(*GAP_S), 1)
    return Step(index, seed, (_fault(rng, first), _fault(rng, second)), hold, gap, "double")


def plan(seed: int, count: int, cluster: str, nodes: int) -> list[Step]:
    return [step(seed, k, cluster, nodes) for k in range(1, count + 1)]


def pick(candidates: list[str], value: float) -> str | None:
    """The candidate ``value`` (in [0, 1)) points at, among the sorted candidates."""
    ordered = sorted(candidates)
    if not ordered:
        return None
    return ordered[min(int(value * len(ordered)), len(ordered) - 1)]


def describe(step_: Step) -> str:
    parts = []
    for fault in step_.faults:
        extra = f" {fault.share}%" if fault.share else ""
        parts.append(f"{fault.kind}{extra}")
    gap = f" {step_.gap_s:.1f}s apart" if step_.gap_s else ""
    return f"{' + '.join(parts)}{gap}, healed after {step_.hold_s:.1f}s"

