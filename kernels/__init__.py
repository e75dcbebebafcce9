"""Numba kernels of ``enablement`` (imported as ``enablement.kernels``).

Kernels take and return plain numpy arrays with internal indices. They never
import ``enablement``, pandas or networkx: the Python wrappers validate inputs
and translate ids.
"""

from .spatial import hilbert_codes

__all__ = ["hilbert_codes"]
