"""The one bridge from a :class:`Network` to the kernels: CSR arrays, id maps and masks."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ..errors import NetworkError
from ..kernels import MAX_NODES
from .model import EDGE_RESTRICTION_COLUMNS, Network
from .speeds import column_speed_kmh, march_speed_kmh

if TYPE_CHECKING:
    from ..vehicles import Profile

__all__ = ["GraphArrays", "graph_arrays"]


@dataclass(frozen=True)
class GraphArrays:
    """Forward and reverse CSR of one mode, in kernel form.

    Attributes
    ----------
    mode
        ``"road"``, ``"rail"`` or ``"transfer"``.
    n_nodes
        Number of nodes of the whole network (ids are shared across modes).
    offsets, heads, tails
        Forward CSR: the out-edges of ``u`` are ``offsets[u]:offsets[u+1]``.
    edge_ids
        Row position in ``network.edges`` of each CSR edge.
    lengths, speed_kmh
        Per CSR edge (``speed_kmh``: the edge's own speed).
    march_kmh
        Per CSR edge: the fastest a column may march on it before its own cap
        (:func:`~enablement.network.speeds.march_speed_kmh`: the road class's convoy speed
        where known, never above the edge's own speed).
    restrictions
        Restriction columns per CSR edge (NaN = no limit).
    r_offsets, r_heads, r_edge
        Reverse CSR; ``r_edge`` gives the forward CSR edge of each reverse entry.
    x, y
        Node coordinates (EPSG:3812 metres).
    """

    mode: str
    n_nodes: int
    offsets: np.ndarray
    heads: np.ndarray
    tails: np.ndarray
    edge_ids: np.ndarray
    lengths: np.ndarray
    speed_kmh: np.ndarray
    march_kmh: np.ndarray
    restrictions: dict[str, np.ndarray]
    r_offsets: np.ndarray
    r_heads: np.ndarray
    r_edge: np.ndarray
    x: np.ndarray
    y: np.ndarray

    @property
    def n_edges(self) -> int:
        """Number of edges of this mode."""
        return int(self.heads.shape[0])

    def weights_ms(self, speed_cap_kmh: float | None = None) -> np.ndarray:
        """Integer travel time (ms, int32) per CSR edge.

        Without a cap, at the edge's own speed (free flow); with a column's cap, at the
        column's speed on the edge (:func:`~enablement.network.speeds.column_speed_kmh`:
        the road class's convoy speed, the edge's own speed and the cap, the lowest).
        """
        speed = self.speed_kmh if speed_cap_kmh is None else column_speed_kmh(self.march_kmh, speed_cap_kmh)
        ms = np.rint(self.lengths / (speed / 3.6) * 1000.0)
        return np.minimum(ms, np.iinfo(np.int32).max).astype(np.int32)

    def masks(self, profile: Profile | None) -> tuple[np.ndarray, np.ndarray]:
        """Usable edges and caution crossings (bool per CSR edge) for ``profile``."""
        ok = np.ones(self.n_edges, dtype=bool)
        caution = np.zeros(self.n_edges, dtype=bool)
        if profile is None:
            return ok, caution
        c = self.restrictions
        with np.errstate(invalid="ignore"):
            for kind, cls in (("wheeled", profile.mlc_wheeled), ("tracked", profile.mlc_tracked)):
                if cls > 0:
                    one, two = c[f"mlc_{kind}_oneway"], c[f"mlc_{kind}_twoway"]
                    ok &= ~(cls > one)
                    caution |= (cls > two) & ~(cls > one)
            ok &= ~(profile.mass_t > c["maxweight_t"])
            ok &= ~(profile.axle_load_t > c["maxaxleload_t"])
            ok &= ~(profile.height_m > c["maxheight_m"])
            ok &= ~(profile.width_m > c["maxwidth_m"])
            ok &= ~(profile.length_m > c["maxlength_m"])
        return ok, caution & ok

    def csr_positions(self, edge_rows: np.ndarray) -> np.ndarray:
        """CSR positions of network edge rows (rows of other modes are ignored)."""
        lookup = np.full(int(self.edge_ids.max(initial=-1)) + 1, -1, dtype=np.int64)
        lookup[self.edge_ids] = np.arange(self.n_edges)
        rows = np.asarray(edge_rows, dtype=np.int64)
        rows = rows[(rows >= 0) & (rows < lookup.size)]
        pos = lookup[rows]
        return pos[pos >= 0]


def graph_arrays(network: Network, mode: str) -> GraphArrays:
    """Build the CSR arrays of ``mode`` (edges ordered by tail, then head, then row)."""
    e = network.edges
    if network.n_nodes > MAX_NODES:
        msg = f"the network has {network.n_nodes} nodes; the routing kernels take at most {MAX_NODES}"
        raise NetworkError(msg)
    rows = np.flatnonzero(e["mode"].to_numpy() == mode)
    u = e["u"].to_numpy(np.int64)[rows]
    v = e["v"].to_numpy(np.int64)[rows]
    order = np.lexsort((rows, v, u))
    rows, u, v = rows[order], u[order], v[order]
    n = network.n_nodes
    offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(u, minlength=n), out=offsets[1:])
    r_order = np.lexsort((np.arange(v.size), u, v))
    r_offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(v, minlength=n), out=r_offsets[1:])
    sub = e.iloc[rows]
    speed = sub["speed_kmh"].to_numpy(np.float64)
    speed = np.where(np.isfinite(speed) & (speed > 0), speed, 1.0)
    return GraphArrays(
        mode=mode,
        n_nodes=n,
        offsets=offsets,
        heads=v.astype(np.int32),
        tails=u.astype(np.int32),
        edge_ids=rows,
        lengths=sub["length_m"].to_numpy(np.float64),
        speed_kmh=speed,
        march_kmh=np.minimum(march_speed_kmh(sub), speed),
        restrictions={c: sub[c].to_numpy(np.float64) for c in EDGE_RESTRICTION_COLUMNS},
        r_offsets=r_offsets,
        r_heads=u[r_order].astype(np.int32),
        r_edge=r_order.astype(np.int64),
        x=network.nodes["x"].to_numpy(np.float64),
        y=network.nodes["y"].to_numpy(np.float64),
    )
