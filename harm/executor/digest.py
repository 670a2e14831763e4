"""``op-digest``: the fingerprint of the parameters an operation ran with.

Pacemaker records, with each operation result, the MD5 of the parameters the agent was
called with, so the scheduler can tell when a resource's definition changed since it was
started (and restart or reload it). The text hashed is one XML element written the way
Pacemaker 2.1's digest code writes it:

    ' <parameters NAME="VALUE" …/>\\n'

with the attributes sorted by name (byte order), ``CRM_meta_*`` left out, except
``CRM_meta_timeout`` for a recurring operation. The tests check the result against the
``op-digest`` values in Pacemaker's scheduler regression corpus.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from harm.executor.request import OpRequest

_ESCAPES = (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ('"', "&quot;"))


def parameters_text(params: Iterable[tuple[str, str]]) -> str:
    """The ``<parameters …/>`` element as hashed (later values of a name win)."""
    merged = dict(params)
    attrs = "".join(f' {name}="{_escape(merged[name])}"' for name in sorted(merged))
    return f" <parameters{attrs}/>\n"


def op_digest(request: OpRequest) -> str:
    """Pacemaker's ``op-digest`` for ``request``: instance and op parameters, and the
    timeout when the operation is recurring."""
    params: list[tuple[str, str]] = [*request.params, *request.op_params]
    if request.recurring:
        params.append(("CRM_meta_timeout", str(request.timeout_ms)))
    return hashlib.md5(parameters_text(params).encode("utf-8"), usedforsecurity=False).hexdigest()


def _escape(value: str) -> str:
    for raw, escaped in _ESCAPES:
        value = value.replace(raw, escaped)
    return value
