"""Reading XML that may come from anyone: a CIB file, a peer's CIB, a pasted document.

The standard library's expat would expand entities a DOCTYPE declares (how far depends
on the expat version the system has) and builds a tree as deep as the text nests. A CIB
needs neither, so :func:`parse_xml` refuses

* any DOCTYPE (the only place entities can be declared): no entity expansion, no external
  entity, whatever the expat version;
* nesting deeper than :data:`MAX_DEPTH` elements (libxml2's default limit, which Pacemaker
  reads CIBs with), checked on the tree expat built (without recursion, so the depth
  costs nothing but the parse: about 0.4 s for 100,000 levels; the size of what arrives
  is bounded where it arrives);
* bytes that are not UTF-8.

Every refusal is a :class:`~harm.errors.CibFormatError` naming the source. The writer
(:mod:`harm.cib.xml_export`) keeps to the same depth.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from harm.errors import CibFormatError

__all__ = ["MAX_DEPTH", "parse_xml"]

MAX_DEPTH = 256


def parse_xml(data: str | bytes, source: str) -> ET.Element:
    """The root element of ``data``; raises CibFormatError for what is refused above or
    is not well-formed."""
    text = _as_text(data, source)
    if "<!DOCTYPE" in text or "<!ENTITY" in text:
        raise CibFormatError(f"{source}: a DOCTYPE or entity declaration is not allowed "
                             "(a CIB has none; entities could expand or read files)")
    try:
        root = ET.fromstring(text)
    except ET.ParseError as exc:
        raise CibFormatError(f"{source}: not well-formed XML: {exc}") from None
    except UnicodeEncodeError as exc:  # a lone surrogate, e.g. from a JSON request
        raise CibFormatError(f"{source}: not valid text: {exc.reason} at character "
                             f"{exc.start}") from None
    _check_depth(root, source)
    return root


def _check_depth(root: ET.Element, source: str) -> None:
    """Walk the tree a level at a time (a list per level, no recursion): a CIB is about
    ten levels deep, so this costs one pass over the elements."""
    level = [root]
    for _ in range(MAX_DEPTH):
        level = [child for elem in level for child in elem]
        if not level:
            return
    raise CibFormatError(f"{source}: elements nested deeper than {MAX_DEPTH} levels "
                         f"(<{level[0].tag}> is at level {MAX_DEPTH + 1})")


def _as_text(data: str | bytes, source: str) -> str:
    if isinstance(data, str):
        return data
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CibFormatError(f"{source}: not UTF-8 text (byte {exc.start})") from None
