"""Utilization: node capacities, what resources use, and the placement strategies.

Nodes declare capacities (``utilization`` sets on nodes: ``memory=2048 cpu=4``) and
primitives what they use (``utilization`` on the primitive). With ``placement-strategy``
``default`` none of it matters. Otherwise (Pacemaker's ``pcmk_sched_utilization``):

* top-level resources are assigned in a new order (:func:`sort_resources`): priority
  first, then the score of their current node, then their scores node by node;
* before a primitive picks a node, nodes that cannot hold it and the resources that
  must run with it (mandatory colocations, not yet placed) are banned; when no node can
  hold all of them, only those that cannot hold the primitive alone are, and the node with
  most free capacity becomes its preferred node (:func:`ban_insufficient_capacity`);
* each assignment consumes the node's capacity (:func:`consume`; :func:`release` gives
  it back when an assignment is undone);
* nodes are compared (:func:`compare_nodes`): by score, then — ``balanced`` only — by
  free capacity, then by resources already assigned and the current node (not for
  ``minimal``), then by name;
* a primitive's stops come before a ``load_stopped_NODE`` pseudo-action of their node,
  and its starts after the one of theirs (:func:`order_load`), so capacity is freed
  before it is used.

Capacities are integers; a value that is not is read as 0.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping

from harm.cib.config import Primitive, merged
from harm.cib.scores import INFINITY, add
from harm.engine.colocation import add_colocated_scores, affects_location, any_available
from harm.engine.state import Variant, node_name_key
from harm.engine.transition import ActionKind, load_ordering_counts
from harm.engine.transition import OrderKind as K
from harm.engine.work import Act, Rsc, Work


def strategy(work: Work) -> str:
    return work.options.placement_strategy.strip().lower() or "default"


def uses_utilization(work: Work) -> bool:
    return strategy(work) != "default"


def value(text: str | None) -> int:
    """A utilization value: its leading integer, 0 when there is none."""
    if text is None:
        return 0
    text = text.strip()
    end = 1 if text[:1] in "+-" else 0
    while end < len(text) and text[end].isdigit():
        end += 1
    try:
        return int(text[:end])
    except ValueError:
        return 0


def node_capacities(work: Work) -> dict[str, dict[str, int]]:
    """Every node's declared capacities (what is left of them as resources are placed)."""
    result: dict[str, dict[str, int]] = {}
    for node in work.nodes:
        config = work.state.configuration.node_by_uname(node.name)
        pairs = merged(config.utilization) if config is not None else {}
        result[node.name] = {name: value(text) for name, text in pairs.items()}
    return result


def usage(work: Work, rsc: Rsc) -> dict[str, int]:
    """What a primitive uses (empty for other resources)."""
    cached = work.usage.get(rsc.id)
    if cached is None:
        config = work.config_resource(rsc.state.config_id)
        pairs = merged(config.utilization) if isinstance(config, Primitive) else {}
        cached = {name: value(text) for name, text in pairs.items()}
        work.usage[rsc.id] = cached
    return cached


def consume(work: Work, node: str, rsc: Rsc) -> None:
    left = work.capacity.setdefault(node, {})
    for name, used in usage(work, rsc).items():
        left[name] = left[name] - used if name in left else 0


def release(work: Work, node: str, rsc: Rsc) -> None:
    left = work.capacity.setdefault(node, {})
    for name, used in usage(work, rsc).items():
        left[name] = left.get(name, 0) + used


def compare_capacities(work: Work, node1: str, node2: str) -> int:
    """Negative when ``node1`` has more free capacity (counted per capacity name)."""
    one = work.capacity.get(node1, {})
    two = work.capacity.get(node2, {})
    result = 0
    for name in {*one, *two}:
        a, b = one.get(name, 0), two.get(name, 0)
        if a > b:
            result -= 1
        elif a < b:
            result += 1
    return result


def compare_nodes(work: Work, weights: Mapping[str, int], current: str | None,
                  node1: str, node2: str) -> int:
    """Pacemaker's ``compare_nodes``: -1 when ``node1`` is the better choice."""
    w1 = weights[node1] if work.available(node1) else -INFINITY
    w2 = weights[node2] if work.available(node2) else -INFINITY
    if w1 != w2:
        return -1 if w1 > w2 else 1
    kind = strategy(work)
    if kind != "minimal":
        if kind == "balanced":
            result = compare_capacities(work, node1, node2)
            if result:
                return -1 if result < 0 else 1
        c1, c2 = work.assigned_count.get(node1, 0), work.assigned_count.get(node2, 0)
        if c1 != c2:
            return -1 if c1 < c2 else 1
        if current is not None and node1 == current:
            return -1
        if current is not None and node2 == current:
            return 1
    return -1 if node1 < node2 else (1 if node1 > node2 else 0)


