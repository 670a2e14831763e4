"""``harm configure``: load, show, verify and edit the configuration in crm shell syntax.

Without a CIB file every command works on the running cluster through the local harmd
(``--socket PATH`` or ``HARM_SOCKET``): it reads the cluster's CIB, applies the change and
commits it against the version it read (see :mod:`harm.cli.session`). With ``--cib FILE``
(or ``HARM_CIB_FILE``) it works on that file, Pacemaker CIB XML written atomically. A change
that fails any check prints every problem as ``FILE:LINE:COL: message``, exits non-zero and
changes nothing: the file stays byte-for-byte as it was, and nothing is sent to the cluster.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import click

from harm.catalog import AgentCatalog, agent_lines
from harm.cib.cib import Cib
from harm.cib.config import Configuration, is_true
from harm.cib.xml_export import cib_to_xml
from harm.cli.cibfile import target_options
from harm.cli.session import ClusterSession, Session, open_session
from harm.crmsh import assemble
from harm.crmsh.ast import ConfigWarning
from harm.crmsh.load import LoadOutcome, load_text
from harm.crmsh.render import render_configuration
from harm.daemon.client import request
from harm.errors import (
    ConfigError,
    ConfigErrors,
    ConfigSyntaxError,
    HarmError,
    SourcePosition,
)
from harm.membership.quorum import partition_risk


def _session(ctx: click.Context) -> Session:
    session: Session = ctx.obj
    return session


def _read_source(source: str) -> tuple[str, str]:
    """The text of FILE (or standard input for ``-``) and the name to report it by."""
    if source == "-":
        return sys.stdin.read(), "<stdin>"
    try:
        return Path(source).read_text(encoding="utf-8"), source
    except OSError as error:
        raise ConfigError(f"cannot read {source}: {error.strerror}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{source} is not UTF-8 text") from None


def _print_warnings(warnings: tuple[ConfigWarning, ...]) -> None:
    for warning in warnings:
        click.echo(str(warning), err=True)


def _warn_partition_risk(ctx: click.Context, name: str, configuration: Configuration) -> None:
    """Say so when a split between two nodes would leave both running (the seed's
    configuration as printed: no witness, no fencing, no-quorum-policy=ignore)."""
    session = ctx.obj
    members = 0
    witness = False
    if isinstance(session, ClusterSession):
        try:
            answer = request(session.socket, "quorum", timeout=5.0)
            witness = answer.get("witness") is not None
            members = len(answer.get("members") or ())
        except (HarmError, AttributeError):
            pass  # a harmd without the request, or none: judge by the settings
    if not witness:
        witness = _witness_in_settings()
    nodes = max(len(configuration.nodes), members)
    fencing = is_true(configuration.property("stonith-enabled") or "true") and any(
        p.agent.cls == "stonith" for p in configuration.primitives())
    policy = configuration.property("no-quorum-policy") or "stop"
    risk = partition_risk(nodes, witness, fencing, policy)
    if risk:
        click.echo(f"{name}: warning: {risk}", err=True)


def _witness_in_settings() -> bool:
    """This node's harm.yaml names a witness (when it can be read)."""
    import os

    from harm.membership.settings import load_yaml

    path = Path(os.environ.get("HARM_CONFIG") or "/etc/harm/harm.yaml")
    try:
        return load_yaml(path, default_node=None).witness is not None
    except HarmError:
        return False


@click.group(name="configure")
@target_options
@click.pass_context
def command(ctx: click.Context, cib_file: Path | None, socket_path: Path) -> None:
    """Load, show, verify and edit the cluster configuration (crm shell syntax)."""
    ctx.obj = open_session(cib_file, socket_path)


def _loading(text: str, name: str, mode: str, catalog: AgentCatalog | None
             ) -> Callable[[Cib], tuple[Cib, LoadOutcome]]:
    def edit(cib: Cib) -> tuple[Cib, LoadOutcome]:
        outcome = load_text(cib.configuration, text, name, mode, catalog)
        return cib.with_configuration(outcome.configuration), outcome
    return edit


@command.command("load")
@click.argument("mode", type=click.Choice(["update", "replace"]))
@click.argument("source", metavar="FILE|-")
@click.pass_context
def load_command(ctx: click.Context, mode: str, source: str) -> None:
    """Load crm configuration text: 'update' merges by id, 'replace' replaces it all."""
    session = _session(ctx)
    text, name = _read_source(source)
    done = session.change(_loading(text, name, mode, AgentCatalog.scan()), may_create=True)
    _print_warnings(done.value.warnings)
    _warn_partition_risk(ctx, name, done.value.configuration)
    click.echo(f"{mode}d configuration from {name} (epoch {done.cib.epoch})", err=True)


