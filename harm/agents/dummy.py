"""Dummy: a resource that only keeps a state file (for scheduler and daemon tests).

start writes the state file, stop removes it, monitor reports whether it exists.
``op_sleep`` makes every action last that long, ``fake`` is a parameter whose change the
cluster may reload without a restart (``reload`` does nothing).
"""

from __future__ import annotations

import time
from pathlib import Path

from harm.ocf.env import OcfEnv
from harm.ocf.metadata import ActionSpec, AgentInfo, Parameter, ParamType, basic_actions
from harm.ocf.outcome import not_configured
from harm.ocf.rc import OcfRc
from harm.ocf.runner import Agent

from .statefile import default_state_path, write_state

INFO = AgentInfo(
    name="Dummy",
    shortdesc="Example stateless resource agent",
    longdesc="Keeps a state file and nothing else; for testing the cluster manager.",
    parameters=(
        Parameter(
            "state",
            "State file",
            "Where the state file is kept (default $HA_RSCTMP/Dummy-<instance>.state).",
            unique=True,
        ),
        Parameter("fake", "Fake attribute", "A parameter that does nothing.", default="dummy"),
        Parameter(
            "op_sleep",
            "Operation sleep duration in seconds",
            "Number of seconds every action sleeps before doing its work.",
            ParamType.INTEGER,
            default="0",
        ),
    ),
    actions=(*basic_actions(), ActionSpec("reload", timeout="20s")),
)


def state_path(env: OcfEnv) -> Path:
    raw = env.param("state")
    return Path(raw) if raw else default_state_path(env, "Dummy")


def _pause(env: OcfEnv) -> None:
    seconds = env.int_param("op_sleep", 0)
    if seconds < 0:
        raise not_configured("op_sleep must not be negative")
    time.sleep(seconds)


def validate(env: OcfEnv) -> OcfRc:
    env.int_param("op_sleep", 0)
    return OcfRc.OK


def monitor(env: OcfEnv) -> OcfRc:
    validate(env)
    _pause(env)
    return OcfRc.OK if state_path(env).exists() else OcfRc.NOT_RUNNING


def start(env: OcfEnv) -> OcfRc:
    validate(env)
    _pause(env)
    write_state(state_path(env), "started")
    return OcfRc.OK


def stop(env: OcfEnv) -> OcfRc:
    _pause(env)
    state_path(env).unlink(missing_ok=True)
    return OcfRc.OK


def reload(env: OcfEnv) -> OcfRc:
    return OcfRc.OK



AGENT = Agent(
    INFO,
    {
        "start": start,
        "stop": stop,
        "monitor": monitor,
        "validate-all": validate,
        "reload": reload,
    },
)
