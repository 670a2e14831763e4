"""Logging to stderr, with journald's priority prefixes when stderr is the journal."""

from __future__ import annotations

import logging
import sys
from collections.abc import Mapping

_PRIORITY = {
    logging.DEBUG: 7,
    logging.INFO: 6,
    logging.WARNING: 4,
    logging.ERROR: 3,
    logging.CRITICAL: 2,
}


class _JournalFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return f"<{_PRIORITY.get(record.levelno, 6)}>{record.getMessage()}"


def setup(node: str, environ: Mapping[str, str], debug: bool = False) -> logging.Logger:
    """The daemon's logger: ``<6>message`` under systemd, timestamped lines otherwise."""
    handler = logging.StreamHandler(sys.stderr)
    if environ.get("JOURNAL_STREAM"):
        handler.setFormatter(_JournalFormatter())
    else:
        handler.setFormatter(
            logging.Formatter(f"%(asctime)s harmd[{node}] %(levelname)s %(message)s")
        )
    for name in ("harmd", "harm"):  # the daemon's own lines, and the controller's
        logger = logging.getLogger(name)
        logger.handlers[:] = [handler]
        logger.propagate = False
        logger.setLevel(logging.DEBUG if debug else logging.INFO)
    return logging.getLogger("harmd")
