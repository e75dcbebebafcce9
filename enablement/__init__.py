"""enablement: plan the Reception, Staging and Onward Movement of allied forces through Belgium."""

from __future__ import annotations

import logging

__version__ = "0.1.0"

logging.getLogger(__name__).addHandler(logging.NullHandler())

from . import kernels  # noqa: E402  (enablement.kernels is the top-level kernels/ folder)

__all__ = ["__version__", "kernels"]
