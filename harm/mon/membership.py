"""A CIB made from harmd's membership status, for as long as harmd serves no CIB itself.

harmd's ``status`` request reports this node, the membership view (members, quorum), the
peers and the heartbeat link attributes ``<peer>-<nic>: up|dead``. That is enough for the
"Cluster Summary", "Node List" and "Node Attributes" blocks::

    status := {"node": NAME, "view": {"members": [NAME…], "quorate": BOOL},
               "peers": {NAME: {…}, …}, "attributes": {NAME: VALUE, …}, …}

Nodes are this node and its peers; a node is online when it is in the view. The link
attributes belong to this node (they are what it hears). There is no DC yet, so the summary
says ``Current DC: NONE`` and states quorum plainly.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from harm.cib.cib import Cib
from harm.cib.config import Configuration, Node, NvSet
from harm.cib.status import NodeState, Status
from harm.engine.state import node_name_key
from harm.errors import CibFormatError

STACK = "harm"


def cib_from_membership(status: Mapping[str, Any], source: str = "harmd") -> Cib:
    """The CIB the membership status implies; CibFormatError if it has the wrong shape."""
    try:
        local = str(status["node"])
        view = status["view"]
        members = {str(m) for m in view["members"]}
        quorate = bool(view["quorate"])
        peers = [str(p) for p in status.get("peers", {})]
        attributes = {str(k): str(v) for k, v in status.get("attributes", {}).items()}
    except (KeyError, TypeError, AttributeError) as error:
        raise CibFormatError(f"{source}: unexpected membership status ({error})") from None
    names = sorted({local, *peers}, key=node_name_key)
    states = []
    for name in names:
        online = name in members
        attrs: tuple[NvSet, ...] = ()
        if name == local and attributes:
            attrs = (NvSet(id=f"status-{name}", pairs=tuple(sorted(attributes.items()))),)
        states.append(NodeState(
            id=name, uname=name, in_ccm=online, crmd="online" if online else "offline",
            join="member" if online else "down", expected="member" if online else "down",
            transient_attributes=attrs))
    configuration = Configuration(
        crm_config=(NvSet(id="cib-bootstrap-options",
                          pairs=(("cluster-infrastructure", STACK),)),),
        nodes=tuple(Node(id=name, uname=name) for name in names),
    )
    return Cib(configuration=configuration, status=Status(nodes=tuple(states)),
               have_quorum=quorate)
