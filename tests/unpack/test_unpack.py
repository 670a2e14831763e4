"""Unpacking a CIB: node states, roles from operation history, failures, clone numbering.

Inputs are small Pacemaker CIBs read by the real XML importer.
"""

from __future__ import annotations

from pathlib import Path

from harm.cib.config import Role
from harm.cib.scores import char2score
from harm.cib.xml_import import parse_cib_xml
from harm.engine.schedule import schedule
from harm.engine.state import ClusterOptions, ClusterState, OnFail, compare_node_names
from harm.engine.unpack import unpack

NOW = 1_700_000_000


def _cib(resources: str, status: str, *, stonith: bool = False, extra_props: str = "",
         nodes: str = '<node id="1" uname="n1"/><node id="2" uname="n2"/>') -> bytes:
    return f"""<cib have-quorum="1" crm_feature_set="3.16.2">
  <configuration>
    <crm_config><cluster_property_set id="o">
      <nvpair id="o1" name="stonith-enabled" value="{str(stonith).lower()}"/>
      {extra_props}
    </cluster_property_set></crm_config>
    <nodes>{nodes}</nodes>
    <resources>{resources}</resources>
  </configuration>
  <status>{status}</status>
</cib>""".encode()


def _node(uname: str, nid: str, lrm: str = "", attrs: str = "", online: bool = True) -> str:
    membership = ('in_ccm="true" crmd="online" join="member" expected="member"' if online
                  else 'in_ccm="false" crmd="offline" join="down" expected="member"')
    return (f'<node_state id="{nid}" uname="{uname}" {membership}>'
            f'<transient_attributes id="{nid}"><instance_attributes id="s-{nid}">{attrs}'
            f"</instance_attributes></transient_attributes>"
            f'<lrm id="{nid}"><lrm_resources>{lrm}</lrm_resources></lrm></node_state>')


def _op(rsc: str, op_id: str, task: str, call: int, rc: int, target: int, *,
        interval: int = 0, status: int = 0, changed: int = NOW - 100) -> str:
    return (f'<lrm_rsc_op id="{op_id}" operation_key="{rsc}_{task}_{interval}" '
            f'operation="{task}" call-id="{call}" rc-code="{rc}" op-status="{status}" '
            f'interval="{interval}" last-rc-change="{changed}" '
            f'transition-key="{call}:1:{target}:x"/>')


def _rsc_history(rsc: str, ops: str, type_: str = "Dummy") -> str:
    return (f'<lrm_resource id="{rsc}" class="ocf" provider="heartbeat" type="{type_}">'
            f"{ops}</lrm_resource>")


DUMMY = '<primitive id="d" class="ocf" provider="heartbeat" type="Dummy">{ops}</primitive>'


def _state(data: bytes) -> ClusterState:
    return unpack(parse_cib_xml(data, "test"), NOW)


def test_probe_not_running_means_stopped_and_known() -> None:
    lrm = _rsc_history("d", _op("d", "d_last_0", "monitor", 1, 7, 7))
    state = _state(_cib(DUMMY.format(ops=""), _node("n1", "1", lrm) + _node("n2", "2")))
    d = state.resource("d")
    assert d is not None
    assert d.role is Role.STOPPED and d.running_on == () and d.known_on == ("n1",)


def test_start_then_failed_monitor_is_failed_and_restarts() -> None:
    ops = (_op("d", "d_last_0", "start", 2, 0, 0)
           + _op("d", "d_last_failure_0", "monitor", 3, 7, 0, interval=10000)
           + _op("d", "d_monitor_10000", "monitor", 3, 7, 0, interval=10000))
    state = _state(_cib(DUMMY.format(ops=""),
                        _node("n1", "1", _rsc_history("d", ops)) + _node("n2", "2")))
    d = state.resource("d")
    assert d is not None and d.failed and d.running_on == ("n1",)
    history = d.history_on("n1")
    assert history is not None and history.on_fail is OnFail.RESTART
    assert history.last_failure is not None and history.last_failure.rc == 7
    assert [(f.rsc, f.node) for f in state.failed_ops] == [("d", "n1")]


def test_a_later_stop_clears_the_failure() -> None:
    ops = (_op("d", "d_last_failure_0", "monitor", 3, 7, 0, interval=10000)
           + _op("d", "d_last_0", "stop", 4, 0, 0))
    state = _state(_cib(DUMMY.format(ops=""),
                        _node("n1", "1", _rsc_history("d", ops)) + _node("n2", "2")))
    d = state.resource("d")
    assert d is not None and not d.failed and d.running_on == ()


def test_failed_stop_without_fencing_blocks_and_bans() -> None:
    ops = _op("d", "d_last_failure_0", "stop", 5, 1, 0)
    state = _state(_cib(DUMMY.format(ops=""),
                        _node("n1", "1", _rsc_history("d", ops)) + _node("n2", "2")))
    d = state.resource("d")
    assert d is not None and d.blocked and not d.managed and d.running_on == ("n1",)
    assert ("d", "n1", "__stop_fail__") in {(b.rsc, b.node, b.reason) for b in state.bans}


