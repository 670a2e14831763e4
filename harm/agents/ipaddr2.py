"""IPaddr2: a virtual IPv4 or IPv6 address on a network interface.

Where the address goes (interface, prefix, broadcast) is decided by :mod:`.findif` from
the kernel's addresses and routes, read with :mod:`harm.ocf.netlink`; an address already
on an interface is found there whatever the parameters leave out, so a stop with only
``ip=`` removes what start added. start adds the address with pyroute2 (an address
already there is success: EEXIST), brings the link up, waits for duplicate address
detection (IPv6) and announces the address (not on loopback); stop removes it (already
gone is success: EADDRNOTAVAIL); monitor wants the address on the NIC *and* the link up
with carrier, which the stock agent does not check.

Exit codes follow the stock agent (resource-agents 4.12): a malformed ``ip``,
``cidr_netmask``, ``broadcast`` or label, or a ``nic`` this node does not have, is 6
(``ERR_CONFIGURED``) at start and validate-all; an address no route places and no
``nic``+``cidr_netmask`` pins is 1 at start; a probe of either is 7 and a stop 0.
``nic=eth0:label`` is ``nic=eth0 iflabel=label``. ``arp_count=0`` (no announcement) is
harm's: the stock agent refuses it.
"""

from __future__ import annotations

import errno
import ipaddress
from dataclasses import dataclass

from harm.ocf.deadline import Deadline
from harm.ocf.env import OcfEnv
from harm.ocf.metadata import AgentInfo, Parameter, ParamType, basic_actions
from harm.ocf.outcome import failed, not_configured
from harm.ocf.rc import OcfRc
from harm.ocf.runner import Agent

# typing costs an agent call a few ms of start-up; its names are needed by the type checker only
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from harm.ocf.netlink import AddressState, LinkState, Rtnetlink

RT_SCOPE_HOST = 254  # harm.ocf.netlink's, which opens sockets: imported by the actions only

IFA_F_NODAD = 0x02
IFA_F_DADFAILED = 0x08
IFA_F_TENTATIVE = 0x40
IFA_F_NOPREFIXROUTE = 0x200
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
        Parameter("netmask", "Netmask (old name)", "cidr_netmask under its old name."),
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


Address = ipaddress.IPv4Address | ipaddress.IPv6Address


@dataclass(frozen=True)
class VipSettings:
    address: Address
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


def _parse_prefix(mask: str, address: Address) -> int:
    """``24`` or (IPv4) ``255.255.255.0``; 1..32/128 as the stock agent accepts."""
    if mask.isdigit() and len(mask) <= 3:
        prefixlen = int(mask)
    elif address.version == 4 and mask.count(".") == 3:
        try:
            prefixlen = ipaddress.ip_network(f"0.0.0.0/{mask}").prefixlen
        except ValueError:
            raise not_configured(f"cidr_netmask={mask!r} is not a netmask") from None
    else:
        raise not_configured(f"cidr_netmask={mask!r} is not a prefix length")
    if not 0 < prefixlen <= address.max_prefixlen:
        raise not_configured(f"cidr_netmask={mask!r} is out of range for {address}")
    return prefixlen


