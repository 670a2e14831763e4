"""The witness's lease rules on a virtual clock (integers are monotonic milliseconds)."""

from __future__ import annotations

from harm.witness.lease import Arbiter, Ask, Outcome

AB = frozenset({"A", "B"})
A, B = frozenset({"A"}), frozenset({"B"})


def ask(node: str, members: frozenset[str], lease: int = 2000, margin: int = 1000) -> Ask:
    return Ask(node, members, lease, margin)


def test_first_ask_is_granted_and_renewed_by_the_same_partition() -> None:
    arbiter = Arbiter()
    assert arbiter.ask(0, ask("A", AB)).outcome is Outcome.GRANTED
    assert arbiter.ask(500, ask("B", AB)).outcome is Outcome.RENEWED
    assert arbiter.holder(2400) == AB


def test_after_a_split_the_first_side_keeps_the_vote_the_other_is_refused() -> None:
    arbiter = Arbiter()
    arbiter.ask(0, ask("A", AB))
    assert arbiter.ask(100, ask("A", A)).outcome is Outcome.NARROWED
    refused = arbiter.ask(150, ask("B", B))
    assert refused.outcome is Outcome.REFUSED and refused.holder == A
    assert refused.free_in_ms == 2100 + 1000 - 150
    # A renews: B stays refused however often it asks
    for now in range(200, 20_000, 200):
        assert arbiter.ask(now, ask("A", A)).outcome is Outcome.RENEWED
        assert arbiter.ask(now + 1, ask("B", B)).outcome is Outcome.REFUSED


def test_a_node_outside_the_holder_cannot_take_the_vote_by_claiming_to_see_it() -> None:
    arbiter = Arbiter()
    arbiter.ask(0, ask("A", AB))
    arbiter.ask(10, ask("A", A))
    assert arbiter.ask(20, ask("B", AB)).outcome is Outcome.REFUSED
    assert arbiter.holder(20) == A


def test_the_vote_moves_only_after_the_lease_plus_margin() -> None:
    arbiter = Arbiter()
    arbiter.ask(0, ask("A", A, lease=2000, margin=1000))
    assert arbiter.ask(2999, ask("B", B)).outcome is Outcome.REFUSED
    assert arbiter.ask(3000, ask("B", B)).outcome is Outcome.GRANTED
    assert arbiter.ask(3001, ask("A", A)).outcome is Outcome.REFUSED


def test_the_holder_gives_up_strictly_before_the_witness_could_give_the_vote_away() -> None:
    """The holder counts from when it sent the ask; whatever the delay to the witness, its
    lease ends at least the margin before anyone else may be granted."""
    for delay in (0, 1, 50, 1999, 5000):
        arbiter = Arbiter()
        sent = 10_000
        verdict = arbiter.ask(sent + delay, ask("A", A, lease=2000, margin=1000))
        assert verdict.outcome is Outcome.GRANTED
        holder_until = sent + verdict.lease_ms
        first_other = next(t for t in range(sent, sent + 20_000, 1)
                           if arbiter.ask(t, ask("B", B, margin=0)).outcome.granted)
        assert first_other >= holder_until + 1000


def test_a_merge_widens_the_lease_only_when_asked_by_a_holder() -> None:
    arbiter = Arbiter()
    arbiter.ask(0, ask("A", A))
    assert arbiter.ask(10, ask("B", AB)).outcome is Outcome.REFUSED
    assert arbiter.ask(20, ask("A", AB)).outcome is Outcome.WIDENED
    assert arbiter.ask(30, ask("B", AB)).outcome is Outcome.RENEWED


def test_a_lease_is_never_shortened_by_a_narrower_or_shorter_ask() -> None:
    arbiter = Arbiter()
    arbiter.ask(0, ask("A", AB, lease=5000, margin=3000))
    arbiter.ask(100, ask("A", A, lease=100, margin=0))
    assert arbiter.ask(7999, ask("B", B)).outcome is Outcome.REFUSED
    assert arbiter.ask(8000, ask("B", B)).outcome is Outcome.GRANTED


def test_a_restarted_witness_gives_its_vote_to_nobody_during_its_quiet_time() -> None:
    arbiter = Arbiter(quiet_until=5000)
    refused = arbiter.ask(1000, ask("A", A))
    assert refused.outcome is Outcome.REFUSED and refused.free_in_ms == 4000
    assert arbiter.ask(5000, ask("A", A)).outcome is Outcome.GRANTED


def test_minimum_margin_applies_to_asks_with_a_smaller_one() -> None:
    arbiter = Arbiter(min_margin_ms=4000)
    arbiter.ask(0, ask("A", A, lease=1000, margin=0))
    assert arbiter.ask(4999, ask("B", B)).outcome is Outcome.REFUSED
    assert arbiter.ask(5000, ask("B", B)).outcome is Outcome.GRANTED


def test_a_node_named_by_a_merge_cannot_narrow_before_it_confirmed_the_merge() -> None:
    """After a heal one side sees the other first: A widens the lease to A,B while B still
    sees only itself. B asking for itself alone must not get the vote (it would be quorate
    alone while A counts both)."""
    arbiter = Arbiter()
    arbiter.ask(0, ask("A", A))
    assert arbiter.ask(100, ask("A", AB)).outcome is Outcome.WIDENED
    assert arbiter.ask(150, ask("B", B)).outcome is Outcome.REFUSED
    assert arbiter.ask(200, ask("B", AB)).outcome is Outcome.RENEWED  # B sees A now
    assert arbiter.ask(300, ask("B", B)).outcome is Outcome.NARROWED  # a new split
