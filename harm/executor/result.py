"""The result of one operation, and how it is recorded in the status section.

:class:`OpResult` keeps everything learnt from a call (exit code, execution status, the
``ocf-exit-reason:`` text, output, timings, call id, digest); :meth:`OpResult.op_record`
turns it into the :class:`harm.cib.status.OpRecord` the CIB keeps, named the way Pacemaker
names its ``lrm_rsc_op`` entries:

    r_pgsql_monitor_7000      a recurring operation: its own entry, replaced by each result
    r_pgsql_last_0            the last non-recurring operation (start, stop, probe …)
    r_pgsql_last_failure_0    the last failed operation, kept beside the others
"""

from __future__ import annotations

import errno
from dataclasses import dataclass

from harm.cib.status import ExecStatus, OcfRc, OpRecord, rc_text
from harm.executor.request import OpRequest

EXIT_REASON_PREFIX = "ocf-exit-reason:"
EXIT_REASON_MAX = 128  # characters kept, as Pacemaker's executor does


def exit_reason(stderr: str) -> str | None:
    """The agent's exit reason: the rest of the line after the last ``ocf-exit-reason:``
    on its stderr (the last one wins, as in Pacemaker), at most 128 characters."""
    index = stderr.rfind(EXIT_REASON_PREFIX)
    if index < 0:
        return None
    text = stderr[index + len(EXIT_REASON_PREFIX) :].split("\n", 1)[0].strip()
    return text[:EXIT_REASON_MAX] or None


@dataclass(frozen=True)
class OpResult:
    """One finished (or cancelled) operation on this node.

    ``rc`` is the agent's exit code, ``status`` how the execution ended (done, timed out,
    not installed, cancelled …). Times: ``started`` is the wall-clock second the agent was
    started (``last-run``), ``rc_changed`` the second this operation's result last changed
    (``last-rc-change``); ``exec_ms`` how long the agent ran, ``queue_ms`` how long the
    request waited for its turn.
    """

    request: OpRequest
    node: str
    call_id: int
    rc: int
    status: ExecStatus
    exit_reason: str | None
    stdout: str
    stderr: str
    exec_ms: int
    queue_ms: int
    started: int
    rc_changed: int
    digest: str

    @property
    def succeeded(self) -> bool:
        """Done with the exit code the coordinator expected."""
        return self.status == ExecStatus.DONE and self.rc == self.request.target_rc

    @property
    def failed(self) -> bool:
        """Neither the expected result nor a cancellation."""
        return not self.succeeded and self.status != ExecStatus.CANCELLED

    @property
    def transition_magic(self) -> str | None:
        """``status:rc;transition-key``, as Pacemaker records it (None without a key)."""
        if self.request.transition_key is None:
            return None
        return f"{int(self.status)}:{self.rc};{self.request.transition_key}"

    def describe(self) -> str:
        """One line for logs: ``r1_monitor_10000 on node1: not running (rc=7) call=12``."""
        if self.status == ExecStatus.DONE:
            what = f"{rc_text(self.rc)} (rc={self.rc})"
        else:
            what = f"{self.status.name.lower().replace('_', ' ')} (rc={self.rc})"
        reason = f": {self.exit_reason}" if self.exit_reason else ""
        return f"{self.request.key} on {self.node}: {what}{reason} call={self.call_id}"

    def record_id(self) -> str:
        """The ``lrm_rsc_op`` id this result is stored under (see the module doc)."""
        request = self.request
        if request.recurring:
            return request.key
        return f"{request.rsc}_last_0"

    def op_record(self) -> OpRecord:
        """The status-section record of this result."""
        return self._record(self.record_id())

    def failure_record(self) -> OpRecord | None:
        """The ``_last_failure_0`` record when this result is a failure, else None."""
        if not self.failed:
            return None
        return self._record(f"{self.request.rsc}_last_failure_0")

    def _record(self, record_id: str) -> OpRecord:
        request = self.request
        return OpRecord(
            id=record_id,
            operation=request.action,
            interval_ms=request.interval_ms,
            rc=self.rc,
            status=self.status,
            call_id=self.call_id,
            last_rc_change=self.rc_changed,
            last_run=self.started,
            exec_time=self.exec_ms,
            queue_time=self.queue_ms,
            on_node=self.node,
            exit_reason=self.exit_reason,
            transition_key=request.transition_key,
            transition_magic=self.transition_magic,
            op_digest=self.digest,
        )


def rc_for_status(status: ExecStatus) -> int:
    """The exit code recorded when the agent gave none (it never ran, or was killed)."""
    if status == ExecStatus.NOT_INSTALLED:
        return int(OcfRc.ERR_INSTALLED)
    if status == ExecStatus.NOT_SUPPORTED:
        return int(OcfRc.ERR_UNIMPLEMENTED)
    return int(OcfRc.ERR_GENERIC)


def exec_error(error: int | None) -> tuple[ExecStatus, int]:
    """Status and rc when the agent program could not be executed (as Pacemaker maps errno):
    a missing or invalid program is "not installed", a refused one "insufficient privileges"."""
    if error in (errno.ENOENT, errno.EISDIR, errno.ENOTDIR, errno.EINVAL, errno.ENOEXEC):
        return ExecStatus.NOT_INSTALLED, int(OcfRc.ERR_INSTALLED)
    if error in (errno.EACCES, errno.EPERM):
        return ExecStatus.ERROR, int(OcfRc.ERR_PERM)
    return ExecStatus.ERROR, int(OcfRc.ERR_GENERIC)
