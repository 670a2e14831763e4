"""harmd's controller half: the :class:`~harm.control.controller.Controller` wired to the
membership streams, the executor, the CIB file and the control socket.

    membership events ──► ClusterService.on_event ──► Controller (decisions)
    executor results ───► ClusterService.on_results ─┘      │
                                                             ▼
                         ClusterService (Io): messages, executor requests, CIB file, pe-inputs

Control requests served here (JSON over harmd's socket; see docs/operations.md):
``cib``, ``cib-commit``, ``cluster-op``, ``request-status``, ``attribute-query``,
``controller``. A bug or a malformed message never stops the daemon: the error is logged
and counted.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import time
from collections import Counter
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from harm.cib.cib import Cib
from harm.cib.store import load_persisted_cib, persist_cib_xml
from harm.cib.xml_export import cib_to_xml
from harm.control.controller import Controller
from harm.control.wire import Decoder, Encoder
from harm.errors import ControlError, HarmError
from harm.executor import AgentLocator, Executor, NodeContext, OpRequest, ResultInbox
from harm.membership.events import (
    Delivered,
    Event,
    LinkDead,
    LinkUp,
    Lost,
    NodeRestarted,
    ViewChanged,
)
from harm.membership.machine import Membership, Step

log = logging.getLogger("harm.daemon.cluster")

PE_INPUTS_KEPT = 200
CIB_FILE = "cib.xml"


class ClusterService:
    """The controller of this node, with real I/O (it is the controller's ``Io``)."""

    def __init__(
        self,
        membership: Membership,
        apply: Callable[[Step], None],
        state_dir: Path,
        socket_path: Path,
        clock: Callable[[], int],
        initdead_ms: int,
        executor: Executor | None = None,
    ) -> None:
        self.membership = membership
        self._apply = apply
        self.state_dir = state_dir
        self.cib_path = state_dir / CIB_FILE
        self.pe_dir = state_dir / "pe-inputs"
        self._clock = clock
        self.errors: Counter[str] = Counter()
        self.rejected: Counter[str] = Counter()  # inputs the controller failed on, per kind
        self.encoder = Encoder()
        self.decoder = Decoder()
        self.inbox = ResultInbox()
        node = membership.params.node
        if executor is None:
            rsctmp = Path(os.environ.get("HA_RSCTMP") or "/run/resource-agents")
            context = NodeContext(
                uname=node, uuid=node, rsctmp=rsctmp,
                extra_env=(("HARM_SOCKET", str(socket_path)), ("HA_NODENAME", node),
                           ("HA_RSCTMP", str(rsctmp))))
            executor = Executor(context, AgentLocator.default(), self.inbox)
        self.executor = executor
        self._pe_seq = _last_pe_number(self.pe_dir)
        persisted = load_persisted_cib(self.cib_path)  # never stops harmd: see its notes
        for note in persisted.notes:
            log.warning("CIB on disk: %s", note)
        if persisted.notes:
            self.errors[f"cib on disk unusable, started from {persisted.origin}"] += 1
        cib = persisted.cib
        self._links: dict[str, str] = {}
        self.controller = Controller(
            node=node, io=self, cib=cib,
            all_nodes=tuple(name for name, _ in membership.params.votes),
            startup_until=clock() + initdead_ms, defer_publish=True)
        self.controller.on_view(membership.view)
        self.flush()

    # ------------------------------------------------------------------ Io

    def send(self, kind: str, payload: dict[str, Any], dest: str | None = None) -> None:
        for chunk in self.encoder.encode(kind, payload):
            self._apply(self.membership.send(self._clock(), chunk, dest))

    def submit(self, request: OpRequest) -> None:
        try:
            self.executor.submit(request)
        except HarmError as error:
            log.error("cannot run %s: %s", request.key, error)

    def cancel(self, rsc: str, action: str, interval_ms: int) -> None:
        self.executor.cancel(rsc, action, interval_ms)

    def persist(self, cib: Cib, xml: str) -> None:
        try:
            persist_cib_xml(self.cib_path, xml)
        except (OSError, HarmError) as error:
            self.errors["cib not saved"] += 1
            log.error("cannot save the CIB to %s: %s", self.cib_path, error)

    def save_input(self, cib: Cib) -> None:
        """Keep the engine's input as ``pe-inputs/pe-input-N.xml`` (the newest
        :data:`PE_INPUTS_KEPT`), for ``harm simulate --xml-file``."""
        try:
            self.pe_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
            self._pe_seq += 1
            path = self.pe_dir / f"pe-input-{self._pe_seq}.xml"
            tmp = path.with_suffix(".tmp")
            tmp.write_text(cib_to_xml(cib), encoding="utf-8")
            tmp.replace(path)
            old = self._pe_seq - PE_INPUTS_KEPT
            with contextlib.suppress(FileNotFoundError):
                (self.pe_dir / f"pe-input-{old}.xml").unlink()
            log.info("engine input saved as %s", path)
        except OSError as error:
            self.errors["pe-input not saved"] += 1
            log.error("cannot save the engine input: %s", error)

    def now_ms(self) -> int:
        return self._clock()

    def wall(self) -> int:
        return int(time.time())

    # ------------------------------------------------------------------ events

    def _guarded(self, what: str, action: Callable[[], None],
                 kind: str = "membership event") -> None:
        """Run ``action``; what it raises is logged and counted (``kind`` for
        ``inputs_dropped``, ``what`` in ``errors``), never raised to the loop."""
        try:
            action()
        except HarmError as error:
            self.errors[what] += 1
            self.rejected[kind] += 1
            log.warning("%s: %s", what, error)
        except Exception as error:  # a bug must not stop heartbeats: log it and go on
            self.errors[what] += 1
            self.rejected[kind] += 1
            log.error("%s failed: %s: %s", what, type(error).__name__, error)
            log.debug("traceback of %s", what, exc_info=True)

    def refused(self) -> dict[str, int]:
        """Inputs dropped before or by the controller, per kind, for ``inputs_dropped``:
        cluster messages undecodable, malformed, failing or claiming the DC's role."""
        counts = Counter(self.rejected)
        counts["cluster message"] += sum(self.decoder.dropped.values()) + \
            self.controller.ignored
        return dict(counts)

    def on_event(self, event: Event) -> None:
        ctl = self.controller
        if isinstance(event, Delivered):
            message = event.message
            envelope = self.decoder.feed(message.sender, message.body)
            if envelope is not None:
                self._guarded(f"{envelope.kind} from {envelope.sender}",
                              lambda: ctl.on_message(envelope.sender, envelope.kind,
                                                     envelope.payload), "cluster message")
        elif isinstance(event, Lost):
            self.decoder.gap(event.gap.sender)
            self._guarded("gap", lambda: ctl.on_gap(event.gap.sender))
        elif isinstance(event, ViewChanged):
            self._guarded("view change", lambda: ctl.on_view(event.view))
            self._publish_links()
        elif isinstance(event, NodeRestarted):
            self._guarded("restart", lambda: ctl.on_restarted(event.node))
        elif isinstance(event, LinkUp | LinkDead):
            self._publish_links()

    def _publish_links(self) -> None:
        """This node's view of every heartbeat link, as its ``<peer>-<nic>`` attributes."""
        current = self.membership.link_attributes()
        for name, value in current.items():
            if self._links.get(name) != value:
                self._guarded("link attribute", functools.partial(self._set_mine, name, value))
        self._links = current

    def _set_mine(self, name: str, value: str) -> None:
        self.controller.submit_request({"op": "attribute", "node": self.membership.params.node,
                                        "name": name, "value": value, "lifetime": "reboot",
                                        "delay_ms": 0})

    def on_results(self) -> None:
        for result in self.inbox.drain():
            log.info("%s", result.describe())
            self._guarded("result", functools.partial(self.controller.on_result, result),
                          "executor result")
        # after a split the side that runs the primary asks the witness first
        self.membership.witness_priority(self.controller.history.promoted())

    def tick(self) -> None:
        self._guarded("tick", self.controller.tick, "timer")

    def flush(self) -> None:
        """End of a loop turn: what the controller deferred goes out (the DC's CIB once)."""
        self._guarded("flush", self.controller.flush, "timer")

    def next_deadline(self) -> int | None:
        return self.controller.next_deadline()

    # ------------------------------------------------------------------ control requests

    def handlers(self) -> dict[str, Callable[[Mapping[str, Any]], Any]]:
        return {
            "cib": self._cib,
            "cib-commit": self._commit,
            "cluster-op": self._cluster_op,
            "request-status": self._request_status,
            "attribute-query": self._attribute_query,
            "quorum": self._quorum,
            "controller": lambda _r: {**self.controller.status(), "errors": dict(self.errors),
                                      "dropped": dict(self.decoder.dropped)},
        }

    def _cib(self, _request: Mapping[str, Any]) -> dict[str, Any]:
        ctl = self.controller
        view = ctl.view
        return {"xml": cib_to_xml(ctl.cib), "dc": ctl.dc if ctl.settled else None,
                "settled": ctl.settled, "quorate": bool(view and view.quorate)}

    def _quorum(self, _request: Mapping[str, Any]) -> dict[str, Any]:
        """This node's quorum, and what the configuration does without it: what an agent
        asks before it lets a primary go on alone (harm.agents.pgsql)."""
        view = self.controller.view
        policy = self.controller.cib.configuration.property("no-quorum-policy") or "stop"
        witness = self.membership.status(self._clock()).get("witness")
        return {"quorate": bool(view and view.quorate),
                "members": sorted(view.members) if view else [],
                "no_quorum_policy": policy.strip().lower(), "witness": witness}

    def _commit(self, request: Mapping[str, Any]) -> dict[str, Any]:
        xml, base = request.get("xml"), request.get("base")
        if not isinstance(xml, str) or not isinstance(base, list) or len(base) < 2 or \
                not all(isinstance(v, int) for v in base):
            raise ControlError('cib-commit needs "xml" and "base" [admin_epoch, epoch, …]')
        return {"request": self.controller.submit_request(
            {"op": "commit", "xml": xml, "base": list(base)})}

    def _cluster_op(self, request: Mapping[str, Any]) -> dict[str, Any]:
        op = request.get("op")
        if op not in ("attribute", "cleanup", "fail"):
            raise ControlError('cluster-op "op" must be attribute, cleanup or fail')
        payload = {k: v for k, v in request.items() if k != "type"}
        return {"request": self.controller.submit_request(payload)}

    def _request_status(self, request: Mapping[str, Any]) -> dict[str, Any]:
        ident = request.get("request")
        if not isinstance(ident, str):
            raise ControlError('request-status needs "request"')
        pending = self.controller.request_state(ident)
        return {"state": pending.state, "message": pending.message}

    def _attribute_query(self, request: Mapping[str, Any]) -> dict[str, Any]:
        node, name = request.get("node"), request.get("name")
        lifetime = str(request.get("lifetime") or "reboot")
        if not isinstance(node, str) or not isinstance(name, str):
            raise ControlError('attribute-query needs "node" and "name"')
        if lifetime in ("transient", "status"):
            lifetime = "reboot"
        return {"value": self.controller.attribute_value(node, name, lifetime)}

    def close(self) -> None:
        self.executor.close(wait=False)
        self.inbox.close()


def _last_pe_number(folder: Path) -> int:
    numbers = []
    for path in folder.glob("pe-input-*.xml"):
        with contextlib.suppress(ValueError):
            numbers.append(int(path.stem.rsplit("-", 1)[1]))
    return max(numbers, default=0)
