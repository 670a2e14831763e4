"""The live view, driven for real: harm_mon in a tmux terminal, read back with
capture-pane, while the test rewrites, removes and restores the CIB file it watches.

Each test starts its own tmux server (a private socket name) and kills it afterwards,
whatever happens; nothing else is left behind but pytest's temporary directory.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from harm.mon.options import MonOptions
from harm.mon.tui import Tone, screen, tone_of
from tests.mon.helpers import scenario, utc, write_cib
from tests.mon.scenarios import SCENARIOS

REPO = Path(__file__).resolve().parents[2]
WAIT_S = 30.0  # generous: the view itself reacts within a fraction of a second


class Tmux:
    def __init__(self, name: str) -> None:
        self.name = name

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["tmux", "-L", self.name, *args], capture_output=True,
                              text=True, timeout=30, check=check)

    def capture(self, colours: bool = False) -> str:
        return self.run("capture-pane", "-p", *(["-e"] if colours else []),
                        "-t", "mon").stdout

    def wait_for(self, what: Callable[[str], bool], label: str,
                 colours: bool = False) -> str:
        deadline = time.monotonic() + WAIT_S
        text = ""
        while time.monotonic() < deadline:
            text = self.capture(colours)
            if what(text):
                return text
            time.sleep(0.1)
        raise AssertionError(f"timed out waiting for {label}; screen:\n{text}")

    def alive(self) -> bool:
        return self.run("has-session", "-t", "mon", check=False).returncode == 0


@pytest.fixture
def tmux() -> Iterator[Tmux]:
    if shutil.which("tmux") is None:
        pytest.fail("tmux is needed for the live view tests (apt-get install tmux)")
    server = Tmux(f"harm-mon-test-{os.getpid()}-{uuid.uuid4().hex[:8]}")
    socket = (Path(os.environ.get("TMUX_TMPDIR", "/tmp")) / f"tmux-{os.getuid()}"
              / server.name)
    try:
        yield server
    finally:
        server.run("kill-server", check=False)
        socket.unlink(missing_ok=True)  # tmux may leave its socket file behind


def start(tmux: Tmux, cib: Path, width: int = 120, height: int = 50) -> None:
    command = shlex.join([sys.executable, "-m", "harm.mon", "--cib", str(cib), "-Afr",
                          "-i", "1"])
    tmux.run("new-session", "-d", "-s", "mon", "-x", str(width), "-y", str(height),
             f"cd {shlex.quote(str(REPO))} && TZ=UTC exec {command}")


def test_live_view_follows_changes_outages_and_resizes(tmux: Tmux, tmp_path: Path) -> None:
    cib = tmp_path / "cib.xml"
    write_cib(SCENARIOS["healthy"](), cib)
    start(tmux, cib)
    text = tmux.wait_for(lambda t: "Promoted: [ osspc30 ]" in t and "Migration Summary:" in t,
                         "the first page")
    assert "Cluster Summary:" in text and "partition with quorum" in text
    assert "osspc31-eth0" in text and "HS:sync" in text

    # a change is shown at once (the interval is 1 s; the change is seen by polling)
    write_cib(SCENARIOS["failover"](), tmp_path / "next.xml")
    os.replace(tmp_path / "next.xml", cib)
    text = tmux.wait_for(lambda t: "Promoted: [ osspc31 ]" in t and "Failed Resource" in t,
                         "the failover")
    assert "fail-count=1" in text
    coloured = tmux.capture(colours=True)
    failed_line = next(line for line in coloured.splitlines() if "fail-count=1" in line)
    assert "\x1b[" in failed_line and "31m" in failed_line  # drawn in red

    # the source goes away: a banner, and the last state stays on screen
    cib.unlink()
    text = tmux.wait_for(lambda t: "STATUS SOURCE UNAVAILABLE" in t and "Failed Resource" in t,
                         "the banner")
    assert f"*** file {cib}:" in text and "no such file ***" in text
    assert "Promoted: [ osspc31 ]" in text

    # a small window: still running, every line clipped to the width
    tmux.run("resize-window", "-t", "mon", "-x", "50", "-y", "12")
    text = tmux.wait_for(lambda t: len(t.splitlines()) <= 12 and "UNAVAILABLE" in t,
                         "the resized screen")
    assert all(len(line) <= 50 for line in text.splitlines())

    # the source returns: the banner goes, the new state is shown
    write_cib(SCENARIOS["peer_lost"](), tmp_path / "next.xml")
    os.replace(tmp_path / "next.xml", cib)
    tmux.run("resize-window", "-t", "mon", "-x", "120", "-y", "50")
    text = tmux.wait_for(lambda t: "OFFLINE: [ osspc31 ]" in t and "Migration Summary:" in t,
                         "the recovery")
    assert "UNAVAILABLE" not in text

    # q quits
    tmux.run("send-keys", "-t", "mon", "q")
    deadline = time.monotonic() + WAIT_S
    while tmux.alive() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not tmux.alive()


def test_live_view_survives_harmd_going_away(tmux: Tmux, tmp_path: Path) -> None:
    """The same with harmd's control socket (harm's real server, in this process)."""
    from tests.mon.test_daemon_source import serving

    sock = tmp_path / "run" / "harmd.sock"
    cib = write_cib(SCENARIOS["failover"](), tmp_path / "cib.xml")
    command = shlex.join([sys.executable, "-m", "harm.mon", "--socket", str(sock), "-Af",
                          "-i", "1"])
    with serving(sock, cib):
        tmux.run("new-session", "-d", "-s", "mon", "-x", "120", "-y", "50",
                 f"cd {shlex.quote(str(REPO))} && TZ=UTC exec {command}")
        tmux.wait_for(lambda t: "Promoted: [ osspc31 ]" in t and "Failed Resource" in t,
                      "the page from harmd")
    text = tmux.wait_for(lambda t: "STATUS SOURCE UNAVAILABLE" in t and "Failed Resource" in t,
                         "the banner")
    assert "no such socket" in text.replace("\n", " ")
    write_cib(SCENARIOS["healthy"](), cib)
    with serving(sock, cib):
        tmux.wait_for(lambda t: "Promoted: [ osspc30 ]" in t and "UNAVAILABLE" not in t
                      and "Migration Summary:" in t, "the page after harmd is back")
    tmux.run("send-keys", "-t", "mon", "q")


def test_live_view_starts_without_a_source(tmux: Tmux, tmp_path: Path) -> None:
    cib = tmp_path / "later.xml"
    start(tmux, cib)
    text = tmux.wait_for(lambda t: "retrying every" in t, "the banner")
    assert "no state read yet" in text
    write_cib(SCENARIOS["healthy"](), cib)
    tmux.wait_for(lambda t: "Cluster Summary:" in t and "UNAVAILABLE" not in t, "the page")


def test_screen_is_a_pure_function_of_the_state() -> None:
    with utc():
        snap = scenario("failover")
        shown = screen(snap, MonOptions(attributes=True, failcounts=True, inactive=True),
                       source="file x", error="x: no such file", since=0, interval_s=2)
    lines = [text for text, _ in shown.lines]
    assert lines[0] == "*** STATUS SOURCE UNAVAILABLE ***"
    assert lines[1] == "*** file x: x: no such file ***"
    assert lines[2].endswith("retrying every 2s ***")
    assert "Cluster Summary:" in lines
    assert {tone for _, tone in shown.lines[:3]} == {Tone.BANNER}


@pytest.mark.parametrize(("line", "tone"), [
    ("Node List:", Tone.HEADING),
    ("  * OFFLINE: [ osspc31 ]", Tone.BAD),
    ("    * r\t(ocf:heartbeat:pgsql):\t FAILED Promoted osspc30", Tone.BAD),
    ("    * r\t(ocf:heartbeat:IPaddr2):\t Stopped (blocked)", Tone.BAD),
    ("    * osspc31-eth1                    \t: dead      ", Tone.BAD),
    ("    * Stopped: [ osspc30 ]", Tone.WARN),
    ("  * Node osspc30: standby", Tone.WARN),
    ("  * Online: [ osspc30 osspc31 ]", Tone.NORMAL),
])
def test_tones(line: str, tone: Tone) -> None:
    assert tone_of(line) is tone
