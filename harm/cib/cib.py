"""The CIB: configuration plus status, versioned as Pacemaker versions it.

The version is the triple (admin_epoch, epoch, num_updates), compared in that order:
a configuration change bumps ``epoch`` and resets ``num_updates``; a status change bumps
``num_updates``; an administrator can bump ``admin_epoch`` to force a CIB to win.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from harm.cib.config import Configuration, Pairs
from harm.cib.status import Status

DEFAULT_VALIDATE_WITH = "pacemaker-3.7"


@dataclass(frozen=True)
class Cib:
    """A whole cluster information base."""

    configuration: Configuration = field(default_factory=Configuration)
    status: Status = field(default_factory=Status)
    admin_epoch: int = 0
    epoch: int = 0
    num_updates: int = 0
    validate_with: str = DEFAULT_VALIDATE_WITH
    have_quorum: bool = False
    dc_uuid: str | None = None
    extra: Pairs = ()  # other root attributes (cib-last-written, execution-date, …)

    @property
    def version(self) -> tuple[int, int, int]:
        return (self.admin_epoch, self.epoch, self.num_updates)

    def attr(self, name: str) -> str | None:
        for key, value in self.extra:
            if key == name:
                return value
        return None

    def with_configuration(self, configuration: Configuration) -> Cib:
        """A new CIB with this configuration: epoch + 1, num_updates 0 (if it changed)."""
        if configuration == self.configuration:
            return self
        return replace(self, configuration=configuration, epoch=self.epoch + 1, num_updates=0)

    def with_status(self, status: Status) -> Cib:
        """A new CIB with this status: num_updates + 1 (if it changed)."""
        if status == self.status:
            return self
        return replace(self, status=status, num_updates=self.num_updates + 1)
