"""How an action ends early: an OCF exit code with a reason for the operator."""

from __future__ import annotations

from harm.ocf.rc import OcfRc


class ActionError(Exception):
    """End the action with ``rc``; ``reason`` goes to stderr as ``ocf-exit-reason:``."""

    def __init__(self, rc: OcfRc, reason: str) -> None:
        self.rc = rc
        self.reason = reason
        super().__init__(f"{rc.name}: {reason}")


def not_configured(reason: str) -> ActionError:
    """A configuration error (exit code 6): the cluster will not retry anywhere."""
    return ActionError(OcfRc.ERR_CONFIGURED, reason)


def failed(reason: str) -> ActionError:
    """A generic failure (exit code 1): the cluster may recover or move the resource."""
    return ActionError(OcfRc.ERR_GENERIC, reason)
