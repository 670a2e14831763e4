"""Compare harm_mon with Debian's crm_mon on every CIB of Pacemaker's scheduler corpus.

    .venv/bin/python -m tests.mon.corpus_compare Afr      # text, crm_mon -1 -Afr
    .venv/bin/python -m tests.mon.corpus_compare plain    # text, crm_mon -1
    .venv/bin/python -m tests.mon.corpus_compare xml      # --output-as=xml, + RNG validation

Prints the number of identical outputs (the clock and harm's documented additions taken
out) and lists the cases that differ. Takes a few minutes: one crm_mon run per case.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from harm.cib.xml_import import parse_cib_xml
from harm.mon.options import MonOptions
from harm.mon.snapshot import take_snapshot
from harm.mon.text import render_text
from harm.mon.xmlout import render_xml
from tests.conftest import CORPUS_DIR
from tests.mon.helpers import comparable
from tests.mon.test_xml import SCHEMA


def options(flags: str) -> MonOptions:
    if flags == "plain":
        return MonOptions()
    return MonOptions(attributes="A" in flags, failcounts="f" in flags,
                      inactive="r" in flags, operations="o" in flags, by_node="n" in flags)


def main(flags: str) -> int:
    os.environ["TZ"] = "UTC"
    time.tzset()
    env = {"TZ": "UTC", "PATH": os.environ.get("PATH", "")}
    args = ["--output-as=xml"] if flags == "xml" else [] if flags == "plain" else [f"-{flags}"]
    same = valid = total = 0
    differ: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out.xml"
        for path in sorted((CORPUS_DIR / "xml").glob("*.xml")):
            done = subprocess.run(["crm_mon", "-1", *args], env={**env, "CIB_file": str(path)},
                                  capture_output=True, text=True, timeout=60, check=False)
            if "Cluster Summary" not in done.stdout and "<summary>" not in done.stdout:
                continue
            total += 1
            snap = take_snapshot(parse_cib_xml(path.read_bytes(), str(path)), int(time.time()))
            if flags == "xml":
                got = render_xml(snap)
                out.write_text(got)
                check = subprocess.run(["xmllint", "--noout", "--relaxng", str(SCHEMA),
                                        str(out)], capture_output=True, timeout=60, check=False)
                valid += check.returncode == 0
            else:
                got = render_text(snap, options(flags))
            if comparable(got) == comparable(done.stdout):
                same += 1
            else:
                differ.append(path.stem)
    print(f"{flags}: {same} of {total} identical to crm_mon"
          + (f", {valid} of {total} valid against {SCHEMA.name}" if flags == "xml" else ""))
    for name in differ:
        print(f"  differs: {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "Afr"))
