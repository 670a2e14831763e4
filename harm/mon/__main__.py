"""``python -m harm.mon`` runs harm_mon."""

import sys

from harm.mon.main import main

sys.exit(main())
