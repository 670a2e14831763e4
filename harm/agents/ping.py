"""ping / pingd: connectivity as a node attribute.

Each monitor pings every host of ``host_list`` (all at once, ``attempts`` echo requests
of ``timeout`` seconds each) and writes ``reachable hosts x multiplier`` to the node
attribute ``name`` (default ``pingd``), letting the attribute store dampen the update by
``dampen``. stop deletes the attribute. With ``failure_score`` set, a value below it fails
the monitor. ``ocf:pacemaker:ping`` and the older ``ocf:pacemaker:pingd`` both run this.
"""

from __future__ import annotations

import ipaddress
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from harm.cib.durations import parse_ms
from harm.ocf.attributes import store_from_environ
from harm.ocf.env import OcfEnv
from harm.ocf.metadata import AgentInfo, Parameter, ParamType, basic_actions
from harm.ocf.outcome import ActionError, failed, not_configured
from harm.ocf.rc import OcfRc
from harm.ocf.runner import Agent

from .statefile import default_state_path, read_state, write_state

_I = ParamType.INTEGER

INFO = AgentInfo(
    name="ping",
    shortdesc="Connectivity to a list of hosts as a node attribute",
    longdesc=(
        "Pings every host in host_list and sets the node attribute 'name' to the number "
        "of reachable hosts times multiplier; location rules can then keep resources on "
        "nodes that see the network. Also known as pingd."
    ),
    parameters=(
        Parameter("name", "Attribute name", "Node attribute to set.", default="pingd"),
        Parameter("multiplier", "Multiplier", "Value per reachable host.", _I, "1"),
        Parameter(
            "host_list", "Hosts", "Space separated hosts or addresses to ping.", required=True
        ),
        Parameter("attempts", "Attempts", "Echo requests per host and round.", _I, "3"),
        Parameter("timeout", "Timeout", "Seconds to wait for each reply.", _I, "2"),
        Parameter(
            "dampen",
            "Dampening",
            "How long the attribute store waits for further changes before writing.",
            ParamType.TIME,
            "5s",
        ),
        Parameter(
            "failure_score",
            "Failure score",
            "Fail the monitor when the value is below this (0: never fail).",
            _I,
            "0",
        ),
        Parameter("state", "State file", "Where the running state is kept.", unique=True),
    ),
    actions=basic_actions(start="60s", stop="20s", monitor_interval="10s"),
)


@dataclass(frozen=True)
class PingSettings:
    name: str
    multiplier: int
    hosts: tuple[str, ...]
    attempts: int
    timeout_s: int
    dampen_s: int
    failure_score: int
    state: Path


def settings_from_env(env: OcfEnv) -> PingSettings:
    hosts = tuple(env.param("host_list").split())
    if not hosts:
        raise not_configured("host_list is required")
    for host in hosts:
        if host.startswith("-"):
            raise not_configured(f"host_list entry {host!r} is not a host")
    try:
        dampen_ms = parse_ms(env.param("dampen", "5s"))
    except ValueError:
        raise not_configured(f"dampen={env.param('dampen')!r} is not a duration") from None
    attempts = env.int_param("attempts", 3)
    timeout = env.int_param("timeout", 2)
    if attempts < 1 or timeout < 1:
        raise not_configured("attempts and timeout must be at least 1")
    raw_state = env.param("state")
    return PingSettings(
        name=env.param("name", "pingd"),
        multiplier=env.int_param("multiplier", 1),
        hosts=hosts,
        attempts=attempts,
        timeout_s=timeout,
        dampen_s=dampen_ms // 1000,
        failure_score=env.int_param("failure_score", 0),
        state=Path(raw_state) if raw_state else default_state_path(env, "ping"),
    )


def _ping_argv(host: str, s: PingSettings) -> list[str]:
    argv = ["ping", "-n", "-q", "-c", str(s.attempts), "-W", str(s.timeout_s)]
    try:
        if ipaddress.ip_address(host).version == 6:
            argv.append("-6")
    except ValueError:
        pass
    return [*argv, "-i", "0.2", host]


def reachable(s: PingSettings) -> int:
    """How many hosts answered at least one echo request this round."""
    if shutil.which("ping") is None:
        raise ActionError(OcfRc.ERR_INSTALLED, "ping (iputils-ping) is not installed")
    procs = [
        subprocess.Popen(
            _ping_argv(host, s),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        for host in s.hosts
    ]
    limit = s.attempts * (s.timeout_s + 1) + 5
    count = 0
    for proc in procs:
        try:
            count += proc.wait(timeout=limit) == 0
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return count


def _publish(env: OcfEnv, s: PingSettings) -> int:
    value = reachable(s) * s.multiplier
    store_from_environ(env.environ).update(
        env.node_name, s.name, str(value), delay_s=s.dampen_s
    )
    return value


def validate(env: OcfEnv) -> OcfRc:
    settings_from_env(env)
    return OcfRc.OK


def start(env: OcfEnv) -> OcfRc:
    s = settings_from_env(env)
    write_state(s.state, "started")
    _publish(env, s)
    return OcfRc.OK


def monitor(env: OcfEnv) -> OcfRc:
    s = settings_from_env(env)
    if read_state(s.state) is None:
        return OcfRc.NOT_RUNNING
    value = _publish(env, s)
    if s.failure_score and value < s.failure_score:
        raise failed(f"{s.name}={value} is below failure_score {s.failure_score}")
    return OcfRc.OK


def stop(env: OcfEnv) -> OcfRc:
    s = settings_from_env(env)
    s.state.unlink(missing_ok=True)
    store_from_environ(env.environ).delete(env.node_name, s.name, delay_s=s.dampen_s)
    return OcfRc.OK


AGENT = Agent(
    INFO,
    {"start": start, "stop": stop, "monitor": monitor, "validate-all": validate},
)
