"""``PGSQL.lock``: the mark a primary leaves, made durable before the agent goes on.

The lock says "this node was primary and its data may have diverged": a node with it
refuses to start until an operator has re-seeded it. The mark must survive a power cut
right after a promote (or its removal right after a clean demote), so creating and removing
it sync the file and the directory that names it before the agent reports success.
"""

from __future__ import annotations

import os
from pathlib import Path


def create_lock(path: Path) -> None:
    """Create ``path`` (or keep it) and make it durable: the file, then its directory."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    _sync_directory(path.parent)


def remove_lock(path: Path) -> None:
    """Remove ``path`` if it exists, durably (the directory is synced)."""
    try:
        os.unlink(path)
    except FileNotFoundError:
        return
    _sync_directory(path.parent)


def _sync_directory(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
