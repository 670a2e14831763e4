"""``harm status``: the cluster status once, exactly as ``harm_mon -1`` prints it.

It asks the local harmd (``--socket PATH`` / ``HARM_SOCKET``) or reads a CIB file
(``--cib FILE`` / ``HARM_CIB_FILE``) and hands over to :mod:`harm.mon` with the same
section flags, so the two commands cannot drift apart.
"""

from __future__ import annotations

from pathlib import Path

import click

from harm.cli.cibfile import target_options
from harm.cli.session import ClusterSession


@click.command(name="status")
@target_options
@click.option("-A", "--show-node-attributes", "attrs", is_flag=True,
              help="Show node attributes.")
@click.option("-f", "--failcounts", is_flag=True, help="Show the migration summary.")
@click.option("-r", "--inactive", is_flag=True, help="Show inactive resources.")
@click.option("-o", "--operations", is_flag=True, help="Show each node's operation history.")
@click.option("-n", "--group-by-node", "by_node", is_flag=True,
              help="List resources under the node running them.")
def command(cib_file: Path | None, socket_path: Path, attrs: bool, failcounts: bool,
            inactive: bool, operations: bool, by_node: bool) -> None:
    """Show the cluster status once (the text of 'harm_mon -1')."""
    from harm.mon.main import main as harm_mon

    flags = [flag for flag, on in (("-A", attrs), ("-f", failcounts), ("-r", inactive),
                                   ("-o", operations), ("-n", by_node)) if on]
    if cib_file is not None:
        source = ["--cib", str(cib_file)]
    else:
        ClusterSession(socket_path).check_running()
        source = ["--socket", str(socket_path)]
    code = harm_mon(["-1", *flags, *source])
    if code != 0:
        raise click.exceptions.Exit(code)
