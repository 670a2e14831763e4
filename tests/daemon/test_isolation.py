"""The daemon loop's guard: an input that raises is logged, counted per kind, and dropped."""

from __future__ import annotations

import logging

import pytest

from harm.daemon.isolation import Isolation, short_repr
from harm.daemon.runner import Runner
from harm.membership.authkeys import AuthKeys
from harm.membership.events import Event, NodeUp
from harm.membership.machine import Membership, Params, Step

KEYS = AuthKeys.single(b"k")


class Exploding:
    """A controller whose every handler fails with a bug (not a HarmError)."""

    def __init__(self) -> None:
        self.calls = 0

    def on_event(self, event: Event) -> None:
        self.calls += 1
        raise OverflowError("cannot convert float infinity to integer")

    def refused(self) -> dict[str, int]:
        return {"cluster message": 2}

    def next_deadline(self) -> int | None:
        return 0

    def tick(self) -> None:
        raise RecursionError("maximum recursion depth exceeded")

    def flush(self) -> None:
        raise KeyError("x")

    def on_results(self) -> None:
        raise TypeError("results")


def runner(cluster: object) -> Runner:
    params = Params("c", "a", (("a", 1), ("b", 1)), ("eth0",), 7, 200, 2000, 1000, 4000)
    return Runner(Membership(params, KEYS, 0), [], None, logging.getLogger("test"),
                  clock=lambda: 0, cluster=cluster)


def test_every_event_reaches_the_controller_even_when_one_raises(
        caplog: pytest.LogCaptureFixture) -> None:
    cluster = Exploding()
    loop = runner(cluster)
    loop.apply(Step(events=(NodeUp("b"), NodeUp("c"))))
    assert cluster.calls == 2
    assert loop.isolation.counts == {"membership event": 2}
    line = next(r.getMessage() for r in caplog.records if r.levelno == logging.ERROR)
    assert "membership event" in line and "OverflowError" in line and "NodeUp" in line


def test_timers_of_a_failing_controller_do_not_stop_the_loop() -> None:
    loop = runner(Exploding())
    for _ in range(3):
        loop.turn(max_wait_ms=0)
    assert loop.isolation.counts["timer"] == 6  # tick and flush, each turn
    assert loop.inputs_dropped() == {"cluster message": 2, "timer": 6}


def test_short_repr_bounds_what_is_logged() -> None:
    assert len(short_repr(b"x" * 65_000)) <= 120
    assert short_repr("abc") == "'abc'"

    class Bad:
        def __repr__(self) -> str:
            raise ValueError("no")

    assert short_repr(Bad()) == "<Bad>"
    assert Isolation(logging.getLogger("t")).run("k", 1, lambda: 5) == 5
