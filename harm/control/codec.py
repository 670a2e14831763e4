"""Executor requests as JSON, so the coordinator can ask another node to run them.

``request_to_json`` / ``request_from_json`` are exact inverses for every
:class:`~harm.executor.request.OpRequest`; decoding checks types and raises
:class:`~harm.errors.ControlError` on anything malformed (a peer's message is input).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from harm.cib.config import AgentRef, Pairs, Role
from harm.errors import ControlError
from harm.executor.request import CloneInfo, NotifyInfo, OpRequest, Peer

_PEER_LISTS = ("start", "stop", "promote", "demote", "active", "inactive", "promoted",
               "unpromoted")


def _pairs(pairs: Pairs) -> list[list[str]]:
    return [[name, value] for name, value in pairs]


def request_to_json(request: OpRequest) -> dict[str, Any]:
    data: dict[str, Any] = {
        "rsc": request.rsc,
        "agent": [request.agent.cls, request.agent.provider, request.agent.type],
        "action": request.action,
        "interval_ms": request.interval_ms,
        "timeout_ms": request.timeout_ms,
        "params": _pairs(request.params),
        "meta": _pairs(request.meta),
        "role": request.role.value if request.role is not None else None,
        "transition_key": request.transition_key,
        "target_rc": request.target_rc,
        "op_params": _pairs(request.op_params),
        "start_delay_ms": request.start_delay_ms,
        "clone": None,
        "notify": None,
    }
    if request.clone is not None:
        c = request.clone
        data["clone"] = {
            "instance": c.instance, "clone_max": c.clone_max,
            "clone_node_max": c.clone_node_max, "promotable": c.promotable,
            "promoted_max": c.promoted_max, "promoted_node_max": c.promoted_node_max,
            "notify": c.notify, "globally_unique": c.globally_unique,
        }
    if request.notify is not None:
        n = request.notify
        notify: dict[str, Any] = {"kind": n.kind, "operation": n.operation,
                                  "available_unames": list(n.available_unames),
                                  "all_unames": list(n.all_unames)}
        for name in _PEER_LISTS:
            notify[name] = [[p.resource, p.uname] for p in getattr(n, name)]
        data["notify"] = notify
    return data


def field_text(data: Mapping[str, Any], name: str, optional: bool = False) -> Any:
    """``data[name]`` as text (None allowed when ``optional``); ControlError otherwise.
    Every controller message field is read this way: a peer's message is input."""
    value = data.get(name)
    if value is None and optional:
        return None
    if not isinstance(value, str):
        raise ControlError(f"field {name!r} must be text")
    return value


INT_MAX = 2**31 - 1  # milliseconds, counts, exit codes: what Pacemaker keeps in an int


def field_int(data: Mapping[str, Any], name: str, low: int = 0, high: int = INT_MAX) -> int:
    """``data[name]`` as an integer in ``low..high`` (not a boolean); ControlError
    otherwise."""
    value = data.get(name)
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise ControlError(f"field {name!r} must be an integer in {low}..{high}")
    return value


def _bool(data: dict[str, Any], name: str) -> bool:
    value = data.get(name)
    if not isinstance(value, bool):
        raise ControlError(f"field {name!r} must be true or false")
    return value


def _pairs_from(value: Any, name: str) -> Pairs:
    if not isinstance(value, list) or not all(
            isinstance(p, list) and len(p) == 2 and all(isinstance(x, str) for x in p)
            for p in value):
        raise ControlError(f"request field {name!r} must be a list of name/value pairs")
    return tuple((p[0], p[1]) for p in value)


def _peers(value: Any, name: str) -> tuple[Peer, ...]:
    return tuple(Peer(a, b) for a, b in _pairs_from(value, name))


def request_from_json(data: Any) -> OpRequest:
    """The request ``data`` describes; ControlError when malformed."""
    if not isinstance(data, dict):
        raise ControlError("a request must be an object")
    agent = data.get("agent")
    if not (isinstance(agent, list) and len(agent) == 3 and isinstance(agent[0], str)
            and isinstance(agent[2], str) and (agent[1] is None or isinstance(agent[1], str))):
        raise ControlError("request field 'agent' must be [class, provider, type]")
    role_text = field_text(data, "role", optional=True)
    clone = None
    if data.get("clone") is not None:
        c = data["clone"]
        if not isinstance(c, dict):
            raise ControlError("request field 'clone' must be an object")
        instance = c.get("instance")
        if instance is not None:
            instance = field_int(c, "instance")
        clone = CloneInfo(
            instance=instance, clone_max=field_int(c, "clone_max"),
            clone_node_max=field_int(c, "clone_node_max"), promotable=_bool(c, "promotable"),
            promoted_max=field_int(c, "promoted_max"),
            promoted_node_max=field_int(c, "promoted_node_max"),
            notify=_bool(c, "notify"), globally_unique=_bool(c, "globally_unique"))
    notify = None
    if data.get("notify") is not None:
        n = data["notify"]
        if not isinstance(n, dict):
            raise ControlError("request field 'notify' must be an object")
        unames = [n.get("available_unames"), n.get("all_unames")]
        if not all(isinstance(u, list) and all(isinstance(x, str) for x in u) for u in unames):
            raise ControlError("notify unames must be lists of names")
        notify = NotifyInfo(
            kind=field_text(n, "kind"), operation=field_text(n, "operation"),
            available_unames=tuple(n["available_unames"]), all_unames=tuple(n["all_unames"]),
            **{name: _peers(n.get(name, []), name) for name in _PEER_LISTS})
    try:
        return OpRequest(
            rsc=field_text(data, "rsc"),
            agent=AgentRef(agent[0], agent[1], agent[2]),
            action=field_text(data, "action"),
            interval_ms=field_int(data, "interval_ms"),
            timeout_ms=field_int(data, "timeout_ms"),
            params=_pairs_from(data.get("params"), "params"),
            meta=_pairs_from(data.get("meta"), "meta"),
            role=Role.parse(role_text) if role_text is not None else None,
            clone=clone,
            notify=notify,
            transition_key=field_text(data, "transition_key", optional=True),
            target_rc=field_int(data, "target_rc", -INT_MAX - 1),
            op_params=_pairs_from(data.get("op_params"), "op_params"),
            start_delay_ms=field_int(data, "start_delay_ms"),
        )
    except ValueError as error:
        raise ControlError(f"invalid request: {error}") from None
