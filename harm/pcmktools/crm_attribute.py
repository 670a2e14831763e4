"""``crm_attribute``: query, set or delete a node attribute or a cluster property.

    crm_attribute -n NAME [-N NODE] [-l reboot|forever | -t TYPE] (-G [-q] [-d DEFAULT]
                  | -v VALUE | -D)
    crm_attribute --promotion[=RSC] [-N NODE] (-G [-q] | -v SCORE | -D)

Where the attribute lives, as in Pacemaker 2.1:

    -l reboot / -t status               the node's transient attributes
    -l forever / -t nodes, or -N alone  the node's permanent attributes
    no -N, no -l, or -t crm_config      a cluster property (also rsc_defaults, op_defaults)
    --promotion                         ``master-RSC`` (RSC: the argument, else the
                                        agent's resource without its clone suffix), a
                                        transient attribute of the node

A node that is not given is this node. A query prints ``scope=SCOPE  name=NAME
value=VALUE`` (``-q``: the value alone); an attribute that is not set prints Pacemaker's
"No such device or address" and exits 105 unless ``-d`` gives a default. Deleting an
attribute that is not set succeeds.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from harm.ocf.attributes import Lifetime
from harm.pcmktools.access import Access, Exit, ToolError, no_such, run
from harm.pcmktools.options import (
    FLAG,
    NEEDS,
    OPTIONAL,
    Option,
    Parsed,
    UsageError,
    parse,
)

if TYPE_CHECKING:
    from harm.cib.cib import Cib
    from harm.cib.config import NvSet

OPTIONS = (
    Option("name", "n", ("name",), NEEDS),
    Option("node", "N", ("node",), NEEDS),
    Option("update", "v", ("update", "attr-value"), NEEDS),
    Option("query", "G", ("query", "get-value"), FLAG),
    Option("delete", "D", ("delete", "delete-attr"), FLAG),
    Option("quiet", "q", ("quiet",), FLAG),
    Option("default", "d", ("default",), NEEDS),
    Option("lifetime", "l", ("lifetime",), NEEDS),
    Option("type", "t", ("type",), NEEDS),
    Option("promotion", "p", ("promotion",), OPTIONAL),
    Option("id", "i", ("id",), NEEDS),
    Option("set", "s", ("set-name",), NEEDS),
    Option("utilization", "z", ("utilization",), FLAG),
    Option("verbose", "V", ("verbose",), FLAG),
    Option("uname", "U", ("uname",), NEEDS),  # old spelling of -N
)
SECTIONS = {"crm_config": "crm_config", "rsc_defaults": "rsc_defaults",
            "op_defaults": "op_defaults"}
NODE_SCOPES = {"status": Lifetime.REBOOT, "reboot": Lifetime.REBOOT,
               "transient": Lifetime.REBOOT, "nodes": Lifetime.FOREVER,
               "forever": Lifetime.FOREVER, "permanent": Lifetime.FOREVER}


@dataclass(frozen=True)
class Target:
    """One attribute: a node's (``lifetime`` set) or a section's (``section`` set)."""

    name: str
    node: str | None = None
    lifetime: Lifetime | None = None
    section: str | None = None

    @property
    def scope(self) -> str:
        if self.section is not None:
            return self.section
        return "status" if self.lifetime is Lifetime.REBOOT else "nodes"


def promotion_resource(argument: str | None, env: Mapping[str, str]) -> str:
    """The resource of ``--promotion``: the argument, else ``OCF_RESOURCE_INSTANCE``
    without the clone instance number (kept for a globally unique clone)."""
    if argument:
        return argument
    instance = env.get("OCF_RESOURCE_INSTANCE", "")
    if not instance:
        raise UsageError("-p/--promotion must be called from an OCF resource agent or "
                         "with a resource ID specified")
    unique = env.get("OCF_RESKEY_CRM_meta_globally_unique", "false").lower()
    return instance if unique in {"true", "yes", "1"} else instance.split(":", 1)[0]


def target_of(args: Parsed, access: Access, promotion: bool = False) -> Target:
    node = args.get("node") or args.get("uname")
    if promotion or args.has("promotion"):
        rsc = promotion_resource(args.get("promotion"), access.environ)
        lifetime = _lifetime(args.get("lifetime") or args.get("type") or "reboot")
        return Target(f"master-{rsc}", node or access.local_node(), lifetime)
    name = args.get("name")
    if not name:
        raise UsageError("an attribute name is needed (-n NAME)")
    kind = args.get("lifetime") or args.get("type")
    if kind in SECTIONS:
        return Target(name, section=SECTIONS[kind])
    if kind is None and node is None:
        return Target(name, section="crm_config")
    if args.has("utilization"):
        raise ToolError(Exit.ERROR, "utilization attributes are not kept by harm")
    return Target(name, node or access.local_node(),
                  _lifetime(kind) if kind else Lifetime.FOREVER)


def _lifetime(text: str) -> Lifetime:
    try:
        return NODE_SCOPES[text]
    except KeyError:
        raise UsageError(f"unknown lifetime or type {text!r} "
                         "(reboot, forever, status, nodes, crm_config …)") from None


# ---------------------------------------------------------------- sections (pure)


def section_sets(cib: Cib, section: str) -> tuple[NvSet, ...]:
    config = cib.configuration
    if section == "crm_config":
        return config.crm_config
    return config.rsc_defaults if section == "rsc_defaults" else config.op_defaults


def section_value(cib: Cib, section: str, name: str) -> str | None:
    for nvset in section_sets(cib, section):
        for key, value in nvset.pairs:
            if key == name:
                return value
    return None


def with_section_value(cib: Cib, section: str, name: str, value: str | None) -> Cib:
    """The CIB with ``name`` set in the section's first set (created when there is none;
    ``value`` None removes it from every set)."""
    from harm.cib.config import NvSet

    sets = list(section_sets(cib, section))
    if value is None:
        sets = [replace(s, pairs=tuple(p for p in s.pairs if p[0] != name)) for s in sets]
    else:
        holder = next((i for i, s in enumerate(sets) if any(k == name for k, _ in s.pairs)),
                      None)
        if holder is None:
            if not sets:
                default_id = ("cib-bootstrap-options" if section == "crm_config"
                              else f"{section.replace('_', '-')}-options")
                sets.append(NvSet(default_id))
            holder = 0
        chosen = sets[holder]
        pairs = [(k, value if k == name else v) for k, v in chosen.pairs]
        if not any(k == name for k, _ in pairs):
            pairs.append((name, value))
        sets[holder] = replace(chosen, pairs=tuple(pairs))
    config = cib.configuration
    if section == "crm_config":
        config = replace(config, crm_config=tuple(sets))
    elif section == "rsc_defaults":
        config = replace(config, rsc_defaults=tuple(sets))
    else:
        config = replace(config, op_defaults=tuple(sets))
    return cib.with_configuration(config)


# ---------------------------------------------------------------- the tool


def query(target: Target, access: Access) -> str | None:
    if target.section is not None:
        return section_value(access.cib(), target.section, target.name)
    assert target.node is not None and target.lifetime is not None
    return access.get_node_attribute(target.node, target.name, target.lifetime)


def write(target: Target, access: Access, value: str | None) -> None:
    if target.section is not None:
        section = target.section
        access.change(lambda cib: with_section_value(cib, section, target.name, value))
        return
    assert target.node is not None and target.lifetime is not None
    access.set_node_attribute(target.node, target.name, value, target.lifetime)


def perform(argv: Sequence[str], access: Access, promotion: bool = False) -> int:
    args = parse(argv, OPTIONS)
    target = target_of(args, access, promotion)
    if args.has("update"):
        write(target, access, args.get("update"))
        return 0
    if args.has("delete"):
        write(target, access, None)
        return 0
    value = query(target, access)
    if value is None:
        value = args.get("default")
        if value is None:
            raise no_such()
    if args.has("quiet"):
        print(value)
    else:
        print(f"scope={target.scope}  name={target.name} value={value}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    return run("crm_attribute", perform, argv)


if __name__ == "__main__":
    sys.exit(main())
