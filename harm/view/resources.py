"""The "Full List of Resources" block, as Pacemaker 2.1's text output prints it.

* a primitive: ``id\\t(class:provider:type):\\t ROLE node (flags)``, ``FAILED``, ``ORPHANED``,
  ``Stopped (disabled)``, ``Started [ n1 n2 ]`` when multiply active;
* a group: ``Resource Group: id (unmanaged, disabled):`` with its members below;
* a clone: ``Clone Set: id [child] (promotable, unique, unmanaged, disabled):``; unique
  clones list every instance; anonymous clones summarise healthy instances as
  ``Promoted: [ … ]``, ``Unpromoted: [ … ]`` / ``Started: [ … ]`` and ``Stopped: [ … ]``,
  and print the unhealthy ones (failed, unmanaged, orphaned, on an unclean node) in full.
"""

from __future__ import annotations

from harm.cib.config import ROLE_RANK, Role
from harm.cib.status import rc_text
from harm.engine.state import (
    ClusterState,
    ResourceState,
    Variant,
    node_name_key,
)
from harm.view.text import Lines

_PENDING_STATE = {
    "start": "Starting",
    "stop": "Stopping",
    "migrate_to": "Migrating",
    "migrate_from": "Migrating",
    "promote": "Promoting",
    "demote": "Demoting",
}


def resource_list(state: ClusterState, lines: Lines, depth: int, *,
                  show_pending: bool = True) -> None:
    """Append "Full List of Resources" at ``depth`` (inactive resources included)."""
    view = _View(state, lines, show_pending)
    printed = False
    lines.header(depth, "Full List of Resources")
    for rsc in state.top_resources():
        if rsc.orphan and not view.active(rsc, all_=True):
            continue
        if view.active(rsc, all_=False) and not rsc.running_on:
            # Pacemaker skips a partly active resource that runs on no listed node: an
            # unmanaged instance on an offline node is not added to its clone's nodes
            continue
        if view.show(rsc, depth + 1):
            printed = True
    if not printed:
        lines.item(depth + 1, "No resources")


