"""What the crm shell parser produces: flat definitions, each with where it was written.

The crm language defines groups and clones by *naming* their members, which may be written
before or after them (or already exist in the CIB). The parser therefore yields flat
definitions; :mod:`harm.crmsh.assemble` turns them into the nested model.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from harm.cib.config import (
    Colocation,
    FencingLevel,
    Location,
    Node,
    NvSet,
    Order,
    Primitive,
    Tag,
    Template,
    Ticket,
)
from harm.errors import SourcePosition


@dataclass(frozen=True)
class Reference:
    """A resource named by another definition (group member, constraint operand …)."""

    name: str
    position: SourcePosition
    context: str  # "group member", "clone child", "constraint" …
    role_required: bool = False  # the reference uses a promoted/unpromoted role


@dataclass(frozen=True)
class GroupDef:
    """``group ID MEMBER…``: members by name."""

    id: str
    members: tuple[str, ...]
    meta: tuple[NvSet, ...] = ()
    params: tuple[NvSet, ...] = ()
    description: str | None = None


@dataclass(frozen=True)
class CloneDef:
    """``clone ID CHILD`` or ``ms ID CHILD``: the child by name."""

    id: str
    child: str
    meta: tuple[NvSet, ...] = ()
    params: tuple[NvSet, ...] = ()
    legacy_ms: bool = False
    description: str | None = None


@dataclass(frozen=True)
class PropertyDef:
    """``property``, ``rsc_defaults`` or ``op_defaults``: pairs for one named set."""

    section: str  # crm_config | rsc_defaults | op_defaults
    set_id: str
    pairs: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class FencingTopologyDef:
    """``fencing_topology …``: the whole topology (it replaces the one before)."""

    levels: tuple[FencingLevel, ...]
    id: str = "fencing_topology"


Definition = (Primitive | GroupDef | CloneDef | Location | Colocation | Order | Ticket
              | Node | PropertyDef | Template | Tag | FencingTopologyDef)


@dataclass(frozen=True)
class Located:
    """A definition, the position of its keyword, and the positions of what it names."""

    definition: Definition
    position: SourcePosition
    id_position: SourcePosition
    references: tuple[Reference, ...] = ()
    value_positions: dict[str, SourcePosition] = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class ConfigWarning:
    """Something suspicious that does not stop the load."""

    position: SourcePosition
    message: str

    def __str__(self) -> str:
        return f"{self.position}: warning: {self.message}"
