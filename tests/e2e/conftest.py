"""The seed's two-node PostgreSQL lab, shared by the end-to-end modules.

``seed_lab`` builds it once per session (osspc30, osspc31; eth0 service, eth1 replication;
the gateway as the ping target and the witness; PostgreSQL 15 provisioned in each node's
own /var/lib/pgsql, not started; harmd not started): test_pgsql_cluster.py starts the
nodes one by one as the seed report does, test_quorum_partitions.py then partitions the
running cluster (or starts it itself when run alone) and removes the lab when it is done.
``HARM_KEEP_LAB=1`` keeps the lab after a failure, to look at it; ``HARM_E2E_LAB=NAME``
names it (another checkout running the same tests on this machine uses the default).
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from harm.lab import demo, lab
from harm.lab.postgres import PG_DIRS
from harm.lab.spec import LabSpec

# lab names are global on a machine: set HARM_E2E_LAB when another checkout runs these too
LAB = os.environ.get("HARM_E2E_LAB", "hqe2e")
NODES = ("osspc30", "osspc31")


def release(name: str = LAB) -> None:
    if not os.environ.get("HARM_KEEP_LAB"):
        lab.down(name)


@pytest.fixture(scope="session")
def seed_lab() -> Iterator[LabSpec]:
    lab.down(LAB)
    the_spec = LabSpec(name=LAB, nodes=NODES, links=2, private_dirs=PG_DIRS,
                       gateway="192.168.10.100", witness=True).validate()
    try:
        built = lab.up(the_spec, start=False)
        demo.provision(built)
        yield built
    finally:
        release()
