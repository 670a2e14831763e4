"""Writing the tools' executables: one ``/bin/sh`` line each, running harmd's interpreter.

    #!/bin/sh
    exec '/opt/harm/venv/bin/python' -P -m harm.pcmktools.crm_attribute "$@"

The interpreter is the one harmd runs with (``sys.executable``), so the tools import the
same harm however it was installed. The directory is rewritten when harmd's executor
starts; a file is replaced only when its text differs, and atomically (temp + rename), so
agents running meanwhile never see half a script.
"""

from __future__ import annotations

import os
import shlex
from pathlib import Path

TOOLS = ("crm_attribute", "crm_master", "attrd_updater", "crm_node", "crm_mon",
         "crm_resource", "crm_failcount", "crm_standby", "cibadmin", "pacemakerd")


def script(tool: str, python: str) -> str:
    return f'#!/bin/sh\nexec {shlex.quote(python)} -P -m harm.pcmktools.{tool} "$@"\n'


def write_tools(directory: Path, python: str) -> None:
    """Create or refresh every tool in ``directory`` (made if missing)."""
    directory.mkdir(parents=True, exist_ok=True)
    for tool in TOOLS:
        path = directory / tool
        text = script(tool, python)
        try:
            if path.read_text(encoding="utf-8") == text and os.access(path, os.X_OK):
                continue
        except OSError:
            pass
        tmp = directory / f".{tool}.{os.getpid()}.tmp"
        tmp.write_text(text, encoding="utf-8")
        tmp.chmod(0o755)
        os.replace(tmp, path)
