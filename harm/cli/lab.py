"""``harm lab``: build and drive a multi-node cluster in network namespaces on this machine.

    harm lab up --nodes A,B[,C...] [--links 2] [--name harm] [--subnet CIDR ...]
                [--keepalive 200ms] [--deadtime 2s] [--transport bcast|mcast|ucast]
                [--private-dir PATH[:OWNER] ...] [--postgres] [--gateway ADDR]
                [--witness] [--no-start]
    harm lab up --demo                   osspc30,osspc31 for configs/pgsql-lab.crm, with a
                                         witness in the gateway
    harm lab status [--json]
    harm lab exec NODE -- CMD...         (NODE may be "gateway")
    harm lab fail NODE harmd|postgres|node|link=NIC|partition=NODE,...|cut=NODE
                       |loss=NIC:PERCENT|duplicate=NIC:PERCENT
    harm lab fail gateway witness        the witness's host lost
    harm lab heal [NODE|gateway]
    harm lab power NODE on|off|status    through the node's BMC (labs built with --fencing)
    harm lab pg-init NODE                initdb a primary in NODE's /var/lib/pgsql/data
    harm lab pg-seed NODE --from NODE    pg_basebackup a standby over eth1
    harm lab sql [--via service-vip|NODE] [--host ADDR] [--config FILE] [-t] -- SQL
    harm lab down
    harm lab campaign --faults N --seed S [--nodes A,B,C] [--config FILE] [--only K]
                      [--fencing] [--output DIR] [--keep]

Every sub-command takes ``--name`` or ``--lab`` (default ``$HARM_LAB`` or ``harm``), so
several labs can coexist.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any, TypeVar

import click

from harm.cib.config import Configuration
from harm.errors import LabError
from harm.lab import faults, lab
from harm.lab import status as lab_status
from harm.lab.postgres import PG_DIRS
from harm.lab.spec import LabSpec, subnets_for

F = TypeVar("F", bound=Callable[..., Any])
# the lab configs/pgsql-lab.crm is written for
DEMO_NODES = ("osspc30", "osspc31")
DEMO_GATEWAY = "192.168.10.100"


def _name_option(func: F) -> F:
    return click.option(
        "--name", "--lab", "lab_name", default=lambda: os.environ.get("HARM_LAB", "harm"),
        show_default="$HARM_LAB or harm", help="which lab",
    )(func)


@click.group(name="lab")
def command() -> None:
    """A real multi-node cluster on this machine, in network namespaces."""


@command.command("up")
@_name_option
@click.option("--nodes", default=None, help="comma-separated node names, e.g. A,B,C")
@click.option("--links", default=2, show_default=True, help="NICs per node (eth0, eth1, ...)")
@click.option("--subnet", "subnets", multiple=True,
              help="subnet of link 0, 1, ... (default 192.168.10.0/24, 192.168.11.0/24, ...)")
@click.option("--keepalive", default="200ms", show_default=True)
@click.option("--deadtime", default="2s", show_default=True)
@click.option("--warntime", default=None, help="default: deadtime / 2")
@click.option("--initdead", default=None, help="default: 2 x deadtime")
@click.option("--transport", type=click.Choice(["bcast", "mcast", "ucast"]), default="bcast",
              show_default=True, help="how heartbeats travel on every link")
@click.option("--private-dir", "private_dirs", multiple=True, metavar="PATH[:OWNER]",
              help="a directory every node has its own copy of (repeat)")
@click.option("--postgres", is_flag=True,
              help="private /var/lib/pgsql and /var/run/postgresql (owner postgres)")
@click.option("--gateway", default="", help="the gateway's address on link 0 "
              "(default: the subnet's last but one)")
@click.option("--witness", is_flag=True,
              help="run harm witness in the gateway: the nodes' tie-breaker vote")
@click.option("--demo", is_flag=True, help="the PostgreSQL demo: osspc30,osspc31, --postgres, "
              "--witness, gateway 192.168.10.100 (configs/pgsql-lab.crm)")
@click.option("--fencing", is_flag=True, help="a BMC per node (ipmi_sim on a management "
              "network, fence_ipmilan); with --demo also a fence device per node and "
              "stonith-enabled=true")
@click.option("--start/--no-start", default=True, help="start harmd on every node")
@click.option("--provision/--no-provision", default=True, show_default=True,
              help="with --demo: PostgreSQL on both nodes, the configuration loaded, wait "
              "until primary + sync standby (--no-provision: the lab only)")
@click.option("--stock-agents", is_flag=True,
              help="with --demo: the cluster run by the stock agents, resource-agents' "
              "pgsql and IPaddr2 and Pacemaker's ping (configs/pgsql-lab-stock.crm)")
def up_command(
    *,
    lab_name: str, nodes: str, links: int, subnets: tuple[str, ...], keepalive: str,
    deadtime: str, warntime: str | None, initdead: str | None, transport: str,
    private_dirs: tuple[str, ...], postgres: bool, gateway: str, witness: bool, demo: bool,
    start: bool, provision: bool, stock_agents: bool = False, fencing: bool = False,
) -> None:
    """Build a lab and start harmd on every node."""
    from harm.cib.durations import format_ms, parse_ms

    try:
        dead_ms = parse_ms(deadtime)
        parse_ms(keepalive)
    except ValueError as error:
        raise LabError(str(error)) from None
    if demo:
        nodes = nodes or ",".join(DEMO_NODES)
        postgres = True
        witness = True
        gateway = gateway or DEMO_GATEWAY
    if not nodes:
        raise LabError("give --nodes A,B,... (or --demo)")
    spec = LabSpec(
        name=lab_name,
        nodes=tuple(n.strip() for n in nodes.split(",") if n.strip()),
        links=links,
        subnets=subnets_for(links, subnets),
        keepalive=keepalive,
        deadtime=deadtime,
        warntime=warntime or format_ms(dead_ms // 2),
        initdead=initdead or format_ms(dead_ms * 2),
        transport=transport,
        private_dirs=tuple(dict.fromkeys(private_dirs + (PG_DIRS if postgres else ()))),
        gateway=gateway,
        witness=witness,
        fencing=fencing,
    )
    spec = lab.up(spec, start=start)
    if start:
        lab.wait_sockets(spec, list(spec.nodes))
    click.echo(f"lab {spec.name} is up: {', '.join(spec.nodes)} "
               f"({spec.links} links; state in {spec.run_dir})")
    if demo and start and provision:
        _run_demo(spec, stock_agents)


def _demo_config(name: str = "pgsql-lab.crm") -> Path:
    from harm.catalog import default_agents_dir

    for folder in (Path(__file__).resolve().parents[2] / "configs",
                   default_agents_dir().parent / "configs",
                   Path(sys.prefix) / "share" / "harm" / "configs"):
        candidate = folder / name
        if candidate.is_file():
            return candidate
    raise LabError(f"configs/{name} not found (run the demo from harm's checkout)")


def _run_demo(spec: LabSpec, stock_agents: bool = False) -> None:
    """PostgreSQL on both nodes, the seed's configuration, then wait for PRI + HS:sync."""
    from harm.lab import demo

    config = _demo_config(demo.STOCK_CONFIG if stock_agents else demo.CONFIG)
    first, second = spec.nodes[0], spec.nodes[1]
    click.echo(f"initialising PostgreSQL on {first} and seeding {second} from it ...")
    demo.provision(spec)
    click.echo(f"loading {config} through {first}'s harmd ...")
    demo.configure(spec, config)
    if spec.fencing:
        click.echo("loading a fence_ipmilan device per node, stonith-enabled=true ...")
        demo.configure_fencing(spec)
    click.echo("waiting for the agents to elect a primary and the standby to be in sync "
               "(the first election takes a few standby monitors) ...")
    took = demo.wait_ready(spec)
    click.echo(f"ready after {took:.0f}s: {first} is PRI, {second} is HS:sync\n")
    sock = demo.socket_of(spec, first)
    shown = subprocess.run([sys.executable, "-m", "harm.mon", "--socket", str(sock), "-1",
                            "-Afr"], capture_output=True, text=True, timeout=60, check=False)
    click.echo(shown.stdout)
    name = f" --name {spec.name}" if spec.name != "harm" else ""
    click.echo(f"""Try:
  harm_mon --socket {sock} -Afr -i 1       live status (q quits)
  harm lab sql{name} -- "CREATE TABLE t (x int); INSERT INTO t VALUES (1)"
  harm lab fail{name} {first} postgres          kill -9 the primary's postmaster
  harm lab fail{name} {first} node              crash the whole node
  harm lab fail{name} {first} link=eth0         cut the service link
  harm lab fail{name} {first} cut={second}      the nodes stop hearing each other
  harm lab fail{name} gateway witness           lose the witness's host
  harm lab heal{name} {first}                   undo the faults, restart harmd
  HARM_SOCKET={sock} harm resource move ms_pgsql {second}
Tear down:
  harm lab down{name}""")


