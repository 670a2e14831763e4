"""Carrying out a :class:`~harm.fencing.plan.FencePlan`: the delay, then the levels in
order until one succeeds (every device of a level must succeed, each tried
``pcmk_<action>_retries`` times; a reboot through several devices is all off, then all
on); a device whose host check is dynamic is first asked
whether it can fence the target (``list``, or ``status`` when it has no list).

:func:`execute` is the walk itself, blocking, with the agent runner, the sleep and the
clock passed in (tests drive it with fakes, harmd with real agents). :class:`Fencer` runs
each plan in a worker thread and hands the outcomes to the daemon loop through a pipe, as
the executor's :class:`~harm.executor.inbox.ResultInbox` does.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from harm.errors import ControlError
from harm.fencing.agent import AgentRun, lists_target, run_agent
from harm.fencing.device import Device
from harm.fencing.plan import FencePlan

log = logging.getLogger("harm.fencing")

AgentRunner = Callable[[Device, str, "str | None", int], AgentRun]


@dataclass(frozen=True)
class FenceOutcome:
    """How one fencing operation ended."""

    plan_id: str
    target: str
    action: str
    ok: bool
    delegate: str  # the node that ran the devices
    device: str  # the devices of the level that succeeded (or the last one tried)
    reason: str  # why it failed ("" on success)
    origin: str
    client: str
    completed: int  # seconds since the epoch

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @staticmethod
    def from_json(data: object) -> FenceOutcome:
        if not isinstance(data, dict):
            raise ControlError("malformed fence outcome")
        try:
            return FenceOutcome(
                plan_id=str(data["plan_id"]), target=str(data["target"]),
                action=str(data["action"]), ok=bool(data["ok"]),
                delegate=str(data["delegate"]), device=str(data["device"]),
                reason=str(data["reason"]), origin=str(data["origin"]),
                client=str(data["client"]), completed=int(data["completed"]))
        except (KeyError, TypeError, ValueError):
            raise ControlError("malformed fence outcome") from None


def can_fence_now(device: Device, target: str, timeout_ms: int, run: AgentRunner) -> bool:
    """Whether ``device`` can fence ``target``: its static answer, else the agent's."""
    answer = device.static_answer(target)
    if answer is not None:
        return answer
    if device.host_check == "dynamic-list":
        listed = run(device, "list", None, device.timeout_ms("list", timeout_ms))
        if listed.ok:
            return lists_target(listed, device, target)
    status = run(device, "status", target, device.timeout_ms("status", timeout_ms))
    return status.rc in (0, 2)  # on or off: the device knows the target


def execute(plan: FencePlan, node: str, *, run: AgentRunner = run_agent,
            sleep: Callable[[float], None] = time.sleep,
            wall: Callable[[], float] = time.time) -> FenceOutcome:
    """Walk the plan (module doc); blocking."""
    if plan.delay_ms > 0:
        log.info("fencing %s: waiting %d ms first (delays)", plan.target, plan.delay_ms)
        sleep(plan.delay_ms / 1000.0)
    reasons: list[str] = []
    last_devices = ""
    for level in plan.levels:
        last_devices = ",".join(d.id for d in level.devices)
        failed = ""
        for device in level.devices:
            if not can_fence_now(device, plan.target, plan.timeout_ms, run):
                failed = f"{device.id} cannot fence {plan.target}"
                break
        if not failed:
            failed = _run_level(plan, level.devices, run)
        if not failed:
            return FenceOutcome(plan.id, plan.target, plan.action, True, node, last_devices,
                                "", plan.origin, plan.client, int(wall()))
        log.warning("fencing %s: level %d failed: %s", plan.target, level.index, failed)
        reasons.append(f"level {level.index}: {failed}")
    if not plan.levels:
        reasons.append(f"no device may fence {plan.target}")
    return FenceOutcome(plan.id, plan.target, plan.action, False, node, last_devices,
                        "; ".join(reasons)[:500], plan.origin, plan.client, int(wall()))


def _run_level(plan: FencePlan, devices: tuple[Device, ...], run: AgentRunner) -> str:
    """Run the level's devices; why it failed, or "" when it fenced the target.

    A reboot through a level of several devices (two power supplies on two switches) is
    every device off, then every device on, as Pacemaker's fencer does: rebooting them one
    after the other would never take the node's power away. The target is fenced once the
    off phase succeeded; a device that fails to power it on again is logged, not a failed
    fence (the node is off, which is what recovery needs)."""
    if plan.action != "reboot" or len(devices) < 2:
        for device in devices:
            failed = _run_device(plan, device, plan.action, run)
            if failed:
                return failed
        return ""
    for device in devices:
        failed = _run_device(plan, device, "off", run)
        if failed:
            return failed
    for device in devices:
        failed = _run_device(plan, device, "on", run)
        if failed:
            log.warning("fencing %s: fenced (off), but %s", plan.target, failed)
    return ""


def _run_device(plan: FencePlan, device: Device, wanted: str, run: AgentRunner) -> str:
    """Run ``wanted`` (as the device maps it) with its retries; why it failed, or ""."""
    action = device.agent_action(wanted)
    timeout = device.timeout_ms(action, plan.timeout_ms)
    result = AgentRun(-1, "", error="not run")
    for attempt in range(device.tries(action)):
        result = run(device, action, plan.target, timeout)
        log.info("fencing %s: %s %s (try %d): %s", plan.target, device.id, action,
                 attempt + 1, "ok" if result.ok else result.describe())
        if result.ok:
            return ""
    return f"{device.id} {action}: {result.describe()}"


class Fencer:
    """Runs plans in worker threads; :meth:`drain` gives the outcomes to the loop."""

    def __init__(self, node: str, run: AgentRunner = run_agent) -> None:
        self.node = node
        self._run = run
        self._lock = threading.Lock()
        self._serial = threading.Lock()  # concurrent-fencing=false
        self._outcomes: deque[FenceOutcome] = deque()
        self._read, self._write = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
        self.running: dict[str, FencePlan] = {}

    def start(self, plan: FencePlan) -> None:
        with self._lock:
            if plan.id in self.running:
                return
            self.running[plan.id] = plan
        thread = threading.Thread(target=self._work, args=(plan,), daemon=True,
                                  name=f"fence-{plan.target}")
        thread.start()

    def _work(self, plan: FencePlan) -> None:
        try:
            if plan.concurrent:
                outcome = execute(plan, self.node, run=self._run)
            else:
                with self._serial:
                    outcome = execute(plan, self.node, run=self._run)
        except Exception as error:  # a bug must not lose the operation: it failed
            log.exception("fencing %s failed", plan.target)
            outcome = FenceOutcome(plan.id, plan.target, plan.action, False, self.node, "",
                                   f"internal error: {error}", plan.origin, plan.client,
                                   int(time.time()))
        with self._lock:
            self.running.pop(plan.id, None)
            self._outcomes.append(outcome)
        with contextlib.suppress(BlockingIOError):
            os.write(self._write, b"!")

    def fileno(self) -> int:
        return self._read

    def drain(self) -> list[FenceOutcome]:
        with contextlib.suppress(BlockingIOError):
            while os.read(self._read, 4096):
                pass
        with self._lock:
            outcomes = list(self._outcomes)
            self._outcomes.clear()
        return outcomes

    def close(self) -> None:
        os.close(self._read)
        os.close(self._write)
