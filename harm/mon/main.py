"""``harm_mon``: the cluster status, once or live, in crm_mon's layout.

    harm_mon [-1] [-i SEC] [-A] [-f] [-r] [-o] [-n] [-s]
             [--output-as text|xml|json] [--cib FILE | -x FILE | --socket PATH]

Without a source option it asks the local harmd (``$HARM_SOCKET``); ``--cib`` reads harm's
CIB file, ``-x`` a Pacemaker CIB XML (as crm_mon with ``CIB_file``). On a terminal,
without ``-1``/``-s`` and with text output, it runs the live full-screen view.

Exit status: 0; 1 when the source cannot be read (``-s``: 0 OK, 1 WARN, 2 CRIT);
2 for a usage error.
"""

from __future__ import annotations

import argparse
import shlex
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from harm.cib.durations import parse_ms
from harm.mon.options import MonOptions, OutputFormat
from harm.mon.simple import simple_status, unavailable_status
from harm.mon.snapshot import take_snapshot
from harm.mon.source import DaemonSource, FileSource, StatusSource
from harm.mon.text import render_text

DEFAULT_INTERVAL_S = 5.0


def _interval(text: str) -> float:
    try:
        ms = parse_ms(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a duration: {text!r}") from None
    if ms <= 0:
        raise argparse.ArgumentTypeError("the interval must be above zero")
    return ms / 1000


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="harm_mon",
        description="Show the cluster status in the layout of Pacemaker's crm_mon.")
    p.add_argument("-1", "--one-shot", action="store_true",
                   help="print the status once and exit")
    p.add_argument("-i", "--interval", type=_interval, default=DEFAULT_INTERVAL_S,
                   metavar="SEC", help="refresh every SEC in the live view (default 5s)")
    p.add_argument("-A", "--show-node-attributes", action="store_true",
                   help="show node attributes (links, pgsql status, ping scores)")
    p.add_argument("-f", "--failcounts", action="store_true",
                   help="show the migration summary (fail counts)")
    p.add_argument("-r", "--inactive", action="store_true", help="show inactive resources")
    p.add_argument("-o", "--operations", action="store_true",
                   help="show each node's operation history")
    p.add_argument("-n", "--group-by-node", action="store_true",
                   help="list resources under the node running them")
    p.add_argument("-s", "--simple-status", action="store_true",
                   help="one line, exit 0 OK, 1 WARN, 2 CRIT")
    p.add_argument("--output-as", choices=[f.value for f in OutputFormat], default="text")
    source = p.add_mutually_exclusive_group()
    source.add_argument("--cib", metavar="FILE", type=Path, help="harm's CIB file")
    source.add_argument("-x", "--xml-file", metavar="FILE", type=Path,
                        help="a Pacemaker CIB XML file (as crm_mon reads CIB_file)")
    source.add_argument("--socket", metavar="PATH", type=Path,
                        help="harmd's control socket (default $HARM_SOCKET)")
    return p


def source_of(args: argparse.Namespace) -> StatusSource:
    if args.cib is not None:
        return FileSource(args.cib)
    if args.xml_file is not None:
        return FileSource(args.xml_file)
    from harm.daemon.client import default_socket

    return DaemonSource(args.socket or default_socket())


def options_of(args: argparse.Namespace) -> MonOptions:
    return MonOptions(attributes=args.show_node_attributes, failcounts=args.failcounts,
                      inactive=args.inactive, operations=args.operations,
                      by_node=args.group_by_node)


def main(argv: Sequence[str] | None = None) -> int:
    words = list(sys.argv[1:] if argv is None else argv)
    args = parser().parse_args(words)
    source = source_of(args)
    options = options_of(args)
    output = OutputFormat(args.output_as)
    live = (not args.one_shot and not args.simple_status and output is OutputFormat.TEXT
            and sys.stdout.isatty() and sys.stdin.isatty())
    if live:
        from harm.mon.tui import run_live

        return run_live(source, options, args.interval)
    reading = source.read()
    if reading.cib is None:
        reason = reading.error or "unavailable"
        if args.simple_status:
            status = unavailable_status(reason)
            print(status.line)
            return status.code
        print(f"harm_mon: {source.describe()} unavailable: {reason}", file=sys.stderr)
        return 1
    snap = take_snapshot(reading.cib, int(time.time()), reading.notes, reading.witness)
    if args.simple_status:
        status = simple_status(snap)
        print(status.line)
        return status.code
    request = shlex.join(["harm_mon", *words])
    if output is OutputFormat.XML:
        from harm.mon.xmlout import render_xml

        sys.stdout.write(render_xml(snap, request))
    elif output is OutputFormat.JSON:
        from harm.mon.jsonout import render_json

        sys.stdout.write(render_json(snap, request))
    else:
        sys.stdout.write(render_text(snap, options))
    return 0


if __name__ == "__main__":
    sys.exit(main())
