"""``crm_node``: this node's name and id, the members, and quorum.

    crm_node -n | -i | -l | -p | -q | -N ID

``-n`` this node's name; ``-i`` its id (harm's node ids are the names); ``-l`` one line
``ID NAME member|lost`` per node the cluster knows; ``-p`` the names of this partition's
members on one line; ``-q`` ``1`` when the partition has quorum, else ``0``; ``-N ID``
the name of the node with that id. Membership is the CIB's node state (``in_ccm`` and
the controller online), as the coordinator records it.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from harm.pcmktools.access import Access, no_such, run
from harm.pcmktools.options import FLAG, NEEDS, Option, UsageError, parse

OPTIONS = (
    Option("name", "n", ("name",), FLAG),
    Option("id", "i", ("cluster-id",), FLAG),
    Option("list", "l", ("list",), FLAG),
    Option("partition", "p", ("partition",), FLAG),
    Option("quorum", "q", ("quorum",), FLAG),
    Option("name_for", "N", ("name-for-id",), NEEDS),
    Option("verbose", "V", ("verbose",), FLAG),
)


def members(access: Access) -> list[tuple[str, str, bool]]:
    """(id, name, member) for every node the CIB knows, in configuration order."""
    cib = access.cib()
    seen: list[tuple[str, str, bool]] = []
    names = [n.uname for n in cib.configuration.nodes]
    names += [s.uname for s in cib.status.nodes if s.uname not in names]
    for name in names:
        configured = cib.configuration.node_by_uname(name)
        state = cib.status.node(name)
        ident = configured.id if configured is not None else (state.id if state else name)
        seen.append((ident, name, bool(state is not None and state.online)))
    return seen


def perform(argv: Sequence[str], access: Access) -> int:
    args = parse(argv, OPTIONS)
    if args.has("name"):
        print(access.local_node())
    elif args.has("id"):
        me = access.local_node()
        ident = next((i for i, n, _ in members(access) if n == me), me)
        print(ident)
    elif args.has("list"):
        for ident, name, member in members(access):
            print(f"{ident} {name} {'member' if member else 'lost'}")
    elif args.has("partition"):
        print(" ".join(name for _, name, member in members(access) if member))
    elif args.has("quorum"):
        quorate, _ = access.quorate_and_dc()
        print("1" if quorate else "0")
    elif args.has("name_for"):
        wanted = args.get("name_for")
        found = next((n for i, n, _ in members(access) if i == wanted), None)
        if found is None:
            raise no_such(f"Could not find node with id {wanted}")
        print(found)
    else:
        raise UsageError("one of -n, -i, -l, -p, -q or -N is needed")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    return run("crm_node", perform, argv)


if __name__ == "__main__":
    sys.exit(main())
