"""What a lab is: its name, nodes, links, subnets and heartbeat timing (pure data)."""

from __future__ import annotations

import ipaddress
import json
import posixpath
import re
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from harm.errors import LabError

LAB_NAME = re.compile(r"^[a-z][a-z0-9]{0,9}$")
NODE_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,19}$")
RUN_ROOT = Path("/run/harm-lab")
DEFAULT_SUBNETS = ("192.168.10.0/24", "192.168.11.0/24")
GATEWAY = "gateway"
TRANSPORTS = ("bcast", "mcast", "ucast")
MCAST_GROUP = "239.255.6.94"
# private directories may not hide the kernel's file systems or the devices
PROTECTED_ROOTS = frozenset({"proc", "sys", "dev"})


@dataclass(frozen=True)
class PrivateDir:
    """A directory every node has its own copy of, as on separate machines.

    Written ``PATH`` or ``PATH:OWNER``; the copy is owned by OWNER (a user name, with
    that user's group), else by the owner of PATH in the main namespace, else by root.
    """

    path: str
    owner: str = ""

    @staticmethod
    def parse(text: str) -> PrivateDir:
        path, _, owner = text.partition(":")
        normal = posixpath.normpath(path)
        if not path.startswith("/") or normal == "/" or normal.startswith("//") \
                or normal != path.rstrip("/"):
            raise LabError(f"private directory {text!r}: give an absolute, normalised path "
                           "other than /")
        if normal.split("/")[1] in PROTECTED_ROOTS:
            raise LabError(f"private directory {text!r}: {normal.split('/')[1]} is off limits")
        if owner and not NODE_NAME.match(owner):
            raise LabError(f"private directory {text!r}: {owner!r} is not a user name")
        return PrivateDir(normal, owner)


@dataclass(frozen=True)
class LabSpec:
    """One lab (see :mod:`harm.lab`)."""

    name: str
    nodes: tuple[str, ...]
    links: int = 2
    subnets: tuple[str, ...] = DEFAULT_SUBNETS
    keepalive: str = "200ms"
    deadtime: str = "2s"
    warntime: str = "1s"
    initdead: str = "4s"
    secret: str = ""
    run_root: str = str(RUN_ROOT)
    transport: str = "bcast"  # bcast | mcast | ucast, for every link
    private_dirs: tuple[str, ...] = ()  # "PATH" or "PATH:OWNER", each node's own copy
    gateway: str = ""  # the gateway's host address on link 0; "" = last but one
    witness: bool = False  # run harm witness in the gateway, the nodes' tie-breaker

    # ------------------------------------------------------------ names

    @property
    def run_dir(self) -> Path:
        return Path(self.run_root) / self.name

    @property
    def prefix(self) -> str:
        return f"{self.name}-"

    @property
    def switch_ns(self) -> str:
        return f"{self.name}-sw"

    @property
    def gateway_ns(self) -> str:
        return f"{self.name}-gw"

    def node_ns(self, node: str) -> str:
        return f"{self.name}-n-{node}"

    def node_dir(self, node: str) -> Path:
        return self.run_dir / node

    @property
    def witness_dir(self) -> Path:
        return self.run_dir / "witness"

    def mount_ns_file(self, node: str) -> Path:
        """Where ``node``'s mount namespace is kept (a bind mount of its nsfs file)."""
        return self.node_dir(node) / "mntns"

    def private_source(self, node: str, path: str) -> Path:
        """What ``node`` sees at the private directory ``path``."""
        return self.node_dir(node) / "private" / path.lstrip("/")

    def private(self) -> tuple[PrivateDir, ...]:
        return tuple(PrivateDir.parse(text) for text in self.private_dirs)

    def port(self, node: str, link: int) -> str:
        """The switch-side end of ``node``'s ``eth<link>``."""
        return f"n{self.nodes.index(node)}l{link}"

    @staticmethod
    def nic(link: int) -> str:
        return f"eth{link}"

    # ------------------------------------------------------------ addresses

    def network(self, link: int) -> ipaddress.IPv4Network:
        return ipaddress.IPv4Network(self.subnets[link])

    def address(self, node: str, link: int) -> str:
        """``node``'s address on ``link`` with its prefix length."""
        net = self.network(link)
        return f"{net.network_address + self.nodes.index(node) + 1}/{net.prefixlen}"

    def gateway_address(self) -> str:
        net = self.network(0)
        host = self.gateway or str(net.broadcast_address - 1)
        return f"{host}/{net.prefixlen}"

    # ------------------------------------------------------------ checks and storage

    def validate(self) -> LabSpec:
        if not LAB_NAME.match(self.name):
            raise LabError(f"lab name {self.name!r}: use 1-10 lower-case letters and digits")
        if not self.nodes:
            raise LabError("a lab needs at least one node")
        for node in self.nodes:
            if not NODE_NAME.match(node):
                raise LabError(f"node name {node!r}: use letters, digits, '-' and '_' (max 20)")
        if len(set(self.nodes)) != len(self.nodes):
            raise LabError("duplicate node name")
        if GATEWAY in self.nodes:
            raise LabError(f"{GATEWAY!r} is reserved for the lab's gateway")
        if self.transport not in TRANSPORTS:
            raise LabError(f"transport {self.transport!r}: use one of {', '.join(TRANSPORTS)}")
        if not 1 <= self.links <= 8:
            raise LabError("--links must be between 1 and 8")
        if len(self.subnets) < self.links:
            raise LabError(f"{self.links} links need {self.links} subnets")
        for link in range(self.links):
            try:
                net = self.network(link)
            except ValueError as error:
                raise LabError(f"subnet {self.subnets[link]!r}: {error}") from None
            if net.num_addresses < len(self.nodes) + 4:
                raise LabError(f"subnet {net} is too small for {len(self.nodes)} nodes")
        if self.gateway:
            self._check_gateway()
        paths = [d.path for d in self.private()]
        for path in paths:
            if any(p != path and (path + "/").startswith(p + "/") for p in paths):
                raise LabError(f"private directory {path} lies inside another one")
            if _nested(path, self.run_root) or _nested(self.run_root, path):
                raise LabError(f"private directory {path} would hide or sit in the lab's "
                               f"state ({self.run_root})")
        return self

    def _check_gateway(self) -> None:
        net = self.network(0)
        try:
            host = ipaddress.IPv4Address(self.gateway)
        except ValueError as error:
            raise LabError(f"gateway {self.gateway!r}: {error}") from None
        if host not in net or host in {net.network_address, net.broadcast_address}:
            raise LabError(f"gateway {host} is not a host address of {net}")
        if any(self.address(node, 0).split("/")[0] == str(host) for node in self.nodes):
            raise LabError(f"gateway {host} is a node's address")

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2)

    @staticmethod
    def from_json(text: str) -> LabSpec:
        data: dict[str, Any] = json.loads(text)
        data["nodes"] = tuple(data["nodes"])
        data["subnets"] = tuple(data["subnets"])
        data["private_dirs"] = tuple(data.get("private_dirs", ()))
        data.setdefault("gateway", "")
        data.setdefault("witness", False)
        return LabSpec(**data)


def _nested(inner: str, outer: str) -> bool:
    return (inner.rstrip("/") + "/").startswith(outer.rstrip("/") + "/")


def subnets_for(links: int, given: tuple[str, ...] = ()) -> tuple[str, ...]:
    """The given subnets, completed with 192.168.10+i.0/24 for the links beyond."""
    out = list(given) or list(DEFAULT_SUBNETS)
    while len(out) < links:
        out.append(f"192.168.{10 + len(out)}.0/24")
    return tuple(out[: max(links, len(given))])
