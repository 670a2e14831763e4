"""The control socket never blocks the loop: slow readers, idle clients, too many clients,
and handlers that fail in unexpected ways. Real Unix sockets, the server driven by a loop
in a thread as harmd drives it."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from harm.daemon.client import request
from harm.daemon.control import ControlServer
from harm.errors import ControlError

BIG = 8 << 20


@pytest.fixture()
def server(tmp_path: Path) -> Iterator[ControlServer]:
    control = ControlServer(tmp_path / "harmd.sock", allowed_uid=os.geteuid(),
                            max_clients=4, idle_s=0.5)
    control.register("big", lambda _r: "x" * BIG)

    def broken(_r: object) -> object:
        return {"value": 1}["missing"]  # a KeyError: a bug, not a HarmError

    control.register("broken", broken)
    control.register("unserialisable", lambda _r: {1j})
    stop = threading.Event()
    thread = threading.Thread(target=lambda: [control.service(0.02) for _ in iter(
        stop.is_set, True)], daemon=True)
    thread.start()
    try:
        yield control
    finally:
        stop.set()
        thread.join(5)
        control.close()


def connect(path: Path) -> socket.socket:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.connect(str(path))
    return sock


def test_a_client_that_does_not_read_its_answer_blocks_nobody(server: ControlServer) -> None:
    lazy = connect(server.path)
    lazy.sendall(b'{"type":"big"}\n')  # 8 MB answer, never read
    time.sleep(0.1)
    start = time.monotonic()
    assert request(server.path, "ping", timeout=2) == "pong"
    assert time.monotonic() - start < 0.5
    lazy.close()


def test_a_slow_reader_still_gets_its_whole_answer(server: ControlServer) -> None:
    with connect(server.path) as sock:
        sock.sendall(b'{"type":"big"}\n')
        time.sleep(0.2)
        data = b""
        while chunk := sock.recv(1 << 16):
            data += chunk
            assert request(server.path, "ping", timeout=2) == "pong" if len(data) < 1 << 17 \
                else True
    assert json.loads(data)["result"] == "x" * BIG


def test_idle_connections_are_closed(server: ControlServer) -> None:
    with connect(server.path) as idle:
        idle.settimeout(5)
        start = time.monotonic()
        assert idle.recv(10) == b""  # closed by the server
        assert 0.4 <= time.monotonic() - start < 3
    assert server.counters["idle closed"] >= 1


def test_connections_beyond_the_cap_wait_until_one_closes(server: ControlServer) -> None:
    held = [connect(server.path) for _ in range(4)]
    deadline = time.monotonic() + 2
    while server.clients < 4 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert server.clients == 4
    with pytest.raises(ControlError, match="timed out"):
        request(server.path, "ping", timeout=0.2)  # waits in the backlog
    assert server.clients == 4
    for sock in held:
        sock.close()
    assert request(server.path, "ping", timeout=2) == "pong"
    assert server.counters["at the connection cap"] >= 1


def test_the_cap_holds_against_many_idle_clients(server: ControlServer) -> None:
    held = []
    for _ in range(40):  # the backlog takes them; only four are served at once
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.setblocking(False)
        with contextlib.suppress(BlockingIOError):
            sock.connect(str(server.path))
        held.append(sock)
        assert server.clients <= 4
    time.sleep(1.5)  # the idle timeout frees the slots, again and again
    assert server.clients <= 4
    assert server.counters["idle closed"] >= 4
    for sock in held:
        sock.close()
    assert request(server.path, "ping", timeout=3) == "pong"


@pytest.mark.parametrize("kind", ["broken", "unserialisable"])
def test_a_handler_bug_answers_an_internal_error_and_is_counted(
        server: ControlServer, kind: str) -> None:
    with pytest.raises(ControlError, match="internal error"):
        request(server.path, kind)
    assert server.isolation.counts["control request"] == 1
    assert request(server.path, "ping") == "pong"


@pytest.mark.parametrize("line", [
    b'{"type":"ping","x":' + b"[" * 3000 + b"]" * 3000 + b"}",
    b'{"type":"ping","x":Infinity}',
    b'{"type":"ping","x":"\\ud800"}',
    b"\xff\xfe",
    b"[" * 100_000,
])
def test_hostile_request_lines_are_refused(server: ControlServer, line: bytes) -> None:
    with connect(server.path) as sock:
        sock.settimeout(5)
        sock.sendall(line + b"\n")
        answer = json.loads(sock.recv(1 << 16))
    assert answer["ok"] is False
    assert request(server.path, "ping") == "pong"