class _View:
    def __init__(self, state: ClusterState, lines: Lines, show_pending: bool) -> None:
        self.state = state
        self.lines = lines
        self.show_pending = show_pending

    # -- predicates as Pacemaker's resource methods define them

    def active(self, rsc: ResourceState, all_: bool) -> bool:
        if rsc.variant is Variant.PRIMITIVE:
            for name in rsc.running_on:
                node = self.state.node(name)
                if node is None:
                    continue
                if node.unclean:
                    return True
                if not node.online and rsc.managed:
                    continue
                return True
            return False
        children = self.state.children_of(rsc.id)
        if all_:
            return all(self.active(c, True) for c in children) if children else False
        return any(self.active(c, False) for c in children)

    def current_node(self, rsc: ResourceState) -> str | None:
        """Pacemaker's ``pe__current_node``: where it counts as active (first node)."""
        if not rsc.running_on:
            return None
        if not rsc.needs_fencing:
            for name in rsc.running_on:
                node = self.state.node(name)
                if node is not None and node.online and not node.unclean:
                    return name
        return rsc.running_on[0]

    def locations(self, rsc: ResourceState) -> list[str]:
        if rsc.variant is Variant.PRIMITIVE:
            return list(rsc.running_on)
        found: list[str] = []
        for child in self.state.children_of(rsc.id):
            for node in self.locations(child):
                if node not in found:
                    found.append(node)
        return found

    def role(self, rsc: ResourceState) -> Role:
        if rsc.variant is Variant.PRIMITIVE:
            return rsc.role
        best = Role.STOPPED
        for child in self.state.children_of(rsc.id):
            role = self.role(child)
            if ROLE_RANK[role] > ROLE_RANK[best]:
                best = role
        return best

    def any_flag(self, rsc: ResourceState, flag: str) -> bool:
        if getattr(rsc, flag):
            return True
        return any(self.any_flag(c, flag) for c in self.state.children_of(rsc.id))

    def all_managed(self, rsc: ResourceState) -> bool:
        if not rsc.managed:
            return False
        return all(self.all_managed(c) for c in self.state.children_of(rsc.id))

    def promotable(self, rsc: ResourceState) -> bool:
        top = self.state.top_parent(rsc.id)
        return top.clone is not None and top.clone.promotable

    def disabled(self, rsc: ResourceState) -> bool:
        return is_disabled(self.state, rsc)

    # -- output

    def show(self, rsc: ResourceState, depth: int) -> bool:
        if rsc.variant is Variant.PRIMITIVE:
            self.primitive(rsc, depth)
            return True
        if rsc.variant is Variant.GROUP:
            return self.group(rsc, depth)
        return self.clone(rsc, depth)

    def primitive(self, rsc: ResourceState, depth: int) -> None:
        node = self.current_node(rsc)
        if node is None and rsc.pending_node is not None:
            node = rsc.pending_node
        if node is None and rsc.lock_node is not None:
            node = rsc.lock_node
        self.lines.item(depth, self.primitive_text(rsc, node))

    def primitive_text(self, rsc: ResourceState, node: str | None) -> str:
        agent = rsc.agent
        if agent is None:
            agent_text = "unknown:unknown"
        elif agent.cls == "ocf":
            agent_text = f"{agent.cls}:{agent.provider or ''}:{agent.type}"
        else:
            agent_text = f"{agent.cls}:{agent.type}"
        name = rsc.config_id if not rsc.unique else rsc.id
        multiple = len(rsc.running_on) > 1
        if multiple:
            node = None
        text = f"{name}\t({agent_text}):\t"
        role = rsc.role
        if role is Role.STARTED and self.promotable(rsc):
            role = Role.UNPROMOTED
        if rsc.orphan:
            text += " ORPHANED"
        if rsc.failed:
            text += " FAILED"
            if ROLE_RANK[role] > ROLE_RANK[Role.UNPROMOTED]:
                text += f" {role.value}"
        else:
            word = None
            if self.show_pending and rsc.pending_task is not None:
                word = _PENDING_STATE.get(rsc.pending_task)
            text += f" {word or role.value}"
        if node is not None:
            text += f" {node}"
        if role is Role.STOPPED:
            probe = self.failed_probe(rsc, node)
            if probe is not None:
                text += f" ({rc_text(probe)}) "
        flags: list[str] = []
        info = self.state.node(node) if node is not None else None
        if info is not None and not info.online and info.unclean:
            flags.append("UNCLEAN")
        if node is not None and node == rsc.lock_node:
            flags.append("LOCKED")
        if self.show_pending and rsc.pending_task == "monitor":
            flags.append("Monitoring")
        target = rsc.meta.get("target-role")
        if target is not None:
            try:
                target_role = Role.parse(target)
            except ValueError:
                target_role = None
            if target_role is Role.STOPPED:
                flags.append("disabled")
            elif target_role is Role.UNPROMOTED and self.promotable(rsc):
                flags.append(f"target-role:{target}")
        if rsc.blocked:
            flags.append("blocked")
        elif not rsc.managed:
            flags.append("unmanaged")
        if rsc.failure_ignored:
            flags.append("failure ignored")
        if flags:
            text += f" ({', '.join(flags)})"
        if multiple:
            text += f" [ {' '.join(rsc.running_on)} ]"
        return text

    def failed_probe(self, rsc: ResourceState, node: str | None) -> int | None:
        """The rc of a failed probe of this resource (on ``node``, or anywhere)."""
        top = self.state.top_parent(rsc.id)
        rsc_id = rsc.id
        if rsc.variant is Variant.CLONE and rsc.children:
            first = self.state.resource(rsc.children[0])
            rsc_id = first.config_id if first is not None else rsc.id
        elif top.variant is Variant.CLONE:
            rsc_id = rsc.config_id
        for failed in self.state.failed_ops:
            record = failed.record
            if not failed.is_probe:
                continue
            if not (record.rc in (2, 5) or record.status == 7):
                continue
            # Pacemaker matches the node the record itself names (on_node), so records
            # without one never count
            if record.on_node is None:
                continue
            if node is not None and record.on_node.lower() != node.lower():
                continue
            key = dict(record.extra).get("operation_key") or record.id
            if _op_key_rsc(key) != rsc_id:
                continue
            return record.rc
        return None

    def group(self, rsc: ResourceState, depth: int) -> bool:
        children = self.state.children_of(rsc.id)
        if not children:
            return False
        flags = []
        if not rsc.managed:
            flags.append("unmanaged")
        if self.disabled(rsc):
            flags.append("disabled")
        title = f"Resource Group: {rsc.id}"
        if flags:
            title += f" ({', '.join(flags)})"
        self.lines.header(depth, title)
        for child in children:
            self.primitive(child, depth + 1)
        return True

    def clone(self, rsc: ResourceState, depth: int) -> bool:
        settings = rsc.clone
        assert settings is not None
        header_done = False

        def header() -> None:
            nonlocal header_done
            if header_done:
                return
            header_done = True
            attrs = []
            if settings.promotable:
                attrs.append("promotable")
            if settings.unique:
                attrs.append("unique")
            if not rsc.managed:
                attrs.append("unmanaged")
            if self.disabled(rsc):
                attrs.append("disabled")
            child_id = self.state.children_of(rsc.id)[0].config_id \
                if rsc.children else rsc.id
            title = f"Clone Set: {rsc.id} [{child_id}]"
            if attrs:
                title += f" ({', '.join(attrs)})"
            self.lines.header(depth, title)

        promoted: list[str] = []
        started: list[str] = []
        stopped: dict[str, str] = {}
        for child in self.state.children_of(rsc.id):
            full = False
            partially = self.active(child, False)
            if settings.unique or (self.show_pending and child.pending_task is not None
                  and child.pending_task != "probe"):
                full = True
            elif not partially:
                if not child.orphan:
                    stopped[child.id] = "Stopped"
            elif (self.any_flag(child, "orphan") or not self.all_managed(child)
                  or self.any_flag(child, "failed")):
                full = True
            elif self.active(child, True):
                where = self.locations(child)
                if len(where) == 1:
                    info = self.state.node(where[0])
                    if info is not None and not info.online and info.unclean:
                        full = True
                    elif ROLE_RANK[self.role(child)] > ROLE_RANK[Role.UNPROMOTED]:
                        promoted.append(where[0])
                    else:
                        started.append(where[0])
                else:
                    full = True
            else:
                full = True
            if full:
                header()
                if child.variant is Variant.GROUP:
                    self.group(child, depth + 1)
                else:
                    self.primitive(child, depth + 1)
        active_instances = 0
        if promoted:
            promoted.sort(key=node_name_key)
            header()
            self.lines.item(depth + 1, f"Promoted: [ {' '.join(promoted)} ]")
            active_instances += len(promoted)
        if started:
            started.sort(key=node_name_key)
            header()
            active_instances += len(started)
            if settings.promotable:
                if self.configured_role(rsc) is Role.UNPROMOTED:
                    label = "Unpromoted (target-role)"
                else:
                    label = "Unpromoted"
            else:
                label = "Started"
            self.lines.item(depth + 1, f"{label}: [ {' '.join(started)} ]")
        by_node = not settings.unique and settings.clone_max > active_instances
        if by_node:
            stopped = self.stopped_by_node(rsc)
        if stopped:
            header()
            for status in sorted(set(stopped.values())):
                names = sorted((k for k, v in stopped.items() if v == status),
                               key=node_name_key)
                self.lines.item(depth + 1, f"{status}: [ {' '.join(names)} ]")
        elif active_instances == 0:
            header()  # no instance to show at all: the header alone, as Pacemaker does
        return header_done

    def configured_role(self, rsc: ResourceState) -> Role | None:
        target = rsc.meta.get("target-role")
        if target is None and rsc.children:
            first = self.state.resource(rsc.children[0])
            if first is not None:
                target = first.meta.get("target-role")
        if target is None:
            return None
        try:
            return Role.parse(target)
        except ValueError:
            return None

    def stopped_by_node(self, rsc: ResourceState) -> dict[str, str]:
        nodes = self.allowed_nodes(rsc)
        running = set(rsc.running_on)
        result: dict[str, str] = {}
        disabled = self.configured_role(rsc) is Role.STOPPED
        for name in nodes:
            if name in running:
                continue
            probe = self.failed_probe(rsc, name)
            if probe is not None:
                result[name] = f"Stopped ({rc_text(probe)})"
            else:
                result[name] = "Stopped (disabled)" if disabled else "Stopped"
        return result

    def allowed_nodes(self, rsc: ResourceState) -> list[str]:
        """The nodes Pacemaker has in the clone's allowed list right after unpacking."""
        if self.state.options.symmetric_cluster:
            return sorted((n.name for n in self.state.nodes), key=node_name_key)
        names: set[str] = set()
        for ban in self.state.bans:
            if ban.rsc != rsc.id:
                continue
            if ban.node is None:
                names.update(n.name for n in self.state.nodes)
            else:
                names.add(ban.node)
        if not names:
            names.update(rsc.known_on)
        return sorted(names, key=node_name_key)


