"""Node attributes with dampening, like Pacemaker's attribute manager (attrd).

Agents and operators *update* attributes; the store decides when each value is *written*
to the CIB. Without a delay a change is written at once. With a delay (``--delay``,
``dampen``), the first change starts a timer and the value current when the timer expires
is written; a value that flaps and comes back to what is written produces no write at all.
This keeps a flapping ping from moving resources back and forth.

Pure: the caller passes ``now`` (monotonic ms) and applies the returned writes (on the
coordinator, through :func:`harm.operations.attributes.update`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from harm.operations.attributes import Lifetime

Key = tuple[str, str, Lifetime]  # (node, attribute, lifetime)


@dataclass(frozen=True)
class Write:
    """Put ``value`` (None: delete) into the CIB for ``node``'s attribute ``name``."""

    node: str
    name: str
    value: str | None
    lifetime: Lifetime


@dataclass
class _Entry:
    written: str | None = None
    current: str | None = None
    due: int | None = None  # when the pending change is written


@dataclass
class AttributeStore:
    """Pending and written attribute values for every node."""

    entries: dict[Key, _Entry] = field(default_factory=dict)

    def update(
        self,
        now: int,
        node: str,
        name: str,
        value: str | None,
        lifetime: Lifetime = Lifetime.REBOOT,
        delay_ms: int = 0,
    ) -> list[Write]:
        """Record a new value (None deletes); returns what must be written now."""
        key = (node, name, lifetime)
        entry = self.entries.setdefault(key, _Entry())
        entry.current = value
        if delay_ms <= 0:
            entry.due = None
            return self._write(key, entry)
        if entry.current == entry.written:
            entry.due = None  # flapped back: nothing to write
        elif entry.due is None:
            entry.due = now + delay_ms
        return []

    def tick(self, now: int) -> list[Write]:
        """Writes whose dampening delay has expired."""
        writes: list[Write] = []
        for key, entry in self.entries.items():
            if entry.due is not None and now >= entry.due:
                entry.due = None
                writes += self._write(key, entry)
        return writes

    def next_deadline(self) -> int | None:
        dues = [e.due for e in self.entries.values() if e.due is not None]
        return min(dues) if dues else None

    def query(self, node: str, name: str, lifetime: Lifetime = Lifetime.REBOOT) -> str | None:
        """The latest value given (written or still pending)."""
        entry = self.entries.get((node, name, lifetime))
        return entry.current if entry else None

    def forget_node(self, node: str) -> list[Write]:
        """A node left: its transient attributes go (lifetime reboot), permanent ones stay."""
        writes: list[Write] = []
        for key in [k for k in self.entries if k[0] == node and k[2] is Lifetime.REBOOT]:
            entry = self.entries.pop(key)
            if entry.written is not None:
                writes.append(Write(node, key[1], None, Lifetime.REBOOT))
        return writes

    def _write(self, key: Key, entry: _Entry) -> list[Write]:
        if entry.current == entry.written:
            return []
        entry.written = entry.current
        return [Write(key[0], key[1], entry.current, key[2])]
