"""The boot generation: a number persisted in the state directory, higher on every start.

Peers refuse packets of an older generation while this node is alive to them, so a packet
captured before a restart cannot be replayed after it. The next value is
``max(stored + 1, unix time)``: it keeps growing even when the state directory was wiped,
provided the clock is roughly right. When both fail (file lost, clock behind), peers take
the lower generation once this node has been silent for a deadtime and has answered their
nonce (see :mod:`harm.membership.heartbeat`). The file is replaced atomically and durably:
written to a temporary file, fsynced, renamed, and the directory fsynced so the rename
itself survives a power cut.
"""

from __future__ import annotations

import os
from pathlib import Path

from harm.errors import SettingsError

FILE = "generation"


def next_generation(state_dir: Path, wall_clock_s: int) -> int:
    """Read, bump and durably store the generation; returns the new value."""
    path = state_dir / FILE
    try:
        state_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        try:
            stored = int(path.read_text().strip() or "0")
        except FileNotFoundError:
            stored = 0
        except ValueError:
            raise SettingsError(f"{path}: not a number; remove it to start over") from None
        value = max(stored + 1, wall_clock_s)
        tmp = path.with_suffix(".tmp")
        with open(tmp, "w", encoding="ascii") as handle:
            handle.write(f"{value}\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
        sync_directory(state_dir)
    except OSError as error:
        raise SettingsError(f"{state_dir}: cannot store the generation: {error.strerror}") from None
    return value


def sync_directory(folder: Path) -> None:
    """fsync ``folder`` itself: makes a rename inside it durable."""
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
