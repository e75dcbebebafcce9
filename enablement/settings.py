"""Locations used by ``enablement`` for I/O.

Attributes
----------
cache_folder
    Where derived data is cached (the embedded network, Overpass responses).
    Taken from the environment variable ``ENABLEMENT_CACHE`` when set, else
    ``~/.cache/enablement``. Change it at run time by assigning to
    ``enablement.settings.cache_folder``.
use_cache
    Whether derived data is read from and written to ``cache_folder``.
"""

from __future__ import annotations

import os
from pathlib import Path

cache_folder: Path = Path(os.environ.get("ENABLEMENT_CACHE", Path.home() / ".cache" / "enablement"))
use_cache: bool = True
