"""Node attributes in a CIB: transient ones in the status, permanent ones in the configuration.

Pacemaker keeps an attribute with lifetime ``reboot`` in the node's ``transient_attributes``
(gone when the node leaves the cluster) and one with lifetime ``forever`` in the node's
``instance_attributes`` in the configuration. Rules read both; a transient value wins.
These functions are pure: (CIB, request) → new CIB.
"""

from __future__ import annotations

import enum
from dataclasses import replace

from harm.cib.cib import Cib
from harm.cib.config import Node, NvSet
from harm.cib.status import NodeState
from harm.errors import ConfigError


class Lifetime(enum.Enum):
    REBOOT = "reboot"
    FOREVER = "forever"

    @classmethod
    def parse(cls, text: str) -> Lifetime:
        words = {"reboot": cls.REBOOT, "transient": cls.REBOOT, "status": cls.REBOOT,
                 "forever": cls.FOREVER, "permanent": cls.FOREVER, "nodes": cls.FOREVER}
        try:
            return words[text.lower()]
        except KeyError:
            raise ConfigError(f"lifetime must be reboot or forever, not {text!r}") from None


def known_nodes(cib: Cib) -> list[str]:
    """Node names the CIB knows, configuration first."""
    names = [node.uname for node in cib.configuration.nodes]
    names += [state.uname for state in cib.status.nodes if state.uname not in names]
    return names


def _check_node(cib: Cib, uname: str) -> None:
    if uname not in known_nodes(cib):
        known = ", ".join(known_nodes(cib)) or "none"
        raise ConfigError(f"unknown node {uname!r} (known nodes: {known})")


def query(cib: Cib, uname: str, name: str, lifetime: Lifetime) -> str | None:
    """The attribute's value with that lifetime, or None."""
    _check_node(cib, uname)
    if lifetime is Lifetime.REBOOT:
        state = cib.status.node(uname)
        return state.attribute(name) if state else None
    node = cib.configuration.node_by_uname(uname)
    return node.attribute(name) if node else None


def update(cib: Cib, uname: str, name: str, value: str | None, lifetime: Lifetime) -> Cib:
    """Set (or, with ``value`` None, delete) one node attribute."""
    _check_node(cib, uname)
    if lifetime is Lifetime.REBOOT:
        state = cib.status.node(uname) or NodeState(id=_node_id(cib, uname), uname=uname)
        sets = _set_pair(state.transient_attributes, f"status-{state.id}", name, value)
        if sets == state.transient_attributes:
            return cib
        return cib.with_status(cib.status.with_node(replace(state, transient_attributes=sets)))
    node = cib.configuration.node_by_uname(uname) or Node(id=_node_id(cib, uname), uname=uname)
    sets = _set_pair(node.attributes, f"nodes-{uname}", name, value)
    if sets == node.attributes and cib.configuration.node_by_uname(uname) is not None:
        return cib
    nodes = [n for n in cib.configuration.nodes if n.uname != uname]
    index = next((i for i, n in enumerate(cib.configuration.nodes) if n.uname == uname),
                 len(nodes))
    nodes.insert(index, replace(node, attributes=sets))
    return cib.with_configuration(replace(cib.configuration, nodes=tuple(nodes)))


def _node_id(cib: Cib, uname: str) -> str:
    node = cib.configuration.node_by_uname(uname)
    if node is not None:
        return node.id
    state = cib.status.node(uname)
    return state.id if state is not None else uname


def _set_pair(
    sets: tuple[NvSet, ...], default_id: str, name: str, value: str | None
) -> tuple[NvSet, ...]:
    """Sets with ``name`` set in the first set that has it (else the first set, else a new
    one), or removed from every set when ``value`` is None."""
    if value is None:
        return tuple(
            replace(s, pairs=tuple(p for p in s.pairs if p[0] != name)) for s in sets
        )
    result = list(sets)
    target = next((i for i, s in enumerate(result) if s.get(name) is not None and s.rule is None),
                  None)
    if target is None:
        target = next((i for i, s in enumerate(result) if s.rule is None), None)
    if target is None:
        result.append(NvSet(default_id, ((name, value),)))
        return tuple(result)
    chosen = result[target]
    if chosen.get(name) is not None:
        pairs = tuple((k, value if k == name else v) for k, v in chosen.pairs)
    else:
        pairs = (*chosen.pairs, (name, value))
    result[target] = replace(chosen, pairs=pairs)
    return tuple(result)
