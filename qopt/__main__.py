"""``python -m qopt``: the ``qopt`` command (the entry point sits above every layer)."""

import sys

from qopt.cli.app import main

sys.exit(main())
