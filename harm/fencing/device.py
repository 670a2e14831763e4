"""A fence device as configured: a ``stonith:AGENT`` primitive and Pacemaker's device
parameters, read once into typed data (pure: no I/O, no clock).

    pcmk_host_list      nodes the device can fence ("n1 n2" or "n1,n2")
    pcmk_host_map       node → port/plug name ("n1:1;n2:2", also with spaces or commas)
    pcmk_host_check     how to know whether it can fence a node: static-list (the default
                        when a list or map is given), dynamic-list (ask the agent: ``list``),
                        status (ask the agent: ``status`` of that port), none (any node)
    pcmk_host_argument  the agent parameter that names the port (default: ``port``, or
                        ``plug`` when the agent's meta-data has it; ``none`` for no port)
    pcmk_delay_base     a static delay before fencing ("5s", or per node "n1:0s;n2:5s")
    pcmk_delay_max      at most this much delay: a random one, base included
    pcmk_<action>_action   the agent action to run instead (``pcmk_reboot_action=off``)
    pcmk_<action>_timeout  that action's timeout (default: ``stonith-timeout``)
    pcmk_<action>_retries  how often the action is tried on this device (default 2)

Everything else in the primitive's params goes to the agent as it is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from harm.cib.config import Configuration, Location, Primitive, merged
from harm.cib.durations import parse_ms
from harm.cib.scores import INFINITY

HOST_CHECKS = ("dynamic-list", "static-list", "status", "none")
FENCE_ACTIONS = ("reboot", "off", "on", "status", "list", "monitor")
DEFAULT_TIMEOUT_MS = 60_000
DEFAULT_RETRIES = 2
_SPLIT = re.compile(r"[\s,;]+")


class DeviceError(ValueError):
    """A device parameter that cannot be understood (the message says which)."""


def split_list(text: str) -> tuple[str, ...]:
    """``"a b,c;d"`` → ``("a", "b", "c", "d")``."""
    return tuple(word for word in _SPLIT.split(text.strip()) if word)


def parse_host_map(text: str) -> tuple[tuple[str, str], ...]:
    """``"n1:port1;n2:port2"`` (separators ``;``, ``,`` or blanks; ``=`` for ``:``)."""
    pairs = []
    for entry in split_list(text):
        name, sep, port = entry.replace("=", ":").partition(":")
        if not sep or not name or not port:
            raise DeviceError(f"pcmk_host_map entry {entry!r}: write NODE:PORT")
        pairs.append((name, port))
    return tuple(pairs)


def parse_delay_base(text: str) -> tuple[int, tuple[tuple[str, int], ...]]:
    """``"5s"`` → (5000, ()); ``"n1:1s;n2:5s"`` → (0, (("n1", 1000), ("n2", 5000)))."""
    text = text.strip()
    if not text:
        return 0, ()
    if ":" not in text:
        try:
            return parse_ms(text), ()
        except ValueError:
            raise DeviceError(f"pcmk_delay_base {text!r}: not a duration") from None
    per_node = []
    for entry in split_list(text):
        name, sep, value = entry.partition(":")
        try:
            per_node.append((name, parse_ms(value)))
        except ValueError:
            raise DeviceError(f"pcmk_delay_base entry {entry!r}: write NODE:DURATION") \
                from None
        if not sep or not name:
            raise DeviceError(f"pcmk_delay_base entry {entry!r}: write NODE:DURATION")
    return 0, tuple(per_node)


@dataclass(frozen=True)
class Device:
    """One fence device (see the module doc for the parameters)."""

    id: str
    agent: str
    params: tuple[tuple[str, str], ...]  # what the agent gets, pcmk_* removed
    host_list: tuple[str, ...] = ()
    host_map: tuple[tuple[str, str], ...] = ()
    host_check: str = "dynamic-list"
    host_argument: str | None = None  # None: "port"/"plug" as the meta-data says
    delay_base_ms: int = 0
    delay_base_per_node: tuple[tuple[str, int], ...] = ()
    delay_max_ms: int = 0
    action_map: tuple[tuple[str, str], ...] = ()
    timeouts_ms: tuple[tuple[str, int], ...] = ()
    retries: tuple[tuple[str, int], ...] = ()

    @staticmethod
    def from_primitive(primitive: Primitive) -> Device:
        """The device of a ``stonith:`` primitive; DeviceError on a bad parameter."""
        if primitive.agent.cls != "stonith":
            raise DeviceError(f"{primitive.id} is not a stonith resource")
        values = merged(primitive.params)
        agent_params = tuple((k, v) for k, v in values.items() if not k.startswith("pcmk_"))
        host_list = split_list(values.get("pcmk_host_list", ""))
        host_map = parse_host_map(values.get("pcmk_host_map", ""))
        check = values.get("pcmk_host_check") or (
            "static-list" if host_list or host_map else "dynamic-list")
        if check not in HOST_CHECKS:
            raise DeviceError(f"pcmk_host_check {check!r}: use one of {', '.join(HOST_CHECKS)}")
        base, per_node = parse_delay_base(values.get("pcmk_delay_base", ""))
        try:
            delay_max = parse_ms(values.get("pcmk_delay_max") or "0")
        except ValueError:
            raise DeviceError(f"pcmk_delay_max {values['pcmk_delay_max']!r}: not a duration") \
                from None
        action_map, timeouts, retries = [], [], []
        for name, value in values.items():
            match = re.fullmatch(r"pcmk_([a-z]+)_(action|timeout|retries)", name)
            if match is None:
                continue
            action, kind = match.groups()
            if kind == "action":
                action_map.append((action, value))
            elif kind == "timeout":
                try:
                    timeouts.append((action, parse_ms(value)))
                except ValueError:
                    raise DeviceError(f"{name} {value!r}: not a duration") from None
            else:
                if not value.strip().isdigit():
                    raise DeviceError(f"{name} {value!r}: not a number")
                retries.append((action, int(value)))
        argument = values.get("pcmk_host_argument")
        return Device(
            id=primitive.id, agent=primitive.agent.type, params=agent_params,
            host_list=host_list, host_map=host_map, host_check=check,
            host_argument=argument, delay_base_ms=base, delay_base_per_node=per_node,
            delay_max_ms=delay_max, action_map=tuple(action_map),
            timeouts_ms=tuple(timeouts), retries=tuple(retries))

    # ------------------------------------------------------------------ questions

    def static_answer(self, target: str) -> bool | None:
        """Whether this device can fence ``target`` without asking the agent: True/False,
        or None when only the agent knows (dynamic-list, status)."""
        if self.host_check == "none":
            return True
        if self.host_check == "static-list":
            return target in self.host_list or any(n == target for n, _ in self.host_map)
        return None

    def port_for(self, target: str) -> str:
        """The port/plug name of ``target`` on this device (the map, else its name)."""
        for name, port in self.host_map:
            if name == target:
                return port
        return target

    def agent_action(self, action: str) -> str:
        return dict(self.action_map).get(action, action)

    def timeout_ms(self, action: str, default_ms: int = DEFAULT_TIMEOUT_MS) -> int:
        return dict(self.timeouts_ms).get(action, default_ms)

    def tries(self, action: str) -> int:
        """How many times ``action`` is tried on this device (``pcmk_<action>_retries``)."""
        return max(1, dict(self.retries).get(action, DEFAULT_RETRIES))

    def delay_ms(self, target: str, random_fraction: float) -> int:
        """The delay before fencing ``target``: the base (per node or static), or, with
        ``pcmk_delay_max`` above it, a random value between base and max
        (``random_fraction`` in [0, 1) is the caller's random draw)."""
        base = dict(self.delay_base_per_node).get(target, self.delay_base_ms)
        if self.delay_max_ms > base:
            return base + int((self.delay_max_ms - base) * random_fraction)
        return base


def devices(config: Configuration) -> tuple[Device, ...]:
    """Every ``stonith:`` primitive of the configuration as a Device (bad ones left out:
    verify reports them)."""
    found = []
    for primitive in config.primitives():
        if primitive.agent.cls != "stonith":
            continue
        try:
            found.append(Device.from_primitive(primitive))
        except DeviceError:
            continue
    return tuple(found)


def banned_on(config: Configuration, device: str, node: str) -> bool:
    """True when a location constraint forbids ``device`` on ``node`` (score -INFINITY):
    Pacemaker does not let that node use the device."""
    for constraint in config.constraints:
        if isinstance(constraint, Location) and constraint.rsc == device \
                and constraint.node == node and constraint.score is not None \
                and constraint.score <= -INFINITY:
            return True
    return False
