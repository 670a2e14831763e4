"""``python -m harm.agents NAME ACTION``: run one agent action (what ``agents/NAME`` does)."""

from __future__ import annotations

import importlib
import sys

from harm.cib.status import OcfRc

# agent name -> module holding ``AGENT``; ocf:pacemaker:pingd is the old name of ping
MODULES = {
    "Dummy": "harm.agents.dummy",
    "Stateful": "harm.agents.stateful",
    "IPaddr2": "harm.agents.ipaddr2",
    "ping": "harm.agents.ping",
    "pingd": "harm.agents.ping",
    "pgsql": "harm.agents.pgsql.agent",
}


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in MODULES:
        sys.stderr.write(f"usage: python -m harm.agents {{{'|'.join(MODULES)}}} ACTION\n")
        return int(OcfRc.ERR_ARGS)
    module = importlib.import_module(MODULES[argv[0]])
    return int(module.AGENT.run(argv[1:]))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
