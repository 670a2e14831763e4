"""The options of ``harm simulate`` (crm_simulate's, same meaning)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class NodeAttribute:
    """``--node-attr NODE:NAME=VALUE``: a transient node attribute set before scheduling."""

    node: str
    name: str
    value: str

    @classmethod
    def parse(cls, spec: str) -> NodeAttribute:
        """Parse ``node:name=value``; ValueError when a part is missing."""
        node, colon, rest = spec.partition(":")
        name, equals, value = rest.partition("=")
        if not colon or not equals or not node or not name:
            raise ValueError(f"expected NODE:NAME=VALUE, got {spec!r}")
        return cls(node=node, name=name, value=value)


@dataclass(frozen=True)
class SimulateOptions:
    """What to inject, what to run and what to show.

    ``run`` (``-R``) schedules and prints the transition summary; ``simulate`` (``-S``)
    also executes it through the simulated backend and shows the revised status.
    """

    run: bool = False
    simulate: bool = False
    show_scores: bool = False
    show_attrs: bool = False
    show_failcounts: bool = False
    show_pending: bool = True
    explain: bool = False
    quiet: bool = False  # -Q: print only the scores (with -s)
    node_up: tuple[str, ...] = ()
    node_down: tuple[str, ...] = ()
    node_fail: tuple[str, ...] = ()
    op_inject: tuple[str, ...] = ()
    op_fail: tuple[str, ...] = ()
    quorum: str | None = None
    set_datetime: str | None = None
    node_attrs: tuple[NodeAttribute, ...] = ()
    ticket_grant: tuple[str, ...] = ()
    ticket_revoke: tuple[str, ...] = ()
    ticket_standby: tuple[str, ...] = ()
    ticket_activate: tuple[str, ...] = ()

    @property
    def schedules(self) -> bool:
        return self.run or self.simulate

    @property
    def injects(self) -> bool:
        return bool(self.node_up or self.node_down or self.node_fail or self.op_inject
                    or self.quorum is not None or self.node_attrs or self.ticket_grant
                    or self.ticket_revoke or self.ticket_standby or self.ticket_activate)
