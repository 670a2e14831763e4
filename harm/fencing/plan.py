"""What fencing a node means under a configuration: the levels to try, the delays, the
node that runs the devices (pure: the configuration and the cluster state in, a
:class:`FencePlan` out; the random draw is an argument).

    levels   the fencing topology for the target (levels with its name, else a pattern
             that matches it, else a node attribute it has), each level's devices in
             written order; without a topology every device that may fence the target is a
             level of its own, in configuration order
    delay    priority-fencing-delay when the target is the node with the highest resource
             priority and this partition lacks a majority (so that in a two-node fence race
             the node running the promoted instance wins), plus the first level's largest
             pcmk_delay_base/pcmk_delay_max delay, plus what is left of the retry back-off
    runner   the node that runs the agents: this node unless it is the target (a victim
             never fences itself), then the first other member allowed to use a device
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from harm.cib.config import Configuration, FencingLevel, is_true
from harm.cib.durations import parse_ms
from harm.fencing.device import DEFAULT_TIMEOUT_MS, Device, banned_on, devices

RETRY_BACKOFF_MS = 5_000  # a failed fence of a node is not tried again sooner than this


@dataclass(frozen=True)
class Level:
    index: int
    devices: tuple[Device, ...]


@dataclass(frozen=True)
class FencePlan:
    """One fencing operation, ready to run."""

    id: str
    target: str
    action: str  # reboot | off | on
    levels: tuple[Level, ...]
    delay_ms: int
    timeout_ms: int  # the default action timeout (stonith-timeout)
    runner: str
    origin: str
    client: str
    concurrent: bool = True  # concurrent-fencing: may run beside other fencing operations

    def deadline_ms(self) -> int:
        """How long the whole operation may take, every try of every level included."""
        total = self.delay_ms
        for level in self.levels:
            for device in level.devices:
                action = device.agent_action(self.action)
                total += device.timeout_ms(action, self.timeout_ms) * device.tries(action)
                total += device.timeout_ms("list", self.timeout_ms)
        return total + 10_000


def fencing_enabled(config: Configuration) -> bool:
    """``fencing-enabled`` (Pacemaker 3's name) or ``stonith-enabled``; true by default."""
    value = config.property("fencing-enabled")
    if value is None:
        value = config.property("stonith-enabled")
    return value is None or is_true(value)


def fencing_active(config: Configuration) -> bool:
    """Fencing is enabled and some device is configured: lost nodes must be fenced."""
    return fencing_enabled(config) and bool(devices(config))


def stonith_action(config: Configuration) -> str:
    value = (config.property("stonith-action") or "reboot").strip()
    return "off" if value == "poweroff" else value


def duration_property(config: Configuration, name: str, default_ms: int) -> int:
    text = config.property(name)
    if not text:
        return default_ms
    try:
        return parse_ms(text)
    except ValueError:
        return default_ms


def _matches(level: FencingLevel, target: str, attrs: dict[str, str]) -> bool:
    if level.target is not None:
        return level.target == target
    if level.target_pattern is not None:
        try:
            return re.search(level.target_pattern, target) is not None
        except re.error:
            return False
    if level.target_attribute is not None:
        return attrs.get(level.target_attribute) == level.target_value
    return False


def topology_for(config: Configuration, target: str,
                 attrs: dict[str, str]) -> tuple[FencingLevel, ...]:
    """The topology levels that apply to ``target``, by index: its own name's levels win
    over a pattern's, which win over an attribute's (as Pacemaker's fencer looks them up)."""
    for kind in ("node", "pattern", "attr"):
        found = [lv for lv in config.fencing_levels
                 if lv.target_key[0] == kind and _matches(lv, target, attrs)]
        if found:
            return tuple(sorted(found, key=lambda lv: lv.index))
    return ()


def may_fence(device: Device, target: str) -> bool:
    """The device may fence ``target`` as far as the configuration tells (dynamic checks
    are left to the agent, at run time)."""
    answer = device.static_answer(target)
    return answer is None or answer


def levels_for(config: Configuration, target: str, runner: str,
               attrs: dict[str, str]) -> tuple[Level, ...]:
    """The levels to try, in order (see the module doc); devices the runner may not use
    (a -INFINITY location) are left out, and so is a level that loses a device."""
    by_id = {d.id: d for d in devices(config)}
    topology = topology_for(config, target, attrs)
    levels: list[Level] = []
    if topology:
        for level in topology:
            chosen = [by_id.get(name) for name in level.devices]
            usable = [d for d in chosen if d is not None and not banned_on(config, d.id, runner)]
            if len(usable) == len(level.devices):
                levels.append(Level(level.index, tuple(usable)))
        return tuple(levels)
    for index, device in enumerate(by_id.values(), start=1):
        if may_fence(device, target) and not banned_on(config, device.id, runner):
            levels.append(Level(index, (device,)))
    return tuple(levels)


def can_be_fenced(config: Configuration, target: str, attrs: dict[str, str]) -> bool:
    """Some level or device may fence ``target`` from some node (verify's question)."""
    by_id = {d.id: d for d in devices(config)}
    topology = topology_for(config, target, attrs)
    if topology:
        return any(all(name in by_id for name in level.devices) for level in topology)
    return any(may_fence(device, target) for device in by_id.values())


def choose_runner(config: Configuration, target: str, local: str,
                  members: frozenset[str]) -> str | None:
    """This node unless it is the target; else the first other member that may use a
    device; None when nobody may (a node never fences itself)."""
    if local != target:
        return local
    for node in sorted(members):
        if node == target:
            continue
        if any(not banned_on(config, d.id, node) for d in devices(config)):
            return node
    return None


def priority_delay_ms(config: Configuration, target: str, priorities: dict[str, int],
                      partition_size: int, cluster_size: int) -> int:
    """priority-fencing-delay when it applies to fencing ``target`` (module doc)."""
    delay = duration_property(config, "priority-fencing-delay", 0)
    if delay <= 0 or partition_size * 2 > cluster_size:
        return 0
    mine = priorities.get(target, 0)
    others = [p for node, p in priorities.items() if node != target]
    if mine <= 0 or any(p >= mine for p in others):
        return 0
    return delay


def first_level_delay_ms(levels: tuple[Level, ...], target: str, random_fraction: float) -> int:
    if not levels:
        return 0
    return max(d.delay_ms(target, random_fraction) for d in levels[0].devices)


def plan(config: Configuration, *, plan_id: str, target: str, action: str, local: str,
         members: frozenset[str], attrs: dict[str, str], priorities: dict[str, int],
         cluster_size: int, random_fraction: float, backoff_ms: int = 0,
         origin: str | None = None, client: str = "harm-dc") -> FencePlan | None:
    """The plan for fencing ``target`` from this partition; None when no node may."""
    runner = choose_runner(config, target, local, members)
    if runner is None:
        return None
    levels = levels_for(config, target, runner, attrs)
    delay = priority_delay_ms(config, target, priorities, len(members), cluster_size)
    delay += first_level_delay_ms(levels, target, random_fraction) + max(0, backoff_ms)
    return FencePlan(
        id=plan_id, target=target, action=action, levels=levels, delay_ms=delay,
        timeout_ms=duration_property(config, "stonith-timeout", DEFAULT_TIMEOUT_MS),
        runner=runner, origin=origin or local, client=client,
        concurrent=is_true(config.property("concurrent-fencing") or "true"))

