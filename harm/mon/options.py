"""What ``harm_mon`` shows and in which format (crm_mon's section options)."""

from __future__ import annotations

import enum
from dataclasses import dataclass


class OutputFormat(enum.Enum):
    """``--output-as``."""

    TEXT = "text"
    XML = "xml"
    JSON = "json"


@dataclass(frozen=True)
class MonOptions:
    """The sections to show, as crm_mon's flags choose them.

    * ``attributes`` (-A): "Node Attributes";
    * ``failcounts`` (-f): "Migration Summary";
    * ``inactive`` (-r): inactive resources too ("Full List of Resources");
    * ``operations`` (-o): "Operations" (the per-node history, instead of the summary);
    * ``by_node`` (-n): resources listed under the node that runs them;
    * ``fence_history`` (-m LEVEL): the fencing history (:mod:`harm.mon.fencing`).
    """

    attributes: bool = False
    failcounts: bool = False
    inactive: bool = False
    operations: bool = False
    by_node: bool = False
    fence_history: int = 1

    @property
    def node_history(self) -> bool:
        return self.failcounts or self.operations
