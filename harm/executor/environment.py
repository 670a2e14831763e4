"""The environment of one agent call, built purely from a request and the node it runs on.

What an OCF agent finds in its environment (Pacemaker's executor sets the same names):

    OCF_ROOT, OCF_RA_VERSION_MAJOR=1, OCF_RA_VERSION_MINOR=1, OCF_EXIT_REASON_PREFIX
    OCF_RESOURCE_INSTANCE, OCF_RESOURCE_TYPE, OCF_RESOURCE_PROVIDER
    OCF_RESKEY_<param>                 instance (and op-level) parameters
    OCF_RESKEY_CRM_meta_<name>         op meta: timeout and interval in ms, name, role,
                                       on_node, on_node_uuid, clone_*, promoted_*/master_*,
                                       notify_* for notify actions, other meta attributes
    HA_RSCTMP                          the agents' scratch directory (lock and state files)
    HA_NODENAME                        this node's name
    PATH                               harm's Pacemaker tools directory, then a fixed
                                       system PATH (agents never see harmd's)
    HA_SBIN_DIR                        harm's Pacemaker tools directory (the stock agents
                                       call ``${HA_SBIN_DIR}/crm_attribute``)
    HARM_PYTHON                        harmd's own interpreter, for harm's agents (unless
                                       harmd itself was given one)
    NodeContext.extra_env              node-wide settings harmd gives every agent (where
                                       agents publish node attributes, for instance)

The tools directory (:mod:`harm.pcmktools`) holds ``crm_attribute``, ``attrd_updater``,
``crm_mon`` … backed by harmd; it comes first on the agents' ``PATH`` only, so the
system's Pacemaker binaries are never replaced. Init scripts (``lsb:``) get
:func:`script_environment`: the same ``PATH`` and the locale, nothing of OCF.

Meta attribute names have ``-`` turned into ``_`` (``clone-max`` → ``CRM_meta_clone_max``),
as Pacemaker does. Nothing of the daemon's own environment leaks in except the names in
:data:`PASSED_THROUGH` (locale, harm's interpreter and agent directory overrides).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from harm.executor.lsb import PASSED_TO_SCRIPTS
from harm.executor.request import OpRequest
from harm.executor.result import EXIT_REASON_PREFIX

TOOLS_SUBDIR = "harm-pcmk-bin"

SYSTEM_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
PASSED_THROUGH = ("LANG", "LC_ALL", "TZ", "HARM_PYTHON", "HARM_AGENTS_DIR", "PYTHONPATH")
PARAM_PREFIX = "OCF_RESKEY_"
META_PREFIX = "OCF_RESKEY_CRM_meta_"


@dataclass(frozen=True)
class NodeContext:
    """Where the executor runs: the node and the directories every agent call shares."""

    uname: str
    uuid: str
    rsctmp: Path
    ocf_root: Path = Path("/usr/lib/ocf")
    path: str = SYSTEM_PATH
    extra_env: tuple[tuple[str, str], ...] = ()  # node-wide settings, e.g. HARM_ATTRIBUTE_DIR
    python: str = field(default_factory=lambda: sys.executable)  # runs harm's agents
    tools_dir: Path | None = None  # harm's Pacemaker tools; None: RSCTMP/harm-pcmk-bin

    @property
    def tools(self) -> Path:
        """The directory of harm's Pacemaker tools the agents find first on ``PATH``."""
        return self.tools_dir or self.rsctmp / TOOLS_SUBDIR

    @property
    def agent_path(self) -> str:
        return f"{self.tools}:{self.path}"


def meta_name(name: str) -> str:
    """``clone-max`` → ``OCF_RESKEY_CRM_meta_clone_max``."""
    return META_PREFIX + name.replace("-", "_")


def agent_environment(
    request: OpRequest,
    node: NodeContext,
    inherited: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """The complete environment for running ``request`` on ``node``.

    ``inherited`` is the daemon's own environment (``os.environ`` when None); only the
    names in :data:`PASSED_THROUGH` are taken from it.
    """
    source = os.environ if inherited is None else inherited
    env = {"HARM_PYTHON": node.python}
    env.update({name: source[name] for name in PASSED_THROUGH if name in source})
    env.update(node.extra_env)
    env.update(
        {
            "PATH": node.agent_path,
            "HA_SBIN_DIR": str(node.tools),
            "OCF_ROOT": str(node.ocf_root),
            "OCF_RA_VERSION_MAJOR": "1",
            "OCF_RA_VERSION_MINOR": "1",
            "OCF_EXIT_REASON_PREFIX": EXIT_REASON_PREFIX,
            "OCF_RESOURCE_INSTANCE": request.rsc,
            "OCF_RESOURCE_TYPE": request.agent.type,
            "OCF_RESOURCE_PROVIDER": request.agent.provider or "",
            "HA_RSCTMP": str(node.rsctmp),
            "HA_NODENAME": node.uname,
        }
    )
    for name, value in (*request.params, *request.op_params):
        env[PARAM_PREFIX + name] = value
    meta: list[tuple[str, str]] = list(request.meta)
    if request.clone is not None:
        meta += request.clone.meta()
    meta += [
        ("name", request.action),
        ("interval", str(request.interval_ms)),
        ("timeout", str(request.timeout_ms)),
        ("on_node", node.uname),
        ("on_node_uuid", node.uuid),
    ]
    if request.role is not None:
        meta.append(("role", request.role.legacy))
    if request.notify is not None:
        meta += request.notify.meta()
    for name, value in meta:
        env[meta_name(name)] = value
    return env


def script_environment(node: NodeContext,
                       inherited: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment of an init script: the agents' ``PATH`` and the locale only."""
    source = os.environ if inherited is None else inherited
    env = {name: source[name] for name in PASSED_TO_SCRIPTS if name in source}
    env["PATH"] = node.agent_path
    return env
