"""The same crm text loaded with crm shell and with harm gives the same elements in the same
order: every example configuration and every crm example in the docs.

crm shell runs offline on a CIB file (``CIB_file=FILE crm -F configure load update TEXT``;
``-F`` because crm shell refuses agents it cannot find here, such as ``ocf:pacemaker:pingd``).
Compared, section by section (nodes, resources, constraints, tags): each element's tag and
what identifies it — the id of resources, constraints, attribute sets and resource sets, the
name and value of an nvpair, the name, interval and role of an operation, the score and role
of a rule, the attribute, operation and value of an expression. Spellings both tools accept
for one thing (role names, ``score=0`` for ``kind=Optional``, an id on ``operations``,
generated ids of rules and operations) are not compared.
"""

from __future__ import annotations

import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from harm.cib.store import load_cib
from harm.cib.xml_export import cib_to_xml
from harm.crmsh.load import parse_configuration
from harm.crmsh.parser import KEYWORDS
from harm.errors import ConfigErrors
from tests.crmsh.seed import corrected_seed_text

REPO = Path(__file__).resolve().parents[2]
ROLES = {"master": "Promoted", "promoted": "Promoted", "slave": "Unpromoted",
         "unpromoted": "Unpromoted", "started": "Started", "stopped": "Stopped"}
KEYS = {
    "nvpair": ("name", "value"),
    "op": ("name", "interval", "role"),
    "rule": ("score", "score-attribute", "role", "boolean-op"),
    "expression": ("attribute", "operation", "value", "type"),
    "date_expression": ("operation", "start", "end"),
    "operations": (),
}


def _without_comments(text: str) -> str:
    """crm shell keeps comments as XML comments, which cannot hold '--'; harm drops them."""
    return "".join(line for line in text.splitlines(keepends=True)
                   if not line.lstrip().startswith("#"))


def _examples() -> list[tuple[str, str]]:
    found = [("configs/pgsql-lab.crm", (REPO / "configs" / "pgsql-lab.crm").read_text()),
             ("configs/seed-crm_conf.txt (slips corrected)", corrected_seed_text())]
    for doc in sorted((REPO / "docs").glob("*.md")):
        text = doc.read_text()
        for match in re.finditer(r"```[a-z]*\n(.*?)```", text, re.S):
            block = match.group(1)
            words = block.split()
            if not words or words[0] not in KEYWORDS or "…" in block:
                continue
            try:
                parse_configuration(block)
            except ConfigErrors:
                continue  # a grammar line or a fragment, not an example
            line = text[:match.start()].count("\n") + 1
            found.append((f"{doc.relative_to(REPO)}:{line}", block))
    return found


EXAMPLES = _examples()


def _identity(elem: ET.Element) -> str:
    keys = KEYS.get(elem.tag, ("id",))
    parts = [elem.tag]
    for key in keys:
        value = elem.get(key)
        if value is None:
            continue
        if key == "role":
            value = ROLES.get(value.lower(), value)
        parts.append(f"{key}={' '.join(value.split())}")
    return " ".join(parts)


def _elements(path: Path) -> list[str]:
    root = ET.parse(path).getroot()
    configuration = root.find("configuration")
    assert configuration is not None
    lines: list[str] = []

    def walk(elem: ET.Element, depth: int) -> None:
        for child in elem:
            if isinstance(child.tag, str):  # comments are not elements
                lines.append("  " * depth + _identity(child))
                walk(child, depth + 1)

    for section in ("nodes", "resources", "constraints", "tags"):
        lines.append(section)
        found = configuration.find(section)
        if found is not None:
            walk(found, 1)
    return lines


def test_the_examples_are_found() -> None:
    names = [name for name, _ in EXAMPLES]
    assert len(names) >= 5, names
    assert any(name.startswith("docs/") for name in names)


@pytest.mark.pacemaker
@pytest.mark.parametrize("name, text", EXAMPLES, ids=[name for name, _ in EXAMPLES])
def test_harm_loads_crm_text_as_crm_shell_does(tmp_path: Path, name: str, text: str) -> None:
    source = tmp_path / "config.crm"
    source.write_text(_without_comments(text))
    theirs = tmp_path / "crmsh.xml"
    theirs.write_text(subprocess.run(["cibadmin", "--empty"], capture_output=True, text=True,
                                     check=True, timeout=60).stdout)
    done = subprocess.run(["crm", "-F", "configure", "load", "update", str(source)],
                          env={"CIB_file": str(theirs), "PATH": "/usr/sbin:/usr/bin:/bin"},
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    ours = tmp_path / "harm.xml"
    loaded = subprocess.run([sys.executable, "-m", "harm.cli.main", "configure", "--cib",
                             str(ours), "load", "update", str(source)],
                            capture_output=True, text=True, timeout=120, check=False)
    assert loaded.returncode == 0, loaded.stderr
    ours.write_text(cib_to_xml(load_cib(ours)))
    assert _elements(ours) == _elements(theirs)
