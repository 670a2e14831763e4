"""The coordinator (DC): owns the CIB of its partition, runs the policy engine, executes
transitions through the nodes' executors.

    events ─► dirty ─► (no transition running) ─► unpack + schedule ─► Graph ─► op messages
      ▲                                                                           │
      └──────── state messages (results) ◄── executors ◄──────────────────────────┘

Events that make the CIB *dirty* (and so a new transition necessary): a membership change,
a node (re)joining, a written attribute, a configuration change, a result other than the
one the transition expected (or any change outside a transition, such as a failed
recurring monitor), a cleanup, and the recheck timer (``cluster-recheck-interval``, or
sooner while a ``failure-timeout`` may expire). A running transition is *aborted* by a new
event: no further action starts, the ones in flight complete, then the engine runs again
on the new state — as Pacemaker's controller does. An action whose result does not come
back within its timeout plus ``cluster-delay`` (60 s) counts as failed.

The status section is rebuilt from the members' own histories (their hellos and state
messages) and the attribute values the coordinator wrote; a node outside the partition has
no history and is offline. Each engine input is saved (deduplicated, bounded) for
``harm simulate``.
"""

from __future__ import annotations

import contextlib
import logging
import time
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from harm import __version__
from harm.cib.cib import Cib
from harm.cib.config import Group, Node, NvSet, Primitive, is_true
from harm.cib.durations import parse_ms
from harm.cib.status import ExecStatus, NodeState, ResourceHistory, Status
from harm.cib.xml_export import cib_to_xml
from harm.cib.xml_import import parse_cib_xml
from harm.control.attrd import AttributeStore, Write
from harm.control.backend import ClusterBackend
from harm.control.codec import request_to_json
from harm.control.failures import (
    counts_as_failure,
    failure_attributes,
    failure_name,
    record_failure,
)
from harm.engine.schedule import schedule
from harm.engine.transition import Action, Transition
from harm.engine.unpack import unpack
from harm.errors import ControlError, HarmError
from harm.executor.request import OpRequest
from harm.fencing.coordination import DcFencing
from harm.graph.order import synapse_order
from harm.graph.runner import Graph, GraphStatus
from harm.operations import attributes as cib_attributes
from harm.operations import tickets as cib_tickets
from harm.operations.attributes import Lifetime

if TYPE_CHECKING:
    from harm.control.controller import Controller, Hello

log = logging.getLogger("harm.control.dc")

CLUSTER_DELAY_MS = 60_000
JOIN_TIMEOUT_MS = 10_000
DEFAULT_RECHECK_MS = 15 * 60_000
ENGINE_BACKOFF_MS = 1_000  # first retry after an engine failure; doubles up to the max
ENGINE_BACKOFF_MAX_MS = 60_000
FEATURE_SET = "3.16.1"  # Pacemaker 2.1.5's: its tools refuse to update a CIB with a newer one


@dataclass
class _InFlight:
    action: Action
    node: str
    deadline: int


def newest(cibs: list[Cib]) -> Cib:
    """The CIB with the newest configuration (admin_epoch, epoch, num_updates)."""
    return max(cibs, key=lambda c: c.version)


def primitives_under(cib: Cib, rsc: str) -> list[str]:
    """The primitive ids a resource id stands for (itself, or a group's or clone's)."""
    found = cib.configuration.find_resource(rsc.split(":", 1)[0])
    if found is None:
        return [rsc]
    if isinstance(found, Primitive):
        return [found.id]
    if isinstance(found, Group):
        return [p.id for p in found.children]
    child = found.child
    if isinstance(child, Group):
        return [p.id for p in child.children]
    return [child.id]


