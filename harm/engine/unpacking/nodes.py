"""Step 2: nodes, their attributes and their state (Pacemaker's ``unpack_nodes`` and
``unpack_node_state``): online with or without fencing, unclean, why to fence.
"""

from __future__ import annotations

from harm.cib.config import is_true
from harm.cib.status import NodeState
from harm.engine.state import node_name_key
from harm.engine.unpacking.model import _Node
from harm.engine.unpacking.options import OptionsUnpacker


class NodesUnpacker(OptionsUnpacker):
    """Nodes: each configured node, then its recorded state."""

    def _unpack_nodes(self) -> None:
        cluster_name = self.config.property("cluster-name")
        for configured in self.config.nodes:
            node = _Node(name=configured.uname or configured.id, id=configured.id,
                         kind=configured.type or "member")
            node.unclean = self.options.startup_fencing
            node.unseen = True
            self._builtin_attrs(node, cluster_name)
            for key, value in self._sets(configured.attributes).items():
                node.attrs.setdefault(key, value)
            self.nodes[node.name] = node
            self.node_order.append(node.name)
        self.node_order.sort(key=node_name_key)
        for state in self.cib.status.nodes:
            found = self._find_node(state)
            if found is None:
                self.warnings.append(
                    f"Ignoring recorded node state for '{state.uname}' because it is no "
                    "longer in the configuration")
                continue
            self._unpack_node_state(found, state)

    def _builtin_attrs(self, node: _Node, cluster_name: str | None) -> None:
        node.attrs["#uname"] = node.name
        node.attrs["#id"] = node.id
        node.attrs["#kind"] = "cluster" if node.kind == "member" else node.kind
        node.is_dc = self.options.dc_uuid is not None and node.id == self.options.dc_uuid
        node.attrs["#is_dc"] = "true" if node.is_dc else "false"
        if cluster_name:
            node.attrs["#cluster-name"] = cluster_name

    def _find_node(self, state: NodeState) -> _Node | None:
        for node in self.nodes.values():
            if node.id == state.id:
                return node
        return self.nodes.get(state.uname)

    def _unpack_node_state(self, node: _Node, state: NodeState) -> None:
        for key, value in self._sets(state.transient_attributes).items():
            node.attrs[key] = value
        if "#site-name" not in node.attrs and "site-name" in node.attrs:
            node.attrs["#site-name"] = node.attrs["site-name"]
        if is_true(node.attrs.get("standby", "false")):
            node.standby = True
        if is_true(node.attrs.get("maintenance", "false")):
            node.maintenance = True
        node.unclean = False
        node.unseen = False
        self._online_status(node, state)
        if (not self.options.have_quorum and node.online
                and self.options.no_quorum_policy == "suicide"):
            self._fence(node, "cluster does not have quorum")

    def _fence(self, node: _Node, reason: str) -> None:
        if not node.unclean:
            node.unclean = True
            node.fence_reason = reason

    def _online_status(self, node: _Node, state: NodeState) -> None:
        extra = dict(state.extra)
        expected = state.expected or extra.get("expected")
        node.shutdown = False
        node.expected_up = False
        shutdown = node.attrs.get("shutdown")
        if shutdown is not None and shutdown.strip() not in ("", "0"):
            node.shutdown = True
        elif (expected or "").lower() == "member":
            node.expected_up = True
        in_cluster: bool | None = state.in_ccm
        if "in_ccm" in extra and extra["in_ccm"] == "":
            in_cluster = None
        crmd_online = (state.crmd or "").lower() == "online"
        join = (state.join or "").lower()
        if node.kind == "ping":
            node.unclean = False
            online = False
        elif not self.options.stonith_enabled:
            online = False
            if not in_cluster:
                pass
            elif crmd_online:
                online = join == "member"
            elif node.expected_up:
                self._fence(node, "peer is unexpectedly down")
        else:
            online = self._online_fencing(node, in_cluster, crmd_online=crmd_online,
                                          join=join, expected=(expected or "down").lower())
        node.online = online

    def _online_fencing(self, node: _Node, in_cluster: bool | None, *,
                        crmd_online: bool, join: str, expected: str) -> bool:
        terminate = node.attrs.get("terminate")
        do_terminate = False
        if terminate is not None and (
                is_true(terminate)
                or (terminate and terminate[0] != "0" and terminate[0].isdigit())):
            do_terminate = True
        online = bool(in_cluster)
        if node.shutdown:
            online = crmd_online
        elif in_cluster is None:
            self._fence(node, "peer has not been seen by the cluster")
        elif join == "banned":
            self._fence(node, "peer failed Pacemaker membership criteria")
        elif not do_terminate and expected == "down":
            if in_cluster or crmd_online:
                node.standby = True
                node.pending = True
        elif do_terminate and join == "down" and not in_cluster and not crmd_online:
            online = False
        elif not in_cluster:
            self._fence(node, "peer is no longer part of the cluster")
        elif not crmd_online:
            self._fence(node, "peer process is no longer available")
        elif do_terminate:
            self._fence(node, "termination was requested")
        elif join == "member":
            pass
        elif join in ("pending", "down"):
            node.standby = True
            node.pending = True
        else:
            self._fence(node, "peer was in an unknown state")
        return online

