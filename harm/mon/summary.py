"""The "Cluster Summary": stack, current DC and quorum, times, counts, cluster options.

The facts are gathered once into a :class:`Summary`; the text and XML renderers both read it.
"""

from __future__ import annotations

from dataclasses import dataclass

from harm.cib.config import Role
from harm.cib.durations import parse_ms
from harm.engine.state import ClusterState
from harm.membership.quorum import partition_risk
from harm.mon.formats import epoch_text
from harm.mon.snapshot import MonSnapshot
from harm.view.status import resource_counts

OLD_FEATURE_SET = "<3.15.1"


@dataclass(frozen=True)
class Summary:
    """What crm_mon's summary states about the cluster."""

    stack: str
    dc_name: str | None
    dc_id: str | None
    dc_version: str | None
    quorum: bool
    mixed_version: bool
    last_updated: str
    last_written: str | None
    update_user: str | None
    update_client: str | None
    update_origin: str | None
    nodes: int
    instances: int
    disabled: int
    blocked: int
    stonith_enabled: bool
    symmetric_cluster: bool
    no_quorum_policy: str
    maintenance_mode: bool
    stop_all_resources: bool
    stonith_timeout_ms: int
    priority_fencing_delay_ms: int
    partition_risk: str | None = None  # harm.membership.quorum.partition_risk
    needs: tuple[tuple[str, str], ...] = ()  # (node, what to run): agents' <rsc>-needs
    no_primary: tuple[str, ...] = ()  # why a running promotable clone has no promoted one

    @property
    def last_change(self) -> str:
        """``DATE by USER via CLIENT on ORIGIN``, each part only when known."""
        text = self.last_written or ""
        if self.update_user is not None:
            text += f" by {self.update_user}"
        if self.update_client is not None:
            text += f" via {self.update_client}"
        if self.update_origin is not None:
            text += f" on {self.update_origin}"
        return text


def summarize(snap: MonSnapshot) -> Summary:
    """Collect the summary facts of a snapshot."""
    cib, state = snap.cib, snap.state
    config = cib.configuration
    dc = next((n for n in state.nodes if n.is_dc), None)
    instances, disabled, blocked = resource_counts(state)
    return Summary(
        stack=config.property("cluster-infrastructure") or "unknown",
        dc_name=dc.name if dc else None,
        dc_id=dc.id if dc else None,
        dc_version=config.property("dc-version"),
        quorum=cib.have_quorum,
        mixed_version=len(_feature_sets(state)) > 1,
        last_updated=epoch_text(snap.now),
        last_written=cib.attr("cib-last-written"),
        update_user=cib.attr("update-user"),
        update_client=cib.attr("update-client"),
        update_origin=cib.attr("update-origin"),
        nodes=len(state.nodes),
        instances=instances,
        disabled=disabled,
        blocked=blocked,
        stonith_enabled=state.options.stonith_enabled,
        symmetric_cluster=state.options.symmetric_cluster,
        no_quorum_policy=state.options.no_quorum_policy,
        maintenance_mode=state.options.maintenance_mode,
        stop_all_resources=state.options.stop_all_resources,
        stonith_timeout_ms=_ms(config.property("stonith-timeout"), 60_000),
        priority_fencing_delay_ms=_ms(config.property("priority-fencing-delay"), 0),
        partition_risk=None if snap.witness is None else partition_risk(
            len(state.nodes), snap.witness, _fencing(snap), state.options.no_quorum_policy),
        needs=tuple((n.name, value) for n in state.nodes
                    for name, value in sorted(n.attributes.items()) if name.endswith("-needs")),
        # harm's own explanation, for a running cluster (a CIB file shows what crm_mon does)
        no_primary=tuple(_no_primary(snap)) if snap.witness is not None else (),
    )


