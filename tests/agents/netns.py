"""Network namespaces the agent tests create and always remove."""

from __future__ import annotations

import os
import secrets
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager


def ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True, timeout=30)


def in_ns(ns: str, argv: list[str], env: dict[str, str] | None = None,
          timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["ip", "netns", "exec", ns, *argv], env=env, capture_output=True, text=True,
        timeout=timeout, check=False,
    )


@contextmanager
def namespace(prefix: str = "harmt") -> Iterator[str]:
    name = f"{prefix}-{os.getpid()}-{secrets.token_hex(3)}"
    ip("netns", "add", name)
    try:
        ip("-n", name, "link", "set", "lo", "up")
        yield name
    finally:
        subprocess.run(["ip", "netns", "del", name], check=False, capture_output=True,
                       timeout=30)


@contextmanager
def veth_lab() -> Iterator[str]:
    """A namespace with a veth pair ``va`` (for the agent) / ``vb`` (the neighbour), up."""
    with namespace() as ns:
        ip("-n", ns, "link", "add", "va", "type", "veth", "peer", "name", "vb")
        ip("-n", ns, "link", "set", "va", "up")
        ip("-n", ns, "link", "set", "vb", "up")
        yield ns