AGENTS_HELP = "Also print, for each primitive, the agent file that runs it on this node."


def _print_agents(configuration: Configuration, catalog: AgentCatalog) -> None:
    for line in agent_lines(configuration.primitives(), catalog):
        click.echo(line)


@command.command("verify")
@click.argument("source", metavar="FILE|-")
@click.option("--agents", "show_agents", is_flag=True, help=AGENTS_HELP)
@click.pass_context
def verify_command(ctx: click.Context, source: str, show_agents: bool) -> None:
    """Check crm configuration text as 'load update' would, changing nothing."""
    text, name = _read_source(source)
    base = _session(ctx).read_or_empty().configuration
    catalog = AgentCatalog.scan()
    outcome = load_text(base, text, name, "update", catalog)
    _print_warnings(outcome.warnings)
    _warn_partition_risk(ctx, name, outcome.configuration)
    if show_agents:
        _print_agents(outcome.configuration, catalog)
    click.echo(f"{name}: configuration is valid")


@command.command("show")
@click.argument("ids", nargs=-1)
@click.option("--xml", "as_xml", is_flag=True, help="Print the whole CIB as Pacemaker XML.")
@click.option("--agents", "show_agents", is_flag=True,
              help="Print, for each primitive, the agent file that runs it on this node.")
@click.pass_context
def show_command(ctx: click.Context, ids: tuple[str, ...], as_xml: bool,
                 show_agents: bool) -> None:
    """Print the configuration (or the objects named) in canonical crm syntax."""
    cib = _session(ctx).read()
    if show_agents:
        wanted = set(ids)
        primitives = [p for p in cib.configuration.primitives() if not wanted or p.id in wanted]
        for line in agent_lines(primitives, AgentCatalog.scan()):
            click.echo(line)
        return
    if as_xml:
        click.echo(cib_to_xml(cib), nl=False)
        return
    only = set(ids) if ids else None
    if only:
        flat = assemble.flatten(cib.configuration)
        missing = sorted(
            i for i in only
            if i not in flat.resources and i not in flat.constraints and i not in flat.nodes
        )
        if missing:
            raise ConfigError("no such object: " + ", ".join(missing))
    click.echo(render_configuration(cib.configuration, only), nl=False)


def _deleting(object_id: str) -> Callable[[Cib], tuple[Cib, list[str]]]:
    def edit(cib: Cib) -> tuple[Cib, list[str]]:
        try:
            flat, removed = assemble.delete(assemble.flatten(cib.configuration), object_id)
        except KeyError:
            raise ConfigError(f"no such object: {object_id}") from None
        return cib.with_configuration(assemble.build(flat)), list(removed)
    return edit


@command.command("delete")
@click.argument("object_id", metavar="ID")
@click.pass_context
def delete_command(ctx: click.Context, object_id: str) -> None:
    """Delete a resource, constraint or node (and the constraints naming a resource)."""
    done = _session(ctx).change(_deleting(object_id))
    for other in done.value:
        click.echo(f"also deleted {other}, which referred to {object_id}", err=True)


@command.command("property")
@click.argument("assignments", nargs=-1, required=True, metavar="NAME=VALUE…")
@click.pass_context
def property_command(ctx: click.Context, assignments: tuple[str, ...]) -> None:
    """Set cluster properties (as 'property NAME=VALUE' would)."""
    session = _session(ctx)
    for index, assignment in enumerate(assignments, start=1):
        if "=" not in assignment or assignment.startswith("="):
            raise ConfigErrors([_argument_error(index, assignment)])
    text = "property " + " ".join(_quote_assignment(a) for a in assignments)
    done = session.change(_loading(text, "<command line>", "update", None), may_create=True)
    _print_warnings(done.value.warnings)


def _quote_assignment(assignment: str) -> str:
    name, _, value = assignment.partition("=")
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'{name}="{escaped}"'


def _argument_error(index: int, text: str) -> ConfigSyntaxError:
    return ConfigSyntaxError(
        SourcePosition("<command line>", 1, index), "NAME=VALUE", repr(text)
    )
