"""How the campaign powers a node off and on.

:class:`LabCrash` is the lab's own crash (``harm lab fail NODE node``: every process of
the node killed, every link down), and at power-on what a reboot does to a machine:
``/run`` is empty again (the node's HA_RSCTMP and run directory, where agents keep their
state files), then its links come up and harmd starts.

With ``--fencing`` the node's power goes through its fence device over the device's own
protocol: the lab's BMC (``harm.lab.bmc``, an ``ipmi_sim`` per node on a management
network, when the lab has them) driven by the stock ``fence_ipmilan -o off|on``, as an
operator or the cluster's fencer would. Without BMCs in the lab, ``--fencing`` is refused.
"""

from __future__ import annotations

import shutil
import subprocess
from typing import Protocol

from harm.errors import LabError
from harm.lab import bmc, faults, lab
from harm.lab.spec import LabSpec

VOLATILE = ("tmp", "run")  # the node's /run: HA_RSCTMP and HARM_RUN_DIR


class PowerSwitch(Protocol):
    name: str

    def off(self, spec: LabSpec, node: str) -> str: ...

    def on(self, spec: LabSpec, node: str) -> str: ...


class LabCrash:
    name = "lab crash"

    def off(self, spec: LabSpec, node: str) -> str:
        return faults.fail(spec, node, "node")

    def on(self, spec: LabSpec, node: str) -> str:
        for sub in VOLATILE:
            folder = spec.node_dir(node) / sub
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir(mode=0o700, exist_ok=True)
        return faults.heal(spec, node)


class FenceSwitch:
    """The node's BMC, driven by fence_ipmilan from the BMCs' namespace."""

    name = "fence device"

    def __init__(self) -> None:
        if shutil.which("fence_ipmilan") is None:
            raise LabError("--fencing: fence_ipmilan is not installed (fence-agents)")

    def _power(self, spec: LabSpec, node: str, action: str) -> str:
        argv = ["ip", "netns", "exec", bmc.bmc_ns(spec), "fence_ipmilan",
                "-a", bmc.bmc_address(spec, node), "-l", bmc.BMC_USER,
                "-p", bmc.password(spec), "-o", action]
        done = subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False)
        if done.returncode != 0:
            raise LabError(f"fence_ipmilan -o {action} for {node} failed: "
                           f"{(done.stderr or done.stdout).strip()[-200:]}")
        return f"fence_ipmilan -o {action} {node}: {done.stdout.strip() or 'done'}"

    def off(self, spec: LabSpec, node: str) -> str:
        return self._power(spec, node, "off")

    def on(self, spec: LabSpec, node: str) -> str:
        done = self._power(spec, node, "on")
        lab.wait_sockets(spec, [node], timeout_s=30)
        return done


def switch(fencing: bool) -> PowerSwitch:
    return FenceSwitch() if fencing else LabCrash()
