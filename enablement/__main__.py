"""``python -m enablement``."""

import sys

from .cli import main

sys.exit(main())
