"""``python -m harm.agents NAME ACTION``: run one agent action (what ``agents/NAME`` does).

``meta-data`` needs an agent's description only; where that lives in a module of its own
(pgsql), the module of actions, with everything it imports, is not loaded for it.
"""

from __future__ import annotations

import importlib
import sys

from harm.ocf.rc import OcfRc

# agent name -> module holding ``AGENT``; ocf:pacemaker:pingd is the old name of ping
MODULES = {
    "Dummy": "harm.agents.dummy",
    "Stateful": "harm.agents.stateful",
    "IPaddr2": "harm.agents.ipaddr2",
    "ping": "harm.agents.ping",
    "pingd": "harm.agents.ping",
    "pgsql": "harm.agents.pgsql.agent",
}

# agent name -> module holding its ``INFO`` without its actions (what meta-data loads)
DESCRIPTIONS = {
    "pgsql": "harm.agents.pgsql.metadata",
}

METADATA_ACTIONS = ("meta-data", "meta_data")


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in MODULES:
        sys.stderr.write(f"usage: python -m harm.agents {{{'|'.join(MODULES)}}} ACTION\n")
        return int(OcfRc.ERR_ARGS)
    name, rest = argv[0], argv[1:]
    if len(rest) == 1 and rest[0] in METADATA_ACTIONS and name in DESCRIPTIONS:
        from harm.ocf.runner import describe

        return describe(importlib.import_module(DESCRIPTIONS[name]).INFO, sys.stdout)
    module = importlib.import_module(MODULES[name])
    return int(module.AGENT.run(rest))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