def sorted_nodes(work: Work, weights: Mapping[str, int], current: str | None) -> list[str]:
    def compare(a: str, b: str) -> int:
        return compare_nodes(work, weights, current, a, b)

    return sorted(weights, key=functools.cmp_to_key(compare))


# ----------------------------------------------------------------------------- order


def sort_resources(work: Work) -> None:
    """Assignment order of the top-level resources (Pacemaker's ``pcmk__sort_resources``)."""
    nodes = sorted_nodes(work, {n.name: 0 for n in work.nodes}, None)
    scores = {rsc.id: _colocated_scores(work, rsc) for rsc in work.top}

    def compare(a: Rsc, b: Rsc) -> int:
        if a.priority != b.priority:
            return -1 if a.priority > b.priority else 1
        sa, sb = scores[a.id], scores[b.id]
        wa = sa.get(a.current_node, -INFINITY) if a.current_node else -INFINITY
        wb = sb.get(b.current_node, -INFINITY) if b.current_node else -INFINITY
        if wa != wb:
            return -1 if wa > wb else 1
        for node in nodes:
            wa, wb = sa.get(node, -INFINITY), sb.get(node, -INFINITY)
            if wa != wb:
                return -1 if wa > wb else 1
        return 0

    work.top = sorted(work.top, key=functools.cmp_to_key(compare))


def _colocated_scores(work: Work, rsc: Rsc) -> dict[str, int]:
    """A resource's node scores with those of what it is colocated with folded in."""
    if rsc.variant is Variant.GROUP and rsc.children:
        weights = _colocated_scores(work, rsc.children[-1])
    else:
        weights = dict(rsc.allowed)
    if any_available(work, weights):
        for coloc in rsc.this_with:
            weights = add_colocated_scores(work, coloc.primary, weights,
                                           coloc.node_attribute, coloc.score / INFINITY,
                                           select_active=True, this_with=True)
    return weights


# ----------------------------------------------------------------------------- capacity


def ban_insufficient_capacity(work: Work, rsc: Rsc) -> str | None:
    """Ban ``rsc`` from nodes too small for it and what must run with it; the node with
    the most free capacity when no node can hold all of them."""
    if not uses_utilization(work):
        return None
    together = colocated_resources(rsc, rsc, [])
    if rsc not in together:
        together.append(rsc)
    needed: dict[str, int] = {}
    for member in together:
        _add_usage(work, member, rsc, together, needed)
    candidates = [n.name for n in work.nodes
                  if n.name in rsc.allowed and work.available(n.name)
                  and rsc.allowed[n.name] >= 0]
    any_capable = False
    most_free: str | None = None
    for node in candidates:
        if _enough(work, node, needed):
            any_capable = True
        if most_free is None or compare_capacities(work, node, most_free) < 0:
            most_free = node
    wanted = needed if any_capable else usage(work, rsc)
    for node in candidates:
        if not _enough(work, node, wanted):
            rsc.allowed[node] = add(rsc.allowed[node], -INFINITY)
    return None if any_capable else most_free


def _enough(work: Work, node: str, needed: Mapping[str, int]) -> bool:
    left = work.capacity.get(node, {})
    return all(used <= left.get(name, 0) for name, used in needed.items())


def colocated_resources(rsc: Rsc, origin: Rsc, found: list[Rsc]) -> list[Rsc]:
    """``rsc`` and everything tied to it by mandatory colocations (Pacemaker's
    ``colocated_resources`` methods)."""
    if rsc in found:
        return found
    if rsc.variant is Variant.GROUP:
        members = rsc.children if _colocated_group(rsc) else rsc.children[:1]
        for member in members:
            found = colocated_resources(member, origin, found)
        if rsc in found:
            return found
    found.append(rsc)
    for coloc in rsc.this_with:
        primary = coloc.primary
        if primary is not origin and coloc.score >= INFINITY \
                and affects_location(rsc, primary, coloc, preview=True):
            found = colocated_resources(primary, origin, found)
    for coloc in rsc.with_this:
        dependent = coloc.dependent
        if dependent is origin:
            continue
        if rsc.variant is Variant.CLONE and dependent.variant is not Variant.CLONE:
            continue
        if coloc.score >= INFINITY and affects_location(dependent, rsc, coloc, preview=True):
            found = colocated_resources(dependent, origin, found)
    return found


