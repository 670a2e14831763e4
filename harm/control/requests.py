"""From a transition action to the request a node's executor runs.

The coordinator executes the policy engine's :class:`~harm.engine.transition.Transition`
one resource action at a time. Each action becomes one
:class:`~harm.executor.request.OpRequest`, carrying what Pacemaker's scheduler writes into
the ``<rsc_op>`` of its transition graph (the ``CRM_meta_*`` attributes):

    rsc         the name the agent sees: a unique clone instance as ``db:1``, an anonymous
                one by its configuration id (``db``), or by the name its history uses
                when that differs; an orphan by its history name
    params      instance attributes of the primitive and its parents, with rules on the
                sets evaluated for the action's node at the state's ``now``
    op meta     timeout, interval, role and the op's other attributes
                (:func:`harm.executor.build.request_for`), with ``op_defaults`` evaluated
                for the operation (``op_expression``/``rsc_expression`` rules)
    target_rc   the exit code the coordinator expects:
                  probe               7 where the resource is not running, 8 where it runs
                                      promoted, else 0
                  recurring monitor   8 when the resource's next role is promoted,
                                      7 for a ``role=Stopped`` monitor, else 0
                  anything else       0 (an ``op_target_rc`` in the action's meta wins)
    clone       instance number and the clone's meta, as the state unpacked them
    notify      for a ``notify`` action, the whole :class:`NotifyInfo`

Notification lists (Pacemaker 2.1.5's ``pe__create_notifications``) are computed from the
state and the transition, for every primitive inside the notifying clone:

    by current role   Stopped → inactive; Started → active;
                      Unpromoted → unpromoted + active; Promoted → promoted + active
                      (with the first node it runs on); an instance of a promotable
                      clone that runs without being promoted counts as unpromoted
    by action         each required action of the instance on a node (runnable, or a stop
                      on a node being fenced): start, stop, promote, demote lists
    available         the nodes the clone may be placed on (its allocation scores)
    all               every node of the cluster, in Pacemaker's node-name order

The same lists are given to every notification of a clone, whatever the operation, and,
as Pacemaker does, to the start, stop, promote and demote of its instances (as op meta).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from harm.cib.cib import Cib
from harm.cib.config import Clone, Group, Location, NvSet, Op, Primitive, Role, merge_sets
from harm.engine.rules import RuleInput, rule_matches
from harm.engine.state import ClusterState, ResourceState, Variant, node_name_key
from harm.engine.transition import Action, ActionKind, Transition
from harm.errors import ConfigError
from harm.executor.build import request_for
from harm.executor.request import ACTIONS, CloneInfo, NotifyInfo, OpRequest, Peer
from harm.graph.simulated import graph_names

OCF_RUNNING = 0
OCF_NOT_RUNNING = 7
OCF_RUNNING_PROMOTED = 8
_CHANGES = ("start", "stop", "promote", "demote")


def transition_key(action_id: int, transition_id: int, target_rc: int, dc_uuid: str) -> str:
    """Pacemaker's transition key ``ACTION:TRANSITION:TARGET_RC:UUID``; the coordinator's
    uuid is padded with spaces to 36 characters, as Pacemaker writes it."""
    return f"{action_id}:{transition_id}:{target_rc}:{dc_uuid:<36}"


def request_for_action(
    cib: Cib,
    state: ClusterState,
    transition: Transition,
    action: Action,
    *,
    transition_key: str,
) -> OpRequest:
    """The request the node ``action.node`` runs for a resource ``action`` (see the module
    doc). ConfigError when the action is not an executable resource action or names a
    resource the state does not know."""
    if action.kind is not ActionKind.RESOURCE or action.rsc is None or action.node is None:
        raise ConfigError(f"action {action.id} ({action.key}) is not a resource action "
                          "on a node")
    if action.task not in ACTIONS:
        raise ConfigError(f"action {action.id} ({action.key}): {action.task} is not an agent "
                          "action (the executor or controller carries it out itself)")
    rsc = state.resource(action.rsc)
    if rsc is None or rsc.variant is not Variant.PRIMITIVE:
        raise ConfigError(f"action {action.id}: {action.rsc} is not a primitive resource "
                          "of the cluster state")
    notify = notify_info(state, transition, action) if action.task == "notify" else None
    # op_defaults whose sets have rules are evaluated here for this very operation
    config = dataclasses.replace(cib.configuration, op_defaults=(
        op_defaults(state, rsc, action.task, action.interval_ms),))
    if not isinstance(config.find_resource(rsc.config_id), Primitive):
        if rsc.agent is None:
            raise ConfigError(f"action {action.id}: {action.rsc} has no agent")
        # an orphan, gone from the configuration: it runs with the defaults
        orphan = Primitive(rsc.config_id, rsc.agent)
        config = dataclasses.replace(config, resources=(*config.resources, orphan))
    base = request_for(
        config,
        rsc.config_id,
        action.task,
        action.interval_ms,
        params=tuple(node_params(state, rsc, action.node).items()),
        notify=notify,
        transition_key=transition_key,
        target_rc=expected_rc(state, transition, action),
    )
    clone = _clone_info(state, rsc)
    meta = base.meta
    if action.task in _CHANGES and clone is not None and clone.notify:
        meta += _notify_lists(state, transition, rsc)
    return dataclasses.replace(base, rsc=graph_names(rsc)[0], clone=clone, meta=meta)


def _notify_lists(state: ClusterState, transition: Transition,
                  rsc: ResourceState) -> tuple[tuple[str, str], ...]:
    """The ``notify_*`` lists Pacemaker also hands to the start, stop, promote and demote
    of a notifying clone's instance (without the type and operation of a notification)."""
    clone = _clone_of(state, rsc)
    if clone is None:
        return ()
    info = clone_notification(state, transition, clone, "pre", "start")
    return tuple((name, value) for name, value in info.meta()
                 if not name.startswith(("notify_type", "notify_operation", "notify_key_")))


