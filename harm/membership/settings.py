"""harmd's membership settings, read from ``harm.yaml`` or from a Heartbeat ``ha.cf``.

harm.yaml (every key but ``cluster``, ``nodes`` and ``links`` has a default)::

    cluster: pgcluster
    node: osspc30                 # this node; default: uname -n
    nodes: [osspc30, osspc31]     # or [{name: osspc30, votes: 1}, ...]
    port: 694
    keepalive: 1s
    deadtime: 30s
    warntime: 10s
    initdead: 60s
    two_node: false               # two nodes: quorate alone, but only after both were seen
    witness: {address: 192.168.10.100, port: 6940, lease: 30s, margin: 30s}
                                  # a tie-breaker's vote (harm witness); lease and margin
                                  # default to deadtime; not with two_node
    authkeys: /etc/harm/authkeys
    state_dir: /var/lib/harm
    socket: /run/harm/harmd.sock
    links:
      - bcast: eth0
      - mcast: {dev: eth1, group: 239.0.0.1, port: 694, ttl: 1}
      - ucast: {dev: eth2, peers: [192.168.12.2]}

ha.cf, one directive per line, ``#`` comments (other directives are ignored with a note)::

    keepalive N | deadtime N | warntime N | initdead N   (seconds, or with a unit: 200ms)
    udpport PORT
    bcast DEV [DEV ...]
    mcast DEV GROUP PORT TTL LOOP
    ucast DEV PEER_ADDRESS
    node NAME [NAME ...]

Parsing does no I/O beyond what the caller hands in; :func:`check_interfaces` compares the
links with the interfaces the caller found on the machine.
"""

from __future__ import annotations

import enum
import ipaddress
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from harm.cib.durations import parse_ms
from harm.errors import SettingsError

DEFAULT_PORT = 694
DEFAULT_MCAST_GROUP = "239.255.6.94"
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$")


class LinkKind(enum.Enum):
    """How heartbeats leave a NIC."""

    BCAST = "bcast"
    MCAST = "mcast"
    UCAST = "ucast"


@dataclass(frozen=True)
class Link:
    """One NIC the node talks on; its name is the ``<nic>`` of ``<node>-<nic>`` attributes."""

    kind: LinkKind
    dev: str
    port: int = DEFAULT_PORT
    group: str | None = None  # mcast only
    ttl: int = 1  # mcast only
    peers: tuple[str, ...] = ()  # ucast only


@dataclass(frozen=True)
class NodeEntry:
    """A configured cluster node and its quorum votes."""

    name: str
    votes: int = 1


@dataclass(frozen=True)
class WitnessSettings:
    """Where the witness (``harm witness``) listens, and the lease this node asks for."""

    address: str
    port: int = 6940
    lease_ms: int = 0  # 0: deadtime
    margin_ms: int = 0  # 0: deadtime


@dataclass(frozen=True)
class Settings:
    """Everything membership needs, validated (times in milliseconds)."""

    cluster: str
    node: str
    nodes: tuple[NodeEntry, ...]
    links: tuple[Link, ...]
    port: int = DEFAULT_PORT
    keepalive_ms: int = 1000
    deadtime_ms: int = 30_000
    warntime_ms: int = 10_000
    initdead_ms: int = 60_000
    two_node: bool = False
    authkeys: Path = Path("/etc/harm/authkeys")
    state_dir: Path = Path("/var/lib/harm")
    socket: Path = Path("/run/harm/harmd.sock")
    witness: WitnessSettings | None = None
    notes: tuple[str, ...] = field(default=(), compare=False)

    @property
    def node_names(self) -> tuple[str, ...]:
        return tuple(n.name for n in self.nodes)

    @property
    def nics(self) -> tuple[str, ...]:
        return tuple(link.dev for link in self.links)


def _fail(source: str, message: str) -> SettingsError:
    return SettingsError(f"{source}: {message}")


def _duration(source: str, key: str, value: object) -> int:
    try:
        ms = parse_ms(str(value))
    except ValueError:
        raise _fail(source, f"{key}: not a duration: {value!r} (write e.g. 200ms, 2s)") from None
    if ms <= 0:
        raise _fail(source, f"{key}: must be greater than 0, got {value!r}")
    return ms


def _port(source: str, key: str, value: object) -> int:
    try:
        port = int(str(value))
    except ValueError:
        raise _fail(source, f"{key}: not a port number: {value!r}") from None
    if not 1 <= port <= 65535:
        raise _fail(source, f"{key}: port out of range 1-65535: {port}")
    return port


