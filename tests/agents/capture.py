"""Count address announcements seen on an interface (run inside a test's namespace).

usage: capture.py IFNAME ADDRESS SECONDS — prints ``ready`` once listening, then one JSON
line: {"arp": n, "na": n} (gratuitous ARP for an IPv4 ADDRESS, unsolicited neighbour
advertisements with target ADDRESS and the override flag for IPv6).
"""

from __future__ import annotations

import ipaddress
import json
import socket
import struct
import sys
import time

ETH_P_ALL = 0x0003


def main(ifname: str, address: str, seconds: float) -> None:
    target = ipaddress.ip_address(address).packed
    counts = {"arp": 0, "na": 0}
    with socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL)) as sock:
        sock.bind((ifname, ETH_P_ALL))
        sock.settimeout(0.2)
        print("ready", flush=True)
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            try:
                frame = sock.recv(2048)
            except TimeoutError:
                continue
            ethertype = struct.unpack("!H", frame[12:14])[0]
            if ethertype == 0x0806 and frame[28:32] == target and frame[38:42] == target:
                counts["arp"] += 1
            elif ethertype == 0x86DD and frame[20] == 58:  # IPv6 next header ICMPv6
                icmp = frame[54:]
                flags = struct.unpack("!I", icmp[4:8])[0]
                if icmp[0] == 136 and icmp[8:24] == target and flags & 0x20000000:
                    counts["na"] += 1
    print(json.dumps(counts), flush=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], float(sys.argv[3]))
