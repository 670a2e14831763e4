"""How the campaign powers a node off and on.

:class:`LabCrash` is the lab's own crash (``harm lab fail NODE node``: every process of
the node killed, every link down), and at power-on what a reboot does to a machine:
``/run`` is empty again (the node's HA_RSCTMP and run directory, where agents keep their
state files), then its links come up and harmd starts.

With ``--fencing`` the campaign powers nodes off through the lab's fence device instead,
as the cluster's fencer would: :func:`fence_switch` uses ``harm.lab.power`` (its
``off(spec, node)`` and ``on(spec, node)``) when the lab has one, and says so when not.
"""

from __future__ import annotations

import importlib
import shutil
from typing import Protocol

from harm.errors import LabError
from harm.lab import faults
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
    """The lab's power switch (fence device), through ``harm.lab.power``."""

    name = "fence device"

    def __init__(self) -> None:
        try:
            self.module = importlib.import_module("harm.lab.power")
        except ImportError:
            raise LabError("--fencing: this lab has no power switch yet (harm.lab.power)") \
                from None
        for needed in ("off", "on"):
            if not callable(getattr(self.module, needed, None)):
                raise LabError(f"--fencing: harm.lab.power has no {needed}(spec, node)")

    def off(self, spec: LabSpec, node: str) -> str:
        return str(self.module.off(spec, node))

    def on(self, spec: LabSpec, node: str) -> str:
        return str(self.module.on(spec, node))


def switch(fencing: bool) -> PowerSwitch:
    return FenceSwitch() if fencing else LabCrash()
