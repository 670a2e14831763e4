"""What ``harm resource …`` and ``harm node …`` change in a CIB, as pure functions.

The constraints and attributes are the ones Pacemaker's tools create, so a CIB edited by harm
reads the same in crm_mon and crm_simulate:

- ``move RSC NODE``: ``cli-prefer-RSC`` (+INFINITY on NODE) and, where the resource now runs
  elsewhere, ``cli-ban-RSC-on-CURRENT`` (-INFINITY): with ``resource-stickiness=INFINITY`` a
  preference alone would not win. For a promotable clone both apply to the Promoted role,
  so ``move ms_pgsql NODE`` is a planned switchover.
- ``ban RSC NODE``: ``cli-ban-RSC-on-NODE``; ``clear RSC`` removes every ``cli-`` constraint
  of RSC.
- ``start``/``stop``/``promote``/``demote``: the ``target-role`` meta-attribute.
- ``cleanup RSC [NODE]``: the failed history and the fail-count/last-failure attributes of
  RSC's primitives go, so the cluster probes them again (``crm resource cleanup``).
- ``fail RSC NODE``: records a failed monitor and counts it, as ``crm_resource --fail`` does,
  to rehearse recovery.
- node ``standby``/``online``/``maintenance``/``ready``: permanent node attributes
  ``standby`` and ``maintenance``.
"""

from __future__ import annotations

import re
from dataclasses import replace

from harm.cib.cib import Cib
from harm.cib.config import (
    Clone,
    Configuration,
    Group,
    Location,
    NvSet,
    Op,
    Primitive,
    Resource,
    Role,
)
from harm.cib.scores import INFINITY
from harm.cib.status import ExecStatus, OcfRc, OpRecord
from harm.crmsh import assemble
from harm.engine.state import ClusterState
from harm.engine.unpack import unpack
from harm.errors import ConfigError
from harm.operations import attributes
from harm.operations.attributes import Lifetime

TARGET_ROLES = {
    "start": Role.STARTED,
    "stop": Role.STOPPED,
    "promote": Role.PROMOTED,
    "demote": Role.UNPROMOTED,
}
NODE_STATES = {
    "standby": ("standby", "on"),
    "online": ("standby", "off"),
    "maintenance": ("maintenance", "on"),
    "ready": ("maintenance", "off"),
}


def prefer_id(rsc: str) -> str:
    return f"cli-prefer-{rsc}"


def ban_id(rsc: str, node: str) -> str:
    return f"cli-ban-{rsc}-on-{node}"


def find_resource(cib: Cib, rsc: str) -> Resource:
    """The resource called ``rsc``; ConfigError when there is none."""
    return _resource(cib, rsc)


def _resource(cib: Cib, rsc: str) -> Resource:
    found = cib.configuration.find_resource(rsc)
    if found is None:
        raise ConfigError(f"no such resource: {rsc}")
    return found


def _promotable(cib: Cib, rsc: str) -> bool:
    found = _resource(cib, rsc)
    return isinstance(found, Clone) and found.promotable


def primitives_of(resource: Resource) -> list[Primitive]:
    if isinstance(resource, Primitive):
        return [resource]
    if isinstance(resource, Group):
        return list(resource.children)
    return primitives_of(resource.child)


# ----------------------------------------------------------------------------- target-role


def set_target_role(cib: Cib, rsc: str, action: str) -> Cib:
    """``start``/``stop``/``promote``/``demote``: set RSC's ``target-role``."""
    role = TARGET_ROLES[action]
    if role in (Role.PROMOTED, Role.UNPROMOTED) and not _promotable(cib, rsc):
        raise ConfigError(f"{rsc} is not a promotable clone, so it cannot be {action}d")
    _resource(cib, rsc)
    flat = assemble.flatten(cib.configuration)
    definition = flat.resources[rsc]
    meta = _with_pair(definition.meta, f"{rsc}-meta_attributes", "target-role", role.value)
    flat.resources[rsc] = replace(definition, meta=meta)
    return cib.with_configuration(assemble.build(flat))


def _with_pair(sets: tuple[NvSet, ...], default_id: str, name: str, value: str
               ) -> tuple[NvSet, ...]:
    result = list(sets)
    for index, nvset in enumerate(result):
        if nvset.rule is None:
            pairs = [(k, v) for k, v in nvset.pairs if k != name]
            result[index] = replace(nvset, pairs=(*pairs, (name, value)))
            return tuple(result)
    return (*result, NvSet(default_id, ((name, value),)))


