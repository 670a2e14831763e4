"""What the coordinator asks a node's executor to do: one operation on one resource.

An :class:`OpRequest` is a frozen value. Everything the agent will see in its environment is
derived from it (:mod:`harm.executor.environment`), and everything recorded about the call
(:class:`harm.executor.result.OpResult`) points back to it, so a request can be logged,
compared and replayed.

    OpRequest
     ├── rsc, agent, action, interval_ms, timeout_ms, role
     ├── params ............ instance attributes  → OCF_RESKEY_<name>
     ├── meta .............. other meta attributes → OCF_RESKEY_CRM_meta_<name>
     ├── clone: CloneInfo … clone / promotable meta (clone, clone_max, promoted_max …)
     └── notify: NotifyInfo  the notify_* variables of a notify action
"""

from __future__ import annotations

from dataclasses import dataclass, field

from harm.cib.config import AgentRef, Pairs, Role

ACTIONS = (
    "start",
    "stop",
    "monitor",
    "promote",
    "demote",
    "notify",
    "meta-data",
    "validate-all",
    "reload",
    "reload-agent",
    "migrate_to",
    "migrate_from",
)
DEFAULT_TIMEOUT_MS = 20_000
_COMPLETED = {"start": "running", "stop": "stopped", "promote": "promoted", "demote": "demoted"}


@dataclass(frozen=True)
class CloneInfo:
    """The clone meta attributes Pacemaker passes to each instance of a clone."""

    instance: int | None = None  # CRM_meta_clone
    clone_max: int = 1
    clone_node_max: int = 1
    promotable: bool = False
    promoted_max: int = 1
    promoted_node_max: int = 1
    notify: bool = False
    globally_unique: bool = False

    def meta(self) -> Pairs:
        """The ``CRM_meta_*`` names (without the prefix) and values, as Pacemaker sets them."""
        pairs: list[tuple[str, str]] = []
        if self.instance is not None:
            pairs.append(("clone", str(self.instance)))
        pairs += [
            ("clone_max", str(self.clone_max)),
            ("clone_node_max", str(self.clone_node_max)),
            ("notify", _bool(self.notify)),
            ("globally_unique", _bool(self.globally_unique)),
        ]
        if self.promotable:
            pairs += [
                ("promoted_max", str(self.promoted_max)),
                ("promoted_node_max", str(self.promoted_node_max)),
                # the pre-2.1 names, still read by many agents (pgsql among them)
                ("master_max", str(self.promoted_max)),
                ("master_node_max", str(self.promoted_node_max)),
            ]
        return tuple(pairs)


@dataclass(frozen=True)
class Peer:
    """One clone instance in a notification list: ``r_pgsql:1`` on ``node2``."""

    resource: str
    uname: str


