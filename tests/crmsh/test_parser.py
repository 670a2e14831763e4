"""Grammar of each crm statement, checked on the model it produces."""

from __future__ import annotations

from harm.cib.config import (
    AgentRef,
    AttrExpression,
    Clone,
    Colocation,
    DateExpression,
    Group,
    Location,
    Order,
    Primitive,
    ResourceSet,
    Role,
)
from harm.cib.scores import INFINITY
from harm.crmsh.load import parse_configuration

DUMMIES = "".join(f"primitive {n} ocf:heartbeat:Dummy\n" for n in "ABCDE")


def test_primitive_with_params_meta_and_ops() -> None:
    config = parse_configuration(
        'primitive p ocf:heartbeat:IPaddr2 params ip="10.0.0.1" nic=eth0 '
        "meta target-role=Started op monitor interval=10s role=Master timeout=20s "
        "on-fail=restart op start interval=0 timeout=60s"
    )
    [primitive] = config.resources
    assert isinstance(primitive, Primitive)
    assert primitive.agent == AgentRef("ocf", "heartbeat", "IPaddr2")
    assert primitive.param("ip") == "10.0.0.1"
    assert primitive.meta_value("target-role") == "Started"
    monitor, start = primitive.ops
    assert (monitor.name, monitor.interval_ms, monitor.role) == ("monitor", 10_000, Role.PROMOTED)
    assert monitor.attr("on-fail") == "restart"
    assert start.attr("timeout") == "60s"
    assert monitor.id == "p-monitor-10s-promoted"


def test_params_keyword_is_optional_and_short_agent_names_are_ocf_heartbeat() -> None:
    [primitive] = parse_configuration("primitive p Dummy state=/tmp/x").resources
    assert isinstance(primitive, Primitive)
    assert primitive.agent == AgentRef("ocf", "heartbeat", "Dummy")
    assert primitive.param("state") == "/tmp/x"


def test_other_agent_classes() -> None:
    config = parse_configuration("primitive a lsb:cron\nprimitive b systemd:nginx\n")
    assert [r.agent for r in config.resources if isinstance(r, Primitive)] == [
        AgentRef("lsb", None, "cron"), AgentRef("systemd", None, "nginx")
    ]


def test_group_and_clones_nest_their_members_wherever_they_are_written() -> None:
    config = parse_configuration(
        "group g A B meta target-role=Started\n"
        "clone c C meta clone-max=2\n"
        "ms m D meta master-max=1\n"
        "clone p E meta promotable=true\n" + DUMMIES
    )
    g, m, c, p = config.resources  # crm shell's order: groups, then ms, then clones
    assert isinstance(g, Group) and [x.id for x in g.children] == ["A", "B"]
    assert isinstance(c, Clone) and c.child.id == "C" and not c.promotable
    assert isinstance(m, Clone) and m.legacy_ms and m.promotable
    assert isinstance(p, Clone) and not p.legacy_ms and p.promotable


def test_location_with_score_and_node() -> None:
    config = parse_configuration(DUMMIES + "location l A role=Started -inf: node1\n")
    [location] = config.constraints
    assert location == Location("l", rsc="A", role=Role.STARTED, node="node1", score=-INFINITY)


def test_location_rules_roles_types_and_boolean_ops() -> None:
    config = parse_configuration(
        DUMMIES + "ms m A\n"
        "location l m \\\n"
        '  rule $id=r1 $role=master 200: #uname eq osspc30 \\\n'
        "  rule -inf: not_defined ping or ping number:lt 100 \\\n"
        "  rule pingd: defined pingd \\\n"
        "  rule +inf: date in_range start=2024-01-01 end=2025-01-01\n"
    )
    [location] = config.constraints
    assert isinstance(location, Location)
    r1, r2, r3, r4 = location.rules
    assert (r1.id, r1.role, r1.score) == ("r1", Role.PROMOTED, 200)
    assert r1.expressions == (AttrExpression("r1-expression", "#uname", "eq", "osspc30"),)
    assert r2.boolean_op == "or" and r2.score == -INFINITY
    assert r2.expressions[1] == AttrExpression("l-rule-1-expression-1", "ping", "lt", "100",
                                               "number")
    assert r3.score_attribute == "pingd" and r3.score is None
    assert r4.expressions == (
        DateExpression("l-rule-3-expression", "in_range", start="2024-01-01", end="2025-01-01"),
    )


