"""Heartbeat's ``authkeys`` file: the shared secrets that sign every packet.

Grammar (``#`` starts a comment)::

    authkeys := "auth" KEY_ID NEWLINE key_line+ node_key*
    key_line := KEY_ID ALGORITHM SECRET
    ALGORITHM := sha1 | sha256 | sha384 | sha512
    node_key := "node" NAME "ed25519" PUBLIC_KEY | "private" "ed25519" PRIVATE_KEY

``auth N`` names the key this node signs with; every listed key is accepted on receipt, so a
new key can be rolled out to every node first and switched to with ``auth`` afterwards.
``crc`` (no secret at all) and ``md5`` are refused. The file must be owned by root and
readable by nobody else (mode 0600), like Heartbeat demanded.

With ``node`` lines, every node also signs its packets with its own key and every packet
must carry its sender's signature (:mod:`harm.membership.nodekeys`); a file with ``node``
lines needs this node's ``private`` line too.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from harm.errors import SettingsError
from harm.membership.nodekeys import key_from_text, public_of

ALGORITHMS = {"sha1": 20, "sha256": 32, "sha384": 48, "sha512": 64}
REFUSED = {
    "crc": "crc is a checksum, not an authentication: anyone could join the cluster",
    "md5": "md5 is refused: use sha256",
}


@dataclass(frozen=True)
class Key:
    """One shared secret and the HMAC digest it is used with."""

    key_id: int
    algorithm: str
    secret: bytes

    @property
    def digest_size(self) -> int:
        return ALGORITHMS[self.algorithm]


@dataclass(frozen=True)
class AuthKeys:
    """The signing key and every key accepted on receipt, by key id."""

    active: int
    keys: Mapping[int, Key]
    node_keys: Mapping[str, bytes] = field(default_factory=lambda: MappingProxyType({}))
    # the public key of every node (node keys)
    private: bytes | None = None  # this node's own signing key

    @property
    def signing(self) -> Key:
        return self.keys[self.active]

    def check_node(self, node: str, nodes: tuple[str, ...], source: str = "authkeys") -> None:
        """With node keys: every configured node has one, and ours matches our private key."""
        if not self.node_keys and self.private is None:
            return
        missing = [n for n in nodes if n not in self.node_keys]
        if self.private is None or missing:
            raise SettingsError(f"{source}: node keys need a 'private' line and a 'node' line "
                                f"for every node (missing: {', '.join(missing) or 'private'})")
        if public_of(self.private) != self.node_keys[node]:
            raise SettingsError(f"{source}: the private key is not the key of node {node}")

    @staticmethod
    def single(secret: bytes, algorithm: str = "sha256", key_id: int = 1) -> AuthKeys:
        key = Key(key_id, algorithm, secret)
        return AuthKeys(key_id, MappingProxyType({key_id: key}))


def parse(text: str, source: str = "authkeys") -> AuthKeys:
    """Parse authkeys text (see the module docstring for the grammar)."""
    active: int | None = None
    keys: dict[int, Key] = {}
    node_keys: dict[str, bytes] = {}
    private: bytes | None = None
    for lineno, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        where = f"{source}:{lineno}"
        if line.split(None, 1)[0] in ("node", "private"):
            words = line.split()
            if words[0] == "node" and len(words) == 4 and words[2] == "ed25519":
                if words[1] in node_keys:
                    raise SettingsError(f"{where}: node {words[1]} has two keys")
                node_keys[words[1]] = key_from_text(words[3], where)
            elif words[0] == "private" and len(words) == 3 and words[1] == "ed25519":
                if private is not None:
                    raise SettingsError(f"{where}: a second private key")
                private = key_from_text(words[2], where)
            else:
                raise SettingsError(f"{where}: expected 'node NAME ed25519 KEY' or "
                                    f"'private ed25519 KEY', got {words[0]!r} …")
            continue
        parts = line.split(None, 2)
        if parts[0] == "auth":
            if len(parts) != 2 or not parts[1].isdigit():
                raise SettingsError(f"{where}: expected 'auth KEY_ID', got {line!r}")
            active = int(parts[1])
            continue
        if not parts[0].isdigit():
            raise SettingsError(f"{where}: expected 'KEY_ID ALGORITHM SECRET', got {parts[0]!r}")
        key_id = int(parts[0])
        if not 1 <= key_id <= 255:
            raise SettingsError(f"{where}: key id must be 1-255, got {key_id}")
        if len(parts) < 2:
            raise SettingsError(f"{where}: key {key_id} has no algorithm")
        algorithm = parts[1].lower()
        if algorithm in REFUSED:
            raise SettingsError(f"{where}: {REFUSED[algorithm]}")
        if algorithm not in ALGORITHMS:
            raise SettingsError(
                f"{where}: unknown algorithm {parts[1]!r} ({', '.join(ALGORITHMS)})"
            )
        if len(parts) < 3 or not parts[2].strip():
            raise SettingsError(f"{where}: key {key_id} has no secret")
        if key_id in keys:
            raise SettingsError(f"{where}: key {key_id} is defined twice")
        keys[key_id] = Key(key_id, algorithm, parts[2].strip().encode())
    if active is None:
        raise SettingsError(f"{source}: missing 'auth KEY_ID' line")
    if active not in keys:
        raise SettingsError(f"{source}: 'auth {active}' names a key that is not defined")
    return AuthKeys(active, MappingProxyType(keys), MappingProxyType(node_keys), private)


def check_mode(st: os.stat_result, source: str) -> None:
    """Refuse a file that is not root-owned with mode 0600 (or stricter)."""
    if st.st_uid != 0:
        raise SettingsError(f"{source}: must be owned by root (owner uid is {st.st_uid})")
    if stat.S_IMODE(st.st_mode) & 0o077:
        raise SettingsError(
            f"{source}: mode is {stat.S_IMODE(st.st_mode):04o}; must be 0600 "
            f"(chmod 600 {source})"
        )


def load(path: Path) -> AuthKeys:
    """Read an authkeys file after checking its owner and mode."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError as error:
        raise SettingsError(f"{path}: cannot open: {error.strerror}") from None
    with os.fdopen(fd, "r", encoding="utf-8") as handle:
        check_mode(os.fstat(handle.fileno()), str(path))
        text = handle.read()
    return parse(text, str(path))


def render(keys: AuthKeys) -> str:
    """authkeys text for ``keys`` (the lab writes its files with this)."""
    from harm.membership.nodekeys import key_text

    lines = [f"auth {keys.active}"]
    lines += [f"{k.key_id} {k.algorithm} {k.secret.decode()}" for k in keys.keys.values()]
    lines += [f"node {n} ed25519 {key_text(k)}" for n, k in keys.node_keys.items()]
    if keys.private is not None:
        lines.append(f"private ed25519 {key_text(keys.private)}")
    return "\n".join(lines) + "\n"
