"""Identifier rules and the ids harm generates for what crm syntax leaves unnamed.

Generated ids are deterministic, so parsing the same text twice gives equal models, and
``show`` can leave out any id that equals the one it would generate.
"""

from __future__ import annotations

import re

from harm.cib.config import Role

_ID = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]*$")
_NODE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.\-]*$")
_ATTRIBUTE = re.compile(r"^[#A-Za-z_][A-Za-z0-9_.\-#:]*$")

DEFAULT_SET_IDS = {
    "crm_config": "cib-bootstrap-options",
    "rsc_defaults": "rsc-options",
    "op_defaults": "op-options",
}


def is_valid_id(text: str) -> bool:
    """An XML id: a letter or '_' first, then letters, digits, '_', '-', '.'."""
    return bool(_ID.match(text))


def is_valid_node_name(text: str) -> bool:
    return bool(_NODE.match(text))


def is_valid_attribute_name(text: str) -> bool:
    return bool(_ATTRIBUTE.match(text))


def params_id(owner: str) -> str:
    return f"{owner}-instance_attributes"


def meta_id(owner: str) -> str:
    return f"{owner}-meta_attributes"


def utilization_id(owner: str) -> str:
    return f"{owner}-utilization"


def node_attributes_id(uname: str) -> str:
    return f"{uname}-instance_attributes"  # as crm shell names it


def node_utilization_id(uname: str) -> str:
    return f"{uname}-utilization"


def default_set_id(section: str) -> str:
    return DEFAULT_SET_IDS[section]


def op_id(rsc: str, name: str, interval: str, role: Role | None) -> str:
    base = f"{rsc}-{name}-{interval}"
    if role is not None:
        base += f"-{role.value.lower()}"
    return sanitize(base)


def rule_id(owner: str, index: int) -> str:
    return f"{owner}-rule" if index == 0 else f"{owner}-rule-{index}"


def expression_id(rule: str, index: int) -> str:
    return f"{rule}-expression" if index == 0 else f"{rule}-expression-{index}"


def set_id(owner: str, index: int) -> str:
    return f"{owner}-{index}"


def sanitize(text: str) -> str:
    """Make any text a valid id (replace what an id cannot hold)."""
    cleaned = re.sub(r"[^A-Za-z0-9_.\-]", "_", text)
    if not cleaned or not (cleaned[0].isalpha() or cleaned[0] == "_"):
        cleaned = "_" + cleaned
    return cleaned


def unique(candidate: str, taken: set[str]) -> str:
    if candidate not in taken:
        return candidate
    index = 1
    while f"{candidate}-{index}" in taken:
        index += 1
    return f"{candidate}-{index}"


def fencing_level_id(kind: str, target: str, index: int) -> str:
    """``fl-osspc30-1``, ``fl-attr-rack-1-2``, ``fl-pattern-1`` (the n-th pattern)."""
    if kind == "node":
        return sanitize(f"fl-{target}-{index}")
    return sanitize(f"fl-{kind}-{target}-{index}")
