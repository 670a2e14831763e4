"""harm.yaml, ha.cf and authkeys: what is accepted, and what is refused with which message."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from harm.errors import SettingsError
from harm.membership import authkeys
from harm.membership.settings import (
    LinkKind,
    check_interfaces,
    parse_ha_cf,
    parse_yaml,
)

YAML = """
cluster: pg
node: osspc30
nodes: [osspc30, osspc31, {name: witness, votes: 1}]
keepalive: 200ms
deadtime: 2s
links:
  - bcast: eth0
  - mcast: {dev: eth1, group: 239.1.2.3, ttl: 2}
  - ucast: {dev: eth2, peers: [10.0.0.2, 10.0.0.3]}
"""


def test_yaml_full_example() -> None:
    s = parse_yaml(YAML)
    assert s.cluster == "pg" and s.node == "osspc30"
    assert s.node_names == ("osspc30", "osspc31", "witness")
    assert (s.keepalive_ms, s.deadtime_ms, s.warntime_ms, s.initdead_ms) == (200, 2000, 1000, 4000)
    assert [link.kind for link in s.links] == [LinkKind.BCAST, LinkKind.MCAST, LinkKind.UCAST]
    assert s.links[1].group == "239.1.2.3" and s.links[1].ttl == 2 and s.links[1].port == 694
    assert s.links[2].peers == ("10.0.0.2", "10.0.0.3")


def test_yaml_node_defaults_to_the_host_name() -> None:
    text = YAML.replace("node: osspc30\n", "")
    assert parse_yaml(text, default_node="osspc31").node == "osspc31"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("deadtime: 2s", "deadtime: 400ms"), "must be greater than 2 x keepalive"),
        (("[osspc30, osspc31,", "[osspc30, osspc30,"), "duplicate node 'osspc30'"),
        (("node: osspc30", "node: other"), "not in the node list"),
        (("keepalive: 200ms", "keepalive: soon"), "keepalive: not a duration"),
        (("239.1.2.3", "10.1.2.3"), "not a multicast address"),
        (("bcast: eth0", "bcast: eth1"), "interface 'eth1' is used by two links"),
        (("cluster: pg", "klaster: pg"), "unknown key(s): klaster"),
        (("- bcast: eth0", "- serial: ttyS0"), "unknown link kind 'serial'"),
        (("ttl: 2", "ttl: many"), "bad value"),
        (("votes: 1", "votes: lots"), "bad value"),
    ],
)
def test_yaml_nonsense_is_refused_clearly(change: tuple[str, str], message: str) -> None:
    with pytest.raises(SettingsError) as caught:
        parse_yaml(YAML.replace(*change), "harm.yaml")
    assert message in str(caught.value)
    assert str(caught.value).startswith("harm.yaml")


def test_unknown_interface() -> None:
    with pytest.raises(SettingsError, match="unknown interface 'eth2'"):
        check_interfaces(parse_yaml(YAML), ["lo", "eth0", "eth1"])
    check_interfaces(parse_yaml(YAML), ["lo", "eth0", "eth1", "eth2"])


SEED_HA_CF = """
# ha.cf of the seed setup
logfacility local0
keepalive 2
deadtime 30
warntime 10
initdead 120
udpport 694
bcast eth0 eth1
auto_failback off
node osspc30
node osspc31
crm yes
"""


def test_seed_ha_cf_migrates() -> None:
    s = parse_ha_cf(SEED_HA_CF, "ha.cf", "pg", "osspc30")
    assert s.node_names == ("osspc30", "osspc31") and s.two_node
    assert (s.keepalive_ms, s.deadtime_ms, s.warntime_ms, s.initdead_ms) == (
        2000, 30_000, 10_000, 120_000,
    )
    assert [(link.kind, link.dev) for link in s.links] == [
        (LinkKind.BCAST, "eth0"), (LinkKind.BCAST, "eth1"),
    ]
    assert any("auto_failback" in note for note in s.notes)


def test_ha_cf_mcast_ucast_and_errors() -> None:
    text = "keepalive 200ms\ndeadtime 2\nmcast eth0 225.0.0.1 694 1 0\nucast eth1 10.0.0.2\n"
    text += "ucast eth1 10.0.0.3\nnode a b c\n"
    s = parse_ha_cf(text, "ha.cf", "pg", "a")
    assert s.links[0].group == "225.0.0.1" and s.links[1].peers == ("10.0.0.2", "10.0.0.3")
    with pytest.raises(SettingsError, match=r"ha.cf:1: unknown directive 'heartbeat'"):
        parse_ha_cf("heartbeat on\n", "ha.cf", "pg", "a")
    with pytest.raises(SettingsError, match="duplicate node"):
        parse_ha_cf("bcast eth0\nnode a a\n", "ha.cf", "pg", "a")


def test_authkeys_parse_and_refusals() -> None:
    keys = authkeys.parse("# comment\nauth 1\n1 sha1 osspc-secret\n2 sha256 next one\n")
    assert keys.signing.algorithm == "sha1" and keys.keys[2].secret == b"next one"
    for text, message in [
        ("auth 1\n1 crc\n", "crc is a checksum"),
        ("auth 1\n1 md5 x\n", "md5 is refused"),
        ("auth 1\n1 sha3 x\n", "unknown algorithm"),
        ("1 sha1 x\n", "missing 'auth"),
        ("auth 2\n1 sha1 x\n", "names a key that is not defined"),
        ("auth 1\n1 sha1\n", "has no secret"),
    ]:
        with pytest.raises(SettingsError, match=message):
            authkeys.parse(text)


def test_authkeys_file_must_be_root_owned_0600(tmp_path: Path) -> None:
    path = tmp_path / "authkeys"
    path.write_text("auth 1\n1 sha256 secret\n")
    path.chmod(0o644)
    with pytest.raises(SettingsError, match="must be 0600"):
        authkeys.load(path)
    path.chmod(0o600)
    if os.geteuid() == 0:
        assert authkeys.load(path).signing.secret == b"secret"
        os.chown(path, 65534, 0)
        with pytest.raises(SettingsError, match="must be owned by root"):
            authkeys.load(path)
    else:
        with pytest.raises(SettingsError, match="must be owned by root"):
            authkeys.load(path)
