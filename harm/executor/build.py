"""From the configuration to an :class:`OpRequest`: what a transition action runs with.

For ``request_for(config, "r_pgsql:1", "monitor", 7000, …)``:

    primitive   the resource id without its clone instance suffix (``r_pgsql``)
    params      the primitive's instance attributes (sets without rules; an earlier set
                wins), unless the caller passes the rule-evaluated ``params`` itself
    op          the operation definition with that name and interval (and role, if given)
    timeout     the op's ``timeout``; for a probe without an op of its own, the timeout of
                the monitor with the shortest interval (Pacemaker 2.1's rule); then
                ``op_defaults``; then 20 s
    role        the op's role (``op monitor interval=7s role=Master``) unless given
    meta        the op's other attributes (``on-fail`` → ``CRM_meta_on_fail`` …)
    start delay the op's ``start-delay``, waited by the executor before the (first) run
    clone       for an instance of a clone: instance number, clone-max (default: the number
                of nodes), clone-node-max, promoted-max / master-max, promoted-node-max /
                master-node-max, notify, globally-unique
"""

from __future__ import annotations

from harm.cib.config import (
    Clone,
    Configuration,
    Group,
    Op,
    Pairs,
    Primitive,
    Role,
    is_true,
    merged,
)
from harm.cib.durations import parse_ms
from harm.errors import ConfigError
from harm.executor.request import DEFAULT_TIMEOUT_MS, CloneInfo, NotifyInfo, OpRequest

_OP_FIELDS = {"id", "name", "interval", "timeout", "role"}


def request_for(
    config: Configuration,
    rsc: str,
    action: str,
    interval_ms: int = 0,
    *,
    node_count: int | None = None,
    role: Role | None = None,
    params: Pairs | None = None,
    notify: NotifyInfo | None = None,
    transition_key: str | None = None,
    target_rc: int = 0,
) -> OpRequest:
    """The request for ``action`` of ``rsc`` (see the module doc); ConfigError when ``rsc``
    names no primitive."""
    base, _, suffix = rsc.partition(":")
    primitive = config.find_resource(base)
    if not isinstance(primitive, Primitive):
        raise ConfigError(f"{rsc}: no primitive resource of that id in the configuration")
    op = find_op(primitive, action, interval_ms, role)
    clone = enclosing_clone(config, primitive)
    clone_info = None
    if clone is not None:
        instance = int(suffix) if suffix.isdigit() else None
        clone_info = clone_meta(clone, instance, node_count or len(config.nodes) or 1)
    op_role = role if role is not None else op.role if op is not None else None
    return OpRequest(
        rsc=rsc,
        agent=primitive.agent,
        action=action,
        interval_ms=interval_ms,
        timeout_ms=op_timeout(config, primitive, op, action, interval_ms),
        params=params if params is not None else tuple(merged(primitive.params).items()),
        meta=_op_meta(op),
        role=op_role,
        clone=clone_info,
        notify=notify,
        transition_key=transition_key,
        target_rc=target_rc,
        op_params=tuple(merged(op.params).items()) if op is not None else (),
        start_delay_ms=_start_delay(primitive, op),
    )


def _start_delay(primitive: Primitive, op: Op | None) -> int:
    text = op.attr("start-delay") if op is not None else None
    if not text:
        return 0
    try:
        return parse_ms(text)
    except ValueError:
        raise ConfigError(f"{primitive.id}: start-delay {text!r} is not a duration") from None


def find_op(primitive: Primitive, action: str, interval_ms: int, role: Role | None) -> Op | None:
    """The op definition for ``action`` at ``interval_ms`` (preferring the given role)."""
    matches = [
        op for op in primitive.ops if op.name == action and _interval(op) == interval_ms
    ]
    for op in matches:
        if role is not None and op.role == role:
            return op
    return matches[0] if matches else None


def op_timeout(
    config: Configuration,
    primitive: Primitive,
    op: Op | None,
    action: str,
    interval_ms: int,
) -> int:
    """The timeout in ms an operation runs with (see the module doc)."""
    candidates = []
    if op is not None:
        candidates.append(op.attr("timeout"))
    if action == "monitor" and interval_ms == 0:
        monitors = [m for m in primitive.ops if m.name == "monitor" and (_interval(m) or 0) > 0]
        if monitors:
            shortest = min(monitors, key=lambda m: _interval(m) or 0)
            candidates.append(shortest.attr("timeout"))
    candidates.append(merged(config.op_defaults).get("timeout"))
    for text in candidates:
        if text:
            try:
                value = parse_ms(text)
            except ValueError:
                raise ConfigError(f"{primitive.id}: timeout {text!r} is not a duration") from None
            if value > 0:
                return value
    return DEFAULT_TIMEOUT_MS


def enclosing_clone(config: Configuration, primitive: Primitive) -> Clone | None:
    """The clone whose child is ``primitive`` or a group holding it."""
    for resource in config.resources:
        if not isinstance(resource, Clone):
            continue
        child = resource.child
        if child is primitive or child.id == primitive.id:
            return resource
        if isinstance(child, Group) and any(p.id == primitive.id for p in child.children):
            return resource
    return None


def clone_meta(clone: Clone, instance: int | None, node_count: int) -> CloneInfo:
    """The clone meta attributes Pacemaker passes to an instance, with its defaults."""

    def number(*names: str, default: int) -> int:
        for name in names:
            value = clone.meta_value(name)
            if value is not None:
                try:
                    return int(value)
                except ValueError:
                    raise ConfigError(f"{clone.id}: {name}={value!r} is not a number") from None
        return default

    def flag(name: str) -> bool:
        value = clone.meta_value(name)
        return value is not None and is_true(value)

    return CloneInfo(
        instance=instance,
        clone_max=number("clone-max", default=node_count),
        clone_node_max=number("clone-node-max", default=1),
        promotable=clone.promotable,
        promoted_max=number("promoted-max", "master-max", default=1),
        promoted_node_max=number("promoted-node-max", "master-node-max", default=1),
        notify=flag("notify"),
        globally_unique=flag("globally-unique"),
    )


def _op_meta(op: Op | None) -> Pairs:
    if op is None:
        return ()
    return tuple((name, value) for name, value in op.attrs if name not in _OP_FIELDS)


def _interval(op: Op) -> int | None:
    try:
        return op.interval_ms
    except ValueError:
        return None