# ----------------------------------------------------------------------------- target rc


def expected_rc(state: ClusterState, transition: Transition, action: Action) -> int:
    """The exit code a successful ``action`` returns (see the module doc)."""
    given = action.meta_value("op_target_rc")
    if given is not None and given.lstrip("-").isdigit():
        return int(given)
    if action.task != "monitor":
        return OCF_RUNNING
    rsc = state.resource(action.rsc or "")
    if rsc is None:
        return OCF_RUNNING
    if action.interval_ms == 0:
        if action.node not in rsc.running_on:
            return OCF_NOT_RUNNING
        return OCF_RUNNING_PROMOTED if rsc.role is Role.PROMOTED else OCF_RUNNING
    op = _recurring_op(rsc, action.interval_ms)
    if op is not None and op.role is Role.STOPPED:
        return OCF_NOT_RUNNING
    if _next_role(transition, rsc.id) is Role.PROMOTED:
        return OCF_RUNNING_PROMOTED
    return OCF_RUNNING


def _recurring_op(rsc: ResourceState, interval_ms: int) -> Op | None:
    for op in rsc.ops:
        if op.name != "monitor":
            continue
        try:
            if op.interval_ms == interval_ms:
                return op
        except ValueError:
            continue
    return None


def _next_role(transition: Transition, rsc_id: str) -> Role | None:
    for placed, _node, role in transition.placements:
        if placed == rsc_id:
            return role
    return None


# ----------------------------------------------------------------------------- params


