"""The OCF environment of one agent call.

An agent is called as ``AGENT ACTION`` with its configuration in the environment:

    OCF_RESKEY_<name>            instance parameters
    OCF_RESKEY_CRM_meta_<name>   meta attributes of the operation (timeout, interval, on_node …)
    OCF_RESOURCE_INSTANCE        the resource id (``r_pgsql:0`` for a clone instance)
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from harm.ocf.outcome import not_configured

_PARAM = "OCF_RESKEY_"
_META = "OCF_RESKEY_CRM_meta_"
DEFAULT_TIMEOUT_MS = 20_000


@dataclass(frozen=True)
class OcfEnv:
    """Everything an action needs to know about its call, read once from the environment."""

    action: str
    instance: str
    params: Mapping[str, str] = field(default_factory=dict)
    meta: Mapping[str, str] = field(default_factory=dict)
    environ: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_environ(cls, action: str, environ: Mapping[str, str] | None = None) -> OcfEnv:
        env = dict(os.environ if environ is None else environ)
        params = {
            k[len(_PARAM):]: v
            for k, v in env.items()
            if k.startswith(_PARAM) and not k.startswith(_META)
        }
        meta = {k[len(_META):]: v for k, v in env.items() if k.startswith(_META)}
        instance = env.get("OCF_RESOURCE_INSTANCE", "")
        return cls(action=action, instance=instance, params=params, meta=meta, environ=env)

    @property
    def resource(self) -> str:
        """The resource id without the clone instance suffix (``r_pgsql:0`` → ``r_pgsql``)."""
        return self.instance.split(":", 1)[0]

    @property
    def timeout_ms(self) -> int:
        """The op timeout in ms (``OCF_RESKEY_CRM_meta_timeout``), 20 s when not given."""
        raw = self.meta.get("timeout", "")
        try:
            value = int(raw)
        except ValueError:
            return DEFAULT_TIMEOUT_MS
        return value if value > 0 else DEFAULT_TIMEOUT_MS

    @property
    def interval_ms(self) -> int:
        try:
            return int(self.meta.get("interval", "0"))
        except ValueError:
            return 0

    @property
    def is_probe(self) -> bool:
        """A monitor with interval 0: the cluster asks what is running, nothing is expected."""
        return self.action == "monitor" and self.interval_ms == 0

    @property
    def node_name(self) -> str:
        """The local node: ``CRM_meta_on_node``, then ``HA_NODENAME``, then ``uname -n``."""
        given = self.meta.get("on_node") or self.environ.get("HA_NODENAME")
        if given:
            return given
        import socket  # only here: most calls are told their node

        return socket.gethostname().split(".", 1)[0]

    def param(self, name: str, default: str = "") -> str:
        value = self.params.get(name)
        return default if value is None or value == "" else value

    def int_param(self, name: str, default: int) -> int:
        raw = self.param(name, str(default))
        try:
            return int(raw)
        except ValueError:
            raise not_configured(f"parameter {name}={raw!r} is not an integer") from None

    def bool_param(self, name: str, default: bool) -> bool:
        raw = self.param(name, "true" if default else "false").lower()
        if raw in {"1", "true", "yes", "on", "y"}:
            return True
        if raw in {"0", "false", "no", "off", "n"}:
            return False
        raise not_configured(f"parameter {name}={raw!r} is not a boolean")
