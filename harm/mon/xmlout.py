"""``--output-as=xml``: crm_mon's ``pacemaker-result`` document, built from a snapshot.

The structure and attribute names follow Pacemaker 2.1's crm_mon (API 2.25) so that
scripts written for ``crm_mon --output-as=xml`` read harm's output unchanged; the document
validates against Pacemaker's ``api-result-2.25.rng``. As crm_mon does for XML, every
section is included, inactive resources and operation timings too.

    pacemaker-result
     ├── summary          stack, current_dc (with_quorum), last_update, last_change,
     │                    nodes_configured, resources_configured, cluster_options
     ├── nodes            node…   (flags, resources_running)
     ├── resources        resource | group | clone …   (the configuration tree)
     ├── node_attributes  node → attribute…   (expected= on connectivity scores)
     ├── node_history     node → resource_history → operation_history…
     ├── failures         failure…
     ├── tickets          ticket…   (only when the CIB names any)
     ├── bans             ban…      (negative location scores)
     └── status           code, message

Not produced (harm has no equivalent yet): fence_history, bundles.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from harm.cib.config import Role
from harm.engine.state import ClusterState, ResourceState, Variant
from harm.mon.attributes import node_attributes
from harm.mon.bans import bans
from harm.mon.failures import node_history, shown_failures
from harm.mon.fencing import fence_history_element
from harm.mon.formats import epoch_text, exec_status_text, exit_text, iso_text
from harm.mon.snapshot import MonSnapshot
from harm.mon.summary import Summary, feature_set, summarize
from harm.mon.tickets import tickets
from harm.view.nodes import node_health

API_VERSION = "2.25"
_PENDING = {"start": "Starting", "stop": "Stopping", "migrate_to": "Migrating",
            "migrate_from": "Migrating", "promote": "Promoting", "demote": "Demoting"}


def render_xml(snap: MonSnapshot, request: str = "harm_mon --output-as=xml",
               fence_history: int = 1) -> str:
    """The whole document as text (UTF-8, indented two spaces, final newline)."""
    root = xml_document(snap, request, fence_history)
    ET.indent(root, "  ")
    # crm_mon (libxml2) writes empty elements as "<x/>"; ">" is escaped in values
    return ET.tostring(root, encoding="unicode").replace(" />", "/>") + "\n"


def xml_document(snap: MonSnapshot, request: str, fence_history: int = 1) -> ET.Element:
    """The document as an element tree."""
    state = snap.state
    root = ET.Element("pacemaker-result", {"api-version": API_VERSION, "request": request})
    root.append(_summary(summarize(snap)))
    nodes = ET.SubElement(root, "nodes")
    for node in state.nodes:
        running = sum(1 for r in state.primitives() if node.name in r.running_on)
        strategy = (state.configuration.property("node-health-strategy") or "none").lower()
        health = node_health(state, node) if strategy != "none" else 1
        attrs = {
            "name": node.name, "id": node.id, "online": _b(node.online),
            "standby": _b(node.standby), "standby_onfail": _b(node.standby_onfail),
            "maintenance": _b(node.maintenance), "pending": _b(node.pending),
            "unclean": _b(node.unclean),
            "health": "red" if health < 0 else "yellow" if health == 0 else "green",
        }
        features = feature_set(state, node.name)
        if features is not None:
            attrs["feature_set"] = features
        attrs.update({
            "shutdown": _b(node.shutdown), "expected_up": _b(node.expected_up),
            "is_dc": _b(node.is_dc), "resources_running": str(running),
            "type": node.kind if node.kind in ("member", "remote", "ping") else "unknown",
        })
        ET.SubElement(nodes, "node", attrs)
    resources = ET.SubElement(root, "resources")
    for rsc in state.top_resources():
        if rsc.orphan and not _active(state, rsc):
            continue
        _resource(state, rsc, resources)
    blocks = node_attributes(state)
    if blocks:  # crm_mon leaves the element out when no node has any
        attributes = ET.SubElement(root, "node_attributes")
        for block in blocks:
            node_elem = ET.SubElement(attributes, "node", {"name": block.node})
            for attr in block.attributes:
                values = {"name": attr.name, "value": attr.value}
                if attr.expected is not None:
                    values["expected"] = str(attr.expected)
                ET.SubElement(node_elem, "attribute", values)
    history = node_history(snap, operations=True)
    if history is not None:
        history_elem = ET.SubElement(root, "node_history")
        for node_block in history:
            node_elem = ET.SubElement(history_elem, "node", {"name": node_block.node})
            for line in node_block.resources:
                rsc_elem = ET.SubElement(node_elem, "resource_history",
                                         {"id": line.id, "orphan": _b(line.orphan)})
                if not line.orphan:
                    rsc_elem.set("migration-threshold", str(line.migration_threshold))
                    if line.failcount > 0:
                        rsc_elem.set("fail-count", str(line.failcount))
                    if line.last_failure:
                        rsc_elem.set("last-failure", epoch_text(line.last_failure))
                for op in line.ops:
                    rc = max(op.rc, 0)  # crm_mon reads the code with a floor of 0
                    op_elem = ET.SubElement(rsc_elem, "operation_history", {
                        "call": str(op.call), "task": op.task, "rc": str(rc),
                        "rc_text": exit_text(rc)})
                    if op.interval_ms:
                        op_elem.set("interval", f"{op.interval_ms}ms")
                    record = op.record
                    if record.last_rc_change:
                        op_elem.set("last-rc-change", epoch_text(record.last_rc_change))
                    if record.exec_time is not None:
                        op_elem.set("exec-time", f"{record.exec_time}ms")
                    if record.queue_time is not None:
                        op_elem.set("queue-time", f"{record.queue_time}ms")
    failures = shown_failures(state)
    if failures:
        failures_elem = ET.SubElement(root, "failures")
        for failed in failures:
            record = failed.record
            key = dict(record.extra).get("operation_key")
            elem = ET.SubElement(failures_elem, "failure", {
                "op_key" if key else "id": key or record.id,
                "node": failed.node,
                "exitstatus": exit_text(record.rc),
                "exitreason": "none" if record.exit_reason is None else record.exit_reason,
                "exitcode": str(max(record.rc, 0)),
                "call": str(record.call_id),
                "status": exec_status_text(record.status),
            })
            if record.last_rc_change:
                elem.set("last-rc-change", iso_text(record.last_rc_change))
                # The schema wants these with last-rc-change; crm_mon leaves unrecorded
                # ones out (and then fails its own schema): harm says 0.
                elem.set("queued", str(record.queue_time or 0))
                elem.set("exec", str(record.exec_time or 0))
                elem.set("interval", str(record.interval_ms))
                elem.set("task", record.operation)
    fenced = fence_history_element(snap.cib, fence_history)
    if fenced is not None:
        root.append(fenced)
    known = tickets(snap.cib)
    if known:
        tickets_elem = ET.SubElement(root, "tickets")
        for ticket in known:
            elem = ET.SubElement(tickets_elem, "ticket", {
                "id": ticket.id, "status": "granted" if ticket.granted else "revoked",
                "standby": _b(ticket.standby)})
            if ticket.last_granted is not None:
                elem.set("last-granted", epoch_text(ticket.last_granted))
    banned = bans(state)
    if banned:
        bans_elem = ET.SubElement(root, "bans")
        for ban in banned:
            ET.SubElement(bans_elem, "ban", {
                "id": ban.id, "resource": ban.resource, "node": ban.node,
                "weight": str(ban.weight), "promoted-only": _b(ban.promoted_only),
                "master_only": _b(ban.promoted_only)})
    ET.SubElement(root, "status", {"code": "0", "message": "OK"})
    return root


def _summary(summary: Summary) -> ET.Element:
    elem = ET.Element("summary")
    ET.SubElement(elem, "stack", {"type": summary.stack})
    if summary.dc_name is not None:
        ET.SubElement(elem, "current_dc", {
            "present": "true", "version": summary.dc_version or "",
            "name": summary.dc_name, "id": summary.dc_id or "",
            "with_quorum": _b(summary.quorum), "mixed_version": _b(summary.mixed_version)})
    else:
        ET.SubElement(elem, "current_dc", {"present": "false"})
    ET.SubElement(elem, "last_update", {"time": summary.last_updated})
    ET.SubElement(elem, "last_change", {
        "time": summary.last_written or "", "user": summary.update_user or "",
        "client": summary.update_client or "", "origin": summary.update_origin or ""})
    ET.SubElement(elem, "nodes_configured", {"number": str(summary.nodes)})
    ET.SubElement(elem, "resources_configured", {
        "number": str(summary.instances), "disabled": str(summary.disabled),
        "blocked": str(summary.blocked)})
    ET.SubElement(elem, "cluster_options", {
        "stonith-enabled": _b(summary.stonith_enabled),
        "symmetric-cluster": _b(summary.symmetric_cluster),
        "no-quorum-policy": summary.no_quorum_policy,
        "maintenance-mode": _b(summary.maintenance_mode),
        "stop-all-resources": _b(summary.stop_all_resources),
        "stonith-timeout-ms": str(summary.stonith_timeout_ms),
        "priority-fencing-delay-ms": str(summary.priority_fencing_delay_ms)})
    return elem


def _resource(state: ClusterState, rsc: ResourceState, parent: ET.Element) -> None:
    if rsc.variant is Variant.PRIMITIVE:
        _primitive(state, rsc, parent)
        return
    children = state.children_of(rsc.id)
    if rsc.variant is Variant.GROUP:
        elem = ET.SubElement(parent, "group", {
            "id": rsc.id, "number_resources": str(len(children)),
            "managed": _b(rsc.managed), "disabled": _b(_disabled(state, rsc))})
    else:
        settings = rsc.clone
        elem = ET.SubElement(parent, "clone", {
            "id": rsc.id,
            "multi_state": _b(settings is not None and settings.promotable),
            "unique": _b(settings is not None and settings.unique),
            "managed": _b(rsc.managed), "disabled": _b(_disabled(state, rsc)),
            "failed": _b(rsc.failed), "failure_ignored": _b(rsc.failure_ignored)})
        target = target_role(rsc)
        if target is None and children:
            target = target_role(children[0])  # crm_mon falls back to the first instance
        if target is not None:
            elem.set("target_role", target)
    for child in children:
        _resource(state, child, elem)


def _primitive(state: ClusterState, rsc: ResourceState, parent: ET.Element) -> None:
    agent = rsc.agent
    if agent is None:
        agent_text = "unknown:unknown"
    elif agent.provider:
        agent_text = f"{agent.cls}:{agent.provider}:{agent.type}"
    else:
        agent_text = f"{agent.cls}:{agent.type}"
    role = rsc.role
    top = state.top_parent(rsc.id)
    if role is Role.STARTED and top.clone is not None and top.clone.promotable:
        role = Role.UNPROMOTED
    shown = _PENDING.get(rsc.pending_task or "") or role.value
    attrs = {"id": rsc.config_id if not rsc.unique else rsc.id,
             "resource_agent": agent_text, "role": shown}
    target = target_role(rsc)
    if target is not None:
        attrs["target_role"] = target
    attrs.update({
        "active": _b(bool(rsc.running_on)), "orphaned": _b(rsc.orphan),
        "blocked": _b(rsc.blocked), "managed": _b(rsc.managed), "failed": _b(rsc.failed),
        "failure_ignored": _b(rsc.failure_ignored),
        "nodes_running_on": str(len(rsc.running_on))})
    if rsc.pending_task == "monitor":  # crm_mon names only a pending monitor here
        attrs["pending"] = "Monitoring"
    elem = ET.SubElement(parent, "resource", attrs)
    for name in rsc.running_on:
        node = state.node(name)
        ET.SubElement(elem, "node", {"name": name, "id": node.id if node else name,
                                     "cached": _b(bool(node and node.online))})


def target_role(rsc: ResourceState) -> str | None:
    """The target-role meta-attribute as written (``#default`` means unset, as in
    Pacemaker's unpacking)."""
    value = rsc.meta.get("target-role")
    return None if value is None or value == "#default" else value


def _active(state: ClusterState, rsc: ResourceState) -> bool:
    if rsc.variant is Variant.PRIMITIVE:
        return bool(rsc.running_on)
    children = state.children_of(rsc.id)
    return bool(children) and all(_active(state, c) for c in children)


def _disabled(state: ClusterState, rsc: ResourceState) -> bool:
    target = rsc.meta.get("target-role")
    if target is None:
        return False
    try:
        role = Role.parse(target)
    except ValueError:
        return False
    if role is Role.STOPPED:
        return True
    return role is Role.UNPROMOTED and rsc.clone is not None and rsc.clone.promotable


def _b(value: bool) -> str:
    return "true" if value else "false"