def node_params(state: ClusterState, rsc: ResourceState, node: str | None) -> dict[str, str]:
    """Instance attributes of ``rsc`` as Pacemaker gives them to an action on ``node``:
    its own sets, then its parents' (a name set earlier wins), each level evaluated by
    :func:`evaluate_sets` with the node's attributes at ``state.now``."""
    chain = _config_chain(state, rsc)
    if not chain:  # an orphan: only what its history recorded
        return dict(rsc.params)
    info = state.node(node) if node is not None else None
    given = RuleInput(
        node_attrs=_with_site(info.attributes) if info is not None else None,
        now=state.now,
        rsc_class=rsc.agent.cls if rsc.agent else None,
        rsc_provider=rsc.agent.provider if rsc.agent else None,
        rsc_type=rsc.agent.type if rsc.agent else None,
    )
    result: dict[str, str] = {}
    for item in chain:
        for key, value in evaluate_sets(item.params, given).items():
            result.setdefault(key, value)
    return result


def evaluate_sets(sets: tuple[NvSet, ...], given: RuleInput) -> dict[str, str]:
    """Name/value sets merged by :func:`~harm.cib.config.merge_sets`, a set whose rule
    does not hold for ``given`` skipped."""
    return merge_sets(sets, lambda nvset: nvset.rule is None
                      or rule_matches(nvset.rule, given))


def op_defaults(state: ClusterState, rsc: ResourceState, task: str,
                interval_ms: int) -> NvSet:
    """``op_defaults`` for one operation of ``rsc``, rules evaluated for that operation
    (``op_expression``), that agent (``rsc_expression``) and ``state.now``."""
    given = RuleInput(
        now=state.now,
        op_name=task,
        op_interval_ms=interval_ms,
        rsc_class=rsc.agent.cls if rsc.agent else None,
        rsc_provider=rsc.agent.provider if rsc.agent else None,
        rsc_type=rsc.agent.type if rsc.agent else None,
    )
    pairs = evaluate_sets(state.configuration.op_defaults, given)
    return NvSet("op_defaults-evaluated", tuple(pairs.items()))


def _with_site(attrs: Mapping[str, str]) -> Mapping[str, str]:
    """A node's attributes with ``#site-name`` defaulting to ``#cluster-name`` (Pacemaker's
    rule when the node sets no ``site-name``; the unpacked state leaves it out)."""
    if "#site-name" in attrs or "#cluster-name" not in attrs:
        return attrs
    return {**attrs, "#site-name": attrs["#cluster-name"]}


def _config_chain(state: ClusterState, rsc: ResourceState) -> list[Primitive | Group | Clone]:
    """The configuration items of ``rsc`` and its ancestors, innermost first."""
    chain: list[Primitive | Group | Clone] = []
    current: ResourceState | None = rsc
    while current is not None:
        item = state.configuration.find_resource(current.config_id)
        if item is not None:
            chain.append(item)
        current = state.resource(current.parent) if current.parent is not None else None
    return chain


# ----------------------------------------------------------------------------- clones


def _clone_of(state: ClusterState, rsc: ResourceState) -> ResourceState | None:
    current = rsc
    while current.parent is not None:
        parent = state.resource(current.parent)
        if parent is None:
            return None
        if parent.variant is Variant.CLONE:
            return parent
        current = parent
    return None


def _clone_info(state: ClusterState, rsc: ResourceState) -> CloneInfo | None:
    clone = _clone_of(state, rsc)
    if clone is None or clone.clone is None:
        return None
    settings = clone.clone
    return CloneInfo(
        instance=rsc.instance,
        clone_max=settings.clone_max,
        clone_node_max=settings.clone_node_max,
        promotable=settings.promotable,
        promoted_max=settings.promoted_max,
        promoted_node_max=settings.promoted_node_max,
        notify=settings.notify,
        globally_unique=settings.unique,
    )


def _leaves(state: ClusterState, rsc: ResourceState) -> list[ResourceState]:
    """The primitives inside ``rsc`` (itself when it is one), in tree order."""
    if rsc.variant is Variant.PRIMITIVE:
        return [rsc]
    found: list[ResourceState] = []
    for child in state.children_of(rsc.id):
        found += _leaves(state, child)
    return found


# ----------------------------------------------------------------------------- notifications