class Coordinator:
    """The DC role of a :class:`~harm.control.controller.Controller`."""

    def __init__(self, controller: Controller) -> None:
        self.ctl = controller
        self.io = controller.io
        self.lrm: dict[str, tuple[ResourceHistory, ...]] = {}
        self.attrs: dict[str, dict[str, str]] = {}
        self.store = AttributeStore()
        self.dirty = True
        self.tid = 0
        self.graph: Graph | None = None
        self.transition: Transition | None = None
        self.inflight: dict[int, _InFlight] = {}
        self.next_recheck = 0
        self.transitions_run = 0
        self.last_input: Cib | None = None
        self.published: Cib | None = None
        self.joining: set[str] = set()
        self.join_deadline = 0
        self._publish_due = False
        self._publish_force = False
        self._replies: list[tuple[str, str, bool, str | None]] = []
        self.engine_error: str | None = None  # why the engine failed on the current CIB
        self.engine_backoff_ms = 0
        self.engine_retry_at = 0
        self.engine_failures = 0
        self.fencing = DcFencing(self)

    # ------------------------------------------------------------------ role changes

    @property
    def members(self) -> frozenset[str]:
        view = self.ctl.view
        return view.members if view is not None else frozenset({self.ctl.node})

    @property
    def joined(self) -> frozenset[str]:
        """Members that told this DC their history and take it for DC: only they are
        online for the engine and get actions. A member still joining holds back new
        transitions for up to :data:`JOIN_TIMEOUT_MS` (its resources are not known yet),
        then counts as offline."""
        return frozenset(n for n in self.members if n in self.lrm and n not in self.joining)

    def _expect_join(self, node: str) -> None:
        if not self.joining:
            self.join_deadline = self.io.now_ms() + JOIN_TIMEOUT_MS
        self.joining.add(node)

    def take_over(self) -> None:
        """Become DC: newest configuration, status rebuilt from the members' hellos."""
        cibs = [self.ctl.cib] + [h.cib for h in self.ctl.hellos.values()]
        base = newest(cibs)
        if base is not self.ctl.cib:
            log.info("taking the newer configuration %s from a member", base.version)
        self.ctl.cib = replace(self.ctl.cib, configuration=base.configuration,
                               admin_epoch=base.admin_epoch, epoch=base.epoch,
                               num_updates=max(base.num_updates, self.ctl.cib.num_updates))
        self.fencing.take_over(self.ctl.cib, self.members,
                               [h.cib for h in self.ctl.hellos.values()])
        for node in self.members:
            if node == self.ctl.node:
                self.lrm[node] = self.ctl.history.resources()
                self.attrs[node] = _attrs_of(self.ctl.cib.status.node(node))
            else:
                hello = self.ctl.hellos[node]
                self._from_hello(node, hello, keep_attrs=False)
        self._config_nodes()
        self.dirty = True
        self.publish(force=True)
        self._run()

    def resign(self) -> None:
        """Another node is DC now: stop executing (actions in flight finish on their own)."""
        if self.graph is not None:
            self.graph.aborted = True
        self.graph = None
        self.inflight.clear()

    def membership_changed(self) -> None:
        gone = [n for n in self.lrm if n not in self.members]
        for node in gone:
            if self.fencing.active:
                self.fencing.node_lost(node, self.lrm.get(node, ()))
            else:
                log.info("%s left the partition: its resources are considered stopped", node)
            self.fencing.lose_runner(node)
            self.lrm.pop(node, None)
            self.attrs.pop(node, None)
            self.store.forget_node(node)
            self._lose_actions_on(node)
        self.joining &= set(self.members)
        for node in self.members:
            self.fencing.node_back(node)
            if node in self.lrm or node == self.ctl.node:
                continue
            hello = self.ctl.hellos.get(node)
            if hello is not None and hello.dc == self.ctl.node:
                self._from_hello(node, hello, keep_attrs=True)
            else:
                self._expect_join(node)
        self._config_nodes()
        self._changed("membership changed")

    def hello(self, sender: str, hello: Hello) -> None:
        if sender not in self.members:
            return
        if hello.cib.version > self.ctl.cib.version and \
                hello.cib.configuration != self.ctl.cib.configuration:
            log.info("%s has a newer configuration %s: adopting it", sender, hello.cib.version)
            self.ctl.cib = replace(self.ctl.cib, configuration=hello.cib.configuration,
                                   admin_epoch=hello.cib.admin_epoch, epoch=hello.cib.epoch,
                                   num_updates=hello.cib.num_updates)
        if hello.dc != self.ctl.node:
            self._expect_join(sender)  # it does not take this node for DC (yet)
            return
        self.joining.discard(sender)
        self._from_hello(sender, hello, keep_attrs=True)
        self._changed(f"{sender} joined")

    def node_restarted(self, node: str) -> None:
        self.fencing.lose_runner(node)  # a fence it ran died with its harmd
        self.lrm[node] = ()
        self._expect_join(node)
        self._lose_actions_on(node)
        self._changed(f"harmd on {node} restarted")

    def _from_hello(self, node: str, hello: Hello, keep_attrs: bool) -> None:
        state = hello.cib.status.node(node)
        self.lrm[node] = state.resources if state else ()
        if not keep_attrs or node not in self.attrs:
            # a node is the authority on its own transient attributes: a partition that
            # merges brings them back (as Pacemaker's attribute managers resynchronise);
            # a node that restarted has none (the controller drops them when it starts)
            self.attrs[node] = _attrs_of(state)

    def _config_nodes(self) -> None:
        self.ctl.cib = stamp_properties(ensure_nodes(self.ctl.cib, self.members))

    # ------------------------------------------------------------------ node reports

    def node_state(self, sender: str, payload: dict[str, Any]) -> None:
        if sender not in self.members:
            return
        xml = payload.get("cib")
        if not isinstance(xml, str):
            raise ControlError("malformed state message")
        state = parse_cib_xml(xml, f"state from {sender}").status.node(sender)
        self.lrm[sender] = state.resources if state else ()
        info = payload.get("result")
        expected = False
        if isinstance(info, dict):
            expected = self._result(sender, info)
        if not expected:
            self._changed(f"new history from {sender}")
        else:
            self.publish()
            self._run()

    def _result(self, node: str, info: dict[str, Any]) -> bool:
        """Account for one result; True when it is the expected result of an action of the
        running transition (nothing else to do)."""
        rc, status, target = info.get("rc"), info.get("status"), info.get("target_rc")
        action, interval, rsc = info.get("action"), info.get("interval_ms"), info.get("rsc")
        if not (isinstance(rc, int) and isinstance(status, int) and isinstance(target, int)
                and isinstance(action, str) and isinstance(interval, int)
                and isinstance(rsc, str)):
            raise ControlError("malformed result")
        if counts_as_failure(action, interval, rc, status, target):
            fatal = action == "start" and self._start_failure_is_fatal()
            name = failure_name(rsc) if info.get("anonymous") else rsc
            attrs = self.attrs.setdefault(node, {})
            attrs.update(record_failure(attrs, name, action, interval, self.io.wall(), fatal))
            log.warning("%s %s on %s failed: rc=%s status=%s%s", rsc, action, node, rc,
                        status, f" ({info.get('exit_reason')})" if info.get("exit_reason")
                        else "")
        if status == ExecStatus.CANCELLED:
            return True  # a recurring operation stopped on purpose (a stop, a cancel)
        key = info.get("key")
        ok = status == 0 and rc == target
        if not isinstance(key, str) or self.graph is None:
            return False
        parts = key.split(":")
        if len(parts) != 4 or not parts[0].isdigit() or parts[1] != str(self.tid):
            return False
        action_id = int(parts[0])
        flight = self.inflight.pop(action_id, None)
        if flight is None:
            return False  # a repeat report of a recurring operation, already confirmed
        self.graph.confirm(action_id, failed=not ok)
        if not ok:
            log.info("transition %d aborted: %s on %s returned rc=%s (expected %s)",
                     self.tid, flight.action.key, node, rc, target)
        return ok

    def _lose_actions_on(self, node: str) -> None:
        for action_id, flight in list(self.inflight.items()):
            if flight.node == node:
                del self.inflight[action_id]
                if self.graph is not None:
                    self.graph.confirm(action_id, failed=True)

    def _start_failure_is_fatal(self) -> bool:
        value = self.ctl.cib.configuration.property("start-failure-is-fatal")
        return value is None or is_true(value)

    # ------------------------------------------------------------------ operator requests

    def request(self, origin: str, message: dict[str, Any]) -> None:
        ident = message.get("id")
        if not isinstance(ident, str):
            raise ControlError("a request needs an id")
        if message.get("op") == "fence":  # answered when the fence has ended
            try:
                self.fencing.operator_request(origin, ident, message)
            except HarmError as error:
                self._reply(origin, ident, False, str(error))
            return
        before = self.ctl.cib.epoch
        try:
            self._apply_request(message)
        except HarmError as error:
            self._reply(origin, ident, False, str(error))
            return
        if self.ctl.cib.epoch != before:  # who changed the configuration, and when
            stamp = time.strftime("%a %b %d %H:%M:%S %Y", time.localtime(self.io.wall()))
            extra = dict(self.ctl.cib.extra)
            extra.update({"cib-last-written": stamp, "update-origin": origin,
                          "update-client": "harm"})
            self.ctl.cib = replace(self.ctl.cib, extra=tuple(extra.items()))
        self.publish()
        self._reply(origin, ident, True, None)
        self._run()

    def _apply_request(self, message: dict[str, Any]) -> None:
        op = message.get("op")
        if op == "commit":
            self._commit(message)
        elif op == "attribute":
            node, name = _field(message, "node"), _field(message, "name")
            value = message.get("value")
            if value is not None and not isinstance(value, str):
                raise ControlError("attribute value must be text or null")
            lifetime = Lifetime.parse(str(message.get("lifetime") or "reboot"))
            delay = message.get("delay_ms") or 0
            if not isinstance(delay, int):
                raise ControlError("delay_ms must be an integer")
            self.update_attribute(node, name, value, lifetime, delay)
        elif op == "ticket":
            ticket, what = _field(message, "ticket"), _field(message, "change")
            before = self.ctl.cib
            self.ctl.cib = cib_tickets.change(before, ticket, what, self.io.wall())
            if self.ctl.cib is not before:
                self._changed(f"ticket {ticket}: {what}")
        elif op == "cleanup":
            rsc, where = message.get("rsc"), message.get("node")
            self.cleanup(rsc if isinstance(rsc, str) else None,
                         where if isinstance(where, str) else None)
        elif op == "fail":
            target = _field(message, "node")
            if target not in self.members:
                raise ControlError(f"{target} is not a member of this partition")
            rsc_id = _field(message, "rsc")
            task = str(message.get("action") or "monitor")
            interval, rc = int(message.get("interval_ms") or 0), int(message.get("rc") or 1)
            payload = {"rsc": rsc_id, "action": task, "interval_ms": interval, "rc": rc}
            if target == self.ctl.node:
                self.ctl.inject_failure(rsc_id, task, interval, rc)
            else:
                self.io.send("fail", payload, target)
        else:
            raise ControlError(f"unknown request {op!r}")

    def _commit(self, message: dict[str, Any]) -> None:
        xml, base = message.get("xml"), message.get("base")
        if not isinstance(xml, str) or not isinstance(base, list) or len(base) < 2:
            raise ControlError("commit needs the CIB xml and its base version")
        current = self.ctl.cib
        if [current.admin_epoch, current.epoch] != [int(base[0]), int(base[1])]:
            raise ControlError(
                f"the configuration changed meanwhile (now {current.admin_epoch}."
                f"{current.epoch}, the change was based on {base[0]}.{base[1]})")
        wanted = parse_cib_xml(xml, "committed CIB")
        self.ctl.cib = current.with_configuration(wanted.configuration)
        if self.ctl.cib is not current:
            log.info("configuration %d.%d committed", self.ctl.cib.admin_epoch,
                     self.ctl.cib.epoch)
        self._config_nodes()
        self._changed("configuration changed")

    def update_attribute(self, node: str, name: str, value: str | None, lifetime: Lifetime,
                         delay_ms: int = 0) -> None:
        if lifetime is Lifetime.FOREVER:
            before = self.ctl.cib
            self.ctl.cib = cib_attributes.update(self.ctl.cib, node, name, value, lifetime)
            if self.ctl.cib is not before:
                self._changed(f"attribute {name} of {node}")
            return
        if node not in self.members and node not in self.attrs:
            raise ControlError(f"{node} is not a member of this partition")
        self._write(self.store.update(self.io.now_ms(), node, name, value, lifetime, delay_ms))

    def _write(self, writes: list[Write]) -> None:
        for write in writes:
            attrs = self.attrs.setdefault(write.node, {})
            if write.value is None:
                attrs.pop(write.name, None)
            else:
                attrs[write.name] = write.value
        if writes:
            self._changed("attributes written")

    def attribute_value(self, node: str, name: str, lifetime: str) -> str | None:
        life = Lifetime.parse(lifetime)
        pending = self.store.query(node, name, life)
        if pending is not None or (node, name, life) in self.store.entries:
            return pending
        if life is Lifetime.FOREVER:
            configured = self.ctl.cib.configuration.node_by_uname(node)
            return configured.attribute(name) if configured else None
        return self.attrs.get(node, {}).get(name)

    def cleanup(self, rsc: str | None, node: str | None) -> None:
        nodes = [node] if node is not None else sorted(self.members)
        names = primitives_under(self.ctl.cib, rsc) if rsc is not None else [None]
        for target in nodes:
            attrs = self.attrs.get(target, {})
            for name in names:
                for key in failure_attributes(attrs, name):
                    attrs.pop(key, None)
                self.lrm[target] = tuple(
                    h for h in self.lrm.get(target, ())
                    if name is not None and h.id.split(":", 1)[0] != name)
                if target == self.ctl.node:
                    self.ctl.history.forget(name)
                elif target in self.members:
                    self.io.send("forget", {"rsc": name}, target)
        self._changed("cleanup")

    def _reply(self, origin: str, ident: str, ok: bool, message: str | None) -> None:
        if self.ctl.defer_publish:  # after the CIB that carries the result (see flush)
            self._replies.append((origin, ident, ok, message))
            return
        self._send_reply(origin, ident, ok, message)

    def _send_reply(self, origin: str, ident: str, ok: bool, message: str | None) -> None:
        if origin == self.ctl.node:
            self.ctl.replied(ident, ok, message)
        else:
            self.io.send("reply", {"id": ident, "ok": ok, "message": message}, origin)

    # ------------------------------------------------------------------ the CIB

    def build(self) -> Cib:
        """The CIB as this DC knows it now."""
        cib = self.ctl.cib
        order = [n.uname for n in cib.configuration.nodes]
        order += sorted(n for n in self.members if n not in order)
        nodes = []
        for uname in order:
            configured = cib.configuration.node_by_uname(uname)
            node_id = configured.id if configured else uname
            shown = uname in self.joining and self.io.now_ms() < self.join_deadline
            unclean = self.fencing.node_state(uname, node_id) \
                if uname not in self.members else None
            if unclean is not None:
                nodes.append(unclean)
            elif uname in self.joined or (shown and uname in self.members):
                attrs = self.attrs.get(uname, {})
                sets = (NvSet(f"status-{node_id}", tuple(sorted(attrs.items()))),) \
                    if attrs else ()
                nodes.append(NodeState(
                    id=node_id, uname=uname, in_ccm=True, crmd="online", join="member",
                    expected="member", transient_attributes=sets,
                    resources=self.lrm.get(uname, ())))
            else:
                nodes.append(NodeState(id=node_id, uname=uname, in_ccm=False, crmd="offline",
                                       join="down", expected="down"))
        view = self.ctl.view
        extra = dict(cib.extra)
        extra["crm_feature_set"] = FEATURE_SET
        built = replace(cib, have_quorum=bool(view.quorate) if view else False,
                        dc_uuid=self.node_id(self.ctl.node), extra=tuple(extra.items()))
        return built.with_status(Status(nodes=tuple(nodes), tickets=cib.status.tickets,
                                        fencing=tuple(self.fencing.history),
                                        extra_sections=cib.status.extra_sections))

    def node_id(self, uname: str) -> str:
        configured = self.ctl.cib.configuration.node_by_uname(uname)
        return configured.id if configured else uname

    def publish(self, force: bool = False) -> None:
        """Send the CIB to every member if it changed (or when ``force``); with the
        controller's ``defer_publish``, once at the next :meth:`flush` instead."""
        if self.ctl.defer_publish:
            self._publish_due = True
            self._publish_force = self._publish_force or force
            return
        self._publish_now(force)

    def flush(self) -> None:
        """The deferred CIB (one per turn of the daemon loop, however many events), then
        the replies that waited for it."""
        if self._publish_due:
            force, self._publish_due, self._publish_force = self._publish_force, False, False
            self._publish_now(force)
        replies, self._replies = self._replies, []
        for reply in replies:
            self._send_reply(*reply)

    def _publish_now(self, force: bool) -> None:
        built = self.build()
        self.ctl.cib = built
        if not force and self.published is not None and built == self.published:
            return
        self.published = built
        xml = cib_to_xml(built)
        self.io.persist(built, xml)
        self.io.send("cib", {"xml": xml})

    def _changed(self, why: str) -> None:
        if not self.dirty:
            log.debug("recompute: %s", why)
        self.dirty = True
        self.engine_retry_at = 0  # a change may be the fix: no waiting for the backoff
        if self.graph is not None and not self.graph.aborted:
            log.info("transition %d aborted: %s", self.tid, why)
            self.graph.aborted = True
        self.publish()
        self._run()

    # ------------------------------------------------------------------ transitions

    def _run(self) -> None:
        """Advance the running transition, or start a new one if the CIB is dirty."""
        if self.graph is not None:
            status = _advance(self.graph)
            if status is GraphStatus.ACTIVE:
                return
            log.info("transition %d %s", self.tid,
                     "complete" if status is GraphStatus.COMPLETE and not self.graph.aborted
                     else "stopped")
            if self.graph.aborted:
                self.dirty = True
            self.graph = None
            self.publish()
        if not self.dirty:
            return
        if self.joining and self.io.now_ms() < self.join_deadline:
            return  # wait until every member has joined (or the join timeout)
        if self.fencing.waiting:
            return  # a fence the previous DC started is still under way
        if self.joining:
            log.warning("%s did not join in time: treated as offline",
                        ", ".join(sorted(self.joining)))
        if self.io.now_ms() < self.engine_retry_at:
            return  # the engine failed on this CIB: retried at engine_retry_at
        cib = self.build()
        now = self.io.wall()
        self._save_input(cib)
        try:
            state = unpack(cib, now)
            transition = schedule(state, now)
            order = synapse_order(transition, state)
            graph = Graph.from_transition(transition, order,
                                          ClusterBackend(self, cib, state, transition))
            summary = "; ".join(line.strip() for line in transition.summary_lines())
        except Exception as error:  # an engine bug must not stop the DC
            self._engine_failed(error)
            return
        if self.engine_error is not None:
            log.info("scheduler succeeded again after: %s", self.engine_error)
        self.engine_error, self.engine_backoff_ms, self.engine_retry_at = None, 0, 0
        self.dirty = False  # only now: a CIB the engine could not schedule stays dirty
        self.next_recheck = self.io.now_ms() + self._recheck_ms(cib, transition, now)
        if not order:
            log.debug("nothing to do")
            return
        self.tid += 1
        self.transitions_run += 1
        self.transition = transition
        log.info("transition %d: %d actions (%s)", self.tid, len(order),
                 summary or "monitors only")
        self.graph = graph
        self._run()

    def _engine_failed(self, error: Exception) -> None:
        """The engine raised on this CIB: say so, keep the CIB dirty, and try again after
        a backoff (1 s doubling to 60 s) or at the next change, whichever comes first."""
        self.engine_backoff_ms = min(ENGINE_BACKOFF_MAX_MS,
                                     max(ENGINE_BACKOFF_MS, self.engine_backoff_ms * 2))
        self.engine_retry_at = self.io.now_ms() + self.engine_backoff_ms
        self.next_recheck = self.engine_retry_at  # the timer that wakes the retry up
        self.engine_failures += 1
        self.engine_error = f"{type(error).__name__}: {error}"
        log.error("scheduler failed: %s (retrying in %d s; its input is the last pe-input "
                  "saved)", self.engine_error, self.engine_backoff_ms // 1000,
                  exc_info=error)

    def engine_status(self) -> str | None:
        """``scheduler failed: … (retrying in N s)`` while the engine fails, else None."""
        if self.engine_error is None:
            return None
        left_s = max(0, self.engine_retry_at - self.io.now_ms()) // 1000
        return f"scheduler failed: {self.engine_error} (retrying in {left_s} s)"

    def _save_input(self, cib: Cib) -> None:
        """Save the engine's input unless it equals the last one saved (num_updates aside);
        the comparison is on the frozen model, so the CIB is serialised once, by the Io."""
        key = replace(cib, num_updates=0)
        if key != self.last_input:
            self.last_input = key
            self.io.save_input(cib)

    def _recheck_ms(self, cib: Cib, transition: Transition, now: int) -> int:
        """Until the next scheduling run without an event: ``cluster-recheck-interval``,
        or sooner when the engine says the state changes by itself (``recheck_by``)."""
        recheck = DEFAULT_RECHECK_MS
        text = cib.configuration.property("cluster-recheck-interval")
        if text:
            with contextlib.suppress(ValueError):
                recheck = parse_ms(text) or DEFAULT_RECHECK_MS
        if transition.recheck_by is not None:
            recheck = min(recheck, max(1000, (transition.recheck_by - now) * 1000))
        return recheck

    def dispatch(self, action: Action, request: OpRequest) -> None:
        node = action.node or ""
        deadline = self.io.now_ms() + request.timeout_ms + request.start_delay_ms \
            + CLUSTER_DELAY_MS
        self.inflight[action.id] = _InFlight(action, node, deadline)
        if node == self.ctl.node:
            self.io.submit(request)
        else:
            self.io.send("op", {"request": request_to_json(request)}, node)

    def tick(self) -> None:
        now = self.io.now_ms()
        self._write(self.store.tick(now))
        self.fencing.tick(now)
        for action_id, flight in list(self.inflight.items()):
            if now >= flight.deadline:
                log.warning("transition %d: no result for %s on %s in time", self.tid,
                            flight.action.key, flight.node)
                del self.inflight[action_id]
                if self.graph is not None:
                    self.graph.confirm(action_id, failed=True)
                self.dirty = True
        if self.graph is None and now >= self.next_recheck:
            self.dirty = True
        if self.joining and now >= self.join_deadline:
            self.dirty = True
        self._run()

    def next_deadline(self) -> int:
        times = [self.next_recheck]
        if self.joining:
            times.append(self.join_deadline)
        pending = self.store.next_deadline()
        if pending is not None:
            times.append(pending)
        times += [f.deadline for f in self.inflight.values()]
        fencing = self.fencing.next_deadline()
        if fencing is not None:
            times.append(fencing)
        return min(times)

    def describe(self) -> dict[str, Any]:
        return {"id": self.tid, "running": self.graph is not None,
                "in_flight": sorted(f.action.key + "@" + f.node for f in self.inflight.values()),
                "transitions": self.transitions_run,
                "scheduler": self.engine_status(), "scheduler_failures": self.engine_failures}


