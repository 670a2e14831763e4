"""An agent's typed description and the meta-data XML generated from it.

The XML follows Debian resource-agents' ``ra-api-1.dtd`` (what ``ocf-tester`` validates
against) with OCF 1.1 content: ``<version>1.1</version>`` and the role names
``Promoted``/``Unpromoted`` on role-specific monitors.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

_TEXT_ESCAPES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
_ATTR_ESCAPES = {**_TEXT_ESCAPES, '"': "&quot;"}


def escape(text: str) -> str:
    """XML character data (xml.sax.saxutils would pull in urllib and http at start-up)."""
    return "".join(_TEXT_ESCAPES.get(c, c) for c in text)


def quoteattr(text: str) -> str:
    """An XML attribute value in double quotes."""
    return '"' + "".join(_ATTR_ESCAPES.get(c, c) for c in text) + '"'


class ParamType(enum.Enum):
    STRING = "string"
    INTEGER = "integer"
    BOOLEAN = "boolean"
    TIME = "time"


@dataclass(frozen=True)
class Parameter:
    """One instance parameter (``OCF_RESKEY_<name>``)."""

    name: str
    shortdesc: str
    longdesc: str
    type: ParamType = ParamType.STRING
    default: str | None = None
    required: bool = False
    unique: bool = False


@dataclass(frozen=True)
class ActionSpec:
    """One advertised action with its advised timeout (and interval, role for monitors)."""

    name: str
    timeout: str = "20s"
    interval: str | None = None
    role: str | None = None
    depth: str | None = None


@dataclass(frozen=True)
class AgentInfo:
    """Everything ``meta-data`` prints about an agent."""

    name: str
    shortdesc: str
    longdesc: str
    parameters: tuple[Parameter, ...]
    actions: tuple[ActionSpec, ...]
    version: str = "1.1"

    def parameter(self, name: str) -> Parameter | None:
        for parameter in self.parameters:
            if parameter.name == name:
                return parameter
        return None

    def default(self, name: str) -> str:
        parameter = self.parameter(name)
        return "" if parameter is None or parameter.default is None else parameter.default

    @property
    def action_names(self) -> frozenset[str]:
        return frozenset(a.name for a in self.actions)

    def to_xml(self) -> str:
        lines = [
            '<?xml version="1.0"?>',
            '<!DOCTYPE resource-agent SYSTEM "ra-api-1.dtd">',
            f"<resource-agent name={quoteattr(self.name)} version=\"1.0\">",
            f"  <version>{escape(self.version)}</version>",
            f'  <longdesc lang="en">{escape(self.longdesc)}</longdesc>',
            f'  <shortdesc lang="en">{escape(self.shortdesc)}</shortdesc>',
            "  <parameters>",
        ]
        for p in self.parameters:
            default = "" if p.default is None else f" default={quoteattr(p.default)}"
            lines += [
                f"    <parameter name={quoteattr(p.name)} required=\"{int(p.required)}\""
                f" unique=\"{int(p.unique)}\">",
                f'      <longdesc lang="en">{escape(p.longdesc)}</longdesc>',
                f'      <shortdesc lang="en">{escape(p.shortdesc)}</shortdesc>',
                f'      <content type="{p.type.value}"{default}/>',
                "    </parameter>",
            ]
        lines += ["  </parameters>", "  <actions>"]
        for a in self.actions:
            attrs = f"name={quoteattr(a.name)} timeout={quoteattr(a.timeout)}"
            for key, value in (("interval", a.interval), ("role", a.role), ("depth", a.depth)):
                if value is not None:
                    attrs += f" {key}={quoteattr(value)}"
            lines.append(f"    <action {attrs}/>")
        lines += ["  </actions>", "</resource-agent>", ""]
        return "\n".join(lines)


def basic_actions(
    start: str = "20s", stop: str = "20s", monitor_interval: str = "10s"
) -> tuple[ActionSpec, ...]:
    """The actions every harm agent has (start, stop, monitor, meta-data, validate-all)."""
    return (
        ActionSpec("start", timeout=start),
        ActionSpec("stop", timeout=stop),
        ActionSpec("monitor", timeout="20s", interval=monitor_interval, depth="0"),
        ActionSpec("meta-data", timeout="5s"),
        ActionSpec("validate-all", timeout="20s"),
    )
