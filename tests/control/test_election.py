"""The coordinator choice: stable on joins, convergent on merges, the same on every node."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from harm.control.election import elect


def test_first_start_takes_the_lowest_name_in_natural_order() -> None:
    assert elect({"node10", "node2", "node3"}, {}) == "node2"


def test_a_joining_node_does_not_take_over() -> None:
    announced = {"b": "b", "c": "b"}
    assert elect({"a", "b", "c"}, {**announced, "a": None}) == "b"


def test_when_the_dc_leaves_the_lowest_remaining_member_takes_over() -> None:
    assert elect({"b", "c"}, {"b": "a", "c": "a"}) == "b"


def test_two_partitions_merging_keep_the_lower_coordinator() -> None:
    announced = {"a": "a", "b": "a", "c": "c", "d": "c"}
    assert elect({"a", "b", "c", "d"}, announced) == "a"


def test_an_empty_partition_has_no_coordinator() -> None:
    with pytest.raises(ValueError):
        elect(set(), {})


names = st.sets(st.sampled_from([f"n{i}" for i in range(1, 9)]), min_size=1)


@given(names, st.data())
def test_every_member_computes_the_same_dc_from_the_same_inputs(
    members: set[str], data: st.DataObject
) -> None:
    announced = {
        m: data.draw(st.one_of(st.none(), st.sampled_from(sorted(members | {"gone"}))))
        for m in members
    }
    results = {elect(order, announced) for order in itertools.islice(
        itertools.permutations(sorted(members)), 6)}
    assert len(results) == 1
    assert results.pop() in members