def notify_info(state: ClusterState, transition: Transition, action: Action) -> NotifyInfo:
    """The notification a ``notify`` action delivers (see the module doc)."""
    rsc = state.resource(action.rsc or "")
    clone = _clone_of(state, rsc) if rsc is not None else None
    if rsc is None or clone is None:
        raise ConfigError(f"action {action.id}: {action.rsc} is not in a clone, so it has "
                          "no notifications")
    kind = action.meta_value("notify_type") or ""
    operation = action.meta_value("notify_operation") or ""
    if kind not in ("pre", "post") or operation not in _CHANGES:
        raise ConfigError(f"action {action.id} ({action.key}) does not say which "
                          "notification it is")
    return clone_notification(state, transition, clone, kind, operation)


def clone_notification(state: ClusterState, transition: Transition, clone: ResourceState,
                       kind: str, operation: str) -> NotifyInfo:
    """The notification of ``clone``'s instances about ``operation`` (``kind`` pre or
    post); its lists are the same for every operation (see the module doc)."""
    lists: dict[str, list[Peer]] = {name: [] for name in (
        "active", "inactive", "promoted", "unpromoted", *_CHANGES)}
    promotable = clone.clone is not None and clone.clone.promotable
    leaves = _leaves(state, clone)
    for leaf in leaves:
        node = leaf.running_on[0] if leaf.running_on else ""
        peer = Peer(leaf.id, node)
        if leaf.role is Role.STOPPED:
            lists["inactive"].append(peer)
            continue
        lists["active"].append(peer)
        if leaf.role is Role.PROMOTED:
            lists["promoted"].append(peer)
        elif leaf.role is Role.UNPROMOTED or promotable:
            # an active instance of a promotable clone that is not promoted is unpromoted
            lists["unpromoted"].append(peer)
    ids = {leaf.id for leaf in leaves}
    for act in transition.actions:
        if act.rsc not in ids or act.task not in _CHANGES or act.node is None:
            continue
        if act.optional or not (act.runnable or (act.task == "stop" and _fenced(state, act))):
            continue
        lists[act.task].append(Peer(act.rsc, act.node))
    return NotifyInfo(
        kind=kind,
        operation=operation,
        start=tuple(lists["start"]),
        stop=tuple(lists["stop"]),
        promote=tuple(lists["promote"]),
        demote=tuple(lists["demote"]),
        active=tuple(lists["active"]),
        inactive=tuple(lists["inactive"]),
        promoted=tuple(lists["promoted"]),
        unpromoted=tuple(lists["unpromoted"]),
        available_unames=available_nodes(state, transition, clone),
        all_unames=tuple(sorted((n.name for n in state.nodes), key=node_name_key)),
    )


def _fenced(state: ClusterState, act: Action) -> bool:
    node = state.node(act.node or "")
    return act.kind is ActionKind.PSEUDO or (node is not None and node.unclean)


def available_nodes(state: ClusterState, transition: Transition,
                    clone: ResourceState) -> tuple[str, ...]:
    """The nodes ``clone`` may be placed on, in node-name order: those it was scored on
    (Pacemaker's allowed nodes); without scores, every node of a symmetric cluster or the
    nodes its location constraints name."""
    scored = {s.node for s in transition.scores
              if s.kind == "allocation" and s.rsc == clone.id
              and s.function == "pcmk__clone_allocate" and s.node is not None}
    if not scored:
        if state.options.symmetric_cluster:
            scored = {n.name for n in state.nodes}
        else:
            scored = _located_nodes(state, clone)
    return tuple(sorted(scored, key=node_name_key))


def _located_nodes(state: ClusterState, clone: ResourceState) -> set[str]:
    found: set[str] = set()
    for constraint in state.configuration.constraints:
        if isinstance(constraint, Location) and constraint.rsc == clone.id \
                and constraint.node is not None:
            found.add(constraint.node)
    return found
