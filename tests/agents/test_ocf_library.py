"""The agent library: environment, meta-data, attribute stores, the runner."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from harm.cib.status import OcfRc
from harm.errors import AgentError
from harm.ocf.attributes import (
    DirectoryStore,
    HarmSocketStore,
    Lifetime,
    PacemakerStore,
    choose_backend,
    store_from_environ,
)
from harm.ocf.deadline import Deadline
from harm.ocf.env import OcfEnv
from harm.ocf.metadata import ActionSpec, AgentInfo, Parameter, ParamType
from harm.ocf.outcome import ActionError, failed
from harm.ocf.runner import Agent


def test_environment_splits_parameters_and_meta() -> None:
    env = OcfEnv.from_environ(
        "monitor",
        {
            "OCF_RESOURCE_INSTANCE": "r_pgsql:1",
            "OCF_RESKEY_pgport": "5433",
            "OCF_RESKEY_CRM_meta_timeout": "30000",
            "OCF_RESKEY_CRM_meta_interval": "0",
            "OCF_RESKEY_CRM_meta_on_node": "osspc30",
            "HA_NODENAME": "other",
        },
    )
    assert env.params == {"pgport": "5433"}
    assert env.meta["timeout"] == "30000"
    assert env.resource == "r_pgsql"
    assert env.timeout_ms == 30000
    assert env.is_probe
    assert env.node_name == "osspc30"
    assert env.int_param("pgport", 5432) == 5433
    assert env.int_param("missing", 7) == 7


def test_node_name_falls_back_to_ha_nodename_and_timeout_to_default() -> None:
    env = OcfEnv.from_environ("start", {"HA_NODENAME": "n2", "OCF_RESKEY_CRM_meta_timeout": "x"})
    assert env.node_name == "n2"
    assert env.timeout_ms == 20_000
    assert not env.is_probe


@pytest.mark.parametrize(("raw", "value"), [("yes", True), ("0", False), ("TRUE", True)])
def test_boolean_parameters(raw: str, value: bool) -> None:
    assert OcfEnv.from_environ("start", {"OCF_RESKEY_b": raw}).bool_param("b", not value) is value


def test_bad_integer_is_a_configuration_error() -> None:
    env = OcfEnv.from_environ("start", {"OCF_RESKEY_n": "many"})
    with pytest.raises(ActionError) as caught:
        env.int_param("n", 1)
    assert caught.value.rc is OcfRc.ERR_CONFIGURED
    assert "many" in caught.value.reason


def test_meta_data_xml_shape() -> None:
    info = AgentInfo(
        name="X",
        shortdesc="short <&>",
        longdesc="long",
        parameters=(Parameter("p", "P", "the p", ParamType.INTEGER, "3", required=True),),
        actions=(ActionSpec("monitor", "20s", interval="10s", role="Promoted"),),
    )
    root = ET.fromstring(info.to_xml().split("\n", 2)[2])
    assert root.get("name") == "X"
    assert root.findtext("shortdesc") == "short <&>"
    param = root.find("parameters/parameter")
    assert param is not None and param.get("required") == "1"
    content = param.find("content")
    assert content is not None and content.get("type") == "integer"
    assert content.get("default") == "3"
    action = root.find("actions/action")
    assert action is not None and action.get("role") == "Promoted"


def _agent() -> Agent:
    def start(env: OcfEnv) -> OcfRc:
        raise failed("it broke")

    def stop(env: OcfEnv) -> OcfRc:
        raise AgentError("tool missing")

    info = AgentInfo("T", "t", "t", (), (ActionSpec("start"), ActionSpec("stop")))
    return Agent(info, {"start": start, "stop": stop, "monitor": lambda env: OcfRc.NOT_RUNNING})


def test_runner_exit_codes_and_reason() -> None:
    err = io.StringIO()
    assert _agent().run(["start"], {}, io.StringIO(), err) == 1
    assert err.getvalue() == "ocf-exit-reason:it broke\n"
    assert _agent().run(["stop"], {}, io.StringIO(), io.StringIO()) == 1
    assert _agent().run(["status"], {}, io.StringIO(), io.StringIO()) == 7
    assert _agent().run(["migrate_to"], {}, io.StringIO(), io.StringIO()) == 3
    assert _agent().run([], {}, io.StringIO(), io.StringIO()) == 2
    out = io.StringIO()
    assert _agent().run(["meta-data"], {}, out, io.StringIO()) == 0
    assert "<resource-agent" in out.getvalue()


def test_directory_store_round_trip_and_lifetimes(tmp_path: Path) -> None:
    store = DirectoryStore(tmp_path)
    assert store.query("n1", "pingd") is None
    store.update("n1", "pingd", "100")
    assert store.query("n1", "pingd") == "100"
    assert (tmp_path / "reboot" / "n1" / "pingd").read_text() == "100"
    store.update("n1", "pingd", "200", lifetime=Lifetime.FOREVER)
    assert not (tmp_path / "reboot" / "n1" / "pingd").exists()
    assert store.query("n1", "pingd") == "200"
    age = store.age_s("n1", "pingd", now=(tmp_path / "forever" / "n1" / "pingd").stat().st_mtime)
    assert age == 0
    store.update("n1", "other", "x")
    store.forget_node("n1")
    assert store.query("n1", "other") is None
    assert store.query("n1", "pingd") == "200"  # forever survives the node leaving
    store.delete("n1", "pingd")
    store.delete("n1", "pingd")  # deleting a missing attribute is fine
    assert store.query("n1", "pingd") is None
    assert not [p for p in tmp_path.rglob("*.tmp")]
    with pytest.raises(AgentError):
        store.update("../etc", "x", "1")


def test_backend_choice() -> None:
    assert choose_backend({"HARM_ATTRIBUTE_DIR": "/x"}) == "dir"
    assert choose_backend({"OCF_RESKEY_crm_feature_set": "3.16.2"}) == "pacemaker"
    assert choose_backend({}) == "harm"
    explicit = {"HARM_ATTRIBUTE_BACKEND": "harm", "HARM_ATTRIBUTE_DIR": "/x"}
    assert choose_backend(explicit) == "harm"
    with pytest.raises(AgentError):
        choose_backend({"HARM_ATTRIBUTE_BACKEND": "etcd"})
    assert isinstance(store_from_environ({"HARM_ATTRIBUTE_DIR": "/x"}), DirectoryStore)
    assert isinstance(
        store_from_environ({"OCF_RESKEY_crm_feature_set": "3"}), PacemakerStore
    )
    harm = store_from_environ({"HARM_SOCKET": "/run/lab/harmd.sock"})
    assert harm == HarmSocketStore(Path("/run/lab/harmd.sock"))


def test_deadline_waits_until_probe_answers_or_time_is_up() -> None:
    now = [0.0]

    def sleep(seconds: float) -> None:
        now[0] += seconds

    deadline = Deadline(at=2.0, clock=lambda: now[0], sleep=sleep)
    assert deadline.wait_for(lambda: "ok" if now[0] >= 1.0 else None, interval=0.5) == "ok"
    assert deadline.wait_for(lambda: None, interval=0.5) is None
    assert deadline.expired()
