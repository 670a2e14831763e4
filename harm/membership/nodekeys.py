"""Per-node keys: each node signs its packets with its own Ed25519 key.

The cluster key (authkeys' HMAC) proves a packet comes from *a* key holder; it does not
tell which. With node keys, every packet also carries an Ed25519 signature by its sender,
checked with that sender's public key: a holder of one node's files can sign as that node
only, not as the DC or any other node. In authkeys (see :mod:`harm.membership.authkeys`)::

    node NAME ed25519 PUBLIC_KEY      one line per cluster node, the same on every node
    private ed25519 PRIVATE_KEY       this node's own key, only in this node's file

Keys are 32 bytes in base64. ``python -m harm.membership.nodekeys NODE...`` prints the
lines for a new set: the ``node`` lines for every file, and each node's ``private`` line.
Signing and checking need the ``cryptography`` package, imported only when node keys are
configured.
"""

from __future__ import annotations

import base64
import binascii
import functools
import sys
from typing import Any

from harm.errors import SettingsError

SIGNATURE = 64
KEY_BYTES = 32


def key_from_text(text: str, where: str) -> bytes:
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise SettingsError(f"{where}: not a base64 key") from None
    if len(raw) != KEY_BYTES:
        raise SettingsError(f"{where}: an ed25519 key is {KEY_BYTES} bytes, not {len(raw)}")
    return raw


def key_text(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def _ed25519() -> Any:
    try:
        from cryptography.hazmat.primitives.asymmetric import ed25519
    except ImportError:  # pragma: no cover - a packaging mistake, said plainly
        raise SettingsError("node keys need the 'cryptography' package") from None
    return ed25519


@functools.lru_cache(maxsize=64)
def _private(raw: bytes) -> Any:
    return _ed25519().Ed25519PrivateKey.from_private_bytes(raw)


@functools.lru_cache(maxsize=1024)
def _public(raw: bytes) -> Any:
    return _ed25519().Ed25519PublicKey.from_public_bytes(raw)


def public_of(private: bytes) -> bytes:
    from cryptography.hazmat.primitives import serialization

    key = _private(private).public_key()
    raw: bytes = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return raw


def sign(private: bytes, data: bytes) -> bytes:
    signature: bytes = _private(private).sign(data)
    return signature


def verify(public: bytes, signature: bytes, data: bytes) -> bool:
    from cryptography.exceptions import InvalidSignature

    try:
        _public(public).verify(signature, data)
    except InvalidSignature:
        return False
    return True


def generate() -> tuple[bytes, bytes]:
    """A new (private, public) pair, raw."""
    from cryptography.hazmat.primitives import serialization

    key = _ed25519().Ed25519PrivateKey.generate()
    private = key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                                serialization.NoEncryption())
    return private, public_of(private)


def lines_for(nodes: list[str]) -> tuple[list[str], dict[str, str]]:
    """The ``node`` lines every authkeys gets, and each node's ``private`` line."""
    shared, own = [], {}
    for node in nodes:
        private, public = generate()
        shared.append(f"node {node} ed25519 {key_text(public)}")
        own[node] = f"private ed25519 {key_text(private)}"
    return shared, own


def main(argv: list[str]) -> int:
    if not argv:
        print("usage: python -m harm.membership.nodekeys NODE...", file=sys.stderr)
        return 2
    shared, own = lines_for(argv)
    print("# add to every node's authkeys:")
    print("\n".join(shared))
    for node, line in own.items():
        print(f"# add to {node}'s authkeys only:")
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
