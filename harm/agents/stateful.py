"""Stateful: a promotable test resource (a state file saying ``unpromoted`` or ``promoted``).

It publishes its promotion score as the node attribute ``master-<resource>``: 5 while
unpromoted, 10 while promoted, removed on stop (the stock agent's values).
"""

from __future__ import annotations

from pathlib import Path

from harm.ocf.env import OcfEnv
from harm.ocf.metadata import ActionSpec, AgentInfo, Parameter
from harm.ocf.rc import OcfRc
from harm.ocf.runner import Agent

from .statefile import default_state_path, read_state, write_state

PROMOTED = "promoted"
UNPROMOTED = "unpromoted"
SCORE_UNPROMOTED = "5"
SCORE_PROMOTED = "10"

INFO = AgentInfo(
    name="Stateful",
    shortdesc="Example promotable resource agent",
    longdesc=(
        "A state file that says unpromoted or promoted; sets promotion scores "
        "(master-<resource>: 5 unpromoted, 10 promoted). For testing the cluster manager."
    ),
    parameters=(
        Parameter(
            "state",
            "State file",
            "Where the state file is kept (default $HA_RSCTMP/Stateful-<instance>.state).",
            unique=True,
        ),
    ),
    actions=(
        ActionSpec("start", timeout="20s"),
        ActionSpec("stop", timeout="20s"),
        ActionSpec("promote", timeout="10s"),
        ActionSpec("demote", timeout="10s"),
        ActionSpec("monitor", timeout="20s", interval="10s", role="Promoted", depth="0"),
        ActionSpec("monitor", timeout="20s", interval="11s", role="Unpromoted", depth="0"),
        ActionSpec("notify", timeout="5s"),
        ActionSpec("meta-data", timeout="5s"),
        ActionSpec("validate-all", timeout="20s"),
    ),
)


def state_path(env: OcfEnv) -> Path:
    raw = env.param("state")
    return Path(raw) if raw else default_state_path(env, "Stateful")


def _set_score(env: OcfEnv, score: str | None) -> None:
    from harm.ocf.attributes import store_from_environ  # not needed by monitor

    store = store_from_environ(env.environ)
    name = f"master-{env.resource}"
    if score is None:
        store.delete(env.node_name, name)
    else:
        store.update(env.node_name, name, score)


def validate(env: OcfEnv) -> OcfRc:
    return OcfRc.OK


def monitor(env: OcfEnv) -> OcfRc:
    state = read_state(state_path(env))
    if state is None:
        return OcfRc.NOT_RUNNING
    if env.is_probe:
        # as the stock agent: a probe (after a restart of the cluster software) publishes
        # the promotion score again, so the cluster keeps the promoted instance where it is
        _set_score(env, SCORE_PROMOTED if state == PROMOTED else SCORE_UNPROMOTED)
    return OcfRc.RUNNING_PROMOTED if state == PROMOTED else OcfRc.OK


def start(env: OcfEnv) -> OcfRc:
    if read_state(state_path(env)) is None:
        write_state(state_path(env), UNPROMOTED)
        _set_score(env, SCORE_UNPROMOTED)
    return OcfRc.OK


def stop(env: OcfEnv) -> OcfRc:
    state_path(env).unlink(missing_ok=True)
    _set_score(env, None)
    return OcfRc.OK


def promote(env: OcfEnv) -> OcfRc:
    if read_state(state_path(env)) is None:
        return OcfRc.NOT_RUNNING
    write_state(state_path(env), PROMOTED)
    _set_score(env, SCORE_PROMOTED)
    return OcfRc.OK


def demote(env: OcfEnv) -> OcfRc:
    if read_state(state_path(env)) is None:
        return OcfRc.NOT_RUNNING
    write_state(state_path(env), UNPROMOTED)
    _set_score(env, SCORE_UNPROMOTED)
    return OcfRc.OK


def notify(env: OcfEnv) -> OcfRc:
    return OcfRc.OK


AGENT = Agent(
    INFO,
    {
        "start": start,
        "stop": stop,
        "monitor": monitor,
        "promote": promote,
        "demote": demote,
        "notify": notify,
        "validate-all": validate,
    },
)
