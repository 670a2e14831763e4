"""The boot generation: a number persisted in the state directory, higher on every start.

Peers refuse packets of an older generation, so a captured packet cannot be replayed after
a restart. The next value is ``max(stored + 1, unix time)``: it keeps growing even when the
state directory was wiped, provided the clock is roughly right.
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
    except OSError as error:
        raise SettingsError(f"{state_dir}: cannot store the generation: {error.strerror}") from None
    return value
