"""Node scores before assignment: location constraints, stickiness and failure bans.

Pacemaker's ``apply_node_criteria``: every resource starts with every node at 0 in a
symmetric cluster (no node at all in an asymmetric one); then

1. each location constraint adds its score (a node-and-score one, or each matching rule's
   score) to the resource and, for groups and clones, to every member or instance.
   Constraints limited to the Promoted role are kept aside for promotion scores;
2. a managed resource active on exactly one node gets its ``resource-stickiness`` there;
3. a resource whose fail count on a node reached ``migration-threshold`` is banned from
   that node (an anonymous clone instance bans the whole clone);
4. bans the history implies (``Ban`` records from unpack) are added as -INFINITY.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from harm.cib.config import Location, Primitive, Role, merge_sets
from harm.cib.scores import INFINITY, add
from harm.engine.rules import RuleInput, rule_matches, rule_score
from harm.engine.state import Variant
from harm.engine.work import Rsc, Work


@dataclass(frozen=True)
class RoleLocation:
    """A location score that applies only when the resource is Promoted."""

    constraint: str
    rsc: str
    node: str
    score: int


def initial_scores(work: Work) -> None:
    """Every node at 0 for every resource (symmetric cluster), else no node."""
    for rsc in work.rscs.values():
        if work.options.symmetric_cluster:
            rsc.allowed = {n.name: 0 for n in work.nodes}
        else:
            rsc.allowed = {}


def add_score(rsc: Rsc, node: str, score: int, *, recurse: bool = True) -> None:
    """Add ``score`` for ``node`` to a resource and (by default) all its descendants."""
    rsc.allowed[node] = add(rsc.allowed[node], score) if node in rsc.allowed else score
    if recurse:
        for child in rsc.children:
            add_score(child, node, score)


def apply_location(rsc: Rsc, node: str, score: int) -> None:
    """A location constraint's score, as Pacemaker's ``apply_location`` spreads it.

    Clones pass it to every instance. A colocated group keeps it for itself and its first
    member only; the other members merely become allowed there (score 0), because the
    first member already takes their preferences in through the group's colocations.
    """
    rsc.allowed[node] = add(rsc.allowed[node], score) if node in rsc.allowed else score
    colocated_group = rsc.variant is Variant.GROUP and \
        rsc.state.meta.get("collocated", "true").lower() not in ("false", "no", "off", "0")
    for index, child in enumerate(rsc.children):
        apply_location(child, node, score if (index == 0 or not colocated_group) else 0)


def ban_everywhere(rsc: Rsc, work: Work) -> None:
    for node in work.nodes:
        add_score(rsc, node.name, -INFINITY)


def apply_locations(work: Work) -> list[RoleLocation]:
    """Apply every location constraint; return the Promoted-only ones for later."""
    promoted: list[RoleLocation] = []
    for constraint in work.state.configuration.constraints:
        if not isinstance(constraint, Location):
            continue
        for rsc in _targets(constraint, work):
            promoted.extend(_apply_one(constraint, rsc, work))
    return promoted


def _targets(constraint: Location, work: Work) -> list[Rsc]:
    if constraint.rsc is not None:
        return work.named(constraint.id, (constraint.rsc,)) or []
    if constraint.rsc_pattern is not None:
        pattern = constraint.rsc_pattern
        invert = pattern.startswith("!")
        if invert:
            pattern = pattern[1:]
        try:
            regex = re.compile(pattern)
        except re.error:
            work.warnings.append(
                f"Ignoring constraint '{constraint.id}' because rsc-pattern has invalid "
                f"value '{constraint.rsc_pattern}'"
            )
            return []
        return [r for r in work.top if bool(regex.search(r.id)) != invert]
    found: list[Rsc] = []
    for rset in constraint.sets:
        for name in rset.resources:
            rsc = work.rsc(name)
            if rsc is not None:
                found.append(rsc)
    return found


def _apply_one(constraint: Location, rsc: Rsc, work: Work) -> list[RoleLocation]:
    promoted: list[RoleLocation] = []
    entries: list[tuple[str, int, Role | None]] = []
    if constraint.node is not None and constraint.score is not None:
        if constraint.node in work.node_by_name:
            entries.append((constraint.node, constraint.score, constraint.role))
    else:
        if not constraint.rules:
            work.warnings.append(
                f"Ignoring constraint '{constraint.id}' because it contains no rules"
            )
        for rule in constraint.rules:
            # only a rule's own role limits it: Pacemaker 2.1.5 ignores the constraint's
            # role attribute when the constraint has rules
            role = rule.role
            for info in work.nodes:
                given = RuleInput(node_attrs=info.attributes, now=work.now,
                                  params=node_params(work, rsc, info.attributes),
                                  meta=rsc.state.meta)
                if rule_matches(rule, given):
                    entries.append((info.name, rule_score(rule, info.attributes), role))
    for node, score, role in entries:
        if role is Role.PROMOTED:
            promoted.append(RoleLocation(constraint.id, rsc.id, node, score))
        elif role is Role.STOPPED:
            continue
        else:
            apply_location(rsc, node, score)
    return promoted


def node_params(work: Work, rsc: Rsc, attrs: Mapping[str, str]) -> Mapping[str, str]:
    """The resource's instance attributes as seen on one node (Pacemaker's
    ``pe_rsc_params``): sets whose rule holds there, merged by the one rule."""
    config = work.config_resource(rsc.state.config_id)
    if not isinstance(config, Primitive) or not any(s.rule for s in config.params):
        return rsc.state.params
    given = RuleInput(node_attrs=attrs, now=work.now)
    return merge_sets(config.params, lambda nvset: nvset.rule is None
                      or rule_matches(nvset.rule, given))


def apply_stickiness(work: Work) -> None:
    """Stickiness of managed primitives active on exactly one node."""
    for rsc in work.rscs.values():
        if not rsc.is_primitive or not rsc.managed or len(rsc.running_on) != 1:
            continue
        stickiness = rsc.state.stickiness
        if stickiness < 1:
            continue
        node = rsc.running_on[0]
        if not work.options.symmetric_cluster and node not in rsc.allowed:
            continue
        add_score(rsc, node, stickiness)


def apply_failure_bans(work: Work) -> None:
    """Bans from migration-threshold and from the history (``Ban`` records)."""
    for rsc in list(work.rscs.values()):
        if not rsc.is_primitive:
            continue
        threshold = rsc.state.migration_threshold
        if threshold == 0 or rsc.state.failure_ignored:
            continue  # no threshold, or failures are ignored (on-fail=ignore)
        for node in work.nodes:
            count = _failcount(work, rsc, node.name)
            if count <= 0 or count < threshold:
                continue
            target = rsc
            clone = rsc.clone_parent()
            if clone is not None and clone.state.clone is not None \
                    and not clone.state.clone.unique:
                target = rsc.top()
            add_score(target, node.name, -INFINITY)
    for ban in work.state.bans:
        banned = work.rsc(ban.rsc)
        if banned is None:
            continue
        score = ban.score
        if ban.node is None:
            for node in work.nodes:
                add_score(banned, node.name, score)
        else:
            add_score(banned, ban.node, score)


def _failcount(work: Work, rsc: Rsc, node: str) -> int:
    total = 0
    seen = set()
    for name in (rsc.id, rsc.state.config_id):
        if name in seen:
            continue
        seen.add(name)
        count = work.failcount(name, node)
        if count is not None:
            total = max(total, count)
    return total
