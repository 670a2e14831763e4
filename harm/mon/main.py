"""``harm_mon`` entry point (placeholder until the daemon is built)."""

from __future__ import annotations

import sys


def main() -> int:
    print("harm_mon: not built yet", file=sys.stderr)
    return 1
