"""Handing results from executor threads to a single-threaded ``selectors`` loop.

    executor worker ──► ResultInbox(result) ──► deque + one byte on a pipe
    daemon loop: selector.register(inbox.fileno(), EVENT_READ) … inbox.drain() → [OpResult]

The loop stays the only place where results are acted on; the executor's threads only
append and wake it up.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections import deque

from harm.executor.result import OpResult


class ResultInbox:
    """A result listener that queues results and makes a pipe readable while any wait."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._results: deque[OpResult] = deque()
        self._read, self._write = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)

    def __call__(self, result: OpResult) -> None:
        with self._lock:
            self._results.append(result)
        with contextlib.suppress(BlockingIOError):  # a full pipe already wakes the loop
            os.write(self._write, b"!")

    def fileno(self) -> int:
        """Readable while results are waiting (register it with a selector)."""
        return self._read

    def drain(self) -> list[OpResult]:
        """Every waiting result, oldest first; the pipe is emptied."""
        with contextlib.suppress(BlockingIOError):
            while os.read(self._read, 4096):
                pass
        with self._lock:
            results = list(self._results)
            self._results.clear()
        return results

    def close(self) -> None:
        os.close(self._read)
        os.close(self._write)
