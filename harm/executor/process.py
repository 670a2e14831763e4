"""Running one agent process in its own session, and killing all of it on timeout.

The agent is started with ``setsid`` (its own session and process group, no controlling
terminal, stdin from /dev/null, cwd ``/``). Its stdout and stderr are read while it runs.
The call ends when the agent process itself exits, not when its pipes close: an agent that
leaves a background child holding the pipes open (a service started with ``&``) must not
hang the executor, so what is in the pipes at exit is drained without waiting for EOF.

On timeout the whole process group gets SIGTERM; whatever is still alive in the group
after ``grace`` seconds gets SIGKILL, and the call returns only once no live process is
left in the group. Processes that moved to a session of their own (daemons started by the
agent on purpose) are not the agent's group and are left alone, as in Pacemaker.
"""

from __future__ import annotations

import contextlib
import os
import selectors
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from harm.errors import AgentError

OUTPUT_LIMIT = 256 * 1024  # bytes kept per stream; the rest is read and dropped
_CHUNK = 65536


class AgentExecError(AgentError):
    """The agent program could not be started; ``errno`` says why (ENOENT, EACCES …)."""

    def __init__(self, program: str, errno: int | None, text: str) -> None:
        self.errno = errno
        super().__init__(f"cannot run {program}: {text}")


