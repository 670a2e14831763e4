"""A holder of the lab's key on its service link (run in the gateway namespace by the tests).

    python hostile.py CLUSTER AUTHKEYS SENDER GENERATION SEQ PAYLOAD_HEX...

Sends one heartbeat per payload, signed with the lab's key as SENDER (its generation, the
sequence numbers SEQ, SEQ+1, …), broadcast on eth0. With node keys in AUTHKEYS, the packets
are also signed with the private key found there (whichever node's file it is). Prints how
many it sent.
"""

from __future__ import annotations

import json
import socket
import sys
from pathlib import Path

from harm.membership import authkeys
from harm.membership.packet import MessageType, Packet, encode

PORT = 694


def main() -> None:
    cluster, keys_path, sender = sys.argv[1], Path(sys.argv[2]), sys.argv[3]
    generation, seq = int(sys.argv[4]), int(sys.argv[5])
    keys = authkeys.load(keys_path)
    out = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    out.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
    out.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, b"eth0")
    sent = 0
    for number, payload in enumerate(sys.argv[6:]):
        packet = Packet(cluster, sender, generation, seq + number, MessageType.HEARTBEAT,
                        bytes.fromhex(payload))
        out.sendto(encode(packet, keys.signing, keys.private), ("255.255.255.255", PORT))
        sent += 1
    print(json.dumps({"sent": sent}))


if __name__ == "__main__":
    main()