def _colocated_group(rsc: Rsc) -> bool:
    collocated = rsc.state.meta.get("collocated", "true").strip().lower()
    return collocated not in ("false", "no", "off", "0", "n") or (
        rsc.parent is not None and rsc.parent.variant is Variant.CLONE)


def _add_usage(work: Work, rsc: Rsc, origin: Rsc, together: list[Rsc],
               total: dict[str, int]) -> None:
    """What a not yet placed resource will use (Pacemaker's ``add_utilization``)."""
    if not rsc.provisional:
        return
    if rsc.variant is Variant.PRIMITIVE:
        for name, used in usage(work, rsc).items():
            total[name] = total.get(name, 0) + used
    elif rsc.variant is Variant.GROUP:
        members = rsc.children if _colocated_group(rsc) else rsc.children[:1]
        for member in members:
            if member.provisional and member not in together:
                _add_usage(work, member, origin, together, total)
    elif rsc.children:
        existing = False
        for child in rsc.children:
            if child in together:
                existing = True
            elif any(member in together for member in child.children):
                _add_usage(work, child, origin, together, total)
                existing = True
        if not existing:
            _add_usage(work, rsc.children[0], origin, together, total)


# ----------------------------------------------------------------------------- orderings


def create_load_ops(work: Work) -> None:
    """The ``load_stopped_NODE`` pseudo-actions, created before assignment as Pacemaker's
    implicit constraints create them (their ids fix where they appear in the graph): for
    each managed primitive that uses capacity, the nodes it runs on, then every node it
    may go to, by name."""
    if not uses_utilization(work):
        return
    for top in work.top:
        for rsc in [top, *top.primitives()] if not top.is_primitive else [top]:
            if not rsc.is_primitive or not rsc.managed or not usage(work, rsc):
                continue
            running = list(rsc.running_on)
            allowed = sorted(rsc.allowed, key=node_name_key)
            for node in (*running, *allowed):
                _load_stopped(work, node)
            work.load_nodes[rsc.id] = (running, allowed)


def order_load(work: Work, rsc: Rsc) -> None:
    """``stop rsc`` before ``load_stopped_NODE`` where it runs, that before its start (or
    migration) on every node it may go to."""
    nodes = work.load_nodes.get(rsc.id)
    if nodes is None:
        return
    running, allowed = nodes
    for node in running:
        load = _load_stopped(work, node)
        for stop in rsc.find_actions("stop"):
            work.order(stop, load, K.LOAD)
    for node in allowed:
        load = _load_stopped(work, node)
        for task in ("start", "migrate_to"):
            for then in rsc.find_actions(task):
                work.order(load, then, K.LOAD)


def _load_stopped(work: Work, node: str) -> Act:
    name = f"load_stopped_{node}"
    return work.action(None, name, node, optional=False, kind=ActionKind.PSEUDO, name=name,
                       meta={"key": name})


def break_load_loops(work: Work) -> None:
    """Two resources migrating onto each other's node wait for each other's stop through
    the ``load_stopped`` actions: drop the ``load_stopped -> migrate_to`` ordering that
    closes such a loop (Pacemaker's ``pcmk__disable_invalid_orderings``)."""
    if not work.load_nodes:
        return
    for act in reversed(work.actions):
        if act.task != "migrate_to" or not (act.runnable and not act.optional):
            continue
        for first, kind in list(act.before):
            if kind == K.LOAD.value and _graph_input(first, act, kind) \
                    and _reaches(first, act, set()):
                work.unorder(first, act, kind)


def _graph_input(first: Act, then: Act, kind: int) -> bool:
    """Whether ``first`` is an input of ``then`` in the transition graph."""
    if first.optional or not first.runnable or kind & K.SERIALIZE.value:
        return False
    if kind & K.LOAD.value:
        return load_ordering_counts(first.node, then.task, then.node,
                                    then.meta.get("migrate_target"))
    return True


def _reaches(start: Act, target: Act, seen: set[int]) -> bool:
    """Whether ``target`` is among the graph inputs of ``start``, transitively."""
    if start is target:
        return True
    if start.id in seen:
        return False
    seen.add(start.id)
    return any(_graph_input(first, start, kind) and _reaches(first, target, seen)
               for first, kind in start.before)
