"""``harmd``: membership, the controller and the executor of this node, in the foreground
or under systemd.

    harmd [--config FILE | --ha-cf FILE --cluster NAME] [--node NAME]
          [--authkeys FILE] [--state-dir DIR] [--socket PATH] [--debug]

Environment: ``HARM_CONFIG``, ``HARM_NODE``, ``HARM_STATE_DIR``, ``HARM_SOCKET`` stand in for
the options (the lab points each node's harmd at its own files this way). Start-up refuses
bad settings, an unsafe authkeys file and unknown interfaces with one clear line and exit
status 1; then it tells systemd ``READY=1`` and runs until SIGTERM or SIGINT.
"""

from __future__ import annotations

import argparse
import gc
import os
import secrets
import signal
import socket
import sys
import time
from dataclasses import replace
from pathlib import Path
from types import FrameType

from harm.daemon import logs
from harm.daemon.cluster import ClusterService
from harm.daemon.control import ControlServer
from harm.daemon.generation import next_generation
from harm.daemon.notify import notify
from harm.daemon.runner import Runner, monotonic_ms
from harm.errors import HarmError
from harm.membership import authkeys
from harm.membership.machine import Membership, Params
from harm.membership.settings import Settings, check_interfaces, load_yaml, parse_ha_cf
from harm.membership.transport import UdpLink

DEFAULT_CONFIG = "/etc/harm/harm.yaml"


def _parser() -> argparse.ArgumentParser:
    env = os.environ.get
    parser = argparse.ArgumentParser(prog="harmd", description="harm's node daemon")
    parser.add_argument("--config", default=env("HARM_CONFIG", DEFAULT_CONFIG),
                        help="harm.yaml (default %(default)s)")
    parser.add_argument("--ha-cf", help="read a Heartbeat ha.cf instead of harm.yaml")
    parser.add_argument("--cluster", default="harm", help="cluster name with --ha-cf")
    parser.add_argument("--node", default=env("HARM_NODE"), help="this node's name")
    parser.add_argument("--authkeys", help="authkeys file (overrides the settings)")
    parser.add_argument("--state-dir", default=env("HARM_STATE_DIR"))
    parser.add_argument("--socket", default=env("HARM_SOCKET"))
    parser.add_argument("--debug", action="store_true", help="log every dropped packet")
    return parser


def load_settings(args: argparse.Namespace) -> Settings:
    node = args.node or socket.gethostname().split(".")[0]
    if args.ha_cf:
        path = Path(args.ha_cf)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as error:
            raise HarmError(f"{path}: cannot read: {error.strerror}") from None
        settings = parse_ha_cf(text, str(path), args.cluster, node)
        settings = replace(settings, authkeys=path.parent / "authkeys")
    else:
        settings = load_yaml(Path(args.config), default_node=node)
        if args.node:
            settings = replace(settings, node=args.node)
    if args.authkeys:
        settings = replace(settings, authkeys=Path(args.authkeys))
    if args.state_dir:
        settings = replace(settings, state_dir=Path(args.state_dir))
    if args.socket:
        settings = replace(settings, socket=Path(args.socket))
    return settings


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    log = logs.setup(args.node or "?", os.environ, args.debug)
    runner: Runner | None = None
    try:
        settings = load_settings(args)
        log = logs.setup(settings.node, os.environ, args.debug)
        for note in settings.notes:
            log.info("%s", note)
        keys = authkeys.load(settings.authkeys)
        keys.check_node(settings.node, settings.node_names, str(settings.authkeys))
        check_interfaces(settings, [name for _, name in socket.if_nameindex()])
        generation = next_generation(settings.state_dir, int(time.time()))
        links = [UdpLink(link) for link in settings.links]
        control = ControlServer(settings.socket)
        witness_client, witness_link = None, None
        if settings.witness is not None:
            from harm.witness.client import WitnessClient
            from harm.witness.link import WitnessLink, client_params

            witness_link = WitnessLink(settings.witness.address, settings.witness.port)
            witness_client = WitnessClient(client_params(settings, generation), keys,
                                           monotonic_ms())
        params = Params.from_settings(settings, generation, nonce=secrets.randbits(63))
        membership = Membership(params, keys, monotonic_ms(), witness=witness_client)
        runner = Runner(membership, links, control, log, witness=witness_link)
        runner.attach(ClusterService(membership, runner.apply, settings.state_dir,
                                     settings.socket, monotonic_ms, settings.initdead_ms))
    except HarmError as error:
        log.error("%s: %s", type(error).__name__, error)
        print(f"harmd: {type(error).__name__}: {error}", file=sys.stderr)
        return 1

    def stop(signum: int, _frame: FrameType | None) -> None:
        assert runner is not None
        runner.stopping = True
        log.info("stopping on %s", signal.Signals(signum).name)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    log.info(
        "node %s of cluster %s up: generation %d, links %s, keepalive %dms, deadtime %dms",
        settings.node, settings.cluster, generation, ", ".join(settings.nics),
        settings.keepalive_ms, settings.deadtime_ms,
    )
    if settings.witness is not None:
        log.info("witness at %s:%d (lease %dms, margin %dms)", settings.witness.address,
                 settings.witness.port, settings.witness.lease_ms, settings.witness.margin_ms)
    # Everything loaded so far lives as long as the daemon: keep the garbage collector from
    # scanning it again and again (a full collection of the start-up heap costs milliseconds).
    gc.collect()
    gc.freeze()
    notify(f"READY=1\nSTATUS=running on {', '.join(settings.nics)}", os.environ)
    try:
        runner.run()
    finally:
        notify("STOPPING=1", os.environ)
        runner.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
