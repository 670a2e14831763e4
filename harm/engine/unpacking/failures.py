"""Fail counts and failure-timeout (Pacemaker's ``pe_get_failcount`` and
``check_operation_expiry``).
"""

from __future__ import annotations

import contextlib
import re

from harm.cib.scores import char2score
from harm.cib.status import OpRecord
from harm.engine.state import ClearFailcount
from harm.engine.unpacking.model import (
    _add,
    _base_name,
    _Node,
    _Rsc,
)
from harm.engine.unpacking.resources import ResourcesUnpacker


class FailuresUnpacker(ResourcesUnpacker):
    """Fail counts, read from the transient attributes, and their expiry."""

    def _expired(self, rsc: _Rsc, node: _Node, record: OpRecord, rc: int) -> bool:
        expired = False
        unexpired = 0
        if rsc.failure_timeout_s > 0 and record.last_rc_change is not None:
            if self.now >= record.last_rc_change + rsc.failure_timeout_s:
                expired = True
            unexpired, _ = self._failcount(rsc, node, effective=True)
        clear_reason = None
        if expired and self._failcount(rsc, node, effective=False)[0]:
            if unexpired == 0:
                clear_reason = "it expired"
            else:
                expired = False
        if clear_reason is not None:
            entry = ClearFailcount(rsc.id, node.name, clear_reason)
            if entry not in self.clears:
                self.clears.append(entry)
        if (expired and record.interval_ms == 0 and record.operation == "monitor"
                and rc in (0, 7, 8, 190, 191)):
            expired = False
        return expired

    def _failcount(self, rsc: _Rsc, node: _Node, effective: bool) -> tuple[int, int | None]:
        name = rsc.id if rsc.unique else _base_name(rsc.id)
        relevant = self._failure_attrs(node).get(_base_name(name))
        if not relevant:
            return 0, None
        count_re, last_re = self._failure_patterns(name, rsc.unique)
        count = 0
        last = 0
        for key, value in relevant:
            if count_re.match(key):
                count = _add(count, char2score(value))
            elif last_re.match(key):
                with contextlib.suppress(ValueError):
                    last = max(last, int(value))
        if (effective and count > 0 and last > 0 and rsc.failure_timeout_s
                and not self._blocks(rsc) and self.now > last + rsc.failure_timeout_s):
            count = 0
        return count, (last or None)

    def _failure_attrs(self, node: _Node) -> dict[str, list[tuple[str, str]]]:
        """The node's fail-count-* and last-failure-* attributes by resource base name
        (without operation or instance number), built once per node."""
        cached = self._failure_cache.get(node.name)
        if cached is None:
            cached = {}
            for key, value in node.attrs.items():
                if key.startswith("fail-count-"):
                    rest = key[len("fail-count-"):]
                elif key.startswith("last-failure-"):
                    rest = key[len("last-failure-"):]
                else:
                    continue
                base = _base_name(rest.split("#", 1)[0])
                cached.setdefault(base, []).append((key, value))
            self._failure_cache[node.name] = cached
        return cached

    def _failure_patterns(self, name: str, unique: bool) -> tuple[re.Pattern[str],
                                                                   re.Pattern[str]]:
        """Pacemaker's fail-count and last-failure name patterns for a resource."""
        cached = self._pattern_cache.get((name, unique))
        if cached is None:
            instance = "" if unique else r"(:[0-9]+)?"
            op_pattern = "" if self.legacy_failcounts else r"#.+_[0-9]+"
            cached = (re.compile(f"^fail-count-{re.escape(name)}{instance}{op_pattern}$"),
                      re.compile(f"^last-failure-{re.escape(name)}{instance}{op_pattern}$"))
            self._pattern_cache[(name, unique)] = cached
        return cached

    def _blocks(self, rsc: _Rsc) -> bool:
        return any((op.attr("on-fail") or "").lower() == "block" for op in rsc.ops)

