"""harmd's pieces with real sockets and processes: control socket, notify, generation, start-up."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from harm.daemon.client import request
from harm.daemon.control import ControlServer
from harm.daemon.generation import next_generation
from harm.daemon.notify import notify
from harm.errors import ControlError, SettingsError


@pytest.fixture()
def server(tmp_path: Path) -> Iterator[ControlServer]:
    control = ControlServer(tmp_path / "run" / "harmd.sock", allowed_uid=os.geteuid())
    control.register("echo", lambda req: {"got": req.get("value")})

    def fail(_req: object) -> object:
        raise ControlError("nope")

    control.register("fail", fail)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            control.service(0.05)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield control
    finally:
        stop.set()
        thread.join(5)
        control.close()


def test_control_round_trip_and_errors(server: ControlServer) -> None:
    path = server.path
    assert request(path, "ping") == "pong"
    assert request(path, "echo", value=[1, 2]) == {"got": [1, 2]}
    assert "echo" in request(path, "help")
    with pytest.raises(ControlError, match="ControlError: nope"):
        request(path, "fail")
    with pytest.raises(ControlError, match="unknown request 'bogus'"):
        request(path, "bogus")


def test_control_socket_is_private(server: ControlServer) -> None:
    assert (server.path.stat().st_mode & 0o777) == 0o600
    assert (server.path.parent.stat().st_mode & 0o777) == 0o700


def test_control_handles_garbage_lines(server: ControlServer) -> None:
    assert server.handle(b"not json")["ok"] is False
    assert server.handle(b"[1]")["error"]["message"].startswith("request must be")
    with pytest.raises(ValueError):
        server.register("echo", lambda _r: None)


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to switch to another user")
def test_non_root_clients_are_refused() -> None:
    folder = Path(tempfile.mkdtemp(prefix="harmd-test-", dir="/tmp"))
    try:
        _refuse_non_root(folder)
    finally:
        shutil.rmtree(folder)


def _refuse_non_root(folder: Path) -> None:
    os.chmod(folder, 0o755)
    path = folder / "run" / "harmd.sock"
    control = ControlServer(path)
    os.chmod(path.parent, 0o755)
    os.chmod(path, 0o777)  # even if someone loosened the modes, credentials are checked
    script = (
        "import os, sys, json, socket\n"
        "os.setuid(65534)\n"
        "s = socket.socket(socket.AF_UNIX)\n"
        f"s.connect({str(path)!r})\n"
        "try:\n"
        "    s.sendall(b'{\"type\": \"ping\"}\\n')\n"
        "except BrokenPipeError:\n"
        "    pass\n"
        "print(s.recv(4096).decode())\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    import select

    select.select([control.fileno()], [], [], 10)
    control.service()
    assert control.clients == 0
    out, _ = proc.communicate(timeout=10)
    control.close()
    answer = json.loads(out)
    assert answer["ok"] is False and "only root" in answer["error"]["message"]


def test_client_reports_a_missing_daemon(tmp_path: Path) -> None:
    with pytest.raises(ControlError, match="is harmd running"):
        request(tmp_path / "nothing.sock", "status")


def test_notify_sends_to_the_socket_systemd_gave(tmp_path: Path) -> None:
    path = tmp_path / "notify"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind(str(path))
        assert notify("READY=1", {"NOTIFY_SOCKET": str(path)})
        assert sock.recv(100) == b"READY=1"
    assert not notify("READY=1", {})


def test_generation_grows_on_every_start(tmp_path: Path) -> None:
    first = next_generation(tmp_path / "state", 1000)
    second = next_generation(tmp_path / "state", 1000)
    assert (first, second) == (1000, 1001)
    assert next_generation(tmp_path / "state", 5000) == 5000
    (tmp_path / "state" / "generation").write_text("junk")
    with pytest.raises(SettingsError, match="not a number"):
        next_generation(tmp_path / "state", 1)


def _harmd(tmp_path: Path, yaml_text: str, keys_mode: int) -> subprocess.CompletedProcess[str]:
    (tmp_path / "harm.yaml").write_text(yaml_text)
    keys = tmp_path / "authkeys"
    keys.write_text("auth 1\n1 sha256 secret\n")
    keys.chmod(keys_mode)
    return subprocess.run(
        [sys.executable, "-m", "harm.daemon.main", "--config", str(tmp_path / "harm.yaml"),
         "--authkeys", str(keys), "--state-dir", str(tmp_path / "state"),
         "--socket", str(tmp_path / "harmd.sock")],
        capture_output=True, text=True, timeout=30, check=False,
    )


YAML = "cluster: t\nnode: a\nnodes: [a, b]\nkeepalive: 200ms\ndeadtime: 2s\nlinks:\n"


def test_harmd_refuses_an_unsafe_authkeys_file(tmp_path: Path) -> None:
    done = _harmd(tmp_path, YAML + "  - bcast: lo\n", 0o644)
    assert done.returncode == 1
    assert "must be 0600" in done.stderr
    assert "Traceback" not in done.stderr


def test_harmd_refuses_an_unknown_interface(tmp_path: Path) -> None:
    done = _harmd(tmp_path, YAML + "  - bcast: nosuchnic9\n", 0o600)
    assert done.returncode == 1
    assert "unknown interface 'nosuchnic9'" in done.stderr


def test_harmd_refuses_bad_timing(tmp_path: Path) -> None:
    done = _harmd(tmp_path, YAML.replace("2s", "300ms") + "  - bcast: lo\n", 0o600)
    assert done.returncode == 1
    assert "greater than 2 x keepalive" in done.stderr


def test_the_generation_file_and_its_directory_are_fsynced(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import stat

    synced: list[str] = []
    real = os.fsync

    def spy(fd: int) -> None:
        synced.append("dir" if stat.S_ISDIR(os.fstat(fd).st_mode) else "file")
        real(fd)

    monkeypatch.setattr(os, "fsync", spy)
    next_generation(tmp_path / "state", 1000)
    assert synced == ["file", "dir"]  # the data, then the rename itself
