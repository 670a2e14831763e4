"""Fencing in a simulated cluster (virtual clock, in-memory network, a simulated fence
device): a lost node is recovered only after its fence is confirmed; while fencing fails
nothing is recovered and the failure is in the history; the history survives DC changes."""

from __future__ import annotations

from harm.cib.config import Role
from harm.cib.status import FenceState
from tests.control.simnet import SimNet
from tests.control.test_cluster_sim import SCORES, commit, dc_of

NODES = ("node1", "node2", "node3")

CONFIG = """\
node node1
node node2
node node3
primitive s ocf:pacemaker:Stateful \\
    op monitor interval=10s role=Promoted \\
    op monitor interval=11s role=Unpromoted
clone ms_s s meta promotable=true
primitive st stonith:fence_dummy params pcmk_host_check=none op monitor interval=60s
property stonith-enabled=true no-quorum-policy=ignore
"""


def promoted(net: SimNet) -> list[str]:
    return sorted(node for rsc, node, role in net.running()
                  if rsc == "s" and role is Role.PROMOTED)


def started() -> SimNet:
    net = SimNet(NODES, promotion_scores=SCORES)
    net.settle()
    commit(net, "node2", CONFIG)
    net.advance(2000)
    assert promoted(net) == ["node2"]
    return net


def test_the_promotion_waits_for_the_fence_of_the_lost_primary() -> None:
    net = started()
    mark = len(net.ops)
    net.crash("node2")
    net.advance(5000)
    assert [target for _, target in net.fenced] == ["node2"]
    fenced_at = net.fenced[0][0]
    promotes = [i for i, op in enumerate(net.ops) if i >= mark and op.action == "promote"]
    assert promotes and min(promotes) >= fenced_at
    assert len(promoted(net)) == 1
    events = dc_of(net).cib.status.fencing
    assert [(e.target, e.state) for e in events] == [("node2", FenceState.SUCCESS)]
    assert events[0].delegate in ("node1", "node3") and events[0].device == "st"


def test_a_failing_fence_blocks_recovery_until_fencing_works() -> None:
    net = started()
    net.fence_works = False
    net.crash("node2")
    net.advance(30_000)
    assert promoted(net) == []  # the primary is not known to be off: nobody is promoted
    failed = [e for e in dc_of(net).cib.status.fencing if e.state is FenceState.FAILED]
    assert len(failed) >= 3  # tried again, with a back-off between the tries
    assert len(failed) <= 7
    net.fence_works = True
    net.advance(10_000)
    assert len(promoted(net)) == 1
    last = dc_of(net).cib.status.fencing[-1]
    assert last.target == "node2" and last.state is FenceState.SUCCESS


def test_a_crashed_dc_is_fenced_by_the_next_dc_and_the_history_survives() -> None:
    net = started()
    first_dc = dc_of(net).node
    other = next(n for n in NODES if n not in (first_dc, "node2"))
    net.crash("node2")
    net.advance(5000)
    net.crash(first_dc)  # the DC goes too: the next DC fences it, keeps the history
    net.advance(5000)
    dc = dc_of(net)
    assert dc.node == other
    targets = [(e.target, e.state) for e in dc.cib.status.fencing]
    assert ("node2", FenceState.SUCCESS) in targets
    assert (first_dc, FenceState.SUCCESS) in targets
    assert promoted(net) == [other]