def ensure_nodes(cib: Cib, members: frozenset[str]) -> Cib:
    """Every member has a ``<node>`` entry in the configuration (Pacemaker adds joining
    nodes the same way)."""
    missing = [m for m in sorted(members) if cib.configuration.node_by_uname(m) is None]
    if not missing:
        return cib
    nodes = cib.configuration.nodes + tuple(Node(id=m, uname=m) for m in missing)
    return cib.with_configuration(replace(cib.configuration, nodes=nodes))


def stamp_properties(cib: Cib) -> Cib:
    """``cluster-infrastructure`` and ``dc-version`` in the cluster properties, as
    Pacemaker's DC writes them (crm_mon shows them as "Stack" and the DC's version)."""
    wanted = {"cluster-infrastructure": "harm", "dc-version": f"harm-{__version__}"}
    config = cib.configuration
    if all(config.property(name) == value for name, value in wanted.items()):
        return cib
    sets = list(config.crm_config)
    index = next((i for i, s in enumerate(sets) if s.rule is None), None)
    if index is None:
        sets.insert(0, NvSet("cib-bootstrap-options"))
        index = 0
    pairs = dict(sets[index].pairs)
    pairs.update(wanted)
    sets[index] = replace(sets[index], pairs=tuple(pairs.items()))
    return cib.with_configuration(replace(config, crm_config=tuple(sets)))


def _advance(graph: Graph) -> GraphStatus:
    """Fire everything that can fire now (pseudo-actions complete at once, so one pass can
    make the next one ready)."""
    while True:
        fired = sum(1 for s in graph.synapses if s.fired)
        status = graph.step()
        if status is not GraphStatus.ACTIVE or sum(1 for s in graph.synapses if s.fired) == fired:
            return status


def _attrs_of(state: NodeState | None) -> dict[str, str]:
    if state is None:
        return {}
    attrs: dict[str, str] = {}
    for nvset in state.transient_attributes:
        for name, value in nvset.pairs:
            attrs.setdefault(name, value)
    return attrs


def _field(message: dict[str, Any], name: str) -> str:
    value = message.get(name)
    if not isinstance(value, str) or not value:
        raise ControlError(f"the request needs {name!r}")
    return value