@command.command("down")
@_name_option
def down_command(lab_name: str) -> None:
    """Remove every namespace, bridge, process and file of the lab (also after a crash)."""
    removed = lab.down(lab_name)
    click.echo(f"lab {lab_name}: removed {len(removed)} item(s)" if removed
               else f"lab {lab_name}: nothing to remove")


@command.command("status")
@_name_option
@click.option("--json", "as_json", is_flag=True, help="machine-readable output")
def status_command(lab_name: str, as_json: bool) -> None:
    """Nodes, links, harmd and the membership view each node has."""
    spec = lab.load(lab_name)
    reports = lab_status.collect(spec)
    if as_json:
        click.echo(json.dumps([asdict(r) for r in reports], indent=2))
    else:
        click.echo(lab_status.table(spec, reports))


@command.command("exec", context_settings={"ignore_unknown_options": True,
                                           "allow_interspersed_args": False})
@_name_option
@click.argument("node")
@click.argument("argv", nargs=-1, required=True, type=click.UNPROCESSED)
def exec_command(lab_name: str, node: str, argv: tuple[str, ...]) -> None:
    """Run a command as NODE (in its namespace, with its HARM_* and HA_RSCTMP)."""
    spec = lab.load(lab_name)
    command_argv = list(argv[1:] if argv and argv[0] == "--" else argv)
    if not command_argv:
        raise LabError("no command given: harm lab exec NODE -- CMD ...")
    args, env = lab.exec_argv(spec, node, command_argv)
    try:
        code = subprocess.run(args, env=env, check=False).returncode
    except OSError as error:
        raise LabError(f"cannot run {command_argv[0]}: {error.strerror}") from None
    if code:
        raise click.exceptions.Exit(code)


