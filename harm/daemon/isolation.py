"""One input, one guard: an input that makes harmd's code raise is dropped, not fatal.

Each datagram, control request, cluster message, executor result and timer runs through
:meth:`Isolation.run`. An exception that escapes (a bug, or a check that was missed) is
logged in one line naming the kind of input, the exception and a short ``repr`` of the
input, counted per kind, and the loop goes on: one bad broadcast must not stop every
harmd of the cluster at once. The traceback is logged at debug level.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")
REPR_LIMIT = 120


def short_repr(value: object, limit: int = REPR_LIMIT) -> str:
    """``repr(value)`` cut to ``limit`` characters (a datagram can be 64 kB)."""
    try:
        text = repr(value[:limit + 1] if isinstance(value, bytes | str) else value)
    except Exception:  # a repr that fails must not undo the guard
        text = f"<{type(value).__name__}>"
    return text if len(text) <= limit else text[:limit - 1] + "…"


class Isolation:
    """Runs actions under a guard and counts, per kind of input, those that raised."""

    def __init__(self, log: logging.Logger) -> None:
        self.log = log
        self.counts: Counter[str] = Counter()

    def run(self, kind: str, subject: object, action: Callable[[], T]) -> T | None:
        """``action()``, or None when it raised (logged and counted under ``kind``)."""
        try:
            return action()
        except Exception as error:
            self.counts[kind] += 1
            self.log.error("dropped a %s: %s: %s (input %s)", kind, type(error).__name__,
                           short_repr(str(error), 200), short_repr(subject))
            self.log.debug("the %s's traceback", kind, exc_info=True)
            return None
