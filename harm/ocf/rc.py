"""OCF exit codes: what an agent's exit status means.

They live here, beside the agent library, so that an agent call imports an enum and
nothing of the CIB model; :mod:`harm.cib.status` re-exports :class:`OcfRc` for the
operation history, where the same codes are recorded.
"""

from __future__ import annotations

import enum


class OcfRc(enum.IntEnum):
    """OCF agent exit codes and their meaning."""

    OK = 0
    ERR_GENERIC = 1
    ERR_ARGS = 2
    ERR_UNIMPLEMENTED = 3
    ERR_PERM = 4
    ERR_INSTALLED = 5
    ERR_CONFIGURED = 6
    NOT_RUNNING = 7
    RUNNING_PROMOTED = 8
    FAILED_PROMOTED = 9

    @property
    def text(self) -> str:
        return _RC_TEXT[self]


_RC_TEXT = {
    OcfRc.OK: "ok",
    OcfRc.ERR_GENERIC: "error",
    OcfRc.ERR_ARGS: "invalid parameter",
    OcfRc.ERR_UNIMPLEMENTED: "unimplemented feature",
    OcfRc.ERR_PERM: "insufficient privileges",
    OcfRc.ERR_INSTALLED: "not installed",
    OcfRc.ERR_CONFIGURED: "not configured",
    OcfRc.NOT_RUNNING: "not running",
    OcfRc.RUNNING_PROMOTED: "promoted",
    OcfRc.FAILED_PROMOTED: "promoted (failed)",
}
