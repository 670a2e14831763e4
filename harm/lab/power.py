"""The chassis-control program of the lab's BMCs (see :mod:`harm.lab.bmc`).

``ipmi_sim`` runs it as ``python -m harm.lab.power [--run-root DIR] LAB NODE get PARAM…``
(it prints ``power:1`` or ``power:0``) or ``… set PARAM VALUE …`` (``power 0`` powers the
node off, ``power 1`` on; other parameters, boot device or identify, are accepted and
ignored). Each call is logged in the node's ``power.log``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from harm.errors import HarmError
from harm.lab import bmc, lab
from harm.lab.spec import RUN_ROOT


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="harm.lab.power")
    parser.add_argument("--run-root", default=str(RUN_ROOT))
    parser.add_argument("lab")
    parser.add_argument("node")
    parser.add_argument("verb", choices=("get", "set", "check"))
    parser.add_argument("params", nargs="*")
    args = parser.parse_args(argv)
    spec = lab.load(args.lab, Path(args.run_root))
    with open(spec.node_dir(args.node) / "power.log", "a", encoding="utf-8") as log:
        log.write(f"{time.time():.3f} {args.verb} {' '.join(args.params)}\n")
    if args.verb == "get":
        for name in args.params:
            if name == "power":
                print(f"power:{1 if bmc.powered_on(spec, args.node) else 0}")
        return 0
    if args.verb == "set":
        pairs = list(zip(args.params[::2], args.params[1::2], strict=False))
        for name, value in pairs:
            if name != "power":
                continue
            try:
                if value.strip() in ("0", "off"):
                    bmc.power_off(spec, args.node)
                else:
                    bmc.power_on(spec, args.node)
            except HarmError as error:
                print(f"power {value}: {error}", file=sys.stderr)
                return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