def _no_primary(snap: MonSnapshot) -> list[str]:
    """For each promotable clone that runs but is promoted nowhere, why (never "no primary,
    no explanation")."""
    state = snap.state
    out = []
    for clone in state.resources:
        if clone.clone is None or not clone.clone.promotable or not clone.running_on:
            continue
        instances = [r for r in state.resources if r.parent == clone.id]
        if any(r.role is Role.PROMOTED for r in instances):
            continue
        child = instances[0].id.split(":")[0] if instances else clone.id
        if not snap.cib.have_quorum and state.options.no_quorum_policy != "ignore":
            why = (f"this partition has no quorum (no-quorum-policy="
                   f"{state.options.no_quorum_policy}); it promotes nothing")
        else:
            scores = ", ".join(f"{n.name} {n.attributes.get(f'master-{child}', 'unset')}"
                               for n in state.nodes if n.online)
            why = (f"no node may be promoted (master-{child}: {scores}); the standbys elect "
                   "one after a few monitors, or an agent says below what to run")
        out.append(f"{clone.id} has no promoted instance: {why}")
    return out


def _fencing(snap: MonSnapshot) -> bool:
    """Fencing is on and has a device to fence with."""
    return snap.state.options.stonith_enabled and any(
        p.agent.cls == "stonith" for p in snap.cib.configuration.primitives())




def summary_lines(summary: Summary) -> list[str]:
    """The text block, crm_mon 2.1's wording.

    harm adds one thing: with no DC, crm_mon prints only ``NONE``; harm also says
    whether the partition has quorum, since that is what an operator asks next.
    """
    lines = ["Cluster Summary:", f"  * Stack: {summary.stack}"]
    quorum = "with" if summary.quorum else "WITHOUT"
    if summary.dc_name is not None:
        mixed = "MIXED-VERSION " if summary.mixed_version else ""
        lines.append(f"  * Current DC: {summary.dc_name} (version "
                     f"{summary.dc_version or 'unknown'}) - {mixed}partition {quorum} quorum")
    else:
        lines.append(f"  * Current DC: NONE - partition {quorum} quorum")
    lines.append(f"  * Last updated: {summary.last_updated}")
    lines.append(f"  * Last change:  {summary.last_change}")
    lines.append(f"  * {summary.nodes} node{_s(summary.nodes)} configured")
    lines.append("  * " + counts_text(summary))
    if summary.maintenance_mode:
        lines += ["", "              *** Resource management is DISABLED ***",
                  "  The cluster will not attempt to start, stop or recover services"]
    elif summary.stop_all_resources:
        lines += ["", "    *** Resource management is DISABLED ***",
                  "  The cluster will keep all resources stopped"]
    if summary.partition_risk:
        lines.append(f"  * WARNING: {summary.partition_risk}")
    for text in summary.no_primary:
        lines.append(f"  * NO PRIMARY: {text}")
    for node, what in summary.needs:
        lines.append(f"  * ACTION NEEDED on {node}: {what}")
    return lines


def counts_text(summary: Summary) -> str:
    """``5 resource instances configured (1 DISABLED, 2 BLOCKED …)``."""
    text = f"{summary.instances} resource instance{_s(summary.instances)} configured"
    if summary.disabled and summary.blocked:
        text += (f" ({summary.disabled} DISABLED, {summary.blocked} BLOCKED from further "
                 "action due to failure)")
    elif summary.disabled:
        text += f" ({summary.disabled} DISABLED)"
    elif summary.blocked:
        text += f" ({summary.blocked} BLOCKED from further action due to failure)"
    return text


def _feature_sets(state: ClusterState) -> set[str]:
    found = set()
    for node in state.nodes:
        if node.online and node.kind == "member":
            found.add(node.attributes.get("#feature-set") or OLD_FEATURE_SET)
    return found


def feature_set(state: ClusterState, name: str) -> str | None:
    """The node's Pacemaker feature set as crm_mon shows it (online nodes only)."""
    node = state.node(name)
    if node is None or not node.online or node.kind != "member":
        return None
    return node.attributes.get("#feature-set") or OLD_FEATURE_SET


def _ms(text: str | None, default: int) -> int:
    if text is None:
        return default
    try:
        return parse_ms(text)
    except ValueError:
        return default


def _s(count: int) -> str:
    return "" if count == 1 else "s"