def _name(source: str, what: str, value: object) -> str:
    text = str(value)
    if not NAME_RE.match(text):
        raise _fail(source, f"{what}: not a valid name: {text!r}")
    return text


def validate(settings: Settings, source: str) -> Settings:
    """Refuse settings that cannot work; returns them unchanged when they can."""
    names = [n.name for n in settings.nodes]
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise _fail(source, f"duplicate node {name!r} in the node list")
        seen.add(name)
    if not names:
        raise _fail(source, "no nodes configured")
    if settings.node not in seen:
        raise _fail(
            source, f"this node {settings.node!r} is not in the node list {', '.join(names)}"
        )
    for entry in settings.nodes:
        if entry.votes < 0:
            raise _fail(source, f"node {entry.name!r}: votes must not be negative")
    if not settings.links:
        raise _fail(source, "no links configured (bcast, mcast or ucast)")
    devs: set[str] = set()
    for link in settings.links:
        if link.dev in devs:
            raise _fail(source, f"interface {link.dev!r} is used by two links")
        devs.add(link.dev)
        if link.kind is LinkKind.UCAST and not link.peers:
            raise _fail(source, f"ucast link on {link.dev!r} has no peers")
        if link.kind is LinkKind.MCAST:
            try:
                group = ipaddress.IPv4Address(link.group or "")
            except ValueError:
                raise _fail(source, f"mcast group {link.group!r} is not an IPv4 address") from None
            if not group.is_multicast:
                raise _fail(source, f"mcast group {link.group} is not a multicast address")
            if not 0 <= link.ttl <= 255:
                raise _fail(source, f"mcast ttl out of range 0-255: {link.ttl}")
        for peer in link.peers:
            try:
                ipaddress.IPv4Address(peer)
            except ValueError:
                raise _fail(source, f"ucast peer {peer!r} is not an IPv4 address") from None
    ka, dt = settings.keepalive_ms, settings.deadtime_ms
    if dt <= 2 * ka:
        raise _fail(
            source,
            f"deadtime ({dt}ms) must be greater than 2 x keepalive ({ka}ms): "
            "one lost heartbeat would declare a node dead",
        )
    if not ka <= settings.warntime_ms <= dt:
        raise _fail(
            source, f"warntime ({settings.warntime_ms}ms) must lie between keepalive and deadtime"
        )
    if settings.initdead_ms < dt:
        raise _fail(source, f"initdead ({settings.initdead_ms}ms) must be at least deadtime")
    if settings.two_node and len(names) != 2:
        raise _fail(source, f"two_node needs exactly two nodes, {len(names)} configured")
    if settings.witness is not None and settings.two_node:
        raise _fail(source, "two_node and witness exclude each other: with a witness a node "
                    "alone is quorate only with the witness's vote; remove two_node")
    return settings


def check_interfaces(settings: Settings, available: Iterable[str]) -> None:
    """Refuse links on interfaces the machine does not have."""
    present = set(available)
    for link in settings.links:
        if link.dev not in present:
            raise SettingsError(
                f"unknown interface {link.dev!r} (this machine has: {', '.join(sorted(present))})"
            )


# ---------------------------------------------------------------- harm.yaml


_YAML_KEYS = {
    "cluster", "node", "nodes", "port", "keepalive", "deadtime", "warntime", "initdead",
    "two_node", "authkeys", "state_dir", "socket", "links", "witness",
}


def _yaml_witness(source: str, body: object, deadtime_ms: int) -> WitnessSettings:
    if not isinstance(body, Mapping):
        raise _fail(source, "witness: expected a mapping with address (and port, lease, margin)")
    unknown = set(body) - {"address", "port", "lease", "margin"}
    if unknown:
        raise _fail(source, f"witness: unknown key(s) {', '.join(sorted(map(str, unknown)))}")
    try:
        address = str(ipaddress.IPv4Address(str(body.get("address", ""))))
    except ValueError:
        raise _fail(source, f"witness.address: not an IPv4 address: {body.get('address')!r}"
                    ) from None
    port = _port(source, "witness.port", body.get("port", 6940))
    lease = _duration(source, "witness.lease", body["lease"]) if "lease" in body \
        else deadtime_ms
    margin = _duration(source, "witness.margin", body["margin"]) if "margin" in body \
        else deadtime_ms
    if lease > 60_000 or margin > 60_000:
        raise _fail(source, "witness: lease and margin must be at most 60s")
    return WitnessSettings(address, port, lease, margin)