# ----------------------------------------------------------------------------- placement


def current_nodes(cib: Cib, rsc: str, now: int, promoted_only: bool) -> list[str]:
    """Nodes where RSC (any of its instances/members) runs, or runs Promoted."""
    state = unpack(cib, now)
    nodes: list[str] = []
    for instance in state.primitives():
        if instance.config_id != rsc and not _descends_from(state, instance.id, rsc):
            continue
        if promoted_only and instance.role is not Role.PROMOTED:
            continue
        for node in instance.running_on:
            if node not in nodes:
                nodes.append(node)
    return nodes


def _descends_from(state: ClusterState, rsc_id: str, ancestor: str) -> bool:
    current = state.resource(rsc_id)
    while current is not None and current.parent is not None:
        parent = state.resource(current.parent)
        if parent is None:
            return False
        if parent.config_id == ancestor:
            return True
        current = parent
    return False


def _check_node(cib: Cib, node: str) -> None:
    if node not in attributes.known_nodes(cib):
        known = ", ".join(attributes.known_nodes(cib)) or "none"
        raise ConfigError(f"unknown node {node!r} (known nodes: {known})")


def _put_constraints(cib: Cib, constraints: list[Location]) -> Cib:
    ids = {c.id for c in constraints}
    kept = [c for c in cib.configuration.constraints if c.id not in ids]
    config = replace(cib.configuration, constraints=(*kept, *constraints))
    return cib.with_configuration(config)


def move(cib: Cib, rsc: str, node: str, now: int) -> Cib:
    """Prefer NODE for RSC (its Promoted role, for a promotable clone) and ban where it runs."""
    resource = _resource(cib, rsc)
    _check_node(cib, node)
    promotable = isinstance(resource, Clone) and resource.promotable
    if isinstance(resource, Clone) and not promotable:
        raise ConfigError(
            f"{rsc} is a clone and runs wherever it may; use 'ban {rsc} NODE' to keep it "
            "off a node"
        )
    role = Role.PROMOTED if promotable else None
    cib, _ = clear(cib, rsc)
    constraints = [Location(prefer_id(rsc), rsc=rsc, role=role, node=node, score=INFINITY)]
    for current in current_nodes(cib, rsc, now, promoted_only=promotable):
        if current != node:
            constraints.append(
                Location(ban_id(rsc, current), rsc=rsc, role=role, node=current,
                         score=-INFINITY)
            )
    return _put_constraints(cib, constraints)


def ban(cib: Cib, rsc: str, node: str) -> Cib:
    """Keep RSC off NODE until ``clear``."""
    _resource(cib, rsc)
    _check_node(cib, node)
    return _put_constraints(
        cib, [Location(ban_id(rsc, node), rsc=rsc, node=node, score=-INFINITY)]
    )


def clear(cib: Cib, rsc: str) -> tuple[Cib, list[str]]:
    """Remove the constraints ``move`` and ``ban`` created for RSC; returns their ids."""
    _resource(cib, rsc)
    pattern = re.compile(rf"^(cli-prefer-{re.escape(rsc)}|cli-ban-{re.escape(rsc)}-on-.+)$")
    removed = [c.id for c in cib.configuration.constraints if pattern.match(c.id)]
    if not removed:
        return cib, []
    kept = tuple(c for c in cib.configuration.constraints if c.id not in removed)
    return cib.with_configuration(replace(cib.configuration, constraints=kept)), removed


def cli_constraints(config: Configuration) -> list[Location]:
    """The constraints ``move``/``ban`` created (what ``harm resource constraints`` lists)."""
    return [
        c for c in config.constraints
        if isinstance(c, Location) and c.id.startswith(("cli-prefer-", "cli-ban-"))
    ]


# ----------------------------------------------------------------------------- failures


def _base(history_id: str) -> str:
    return history_id.split(":", 1)[0]


def _failure_attribute(name: str, primitive: str) -> bool:
    for prefix in ("fail-count-", "last-failure-"):
        if name.startswith(prefix):
            rest = name[len(prefix):]
            base = rest.split("#", 1)[0]
            return _base(base) == primitive
    return False


