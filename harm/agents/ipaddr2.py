"""IPaddr2: a virtual IPv4 or IPv6 address on a network interface, with pyroute2.

start adds the address (an address already there is success: EEXIST), brings the link up,
waits for duplicate address detection (IPv6) and announces the address; stop removes it
(an address already gone is success: EADDRNOTAVAIL); monitor wants the address on the NIC
*and* the link up with carrier, which the stock agent does not check.
"""

from __future__ import annotations

import errno
import ipaddress
from dataclasses import dataclass

from harm.ocf.deadline import Deadline
from harm.ocf.env import OcfEnv
from harm.ocf.metadata import AgentInfo, Parameter, ParamType, basic_actions
from harm.ocf.outcome import ActionError, failed, not_configured
from harm.ocf.rc import OcfRc
from harm.ocf.runner import Agent

# typing costs an agent call a few ms of start-up; its names are needed by the type checker only
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

IFA_F_NODAD = 0x02
IFA_F_DADFAILED = 0x08
IFA_F_TENTATIVE = 0x40
IFA_F_NOPREFIXROUTE = 0x200
IFF_UP = 0x1
INFINITY_LFT = 0xFFFFFFFF

_B = ParamType.BOOLEAN
_I = ParamType.INTEGER

INFO = AgentInfo(
    name="IPaddr2",
    shortdesc="A virtual IPv4 or IPv6 address",
    longdesc=(
        "Adds an IPv4 or IPv6 address to a network interface, announces it with gratuitous "
        "ARP (IPv4) or unsolicited neighbour advertisements after duplicate address "
        "detection (IPv6), and monitors that it is there and that the link is up."
    ),
    parameters=(
        Parameter("ip", "Address", "The IPv4 or IPv6 address.", required=True, unique=True),
        Parameter(
            "nic",
            "Interface",
            "The interface to add the address to (default: the one whose route reaches ip).",
        ),
        Parameter(
            "cidr_netmask",
            "Prefix length",
            "Prefix length (or dotted netmask for IPv4); default: that of the route to ip, "
            "else 32/128.",
        ),
        Parameter("broadcast", "Broadcast", "IPv4 broadcast address (default: computed)."),
        Parameter("iflabel", "Label", "IPv4 address label; the address shows as nic:label."),
        Parameter("arp_count", "Announcements", "How many ARP/NA packets to send.", _I, "5"),
        Parameter("arp_interval", "Interval", "Milliseconds between announcements.", _I, "200"),
        Parameter(
            "preferred_lft",
            "Preferred lifetime",
            "forever, or seconds (0 makes an IPv6 address deprecated for new connections).",
            default="forever",
        ),
        Parameter("nodad", "No DAD", "Skip IPv6 duplicate address detection.", _B, "false"),
        Parameter(
            "noprefixroute",
            "No prefix route",
            "Do not add a route for the address's prefix.",
            _B,
            "false",
        ),
    ),
    actions=basic_actions(start="20s", stop="20s", monitor_interval="10s"),
)


@dataclass(frozen=True)
class VipSettings:
    address: ipaddress.IPv4Address | ipaddress.IPv6Address
    nic: str
    prefixlen: int | None
    broadcast: str
    label: str
    arp_count: int
    arp_interval_ms: int
    preferred_lft: int
    nodad: bool
    noprefixroute: bool

    @property
    def v6(self) -> bool:
        return self.address.version == 6


