"""Running one agent call: dispatch, exit codes, ``ocf-exit-reason:``.

An action is a function ``(OcfEnv) -> OcfRc``. It reports a failure either by returning a
code or by raising :class:`ActionError` with a reason; the runner prints the reason on stderr
as ``ocf-exit-reason:<text>`` (what Pacemaker shows in "Failed actions") and exits with the
code. Any other :class:`harm.errors.AgentError` (a tool that would not run, an attribute
store that would not answer) becomes ``ERR_GENERIC``; an unknown action ``ERR_UNIMPLEMENTED``.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from harm.errors import AgentError
from harm.ocf.env import OcfEnv
from harm.ocf.metadata import AgentInfo
from harm.ocf.outcome import ActionError
from harm.ocf.rc import OcfRc

# typing costs an agent call a few ms of start-up; its names are needed by the type checker only
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import TextIO

Action = Callable[[OcfEnv], OcfRc]


def describe(info: AgentInfo, out: TextIO) -> int:
    """The ``meta-data`` action: the agent's description as ra-api-1.dtd XML on ``out``."""
    out.write(info.to_xml())
    return int(OcfRc.OK)


@dataclass(frozen=True)
class Agent:
    """An agent: its description and its actions (``meta-data`` is provided here)."""

    info: AgentInfo
    actions: Mapping[str, Action]

    def run(
        self,
        argv: list[str],
        environ: Mapping[str, str] | None = None,
        out: TextIO | None = None,
        err: TextIO | None = None,
    ) -> int:
        out = out or sys.stdout
        err = err or sys.stderr
        if len(argv) != 1:
            names = "|".join(sorted({*self.actions, "meta-data"}))
            err.write(f"usage: {self.info.name} {{{names}}}\n")
            return int(OcfRc.ERR_ARGS)
        action = argv[0]
        if action in {"meta-data", "meta_data"}:
            return describe(self.info, out)
        if action in {"usage", "help"}:
            out.write(f"usage: {self.info.name} {{{'|'.join(sorted(self.actions))}}}\n")
            return int(OcfRc.OK)
        if action == "status":
            action = "monitor"
        handler = self.actions.get(action)
        if handler is None:
            return int(OcfRc.ERR_UNIMPLEMENTED)
        env = OcfEnv.from_environ(action, environ)
        try:
            return int(handler(env))
        except ActionError as done:
            err.write(f"ocf-exit-reason:{done.reason}\n")
            return int(done.rc)
        except AgentError as error:
            err.write(f"ocf-exit-reason:{error}\n")
            return int(OcfRc.ERR_GENERIC)