@command.command("fail")
@_name_option
@click.argument("node")
@click.argument("what")
def fail_command(lab_name: str, node: str, what: str) -> None:
    """Fail NODE: harmd, postgres (its postmaster), node, link=NIC, partition=NODE,...,
    cut=NODE, loss=NIC:PERCENT or duplicate=NIC:PERCENT; or 'gateway witness'."""
    click.echo(faults.fail(lab.load(lab_name), node, what))


@command.command("heal")
@_name_option
@click.argument("node", required=False)
def heal_command(lab_name: str, node: str | None) -> None:
    """Undo the faults of NODE (or of every node) and restart harmd where needed."""
    click.echo(faults.heal(lab.load(lab_name), node))


@command.command("power")
@_name_option
@click.argument("node")
@click.argument("what", type=click.Choice(["on", "off", "status"]))
def power_command(lab_name: str, node: str, what: str) -> None:
    """Power NODE on or off, or show its power state, with fence_ipmilan through its BMC."""
    from harm.lab import bmc

    spec = lab.load(lab_name)
    if not spec.fencing:
        raise LabError(f"lab {spec.name} has no BMCs (build it with --fencing)")
    done = subprocess.run(["ip", "netns", "exec", bmc.bmc_ns(spec), "fence_ipmilan", "-a",
                           bmc.bmc_address(spec, node), "-l", bmc.BMC_USER, "-p",
                           bmc.password(spec), "-o", what], capture_output=True, text=True,
                          timeout=120, check=False)
    click.echo((done.stdout or done.stderr).strip())
    if done.returncode not in (0, 2) or (what != "status" and done.returncode):
        raise click.exceptions.Exit(done.returncode or 1)


@command.command("pg-init")
@_name_option
@click.argument("node")
def pg_init_command(lab_name: str, node: str) -> None:
    """initdb a replicated primary in NODE's own /var/lib/pgsql/data (not started)."""
    from harm.lab import postgres

    data = postgres.init_primary(lab.load(lab_name), node)
    click.echo(f"{node}: /var/lib/pgsql/data initialised (seen from here as {data})")


@command.command("pg-seed")
@_name_option
@click.argument("node")
@click.option("--from", "primary", required=True, help="the running primary to copy")
def pg_seed_command(lab_name: str, node: str, primary: str) -> None:
    """Copy the running primary's data into NODE's /var/lib/pgsql/data (pg_basebackup)."""
    from harm.lab import postgres

    spec = lab.load(lab_name)
    postgres.seed_standby(spec, node, primary)
    click.echo(f"{node}: seeded from {primary} over "
               f"{postgres.replication_address(spec, primary, postgres.PgLayout())}")


@command.command("sql", context_settings={"ignore_unknown_options": True,
                                          "allow_interspersed_args": False})
@_name_option
@click.option("--via", default="service-vip", show_default=True,
              help="service-vip, or a node (its eth0 address)")
@click.option("--host", default=None, help="connect here instead (overrides --via)")
@click.option("--config", "config_file", type=click.Path(exists=True, dir_okay=False),
              default=None, help="crm configuration naming r_service_vip's ip")
