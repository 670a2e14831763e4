"""Where offline commands find the CIB: ``--cib FILE`` or ``HARM_CIB_FILE``."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import click

from harm.errors import ControlError

F = TypeVar("F", bound=Callable[..., object])


def cib_option(function: F) -> F:
    """The ``--cib FILE`` option (also ``HARM_CIB_FILE``)."""
    decorated = click.option(
        "--cib",
        "cib_file",
        type=click.Path(dir_okay=False, path_type=Path),
        envvar="HARM_CIB_FILE",
        help="Work on this CIB file (Pacemaker CIB XML). Also HARM_CIB_FILE.",
    )(function)
    return decorated


def require_cib(path: Path | None) -> Path:
    """The CIB file, or a ControlError that says how to name one."""
    if path is None:
        raise ControlError(
            "no CIB to work on: give --cib FILE or set HARM_CIB_FILE "
            "(talking to a running cluster is not available in this version)"
        )
    return path