def test_location_by_pattern() -> None:
    config = parse_configuration("location l /^web-/ 100: n1\n")
    assert config.constraints[0] == Location("l", rsc_pattern="^web-", node="n1", score=100)


def test_colocation_pair_with_roles_and_node_attribute() -> None:
    config = parse_configuration(
        DUMMIES + "ms m A\ncolocation c inf: B m:Master node-attribute=site\n"
    )
    assert config.constraints[0] == Colocation(
        "c", INFINITY, "B", "m", None, Role.PROMOTED, "site"
    )


def test_colocation_of_three_resources_is_a_reversed_sequential_set() -> None:
    config = parse_configuration(DUMMIES + "colocation c 100: A B C\n")
    [colocation] = config.constraints
    assert isinstance(colocation, Colocation)
    assert colocation.sets == (ResourceSet("c-0", ("C", "B", "A")),)


def test_colocation_with_unordered_set() -> None:
    config = parse_configuration(DUMMIES + "colocation c inf: A ( B C )\n")
    [colocation] = config.constraints
    assert isinstance(colocation, Colocation)
    assert colocation.sets == (
        ResourceSet("c-0", ("A",)),
        ResourceSet("c-1", ("B", "C"), sequential=False),
    )


def test_order_pair_with_kind_actions_and_symmetry() -> None:
    config = parse_configuration(
        DUMMIES + "ms m A\norder o Mandatory: m:promote B:start symmetrical=false\n"
    )
    assert config.constraints[0] == Order(
        "o", "m", "B", "promote", "start", "Mandatory", None, False
    )


def test_order_scores_and_defaults() -> None:
    config = parse_configuration(DUMMIES + "order o1 0: A B\norder o2 A B\norder o3 inf: A B\n")
    o1, o2, o3 = config.constraints
    assert isinstance(o1, Order) and o1.score == 0 and o1.kind is None
    assert isinstance(o2, Order) and o2.score is None and o2.kind is None
    assert isinstance(o3, Order) and o3.score == INFINITY


def test_order_of_three_and_require_all_brackets() -> None:
    config = parse_configuration(
        DUMMIES + "order o Optional: A B C\norder p Serialize: [ A B ] C\n"
    )
    o, p = config.constraints
    assert isinstance(o, Order) and o.sets == (ResourceSet("o-0", ("A", "B", "C")),)
    assert isinstance(p, Order) and p.kind == "Serialize"
    assert p.sets == (
        ResourceSet("p-0", ("A", "B"), require_all=False),
        ResourceSet("p-1", ("C",)),
    )


def test_properties_defaults_and_nodes() -> None:
    config = parse_configuration(
        "property no-quorum-policy=ignore stonith-enabled=false\n"
        "property $id=extra maintenance-mode=true\n"
        "rsc_defaults resource-stickiness=INFINITY migration-threshold=1\n"
        "op_defaults timeout=30s\n"
        "node osspc30 attributes site=a\n"
        "node $id=2 osspc31:member\n"
    )
    assert config.property("no-quorum-policy") == "ignore"
    assert config.property("maintenance-mode") == "true"
    assert [s.id for s in config.crm_config] == ["cib-bootstrap-options", "extra"]
    assert config.rsc_defaults[0].get("migration-threshold") == "1"
    assert config.op_defaults[0].get("timeout") == "30s"
    n30, n31 = config.nodes
    assert n30.attribute("site") == "a"
    assert (n31.id, n31.uname) == ("2", "osspc31")


def test_old_and_new_role_names_mean_the_same() -> None:
    old = parse_configuration(DUMMIES + "ms m A\ncolocation c inf: B m:Master\n")
    new = parse_configuration(DUMMIES + "ms m A\ncolocation c inf: B m:Promoted\n")
    assert old == new
