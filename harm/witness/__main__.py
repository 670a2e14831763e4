"""``python -m harm.witness``: the same as ``harm witness``."""

import sys

from harm.cli.main import main

sys.exit(main(["witness", *sys.argv[1:]]))
