"""``crm_standby``: a node's standby attribute.

    crm_standby [-N NODE] (-G [-q] | -v on|off|true|false | -D) [-l reboot|forever]

The ``standby`` node attribute (permanent unless ``-l reboot``), on this node unless
``-N``; a query of a node that has none prints ``off``.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from harm.pcmktools import crm_attribute
from harm.pcmktools.access import Access, run
from harm.pcmktools.options import FLAG, NEEDS, Option, parse

OPTIONS = (
    Option("node", "N", ("node",), NEEDS),
    Option("query", "G", ("query", "get-value"), FLAG),
    Option("update", "v", ("update", "attr-value"), NEEDS),
    Option("delete", "D", ("delete", "delete-attr"), FLAG),
    Option("quiet", "q", ("quiet",), FLAG),
    Option("lifetime", "l", ("lifetime",), NEEDS),
    Option("verbose", "V", ("verbose",), FLAG),
)


def perform(argv: Sequence[str], access: Access) -> int:
    args = parse(argv, OPTIONS)
    words = ["-n", "standby", "-N", args.get("node") or access.local_node(),
             "-l", args.get("lifetime") or "forever"]
    if args.has("update"):
        words += ["-v", args.get("update") or ""]
    elif args.has("delete"):
        words += ["-D"]
    else:
        words += ["-G", "-d", "off"] + (["-q"] if args.has("quiet") else [])
    return crm_attribute.perform(words, access)


def main(argv: Sequence[str] | None = None) -> int:
    return run("crm_standby", perform, argv)


if __name__ == "__main__":
    sys.exit(main())
