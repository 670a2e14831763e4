"""Executor measurements (not a test): ``.venv/bin/python -m tests.executor.measure``.

Prints the exec time of monitors of Debian's Dummy, harm's Dummy and a shell test agent,
how long a timed-out call takes to come back (with and without SIGTERM being ignored),
and the wall time of 40 starts at two parallel limits. Temp files go to a temp directory
that is removed at the end.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

from harm.catalog import default_agents_dir
from harm.cib.config import AgentRef
from harm.executor import AgentLocator, Executor, NodeContext, OpRequest

TEST_AGENTS = Path(__file__).resolve().parent / "agents"
STOCK = Path("/usr/lib/ocf")


def monitor_ms(node: NodeContext, locator: AgentLocator, agent: AgentRef, count: int,
               params: tuple[tuple[str, str], ...] = ()) -> tuple[float, int]:
    with Executor(node, locator) as executor:
        executor.run(OpRequest("m", agent, "start", params=params), 60)
        times = [executor.run(OpRequest("m", agent, "monitor", params=params), 60).exec_ms
                 for _ in range(count)]
        executor.run(OpRequest("m", agent, "stop", params=params), 60)
    return statistics.median(times), max(times)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        node = NodeContext("node1", "1", root / "rsctmp")
        stock = AgentLocator(TEST_AGENTS, STOCK)
        harm = AgentLocator(default_agents_dir(), STOCK)
        dummy = AgentRef("ocf", "heartbeat", "Dummy")
        slow = AgentRef("ocf", "harm", "Slow")
        state = (("state", str(root / "d.state")),)
        print("Debian Dummy monitor exec ms (median, max):",
              monitor_ms(node, stock, dummy, 20, state))
        print("harm Dummy monitor exec ms (median, max):", monitor_ms(node, harm, dummy, 10))
        print("shell test agent monitor exec ms (median, max):",
              monitor_ms(node, stock, slow, 20))
        with Executor(node, stock, kill_grace=0.5) as executor:
            forker = OpRequest("f", AgentRef("ocf", "harm", "Forker"), "start", timeout_ms=1000,
                               params=(("pidfile", str(root / "forker.pid")),))
            result = executor.run(forker, 60)
            print("timeout 1000 ms, SIGTERM ignored, grace 500 ms: back after",
                  result.exec_ms, "ms", result.status.name)
            hang = OpRequest("h", AgentRef("ocf", "harm", "Hang"), "start", timeout_ms=1000)
            result = executor.run(hang, 60)
            print("timeout 1000 ms, SIGTERM obeyed: back after",
                  result.exec_ms, "ms", result.status.name)
        for limit in (1, 4):
            with Executor(node, stock, max_parallel=limit) as executor:
                began = time.monotonic()
                handles = [executor.submit(OpRequest(f"t{n}", slow, "start")) for n in range(40)]
                for handle in handles:
                    handle.result(60)
                print(f"40 starts of a shell agent, max_parallel={limit}:",
                      f"{time.monotonic() - began:.2f} s")


if __name__ == "__main__":
    main()
