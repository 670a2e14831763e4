"""Building, starting and tearing down a lab (see :mod:`harm.lab` for the topology)."""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

from harm.errors import LabError
from harm.lab import mounts, netns
from harm.lab.files import node_env, write_node_files
from harm.lab.netns import ip, ip_batch
from harm.lab.spec import GATEWAY, RUN_ROOT, LabSpec

SPEC_FILE = "lab.json"


def load(name: str, run_root: Path = RUN_ROOT) -> LabSpec:
    path = run_root / name / SPEC_FILE
    try:
        return LabSpec.from_json(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise LabError(f"no lab named {name!r} (no {path}); run 'harm lab up' first") from None
    except (ValueError, TypeError, KeyError) as error:
        raise LabError(f"{path}: unreadable: {error}") from None


def up(spec: LabSpec, start: bool = True) -> LabSpec:
    """Build the namespaces, bridges and files of ``spec`` and start harmd on every node."""
    if not spec.secret:
        spec = replace(spec, secret=secrets.token_hex(24))
    spec.validate()
    if os.geteuid() != 0:
        raise LabError("harm lab needs root (network namespaces)")
    if netns.lab_namespaces(spec.prefix) or (spec.run_dir / SPEC_FILE).exists():
        raise LabError(f"lab {spec.name!r} already exists; 'harm lab down --name {spec.name}'")
    spec.run_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    (spec.run_dir / SPEC_FILE).write_text(spec.to_json(), encoding="utf-8")
    try:
        _build(spec)
        for node in spec.nodes:
            write_node_files(spec, node)
            mounts.create(spec, node)
        if spec.witness:
            start_witness(spec)
        if spec.fencing:
            from harm.lab import bmc

            bmc.build(spec)
        if start:
            for node in spec.nodes:
                start_harmd(spec, node)
    except BaseException:
        down(spec.name, Path(spec.run_root))
        raise
    return spec


def _build(spec: LabSpec) -> None:
    sw, gw = spec.switch_ns, spec.gateway_ns
    for ns in [sw, gw] + [spec.node_ns(n) for n in spec.nodes]:
        ip("netns", "add", ns)
    switch = ["link set lo up"]
    for link in range(spec.links):
        switch += [f"link add br{link} type bridge mcast_snooping 0",
                   f"link set br{link} up"]
    for node in spec.nodes:
        for link in range(spec.links):
            port = spec.port(node, link)
            switch += [f"link add {port} type veth peer name {spec.nic(link)} "
                       f"netns {spec.node_ns(node)}",
                       f"link set {port} master br{link} up"]
    switch += [f"link add gw0 type veth peer name eth0 netns {gw}",
               "link set gw0 master br0 up"]
    ip_batch(switch, namespace=sw)
    ip_batch(["link set lo up", f"addr add {spec.gateway_address()} dev eth0",
              "link set eth0 up"], namespace=gw)
    gateway = spec.gateway_address().split("/")[0]
    for node in spec.nodes:
        lines = ["link set lo up"]
        for link in range(spec.links):
            nic = spec.nic(link)
            lines += [f"addr add {spec.address(node, link)} dev {nic}", f"link set {nic} up"]
        lines.append(f"route add default via {gateway} dev eth0")
        ip_batch(lines, namespace=spec.node_ns(node))


# ---------------------------------------------------------------- harmd processes


def _pid_file(spec: LabSpec, node: str) -> Path:
    return spec.node_dir(node) / "harmd.pid"


def harmd_pid(spec: LabSpec, node: str) -> int | None:
    """The pid of ``node``'s harmd when it runs."""
    return _running(_pid_file(spec, node), b"harm.daemon.main")


def start_harmd(spec: LabSpec, node: str) -> int:
    """Start ``node``'s harmd inside its namespace (no-op if it runs); its pid."""
    running = harmd_pid(spec, node)
    if running is not None:
        return running
    folder = spec.node_dir(node)
    env = {**os.environ, **node_env(spec, node)}
    env.pop("NOTIFY_SOCKET", None)
    socket_path = folder / "harmd.sock"
    if socket_path.exists():
        socket_path.unlink()
    with open(folder / "harmd.log", "ab") as log:
        proc = subprocess.Popen(
            [*mounts.enter_argv(spec, node), "ip", "netns", "exec", spec.node_ns(node),
             sys.executable, "-m",
             "harm.daemon.main", "--config", str(folder / "harm.yaml")],
            stdin=subprocess.DEVNULL, stdout=log, stderr=log, env=env,
            start_new_session=True,
        )
    _pid_file(spec, node).write_text(f"{proc.pid}\n")
    return proc.pid


def wait_sockets(spec: LabSpec, nodes: list[str], timeout_s: float = 15.0) -> None:
    """Wait until every listed node's harmd answers on its control socket."""
    from harm.daemon.client import request
    from harm.errors import ControlError

    deadline = time.monotonic() + timeout_s
    for node in nodes:
        while True:
            try:
                request(spec.node_dir(node) / "harmd.sock", "ping", timeout=1.0)
                break
            except ControlError as error:
                if time.monotonic() > deadline:
                    log = spec.node_dir(node) / "harmd.log"
                    tail = log.read_text(errors="replace")[-500:] if log.exists() else ""
                    raise LabError(f"harmd on {node} did not come up: {error}\n{tail}") from None
                time.sleep(0.1)


def stop_harmd(spec: LabSpec, node: str) -> bool:
    """kill -9 ``node``'s harmd; False when it was not running."""
    pid = harmd_pid(spec, node)
    if pid is None:
        return False
    netns.kill(pid)
    for _ in range(100):
        if not netns.alive(pid):
            break
        time.sleep(0.02)
    return True


# ---------------------------------------------------------------- the witness


def witness_pid(spec: LabSpec) -> int | None:
    """The pid of the lab's witness (in the gateway) when it runs."""
    return _running(spec.witness_dir / "witness.pid", b"harm.witness")


def _running(pid_file: Path, module: bytes) -> int | None:
    """The pid in ``pid_file`` when that process is alive and runs ``module`` (a pid file
    left by a process that died may name an unrelated process by now)."""
    try:
        pid = int(pid_file.read_text().strip())
    except (OSError, ValueError):
        return None
    if not netns.alive(pid):
        return None
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return None
    return pid if module in cmdline else None


def start_witness(spec: LabSpec) -> int:
    """Start ``harm witness`` in the gateway namespace (no-op if it runs); its pid. Its
    leases and margins are bounded by twice the lab's deadtime, so a restarted witness
    waits four deadtimes before it gives its vote again."""
    from harm.cib.durations import format_ms, parse_ms
    from harm.lab.files import WITNESS_PORT, write_authkeys

    running = witness_pid(spec)
    if running is not None:
        return running
    folder = spec.witness_dir
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    write_authkeys(spec, folder / "authkeys")
    bound = format_ms(2 * parse_ms(spec.deadtime))
    with open(folder / "witness.log", "ab") as log:
        proc = subprocess.Popen(
            ["ip", "netns", "exec", spec.gateway_ns, sys.executable, "-m", "harm.witness",
             "--cluster", spec.name, "--authkeys", str(folder / "authkeys"),
             "--listen", spec.gateway_address().split("/")[0], "--port", str(WITNESS_PORT),
             "--max-lease", bound, "--max-margin", bound],
            stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True)
    (folder / "witness.pid").write_text(f"{proc.pid}\n")
    return proc.pid


def stop_witness(spec: LabSpec) -> bool:
    """kill -9 the lab's witness (its host lost); False when it was not running."""
    pid = witness_pid(spec)
    if pid is None:
        return False
    netns.kill(pid)
    for _ in range(100):
        if not netns.alive(pid):
            break
        time.sleep(0.02)
    return True


# ---------------------------------------------------------------- exec and down


def exec_argv(
    spec: LabSpec, node: str, command: list[str], wd: str | None = None,
) -> tuple[list[str], dict[str, str]]:
    """argv and environment that run ``command`` as ``node`` (or in the gateway): in its
    network namespace and, when the lab has private directories, its mount namespace, in
    ``wd`` (default: the caller's working directory)."""
    if node == GATEWAY:
        return ["ip", "netns", "exec", spec.gateway_ns, *command], dict(os.environ)
    if node not in spec.nodes:
        raise LabError(f"no node {node!r} in lab {spec.name} ({', '.join(spec.nodes)})")
    env = {**os.environ, **node_env(spec, node)}
    cwd: str | None = wd
    if cwd is None:
        try:
            cwd = os.getcwd()
        except OSError:
            cwd = None
    prefix = mounts.enter_argv(spec, node, cwd)
    return [*prefix, "ip", "netns", "exec", spec.node_ns(node), *command], env


def down(name: str, run_root: Path = RUN_ROOT) -> list[str]:
    """Remove every namespace, process and file of lab ``name``; what was removed."""
    prefix = f"{name}-"
    removed = []
    run_dir = run_root / name
    # harmd processes first (by their pid files), then whatever still runs in the namespaces
    if run_dir.is_dir():
        for pid_file in run_dir.glob("*/harmd.pid"):
            try:
                pid = int(pid_file.read_text().strip())
            except (OSError, ValueError):
                continue
            try:
                cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
            except OSError:
                continue
            if b"harm.daemon.main" in cmdline:
                netns.kill(pid)
    for ns in netns.lab_namespaces(prefix):
        netns.kill_namespace_processes(ns)
    # the nodes' mount namespaces (they also hold their network namespaces)
    removed += mounts.release(run_dir)
    for ns in netns.lab_namespaces(prefix):
        ip("netns", "del", ns, check=False)
        removed.append(ns)
    if run_dir.is_dir():
        shutil.rmtree(run_dir, ignore_errors=True)
        if str(run_dir) not in removed:
            removed.append(str(run_dir))
    return removed
