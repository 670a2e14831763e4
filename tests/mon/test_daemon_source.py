"""The harmd source against harm's real control socket server, serving a CIB from a test
file in the agreed shape (request ``cib`` → ``{"xml": …}``), stopped and restarted."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from harm.cib.xml_export import cib_to_xml
from harm.daemon.control import ControlServer
from harm.mon.main import main
from harm.mon.source import DaemonSource
from tests.mon.helpers import utc
from tests.mon.scenarios import SCENARIOS


@contextmanager
def serving(sock: Path, cib_file: Path) -> Iterator[None]:
    """A ControlServer answering ``cib`` with the file's text, in a thread."""
    server = ControlServer(sock, allowed_uid=0)
    server.register("cib", lambda _request: {"xml": cib_file.read_text()})
    stop = threading.Event()

    def loop() -> None:
        while not stop.is_set():
            server.service(0.05)

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=10)
        server.close()
        sock.unlink(missing_ok=True)


def test_daemon_source_reads_loses_and_regains_harmd(tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]
                                                     ) -> None:
    sock = tmp_path / "run" / "harmd.sock"
    cib_file = tmp_path / "cib.xml"
    cib_file.write_text(cib_to_xml(SCENARIOS["failover"]()))
    source = DaemonSource(sock)
    with serving(sock, cib_file):
        reading = source.read()
        assert reading.cib is not None and reading.cib.version == (0, 12, 40)
        assert source.token() == (reading.cib,)
        with utc():
            assert main(["--socket", str(sock), "-1", "-A"]) == 0
        out = capsys.readouterr().out
        assert "osspc31-eth0" in out and "returned 'not running'" in out
    gone = source.read()
    assert gone.cib is None and gone.error is not None and "no such socket" in gone.error
    assert source.token() is None
    with serving(sock, cib_file):
        assert source.read().ok
