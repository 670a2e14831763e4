"""Step 3: the configured resources, flattened, clones expanded into instances, meta
attributes inherited (Pacemaker's ``unpack_resources``).
"""

from __future__ import annotations

from collections.abc import Mapping

from harm.cib.config import (
    CLONE_INSTANCE_LIMIT,
    Clone,
    Group,
    Primitive,
    Resource,
    Role,
    is_true,
)
from harm.cib.durations import parse_ms
from harm.cib.scores import char2score
from harm.engine.state import (
    CloneSettings,
    Variant,
)
from harm.engine.unpacking.model import (
    _in_clone,
    _is_promotable,
    _parent_promotable,
    _Rsc,
)
from harm.engine.unpacking.nodes import NodesUnpacker


class ResourcesUnpacker(NodesUnpacker):
    """Resources: the configuration tree, flattened, with its instances."""

    def _unpack_resources(self) -> None:
        for resource in self.config.resources:
            rsc = self._build(resource, None)
            self.top.append(rsc)
        # Pacemaker keeps resources sorted by priority, highest first (a stable sort).
        self.top.sort(key=lambda r: -r.priority)

    def _build(self, resource: Resource, parent: _Rsc | None, suffix: str = "") -> _Rsc:
        agent = resource.agent if isinstance(resource, Primitive) else None
        own = self._sets(resource.meta, agent)
        meta = dict(own)
        if parent is not None:
            for key, value in parent.meta.items():
                meta.setdefault(key, value)
        for key, value in self._sets(self.config.rsc_defaults, agent).items():
            meta.setdefault(key, value)
        if isinstance(resource, Primitive):
            rsc = _Rsc(id=resource.id + suffix, config_id=resource.id,
                       variant=Variant.PRIMITIVE, parent=parent, agent=resource.agent,
                       meta=meta, ops=resource.ops)
            params = self._sets(resource.params, agent)
            node = parent
            while node is not None:
                for key, value in node.params.items():
                    params.setdefault(key, value)
                node = node.parent
            rsc.params = params
        elif isinstance(resource, Group):
            rsc = _Rsc(id=resource.id + suffix, config_id=resource.id, variant=Variant.GROUP,
                       parent=parent, meta=meta, params=self._sets(resource.params))
        else:
            rsc = _Rsc(id=resource.id, config_id=resource.id, variant=Variant.CLONE,
                       parent=parent, meta=meta, params=self._sets(resource.params))
        self._common_meta(rsc)
        self.by_id[rsc.id] = rsc
        if isinstance(resource, Group):
            for child in resource.children:
                rsc.children.append(self._build(child, rsc, suffix))
        elif isinstance(resource, Clone):
            rsc.clone = self._clone_settings(resource, meta)
            rsc.unique = rsc.clone.unique
            count = rsc.clone.clone_max if rsc.clone.clone_max > 0 else 0
            for index in range(count):
                self._new_instance(rsc, resource, index, orphan=False)
            if count == 0:
                self._new_instance(rsc, resource, 0, orphan=True)
        return rsc

    def _new_instance(self, clone: _Rsc, resource: Clone, index: int, orphan: bool) -> _Rsc:
        instance = self._build(resource.child, clone, f":{index}")
        for member in instance.walk():
            member.instance = index
            member.orphan = orphan
        clone.children.append(instance)
        clone.total_clones = max(clone.total_clones, index + 1)
        return instance

    def _clone_settings(self, resource: Clone, meta: Mapping[str, str]) -> CloneSettings:
        promotable = resource.promotable

        def count(names: tuple[str, ...], default: int) -> int:
            for name in names:
                if name in meta:
                    try:
                        return max(0, int(meta[name]))
                    except ValueError:
                        return 0
            return default

        unique = is_true(meta.get("globally-unique", "false"))
        node_max = count(("clone-node-max",), 1)
        clone_max = count(("clone-max",), max(1, len(self.config.nodes)))
        if unique:
            children = (resource.child.children if isinstance(resource.child, Group)
                        else (resource.child,))
            for child in children:
                if child.agent.cls.lower() not in ("ocf", "stonith"):
                    self.warnings.append(
                        f"Ignoring globally-unique for {resource.id} because "
                        f"{child.agent.cls} resources such as {child.id} can be used only "
                        "as anonymous clones")
                    unique = False
                    node_max = 1
                    clone_max = min(clone_max, len(self.config.nodes))
                    break
        if not unique and node_max > 1:
            self.warnings.append(
                f"Ignoring clone-node-max for {resource.id} because anonymous clones "
                "support only one instance per node")
            node_max = 1
        # clone-max=2147483648 would make that many instances and exhaust memory: beyond
        # the limit (far more than any cluster can run), instances are not made at all.
        node_max = min(node_max, CLONE_INSTANCE_LIMIT)
        clone_max = min(clone_max, CLONE_INSTANCE_LIMIT)
        return CloneSettings(
            clone_max=clone_max,
            clone_node_max=node_max,
            promotable=promotable,
            promoted_max=count(("promoted-max", "master-max"), 1) if promotable else 0,
            promoted_node_max=count(("promoted-node-max", "master-node-max"), 1)
            if promotable else 0,
            unique=unique,
            interleave=is_true(meta.get("interleave", "false")),
            notify=is_true(meta.get("notify", "false")),
            ordered=is_true(meta.get("ordered", "false")),
        )

    def _common_meta(self, rsc: _Rsc) -> None:
        meta = rsc.meta
        rsc.managed = not self.options.maintenance_mode
        managed = meta.get("is-managed")
        if managed is not None and managed.lower() != "default":
            rsc.managed = is_true(managed)
        if is_true(meta.get("maintenance", "false")) or self.options.maintenance_mode:
            rsc.managed = False
        top = rsc
        while top.parent is not None:
            top = top.parent
        if top.variant is Variant.CLONE or (rsc.parent is not None and _in_clone(rsc)):
            rsc.unique = is_true(meta.get("globally-unique", "false"))
            if top.clone is not None:
                rsc.unique = top.clone.unique
            rsc.promotable = _is_promotable(meta) or _parent_promotable(rsc)
        else:
            rsc.unique = True
        rsc.priority = char2score(meta.get("priority", "0"))
        rsc.stickiness = self.options.default_stickiness
        sticky = meta.get("resource-stickiness")
        if sticky is not None and sticky.lower() != "default":
            rsc.stickiness = char2score(sticky)
        threshold = meta.get("migration-threshold")
        if threshold is not None and threshold.lower() != "default":
            rsc.migration_threshold = char2score(threshold)
            if rsc.migration_threshold < 0:
                rsc.migration_threshold = 1
        timeout = meta.get("failure-timeout")
        if timeout is not None:
            try:
                rsc.failure_timeout_s = parse_ms(timeout) // 1000
            except ValueError:
                self.warnings.append(f"Ignoring invalid failure-timeout {timeout!r} "
                                     f"for {rsc.id}")
        requires = (meta.get("requires") or "").lower()
        is_stonith = rsc.agent is not None and rsc.agent.cls == "stonith"
        if requires in ("quorum", "nothing") or is_stonith:
            rsc.needs_fencing = False
        else:
            rsc.needs_fencing = self.options.stonith_enabled
        target = meta.get("target-role")
        if target is not None and target.strip().lower() != "default":
            try:
                rsc.target_role = Role.parse(target)
            except ValueError:
                self.warnings.append(f"Ignoring invalid target-role {target!r} for {rsc.id}")