def _yaml_link(source: str, index: int, item: object, port: int) -> Link:
    where = f"links[{index}]"
    if not isinstance(item, Mapping) or len(item) != 1:
        raise _fail(source, f"{where}: expected 'bcast: DEV', 'mcast: {{...}}' or 'ucast: {{...}}'")
    ((kind_text, body),) = item.items()
    try:
        kind = LinkKind(str(kind_text))
    except ValueError:
        raise _fail(source, f"{where}: unknown link kind {kind_text!r} (bcast, mcast, ucast)"
                    ) from None
    if kind is LinkKind.BCAST:
        if isinstance(body, Mapping):
            return Link(kind, _name(source, where, body.get("dev")),
                        _port(source, where, body.get("port", port)))
        return Link(kind, _name(source, where, body), port)
    if not isinstance(body, Mapping):
        raise _fail(source, f"{where}: {kind.value} needs a mapping with dev")
    unknown = set(body) - {"dev", "group", "port", "ttl", "peers"}
    if unknown:
        raise _fail(source, f"{where}: unknown key(s) {', '.join(sorted(map(str, unknown)))}")
    dev = _name(source, f"{where}.dev", body.get("dev"))
    link_port = _port(source, f"{where}.port", body.get("port", port))
    if kind is LinkKind.MCAST:
        return Link(kind, dev, link_port, group=str(body.get("group", DEFAULT_MCAST_GROUP)),
                    ttl=int(body.get("ttl", 1)))
    peers = body.get("peers", [])
    if isinstance(peers, str):
        peers = [peers]
    if not isinstance(peers, list):
        raise _fail(source, f"{where}.peers: expected a list of addresses")
    return Link(kind, dev, link_port, peers=tuple(str(p) for p in peers))


def parse_yaml(text: str, source: str = "harm.yaml", default_node: str | None = None) -> Settings:
    """Settings from harm.yaml text; ``default_node`` (uname -n) is used when ``node`` is absent."""
    try:
        return _parse_yaml(text, source, default_node)
    except (ValueError, TypeError) as error:  # int("x") on votes, ttl …
        raise _fail(source, f"bad value: {error}") from None


def _parse_yaml(text: str, source: str, default_node: str | None) -> Settings:
    try:
        data: Any = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise _fail(source, f"not valid YAML: {error}") from None
    if not isinstance(data, Mapping):
        raise _fail(source, "expected a mapping at the top level")
    unknown = set(data) - _YAML_KEYS
    if unknown:
        raise _fail(source, f"unknown key(s): {', '.join(sorted(map(str, unknown)))}")
    if "cluster" not in data:
        raise _fail(source, "missing 'cluster' (the cluster name)")
    cluster = _name(source, "cluster", data["cluster"])
    raw_nodes = data.get("nodes")
    if not isinstance(raw_nodes, list):
        raise _fail(source, "'nodes' must be a list of node names")
    nodes: list[NodeEntry] = []
    for item in raw_nodes:
        if isinstance(item, Mapping):
            nodes.append(NodeEntry(_name(source, "nodes", item.get("name")),
                                   int(item.get("votes", 1))))
        else:
            nodes.append(NodeEntry(_name(source, "nodes", item)))
    node = data.get("node", default_node)
    if node is None:
        raise _fail(source, "missing 'node' (this node's name)")
    port = _port(source, "port", data.get("port", DEFAULT_PORT))
    raw_links = data.get("links")
    if not isinstance(raw_links, list):
        raise _fail(source, "'links' must be a list")
    links = tuple(_yaml_link(source, i, item, port) for i, item in enumerate(raw_links))
    base = Settings(cluster=cluster, node=_name(source, "node", node), nodes=tuple(nodes),
                    links=links, port=port)
    values: dict[str, Any] = {}
    for key in ("keepalive", "deadtime", "warntime", "initdead"):
        if key in data:
            values[f"{key}_ms"] = _duration(source, key, data[key])
    if "warntime" not in data and "deadtime" in data:
        values["warntime_ms"] = max(values["deadtime_ms"] // 2,
                                    values.get("keepalive_ms", base.keepalive_ms))
    if "initdead" not in data and "deadtime" in data:
        values["initdead_ms"] = 2 * values["deadtime_ms"]
    if "two_node" in data:
        if not isinstance(data["two_node"], bool):
            raise _fail(source, "two_node must be true or false")
        values["two_node"] = data["two_node"]
    for key in ("authkeys", "state_dir", "socket"):
        if key in data:
            values[key] = Path(str(data[key]))
    if data.get("witness") is not None:
        values["witness"] = _yaml_witness(source, data["witness"],
                                          values.get("deadtime_ms", base.deadtime_ms))
    return validate(replace(base, **values), source)


