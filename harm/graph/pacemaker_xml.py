"""Read a Pacemaker transition graph (``crm_simulate -G FILE``) as a harm transition.

Each ``<synapse>`` becomes an :class:`~harm.engine.transition.Action` with the graph's
action id, and each ``<trigger>`` an ordering; :func:`read_graph` also returns the
synapses in file order, which is the order :mod:`harm.graph.runner` fires them in. This
lets a graph computed by Pacemaker be replayed through harm's runner and backends.

Resource actions carry the names Pacemaker wrote (``id`` and ``long-id`` of the
``<primitive>``) in ``meta`` as ``rsc_id`` and ``rsc_long_id``.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from harm.engine.transition import Action, ActionKind, Ordering, OrderKind, Transition
from harm.errors import CibFormatError

_KINDS = {"rsc_op": ActionKind.RESOURCE, "pseudo_event": ActionKind.PSEUDO,
          "crm_event": ActionKind.CLUSTER}


def read_graph(data: str | bytes, source: str = "<graph>") -> tuple[Transition, list[Action]]:
    """The transition a graph describes, and its actions in synapse order."""
    try:
        root = ET.fromstring(data)
    except ET.ParseError as error:
        raise CibFormatError(f"{source}: not a transition graph ({error})") from None
    actions: dict[int, Action] = {}
    order: list[Action] = []
    orderings: list[Ordering] = []
    for synapse in root.findall("synapse"):
        action_set = synapse.find("action_set")
        if action_set is None or len(action_set) == 0:
            raise CibFormatError(f"{source}: synapse {synapse.get('id')} has no action")
        elem = action_set[0]
        action = _action(elem, source)
        actions[action.id] = action
        order.append(action)
        inputs = synapse.find("inputs")
        for trigger in inputs if inputs is not None else ():
            for first in trigger:
                orderings.append(Ordering(int(first.get("id", "-1")), action.id,
                                          OrderKind.OPTIONAL))
    size = max(actions, default=-1) + 1
    filler = [Action(i, "none", optional=True, runnable=False) for i in range(size)]
    dense = tuple(actions.get(i, filler[i]) for i in range(size))
    return Transition(actions=dense, orderings=tuple(orderings)), order


def _action(elem: ET.Element, source: str) -> Action:
    kind = _KINDS.get(elem.tag)
    if kind is None:
        raise CibFormatError(f"{source}: unknown graph action <{elem.tag}>")
    operation = elem.get("operation") or ""
    if kind is ActionKind.CLUSTER and operation == "stonith":
        kind = ActionKind.FENCE
    attributes = elem.find("attributes")
    attrs = dict(attributes.attrib) if attributes is not None else {}
    meta: list[tuple[str, str]] = [("key", elem.get("operation_key") or "")]
    rsc: str | None = None
    primitive = elem.find("primitive")
    if primitive is not None:
        rsc = primitive.get("long-id") or primitive.get("id")
        meta += [("rsc_id", primitive.get("id") or ""),
                 ("rsc_long_id", primitive.get("long-id") or primitive.get("id") or "")]
    for name in ("CRM_meta_stonith_action", "CRM_meta_op_target_rc", "CRM_meta_role"):
        if name in attrs:
            meta.append((name.removeprefix("CRM_meta_"), attrs[name]))
    interval = attrs.get("CRM_meta_interval", "0")
    return Action(
        id=int(elem.get("id", "-1")), task=operation, rsc=rsc, node=elem.get("on_node"),
        interval_ms=int(interval) if interval.isdigit() else 0, kind=kind,
        meta=tuple(meta),
    )
