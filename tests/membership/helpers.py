"""Shared builders for membership unit tests."""

from __future__ import annotations

from harm.membership.authkeys import AuthKeys
from harm.membership.fakenet import FakeNet
from harm.membership.machine import Params

KEYS = AuthKeys.single(b"correct horse battery staple")
KEEPALIVE = 200
DEADTIME = 2000


def params(node: str, nodes: list[str], nics: tuple[str, ...] = ("eth0", "eth1"),
           two_node: bool = False) -> Params:
    return Params(
        cluster="lab",
        node=node,
        votes=tuple((n, 1) for n in nodes),
        nics=nics,
        generation=7,
        keepalive_ms=KEEPALIVE,
        deadtime_ms=DEADTIME,
        warntime_ms=1000,
        initdead_ms=4000,
        two_node=two_node,
    )


def cluster(nodes: list[str], **kwargs: object) -> FakeNet:
    return FakeNet([params(n, nodes, **kwargs) for n in nodes], KEYS)  # type: ignore[arg-type]


def converged(net: FakeNet) -> bool:
    everyone = frozenset(net.running)
    return all(net.members(n) == everyone for n in net.running)
