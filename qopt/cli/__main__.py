"""``python -m qopt.cli``: the ``qopt`` command."""

import sys

from qopt.cli.app import main

sys.exit(main())
