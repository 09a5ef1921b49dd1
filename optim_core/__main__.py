"""Entry point of ``python -m optim_core`` (see optim_core.cli)."""

import sys

from optim_core.cli import main

sys.exit(main())
