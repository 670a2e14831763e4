"""The fault kinds the campaign chooses from (one table; what each does is in actions).

Each kind names its target by role, resolved when the step runs: ``primary``/``standby``
(the promotable resource's promoted and unpromoted nodes), ``dc``/``other`` (the DC and a
node that is not), ``holder`` (the node running the first group), ``any``. Kinds that need
PostgreSQL fit the ``pgsql`` profile only; a kind needing three nodes only clusters of
three or more. ``explains`` lists the harmd log lines the fault makes expected (a killed
agent's monitor failing is the cluster doing its job, not a bug to report).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

PGSQL, DUMMY = "pgsql", "dummy"
BOTH = frozenset({PGSQL, DUMMY})


@dataclass(frozen=True)
class FaultKind:
    name: str
    summary: str
    clusters: frozenset[str] = BOTH
    min_nodes: int = 2
    simple: bool = True  # may be one of the two faults of a "double"
    kills_harmd: bool = False  # the target's harmd dies with the fault
    explains: tuple[str, ...] = ()

    def fits(self, cluster: str, nodes: int) -> bool:
        return cluster in self.clusters and nodes >= self.min_nodes

    def explained(self) -> tuple[re.Pattern[str], ...]:
        return tuple(re.compile(p) for p in self.explains)


# lines any fault that stops a node or its links may cause on the others
_LOST_NODE = (r"cannot run .* on \S+: .*(not a member|no route|unreachable|lost)",)

KINDS: tuple[FaultKind, ...] = (
    FaultKind("kill-postgres-primary", "kill -9 of the primary's postmaster",
              frozenset({PGSQL})),
    FaultKind("kill-postgres-standby", "kill -9 of a standby's postmaster",
              frozenset({PGSQL})),
    FaultKind("kill-harmd-dc", "kill -9 of the DC's harmd, restarted at the heal",
              kills_harmd=True, explains=_LOST_NODE),
    FaultKind("kill-harmd-other", "kill -9 of a non-DC node's harmd, restarted at the heal",
              kills_harmd=True, explains=_LOST_NODE),
    FaultKind("node-crash", "power off a node (every process, every link; /run lost), "
              "power on at the heal", kills_harmd=True, explains=_LOST_NODE),
    FaultKind("link-cut", "one link of a node cut at the switch"),
    FaultKind("all-links-cut", "every link of a node cut at the switch (it keeps running)",
              explains=_LOST_NODE),
    FaultKind("isolate", "one node alone on its own switch (no peer, no client)",
              explains=_LOST_NODE),
    FaultKind("split", "the nodes split in two groups that cannot reach each other while "
              "clients reach every node (filters inside the nodes)", explains=_LOST_NODE),
    FaultKind("partition-2-1", "two nodes on one switch, the rest with the clients",
              min_nodes=3, explains=_LOST_NODE),
    FaultKind("packet-loss", "a share of the packets in and out of one link of a node dropped"),
    FaultKind("packet-duplicate", "a share of the packets a node sends on one link sent twice"),
    FaultKind("standby-online", "harm node standby, online at the heal"),
    FaultKind("resource-fail", "the first group's first resource dies (its state file "
              "removed)", frozenset({DUMMY})),
    FaultKind("standby-during-failover", "a failover, then standby of a node",
              simple=False),
    FaultKind("move-during-failover", "a failover, then harm resource move of the "
              "promotable to another node (clear at the heal)", simple=False),
    FaultKind("load-during-failover", "a failover, then harm configure load update",
              simple=False),
    FaultKind("double", "two faults close together (the second before the cluster "
              "settled)", simple=False),
)
BY_NAME = {kind.name: kind for kind in KINDS}


def kinds_for(cluster: str, nodes: int) -> tuple[FaultKind, ...]:
    return tuple(k for k in KINDS if k.fits(cluster, nodes))
