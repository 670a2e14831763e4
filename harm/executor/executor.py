"""One node's executor: queues, per-resource serialisation, recurring operations.

    submit(request) ──► job list (FIFO) ──► worker threads (at most ``max_parallel``)
                         ▲                      │  never two jobs of one resource at once
    recurring table ─────┘ (due monitors)       ▼
                                           agent process (own process group, timeout)
                                                │
                                  OpHandle ◄────┴────► listener(OpResult)

Threads, not asyncio: harmd's loop is a ``selectors`` loop, and every agent call is a
blocking wait on a child process, so a small pool of worker threads keeps the daemon code
synchronous; the loop hands requests in with :meth:`Executor.submit` and gets results
back through the listener (which it can turn into a queue plus a wake-up pipe). The
listener is called from a worker thread (or from the thread calling :meth:`cancel`), while
the resource is still held, so results of one resource arrive in order; it must be quick.

Rules, as in Pacemaker's executor:

- each request gets the next call id of this node; a recurring operation keeps its call id
  for its whole life;
- a request waits its ``start_delay_ms`` first (Pacemaker's ``start-delay``);
- a recurring request runs at once, then ``interval`` after each run ends; its first result
  is reported, later ones only when rc or execution status change (:mod:`.recurring`);
  submitting it again with the same key reschedules it (new parameters, timeout, role);
- :meth:`cancel` stops a recurring operation and reports it ``CANCELLED`` (a run in
  flight is killed with its process group, as Pacemaker does); a ``stop``
  cancels the resource's recurring operations first (what Pacemaker's controller does
  before every stop), so a monitor never runs against a resource being stopped.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from harm.cib.status import ExecStatus, OcfRc
from harm.errors import AgentError
from harm.executor import lsb
from harm.executor.digest import op_digest
from harm.executor.environment import NodeContext, agent_environment, script_environment
from harm.executor.lookup import AgentLocator
from harm.executor.process import AgentExecError, CancelToken, run_in_group
from harm.executor.recurring import Observed, observe
from harm.executor.request import OpRequest
from harm.executor.result import OpResult, exec_error, exit_reason, rc_for_status
from harm.fencing.resource import DeviceRegistry
from harm.pcmktools.install import write_tools

ResultListener = Callable[[OpResult], None]
RUN_CLASSES = ("ocf", "lsb", "service")  # the agent classes harm runs

log = logging.getLogger(__name__)
DEFAULT_KILL_GRACE = 5.0


class OpHandle:
    """The caller's view of one submitted request: wait for its (first) result."""

    def __init__(self, request: OpRequest, call_id: int) -> None:
        self.request = request
        self.call_id = call_id
        self._done = threading.Event()
        self._result: OpResult | None = None

    def done(self) -> bool:
        return self._done.is_set()

    def result(self, timeout: float | None = None) -> OpResult:
        """The result; AgentError when none came within ``timeout`` seconds."""
        if not self._done.wait(timeout):
            raise AgentError(f"{self.request.key}: no result within {timeout} s")
        assert self._result is not None
        return self._result

    def _resolve(self, result: OpResult) -> None:
        if not self._done.is_set():
            self._result = result
            self._done.set()


@dataclass
class _Recurring:
    request: OpRequest
    call_id: int
    handle: OpHandle
    due: float
    last: Observed | None = None
    queued: bool = False
    cancelled: bool = False
    running: CancelToken | None = None  # the run in flight, killed on cancel


@dataclass
class _Job:
    request: OpRequest
    call_id: int
    queued_at: float
    handle: OpHandle
    recurring: _Recurring | None = None
    rsc: str = field(init=False)

    def __post_init__(self) -> None:
        self.rsc = self.request.rsc


