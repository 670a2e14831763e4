"""Blocking until a target state, within the operation's timeout.

Actions wait for the state they promise (``start`` returns once the service answers), but
never longer than the cluster allows: the deadline is the op timeout minus a margin, so the
agent can still report *why* it gave up before the executor kills it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

# typing costs an agent call a few ms of start-up; its names are needed by the type checker only
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import TypeVar

    T = TypeVar("T")


@dataclass(frozen=True)
class Deadline:
    """A point on the monotonic clock after which an action stops waiting."""

    at: float
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep

    @classmethod
    def after_ms(cls, timeout_ms: int, margin: float = 0.1) -> Deadline:
        """The timeout minus ``margin`` of it (at least 0.5 s kept for the report)."""
        seconds = timeout_ms / 1000.0
        spare = max(0.5, seconds * margin)
        return cls(at=time.monotonic() + max(seconds - spare, 0.5))

    def remaining(self) -> float:
        return max(0.0, self.at - self.clock())

    def expired(self) -> bool:
        return self.clock() >= self.at

    def wait_for(self, probe: Callable[[], T | None], interval: float = 0.2) -> T | None:
        """Call ``probe`` until it returns something not None, or the deadline passes."""
        while True:
            result = probe()
            if result is not None:
                return result
            if self.expired():
                return None
            self.sleep(min(interval, self.remaining()) or interval)
