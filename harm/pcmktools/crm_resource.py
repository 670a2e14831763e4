"""``crm_resource``: the resource queries agents make, and ban/clear/cleanup.

    crm_resource --locate|-W -r RSC [-Q]      where RSC runs
    crm_resource --list|-L / --list-raw|-l    the resources
    crm_resource -r RSC -g NAME [--meta]      a parameter (or meta attribute) of RSC
    crm_resource -B|--ban -r RSC [-N NODE]    keep RSC off NODE (this node by default)
    crm_resource -U|--clear -r RSC            remove bans and moves of RSC
    crm_resource -C|--cleanup -r RSC [-N N]   forget RSC's failures

``--locate`` prints ``resource RSC is running on: NODE`` per node (``Promoted`` after the
node of a promoted instance; ``-Q``: the node names alone) or ``resource RSC is NOT
running``. Changes go through the cluster as ``harm resource`` sends them.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence

from harm.pcmktools.access import Access, Exit, ToolError, no_such, run
from harm.pcmktools.options import FLAG, NEEDS, Option, Parsed, UsageError, parse

OPTIONS = (
    Option("resource", "r", ("resource",), NEEDS),
    Option("node", "N", ("node",), NEEDS),
    Option("locate", "W", ("locate",), FLAG),
    Option("list", "L", ("list",), FLAG),
    Option("list_raw", "l", ("list-raw",), FLAG),
    Option("quiet", "Q", ("quiet",), FLAG),
    Option("get", "g", ("get-parameter",), NEEDS),
    Option("meta", "m", ("meta",), FLAG),
    Option("ban", "B", ("ban",), FLAG),
    Option("clear", "U", ("clear",), FLAG),
    Option("cleanup", "C", ("cleanup",), FLAG),
    Option("promoted", "", ("promoted", "master"), FLAG),
    Option("lifetime", "u", ("lifetime",), NEEDS),
    Option("force", "f", ("force",), FLAG),
    Option("verbose", "V", ("verbose",), FLAG),
)


def _rsc(args: Parsed) -> str:
    rsc = args.get("resource")
    if not rsc:
        raise UsageError("a resource is needed (-r RSC)")
    return rsc


def locate(access: Access, rsc: str, quiet: bool) -> None:
    from harm.operations.resources import current_nodes

    cib = access.cib()
    if cib.configuration.find_resource(rsc) is None:
        raise no_such(f"Resource '{rsc}' not found")
    now = int(time.time())
    promoted = set(current_nodes(cib, rsc, now, promoted_only=True))
    lines = []
    for node in current_nodes(cib, rsc, now, promoted_only=False):
        role = " Promoted" if node in promoted else ""
        lines.append(f"{node}{role}" if quiet else f"resource {rsc} is running on: {node}{role}")
    if not lines:
        print(f"resource {rsc} is NOT running", file=sys.stderr)
    for line in lines:
        print(line)


def list_resources(access: Access, raw: bool) -> None:
    from harm.cib.config import Primitive, iter_resources

    cib = access.cib()
    if raw:
        for resource in iter_resources(cib.configuration.resources):
            if isinstance(resource, Primitive):
                print(resource.id)
        return
    from harm.mon.options import MonOptions
    from harm.mon.snapshot import take_snapshot
    from harm.mon.text import render_text

    text = render_text(take_snapshot(cib, int(time.time())), MonOptions(inactive=True))
    lines = text.splitlines()
    start = next((i for i, line in enumerate(lines) if "Full List of Resources" in line), None)
    if start is None:
        print("NO resources configured", file=sys.stderr)
        return
    for line in lines[start + 1:]:
        if not line.strip():
            break
        print(line)


def get_parameter(access: Access, rsc: str, name: str, meta: bool) -> None:
    found = access.cib().configuration.find_resource(rsc)
    if found is None:
        raise no_such(f"Resource '{rsc}' not found")
    from harm.cib.config import Primitive

    params = found.params if isinstance(found, Primitive) else ()
    sets = found.meta if meta else params
    for nvset in sets:
        for key, value in nvset.pairs:
            if key == name:
                print(value)
                return
    raise no_such(f"Attribute '{name}' not found for '{rsc}'")


def perform(argv: Sequence[str], access: Access) -> int:
    args = parse(argv, OPTIONS)
    quiet = args.has("quiet")
    if args.has("list") or args.has("list_raw"):
        list_resources(access, args.has("list_raw"))
    elif args.has("locate"):
        locate(access, _rsc(args), quiet)
    elif args.has("get"):
        get_parameter(access, _rsc(args), args.get("get") or "", args.has("meta"))
    elif args.has("ban") or args.has("clear"):
        from harm.operations import resources

        rsc = _rsc(args)
        if args.has("ban"):
            node = args.get("node") or access.local_node()
            access.change(lambda cib: resources.ban(cib, rsc, node))
            if not quiet:
                print(f"WARNING: Creating rsc_location constraint "
                      f"'{resources.ban_id(rsc, node)}' with a score of -INFINITY for "
                      f"resource {rsc} on {node}.", file=sys.stderr)
        else:
            access.change(lambda cib: resources.clear(cib, rsc)[0])
    elif args.has("cleanup"):
        cleanup(access, _rsc(args), args.get("node"))
    else:
        raise UsageError("one of --locate, --list, -g, --ban, --clear or --cleanup is needed")
    return 0


def cleanup(access: Access, rsc: str, node: str | None) -> None:
    from harm.cli.session import CleanupOp, open_session
    from harm.errors import ControlError, HarmError

    session = open_session(access.cib_file, access.socket, notice=lambda _m: None)
    try:
        session.run(CleanupOp(rsc, node))
    except ControlError as error:
        raise ToolError(Exit.NOT_CONNECTED, str(error)) from None
    except HarmError as error:
        raise ToolError(Exit.ERROR, f"Error performing operation: {error}") from None


def main(argv: Sequence[str] | None = None) -> int:
    return run("crm_resource", perform, argv)


if __name__ == "__main__":
    sys.exit(main())