def settings_from_env(env: OcfEnv) -> VipSettings:
    raw = env.param("ip")
    if not raw:
        raise not_configured("ip is required")
    try:
        address = ipaddress.ip_address(raw)
    except ValueError:
        raise not_configured(f"ip={raw!r} is not an IPv4 or IPv6 address") from None
    mask = env.param("cidr_netmask") or env.param("netmask")
    prefixlen = _parse_prefix(mask, address) if mask else None
    lft_raw = env.param("preferred_lft", "forever")
    lft = INFINITY_LFT if lft_raw == "forever" else env.int_param("preferred_lft", 0)
    nic, _, nic_label = env.param("nic").partition(":")
    label = nic_label or env.param("iflabel")
    if label and address.version == 6:
        raise not_configured("iflabel applies to IPv4 addresses only")
    if label and len(f"{nic}:{label}") > 15:
        raise not_configured(f"iflabel {label!r}: {nic}:{label} is longer than 15 characters")
    if address.version == 6 and address.is_link_local and not nic:
        raise not_configured(f"nic is required for the link-local address {address}")
    broadcast = env.param("broadcast")
    if broadcast and broadcast not in {"+", "-"}:
        try:
            ipaddress.IPv4Address(broadcast)
        except ValueError:
            raise not_configured(f"broadcast={broadcast!r} is not an IPv4 address") from None
    count = env.int_param("arp_count", 5)
    interval = env.int_param("arp_interval", 200)
    if count < 0 or interval < 0:
        raise not_configured("arp_count and arp_interval must not be negative")
    return VipSettings(
        address=address,
        nic=nic,
        prefixlen=prefixlen,
        broadcast=broadcast,
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
class Target:
    """Where the address is or goes: the link, the prefix and the broadcast to add it with."""

    link: LinkState
    prefixlen: int
    broadcast: str
    present: AddressState | None  # the address as it is on the link now


def _locate(nl: Rtnetlink, s: VipSettings) -> Target | None:
    """The link, prefix and broadcast for ``s`` (:func:`findif.place`); None when the
    address has no place here (no such ``nic``, no route and not pinned by parameters)."""
    from . import findif

    nic_index: int | None = None
    if s.nic:
        named = nl.link_by_name(s.nic)
        if named is None:
            return None
        nic_index = named.index
    addresses = nl.all_addresses(s.address.version)
    present = findif.held(s.address, addresses, nic_index)
    routes = [] if present else nl.routes(s.address.version)
    spot = findif.place(s.address, nic_index, s.prefixlen, addresses, routes)
    if spot is None:
        return None
    link = nl.link_by_index(spot.index)
    if link is None:
        return None
    broadcast = findif.broadcast_for(s.address, spot.prefixlen, s.broadcast, spot.index,
                                     addresses)
    return Target(link, spot.prefixlen, broadcast, present)


def _read(s: VipSettings) -> Target | None:
    from harm.ocf.netlink import Rtnetlink

    with Rtnetlink() as nl:
        return _locate(nl, s)


def _check_nic(s: VipSettings) -> None:
    """A ``nic`` this node lacks is a configuration error at start (the stock agent's 6)."""
    if s.nic:
        from harm.ocf.netlink import Rtnetlink

        with Rtnetlink() as nl:
            if nl.link_by_name(s.nic) is None:
                raise not_configured(f"nic={s.nic}: no such interface on this node")


def validate(env: OcfEnv) -> OcfRc:
    _check_nic(settings_from_env(env))
    return OcfRc.OK


def monitor(env: OcfEnv) -> OcfRc:
    # read-only, and run every few seconds: the kernel is asked without pyroute2, whose
    # import costs more than the rest of the call (harm.ocf.netlink)
    s = settings_from_env(env)
    target = _read(s)
    if target is None or target.present is None:
        return OcfRc.NOT_RUNNING
    link = target.link
    if not link.up:
        raise failed(f"{s.address} is on {link.name} but the link is down")
    if not link.carrier:
        raise failed(f"{s.address} is on {link.name} but the link has no carrier")
    return OcfRc.OK


def start(env: OcfEnv) -> OcfRc:
    s = settings_from_env(env)
    _check_nic(s)
    deadline = Deadline.after_ms(env.timeout_ms)
    target = _read(s)
    if target is None:
        raise failed(f"cannot find the interface or the netmask for {s.address}: no "
                     "connected route reaches it; set nic and cidr_netmask")
    link = target.link
    with _ipr() as ipr:
        if not link.up:
            ipr.link("set", index=link.index, state="up")
        if target.present is None:
            _add(ipr, s, target)
    if s.v6 and not s.nodad:
        _wait_for_dad(s, link, deadline)
    if s.arp_count and not link.loopback:
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


def _add(ipr: Any, s: VipSettings, target: Target) -> None:
    link = target.link
    flags = (IFA_F_NODAD if s.nodad and s.v6 else 0) | (
        IFA_F_NOPREFIXROUTE if s.noprefixroute else 0
    )
    request: dict[str, Any] = {
        "index": link.index,
        "address": str(s.address),
        "prefixlen": target.prefixlen,
        "flags": flags,
    }
    if s.address.is_loopback:
        request["scope"] = RT_SCOPE_HOST  # the kernel refuses 127/8 with scope global
    if s.preferred_lft != INFINITY_LFT:
        request["preferred_lft"] = s.preferred_lft
        request["valid_lft"] = INFINITY_LFT
    if not s.v6:
        if target.broadcast:
            request["broadcast"] = target.broadcast
        if s.label:
            request["label"] = f"{link.name}:{s.label}"
    try:
        ipr.addr("add", **request)
    except Exception as error:
        if _netlink_errno(error) != errno.EEXIST:
            raise failed(f"adding {s.address} to {link.name}: {error}") from None


def _wait_for_dad(s: VipSettings, link: LinkState, deadline: Deadline) -> None:
    from harm.ocf.netlink import Rtnetlink

    from . import findif

    def settled() -> str | None:
        with Rtnetlink() as nl:
            entry = findif.held(s.address, nl.addresses(link.index, 6))
        if entry is None:
            return "gone"
        if entry.flags & IFA_F_DADFAILED:
            return "failed"
        return None if entry.flags & IFA_F_TENTATIVE else "ok"

    outcome = deadline.wait_for(settled, interval=0.1)
    if outcome == "ok":
        return
    if outcome == "failed":
        with _ipr() as ipr:
            _delete(ipr, s, link.index, link.name, s.address.max_prefixlen)
        raise failed(f"duplicate address detection failed: {s.address} is in use on the link")
    raise failed(f"{s.address} on {link.name} is still tentative (DAD did not finish)")


def _delete(ipr: Any, s: VipSettings, index: int, name: str, prefixlen: int) -> None:
    try:
        ipr.addr("del", index=index, address=str(s.address), prefixlen=prefixlen)
    except Exception as error:
        if _netlink_errno(error) != errno.EADDRNOTAVAIL:
            raise failed(f"removing {s.address} from {name}: {error}") from None


def stop(env: OcfEnv) -> OcfRc:
    """Remove the address from wherever it is (``nic``'s when given); nothing there: done."""
    s = settings_from_env(env)
    target = _read(s)
    if target is None or target.present is None:
        return OcfRc.OK
    with _ipr() as ipr:
        _delete(ipr, s, target.link.index, target.link.name, target.present.prefixlen)
    return OcfRc.OK


AGENT = Agent(
    INFO,
    {"start": start, "stop": stop, "monitor": monitor, "validate-all": validate},
)
