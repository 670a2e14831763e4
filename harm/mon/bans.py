"""Bans, as crm_mon lists them in XML: every node a location constraint scores below zero.

Like Pacemaker's unpacking of ``rsc_location``: a constraint with a node and a score is one
placement; a constraint with rules is one placement per rule (named after the rule), on
the nodes where the rule holds, with the rule's score. crm_mon keeps placements in a list
it prepends to, so the last comes first; an "and" rule lists its nodes last first, an "or"
rule in node order. Promoted-only placements are marked.

Not covered: ``rsc-pattern`` constraints, resource sets and tags in location constraints.
"""

from __future__ import annotations

from dataclasses import dataclass

from harm.cib.config import Location, Role
from harm.engine.rules import RuleInput, rule_matches, rule_score
from harm.engine.state import ClusterState


@dataclass(frozen=True)
class LocationBan:
    id: str
    resource: str
    node: str
    weight: int
    promoted_only: bool


def bans(state: ClusterState) -> tuple[LocationBan, ...]:
    """Negative location scores per constraint (or rule) and node, in crm_mon's order."""
    placements: list[list[LocationBan]] = []
    for constraint in state.configuration.constraints:
        if not isinstance(constraint, Location) or constraint.rsc is None:
            continue
        rsc = state.resource(constraint.rsc)
        if rsc is None:
            continue
        if constraint.node is not None and constraint.score is not None:
            found = [(constraint.id, constraint.node, constraint.score, constraint.role)]
            if state.node(constraint.node) is None:
                found = []
            placements.append(_negative(rsc.id, found))
            continue
        for rule in constraint.rules:
            role = rule.role or constraint.role
            found = []
            for node in state.nodes:
                given = RuleInput(node_attrs=node.attributes, now=state.now,
                                  params=rsc.params, meta=rsc.meta)
                if rule_matches(rule, given):
                    found.append((rule.id, node.name, rule_score(rule, node.attributes), role))
            if rule.boolean_op.strip().lower() != "or":
                found.reverse()  # an "and" rule starts from a (reversed) copy of all nodes
            placements.append(_negative(rsc.id, found))
    return tuple(ban for placement in reversed(placements) for ban in placement)


def _negative(rsc: str, found: list[tuple[str, str, int, Role | None]]) -> list[LocationBan]:
    return [LocationBan(ident, rsc, node, score, role is Role.PROMOTED)
            for ident, node, score, role in found if score < 0]
