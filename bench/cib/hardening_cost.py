"""What reading and saving CIB XML safely costs, against the plain ways, in one run.

    nice -n 10 .venv/bin/python bench/cib/hardening_cost.py

Reading: ``harm.cib.xml_import.parse_cib_xml`` (DOCTYPE check and depth check through
``harm.cib.safe_xml``) against ElementTree's plain ``fromstring`` feeding the same reader,
on a 16 x 200 CIB with history. Saving: ``persist_cib_xml`` (digest, last good copy)
against ``save_cib_xml`` (atomic, fsync'ed), on a 32 x 1000 CIB, in a directory under
/var/tmp. Medians of 7, the two ways interleaved.
"""

from __future__ import annotations

import shutil
import statistics
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from harm.cib import xml_import
from harm.cib.store import persist_cib_xml, save_cib_xml
from harm.cib.xml_export import cib_to_xml
from tests.cib.large_cib import build_large_cib


def _medians(ways: dict[str, Callable[[], object]], repeat: int = 7) -> dict[str, float]:
    times: dict[str, list[float]] = {name: [] for name in ways}
    for _ in range(repeat):
        for name, run in ways.items():
            started = time.perf_counter()
            run()
            times[name].append(time.perf_counter() - started)
    return {name: round(statistics.median(t) * 1000, 1) for name, t in times.items()}


def main() -> None:
    small = cib_to_xml(build_large_cib(16, 200))
    print(f"read {len(small):,} bytes (ms):", _medians({
        "plain ElementTree": lambda: xml_import._Reader("x", ET.fromstring(small)).read(),
        "parse_cib_xml": lambda: xml_import.parse_cib_xml(small, "x"),
    }))
    large = cib_to_xml(build_large_cib(32, 1000))
    folder = Path(tempfile.mkdtemp(dir="/var/tmp"))
    try:
        print(f"save {len(large):,} bytes (ms):", _medians({
            "save_cib_xml": lambda: save_cib_xml(folder / "plain.xml", large),
            "persist_cib_xml": lambda: persist_cib_xml(folder / "cib.xml", large),
        }))
    finally:
        shutil.rmtree(folder)


if __name__ == "__main__":
    main()
