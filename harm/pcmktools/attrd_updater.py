"""``attrd_updater``: a node's transient attributes, as Pacemaker's attribute daemon keeps them.

    attrd_updater -n NAME [-N NODE] (-U|-v|-B VALUE [-d DELAY] | -Q [-A] | -D [-d DELAY]
                  | -Y -d DELAY | -R) [-p] [-s SET] [-l LIFETIME]

``-d`` dampens (seconds, or a duration such as ``5s``; harmd holds the write back);
``-p`` (private) and ``-s`` are accepted and change nothing here. A query prints
``name="NAME" host="NODE" value="VALUE"`` for this node (``-A``: every node that has it)
and exits 105 when no node has it.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from harm.ocf.attributes import Lifetime
from harm.pcmktools.access import Access, Exit, ToolError, run
from harm.pcmktools.options import FLAG, NEEDS, Option, UsageError, parse

OPTIONS = (
    Option("name", "n", ("name",), NEEDS),
    Option("update", "U", ("update",), NEEDS),
    Option("value", "v", ("value",), NEEDS),  # the old spelling of -U
    Option("both", "B", ("update-both",), NEEDS),
    Option("delay_only", "Y", ("update-delay",), FLAG),
    Option("query", "Q", ("query",), FLAG),
    Option("delete", "D", ("delete",), FLAG),
    Option("refresh", "R", ("refresh",), FLAG),
    Option("delay", "d", ("delay",), NEEDS),
    Option("set", "s", ("set",), NEEDS),
    Option("node", "N", ("node",), NEEDS),
    Option("all", "A", ("all",), FLAG),
    Option("lifetime", "l", ("lifetime",), NEEDS),
    Option("private", "p", ("private",), FLAG),
    Option("verbose", "V", ("verbose",), FLAG),
)


def delay_s(text: str | None) -> int:
    """``5``, ``5s``, ``2min`` … → whole seconds (Pacemaker's dampening is in seconds)."""
    if not text:
        return 0
    if text.isdigit():
        return int(text)
    from harm.cib.durations import parse_ms

    try:
        return max(0, parse_ms(text) // 1000)
    except ValueError:
        raise UsageError(f"invalid delay {text!r}") from None


def perform(argv: Sequence[str], access: Access) -> int:
    args = parse(argv, OPTIONS)
    name = args.get("name")
    if args.has("refresh"):
        return 0
    if not name:
        raise UsageError("an attribute name is needed (-n NAME)")
    node = args.get("node") or access.local_node()
    delay = delay_s(args.get("delay"))
    value = args.get("update") or args.get("value") or args.get("both")
    if value is not None or args.has("update") or args.has("value") or args.has("both"):
        access.set_node_attribute(node, name, value or "", Lifetime.REBOOT, delay)
        return 0
    if args.has("delete"):
        access.set_node_attribute(node, name, None, Lifetime.REBOOT, delay)
        return 0
    if args.has("delay_only"):
        return 0  # harmd takes the delay with each update
    if args.has("query"):
        nodes = _all_nodes(access) if args.has("all") else [node]
        found = False
        for each in nodes:
            current = access.get_node_attribute(each, name, Lifetime.REBOOT)
            if current is not None:
                found = True
                print(f'name="{name}" host="{each}" value="{current}"')
        if not found:
            raise ToolError(Exit.NOSUCH, f"Could not query value of {name}: attribute does "
                                         "not exist")
        return 0
    raise UsageError("one of -U, -B, -Y, -Q, -D or -R is needed")


def _all_nodes(access: Access) -> list[str]:
    from harm.operations.attributes import known_nodes

    return known_nodes(access.cib())


def main(argv: Sequence[str] | None = None) -> int:
    return run("attrd_updater", perform, argv)


if __name__ == "__main__":
    sys.exit(main())