def cleanup(cib: Cib, rsc: str, node: str | None = None) -> tuple[Cib, list[str]]:
    """Forget RSC's failures (history and fail-counts) on NODE or everywhere.

    Returns ``PRIMITIVE on NODE`` for each place cleaned. The history of a cleaned resource
    on that node goes entirely, so the cluster probes it again, as Pacemaker does.
    """
    primitives = {p.id for p in primitives_of(_resource(cib, rsc))}
    if node is not None:
        _check_node(cib, node)
    status = cib.status
    cleaned: list[str] = []
    for state in cib.status.nodes:
        if node is not None and state.uname != node:
            continue
        failed_attrs = {
            name for nvset in state.transient_attributes for name, _ in nvset.pairs
            if any(_failure_attribute(name, p) for p in primitives)
        }
        failed_history = {
            h.id for h in state.resources
            if _base(h.id) in primitives and any(op.is_failure_record for op in h.ops)
        }
        touched = sorted({_base(h) for h in failed_history}
                         | {p for p in primitives for a in failed_attrs
                            if _failure_attribute(a, p)})
        if not touched:
            continue
        sets = tuple(
            replace(s, pairs=tuple(p for p in s.pairs if p[0] not in failed_attrs))
            for s in state.transient_attributes
        )
        histories = tuple(h for h in state.resources if _base(h.id) not in touched)
        status = status.with_node(replace(state, transient_attributes=sets,
                                          resources=histories))
        cleaned += [f"{p} on {state.uname}" for p in touched]
    return cib.with_status(status), cleaned


def fail(cib: Cib, rsc: str, node: str, now: int) -> Cib:
    """Record a failed monitor of RSC on NODE and count it (``crm_resource --fail``)."""
    resource = _resource(cib, rsc)
    _check_node(cib, node)
    state = cib.status.node(node)
    if state is None:
        raise ConfigError(f"{node} has no status yet; nothing runs there to fail")
    primitive = primitives_of(resource)[0]
    history = next((h for h in state.resources if _base(h.id) == primitive.id), None)
    if history is None:
        raise ConfigError(f"{primitive.id} has never run on {node}; nothing to fail")
    promoted = node in current_nodes(cib, rsc, now, promoted_only=True)
    monitor = _monitor_for(primitive, Role.PROMOTED if promoted else None)
    interval = monitor.interval_ms if monitor else 0
    task = f"{primitive.id}_monitor_{interval}"
    target = OcfRc.RUNNING_PROMOTED if promoted else OcfRc.OK
    call_id = 1 + max((op.call_id for h in state.resources for op in h.ops), default=0)
    key = f"0:-1:{int(target)}:harm-resource-fail"
    record = OpRecord(
        id=f"{history.id}_last_failure_0",
        operation="monitor",
        interval_ms=interval,
        rc=OcfRc.ERR_GENERIC,
        status=ExecStatus.DONE,
        call_id=call_id,
        last_rc_change=now,
        last_run=now,
        exec_time=0,
        queue_time=0,
        on_node=node,
        exit_reason="failure recorded by 'harm resource fail'",
        transition_key=key,
        transition_magic=f"0:{int(OcfRc.ERR_GENERIC)};{key}",
        extra=(("operation_key", task),),
    )
    ops = (*(op for op in history.ops if op.id != record.id), record)
    histories = tuple(replace(h, ops=ops) if h is history else h for h in state.resources)
    cib = cib.with_status(cib.status.with_node(replace(state, resources=histories)))
    suffix = f"{primitive.id}#monitor_{interval}"
    count = attributes.query(cib, node, f"fail-count-{suffix}", Lifetime.REBOOT)
    cib = attributes.update(cib, node, f"fail-count-{suffix}",
                            str(int(count or "0") + 1), Lifetime.REBOOT)
    return attributes.update(cib, node, f"last-failure-{suffix}", str(now), Lifetime.REBOOT)


def _monitor_for(primitive: Primitive, role: Role | None) -> Op | None:
    monitors = [op for op in primitive.ops if op.name == "monitor" and op.interval_ms > 0]
    for op in monitors:
        if role is not None and op.role is role:
            return op
    for op in monitors:
        if op.role in (None, Role.STARTED, Role.UNPROMOTED):
            return op
    return monitors[0] if monitors else None


# ----------------------------------------------------------------------------- nodes


def set_node_state(cib: Cib, node: str, state: str) -> Cib:
    """``standby``, ``online``, ``maintenance`` or ``ready`` (permanent node attributes)."""
    name, value = NODE_STATES[state]
    return attributes.update(cib, node, name, value, Lifetime.FOREVER)
