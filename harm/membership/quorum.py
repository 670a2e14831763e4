"""Quorum: a partition may run resources only with a majority of the configured votes.

``two_node`` is Corosync's: with two nodes either one alone is quorate, but only after both
were seen together once since start (``wait_for_all``), so two freshly booted nodes that
cannot see each other do not both start the services.

With a witness (:mod:`harm.witness`) there is one more vote, the witness's, which counts
for a partition only while that partition holds the witness's lease: two nodes together
are a majority (2 of 3) whatever the witness does, and after a split only the side holding
the lease is (1 + 1 of 3). ``two_node`` and a witness exclude each other.

What a partition without quorum does is Pacemaker's ``no-quorum-policy``, decided by the
scheduler from this module's :class:`NoQuorumPolicy`.
"""

from __future__ import annotations

import enum
from collections.abc import Collection, Mapping


class NoQuorumPolicy(enum.Enum):
    """Pacemaker's ``no-quorum-policy`` cluster property."""

    STOP = "stop"  # stop every resource in the partition (default)
    FREEZE = "freeze"  # keep what runs, start nothing new
    IGNORE = "ignore"  # behave as if quorate
    DEMOTE = "demote"  # demote promoted instances, stop the rest
    SUICIDE = "suicide"  # fence every node of the partition

    @staticmethod
    def parse(text: str) -> NoQuorumPolicy:
        try:
            return NoQuorumPolicy(text.strip().lower())
        except ValueError:
            choices = ", ".join(p.value for p in NoQuorumPolicy)
            raise ValueError(f"no-quorum-policy must be one of {choices}, got {text!r}") from None

    def may_start(self, quorate: bool) -> bool:
        """May the scheduler start resources in a partition with this quorum state?"""
        return quorate or self is NoQuorumPolicy.IGNORE


def has_quorum(
    members: Collection[str],
    votes: Mapping[str, int],
    two_node: bool = False,
    seen_all: bool = False,
    witness: bool | None = None,
) -> bool:
    """Do ``members`` hold a majority of ``votes`` (see the module docstring for two_node)?

    ``witness``: None without a witness; else whether this partition holds its vote."""
    total = sum(votes.values())
    have = sum(votes.get(m, 0) for m in members)
    if witness is not None:
        return 2 * (have + int(witness)) > total + 1
    if two_node:
        return seen_all and have > 0
    return 2 * have > total


PARTITION_RISK = (
    "two nodes, no witness, no fencing and no-quorum-policy=ignore: if the nodes stop "
    "hearing each other both keep running the resources (two primaries whose data "
    "diverge, writes lost on one side). Remedies: a witness (harm witness on a third "
    "machine, 'witness:' in harm.yaml, then no-quorum-policy=demote), or fencing "
    "(stonith-enabled=true with a fence device); see docs/quorum.md")


def partition_risk(nodes: int, witness: bool, fencing: bool, policy: str) -> str | None:
    """The warning for a configuration in which a split between the nodes gives two
    active sides, or None. ``policy`` is no-quorum-policy."""
    if nodes == 2 and not witness and not fencing and policy.strip().lower() == "ignore":
        return PARTITION_RISK
    return None


def majority_without_witness(members: Collection[str], votes: Mapping[str, int]) -> bool:
    """Do ``members`` hold a majority of all votes (the witness's included) by themselves?"""
    return has_quorum(members, votes, witness=False)
