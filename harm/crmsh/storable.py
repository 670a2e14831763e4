"""The last check of a load: what the text defines is written as CIB XML and read back
unchanged.

The CIB is stored and replicated as XML, so an object that does not survive the trip
(a value XML cannot hold, two attributes of one name, a nesting too deep) would produce a
CIB that no node can read back. The lexer refuses the characters it knows XML cannot hold
where they stand; this pass catches whatever else, and names the statement at fault.
"""

from __future__ import annotations

from harm.cib.cib import Cib
from harm.cib.config import Configuration, Node
from harm.cib.xml_export import cib_to_xml
from harm.cib.xml_import import parse_cib_xml
from harm.crmsh.ast import Located, PropertyDef
from harm.errors import CibError, ConfigReferenceError, PositionedConfigError


def round_trip_errors(configuration: Configuration,
                      items: list[Located]) -> list[PositionedConfigError]:
    """An error for each statement whose object reads back differently (none if all do)."""
    if not items:
        return []
    try:
        back = parse_cib_xml(cib_to_xml(Cib(configuration=configuration)),
                             "<round trip>").configuration
    except CibError as error:
        return [ConfigReferenceError(items[0].position,
                                     f"this configuration cannot be stored as CIB XML: {error}")]
    if back == configuration:
        return []
    return [ConfigReferenceError(item.id_position,
                                 "this definition does not read back the same from CIB XML "
                                 "(a value or name the CIB cannot hold?)")
            for item in items if _part(configuration, item) != _part(back, item)]


def _part(configuration: Configuration, item: Located) -> object:
    definition = item.definition
    if isinstance(definition, PropertyDef):
        return getattr(configuration, definition.section)
    if isinstance(definition, Node):
        return [n for n in configuration.nodes if n.uname == definition.uname]
    found = configuration.find_resource(definition.id)
    if found is not None:
        return found
    return [c for c in configuration.constraints if c.id == definition.id]
