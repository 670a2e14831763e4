"""How long each pgsql agent action takes on this machine (not a test; prints a table).

    .venv/bin/python -m tests.agents.bench_pgsql_actions

Two real PostgreSQL 15 instances on 127.0.0.1, each action run through ``agents/pgsql``
as a cluster would (a new process per call, so interpreter start-up is included).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from .pgnode import AgentResult, pg_lab
from .test_pgsql import peer_status


def timed(label: str, action: Callable[[], AgentResult]) -> None:
    start = time.monotonic()
    result = action()
    elapsed = time.monotonic() - start
    print(f"{label:34s} {elapsed * 1000:7.0f} ms  rc={result.rc}")


def main() -> None:
    with pg_lab("n1", "n2") as lab:
        n1, n2 = lab.nodes["n1"], lab.nodes["n2"]
        lab.initdb(n1)
        timed("meta-data", lambda: n1.agent("meta-data"))
        timed("probe on a clean node", lambda: n1.agent("monitor"))
        timed("start as standby", lambda: n1.agent("start"))
        timed("monitor, standby, election", lambda: n1.agent("monitor", 5000))
        timed("promote", lambda: n1.agent("promote"))
        timed("monitor, primary alone", lambda: n1.agent("monitor", 5000))
        lab.basebackup(n2, n1)
        timed("start standby (streams)", lambda: n2.agent("start"))
        assert peer_status(n1, n2, "HS:sync")
        timed("monitor, primary + sync standby", lambda: n1.agent("monitor", 5000))
        timed("monitor, streaming standby", lambda: n2.agent("monitor", 5000))
        timed("demote (switchover)", lambda: n1.agent("demote"))
        timed("promote the other node", lambda: n2.agent("promote"))
        timed("stop a standby", lambda: n1.agent("stop"))


if __name__ == "__main__":
    main()
