"""``harmd`` entry point (placeholder until the daemon is built)."""

from __future__ import annotations

import sys


def main() -> int:
    print("harmd: not built yet", file=sys.stderr)
    return 1
