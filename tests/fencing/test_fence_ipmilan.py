"""The stock fence_ipmilan against a real IPMI BMC: OpenIPMI's ipmi_sim on loopback, its
chassis power control a script that keeps the power state in a file."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from harm.cib.config import AgentRef, NvSet, Primitive
from harm.executor.request import OpRequest
from harm.fencing.agent import run_agent
from harm.fencing.device import Device
from harm.fencing.fencer import execute
from harm.fencing.plan import FencePlan, Level
from harm.fencing.resource import DeviceRegistry
from harm.lab.bmc import EMU

pytestmark = pytest.mark.skipif(shutil.which("ipmi_sim") is None or
                                not Path("/usr/sbin/fence_ipmilan").exists(),
                                reason="needs openipmi and fence-agents")

CHASSIS = """#!/bin/sh
state={state}
echo "$*" >> {state}.log
case "$1" in
get) for p in "$@"; do [ "$p" = power ] && echo "power:$(cat $state)"; done;;
set) [ "$2" = power ] && echo "$3" > $state;;
esac
exit 0
"""


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Bmc:
    def __init__(self, folder: Path, port: int) -> None:
        self.folder, self.port = folder, port
        self.state = folder / "power"

    @property
    def power(self) -> str:
        return self.state.read_text().strip()

    def calls(self) -> list[str]:
        return (self.folder / "power.log").read_text().splitlines()


@pytest.fixture
def bmc(tmp_path: Path) -> Iterator[Bmc]:
    port = free_udp_port()
    state = tmp_path / "power"
    state.write_text("1\n")
    script = tmp_path / "chassis.sh"
    script.write_text(CHASSIS.format(state=state))
    script.chmod(0o755)
    (tmp_path / "lan.conf").write_text(f"""name "testbmc"
set_working_mc 0x20
  startlan 1
    addr 127.0.0.1 {port}
    priv_limit admin
    allowed_auths_admin none md2 md5 straight
    guid 0123456789abcdef0123456789abcdef
  endlan
  chassis_control "{script}"
user 2 true "admin" "secret" admin 10 none md2 md5 straight
""")
    (tmp_path / "bmc.emu").write_text(EMU)
    (tmp_path / "state").mkdir()
    proc = subprocess.Popen(["ipmi_sim", "-c", str(tmp_path / "lan.conf"), "-f",
                             str(tmp_path / "bmc.emu"), "-s", str(tmp_path / "state"), "-n"],
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        found = Bmc(tmp_path, port)
        deadline = time.monotonic() + 10
        while run_agent(device(found), "status", "n1", 10_000).rc != 0:
            assert time.monotonic() < deadline, "ipmi_sim does not answer"
            time.sleep(0.2)
        yield found
    finally:
        proc.kill()
        proc.wait(10)


def device(bmc: Bmc, password: str = "secret", name: str = "st_ipmi") -> Device:
    params = (("ip", "127.0.0.1"), ("ipport", str(bmc.port)), ("username", "admin"),
              ("password", password), ("pcmk_host_list", "n1"), ("power_wait", "0"),
              ("pcmk_reboot_retries", "1"))
    if password != "secret":  # a refused login ends after ~5 s instead of ~8 s
        params = (*params, ("ipmitool_timeout", "1"))
    primitive = Primitive(name, AgentRef("stonith", None, "fence_ipmilan"),
                          params=(NvSet(f"{name}-params", params),))
    return Device.from_primitive(primitive)


def test_status_off_on_through_the_stdin_api(bmc: Bmc) -> None:
    good = device(bmc)
    assert run_agent(good, "status", "n1", 20_000).rc == 0  # on
    assert run_agent(good, "off", "n1", 20_000).ok and bmc.power == "0"
    assert run_agent(good, "status", "n1", 20_000).rc == 2  # off
    assert run_agent(good, "on", "n1", 20_000).ok and bmc.power == "1"
    assert "set power 0" in bmc.calls() and "set power 1" in bmc.calls()


def test_a_wrong_password_fails_level_1_and_level_2_fences(bmc: Bmc) -> None:
    bad, good = device(bmc, "wrong", "st_bad"), device(bmc, "secret", "st_good")
    plan = FencePlan(id="p", target="n1", action="reboot",
                     levels=(Level(1, (bad,)), Level(2, (good,))), delay_ms=0,
                     timeout_ms=30_000, runner="n2", origin="n2", client="test")
    outcome = execute(plan, "n2")
    assert outcome.ok and outcome.device == "st_good"
    assert [c for c in bmc.calls() if c.startswith("set")][-2:] == \
        ["set power 0", "set power 1"]  # reboot: off, then on
    failing = FencePlan(id="q", target="n1", action="off", levels=(Level(1, (bad,)),),
                        delay_ms=0, timeout_ms=30_000, runner="n2", origin="n2",
                        client="test")
    outcome = execute(failing, "n2")
    assert not outcome.ok and "level 1: st_bad off" in outcome.reason
    assert bmc.power == "1"


def test_the_device_as_a_resource_starts_and_monitors_with_the_agent(bmc: Bmc) -> None:
    registry = DeviceRegistry()
    params = (*device(bmc).params, ("pcmk_host_list", "n1"))
    agent = AgentRef("stonith", None, "fence_ipmilan")

    def op(action: str, interval: int = 0) -> int:
        return registry.run(OpRequest("st_ipmi", agent, action, interval_ms=interval,
                                      timeout_ms=30_000, params=params)).rc

    assert op("monitor") == 7  # a probe: not started here
    assert op("start") == 0 and op("monitor", 30_000) == 0
    assert op("stop") == 0 and op("monitor") == 7
    wrong = tuple((k, "nope" if k == "password" else v) for k, v in params)
    assert registry.run(OpRequest("st_x", agent, "start", timeout_ms=30_000,
                                  params=wrong)).rc == 1