class Executor:
    """Runs agents for one node (see the module doc). Use as a context manager or
    call :meth:`close`."""

    def __init__(
        self,
        node: NodeContext,
        locator: AgentLocator,
        listener: ResultListener | None = None,
        *,
        max_parallel: int = 4,
        kill_grace: float = DEFAULT_KILL_GRACE,
        first_call_id: int = 1,
        clock: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time,
    ) -> None:
        if max_parallel < 1:
            raise ValueError("max_parallel must be at least 1")
        self.node = node
        self.locator = locator
        self._listener = listener
        self._kill_grace = kill_grace
        self._clock = clock
        self._wall = wall
        self._cond = threading.Condition()
        self._jobs: list[_Job] = []
        self._busy: set[str] = set()
        self._recurring: dict[str, _Recurring] = {}
        self._delayed: list[tuple[float, _Job]] = []  # one-shot jobs waiting out start-delay
        self._next_call_id = first_call_id
        self._closing = False
        self._devices = DeviceRegistry()  # stonith: resources (harm.fencing.resource)
        node.rsctmp.mkdir(parents=True, exist_ok=True)
        try:
            write_tools(node.tools, node.python)
        except OSError as error:  # harm's own agents need none of them: run without
            log.error("cannot write Pacemaker's tools for the agents to %s: %s; stock "
                      "agents that call them will fail", node.tools, error)
        self._workers = [
            threading.Thread(target=self._work, name=f"harm-exec-{n}", daemon=True)
            for n in range(max_parallel)
        ]
        for worker in self._workers:
            worker.start()

    # ------------------------------------------------------------------ requests

    def submit(self, request: OpRequest) -> OpHandle:
        """Queue ``request``; the handle gives its result (the first one, if recurring)."""
        if request.action == "stop":
            # reported before the stop is queued, so the listener sees them first
            self.cancel_resource(request.rsc)
        with self._cond:
            if self._closing:
                raise AgentError(f"{request.key}: the executor is shutting down")
            now = self._clock()
            old = self._recurring.pop(request.key, None) if request.recurring else None
            if old is not None:  # reschedule: same call id, first result reported again
                old.cancelled = True
                if old.running is not None:
                    old.running.cancel()
                self._jobs = [job for job in self._jobs if job.recurring is not old]
                old.handle._resolve(self._cancelled_result(old))
                call_id = old.call_id
            else:
                call_id = self._take_call_id()
            handle = OpHandle(request, call_id)
            delay = request.start_delay_ms / 1000.0
            if request.recurring:
                rec = _Recurring(request, call_id, handle, due=now + delay, queued=delay == 0)
                self._recurring[request.key] = rec
                if delay == 0:
                    self._jobs.append(_Job(request, call_id, now, handle, rec))
            elif delay:
                self._delayed.append((now + delay, _Job(request, call_id, now, handle)))
            else:
                self._jobs.append(_Job(request, call_id, now, handle))
            self._cond.notify_all()
        return handle

    def run(self, request: OpRequest, wait: float | None = None) -> OpResult:
        """Submit ``request`` and wait for its (first) result."""
        return self.submit(request).result(wait)

    def cancel(self, rsc: str, action: str, interval_ms: int) -> OpResult | None:
        """Cancel one recurring operation; its CANCELLED result, or None if unknown."""
        with self._cond:
            key = f"{rsc}_{action}_{interval_ms}"
            results = self._cancel_locked([key] if key in self._recurring else [])
        for result in results:
            self._report(result)
        return results[0] if results else None

    def cancel_resource(self, rsc: str) -> list[OpResult]:
        """Cancel every recurring operation of ``rsc``."""
        with self._cond:
            results = self._cancel_locked(
                [key for key, rec in self._recurring.items() if rec.request.rsc == rsc]
            )
        for result in results:
            self._report(result)
        return results

    def recurring(self) -> list[OpRequest]:
        """The recurring operations currently scheduled, by key."""
        with self._cond:
            return [self._recurring[key].request for key in sorted(self._recurring)]

    def close(self, wait: bool = True) -> None:
        """Drop recurring operations (silently), finish queued one-shot requests, stop."""
        with self._cond:
            self._closing = True
            for rec in self._recurring.values():
                rec.cancelled = True
                if rec.running is not None:
                    rec.running.cancel()
            self._recurring.clear()
            self._jobs = [job for job in self._jobs if job.recurring is None]
            self._cond.notify_all()
        if wait:
            for worker in self._workers:
                worker.join()

    def __enter__(self) -> Executor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ internals

    def _take_call_id(self) -> int:
        call_id = self._next_call_id
        self._next_call_id += 1
        return call_id

    def _cancel_locked(self, keys: list[str]) -> list[OpResult]:
        results = []
        for key in keys:
            rec = self._recurring.pop(key)
            rec.cancelled = True
            if rec.running is not None:
                rec.running.cancel()
            self._jobs = [job for job in self._jobs if job.recurring is not rec]
            result = self._cancelled_result(rec)
            rec.handle._resolve(result)
            results.append(result)
        return results

    def _cancelled_result(self, rec: _Recurring) -> OpResult:
        rc = rec.last.rc if rec.last is not None else 0
        return self._result(
            rec.request, rec.call_id, rc, ExecStatus.CANCELLED, None, started=int(self._wall())
        )

    def _work(self) -> None:
        while True:
            with self._cond:
                job = self._next_job()
                if job is None:
                    return
                self._busy.add(job.rsc)
            try:
                self._run_job(job)
            finally:
                with self._cond:
                    self._busy.discard(job.rsc)
                    self._cond.notify_all()

    def _next_job(self) -> _Job | None:
        """Wait (lock held) for a job whose resource is free; None when closing and idle."""
        while True:
            now = self._clock()
            for rec in self._recurring.values():
                if not rec.queued and rec.due <= now:
                    rec.queued = True
                    self._jobs.append(_Job(rec.request, rec.call_id, now, rec.handle, rec))
            ready = [job for due, job in self._delayed if due <= now]
            if ready:
                self._delayed = [(due, job) for due, job in self._delayed if due > now]
                for job in ready:
                    job.queued_at = now
                    self._jobs.append(job)
            for index, job in enumerate(self._jobs):
                if job.rsc not in self._busy:
                    return self._jobs.pop(index)
            if self._closing and not self._jobs and not self._delayed:
                return None
            waits = [rec.due - now for rec in self._recurring.values() if not rec.queued]
            waits += [due - now for due, _ in self._delayed]
            self._cond.wait(max(0.0, min(waits)) if waits else None)

    def _run_job(self, job: _Job) -> None:
        try:
            result = self._execute(job)
        except Exception as error:  # a bug or a kernel refusal must not lose the request
            log.exception("executing %s failed", job.request.key)
            result = self._result(
                job.request, job.call_id, rc_for_status(ExecStatus.ERROR), ExecStatus.ERROR,
                f"executor error: {error}", started=int(self._wall()),
            )
        rec = job.recurring
        if rec is None:
            job.handle._resolve(result)
            self._report(result)
            return
        with self._cond:
            if rec.cancelled:
                return
            observed, changed = observe(rec.last, result.rc, int(result.status), result.started)
            rec.last = observed
            rec.queued = False
            rec.due = self._clock() + rec.request.interval_ms / 1000.0
            self._cond.notify_all()
        result = replace(result, rc_changed=observed.since)
        rec.handle._resolve(result)
        if changed:
            self._report(result)

    def _execute(self, job: _Job) -> OpResult:
        request = job.request
        started_mono = self._clock()
        queue_ms = int((started_mono - job.queued_at) * 1000)
        started = int(self._wall())
        if request.agent.cls == "stonith":
            done = self._devices.run(request)
            status = ExecStatus.TIMEOUT if done.timed_out else ExecStatus.DONE
            return self._result(
                request, job.call_id, done.rc, status, done.reason, started=started,
                queue_ms=queue_ms, exec_ms=int((self._clock() - started_mono) * 1000),
                stdout=done.output)
        try:
            agent = self.locator.resolve(request.agent)
        except AgentError as error:
            status = (
                ExecStatus.NOT_INSTALLED if request.agent.cls in RUN_CLASSES
                else ExecStatus.NOT_SUPPORTED
            )
            return self._result(
                request, job.call_id, rc_for_status(status), status, str(error),
                started=started, queue_ms=queue_ms,
            )
        if agent.is_lsb:
            env = script_environment(self.node)
            argv = [str(agent.path), lsb.lsb_action(request.action)]
        else:
            env = agent_environment(request, self.node)
            argv = [str(agent.path), request.action]
        token = CancelToken()
        rec = job.recurring
        try:
            if rec is not None:
                with self._cond:
                    rec.running = token
                    if rec.cancelled:
                        token.cancel()
            outcome = run_in_group(
                argv,
                env,
                timeout=request.timeout_ms / 1000.0,
                grace=self._kill_grace,
                clock=self._clock,
                token=token,
            )
        except AgentExecError as error:
            status, rc = exec_error(error.errno)
            return self._result(
                request, job.call_id, rc, status, str(error), started=started, queue_ms=queue_ms
            )
        finally:
            if rec is not None:
                with self._cond:
                    rec.running = None
            token.close()
        reason = exit_reason(outcome.stderr)
        if outcome.cancelled:
            status = ExecStatus.CANCELLED
            rc = int(OcfRc.OK)
            reason = None
        elif outcome.timed_out:
            status = ExecStatus.TIMEOUT
            rc = rc_for_status(status)
            reason = f"{request.action} did not exit within {request.timeout_ms}ms"
        elif outcome.returncode is not None and outcome.returncode < 0:
            status = ExecStatus.ERROR
            rc = rc_for_status(status)
            reason = f"agent interrupted by signal {-outcome.returncode}"
        else:
            status = ExecStatus.DONE
            rc = outcome.returncode or 0
            if agent.is_lsb:
                rc = lsb.ocf_rc(request.action, rc)
        return self._result(
            request, job.call_id, rc, status, reason, started=started, queue_ms=queue_ms,
            exec_ms=outcome.exec_ms, stdout=outcome.stdout, stderr=outcome.stderr,
        )

    def _result(
        self,
        request: OpRequest,
        call_id: int,
        rc: int,
        status: ExecStatus,
        reason: str | None,
        *,
        started: int,
        queue_ms: int = 0,
        exec_ms: int = 0,
        stdout: str = "",
        stderr: str = "",
    ) -> OpResult:
        return OpResult(
            request=request,
            node=self.node.uname,
            call_id=call_id,
            rc=rc,
            status=status,
            exit_reason=reason,
            stdout=stdout,
            stderr=stderr,
            exec_ms=exec_ms,
            queue_ms=queue_ms,
            started=started,
            rc_changed=started,
            digest=op_digest(request),
        )

    def _report(self, result: OpResult) -> None:
        if self._listener is None:
            return
        try:
            self._listener(result)
        except Exception:  # the listener's failure must not stop a worker
            log.exception("the result listener failed on %s", result.describe())