def _op_key_rsc(key: str) -> str:
    """The resource part of an operation key ``rsc_task_interval``."""
    parts = key.rsplit("_", 2)
    if len(parts) == 3 and parts[2].isdigit():
        head = parts[0]
        # tasks with an underscore (migrate_to, migrate_from, last_failure …)
        for task in ("migrate", "last", "pre", "post", "confirmed-pre", "confirmed-post"):
            if head.endswith("_" + task):
                return head[: -len(task) - 1]
        return head
    return key



def is_disabled(state: ClusterState, rsc: ResourceState) -> bool:
    """target-role Stopped, or Unpromoted inside a promotable clone (crm_mon's 'disabled')."""
    target = rsc.meta.get("target-role")
    if target is None:
        return False
    try:
        role = Role.parse(target)
    except ValueError:
        return False
    if role is Role.STOPPED:
        return True
    top = state.top_parent(rsc.id)
    return role is Role.UNPROMOTED and top.clone is not None and top.clone.promotable


def primitive_line(state: ClusterState, rsc: ResourceState, node: str | None,
                   show_pending: bool = True) -> str:
    """One primitive as the resource list prints it, without indentation; ``node`` None
    leaves the node out (crm_mon's -n view, where the node is the heading)."""
    return _View(state, Lines(), show_pending).primitive_text(rsc, node)
