"""``crm_master``: a resource's promotion score, the way agents before Pacemaker 2.1 set it.

    crm_master [-l reboot|forever] [-N NODE] [-r RSC] (-G [-q] | -v SCORE | -D)

The same as ``crm_attribute --promotion[=RSC]`` (:mod:`.crm_attribute`); the lifetime is
the one given (agents pass ``-l reboot``), else ``reboot`` as the cluster reads it.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from harm.pcmktools import crm_attribute
from harm.pcmktools.access import Access, run


def perform(argv: Sequence[str], access: Access) -> int:
    words: list[str] = []
    rsc = ""
    items = list(argv)
    while items:
        word = items.pop(0)
        if word in ("-r", "--resource") and items:
            rsc = items.pop(0)
        elif word.startswith("--resource="):
            rsc = word.split("=", 1)[1]
        else:
            words.append(word)
    promotion = [f"--promotion={rsc}"] if rsc else ["--promotion"]
    return crm_attribute.perform([*promotion, *words], access)


def main(argv: Sequence[str] | None = None) -> int:
    return run("crm_master", perform, argv)


if __name__ == "__main__":
    sys.exit(main())