def load_yaml(path: Path, default_node: str | None = None) -> Settings:
    """Read and validate a harm.yaml file."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise SettingsError(f"{path}: cannot read: {error.strerror}") from None
    return parse_yaml(text, str(path), default_node)


# ---------------------------------------------------------------- ha.cf

_HA_CF_IGNORED = {
    "logfacility", "logfile", "debugfile", "auto_failback", "crm", "pacemaker", "respawn",
    "ping", "ping_group", "apiauth", "use_logd", "compression", "traditional_compression",
    "coredumps", "autojoin", "debug", "serial", "baud", "watchdog", "realtime", "conn_logd_time",
    "uuidfrom", "hopfudge", "deadping", "stonith", "stonith_host",
}


def parse_ha_cf(text: str, source: str, cluster: str, node: str) -> Settings:
    """Settings from Heartbeat's ha.cf (the ``cluster`` name and this ``node`` come from outside).

    Two nodes in ha.cf turn on ``two_node``, as Heartbeat never needed a third vote.
    """
    nodes: list[NodeEntry] = []
    port = DEFAULT_PORT
    times: dict[str, int] = {}
    bcast: list[str] = []
    mcast: list[tuple[str, str, int | None, int]] = []
    ucast: dict[str, list[str]] = {}
    order: list[str] = []
    notes: list[str] = []
    for lineno, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        word, *args = line.split()
        where = f"{source}:{lineno}"
        key = word.lower()
        if key in ("keepalive", "deadtime", "warntime", "initdead"):
            if len(args) != 1:
                raise _fail(where, f"{key} takes one value")
            times[key] = _duration(where, key, args[0])
        elif key == "udpport":
            if len(args) != 1:
                raise _fail(where, "udpport takes one value")
            port = _port(where, key, args[0])
        elif key == "node":
            if not args:
                raise _fail(where, "node needs at least one name")
            nodes.extend(NodeEntry(_name(where, "node", a)) for a in args)
        elif key == "bcast":
            if not args:
                raise _fail(where, "bcast needs at least one interface")
            for dev in args:
                bcast.append(_name(where, "bcast", dev))
                order.append(dev)
        elif key == "mcast":
            if len(args) != 5:
                raise _fail(where, "mcast takes DEV GROUP PORT TTL LOOP")
            dev = _name(where, "mcast", args[0])
            mcast.append((dev, args[1], _port(where, "mcast port", args[2]), int(args[3])))
            order.append(dev)
        elif key == "ucast":
            if len(args) != 2:
                raise _fail(where, "ucast takes DEV PEER_ADDRESS")
            dev = _name(where, "ucast", args[0])
            if dev not in ucast:
                ucast[dev] = []
                order.append(dev)
            ucast[dev].append(args[1])
        elif key in _HA_CF_IGNORED:
            notes.append(f"{where}: {word} is not used by harm; ignored")
        else:
            raise _fail(where, f"unknown directive {word!r}")
    links: list[Link] = []
    for dev in order:
        if dev in bcast:
            links.append(Link(LinkKind.BCAST, dev, port))
        for mdev, group, mport, ttl in mcast:
            if mdev == dev:
                links.append(Link(LinkKind.MCAST, dev, mport or port, group=group, ttl=ttl))
        if dev in ucast:
            links.append(Link(LinkKind.UCAST, dev, port, peers=tuple(ucast[dev])))
    # ha.cf's ucast lists every node's address, this node's included: drop our own duplicates
    # later at the socket level (a packet from ourselves is ignored), nothing to do here.
    values: dict[str, Any] = {f"{k}_ms": v for k, v in times.items()}
    if "warntime" not in times and "deadtime" in times:
        values["warntime_ms"] = max(times["deadtime"] // 2, times.get("keepalive", 1000))
    if "initdead" not in times and "deadtime" in times:
        values["initdead_ms"] = 2 * times["deadtime"]
    settings = Settings(cluster=_name(source, "cluster", cluster), node=node, nodes=tuple(nodes),
                        links=tuple(links), port=port, notes=tuple(notes), **values)
    if len(nodes) == 2:
        settings = replace(settings, two_node=True)
    return validate(settings, source)
