"""A small command-line parser with Pacemaker's (glib's) conventions.

``-Gq`` groups flags; ``-n NAME``, ``-nNAME``, ``--name NAME`` and ``--name=NAME`` give a
value; an option with an *optional* value (``--promotion[=RSC]``, ``-p [RSC]``) takes the
next word only when it does not start with ``-``. Unknown options are usage errors.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

NEEDS, OPTIONAL, FLAG = "needs", "optional", "flag"


class UsageError(Exception):
    """A command line the tool cannot take (exit code 64, as Pacemaker's CRM_EX_USAGE)."""


@dataclass(frozen=True)
class Option:
    key: str  # the name the result is stored under
    short: str  # one letter, or ""
    long: tuple[str, ...]  # long names, without --
    arg: str = FLAG


@dataclass
class Parsed:
    values: dict[str, str | None] = field(default_factory=dict)
    order: list[str] = field(default_factory=list)  # keys in the order given
    words: list[str] = field(default_factory=list)  # arguments that are not options

    def has(self, key: str) -> bool:
        return key in self.values

    def get(self, key: str, default: str | None = None) -> str | None:
        value = self.values.get(key)
        return default if value is None else value


def parse(argv: Sequence[str], options: Sequence[Option]) -> Parsed:
    """``argv`` (without the program name) against ``options``; UsageError when wrong."""
    shorts = {o.short: o for o in options if o.short}
    longs = {name: o for o in options for name in o.long}
    parsed = Parsed()
    words = list(argv)
    i = 0

    def store(option: Option, value: str | None) -> None:
        parsed.values[option.key] = value
        parsed.order.append(option.key)

    def store_next(option: Option, label: str) -> None:
        """An option with no value attached: the next word when it needs or may take one."""
        nonlocal i
        if option.arg == NEEDS:
            if i >= len(words):
                raise UsageError(f"{label} needs a value")
            store(option, words[i])
            i += 1
        elif i < len(words) and not words[i].startswith("-"):
            store(option, words[i])
            i += 1
        else:
            store(option, None)

    while i < len(words):
        word = words[i]
        i += 1
        if word == "--":
            parsed.words += words[i:]
            break
        if word.startswith("--"):
            name, eq, value = word[2:].partition("=")
            option = longs.get(name)
            if option is None:
                raise UsageError(f"unknown option --{name}")
            if option.arg == FLAG:
                if eq:
                    raise UsageError(f"--{name} takes no value")
                store(option, None)
            elif eq:
                store(option, value)
            else:
                store_next(option, f"--{name}")
            continue
        if word.startswith("-") and len(word) > 1:
            letters = word[1:]
            while letters:
                letter, letters = letters[0], letters[1:]
                option = shorts.get(letter)
                if option is None:
                    raise UsageError(f"unknown option -{letter}")
                if option.arg == FLAG:
                    store(option, None)
                    continue
                if letters:
                    store(option, letters)
                else:
                    store_next(option, f"-{letter}")
                break
            continue
        parsed.words.append(word)
    return parsed
