"""Step 1: cluster options (Pacemaker's ``unpack_config``), and how attribute sets are read.
"""

from __future__ import annotations

import re

from harm.cib.cib import Cib
from harm.cib.config import (
    AgentRef,
    NvSet,
    is_true,
    merge_sets,
)
from harm.cib.scores import INFINITY, char2score
from harm.engine.rules import RuleInput, rule_matches
from harm.engine.state import (
    Ban,
    ClearFailcount,
    ClusterOptions,
    FailedOp,
)
from harm.engine.templates import expand
from harm.engine.unpacking.model import (
    _Node,
    _Rsc,
    _seconds,
    _version_lt,
)


class OptionsUnpacker:
    """Holds the working set while one CIB is unpacked (never shared, never kept)."""

    def __init__(self, cib: Cib, now: int) -> None:
        self.cib = cib
        self.config, expanded_warnings = expand(cib.configuration)
        self.now = now
        self.warnings: list[str] = expanded_warnings
        self.bans: list[Ban] = []
        self.clears: list[ClearFailcount] = []
        self.failed_ops: list[FailedOp] = []
        self.expired_locks: list[tuple[str, str]] = []
        self._failure_cache: dict[str, dict[str, list[tuple[str, str]]]] = {}
        self._pattern_cache: dict[tuple[str, bool],
                                  tuple[re.Pattern[str], re.Pattern[str]]] = {}
        self._history_id = ""
        self.options = self._options()
        self.nodes: dict[str, _Node] = {}
        self.node_order: list[str] = []
        self.by_id: dict[str, _Rsc] = {}
        self.top: list[_Rsc] = []
        feature_set = cib.attr("crm_feature_set")
        self.legacy_failcounts = _version_lt(feature_set, "3.0.13")

    # -- 1. options

    def _options(self) -> ClusterOptions:
        config = self.config
        props = self._sets(config.crm_config)

        def flag(name: str, default: bool) -> bool:
            value = props.get(name)
            return default if value is None else is_true(value)

        stonith = flag("stonith-enabled", True)
        policy = (props.get("no-quorum-policy") or "stop").strip().lower()
        if policy not in ("ignore", "freeze", "stop", "demote", "suicide"):
            self.warnings.append(f"Ignoring invalid no-quorum-policy {policy!r}; using 'stop'")
            policy = "stop"
        if policy == "suicide" and not (stonith and (
                self.cib.have_quorum or is_true(self.cib.attr("no-quorum-panic") or "0"))):
            policy = "stop"  # suicide needs fencing, and a cluster that once had quorum
        defaults = self._sets(config.rsc_defaults)
        stickiness = 0
        sticky_text = defaults.get("resource-stickiness") or props.get(
            "default-resource-stickiness")
        if sticky_text is not None:
            stickiness = char2score(sticky_text)
        threshold = INFINITY
        if "migration-threshold" in defaults:
            threshold = char2score(defaults["migration-threshold"])
        return ClusterOptions(
            have_quorum=self.cib.have_quorum,
            no_quorum_policy=policy,
            stonith_enabled=stonith,
            symmetric_cluster=flag("symmetric-cluster", True),
            maintenance_mode=flag("maintenance-mode", False),
            stop_all_resources=flag("stop-all-resources", False),
            stop_orphan_resources=flag("stop-orphan-resources", True),
            stop_orphan_actions=flag("stop-orphan-actions", True),
            start_failure_is_fatal=flag("start-failure-is-fatal", True),
            startup_fencing=flag("startup-fencing", True) if stonith else False,
            placement_strategy=props.get("placement-strategy", "default"),
            default_stickiness=stickiness,
            default_migration_threshold=threshold,
            dc_uuid=self.cib.dc_uuid,
            shutdown_lock=flag("shutdown-lock", False),
            shutdown_lock_limit_s=_seconds(props.get("shutdown-lock-limit", "0")),
            have_fencing=any(p.agent.cls == "stonith" for p in self.config.primitives())
            or is_true(props.get("have-watchdog", "false")),
        )

    def _sets(self, sets: tuple[NvSet, ...], agent: AgentRef | None = None) -> dict[str, str]:
        """Name/value sets merged by :func:`~harm.cib.config.merge_sets`, rules evaluated
        at ``now`` (for that agent)."""
        given = RuleInput(
            now=self.now,
            rsc_class=agent.cls if agent else None,
            rsc_provider=agent.provider if agent else None,
            rsc_type=agent.type if agent else None,
        )
        return merge_sets(sets, lambda nvset: nvset.rule is None
                          or rule_matches(nvset.rule, given))

