"""Running ``ip`` and finding what a lab left behind."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
from collections.abc import Sequence

from harm.errors import LabError


def ip(*args: str, check: bool = True, namespace: str | None = None) -> str:
    """Run ``ip [-n NS] ARGS``; its stdout. Raises LabError with ip's message on failure."""
    argv = ["ip"] + (["-n", namespace] if namespace else []) + list(args)
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired) as error:
        raise LabError(f"{' '.join(argv)}: {error}") from None
    if check and done.returncode != 0:
        raise LabError(f"{' '.join(argv)}: {done.stderr.strip() or done.returncode}")
    return done.stdout


def run(
    argv: Sequence[str], *, check: bool = True, input_text: str | None = None,
    timeout: float = 60,
) -> subprocess.CompletedProcess[str]:
    """Run a command (mount, unshare, nsenter ...); LabError with its message on failure."""
    try:
        done = subprocess.run(list(argv), input=input_text, capture_output=True, text=True,
                              timeout=timeout, check=False)
    except (OSError, subprocess.TimeoutExpired) as error:
        raise LabError(f"{argv[0]}: {error}") from None
    if check and done.returncode != 0:
        message = done.stderr.strip() or done.stdout.strip() or f"exit status {done.returncode}"
        raise LabError(f"{' '.join(argv[:3])}: {message}")
    return done


def ip_batch(lines: Sequence[str], namespace: str | None = None) -> None:
    """Several ip commands in one ``ip -batch`` run (much faster than one process each)."""
    argv = ["ip"] + (["-n", namespace] if namespace else []) + ["-batch", "-"]
    try:
        done = subprocess.run(argv, input="\n".join(lines) + "\n", capture_output=True,
                              text=True, timeout=60, check=False)
    except (OSError, subprocess.TimeoutExpired) as error:
        raise LabError(f"ip -batch: {error}") from None
    if done.returncode != 0:
        raise LabError(f"ip -batch: {done.stderr.strip()}")


def namespaces() -> list[str]:
    out = ip("netns", "list", check=False)
    return [line.split()[0] for line in out.splitlines() if line.strip()]


def lab_namespaces(prefix: str) -> list[str]:
    return [ns for ns in namespaces() if ns.startswith(prefix)]


def pids(namespace: str) -> list[int]:
    out = ip("netns", "pids", namespace, check=False)
    return [int(p) for p in out.split() if p.isdigit()]


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as handle:
            state = handle.read().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def kill(pid: int, sig: signal.Signals = signal.SIGKILL) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, sig)


def kill_namespace_processes(namespace: str) -> None:
    for pid in pids(namespace):
        kill(pid)