@click.option("--tuples-only", "-t", is_flag=True, help="rows only, fields split by |")
@click.argument("sql", nargs=-1, required=True, type=click.UNPROCESSED)
def sql_command(lab_name: str, via: str, host: str | None, config_file: str | None,
                tuples_only: bool, sql: tuple[str, ...]) -> None:
    """Run SQL with psql from the gateway against the service VIP or a node.

    The service VIP is the ip parameter of r_service_vip: from --config, else from the
    running cluster's configuration, else 192.168.10.10.
    """
    from harm.lab import postgres

    spec = lab.load(lab_name)
    words = list(sql[1:] if sql and sql[0] == "--" else sql)
    if not words:
        raise LabError("no SQL given: harm lab sql -- 'SELECT 1'")
    if host is None:
        if via == "service-vip":
            configuration = _configuration(spec, config_file)
            host = postgres.service_vip(configuration) or postgres.DEFAULT_SERVICE_VIP
        elif via in spec.nodes:
            host = spec.address(via, 0).split("/")[0]
        else:
            raise LabError(f"--via {via!r}: use service-vip or one of {', '.join(spec.nodes)}")
    done = postgres.run_sql(spec, host, " ".join(words), tuples_only=tuples_only)
    click.echo(done.stdout, nl=False)
    if done.returncode:
        click.echo(done.stderr.strip() or f"psql exited {done.returncode}", err=True)
        raise click.exceptions.Exit(done.returncode)


def _configuration(spec: LabSpec, config_file: str | None) -> Configuration | None:
    """The configuration to read the service VIP from: the file, else a node's harmd."""
    if config_file:
        from pathlib import Path

        from harm.crmsh.load import parse_configuration

        return parse_configuration(Path(config_file).read_text(encoding="utf-8"), config_file)
    from harm.cib.xml_import import parse_cib_xml
    from harm.daemon.client import request
    from harm.errors import HarmError

    for node in spec.nodes:
        try:
            answer = request(spec.node_dir(node) / "harmd.sock", "cib", timeout=2.0)
        except HarmError:
            continue
        if isinstance(answer, dict) and isinstance(answer.get("xml"), str):
            return parse_cib_xml(answer["xml"], f"harmd on {node}").configuration
    return None


@command.command("campaign")
@click.option("--name", "--lab", "lab_name", default="hcamp", show_default=True,
              help="the lab the campaign builds (and removes at the end)")
@click.option("--faults", "count", type=click.IntRange(min=1), default=10, show_default=True,
              help="how many steps (one fault, or two close together, each)")
@click.option("--seed", type=int, default=1, show_default=True,
              help="the same seed gives the same faults")
@click.option("--nodes", default=None,
              help="the Dummy/Stateful cluster on these nodes (3-5, e.g. c1,c2,c3); "
              "default: the PostgreSQL demo")
@click.option("--config", "config_file", type=click.Path(exists=True, dir_okay=False,
                                                         path_type=Path), default=None,
              help="the cluster's configuration (default configs/pgsql-lab.crm, or "
              "configs/campaign-dummy.crm with --nodes)")
@click.option("--only", type=click.IntRange(min=1), default=None,
              help="replay step K only (regenerated from the seed, on a healthy cluster)")
@click.option("--fencing", is_flag=True, help="power nodes off through the lab's fence device")
@click.option("--output", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="where to write the report (default campaign-out/seed-S)")
@click.option("--keep", is_flag=True, help="leave the lab running at the end")
def campaign_command(lab_name: str, count: int, seed: int, nodes: str | None,
                     config_file: Path | None, only: int | None, fencing: bool,
                     output: Path | None, keep: bool) -> None:
    """Random faults on a lab cluster, audited; exits 0 exactly when no audit failed."""
    from harm.lab.campaign import profiles, runner

    extra = ""
    if nodes:
        names = tuple(n.strip() for n in nodes.split(",") if n.strip())
        if not 2 <= len(names) <= 5:
            raise LabError("--nodes: give two to five node names")
        profile = profiles.dummy(names, config_file)
        extra += f" --nodes {','.join(names)}"
    else:
        profile = profiles.pgsql(config_file)
    if config_file:
        extra += f" --config {config_file}"
    if fencing:
        extra += " --fencing"
    options = runner.Options(
        faults=count, seed=seed, profile=profile, name=lab_name,
        output=output or Path("campaign-out") / f"seed-{seed}", only=only, fencing=fencing,
        keep=keep, replay_args=extra)
    violations = runner.run(options, echo=click.echo)
    if violations:
        raise click.exceptions.Exit(1)
