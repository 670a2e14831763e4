"""JSON from the outside, parsed within bounds: nesting depth, strict numbers, valid text.

Every JSON document harmd reads from a peer or a client goes through :func:`loads`:

- nesting deeper than ``max_depth`` is refused *before* ``json.loads`` recurses (a few
  thousand ``[`` make the standard parser raise ``RecursionError``, and a deep value would
  crash the code that walks it later); the depth is measured on the document with its
  strings removed, by regular expressions that run at C speed;
- ``NaN``, ``Infinity`` and ``-Infinity`` (which Python's parser accepts) are refused;
- a string holding a lone surrogate (``"\\ud800"``, valid JSON but no text at all) is
  refused, so everything decoded can be written back as UTF-8.

It raises only :class:`JsonRefusedError` (a ``ValueError``) with a short reason.
"""

from __future__ import annotations

import json
import re
from typing import Any

MAX_DEPTH = 32

_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKET = re.compile(rb"[^\[\]{}]+")
_SURROGATE = re.compile(r"[\ud800-\udfff]")
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")


class JsonRefusedError(ValueError):
    """A document that is not JSON, or not within the bounds."""


def depth(data: bytes, limit: int = MAX_DEPTH) -> int:
    """How deeply ``data``'s arrays and objects nest (strings do not count), counted up to
    ``limit + 1``: each round removes the innermost (empty) pairs at C speed, so the cost
    is a few passes over the document whatever its shape."""
    if data.count(b"[") + data.count(b"{") <= limit:  # most messages: a few brackets
        return 0
    brackets = _NOT_BRACKET.sub(b"", _STRING.sub(b"", data))
    level = 0
    while brackets and level <= limit:
        shorter = brackets.replace(b"[]", b"").replace(b"{}", b"")
        if shorter == brackets:  # unbalanced: not JSON, json.loads says why
            return level
        brackets = shorter
        level += 1
    return level + (1 if brackets else 0)


def _refuse_constant(name: str) -> Any:
    raise JsonRefusedError(f"{name} is not a number harm accepts")


def loads(data: bytes | str, max_depth: int = MAX_DEPTH) -> Any:
    """``json.loads`` within the bounds of the module docstring; JsonRefusedError otherwise."""
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data
    if depth(raw, max_depth) > max_depth:
        raise JsonRefusedError(f"nested more than {max_depth} levels deep")
    try:
        value = json.loads(raw, parse_constant=_refuse_constant)
    except RecursionError:
        raise JsonRefusedError("nested too deeply") from None
    except JsonRefusedError:
        raise
    except ValueError as error:  # JSONDecodeError and UnicodeDecodeError
        raise JsonRefusedError(f"not JSON: {error}") from None
    if b"\xed" in raw or _SURROGATE_ESCAPE.search(raw):  # a surrogate, escaped or raw
        _check_text(value)
    return value


def _check_text(value: Any) -> None:
    """Refuse lone surrogates anywhere in ``value`` (only called when an escape is seen:
    a surrogate pair, an emoji, is fine)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if _SURROGATE.search(item):
                raise JsonRefusedError("a string holds a lone surrogate (not text)")
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
