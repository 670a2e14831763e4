"""The live screen: ``harm_mon`` without ``-1`` on a terminal.

Split in two: :func:`screen` decides *what* to show (pure: the page, a banner while the
source is unavailable, a colour class per line), :func:`run_live` drives curses (reads
keys, polls the source, redraws). The loop

* polls ``source.token()`` every ``source.poll_s`` (0.2 s for a file, 1 s for harmd) and
  re-reads at once when it changes, and in any case every ``interval_s``;
* keeps the last good state on screen under a red banner while reads fail, and drops the
  banner as soon as a read succeeds again;
* redraws on ``KEY_RESIZE`` and clips every line to the window, so resizing never breaks it;
* quits on ``q`` (or ``Q``, or Ctrl-C).
"""

from __future__ import annotations

import contextlib
import curses
import enum
import os
import textwrap
import time
from collections.abc import Callable
from dataclasses import dataclass

from harm.mon.options import MonOptions
from harm.mon.snapshot import MonSnapshot, take_snapshot
from harm.mon.source import StatusSource, Token
from harm.mon.text import text_lines

KEY_WAIT_S = 0.2  # how long getch waits: the loop's tick


class Tone(enum.Enum):
    """How a line is drawn."""

    NORMAL = "normal"
    BAD = "bad"  # failed, offline, unclean, blocked: red
    WARN = "warn"  # stopped, standby, maintenance: yellow
    BANNER = "banner"  # the source is unavailable: white on red
    HEADING = "heading"  # section titles: bold


_BAD_WORDS = ("FAILED", "OFFLINE", "UNCLEAN", "(blocked)", "WITHOUT quorum",
              "Connectivity is lost", "returned '", "could not be executed", "fail-count=",
              "\t: dead", "\t: down")
_WARN_WORDS = ("Stopped", "standby", "maintenance", "(disabled)", "(unmanaged)",
               "Connectivity is degraded")


@dataclass(frozen=True)
class Screen:
    lines: tuple[tuple[str, Tone], ...]


def screen(snap: MonSnapshot | None, options: MonOptions, *, source: str,
           error: str | None, since: int | None, interval_s: float) -> Screen:
    """What the live view shows: an optional banner, then the page with tones."""
    out: list[tuple[str, Tone]] = []
    if error is not None:
        when = time.strftime("%H:%M:%S", time.localtime(since)) if since else ""
        out.append(("*** STATUS SOURCE UNAVAILABLE ***", Tone.BANNER))
        out.append((f"*** {source}: {error} ***", Tone.BANNER))
        shown = f"showing the state read at {when}" if snap else "no state read yet"
        out.append((f"*** {shown}; retrying every {interval_s:g}s ***", Tone.BANNER))
        out.append(("", Tone.NORMAL))
    if snap is not None:
        for line in text_lines(snap, options):
            out.append((line, tone_of(line)))
    return Screen(tuple(out))


def tone_of(line: str) -> Tone:
    if line and not line.startswith(" ") and line.endswith(":"):
        return Tone.HEADING
    if any(word in line for word in _BAD_WORDS):
        return Tone.BAD
    if any(word in line for word in _WARN_WORDS):
        return Tone.WARN
    return Tone.NORMAL


@dataclass
class _Live:
    """The loop's memory (local to one run, not shared)."""

    snap: MonSnapshot | None = None
    error: str | None = None
    since: int | None = None
    token: Token = None
    next_read: float = 0.0


def run_live(source: StatusSource, options: MonOptions, interval_s: float,
             clock: Callable[[], float] = time.time) -> int:
    """Run the full-screen view until the user quits; returns the exit status."""
    # curses would take a stale $LINES/$COLUMNS over the window's real size, and then
    # never follow a resize; this process draws only to its own terminal, so drop them.
    for name in ("LINES", "COLUMNS"):
        os.environ.pop(name, None)
    try:
        return curses.wrapper(_loop, source, options, interval_s, clock)
    except KeyboardInterrupt:
        return 0


def _loop(stdscr: curses.window, source: StatusSource, options: MonOptions,
          interval_s: float, clock: Callable[[], float]) -> int:
    curses.curs_set(0)
    stdscr.timeout(int(KEY_WAIT_S * 1000))
    tones = _colours()
    live = _Live()
    dirty = True
    next_poll = 0.0
    while True:
        now = clock()
        token = live.token
        if now >= next_poll:
            token = source.token()
            next_poll = now + source.poll_s
        if token != live.token or now >= live.next_read:
            reading = source.read()
            live.token = token
            live.next_read = now + interval_s
            if reading.cib is not None:
                try:
                    live.snap = take_snapshot(reading.cib, int(now), reading.notes,
                                              reading.witness)
                    live.error = None
                    live.since = int(now)
                except Exception as error:  # a bug must not blank the operator's screen
                    live.error = f"cannot unpack this CIB: {type(error).__name__}: {error}"
            else:
                live.error = reading.error or "unavailable"
            dirty = True
        if dirty:
            _draw(stdscr, screen(live.snap, options, source=source.describe(),
                                 error=live.error, since=live.since,
                                 interval_s=interval_s), tones)
            dirty = False
        key = stdscr.getch()
        if key in (ord("q"), ord("Q")):
            return 0
        if key == curses.KEY_RESIZE:
            curses.update_lines_cols()
            dirty = True


def _colours() -> dict[Tone, int]:
    tones = {tone: curses.A_NORMAL for tone in Tone}
    tones[Tone.HEADING] = curses.A_BOLD
    tones[Tone.BANNER] = curses.A_REVERSE | curses.A_BOLD
    if curses.has_colors():
        curses.start_color()
        curses.use_default_colors()
        curses.init_pair(1, curses.COLOR_RED, -1)
        curses.init_pair(2, curses.COLOR_YELLOW, -1)
        curses.init_pair(3, curses.COLOR_WHITE, curses.COLOR_RED)
        tones[Tone.BAD] = curses.color_pair(1) | curses.A_BOLD
        tones[Tone.WARN] = curses.color_pair(2)
        tones[Tone.BANNER] = curses.color_pair(3) | curses.A_BOLD
    return tones


def _draw(stdscr: curses.window, shown: Screen, tones: dict[Tone, int]) -> None:
    stdscr.erase()
    height, width = stdscr.getmaxyx()
    usable = max(width - 1, 1)
    rows: list[tuple[str, Tone]] = []
    for text, tone in shown.lines:
        if tone is Tone.BANNER:  # the banner wraps: it must be read whole
            rows += [(part, tone) for part in textwrap.wrap(text, usable) or [""]]
        else:  # the page is clipped, as crm_mon's console mode does
            rows.append((text.expandtabs(8)[:usable], tone))
    for row, (text, tone) in enumerate(rows[:height]):
        with contextlib.suppress(curses.error):  # the last cell of a tiny window
            stdscr.addstr(row, 0, text, tones[tone])
    stdscr.refresh()