@dataclass(frozen=True)
class NotifyInfo:
    """The notification a ``notify`` action delivers (Pacemaker's ``notify_*`` meta).

    ``kind`` is ``pre`` or ``post``, ``operation`` the clone action being notified about
    (``start stop promote demote``). Each list holds the instances concerned, with the node
    each one is (or will be) on.
    """

    kind: str
    operation: str
    start: tuple[Peer, ...] = ()
    stop: tuple[Peer, ...] = ()
    promote: tuple[Peer, ...] = ()
    demote: tuple[Peer, ...] = ()
    active: tuple[Peer, ...] = ()
    inactive: tuple[Peer, ...] = ()
    promoted: tuple[Peer, ...] = ()
    unpromoted: tuple[Peer, ...] = ()
    available_unames: tuple[str, ...] = ()
    all_unames: tuple[str, ...] = ()

    def meta(self) -> Pairs:
        """``notify_*`` names (without ``CRM_meta_``) and their values, as Pacemaker 2.1's
        scheduler builds them: each list sorted by instance id (then node), one entry per
        instance, words separated by one space, and an empty list given as a single space.
        ``promoted``/``unpromoted`` are also given under their old names ``master``/``slave``,
        which pgsql and most agents of the resource-agents era read; the inactive list has
        no node names.
        """
        pairs: list[tuple[str, str]] = [
            ("notify_type", self.kind),
            ("notify_operation", self.operation),
            ("notify_key_type", self.kind),
            # the clone pseudo-action it belongs to: post ones are named after the
            # completed action (post-notification of start: ``running``)
            ("notify_key_operation", _COMPLETED.get(self.operation, self.operation)
             if self.kind == "post" else self.operation),
        ]
        lists = (
            ("stop", self.stop),
            ("start", self.start),
            ("demote", self.demote),
            ("promote", self.promote),
            ("active", self.active),
            ("unpromoted", self.unpromoted),
            ("slave", self.unpromoted),
            ("promoted", self.promoted),
            ("master", self.promoted),
        )
        for name, peers in lists:
            resources, unames = _expand(peers)
            pairs.append((f"notify_{name}_resource", resources))
            pairs.append((f"notify_{name}_uname", unames))
        pairs.append(("notify_inactive_resource", _expand(self.inactive)[0]))
        pairs.append(("notify_available_uname", _words(self.available_unames)))
        pairs.append(("notify_all_uname", _words(self.all_unames)))
        return tuple(pairs)


def _expand(peers: tuple[Peer, ...]) -> tuple[str, str]:
    """Instance ids and their nodes as two word lists (sorted, one entry per instance)."""
    seen: set[str] = set()
    resources: list[str] = []
    unames: list[str] = []
    for peer in sorted(peers, key=lambda p: (p.resource, p.uname)):
        if peer.resource in seen:
            continue
        seen.add(peer.resource)
        resources.append(peer.resource)
        unames.append(peer.uname)
    return _words(resources), _words(unames)


def _words(words: tuple[str, ...] | list[str]) -> str:
    return " ".join(words) if words else " "


@dataclass(frozen=True)
class OpRequest:
    """One operation to run on this node.

    ``rsc`` is the resource id as the agent sees it (``r_pgsql:0`` for a clone instance).
    ``interval_ms`` > 0 makes a recurring operation (a monitor, normally): it runs at once,
    then every interval until cancelled, and reports its first result and every change.
    ``transition_key`` is the coordinator's label for the action, echoed in the result;
    ``target_rc`` the exit code it expects (anything else makes the result a failure).
    """

    rsc: str
    agent: AgentRef
    action: str
    interval_ms: int = 0
    timeout_ms: int = DEFAULT_TIMEOUT_MS
    params: Pairs = ()
    meta: Pairs = ()
    role: Role | None = None
    clone: CloneInfo | None = None
    notify: NotifyInfo | None = None
    transition_key: str | None = None
    target_rc: int = 0  # the rc the coordinator expects; 7 for a probe of a stopped resource
    op_params: Pairs = field(default=())  # op-level instance attributes (OCF_CHECK_LEVEL …)
    start_delay_ms: int = 0  # the op's start-delay: wait this long before the (first) run

    def __post_init__(self) -> None:
        if self.action not in ACTIONS:
            raise ValueError(f"unknown agent action {self.action!r}")
        if self.interval_ms < 0 or self.timeout_ms <= 0 or self.start_delay_ms < 0:
            raise ValueError(
                "interval and start delay must be >= 0 and timeout > 0 (milliseconds)"
            )
        if self.action == "notify" and self.notify is None:
            raise ValueError("a notify action needs its NotifyInfo")

    @property
    def key(self) -> str:
        """Pacemaker's operation key: ``rsc_action_interval`` (``r_pgsql_monitor_7000``)."""
        return op_key(self.rsc, self.action, self.interval_ms)

    @property
    def recurring(self) -> bool:
        return self.interval_ms > 0


def op_key(rsc: str, action: str, interval_ms: int) -> str:
    return f"{rsc}_{action}_{interval_ms}"


def _bool(value: bool) -> str:
    return "true" if value else "false"
