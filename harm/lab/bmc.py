"""Each lab node's BMC: OpenIPMI's ``ipmi_sim`` on a lab management network, whose chassis
power control really powers the node off and on, driven by the stock ``fence_ipmilan``.

Topology (lab ``harm``, nodes A and B, ``--fencing``)::

    harm-sw    brm ── A:mgmt0 (192.168.99.1), B:mgmt0 (192.168.99.2), harm-bmc:mgmt0
    harm-bmc   (the BMCs' namespace) mgmt0: 192.168.99.101 = A's BMC, .102 = B's BMC;
               one ipmi_sim per node, IPMI 1.5/2.0 LAN on UDP 623 of its own address

A BMC lives outside its node, so powering the node off leaves it reachable, and it stays
on the management bridge when partitions split the heartbeat links (the management
network is not a heartbeat link). ``ipmi_sim`` asks a chassis-control program for the
power state and to change it (``chassis_control`` in its lan.conf): that program is
``python -m harm.lab.power LAB NODE get|set …``, which

    power off   kills every process of the node and takes its links down, as
                ``harm lab fail NODE node`` does (the management NIC goes down too)
    power on    brings its links back up and starts harmd (not PostgreSQL)
    get power   on unless the node was powered off

The BMC's user is ``admin`` with a password made from the lab's secret
(:func:`password`); ``fence_ipmilan -a 192.168.99.101 -l admin -p … -o status`` from a
node answers ``Status: ON``.
"""

from __future__ import annotations

import hashlib
import ipaddress
import shutil
import subprocess
import sys
import time
from pathlib import Path

from harm.errors import LabError
from harm.lab import netns
from harm.lab.netns import ip_batch
from harm.lab.spec import LabSpec

MGMT_SUBNET = "192.168.99.0/24"
MGMT_NIC = "mgmt0"
BMC_USER = "admin"
BMC_PORT = 623
BMC_OFFSET = 100  # node i's BMC is .(101 + i), the node itself .(1 + i)


def bmc_ns(spec: LabSpec) -> str:
    return f"{spec.name}-bmc"


def _net() -> ipaddress.IPv4Network:
    return ipaddress.IPv4Network(MGMT_SUBNET)


def node_mgmt_address(spec: LabSpec, node: str) -> str:
    return str(_net().network_address + spec.nodes.index(node) + 1)


def bmc_address(spec: LabSpec, node: str) -> str:
    return str(_net().network_address + BMC_OFFSET + spec.nodes.index(node) + 1)


def mgmt_port(spec: LabSpec, node: str) -> str:
    """The switch-side end of ``node``'s management NIC."""
    return f"n{spec.nodes.index(node)}m"


def password(spec: LabSpec) -> str:
    """The BMCs' admin password (16 hex digits derived from the lab's secret; IPMI 1.5
    passwords hold at most 16 bytes)."""
    return hashlib.sha256(f"bmc:{spec.secret}".encode()).hexdigest()[:16]


def bmc_dir(spec: LabSpec, node: str) -> Path:
    return spec.run_dir / "bmc" / node


def power_file(spec: LabSpec, node: str) -> Path:
    return spec.node_dir(node) / "power"


def powered_on(spec: LabSpec, node: str) -> bool:
    try:
        return power_file(spec, node).read_text().strip() != "off"
    except OSError:
        return True


# ---------------------------------------------------------------- building


def lan_conf(spec: LabSpec, node: str) -> str:
    control = f"{sys.executable} -m harm.lab.power --run-root {spec.run_root} {spec.name} {node}"
    auths = "none md2 md5 straight"
    return "\n".join([
        f'name "{spec.name}-{node}"',
        "set_working_mc 0x20",
        "  startlan 1",
        f"    addr {bmc_address(spec, node)} {BMC_PORT}",
        "    priv_limit admin",
        f"    allowed_auths_callback {auths}",
        f"    allowed_auths_user {auths}",
        f"    allowed_auths_operator {auths}",
        f"    allowed_auths_admin {auths}",
        "    guid " + hashlib.md5(f"{spec.name}:{node}".encode()).hexdigest(),
        "  endlan",
        f'  chassis_control "{control}"',
        f'user 2 true "{BMC_USER}" "{password(spec)}" admin 10 {auths}',
        "",
    ])


# the BMC itself (0x20) with chassis support (device-support bit 0x80 in 0x9f)
EMU = """mc_setbmc 0x20
mc_add 0x20 0 no-device-sdrs 0x23 9 8 0x9f 0x1291 0xf02 persist_sdr
mc_enable 0x20
"""


