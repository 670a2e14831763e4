"""Reading XML that may come from anyone: a CIB file, a peer's CIB, a pasted document.

The standard library's expat would expand entities a DOCTYPE declares (how far depends
on the expat version the system has) and builds a tree as deep as the text nests. A CIB
needs neither, so :func:`parse_xml` refuses

* any DOCTYPE (the only place entities can be declared): no entity expansion, no external
  entity, whatever the expat version;
* nesting deeper than :data:`MAX_DEPTH` elements (libxml2's default limit, which Pacemaker
  reads CIBs with); the parse stops at the first element too deep, so a document of a
  million nested elements costs no more than one of 256;
* bytes that are not UTF-8.

Every refusal is a :class:`~harm.errors.CibFormatError` naming the source. The writer
(:mod:`harm.cib.xml_export`) keeps to the same depth.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import cast

from harm.errors import CibFormatError

__all__ = ["MAX_DEPTH", "parse_xml"]

MAX_DEPTH = 256
_CHUNK = 1 << 16


def parse_xml(data: str | bytes, source: str) -> ET.Element:
    """The root element of ``data``; raises CibFormatError for what is refused above or
    is not well-formed."""
    text = _as_text(data, source)
    if "<!DOCTYPE" in text or "<!ENTITY" in text:
        raise CibFormatError(f"{source}: a DOCTYPE or entity declaration is not allowed "
                             "(a CIB has none; entities could expand or read files)")
    parser: ET.XMLPullParser[ET.Element] = ET.XMLPullParser(events=("start", "end"))
    root: ET.Element | None = None
    depth = 0
    try:
        for offset in range(0, len(text), _CHUNK):
            parser.feed(text[offset:offset + _CHUNK])
            for event in parser.read_events():
                kind, elem = cast("tuple[str, ET.Element]", event)  # start/end: an element
                if kind == "end":
                    depth -= 1
                    continue
                depth += 1
                if root is None:
                    root = elem
                if depth > MAX_DEPTH:
                    raise CibFormatError(
                        f"{source}: elements nested deeper than {MAX_DEPTH} levels "
                        f"(<{elem.tag}> is at level {depth})")
        parser.close()
    except ET.ParseError as exc:
        raise CibFormatError(f"{source}: not well-formed XML: {exc}") from None
    except UnicodeEncodeError as exc:  # a lone surrogate, e.g. from a JSON request
        raise CibFormatError(f"{source}: not valid text: {exc.reason} at character "
                             f"{exc.start}") from None
    if root is None:
        raise CibFormatError(f"{source}: not well-formed XML: no element found")
    return root


def _as_text(data: str | bytes, source: str) -> str:
    if isinstance(data, str):
        return data
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CibFormatError(f"{source}: not UTF-8 text (byte {exc.start})") from None
