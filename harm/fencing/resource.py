"""A ``stonith:`` resource in the executor: what start, stop and monitor mean for a fence
device, as Pacemaker's fencer gives them.

    start    register the device on this node and check it (the agent's ``monitor``)
    stop     unregister it (no agent call)
    monitor  not registered here: not running (rc 7, so a probe finds it stopped);
             registered: the agent's ``monitor``, 0 running, anything else a failure
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from harm.cib.config import NvSet, Primitive
from harm.executor.request import OpRequest
from harm.fencing import agent as fence_agent  # a module: the executor imports this early
from harm.fencing.device import Device, DeviceError

RC_OK, RC_ERROR, RC_INVALID, RC_NOT_RUNNING = 0, 1, 6, 7


@dataclass(frozen=True)
class DeviceResult:
    rc: int
    reason: str | None
    output: str = ""
    timed_out: bool = False


class DeviceRegistry:
    """The fence devices started on this node (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._started: set[str] = set()

    def run(self, request: OpRequest) -> DeviceResult:
        primitive = Primitive(id=request.rsc, agent=request.agent,
                              params=(NvSet(f"{request.rsc}-params", request.params),))
        try:
            device = Device.from_primitive(primitive)
        except DeviceError as error:
            return DeviceResult(RC_INVALID, str(error))
        if request.action == "stop":
            with self._lock:
                self._started.discard(request.rsc)
            return DeviceResult(RC_OK, None)
        if request.action == "monitor":
            with self._lock:
                started = request.rsc in self._started
            if not started:
                return DeviceResult(RC_NOT_RUNNING, None)
        elif request.action != "start":
            return DeviceResult(3, f"{request.action} is not an action of fence devices")
        run = fence_agent.run_agent(device, "monitor", None, request.timeout_ms)
        if run.ok:
            if request.action == "start":
                with self._lock:
                    self._started.add(request.rsc)
            return DeviceResult(RC_OK, None, run.output)
        return DeviceResult(RC_ERROR, f"{device.agent} monitor: {run.describe()}", run.output,
                            run.timed_out)