def build(spec: LabSpec) -> None:
    """The management network and one running ipmi_sim per node (call after the lab's
    namespaces exist)."""
    if not _ipmi_sim():
        raise LabError("ipmi_sim is not installed (Debian package openipmi)")
    ns = bmc_ns(spec)
    netns.ip("netns", "add", ns)
    prefix = _net().prefixlen
    switch = ["link add brm type bridge mcast_snooping 0", "link set brm up",
              f"link add bmcp type veth peer name {MGMT_NIC} netns {ns}",
              "link set bmcp master brm up"]
    for node in spec.nodes:
        switch += [f"link add {mgmt_port(spec, node)} type veth peer name {MGMT_NIC} "
                   f"netns {spec.node_ns(node)}",
                   f"link set {mgmt_port(spec, node)} master brm up"]
    ip_batch(switch, namespace=spec.switch_ns)
    ip_batch(["link set lo up", f"link set {MGMT_NIC} up"]
             + [f"addr add {bmc_address(spec, n)}/{prefix} dev {MGMT_NIC}" for n in spec.nodes],
             namespace=ns)
    for node in spec.nodes:
        ip_batch([f"addr add {node_mgmt_address(spec, node)}/{prefix} dev {MGMT_NIC}",
                  f"link set {MGMT_NIC} up"], namespace=spec.node_ns(node))
        power_file(spec, node).write_text("on\n")
        start_bmc(spec, node)
    wait_bmcs(spec)


def _ipmi_sim() -> str | None:
    return shutil.which("ipmi_sim") or shutil.which("ipmi_sim", path="/usr/bin")


def start_bmc(spec: LabSpec, node: str) -> int:
    folder = bmc_dir(spec, node)
    (folder / "state").mkdir(mode=0o700, parents=True, exist_ok=True)
    (folder / "lan.conf").write_text(lan_conf(spec, node), encoding="utf-8")
    (folder / "bmc.emu").write_text(EMU, encoding="utf-8")
    binary = _ipmi_sim() or "ipmi_sim"
    with open(folder / "ipmi_sim.log", "ab") as log:
        proc = subprocess.Popen(
            # nsenter, not "ip netns exec": the chassis control it runs must stay in this
            # mount namespace to enter the nodes' own (harm.lab.mounts)
            ["nsenter", f"--net=/run/netns/{bmc_ns(spec)}", binary, "-c",
             str(folder / "lan.conf"),
             "-f", str(folder / "bmc.emu"), "-s", str(folder / "state"), "-n"],
            stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True,
            cwd=str(folder))
    (folder / "ipmi_sim.pid").write_text(f"{proc.pid}\n")
    return proc.pid


def wait_bmcs(spec: LabSpec, timeout_s: float = 20.0) -> None:
    """Until every BMC answers ``fence_ipmilan -o status`` from the BMC namespace."""
    deadline = time.monotonic() + timeout_s
    for node in spec.nodes:
        while True:
            done = subprocess.run(
                ["ip", "netns", "exec", bmc_ns(spec), "fence_ipmilan", "-a",
                 bmc_address(spec, node), "-l", BMC_USER, "-p", password(spec), "-o",
                 "status"], capture_output=True, text=True, timeout=30, check=False)
            if done.returncode in (0, 2):
                break
            if time.monotonic() > deadline:
                log = (bmc_dir(spec, node) / "ipmi_sim.log")
                tail = log.read_text(errors="replace")[-400:] if log.exists() else ""
                raise LabError(f"the BMC of {node} does not answer: "
                               f"{done.stdout}{done.stderr}{tail}")
            time.sleep(0.3)


# ---------------------------------------------------------------- power


def power_off(spec: LabSpec, node: str) -> None:
    from harm.lab import faults

    power_file(spec, node).write_text("off\n")
    faults.fail(spec, node, "node")
    ip_batch([f"link set {mgmt_port(spec, node)} down"], namespace=spec.switch_ns)
    # a machine that lost power comes back with an empty /run: the agents' state is gone
    tmp = spec.node_dir(node) / "tmp"
    if tmp.is_dir():
        for entry in tmp.iterdir():
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry, ignore_errors=True)
            else:
                entry.unlink(missing_ok=True)


def power_on(spec: LabSpec, node: str) -> None:
    from harm.lab import lab

    if powered_on(spec, node):
        return
    lines = [f"link set {spec.port(node, link)} up" for link in range(spec.links)]
    lines.append(f"link set {mgmt_port(spec, node)} up")
    ip_batch(lines, namespace=spec.switch_ns)
    prefix = _net().prefixlen
    ip_batch([f"addr replace {node_mgmt_address(spec, node)}/{prefix} dev {MGMT_NIC}"],
             namespace=spec.node_ns(node))
    power_file(spec, node).write_text("on\n")
    lab.start_harmd(spec, node)


# ---------------------------------------------------------------- configuration


def fencing_config(spec: LabSpec, *, wrong_password: tuple[str, ...] = (),
                   monitor: str = "30s") -> str:
    """crm text: one fence_ipmilan device per node (not allowed to run on that node),
    ``stonith-enabled=true``. Devices of the nodes in ``wrong_password`` get a wrong one."""
    lines = []
    for node in spec.nodes:
        secret = "wrong-password" if node in wrong_password else password(spec)
        lines += [f"primitive st_{node} stonith:fence_ipmilan \\",
                  f"    params ip={bmc_address(spec, node)} ipport={BMC_PORT} "
                  f"username={BMC_USER} password={secret} pcmk_host_list={node} \\",
                  f"    op monitor interval={monitor} timeout=60s",
                  f"location l_st_{node} st_{node} -inf: {node}"]
    lines.append("property stonith-enabled=true stonith-action=reboot stonith-timeout=60s")
    return "\n".join(lines) + "\n"
