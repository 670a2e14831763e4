"""Choosing the coordinator (DC) of a partition, the same way on every member.

Every member computes the DC from the same inputs: the membership view and the DC each member
last announced. The rule keeps a working coordinator when nodes join (no needless handover,
which would rebuild the status and re-run the engine) and converges after a merge:

1. among the members, take those some member announces as its DC and that are members too;
2. if there are any, the DC is the lowest name among them (two partitions merging: the
   coordinator with the lower name stays, the other steps down);
3. otherwise (first start, or the DC left), the DC is the member with the lowest name.

Names compare as Pacemaker sorts node names (digits by value), so ``node2`` < ``node10``.
Only a partition allowed to manage resources (quorate, or no-quorum-policy=ignore) acts on the
result; the election itself does not look at quorum.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping


def _natural(name: str) -> tuple[tuple[int, int | str], ...]:
    parts = re.split(r"(\d+)", name.lower())
    return tuple((0, int(p)) if p.isdigit() else (1, p) for p in parts if p)


def elect(members: Collection[str], announced: Mapping[str, str | None]) -> str:
    """The DC of a partition with these ``members``; ``announced`` maps member → its DC."""
    if not members:
        raise ValueError("a partition without members has no coordinator")
    member_set = set(members)
    incumbents = {dc for node, dc in announced.items() if node in member_set and dc in member_set}
    pool = incumbents or member_set
    return min(pool, key=_natural)
