"""What the input checks cost: each decoder against the plain operation it wraps.

    nice -n 10 .venv/bin/python bench/membership/decoders.py [--repeat 7]

Per operation, the median over ``--repeat`` rounds of the time per call, and its ratio to an
anchor measured in the same rounds: a heartbeat's bounded decoding against ``json.loads``;
a packet's check with a node-key signature against the HMAC check alone; a 2 MB CIB message
through the wire decoder (chunked, bounded inflation, bounded JSON) against
``zlib.decompress`` + ``json.loads`` of the same bytes. Prints JSON.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
import zlib
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from harm.cib.xml_export import cib_to_xml
from harm.control.wire import Decoder, Encoder
from harm.membership.authkeys import AuthKeys
from harm.membership.heartbeat import Heartbeat, decode_heartbeat, encode_heartbeat
from harm.membership.nodekeys import generate
from harm.membership.packet import MessageType, Packet, decode, encode
from tests.cib.large_cib import build_large_cib


def per_call(action: Callable[[], object], calls: int) -> float:
    start = time.perf_counter()
    for _ in range(calls):
        action()
    return (time.perf_counter() - start) / calls * 1e6


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    keys = AuthKeys.single(b"bench key")
    private, public = generate()
    signed_keys = replace(keys, node_keys={"b": public}, private=private)
    beat = encode_heartbeat(Heartbeat(12, {f"n{i}": (7, 40) for i in range(15)}, 99,
                                      {f"n{i}": 12345 for i in range(15)}, 20))
    packet = Packet("lab", "b", 7, 42, MessageType.HEARTBEAT, beat)
    plain, signed = encode(packet, keys.signing), encode(packet, keys.signing, private)
    cib = cib_to_xml(build_large_cib(16, 300))
    chunks = Encoder().encode("cib", {"xml": cib})
    raw = zlib.compress(json.dumps({"kind": "cib", "xml": cib}).encode(), 6)

    def wire() -> object:
        decoder = Decoder()
        out = None
        for chunk in chunks:
            out = decoder.feed("b", chunk)
        assert out is not None
        return out

    cases: dict[str, tuple[Callable[[], object], Callable[[], object], int]] = {
        "heartbeat decode (15 peers)": (lambda: decode_heartbeat(beat),
                                        lambda: json.loads(beat), 20_000),
        "packet check with signature": (lambda: decode(signed, signed_keys, "lab"),
                                        lambda: decode(plain, keys, "lab"), 2_000),
        "packet signing": (lambda: encode(packet, keys.signing, private),
                           lambda: encode(packet, keys.signing), 2_000),
        f"wire decode of a {len(cib) // 1000} kB CIB": (
            wire, lambda: json.loads(zlib.decompress(raw)), 5),
    }
    results = {}
    for name, (measured, anchor, calls) in cases.items():
        ours, base = [], []
        for _ in range(args.repeat):
            ours.append(per_call(measured, calls))
            base.append(per_call(anchor, calls))
        med, anc = statistics.median(ours), statistics.median(base)
        results[name] = {"us_per_call": round(med, 1), "anchor_us": round(anc, 1),
                         "ratio": round(med / anc, 2)}
    print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
