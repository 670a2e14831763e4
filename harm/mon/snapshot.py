"""One moment of the cluster, frozen: the CIB read, its unpacked state, and the time."""

from __future__ import annotations

from dataclasses import dataclass

from harm.cib.cib import Cib
from harm.engine.state import ClusterState
from harm.engine.unpack import unpack


@dataclass(frozen=True)
class MonSnapshot:
    """What every renderer takes: ``now`` (seconds since the epoch) is "Last updated"."""

    cib: Cib
    state: ClusterState
    now: int
    notes: tuple[str, ...] = ()  # what the source adds (harmd's dropped inputs)
    witness: bool | None = None  # the node harm_mon asked has a witness (None: unknown)


def take_snapshot(cib: Cib, now: int, notes: tuple[str, ...] = (),
                  witness: bool | None = None) -> MonSnapshot:
    """Unpack ``cib`` as the scheduler would at ``now`` (the one unpacker harm has)."""
    return MonSnapshot(cib=cib, state=unpack(cib, now), now=now, notes=notes, witness=witness)
