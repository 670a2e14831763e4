"""Telling the neighbours an address moved here.

IPv4: gratuitous ARP requests (sender and target are the address, broadcast to
ff:ff:ff:ff:ff:ff) sent through an AF_PACKET socket on the interface. IPv6: unsolicited
neighbour advertisements (RFC 4861 7.2.6: override flag, target link-layer address option)
to ff02::1 through a raw ICMPv6 socket; the kernel fills in the checksum.
"""

from __future__ import annotations

import ipaddress
import socket
import struct
import time

ETH_P_ARP = 0x0806
ICMPV6_NEIGHBOR_ADVERT = 136
NA_FLAG_OVERRIDE = 0x20000000
ND_OPT_TARGET_LL_ADDR = 2


def mac_bytes(mac: str) -> bytes:
    return bytes(int(part, 16) for part in mac.split(":"))


def arp_frame(mac: str, address: ipaddress.IPv4Address) -> bytes:
    """An Ethernet frame with a gratuitous ARP request for ``address``."""
    src = mac_bytes(mac)
    ip = address.packed
    ether = b"\xff" * 6 + src + struct.pack("!H", ETH_P_ARP)
    arp = struct.pack("!HHBBH", 1, 0x0800, 6, 4, 1) + src + ip + b"\x00" * 6 + ip
    return ether + arp


def neighbour_advert(mac: str, address: ipaddress.IPv6Address) -> bytes:
    """An unsolicited NA for ``address`` (checksum left 0 for the kernel)."""
    header = struct.pack("!BBHI", ICMPV6_NEIGHBOR_ADVERT, 0, 0, NA_FLAG_OVERRIDE)
    option = struct.pack("!BB", ND_OPT_TARGET_LL_ADDR, 1) + mac_bytes(mac)
    return header + address.packed + option


def send_arp(
    ifname: str, mac: str, address: ipaddress.IPv4Address, count: int, interval_s: float
) -> int:
    frame = arp_frame(mac, address)
    with socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ARP)) as sock:
        sock.bind((ifname, ETH_P_ARP))
        for n in range(count):
            if n:
                time.sleep(interval_s)
            sock.send(frame)
    return count


def send_na(
    ifindex: int, mac: str, address: ipaddress.IPv6Address, count: int, interval_s: float
) -> int:
    packet = neighbour_advert(mac, address)
    with socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6) as sock:
        sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_HOPS, 255)
        sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_UNICAST_HOPS, 255)
        sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_IF, ifindex)
        sock.bind((str(address), 0, 0, ifindex))
        for n in range(count):
            if n:
                time.sleep(interval_s)
            sock.sendto(packet, ("ff02::1", 0, 0, ifindex))
    return count
