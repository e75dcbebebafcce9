"""Reading optional numeric attributes (None, NaN or text mean "not given")."""

from __future__ import annotations

import math

__all__ = ["as_float"]


def as_float(value: object, default: float) -> float:
    """``value`` as a float, or ``default`` when it is missing, NaN or not a number."""
    try:
        f = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return default
    return default if math.isnan(f) else f
