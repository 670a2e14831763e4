"""Quorum arithmetic and Pacemaker's no-quorum-policy values."""

from __future__ import annotations

import pytest

from harm.membership.quorum import NoQuorumPolicy, has_quorum

VOTES = {"a": 1, "b": 1, "c": 1, "d": 1}


@pytest.mark.parametrize(
    ("members", "quorate"),
    [({"a", "b", "c"}, True), ({"a", "b"}, False), ({"a"}, False), (set(), False)],
)
def test_majority_of_configured_votes(members: set[str], quorate: bool) -> None:
    assert has_quorum(members, VOTES) is quorate


def test_weighted_votes_and_strangers() -> None:
    assert has_quorum({"a"}, {"a": 3, "b": 1, "c": 1})
    assert not has_quorum({"b", "c", "x"}, {"a": 3, "b": 1, "c": 1})


def test_two_node_waits_for_all() -> None:
    votes = {"a": 1, "b": 1}
    assert not has_quorum({"a"}, votes, two_node=True, seen_all=False)
    assert has_quorum({"a"}, votes, two_node=True, seen_all=True)
    assert not has_quorum({"a"}, votes)


def test_no_quorum_policy() -> None:
    assert NoQuorumPolicy.parse(" Ignore ") is NoQuorumPolicy.IGNORE
    assert NoQuorumPolicy.IGNORE.may_start(quorate=False)
    assert not NoQuorumPolicy.STOP.may_start(quorate=False)
    assert NoQuorumPolicy.FREEZE.may_start(quorate=True)
    with pytest.raises(ValueError, match="stop, freeze, ignore, demote, suicide"):
        NoQuorumPolicy.parse("panic")
