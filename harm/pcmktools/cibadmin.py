"""``cibadmin -Q``: the CIB as XML (read only).

    cibadmin -Q [-o SECTION] [-l] [--xpath XPATH is not supported]

``-o`` prints one section (``configuration``, ``nodes``, ``resources``, ``constraints``,
``crm_config``, ``rsc_defaults``, ``op_defaults``, ``status``). Every command that
changes the CIB is refused with exit code 64: configuration changes go through
``harm configure``.
"""

from __future__ import annotations

import sys
import xml.etree.ElementTree as ET
from collections.abc import Sequence

from harm.pcmktools.access import Access, Exit, ToolError, no_such, run
from harm.pcmktools.options import FLAG, NEEDS, Option, UsageError, parse

WRITES = ("create", "modify", "replace", "delete", "erase", "upgrade", "patch", "bump",
          "delete_all", "md5-sum")
OPTIONS = (
    Option("query", "Q", ("query",), FLAG),
    Option("scope", "o", ("scope",), NEEDS),
    Option("local", "l", ("local",), FLAG),
    Option("sync", "s", ("sync-call",), FLAG),
    Option("no_children", "n", ("no-children",), FLAG),
    Option("xml_text", "X", ("xml-text",), NEEDS),
    Option("xml_file", "x", ("xml-file",), NEEDS),
    Option("force", "f", ("force",), FLAG),
    Option("verbose", "V", ("verbose",), FLAG),
    Option("create", "C", ("create",), FLAG),
    Option("modify", "M", ("modify",), FLAG),
    Option("replace", "R", ("replace",), FLAG),
    Option("delete", "D", ("delete",), FLAG),
    Option("erase", "E", ("erase",), FLAG),
    Option("upgrade", "u", ("upgrade",), FLAG),
    Option("patch", "P", ("patch",), FLAG),
    Option("bump", "B", ("bump",), FLAG),
    Option("delete_all", "d", ("delete-all",), FLAG),
    Option("md5-sum", "5", ("md5-sum",), FLAG),
)
SECTIONS = {"configuration", "nodes", "resources", "constraints", "crm_config",
            "rsc_defaults", "op_defaults", "status"}


def perform(argv: Sequence[str], access: Access) -> int:
    args = parse(argv, OPTIONS)
    if any(args.has(key) for key in WRITES):
        raise ToolError(Exit.USAGE, "harm's cibadmin only queries (-Q); change the "
                                    "configuration with harm configure")
    if not args.has("query"):
        raise UsageError("-Q is needed")
    xml = access.cib_xml()
    scope = args.get("scope")
    if not scope:
        sys.stdout.write(xml if xml.endswith("\n") else xml + "\n")
        return 0
    if scope not in SECTIONS:
        raise UsageError(f"unknown section {scope!r}")
    root = ET.fromstring(xml)
    found = root if scope == "cib" else root.find(f".//{scope}")
    if found is None:
        raise no_such(f"Call cib_query failed (-6): No such device or address ({scope})")
    print(ET.tostring(found, encoding="unicode").rstrip())
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    return run("cibadmin", perform, argv)


if __name__ == "__main__":
    sys.exit(main())
