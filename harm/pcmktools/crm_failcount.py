"""``crm_failcount``: how often a resource failed on a node, or forget it.

    crm_failcount -r RSC [-N NODE] (-G [-q] | -D) [-n OP] [-I INTERVAL]

``-G`` prints ``scope=status  name=fail-count-RSC value=N``, the sum of the node's
``fail-count-RSC#OP_INTERVAL`` attributes (0 when it never failed); ``-D`` cleans the
resource up there (its failures and history), as ``crm_resource --cleanup`` does.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from harm.pcmktools.access import Access, run
from harm.pcmktools.options import FLAG, NEEDS, Option, UsageError, parse

OPTIONS = (
    Option("resource", "r", ("resource-id", "resource"), NEEDS),
    Option("node", "N", ("node",), NEEDS),
    Option("query", "G", ("query",), FLAG),
    Option("delete", "D", ("delete",), FLAG),
    Option("quiet", "q", ("quiet",), FLAG),
    Option("operation", "n", ("operation",), NEEDS),
    Option("interval", "I", ("interval",), NEEDS),
    Option("lifetime", "l", ("lifetime",), NEEDS),
    Option("verbose", "V", ("verbose",), FLAG),
)


def failcount(access: Access, rsc: str, node: str, operation: str | None) -> int:
    cib = access.cib()
    state = cib.status.node(node)
    total = 0
    prefixes = (f"fail-count-{rsc}#", f"fail-count-{rsc}:")
    for nvset in state.transient_attributes if state is not None else ():
        for name, value in nvset.pairs:
            if name != f"fail-count-{rsc}" and not name.startswith(prefixes):
                continue
            if operation and f"#{operation}_" not in name:
                continue
            if value.upper() in ("INFINITY", "+INFINITY"):
                return 1_000_000
            if value.isdigit():
                total += int(value)
    return total


def perform(argv: Sequence[str], access: Access) -> int:
    args = parse(argv, OPTIONS)
    rsc = args.get("resource")
    if not rsc:
        raise UsageError("a resource is needed (-r RSC)")
    node = args.get("node") or access.local_node()
    if args.has("delete"):
        from harm.pcmktools.crm_resource import cleanup

        cleanup(access, rsc, node)
        return 0
    count = failcount(access, rsc, node, args.get("operation"))
    shown = "INFINITY" if count >= 1_000_000 else str(count)
    print(shown if args.has("quiet") else f"scope=status  name=fail-count-{rsc} value={shown}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    return run("crm_failcount", perform, argv)


if __name__ == "__main__":
    sys.exit(main())
