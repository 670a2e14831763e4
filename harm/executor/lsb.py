"""Init scripts (``lsb:NAME``, ``service:NAME``): the action to call and what its exit means.

An LSB init script is called as ``SCRIPT start|stop|status`` with no OCF environment;
``monitor`` (a probe or a recurring check) runs ``status``. Its exit codes are mapped to
OCF's as Pacemaker's executor maps them (``services__lsb2ocf``):

    status   0 running → 0;  1 dead, pid file left / 2 dead, lock left / 3 not running → 7;
             150 not installed → 5;  151 insufficient privileges → 4;  anything else → 1
    others   0..7 mean what OCF's 0..7 mean;  anything else → 1
"""

from __future__ import annotations

from harm.ocf.rc import OcfRc

LSB_STATUS_NOT_INSTALLED = 150
LSB_STATUS_INSUFFICIENT_PRIV = 151
_STATUS = {0: OcfRc.OK, 1: OcfRc.NOT_RUNNING, 2: OcfRc.NOT_RUNNING, 3: OcfRc.NOT_RUNNING,
           LSB_STATUS_NOT_INSTALLED: OcfRc.ERR_INSTALLED,
           LSB_STATUS_INSUFFICIENT_PRIV: OcfRc.ERR_PERM}
PASSED_TO_SCRIPTS = ("PATH", "LANG", "LC_ALL", "TZ")  # init scripts get no OCF variables


def lsb_action(action: str) -> str:
    """The script's argument for a cluster action (``monitor`` → ``status``)."""
    return "status" if action == "monitor" else action


def ocf_rc(action: str, exit_status: int) -> int:
    """The OCF exit code an init script's ``exit_status`` for ``action`` stands for."""
    if lsb_action(action) == "status":
        return int(_STATUS.get(exit_status, OcfRc.ERR_GENERIC))
    return exit_status if 0 <= exit_status <= int(OcfRc.NOT_RUNNING) else int(OcfRc.ERR_GENERIC)
