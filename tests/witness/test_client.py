"""The node's side of the witness on a virtual clock: when it asks, what a grant is worth."""

from __future__ import annotations

from harm.membership.authkeys import AuthKeys
from harm.witness.client import ClientParams, WitnessClient
from harm.witness.lease import Arbiter, Ask
from harm.witness.service import WitnessCore

KEYS = AuthKeys.single(b"secret-for-tests")
AB, A = frozenset({"A", "B"}), frozenset({"A"})


def client(priority: bool = True, generation: int = 3) -> WitnessClient:
    params = ClientParams(cluster="c", node="A", generation=generation, lease_ms=2000,
                          margin_ms=2000,
                          renew_ms=200, wait_ms=400, defer_ms=800)
    made = WitnessClient(params, KEYS, 0)
    made.priority = priority
    return made


def test_a_grant_counts_from_the_ask_for_the_members_it_was_for() -> None:
    core = WitnessCore("c", KEYS, Arbiter())
    me = client()
    (ask,) = me.want(1000, AB)
    reply, _ = core.handle(1500, ask)  # 500 ms on the way
    assert reply is not None and me.receive(1600, reply)
    assert me.holds(1600, AB) and not me.holds(1600, A)
    assert me.holds(2999, AB) and not me.holds(3000, AB)  # sent at 1000 + lease 2000


def test_a_node_without_a_primary_waits_before_asking_and_the_view_waits_for_it() -> None:
    me = client(priority=False)
    assert me.want(1000, AB) == []
    assert not me.decided(1000, AB) and not me.decided(2199, AB)
    assert len(me.tick(1800)) == 1
    assert me.decided(2200, AB)  # defer 800 + wait 400 without an answer: decided, no vote
    assert not me.holds(2200, AB)


def test_a_late_refusal_of_an_older_ask_does_not_drop_a_newer_grant() -> None:
    core = WitnessCore("c", KEYS, Arbiter())
    other = WitnessCore("c", KEYS, Arbiter())
    other.arbiter.ask(0, Ask("B", frozenset({"B"}), 2000, 2000))
    me = client()
    (first,) = me.want(1000, AB)
    (second,) = me.tick(1200)
    refused, _ = other.handle(1201, first)  # an answer from when B held it
    granted, _ = core.handle(1201, second)
    assert granted is not None and refused is not None
    me.receive(1210, granted)
    me.receive(1220, refused)
    assert me.holds(1220, AB)


def test_answers_to_asks_it_did_not_send_are_dropped() -> None:
    core = WitnessCore("c", KEYS, Arbiter())
    stranger = client(generation=2)  # this node's previous life
    (ask,) = stranger.want(1000, AB)
    reply, _ = core.handle(1001, ask)
    me = client()
    me.want(1000, AB)
    assert reply is not None and not me.receive(1002, reply)
    assert me.dropped == 1 and not me.holds(1002, AB)
