"""harmd as systemd runs it: readiness on $NOTIFY_SOCKET, journald log lines, clean SIGTERM."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from harm.daemon.client import request
from harm.lab import lab
from harm.lab.spec import LabSpec

pytestmark = [
    pytest.mark.netns,
    pytest.mark.skipif(os.geteuid() != 0, reason="network namespaces need root"),
]


@pytest.fixture()
def spec() -> Iterator[LabSpec]:
    name = f"d{os.getpid() % 100_000}"
    lab.down(name)
    built = lab.up(LabSpec(name, ("A", "B"), links=1), start=False)
    try:
        yield built
    finally:
        lab.down(name)


def test_ready_journal_lines_and_clean_stop(spec: LabSpec, tmp_path: Path) -> None:
    notify_path = tmp_path / "notify"
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    listener.bind(str(notify_path))
    listener.settimeout(30)
    folder = spec.node_dir("A")
    env = {**os.environ, "NOTIFY_SOCKET": str(notify_path), "JOURNAL_STREAM": "8:1234"}
    proc = subprocess.Popen(
        ["ip", "netns", "exec", spec.node_ns("A"), sys.executable, "-m", "harm.daemon.main",
         "--config", str(folder / "harm.yaml")],
        env=env, stderr=subprocess.PIPE, text=True,
    )
    try:
        ready = listener.recv(4096).decode()
        assert ready.startswith("READY=1")
        assert request(folder / "harmd.sock", "ping") == "pong"
        assert (folder / "state" / "generation").is_file()
        time.sleep(0.3)
        proc.send_signal(signal.SIGTERM)
        assert listener.recv(4096) == b"STOPPING=1"
        assert proc.wait(timeout=10) == 0
        lines = proc.stderr.read().splitlines() if proc.stderr else []
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        listener.close()
    assert lines and all(line.startswith("<") for line in lines)
    assert any(line.startswith("<6>node A of cluster") for line in lines)
    assert "<6>stopping on SIGTERM" in lines
    assert not (folder / "harmd.sock").exists()