def settings_from_env(env: OcfEnv) -> VipSettings:
    raw = env.param("ip")
    if not raw:
        raise not_configured("ip is required")
    try:
        address = ipaddress.ip_address(raw)
    except ValueError:
        raise not_configured(f"ip={raw!r} is not an IPv4 or IPv6 address") from None
    prefixlen: int | None = None
    mask = env.param("cidr_netmask")
    if mask:
        try:
            prefixlen = (
                ipaddress.ip_network(f"0.0.0.0/{mask}").prefixlen
                if "." in mask
                else int(mask)
            )
        except ValueError:
            raise not_configured(f"cidr_netmask={mask!r} is not a prefix length") from None
        if not 0 < prefixlen <= address.max_prefixlen:
            raise not_configured(f"cidr_netmask={mask!r} is out of range for {address}")
    lft_raw = env.param("preferred_lft", "forever")
    lft = INFINITY_LFT if lft_raw == "forever" else env.int_param("preferred_lft", 0)
    label = env.param("iflabel")
    nic = env.param("nic")
    if label and address.version == 6:
        raise not_configured("iflabel applies to IPv4 addresses only")
    if label and len(f"{nic}:{label}") > 15:
        raise not_configured(f"iflabel {label!r}: {nic}:{label} is longer than 15 characters")
    count = env.int_param("arp_count", 5)
    interval = env.int_param("arp_interval", 200)
    if count < 0 or interval < 0:
        raise not_configured("arp_count and arp_interval must not be negative")
    return VipSettings(
        address=address,
        nic=nic,
        prefixlen=prefixlen,
        broadcast=env.param("broadcast"),
        label=label,
        arp_count=count,
        arp_interval_ms=interval,
        preferred_lft=lft,
        nodad=env.bool_param("nodad", False),
        noprefixroute=env.bool_param("noprefixroute", False),
    )


def _ipr() -> Any:
    from pyroute2 import IPRoute

    return IPRoute()


def _netlink_errno(error: Exception) -> int | None:
    code = getattr(error, "code", None)
    return code if isinstance(code, int) else None


@dataclass(frozen=True)
class Link:
    index: int
    name: str
    mac: str
    up: bool
    carrier: bool


def _find_link(ipr: Any, s: VipSettings) -> Link | None:
    if s.nic:
        found = ipr.link_lookup(ifname=s.nic)
        if not found:
            return None
        index = found[0]
    else:
        try:
            routes = ipr.route("get", dst=str(s.address))
        except Exception:
            return None
        index = routes[0].get_attr("RTA_OIF") if routes else None
        if index is None:
            return None
    msg = ipr.link("get", index=index)[0]
    carrier = msg.get_attr("IFLA_CARRIER")
    return Link(
        index=index,
        name=msg.get_attr("IFLA_IFNAME"),
        mac=msg.get_attr("IFLA_ADDRESS") or "00:00:00:00:00:00",
        up=bool(msg["flags"] & IFF_UP),
        carrier=carrier is None or bool(carrier),
    )


def _prefixlen(ipr: Any, s: VipSettings, link: Link) -> int:
    if s.prefixlen is not None:
        return s.prefixlen
    family = 10 if s.v6 else 2
    for route in ipr.get_routes(family=family, oif=link.index):
        dst = route.get_attr("RTA_DST")
        length = route["dst_len"]
        if (
            dst
            and 0 < length < s.address.max_prefixlen
            and s.address in ipaddress.ip_network(f"{dst}/{length}", strict=False)
        ):
            return int(length)
    return s.address.max_prefixlen


def _our_address(ipr: Any, s: VipSettings, link: Link) -> Any | None:
    family = 10 if s.v6 else 2
    for msg in ipr.get_addr(family=family, index=link.index):
        value = msg.get_attr("IFA_LOCAL") or msg.get_attr("IFA_ADDRESS")
        if value and ipaddress.ip_address(value) == s.address:
            return msg
    return None


def _flags(msg: Any) -> int:
    return int(msg.get_attr("IFA_FLAGS") or msg["flags"])


def validate(env: OcfEnv) -> OcfRc:
    settings_from_env(env)
    return OcfRc.OK


