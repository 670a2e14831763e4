"""``load update`` and ``load replace``: crm text into a configuration, all or nothing."""

from __future__ import annotations

from dataclasses import dataclass

from harm.catalog import AgentCatalog
from harm.cib.config import Configuration
from harm.crmsh import assemble
from harm.crmsh.ast import ConfigWarning
from harm.crmsh.check import check
from harm.crmsh.parser import parse_text
from harm.crmsh.storable import round_trip_errors
from harm.errors import ConfigErrors, PositionedConfigError

MODES = ("update", "replace")


@dataclass(frozen=True)
class LoadOutcome:
    """The configuration a load produces, and what looked suspicious on the way."""

    configuration: Configuration
    warnings: tuple[ConfigWarning, ...]


def load_text(
    base: Configuration,
    text: str,
    source: str = "<input>",
    mode: str = "update",
    catalog: AgentCatalog | None = None,
) -> LoadOutcome:
    """Apply crm ``text`` to ``base``; raises ConfigErrors listing every problem found.

    ``update`` replaces objects with the same id and adds new ones; ``replace`` starts from
    an empty configuration. Nothing is returned unless everything checks out.
    """
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}")
    parsed = parse_text(text, source)
    start = assemble.flatten(base) if mode == "update" else assemble.Flat()
    merged = assemble.apply(start, parsed.items)
    result = check(merged, parsed.items, parsed.suspect_names, catalog)
    errors: list[PositionedConfigError] = [*parsed.errors, *result.errors]
    if not errors:
        configuration = assemble.build(merged)
        errors = round_trip_errors(configuration, parsed.items)
    if errors:
        errors.sort(key=lambda e: (e.position.line, e.position.col))
        raise ConfigErrors(errors)
    return LoadOutcome(configuration, tuple(result.warnings))


def parse_configuration(
    text: str, source: str = "<input>", catalog: AgentCatalog | None = None
) -> Configuration:
    """A whole configuration from crm text (raises ConfigErrors on any problem)."""
    return load_text(Configuration(), text, source, "replace", catalog).configuration
