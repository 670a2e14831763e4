"""Attribute dampening in virtual time."""

from __future__ import annotations

from harm.control.attrd import AttributeStore, Write
from harm.operations.attributes import Lifetime

R = Lifetime.REBOOT


def test_without_delay_a_change_is_written_at_once_and_repeats_are_not() -> None:
    store = AttributeStore()
    assert store.update(0, "n1", "pingd", "100") == [Write("n1", "pingd", "100", R)]
    assert store.update(5, "n1", "pingd", "100") == []
    assert store.update(6, "n1", "pingd", None) == [Write("n1", "pingd", None, R)]


def test_with_delay_the_value_current_at_expiry_is_written() -> None:
    store = AttributeStore()
    assert store.update(0, "n1", "pingd", "100", delay_ms=5000) == []
    assert store.next_deadline() == 5000
    assert store.update(1000, "n1", "pingd", "0", delay_ms=5000) == []
    assert store.next_deadline() == 5000  # the timer is not restarted
    assert store.tick(4999) == []
    assert store.tick(5000) == [Write("n1", "pingd", "0", R)]
    assert store.next_deadline() is None
    assert store.query("n1", "pingd") == "0"


def test_a_flap_back_to_the_written_value_writes_nothing() -> None:
    store = AttributeStore()
    store.update(0, "n1", "pingd", "100")
    assert store.update(10, "n1", "pingd", "0", delay_ms=5000) == []
    assert store.update(20, "n1", "pingd", "100", delay_ms=5000) == []
    assert store.next_deadline() is None
    assert store.tick(10_000) == []


def test_lifetimes_are_separate_and_a_leaving_node_loses_transient_ones() -> None:
    store = AttributeStore()
    store.update(0, "n1", "site", "a", Lifetime.FOREVER)
    store.update(0, "n1", "pingd", "100")
    store.update(0, "n2", "pingd", "100")
    assert store.forget_node("n1") == [Write("n1", "pingd", None, R)]
    assert store.query("n1", "site", Lifetime.FOREVER) == "a"
    assert store.query("n1", "pingd") is None
    assert store.query("n2", "pingd") == "100"