def monitor(env: OcfEnv) -> OcfRc:
    # read-only, and run every few seconds: the kernel is asked without pyroute2, whose
    # import costs more than the rest of the call (harm.ocf.netlink)
    from harm.ocf.netlink import Rtnetlink

    s = settings_from_env(env)
    with Rtnetlink() as nl:
        if s.nic:
            link = nl.link_by_name(s.nic)
        else:
            index = nl.route_interface(s.address)
            link = None if index is None else nl.link_by_index(index)
        if link is None or not any(
            a.address == s.address for a in nl.addresses(link.index, s.address.version)
        ):
            return OcfRc.NOT_RUNNING
        if not link.up:
            raise failed(f"{s.address} is on {link.name} but the link is down")
        if not link.carrier:
            raise failed(f"{s.address} is on {link.name} but the link has no carrier")
    return OcfRc.OK


def start(env: OcfEnv) -> OcfRc:
    s = settings_from_env(env)
    deadline = Deadline.after_ms(env.timeout_ms)
    with _ipr() as ipr:
        link = _find_link(ipr, s)
        if link is None:
            where = s.nic or "no interface has a route to it"
            raise ActionError(OcfRc.ERR_INSTALLED, f"cannot place {s.address}: {where}")
        if not link.up:
            ipr.link("set", index=link.index, state="up")
        flags = (IFA_F_NODAD if s.nodad and s.v6 else 0) | (
            IFA_F_NOPREFIXROUTE if s.noprefixroute else 0
        )
        request: dict[str, Any] = {
            "index": link.index,
            "address": str(s.address),
            "prefixlen": _prefixlen(ipr, s, link),
            "flags": flags,
        }
        if s.preferred_lft != INFINITY_LFT:
            request["preferred_lft"] = s.preferred_lft
            request["valid_lft"] = INFINITY_LFT
        if not s.v6:
            request["broadcast"] = s.broadcast or True
            if s.label:
                request["label"] = f"{link.name}:{s.label}"
        try:
            ipr.addr("add", **request)
        except Exception as error:
            if _netlink_errno(error) != errno.EEXIST:
                raise failed(f"adding {s.address} to {link.name}: {error}") from None
        if s.v6 and not s.nodad:
            _wait_for_dad(ipr, s, link, deadline)
    if s.arp_count:
        from .announce import send_arp, send_na  # raw sockets: start only

        interval = s.arp_interval_ms / 1000.0
        try:
            if isinstance(s.address, ipaddress.IPv6Address):
                send_na(link.index, link.mac, s.address, s.arp_count, interval)
            else:
                send_arp(link.name, link.mac, s.address, s.arp_count, interval)
        except OSError as error:
            raise failed(f"announcing {s.address} on {link.name}: {error}") from None
    return OcfRc.OK


def _wait_for_dad(ipr: Any, s: VipSettings, link: Link, deadline: Deadline) -> None:
    def settled() -> str | None:
        msg = _our_address(ipr, s, link)
        if msg is None:
            return "gone"
        flags = _flags(msg)
        if flags & IFA_F_DADFAILED:
            return "failed"
        return None if flags & IFA_F_TENTATIVE else "ok"

    outcome = deadline.wait_for(settled, interval=0.1)
    if outcome == "ok":
        return
    if outcome == "failed":
        _delete(ipr, s, link)
        raise failed(f"duplicate address detection failed: {s.address} is in use on the link")
    raise failed(f"{s.address} on {link.name} is still tentative (DAD did not finish)")


def _delete(ipr: Any, s: VipSettings, link: Link) -> None:
    msg = _our_address(ipr, s, link)
    prefixlen = msg["prefixlen"] if msg is not None else _prefixlen(ipr, s, link)
    try:
        ipr.addr("del", index=link.index, address=str(s.address), prefixlen=prefixlen)
    except Exception as error:
        if _netlink_errno(error) != errno.EADDRNOTAVAIL:
            raise failed(f"removing {s.address} from {link.name}: {error}") from None


def stop(env: OcfEnv) -> OcfRc:
    s = settings_from_env(env)
    with _ipr() as ipr:
        link = _find_link(ipr, s)
        if link is not None:
            _delete(ipr, s, link)
    return OcfRc.OK


AGENT = Agent(
    INFO,
    {"start": start, "stop": stop, "monitor": monitor, "validate-all": validate},
)
