"""Each lab node's own files: harm.yaml, authkeys, state, socket, agents' temporary space.

Lab nodes share one filesystem, so everything a node writes lives under its own
``/run/harm-lab/<lab>/<node>/``; :func:`node_env` is the environment that points harmd,
the CLI and resource agents there.
"""

from __future__ import annotations

import os
from pathlib import Path

import yaml

from harm.lab.spec import MCAST_GROUP, LabSpec
from harm.membership.authkeys import AuthKeys, render

WITNESS_PORT = 6940
SUBDIRS = ("state", "tmp", "data", "run")


def harm_yaml(spec: LabSpec, node: str) -> str:
    folder = spec.node_dir(node)
    data = {
        "cluster": spec.name,
        "node": node,
        "nodes": list(spec.nodes),
        "keepalive": spec.keepalive,
        "deadtime": spec.deadtime,
        "warntime": spec.warntime,
        "initdead": spec.initdead,
        "two_node": len(spec.nodes) == 2 and not spec.witness,
        "authkeys": str(folder / "authkeys"),
        "state_dir": str(folder / "state"),
        "socket": str(folder / "harmd.sock"),
        "links": [_link(spec, node, link) for link in range(spec.links)],
    }
    if spec.witness:
        data["witness"] = {"address": spec.gateway_address().split("/")[0],
                           "port": WITNESS_PORT}
    return yaml.safe_dump(data, sort_keys=False)


def _link(spec: LabSpec, node: str, link: int) -> dict[str, object]:
    nic = spec.nic(link)
    if spec.transport == "mcast":
        return {"mcast": {"dev": nic, "group": MCAST_GROUP, "ttl": 1}}
    if spec.transport == "ucast":
        peers = [spec.address(p, link).split("/")[0] for p in spec.nodes if p != node]
        return {"ucast": {"dev": nic, "peers": peers}}
    return {"bcast": nic}


def write_node_files(spec: LabSpec, node: str) -> Path:
    """Create ``node``'s directory with harm.yaml and a 0600 authkeys; returns the directory."""
    folder = spec.node_dir(node)
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    for sub in SUBDIRS:
        (folder / sub).mkdir(mode=0o700, exist_ok=True)
    (folder / "harm.yaml").write_text(harm_yaml(spec, node), encoding="utf-8")
    write_authkeys(spec, folder / "authkeys")
    return folder


def write_authkeys(spec: LabSpec, path: Path) -> None:
    """The lab's authkeys (mode 0600) at ``path``."""
    keys = AuthKeys.single(spec.secret.encode())
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        os.fchmod(handle.fileno(), 0o600)
        handle.write(render(keys))


def node_env(spec: LabSpec, node: str) -> dict[str, str]:
    """Environment for anything run as ``node``: harmd, the CLI, agents, PostgreSQL."""
    folder = spec.node_dir(node)
    return {
        "HARM_LAB": spec.name,
        "HARM_NODE": node,
        "HARM_CONFIG": str(folder / "harm.yaml"),
        "HARM_SOCKET": str(folder / "harmd.sock"),
        "HARM_STATE_DIR": str(folder / "state"),
        "HARM_DATA_DIR": str(folder / "data"),
        "HARM_RUN_DIR": str(folder / "run"),
        "HA_RSCTMP": str(folder / "tmp"),
        "TMPDIR": str(folder / "tmp"),
    }
