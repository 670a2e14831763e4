"""``pacemakerd -$``: the Pacemaker version harm's tools answer as, and nothing else.

The stock agents' ``ocf_local_nodename`` asks ``pacemakerd -$`` for a version, and only
for Pacemaker 1.1.8 or later uses ``crm_node -n`` for the node name (else ``uname -n``,
which in a cluster whose node names are not host names is the wrong name). Pacemaker's
own ``pacemakerd`` prints a second line that this parse takes for part of the version,
so the stock agents fall back to ``uname -n`` even under Pacemaker 2.1; harm's answers
in one line, so the agents harmd runs name their node as harmd does. It starts no
daemon: anything but ``-$``/``--version`` and ``--features`` is refused (exit 64).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from harm import __version__
from harm.pcmktools.access import Access, run
from harm.pcmktools.options import FLAG, Option, UsageError, parse

PACEMAKER_VERSION = "2.1.5"  # the behaviour harm's tools follow
OPTIONS = (Option("version", "$", ("version",), FLAG),
           Option("features", "F", ("features",), FLAG))


def perform(argv: Sequence[str], access: Access) -> int:
    del access
    args = parse(argv, OPTIONS)
    if args.has("version"):
        print(f"Pacemaker {PACEMAKER_VERSION} (harm {__version__})")
    elif args.has("features"):
        print(f"Pacemaker {PACEMAKER_VERSION} (harm {__version__}) features: agents-tools")
    else:
        raise UsageError("harm runs no Pacemaker daemon; only -$ (version) is answered")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    return run("pacemakerd", perform, argv)


if __name__ == "__main__":
    sys.exit(main())
