"""Executor requests as JSON: an exact round trip, and ControlError for anything malformed
(a request comes from a peer, so it is input)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harm.cib.config import AgentRef, Role
from harm.control.codec import request_from_json, request_to_json
from harm.errors import ControlError
from harm.executor.request import ACTIONS, CloneInfo, NotifyInfo, OpRequest, Peer

names = st.text(st.characters(min_codepoint=33, max_codepoint=0x2FF), min_size=1,
                max_size=12)
texts = st.text(max_size=20)
pairs = st.lists(st.tuples(names, texts), max_size=4).map(tuple)
counts = st.integers(min_value=0, max_value=10_000)
peers = st.lists(st.builds(Peer, names, names), max_size=3).map(tuple)

clone_infos = st.builds(
    CloneInfo,
    instance=st.none() | st.integers(min_value=0, max_value=64),
    clone_max=counts, clone_node_max=counts, promotable=st.booleans(),
    promoted_max=counts, promoted_node_max=counts, notify=st.booleans(),
    globally_unique=st.booleans())

notify_infos = st.builds(
    NotifyInfo,
    kind=st.sampled_from(["pre", "post"]),
    operation=st.sampled_from(["start", "stop", "promote", "demote"]),
    start=peers, stop=peers, promote=peers, demote=peers, active=peers, inactive=peers,
    promoted=peers, unpromoted=peers,
    available_unames=st.lists(names, max_size=3).map(tuple),
    all_unames=st.lists(names, max_size=3).map(tuple))


@st.composite
def requests(draw: st.DrawFn) -> OpRequest:
    action = draw(st.sampled_from(ACTIONS))
    notify = draw(notify_infos) if action == "notify" else draw(st.none() | notify_infos)
    cls = draw(st.sampled_from(["ocf", "lsb", "systemd", "stonith"]))
    return OpRequest(
        rsc=draw(names),
        agent=AgentRef(cls, draw(names) if cls == "ocf" else None, draw(names)),
        action=action,
        interval_ms=draw(st.integers(min_value=0, max_value=10**9)),
        timeout_ms=draw(st.integers(min_value=1, max_value=10**9)),
        params=draw(pairs),
        meta=draw(pairs),
        role=draw(st.none() | st.sampled_from(list(Role))),
        clone=draw(st.none() | clone_infos),
        notify=notify,
        transition_key=draw(st.none() | names),
        target_rc=draw(st.integers(min_value=0, max_value=255)),
        op_params=draw(pairs),
        start_delay_ms=draw(st.integers(min_value=0, max_value=10**7)),
    )


@settings(max_examples=100, deadline=None)
@given(requests())
def test_round_trip_through_json_text(request: OpRequest) -> None:
    text = json.dumps(request_to_json(request))
    assert request_from_json(json.loads(text)) == request


def promotable_notify() -> OpRequest:
    return OpRequest(
        rsc="r_pgsql:1",
        agent=AgentRef("ocf", "heartbeat", "pgsql"),
        action="notify",
        timeout_ms=90_000,
        params=(("pgdata", "/var/lib/pgsql/data"), ("rep_mode", "sync")),
        meta=(("target-role", "Promoted"),),
        clone=CloneInfo(instance=1, clone_max=2, clone_node_max=1, promotable=True,
                        promoted_max=1, promoted_node_max=1, notify=True),
        notify=NotifyInfo(
            kind="pre", operation="promote",
            promote=(Peer("r_pgsql:1", "node2"),),
            active=(Peer("r_pgsql:0", "node1"), Peer("r_pgsql:1", "node2")),
            unpromoted=(Peer("r_pgsql:0", "node1"), Peer("r_pgsql:1", "node2")),
            available_unames=("node1", "node2"), all_unames=("node1", "node2", "node3")),
        transition_key="12:3:0:node1",
    )


def test_clone_and_notify_round_trip() -> None:
    request = promotable_notify()
    data = request_to_json(request)
    assert data["clone"]["instance"] == 1 and data["clone"]["promotable"] is True
    assert data["notify"]["promote"] == [["r_pgsql:1", "node2"]]
    assert data["notify"]["all_unames"] == ["node1", "node2", "node3"]
    back = request_from_json(json.loads(json.dumps(data)))
    assert back == request
    assert back.notify is not None and back.notify.meta() == request.notify.meta()  # type: ignore[union-attr]


def test_minimal_request_round_trip() -> None:
    request = OpRequest("r1", AgentRef("lsb", None, "cron"), "monitor", interval_ms=10_000,
                        role=Role.UNPROMOTED)
    data = request_to_json(request)
    assert data["agent"] == ["lsb", None, "cron"] and data["role"] == "Unpromoted"
    assert request_from_json(data) == request


def good() -> dict[str, Any]:
    return request_to_json(promotable_notify())


def broken(change: dict[str, Any], drop: tuple[str, ...] = ()) -> dict[str, Any]:
    data = good()
    data.update(change)
    for name in drop:
        data.pop(name)
    return data


def with_clone(**change: Any) -> dict[str, Any]:
    data = good()
    data["clone"] = {**data["clone"], **change}
    return data


def with_notify(**change: Any) -> dict[str, Any]:
    data = good()
    data["notify"] = {**data["notify"], **change}
    return data


MALFORMED: list[tuple[str, Any]] = [
    ("not an object", ["r1"]),
    ("null", None),
    ("rsc missing", broken({}, drop=("rsc",))),
    ("rsc a number", broken({"rsc": 5})),
    ("agent missing", broken({}, drop=("agent",))),
    ("agent too short", broken({"agent": ["ocf", "heartbeat"]})),
    ("agent type a number", broken({"agent": ["ocf", "heartbeat", 3]})),
    ("agent provider a number", broken({"agent": ["ocf", 1, "Dummy"]})),
    ("unknown action", broken({"action": "explode"})),
    ("action missing", broken({}, drop=("action",))),
    ("interval text", broken({"interval_ms": "10s"})),
    ("interval bool", broken({"interval_ms": True})),
    ("interval negative", broken({"interval_ms": -1})),
    ("timeout zero", broken({"timeout_ms": 0})),
    ("timeout float", broken({"timeout_ms": 1.5})),
    ("target_rc missing", broken({}, drop=("target_rc",))),
    ("params not pairs", broken({"params": [["a"]]})),
    ("params a dict", broken({"params": {"a": "b"}})),
    ("meta value a number", broken({"meta": [["a", 1]]})),
    ("op_params missing", broken({}, drop=("op_params",))),
    ("unknown role", broken({"role": "Boss"})),
    ("role a number", broken({"role": 1})),
    ("transition key a number", broken({"transition_key": 12})),
    ("start delay negative", broken({"start_delay_ms": -5})),
    ("clone a list", broken({"clone": [1]})),
    ("clone instance text", with_clone(instance="1")),
    ("clone_max missing", with_clone(clone_max=None)),
    ("promotable not bool", with_clone(promotable="true")),
    ("notify a list", broken({"notify": []})),
    ("notify kind missing", with_notify(kind=None)),
    ("notify unames not a list", with_notify(all_unames="node1 node2")),
    ("notify peers malformed", with_notify(start=[["r1:0"]])),
    ("notify action without notify info", broken({"notify": None})),
]


@pytest.mark.parametrize("data", [m[1] for m in MALFORMED], ids=[m[0] for m in MALFORMED])
def test_malformed_request_is_a_control_error(data: Any) -> None:
    with pytest.raises(ControlError):
        request_from_json(data)


def test_the_good_sample_itself_decodes() -> None:
    """The malformed cases differ from a request that decodes in one field only."""
    assert request_from_json(good()) == promotable_notify()


@pytest.mark.parametrize("name, value", [
    ("interval_ms", 2**64), ("timeout_ms", -1), ("start_delay_ms", 2**31), ("target_rc", 2**40),
    ("interval_ms", True), ("timeout_ms", 1.0),
])
def test_integers_out_of_range_are_refused(name: str, value: object) -> None:
    from harm.cib.config import AgentRef
    from harm.control.codec import request_to_json
    from harm.executor.request import OpRequest

    data = request_to_json(OpRequest(rsc="d", agent=AgentRef("ocf", "harm", "Dummy"),
                                     action="start"))
    data[name] = value
    with pytest.raises(ControlError, match=name):
        request_from_json(data)
