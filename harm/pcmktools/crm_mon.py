"""``crm_mon``: the cluster status once, as text or XML, from harmd (or ``CIB_file``).

    crm_mon -1 [-A] [-f] [-r] [-n] [-o] [--output-as text|xml | --as-xml | -X]

The status is :mod:`harm.mon`'s (harm_mon renders crm_mon's layouts):
``--output-as=xml`` is Pacemaker 2.1's ``pacemaker-result`` document; ``--as-xml`` the
older ``crm_mon`` document, whose roles are ``Master``/``Slave`` (what agents written for
Pacemaker 1.1 look for). One shot always: an agent has no terminal.
"""

from __future__ import annotations

import shlex
import sys
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

from harm.pcmktools.access import Access, run
from harm.pcmktools.options import FLAG, NEEDS, OPTIONAL, Option, UsageError, parse

if TYPE_CHECKING:
    from harm.mon.snapshot import MonSnapshot

OPTIONS = (
    Option("one_shot", "1", ("one-shot",), FLAG),
    Option("attributes", "A", ("show-node-attributes",), FLAG),
    Option("failcounts", "f", ("failcounts",), FLAG),
    Option("inactive", "r", ("inactive",), FLAG),
    Option("by_node", "n", ("group-by-node",), FLAG),
    Option("operations", "o", ("operations",), FLAG),
    Option("timing", "t", ("timing-details",), FLAG),
    Option("as_xml", "X", ("as-xml",), FLAG),
    Option("output_as", "", ("output-as",), NEEDS),
    Option("interval", "i", ("interval",), NEEDS),
    Option("quiet", "Q", ("quiet",), FLAG),
    Option("simple", "s", ("simple-status",), FLAG),
    Option("xml_file", "x", ("xml-file",), NEEDS),
    Option("include", "I", ("include",), NEEDS),
    Option("exclude", "", ("exclude",), NEEDS),
    Option("brief", "b", ("brief",), FLAG),
    Option("verbose", "V", ("verbose",), FLAG),
    Option("resource", "R", ("show-detail",), FLAG),
    Option("tickets", "c", ("tickets",), FLAG),
    Option("fence", "m", ("fence-history",), OPTIONAL),
)

LEGACY_ROLES = {"Promoted": "Master", "Unpromoted": "Slave"}


def perform(argv: Sequence[str], access: Access) -> int:
    args = parse(argv, OPTIONS)
    output = (args.get("output_as") or "text").lower()
    if output not in ("text", "xml"):
        raise UsageError(f"unknown output format {output!r} (text or xml)")
    from harm.mon.options import MonOptions
    from harm.mon.snapshot import take_snapshot

    xml_file = args.get("xml_file")
    if xml_file:
        from pathlib import Path

        access = Access(access.environ, access.socket, Path(xml_file))
    snap = take_snapshot(access.cib(), int(time.time()))
    request = shlex.join(["crm_mon", *argv])
    if args.has("as_xml"):
        sys.stdout.write(legacy_xml(snap, request))
    elif output == "xml":
        from harm.mon.xmlout import render_xml

        sys.stdout.write(render_xml(snap, request))
    else:
        from harm.mon.text import render_text

        options = MonOptions(attributes=args.has("attributes"),
                             failcounts=args.has("failcounts"),
                             inactive=args.has("inactive"),
                             operations=args.has("operations"), by_node=args.has("by_node"))
        sys.stdout.write(render_text(snap, options))
    return 0


def legacy_xml(snap: MonSnapshot, request: str) -> str:
    """The ``--as-xml`` document: crm_mon's old root and role names."""
    import xml.etree.ElementTree as ET

    from harm.mon.xmlout import xml_document

    root = xml_document(snap, request)
    root.tag = "crm_mon"
    root.attrib.clear()
    root.set("version", "2.1.5")
    for status in root.findall("status"):
        root.remove(status)
    for elem in root.iter("resource"):
        role = elem.get("role")
        if role in LEGACY_ROLES:
            elem.set("role", LEGACY_ROLES[role])
    ET.indent(root, "  ")
    return ET.tostring(root, encoding="unicode").replace(" />", "/>") + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    return run("crm_mon", perform, argv)


if __name__ == "__main__":
    sys.exit(main())
