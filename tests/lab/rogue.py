"""A stranger on a lab's service link (run inside the gateway namespace by the lab tests).

    python rogue.py CLUSTER SENDER COUNT

Sends COUNT packets signed with a wrong key claiming to come from SENDER, COUNT datagrams of
random bytes, then captures COUNT genuine packets from the wire and sends them again.
Prints a JSON summary of what it sent.
"""

from __future__ import annotations

import json
import os
import socket
import sys

from harm.membership.authkeys import AuthKeys
from harm.membership.packet import MessageType, Packet, encode

PORT = 694


def main() -> None:
    cluster, sender, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    out = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    out.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
    out.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, b"eth0")
    target = ("255.255.255.255", PORT)
    wrong = AuthKeys.single(b"this is not the cluster key")
    for seq in range(count):
        packet = Packet(cluster, sender, 2**40, 10**9 + seq, MessageType.HEARTBEAT, b"{}")
        out.sendto(encode(packet, wrong.signing), target)
    for _ in range(count):
        out.sendto(os.urandom(1 + int.from_bytes(os.urandom(1), "big")), target)
    listen = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    listen.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listen.bind(("", PORT))
    listen.settimeout(10)
    captured = []
    while len(captured) < count:
        data = listen.recv(65535)
        if data.startswith(b"hM"):
            captured.append(data)
    for data in captured:
        out.sendto(data, target)
    print(json.dumps({"wrong_key": count, "garbage": count, "replayed": len(captured)}))


if __name__ == "__main__":
    main()