def test_on_fail_stop_and_block_come_from_the_op_definition() -> None:
    ops_conf = ('<operations><op id="m" name="monitor" interval="10s" on-fail="stop"/>'
                "</operations>")
    ops = (_op("d", "d_last_0", "start", 2, 0, 0)
           + _op("d", "d_last_failure_0", "monitor", 3, 1, 0, interval=10000))
    state = _state(_cib(DUMMY.format(ops=ops_conf),
                        _node("n1", "1", _rsc_history("d", ops)) + _node("n2", "2")))
    d = state.resource("d")
    assert d is not None and d.next_role is Role.STOPPED and d.failed


def test_failure_timeout_expires_old_failures() -> None:
    conf = ('<primitive id="d" class="ocf" provider="heartbeat" type="Dummy">'
            '<meta_attributes id="m"><nvpair id="m1" name="failure-timeout" value="60s"/>'
            "</meta_attributes></primitive>")
    ops = _op("d", "d_last_failure_0", "start", 2, 1, 0, changed=NOW - 3600)
    attrs = ('<nvpair id="f" name="fail-count-d#start_0" value="1"/>'
             f'<nvpair id="l" name="last-failure-d#start_0" value="{NOW - 3600}"/>')
    state = _state(_cib(conf, _node("n1", "1", _rsc_history("d", ops), attrs)
                        + _node("n2", "2")))
    d = state.resource("d")
    assert d is not None and not d.failed
    count = state.failcount("d", "n1")
    assert count is not None and count.raw_count == 1 and count.count == 0 and count.expired
    assert [(c.rsc, c.node) for c in state.clear_failcounts] == [("d", "n1")]


def test_anonymous_clone_instances_are_numbered_active_first() -> None:
    conf = ('<clone id="c"><primitive id="p" class="ocf" provider="heartbeat" '
            'type="Dummy"/></clone>')
    started = _rsc_history("p", _op("p", "p_last_0", "start", 2, 0, 0))
    state = _state(_cib(conf, _node("n2", "2", started) + _node("n1", "1", started)))
    assert [(r.id, r.running_on) for r in state.children_of("c")] == [
        ("p:0", ("n2",)), ("p:1", ("n1",))]
    assert state.resource("p:0") is not None
    clone = state.resource("c")
    assert clone is not None and clone.clone is not None and clone.clone.clone_max == 2


def test_promotable_clone_roles_come_from_the_history() -> None:
    conf = ('<clone id="ms"><meta_attributes id="mm"><nvpair id="mm1" name="promotable" '
            'value="true"/></meta_attributes><primitive id="s" class="ocf" '
            'provider="pacemaker" type="Stateful"/></clone>')
    promoted = _rsc_history("s", _op("s", "s_last_0", "promote", 3, 0, 0), "Stateful")
    unpromoted = _rsc_history("s", _op("s", "s_last_0", "start", 3, 0, 0), "Stateful")
    state = _state(_cib(conf, _node("n1", "1", promoted) + _node("n2", "2", unpromoted)))
    roles = {r.running_on: r.role for r in state.children_of("ms")}
    # as in Pacemaker, a started instance is "Started"; views show it as Unpromoted
    assert roles == {("n1",): Role.PROMOTED, ("n2",): Role.STARTED}


def test_lost_node_with_fencing_is_unclean_with_pacemakers_reason() -> None:
    lrm = _rsc_history("d", _op("d", "d_last_0", "start", 2, 0, 0))
    state = _state(_cib(DUMMY.format(ops=""),
                        _node("n1", "1", lrm, online=False) + _node("n2", "2"), stonith=True))
    n1 = state.node("n1")
    assert n1 is not None and n1.unclean and not n1.online
    assert n1.fence_reason == "peer is no longer part of the cluster"
    d = state.resource("d")
    assert d is not None and d.running_on == ("n1",)


def test_lost_node_without_fencing_is_just_offline() -> None:
    lrm = _rsc_history("d", _op("d", "d_last_0", "start", 2, 0, 0))
    state = _state(_cib(DUMMY.format(ops=""),
                        _node("n1", "1", lrm, online=False) + _node("n2", "2")))
    n1 = state.node("n1")
    assert n1 is not None and not n1.unclean and not n1.online
    d = state.resource("d")
    assert d is not None and d.running_on == ()  # offline history is not read