class CancelToken:
    """Lets another thread end a running call early (the group is killed as on timeout).

    Backed by an eventfd, so a call waiting in ``select`` wakes at once; cancelling before
    the call starts, or after it ended, is harmless.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._fd: int | None = os.eventfd(0, os.EFD_CLOEXEC | os.EFD_NONBLOCK)
        self._cancelled = False

    def cancel(self) -> None:
        with self._lock:
            self._cancelled = True
            if self._fd is not None:
                os.eventfd_write(self._fd, 1)

    @property
    def cancelled(self) -> bool:
        with self._lock:
            return self._cancelled

    def fileno(self) -> int:
        with self._lock:
            if self._fd is None:
                raise ValueError("the token is closed")
            return self._fd

    def close(self) -> None:
        with self._lock:
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None


@dataclass(frozen=True)
class ProcessOutcome:
    """How one agent process ended.

    ``returncode`` is None when the agent was killed because it timed out. ``signals``
    names the signals sent to the group (empty when the agent finished on time).
    """

    returncode: int | None
    stdout: str
    stderr: str
    timed_out: bool
    exec_ms: int
    signals: tuple[str, ...] = ()
    cancelled: bool = False


def run_in_group(
    argv: Sequence[str],
    env: Mapping[str, str],
    timeout: float,
    grace: float = 5.0,
    clock: Callable[[], float] = time.monotonic,
    token: CancelToken | None = None,
    stdin_text: str | None = None,
) -> ProcessOutcome:
    """Run ``argv`` with ``env`` for at most ``timeout`` seconds (see the module doc);
    ``token`` can end it earlier from another thread. ``stdin_text`` (small: it must fit
    in a pipe, as fence agents' ``key=value`` parameters do) is its standard input.

    Raises AgentExecError when the program cannot be started at all (missing, not
    executable, not a valid executable).
    """
    started = clock()
    try:
        proc = subprocess.Popen(
            list(argv),
            env=dict(env),
            stdin=subprocess.DEVNULL if stdin_text is None else subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd="/",
            start_new_session=True,
            close_fds=True,
        )
    except OSError as error:
        raise AgentExecError(argv[0], error.errno, error.strerror or str(error)) from None
    if proc.stdin is not None:
        with contextlib.suppress(OSError):
            proc.stdin.write((stdin_text or "").encode())
        with contextlib.suppress(OSError):
            proc.stdin.close()
    assert proc.stdout is not None and proc.stderr is not None
    pgid = proc.pid
    streams = _Streams(proc.stdout.fileno(), proc.stderr.fileno())
    pidfd = os.pidfd_open(proc.pid)
    selector = selectors.DefaultSelector()
    try:
        selector.register(pidfd, selectors.EVENT_READ, "exit")
        for fd in streams.fds():
            selector.register(fd, selectors.EVENT_READ, "out")
        if token is not None:
            selector.register(token.fileno(), selectors.EVENT_READ, "cancel")
        deadline = started + timeout
        exited = cancelled = False
        while not exited and not cancelled:
            remaining = deadline - clock()
            if remaining <= 0:
                break
            for key, _ in selector.select(remaining):
                if key.data == "exit":
                    exited = True
                elif key.data == "cancel":
                    cancelled = True
                elif not streams.read(key.fd):
                    selector.unregister(key.fd)
        signals: tuple[str, ...] = ()
        if exited:
            returncode: int | None = proc.wait()
        else:
            signals = _kill_group(proc, pgid, grace, clock)
            returncode = None
        streams.drain()
        exec_ms = int((clock() - started) * 1000)
        return ProcessOutcome(
            returncode=returncode,
            stdout=streams.text(0),
            stderr=streams.text(1),
            timed_out=not exited and not cancelled,
            exec_ms=exec_ms,
            signals=signals,
            cancelled=cancelled and not exited,
        )
    finally:
        selector.close()
        os.close(pidfd)
        proc.stdout.close()
        proc.stderr.close()
        if proc.returncode is None:  # only reachable through an unexpected exception
            _kill_group(proc, pgid, 0.0, clock)


def group_alive(pgid: int) -> list[int]:
    """Live (not zombie) processes whose process group is ``pgid``, from /proc."""
    alive = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as stat:
                data = stat.read()
        except OSError:
            continue
        fields = data[data.rfind(b")") + 2 :].split()
        if len(fields) > 2 and int(fields[2]) == pgid and fields[0] not in (b"Z", b"X"):
            alive.append(int(entry.name))
    return alive


def _kill_group(
    proc: subprocess.Popen[bytes],
    pgid: int,
    grace: float,
    clock: Callable[[], float],
) -> tuple[str, ...]:
    """SIGTERM the group, SIGKILL what outlives ``grace``; return once the group is empty."""
    sent = ["SIGTERM"]
    _signal_group(pgid, signal.SIGTERM)
    if not _wait_group_empty(proc, pgid, clock() + grace, clock):
        sent.append("SIGKILL")
        _signal_group(pgid, signal.SIGKILL)
        # SIGKILL cannot be ignored; this only waits for the kernel to tear processes down
        if not _wait_group_empty(proc, pgid, clock() + 30.0, clock):
            raise AgentError(f"process group {pgid} survived SIGKILL: {group_alive(pgid)}")
    return tuple(sent)


def _signal_group(pgid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, sig)


def _wait_group_empty(
    proc: subprocess.Popen[bytes],
    pgid: int,
    until: float,
    clock: Callable[[], float],
) -> bool:
    while True:
        proc.poll()  # reap the leader, so it does not count as a live member
        if not group_alive(pgid):
            proc.wait()
            return True
        if clock() >= until:
            return False
        time.sleep(0.02)


class _Streams:
    """The agent's stdout and stderr, read without blocking, each kept up to a limit."""

    def __init__(self, out: int, err: int) -> None:
        self._fds = (out, err)
        self._data = (bytearray(), bytearray())
        self._open = {out, err}
        for fd in self._fds:
            os.set_blocking(fd, False)

    def fds(self) -> tuple[int, ...]:
        return self._fds

    def read(self, fd: int) -> bool:
        """Read what is available; False at end of file."""
        buffer = self._data[self._fds.index(fd)]
        while True:
            try:
                chunk = os.read(fd, _CHUNK)
            except BlockingIOError:
                return True
            if not chunk:
                self._open.discard(fd)
                return False
            room = OUTPUT_LIMIT - len(buffer)
            if room > 0:
                buffer += chunk[:room]

    def drain(self) -> None:
        for fd in self._fds:
            if fd in self._open:
                self.read(fd)

    def text(self, index: int) -> str:
        return self._data[index].decode("utf-8", errors="replace")
