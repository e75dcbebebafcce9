"""Numba kernels of ``enablement`` (imported as ``enablement.kernels``).

Kernels take and return plain numpy arrays with internal indices. They never
import ``enablement``, pandas or networkx: the Python wrappers validate inputs
and translate ids.
"""

from .dijkstra import (
    INF,
    MAX_DIST,
    MAX_NODES,
    NODE_BITS,
    astar,
    bidirectional,
    blocks,
    dijkstra,
    many_to_many,
    removal_costs,
    unpack_path,
)
from .spatial import hilbert_codes

__all__ = [
    "INF",
    "MAX_DIST",
    "MAX_NODES",
    "NODE_BITS",
    "astar",
    "bidirectional",
    "blocks",
    "dijkstra",
    "hilbert_codes",
    "many_to_many",
    "removal_costs",
    "unpack_path",
]
