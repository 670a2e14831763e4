"""Where a command finds the CIB: a file (``--cib FILE`` / ``HARM_CIB_FILE``), else the
running cluster through harmd's control socket (``--socket PATH`` / ``HARM_SOCKET``)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import click

from harm.daemon.client import DEFAULT_SOCKET

F = TypeVar("F", bound=Callable[..., object])


def cib_option(function: F) -> F:
    """The ``--cib FILE`` option (also ``HARM_CIB_FILE``)."""
    decorated = click.option(
        "--cib",
        "cib_file",
        type=click.Path(dir_okay=False, path_type=Path),
        envvar="HARM_CIB_FILE",
        help="Work on this CIB file (Pacemaker CIB XML) instead of the running cluster. "
             "Also HARM_CIB_FILE.",
    )(function)
    return decorated


def socket_option(function: F) -> F:
    """The ``--socket PATH`` option (also ``HARM_SOCKET``), used when no CIB file is named."""
    decorated = click.option(
        "--socket",
        "socket_path",
        type=click.Path(dir_okay=False, path_type=Path),
        envvar="HARM_SOCKET",
        default=DEFAULT_SOCKET,
        show_default=True,
        help="harmd's control socket, used when no CIB file is named. Also HARM_SOCKET.",
    )(function)
    return decorated


def target_options(function: F) -> F:
    """``--cib FILE`` and ``--socket PATH``: which CIB a command works on."""
    return cib_option(socket_option(function))
