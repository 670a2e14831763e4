"""Score arithmetic, as Pacemaker defines it.

Scores are integers clamped to [-INFINITY, +INFINITY] with INFINITY = 1,000,000.
Adding follows three rules, in this order of precedence:

1. -INFINITY plus anything is -INFINITY (a ban always wins);
2. +INFINITY plus anything else is +INFINITY;
3. otherwise the sum, clamped to the range.
"""

from __future__ import annotations

import re

INFINITY = 1_000_000

_WORDS = {
    "inf": INFINITY,
    "+inf": INFINITY,
    "-inf": -INFINITY,
    "infinity": INFINITY,
    "+infinity": INFINITY,
    "-infinity": -INFINITY,
}


def parse_score(text: str) -> int:
    """Parse ``inf``, ``+INFINITY``, ``-inf``, ``100`` … into a clamped integer.

    Raises ValueError for anything else, so the caller can say where it was.
    """
    word = text.strip().lower()
    if word in _WORDS:
        return _WORDS[word]
    if word.startswith("+"):
        word = word[1:]
    digits = word.lstrip("-").lstrip("0")
    if len(digits) > 18 and digits.isdigit() and digits.isascii():
        # beyond any score: clamped without converting thousands of digits
        return -INFINITY if word.startswith("-") else INFINITY
    try:
        value = int(word, 10)
    except ValueError:
        raise ValueError(f"not a score: {text!r}") from None
    return clamp(value)


# the node-health colors char2score knows, at Pacemaker's defaults (node-health-red,
# node-health-yellow and node-health-green)
HEALTH_COLORS = {"red": -INFINITY, "yellow": 0, "green": 0}
_LEADING_INT = re.compile(r"^\s*([+-]?\d+)")


def char2score(text: str | None) -> int:
    """Pacemaker's lenient reading of a score (``char2score``), for values that come from
    attributes rather than from a configuration that was checked: the INFINITY words,
    the health colors (``red`` is -INFINITY), else the leading integer (``2.0`` is 2,
    ``abc`` is 0), clamped to ±INFINITY; ``None`` is 0.

    The one lenient score rule: the unpacker, the rules and node health all use it."""
    if text is None:
        return 0
    word = text.strip().lower()
    if word in _WORDS:
        return _WORDS[word]
    if word in HEALTH_COLORS:
        return HEALTH_COLORS[word]
    match = _LEADING_INT.match(text)
    return parse_score(match.group(1)) if match else 0  # clamped, however many digits


def is_score(text: str) -> bool:
    """True when ``text`` parses as a score."""
    try:
        parse_score(text)
    except ValueError:
        return False
    return True


def clamp(value: int) -> int:
    """Clamp an integer into [-INFINITY, +INFINITY]."""
    return max(-INFINITY, min(INFINITY, value))


def add(a: int, b: int) -> int:
    """Add two scores: -INFINITY dominates, then +INFINITY, else a clamped sum."""
    if a <= -INFINITY or b <= -INFINITY:
        return -INFINITY
    if a >= INFINITY or b >= INFINITY:
        return INFINITY
    return clamp(a + b)


def total(*scores: int) -> int:
    """Sum many scores with :func:`add`; an empty sum is 0."""
    result = 0
    for score in scores:
        result = add(result, score)
    return result


def format_score(score: int) -> str:
    """``INFINITY``, ``-INFINITY`` or the decimal number, as Pacemaker prints them."""
    if score >= INFINITY:
        return "INFINITY"
    if score <= -INFINITY:
        return "-INFINITY"
    return str(score)


def format_crm_score(score: int) -> str:
    """The crm shell spelling: ``inf``, ``-inf`` or the number."""
    if score >= INFINITY:
        return "inf"
    if score <= -INFINITY:
        return "-inf"
    return str(score)
