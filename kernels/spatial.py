"""Spatial ordering kernels: Hilbert curve codes for node renumbering."""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True)
def _hilbert_d(order: int, xi: int, yi: int) -> int:  # pragma: no cover - jitted
    """Distance along a Hilbert curve of side ``2**order`` of cell ``(xi, yi)``."""
    n = 1 << order
    d = 0
    s = n >> 1
    x = xi
    y = yi
    while s > 0:
        rx = 1 if (x & s) > 0 else 0
        ry = 1 if (y & s) > 0 else 0
        d += s * s * ((3 * rx) ^ ry)
        # rotate the quadrant
        if ry == 0:
            if rx == 1:
                x = n - 1 - x
                y = n - 1 - y
            x, y = y, x
        s >>= 1
    return d


@njit(cache=True)
def hilbert_codes(x: np.ndarray, y: np.ndarray, order: int) -> np.ndarray:  # pragma: no cover
    """Hilbert curve codes of points on a ``2**order`` grid over their bounding box.

    Parameters
    ----------
    x, y
        Coordinates (float64), same length.
    order
        Curve order, 1…31; the grid has ``2**order`` cells per side.

    Returns
    -------
    numpy.ndarray
        int64 codes; sorting by them orders points along the curve.
    """
    n = x.shape[0]
    out = np.empty(n, dtype=np.int64)
    if n == 0:
        return out
    xmin = x.min()
    ymin = y.min()
    span = max(x.max() - xmin, y.max() - ymin)
    if span <= 0.0:
        span = 1.0
    side = (1 << order) - 1
    for i in range(n):
        xi = int((x[i] - xmin) / span * side)
        yi = int((y[i] - ymin) / span * side)
        out[i] = _hilbert_d(order, xi, yi)
    return out