def test_node_attributes_merge_permanent_transient_and_builtins() -> None:
    nodes = ('<node id="1" uname="n1"><instance_attributes id="na">'
             '<nvpair id="na1" name="site" value="a"/><nvpair id="na2" name="standby" '
             'value="on"/></instance_attributes></node><node id="2" uname="n2"/>')
    state = _state(_cib("", _node("n1", "1", attrs='<nvpair id="t" name="pingd" value="100"/>')
                        + _node("n2", "2"), nodes=nodes))
    n1 = state.node("n1")
    assert n1 is not None and n1.standby
    assert n1.attribute("#uname") == "n1" and n1.attribute("#id") == "1"
    assert n1.attribute("site") == "a" and n1.attribute("pingd") == "100"


def test_orphans_are_banned_and_listed_last() -> None:
    lrm = _rsc_history("gone", _op("gone", "gone_last_0", "start", 2, 0, 0))
    state = _state(_cib(DUMMY.format(ops=""), _node("n1", "1", lrm) + _node("n2", "2")))
    assert state.top_level == ("d", "gone")
    gone = state.resource("gone")
    assert gone is not None and gone.orphan and gone.running_on == ("n1",)
    assert ("gone", None, "__orphan_do_not_run__") in {
        (b.rsc, b.node, b.reason) for b in state.bans}


def test_node_names_sort_like_pacemaker() -> None:
    names = ["node10", "Node2", "node1", "node007", "node7"]
    import functools

    assert sorted(names, key=functools.cmp_to_key(compare_node_names)) == [
        "node1", "Node2", "node7", "node007", "node10"]


def test_char2score_is_lenient_like_pacemaker() -> None:
    assert char2score("2.0") == 2
    assert char2score("-INFINITY") == -1_000_000
    assert char2score("+inf") == 1_000_000
    assert char2score("junk") == 0
    assert char2score("99999999") == 1_000_000


def test_node_attribute_sets_follow_date_rules_and_scores() -> None:
    nodes = ('<node id="1" uname="n1">'
             '<instance_attributes id="a" score="2"><nvpair id="a1" name="standby" '
             'value="off"/></instance_attributes>'
             '<instance_attributes id="b" score="20"><nvpair id="b1" name="standby" '
             'value="on"/><rule id="r" score="INFINITY"><date_expression id="d" '
             'operation="lt" end="2023-11-14 18:00:00 -05:00"/></rule>'
             '</instance_attributes></node><node id="2" uname="n2"/>')
    data = _cib("", _node("n1", "1") + _node("n2", "2"), nodes=nodes)
    # NOW is 2023-11-14 22:13:20 UTC, before 23:00 UTC: the higher-scored ruled set wins
    n1 = _state(data).node("n1")
    assert n1 is not None and n1.standby
    later = unpack(parse_cib_xml(data, "test"), NOW + 3600).node("n1")
    assert later is not None and not later.standby


def test_shutdown_lock_keeps_a_resource_on_its_node_until_the_limit() -> None:
    props = ('<nvpair id="o2" name="shutdown-lock" value="true"/>'
             '<nvpair id="o3" name="shutdown-lock-limit" value="5min"/>')
    lrm = ('<lrm_resource id="d" class="ocf" provider="heartbeat" type="Dummy" '
           f'shutdown-lock="{NOW - 60}">'
           + _op("d", "d_last_0", "stop", 3, 0, 0) + "</lrm_resource>")
    data = _cib(DUMMY.format(ops=""), _node("n1", "1", lrm, online=False) + _node("n2", "2"),
                extra_props=props)
    d = _state(data).resource("d")
    assert d is not None and d.lock_node == "n1" and d.running_on == ()
    later = unpack(parse_cib_xml(data, "test"), NOW + 600)
    d_later = later.resource("d")
    assert d_later is not None and d_later.lock_node is None
    assert later.expired_locks == (("d", "n1"),)


def test_fencing_is_possible_with_a_device_or_a_watchdog() -> None:
    assert not ClusterOptions(have_fencing=False).can_fence(node_online=True)
    assert ClusterOptions(have_fencing=True).can_fence(node_online=False)
    without_quorum = ClusterOptions(have_fencing=True, have_quorum=False)
    assert without_quorum.can_fence(node_online=True)  # still in our membership
    assert not without_quorum.can_fence(node_online=False)
    assert not ClusterOptions(have_fencing=True, stonith_enabled=False).can_fence(True)


def test_the_engine_says_when_a_failure_will_expire(corpus_dir: Path) -> None:
    """recheck_by: the DC schedules again then, without re-deriving the policy."""
    cib = parse_cib_xml((corpus_dir / "xml" / "expire-non-blocked-failure.xml").read_bytes())
    first = min(f.last_failure or 0 for f in unpack(cib, NOW).failcounts if f.count)
    state = unpack(cib, first + 10)
    assert state.recheck_by == first + 60 + 1  # failure-timeout=60s, expired strictly after
    assert schedule(state, first + 10).recheck_by == state.recheck_by
    assert unpack(cib, first + 10_000).recheck_by is None  # everything expired
