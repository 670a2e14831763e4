"""Operator actions on a CIB, checked with Pacemaker's own crm_simulate.

The starting point is the seed cluster running normally (golden case 02, after its
transition): ms_pgsql promoted on osspc30, unpromoted on osspc31, VIPs on osspc30.
"""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

import pytest

from harm.cib.cib import Cib
from harm.cib.config import Location, Role
from harm.cib.scores import INFINITY
from harm.cib.xml_export import cib_to_xml
from harm.cib.xml_import import parse_cib_xml
from harm.errors import ConfigError
from harm.operations import attributes, resources
from harm.operations.attributes import Lifetime

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "seed"
NOW = 1_700_000_100


def running_cluster() -> Cib:
    """The seed cluster after golden case 02's transition has run."""
    with tempfile.TemporaryDirectory() as tmp:
        after = Path(tmp) / "after.xml"
        subprocess.run(
            ["crm_simulate", "-x", str(GOLDEN / "02-ping-and-promotion-scores" / "cib.xml"),
             "-S", "-O", str(after)],
            capture_output=True, text=True, timeout=120, check=True,
        )
        return parse_cib_xml(after.read_text())


@pytest.fixture(scope="module")
def cluster() -> Cib:
    return running_cluster()


def transition_summary(cib: Cib) -> list[str]:
    """Pacemaker's Transition Summary lines for this CIB."""
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "cib.xml"
        source.write_text(cib_to_xml(cib))
        done = subprocess.run(["crm_simulate", "-x", str(source), "-S"], capture_output=True,
                              text=True, timeout=120, check=True)
    lines = done.stdout.split("Transition Summary:")[1].split("Executing")[0]
    return [" ".join(line.split()) for line in lines.strip().splitlines()]


pytestmark = pytest.mark.pacemaker


def test_the_starting_point_is_settled(cluster: Cib) -> None:
    assert transition_summary(cluster) == []
    assert resources.current_nodes(cluster, "ms_pgsql", NOW, promoted_only=True) == ["osspc30"]
    assert resources.current_nodes(cluster, "g_service", NOW, promoted_only=False) == [
        "osspc30"]


def test_move_of_a_promotable_clone_is_a_switchover(cluster: Cib) -> None:
    moved = resources.move(cluster, "ms_pgsql", "osspc31", NOW)
    cli = resources.cli_constraints(moved.configuration)
    assert cli == [
        Location("cli-prefer-ms_pgsql", rsc="ms_pgsql", role=Role.PROMOTED, node="osspc31",
                 score=INFINITY),
        Location("cli-ban-ms_pgsql-on-osspc30", rsc="ms_pgsql", role=Role.PROMOTED,
                 node="osspc30", score=-INFINITY),
    ]
    summary = transition_summary(moved)
    assert "* Demote r_pgsql:0 ( Promoted -> Unpromoted osspc30 )" in summary
    assert "* Promote r_pgsql:1 ( Unpromoted -> Promoted osspc31 )" in summary
    assert "* Move r_service_vip ( osspc30 -> osspc31 )" in summary
    cleared, removed = resources.clear(moved, "ms_pgsql")
    assert removed == ["cli-prefer-ms_pgsql", "cli-ban-ms_pgsql-on-osspc30"]
    assert cleared.configuration.constraints == cluster.configuration.constraints
    assert cleared.epoch == cluster.epoch + 2


def test_move_refuses_plain_clones_and_unknown_nodes(cluster: Cib) -> None:
    with pytest.raises(ConfigError, match="is a clone and runs wherever it may"):
        resources.move(cluster, "c_pingd", "osspc31", NOW)
    with pytest.raises(ConfigError, match="unknown node 'osspc99'"):
        resources.move(cluster, "g_service", "osspc99", NOW)
    with pytest.raises(ConfigError, match="no such resource: nothing"):
        resources.move(cluster, "nothing", "osspc31", NOW)


def test_ban_keeps_a_resource_off_a_node(cluster: Cib) -> None:
    banned = resources.ban(cluster, "r_readonly_vip", "osspc31")
    assert "* Move r_readonly_vip ( osspc31 -> osspc30 )" in transition_summary(banned)


def test_standby_empties_the_node_as_pacemaker_does(cluster: Cib) -> None:
    standby = resources.set_node_state(cluster, "osspc30", "standby")
    assert attributes.query(standby, "osspc30", "standby", Lifetime.FOREVER) == "on"
    expected = (GOLDEN / "08-master-node-standby" / "expected.summary").read_text()
    block = expected.split("Transition Summary:")[1].split("Executing")[0]
    assert transition_summary(standby) == [" ".join(x.split()) for x in block.strip().splitlines()]
    online = resources.set_node_state(standby, "osspc30", "online")
    assert attributes.query(online, "osspc30", "standby", Lifetime.FOREVER) == "off"


def test_stop_and_start_set_the_target_role(cluster: Cib) -> None:
    stopped = resources.set_target_role(cluster, "r_readonly_vip", "stop")
    assert transition_summary(stopped) == ["* Stop r_readonly_vip ( osspc31 ) due to node "
                                           "availability"]
    started = resources.set_target_role(stopped, "r_readonly_vip", "start")
    assert transition_summary(started) == []
    with pytest.raises(ConfigError, match="not a promotable clone"):
        resources.set_target_role(cluster, "g_service", "promote")


def test_fail_records_a_failure_that_pacemaker_recovers_and_cleanup_forgets(
    cluster: Cib,
) -> None:
    failed = resources.fail(cluster, "r_service_vip", "osspc30", NOW)
    state = failed.status.node("osspc30")
    assert state is not None
    assert state.attribute("fail-count-r_service_vip#monitor_10000") == "1"
    assert state.attribute("last-failure-r_service_vip#monitor_10000") == str(NOW)
    assert "* Recover r_service_vip ( osspc30 )" in transition_summary(failed)
    twice = resources.fail(failed, "r_service_vip", "osspc30", NOW + 1)
    assert twice.status.node("osspc30").attribute(  # type: ignore[union-attr]
        "fail-count-r_service_vip#monitor_10000") == "2"
    cleaned, what = resources.cleanup(twice, "g_service")
    assert what == ["r_service_vip on osspc30"]
    node = cleaned.status.node("osspc30")
    assert node is not None
    assert node.attribute("fail-count-r_service_vip#monitor_10000") is None
    assert node.history("r_service_vip") is None  # probed again, as Pacemaker does
    assert node.history("r_replication_vip") is not None
    nothing, none = resources.cleanup(cleaned, "g_service")
    assert none == [] and nothing is cleaned


def test_attributes_with_both_lifetimes(cluster: Cib) -> None:
    updated = attributes.update(cluster, "osspc31", "site", "b", Lifetime.FOREVER)
    updated = attributes.update(updated, "osspc31", "default_ping_set", "0", Lifetime.REBOOT)
    assert attributes.query(updated, "osspc31", "site", Lifetime.FOREVER) == "b"
    assert attributes.query(updated, "osspc31", "site", Lifetime.REBOOT) is None
    assert attributes.query(updated, "osspc31", "default_ping_set", Lifetime.REBOOT) == "0"
    assert updated.epoch == cluster.epoch + 1
    assert updated.num_updates == 1
    gone = attributes.update(updated, "osspc31", "site", None, Lifetime.FOREVER)
    assert attributes.query(gone, "osspc31", "site", Lifetime.FOREVER) is None
    with pytest.raises(ConfigError, match="unknown node 'nobody'"):
        attributes.update(cluster, "nobody", "x", "1", Lifetime.REBOOT)
