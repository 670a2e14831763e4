"""Typed controller messages and operator requests, and the one decoder that makes them.

A cluster message arrives as ``(kind, payload)`` from :mod:`harm.control.wire`; an operator
request as a JSON object on the control socket. Both are input: :func:`decode_message` and
:func:`decode_request` turn them into frozen dataclasses, or raise
:class:`~harm.errors.ControlError` with the reason. Nothing past them sees a field of the
wrong type, an integer out of range, or text that is not text.

    message := Hello | Resync | CibUpdate | RunOp | CancelOp | ForgetRsc | FailOp | State
             | Request | Reply | RunFence | Fenced     (by kind, see harm.control.controller)
    request := Commit | SetAttribute | Cleanup | InjectFailure | ChangeTicket | FenceNode
                                                                          (by "op")

:data:`DC_KINDS` are the kinds only the DC may send: the controller obeys them only from
the node it takes for DC, and counts the others as ignored.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from harm.control.codec import request_from_json, request_to_json
from harm.errors import ControlError
from harm.executor.request import OpRequest
from harm.fencing.coordination import FENCE_ACTIONS
from harm.operations.tickets import CHANGES

MAX_NAME = 255
MAX_INTERVAL_MS = 2**31 - 1  # Pacemaker's intervals are milliseconds in a guint
MAX_DELAY_MS = 2**31 - 1
LIFETIMES = ("reboot", "forever", "transient", "status", "permanent", "nodes")
MAX_XML_DEPTH = 64  # a CIB nests about 8 levels; 600 crash the XML writer's recursion

_XML_SKIP = re.compile(r"<!--.*?-->|<!\[CDATA\[.*?\]\]>|<\?.*?\?>", re.DOTALL)
_XML_TAG = re.compile(r"""<(/?)[^\s>/!?"']+(?:[^>"']|"[^"]*"|'[^']*')*?(/?)>""")


# ---------------------------------------------------------------------- operator requests


@dataclass(frozen=True)
class Commit:
    """Replace the configuration; ``base`` is the version the change was made on."""

    xml: str
    base: tuple[int, ...]


@dataclass(frozen=True)
class SetAttribute:
    node: str
    name: str
    value: str | None  # None: delete
    lifetime: str = "reboot"
    delay_ms: int = 0


@dataclass(frozen=True)
class Cleanup:
    rsc: str | None = None
    node: str | None = None


@dataclass(frozen=True)
class InjectFailure:
    node: str
    rsc: str
    action: str = "monitor"
    interval_ms: int = 0
    rc: int = 1


@dataclass(frozen=True)
class ChangeTicket:
    """Grant, revoke, put on standby or activate a ticket (``crm_ticket``)."""

    ticket: str
    change: str  # one of harm.operations.tickets.CHANGES

@dataclass(frozen=True)
class FenceNode:
    """``harm node fence NODE [--off|--on]``, answered when the fence has ended."""

    node: str
    action: str = "reboot"  # one of harm.fencing.coordination.FENCE_ACTIONS


OperatorRequest = Commit | SetAttribute | Cleanup | InjectFailure | ChangeTicket | FenceNode


def request_payload(request: OperatorRequest) -> dict[str, Any]:
    """The canonical JSON form of ``request`` (what the coordinator reads)."""
    match request:
        case Commit(xml, base):
            return {"op": "commit", "xml": xml, "base": list(base)}
        case SetAttribute(node, name, value, lifetime, delay_ms):
            return {"op": "attribute", "node": node, "name": name, "value": value,
                    "lifetime": lifetime, "delay_ms": delay_ms}
        case Cleanup(rsc, node):
            return {"op": "cleanup", "rsc": rsc, "node": node}
        case InjectFailure(node, rsc, action, interval_ms, rc):
            return {"op": "fail", "node": node, "rsc": rsc, "action": action,
                    "interval_ms": interval_ms, "rc": rc}
        case ChangeTicket(ticket, change):
            return {"op": "ticket", "ticket": ticket, "change": change}
        case FenceNode(node, action):
            return {"op": "fence", "node": node, "action": action}


def decode_request(data: Mapping[str, Any]) -> OperatorRequest:
    """The operator request ``data`` describes (``"op"`` selects it); ControlError if not."""
    op = data.get("op")
    if op == "commit":
        base = data.get("base")
        if not isinstance(base, list) or not 2 <= len(base) <= 3 or not all(
                _is_int(v, 0, 2**63 - 1) for v in base):
            raise ControlError('commit needs "base" [admin_epoch, epoch, …] (integers)')
        return Commit(cib_text(data, "xml"), tuple(base))
    if op == "attribute":
        lifetime = text(data, "lifetime", optional=True) or "reboot"
        if lifetime.lower() not in LIFETIMES:
            raise ControlError(f"lifetime must be reboot or forever, not {lifetime!r}")
        delay = data.get("delay_ms")
        return SetAttribute(name(data, "node"), name(data, "name"),
                            text(data, "value", optional=True, limit=None), lifetime,
                            0 if delay is None else integer(data, "delay_ms", 0, MAX_DELAY_MS))
    if op == "cleanup":
        return Cleanup(name(data, "rsc", optional=True), name(data, "node", optional=True))
    if op == "fail":
        return InjectFailure(
            name(data, "node"), name(data, "rsc"),
            name(data, "action", optional=True) or "monitor",
            0 if data.get("interval_ms") is None else
            integer(data, "interval_ms", 0, MAX_INTERVAL_MS),
            1 if data.get("rc") is None else integer(data, "rc", 0, 255))
    if op == "ticket":
        change = name(data, "change")
        if change not in CHANGES:
            raise ControlError(f"a ticket can be {', '.join(CHANGES)}, not {change!r}")
        return ChangeTicket(name(data, "ticket"), change)
    if op == "fence":
        action = name(data, "action", optional=True) or "reboot"
        if action not in FENCE_ACTIONS:
            raise ControlError(f"fence action must be one of {', '.join(FENCE_ACTIONS)}")
        return FenceNode(name(data, "node"), action)
    raise ControlError(
        f"unknown request {op!r} (commit, attribute, cleanup, fail, ticket or fence)")


# ---------------------------------------------------------------------- cluster messages


@dataclass(frozen=True)
class Hello:
    members: tuple[str, ...]
    dc: str | None
    cib: str


@dataclass(frozen=True)
class Resync:
    pass


@dataclass(frozen=True)
class CibUpdate:
    xml: str


@dataclass(frozen=True)
class RunOp:
    request: OpRequest


@dataclass(frozen=True)
class CancelOp:
    rsc: str
    action: str
    interval_ms: int


@dataclass(frozen=True)
class ForgetRsc:
    rsc: str | None


@dataclass(frozen=True)
class FailOp:
    rsc: str
    action: str
    interval_ms: int
    rc: int


@dataclass(frozen=True)
class Result:
    """The result a node reports with its history (see ``controller.result_info``)."""

    key: str | None
    rsc: str
    action: str
    interval_ms: int
    rc: int
    status: int
    target_rc: int
    exit_reason: str | None
    anonymous: bool

    def payload(self) -> dict[str, Any]:
        return {"key": self.key, "rsc": self.rsc, "action": self.action,
                "interval_ms": self.interval_ms, "rc": self.rc, "status": self.status,
                "target_rc": self.target_rc, "exit_reason": self.exit_reason,
                "anonymous": self.anonymous}


@dataclass(frozen=True)
class State:
    cib: str
    result: Result | None


@dataclass(frozen=True)
class Request:
    """An operator's request passed to the DC, with the id its origin tracks it by."""

    id: str
    request: OperatorRequest

    def payload(self) -> dict[str, Any]:
        return {"id": self.id, **request_payload(self.request)}


@dataclass(frozen=True)
class Reply:
    id: str
    ok: bool
    message: str | None


@dataclass(frozen=True)
class RunFence:
    """Run a fencing operation for the DC (``harm.fencing.coordination.plan_message``)."""

    id: str
    target: str
    action: str
    delay_ms: int
    origin: str
    client: str

    def payload(self) -> dict[str, Any]:
        return {"id": self.id, "target": self.target, "action": self.action,
                "delay_ms": self.delay_ms, "origin": self.origin, "client": self.client}


@dataclass(frozen=True)
class Fenced:
    """How a fencing operation ended (``harm.fencing.fencer.FenceOutcome`` as JSON)."""

    outcome: dict[str, Any]


Message = (Hello | Resync | CibUpdate | RunOp | CancelOp | ForgetRsc | FailOp | State
           | Request | Reply | RunFence | Fenced)
DC_KINDS = frozenset({"cib", "op", "cancel", "forget", "fail", "fence"})


def _hello(data: Mapping[str, Any]) -> Hello:
    members = data.get("members")
    if not isinstance(members, list) or len(members) > 1024 or not all(
            _is_name(m) for m in members):
        raise ControlError("hello: members must be a list of node names")
    return Hello(tuple(members), name(data, "dc", optional=True), cib_text(data, "cib"))


def _result(value: Any) -> Result | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise ControlError("state: result must be an object")
    anonymous = value.get("anonymous", False)
    if not isinstance(anonymous, bool):
        raise ControlError("field 'anonymous' must be true or false")
    return Result(
        key=text(value, "key", optional=True), rsc=name(value, "rsc"),
        action=name(value, "action"),
        interval_ms=integer(value, "interval_ms", 0, MAX_INTERVAL_MS),
        rc=integer(value, "rc", -(2**31), 2**31 - 1),
        status=integer(value, "status", -1, 255),
        target_rc=integer(value, "target_rc", -(2**31), 2**31 - 1),
        exit_reason=text(value, "exit_reason", optional=True, limit=None), anonymous=anonymous)


def _request(data: Mapping[str, Any]) -> Request:
    return Request(text(data, "id"), decode_request(data))


def _reply(data: Mapping[str, Any]) -> Reply:
    ok = data.get("ok")
    if not isinstance(ok, bool):
        raise ControlError("reply: 'ok' must be true or false")
    return Reply(text(data, "id"), ok, text(data, "message", optional=True, limit=None))


def _fence(data: Mapping[str, Any]) -> RunFence:
    return RunFence(text(data, "id"), name(data, "target"), name(data, "action"),
                    integer(data, "delay_ms", 0, MAX_DELAY_MS), text(data, "origin"),
                    text(data, "client"))


def _fenced(data: Mapping[str, Any]) -> Fenced:
    outcome = data.get("outcome")
    if not isinstance(outcome, dict):
        raise ControlError("fenced: outcome must be an object")
    if not isinstance(outcome.get("ok"), bool):
        raise ControlError("fenced: 'ok' must be true or false")
    for field in ("plan_id", "delegate", "device", "origin", "client"):
        text(outcome, field)
    text(outcome, "reason", limit=None)
    name(outcome, "target")
    name(outcome, "action")
    integer(outcome, "completed", 0, 2**63 - 1)
    return Fenced(dict(outcome))


def _op(data: Mapping[str, Any]) -> RunOp:
    request = request_from_json(data.get("request"))
    for value in _texts(request_to_json(request)):
        _check_text(value, "op")
    return RunOp(request)


_DECODERS: dict[str, Callable[[Mapping[str, Any]], Message]] = {
    "hello": _hello,
    "resync": lambda _data: Resync(),
    "cib": lambda data: CibUpdate(cib_text(data, "xml")),
    "op": _op,
    "cancel": lambda data: CancelOp(name(data, "rsc"), name(data, "action"),
                                    integer(data, "interval_ms", 0, MAX_INTERVAL_MS)),
    "forget": lambda data: ForgetRsc(name(data, "rsc", optional=True)),
    "fail": lambda data: FailOp(name(data, "rsc"), name(data, "action"),
                                integer(data, "interval_ms", 0, MAX_INTERVAL_MS),
                                integer(data, "rc", 0, 255)),
    "state": lambda data: State(cib_text(data, "cib"), _result(data.get("result"))),
    "request": _request,
    "reply": _reply,
    "fence": _fence,
    "fenced": _fenced,
}
KINDS = frozenset(_DECODERS)


def decode_message(kind: str, payload: Mapping[str, Any]) -> Message:
    """The typed message of ``kind``; ControlError (with the reason) when malformed."""
    decoder = _DECODERS.get(kind)
    if decoder is None:
        raise ControlError(f"unknown message kind {kind[:40]!r}")
    return decoder(payload)


# ---------------------------------------------------------------------- fields


def xml_depth(xml: str, limit: int = MAX_XML_DEPTH) -> int:
    """How deeply ``xml``'s elements nest, counted up to ``limit + 1`` (regular
    expressions at C speed, then one pass per level)."""
    marks = "".join("" if close_self else ("c" if closing else "o")
                    for closing, close_self in _XML_TAG.findall(_XML_SKIP.sub("", xml)))
    level = 0
    while marks and level <= limit:
        shorter = marks.replace("oc", "")
        if shorter == marks:
            return level
        marks = shorter
        level += 1
    return level + (1 if marks else 0)


def cib_text(data: Mapping[str, Any], field: str) -> str:
    """``data[field]`` as a CIB's XML text, nested at most :data:`MAX_XML_DEPTH` deep."""
    value: str = text(data, field, limit=None)
    if xml_depth(value) > MAX_XML_DEPTH:
        raise ControlError(f"field {field!r}: XML nested more than {MAX_XML_DEPTH} levels")
    return value



def _is_int(value: Any, low: int, high: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def _is_name(value: Any) -> bool:
    return isinstance(value, str) and 0 < len(value) <= MAX_NAME and value.isprintable()


def _check_text(value: str, field: str) -> None:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ControlError(f"field {field!r} is not text (a lone surrogate)") from None


def integer(data: Mapping[str, Any], field: str, low: int, high: int) -> int:
    """``data[field]`` as an integer within ``low..high`` (not a boolean, not a float)."""
    value = data.get(field)
    if not _is_int(value, low, high):
        raise ControlError(f"field {field!r} must be an integer in {low}..{high}, "
                           f"not {str(value)[:40]!r}")
    assert isinstance(value, int)
    return value


def text(data: Mapping[str, Any], field: str, *, optional: bool = False,
         limit: int | None = 4096) -> Any:
    """``data[field]`` as text (None allowed when ``optional``), valid UTF-8 and at most
    ``limit`` characters."""
    value = data.get(field)
    if value is None and optional:
        return None
    if not isinstance(value, str):
        raise ControlError(f"field {field!r} must be text")
    if limit is not None and len(value) > limit:
        raise ControlError(f"field {field!r} is longer than {limit} characters")
    _check_text(value, field)
    return value


def name(data: Mapping[str, Any], field: str, *, optional: bool = False) -> Any:
    """``data[field]`` as a name: printable text of 1..255 characters."""
    value = data.get(field)
    if value is None and optional:
        return None
    if not _is_name(value):
        raise ControlError(f"field {field!r} must be a name (printable, 1-{MAX_NAME} "
                           "characters)")
    return value


def _texts(value: Any) -> list[str]:
    out: list[str] = []
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            out.append(item)
        elif isinstance(item, dict):
            stack.extend(item.values())
            stack.extend(item.keys())
        elif isinstance(item, list | tuple):
            stack.extend(item)
    return out
