"""The :class:`Network`: road and rail nodes, directed edges and sites in EPSG:3812."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

__all__ = [
    "CRS",
    "EDGE_RESTRICTION_COLUMNS",
    "MODES",
    "Network",
    "hilbert_order",
    "renumber_spatially",
    "with_transfer_edges",
]

CRS = "EPSG:3812"
"""Internal CRS: Belgian Lambert 2008, metres."""

MODES = ("road", "rail")

EDGE_RESTRICTION_COLUMNS = (
    "mlc_wheeled_oneway",
    "mlc_wheeled_twoway",
    "mlc_tracked_oneway",
    "mlc_tracked_twoway",
    "maxweight_t",
    "maxaxleload_t",
    "maxheight_m",
    "maxwidth_m",
    "maxlength_m",
)
"""Edge columns read by vehicle restrictions; NaN means no known limit."""


@dataclass
class Network:
    """A multimodal network in EPSG:3812.

    Attributes
    ----------
    nodes
        GeoDataFrame indexed 0…n-1 in spatial (Hilbert) order, columns ``mode``,
        ``x``, ``y`` (metres), ``source_id`` (id in the source data) and point
        geometry.
    edges
        GeoDataFrame of directed edges: ``u``, ``v`` (node ids), ``mode``,
        ``length_m``, ``speed_kmh``, ``time_s``, the restriction columns
        :data:`EDGE_RESTRICTION_COLUMNS` (NaN = unrestricted), ``bridge_id`` and
        line geometry. A two-way road is two rows.
    sites
        GeoDataFrame indexed by site id (may be empty until an overlay is
        applied) with ``node_road``/``node_rail`` and the snapping distances.
    meta
        Provenance and build figures (source, versions, clip area, counts).
    features
        Other mapped features (OSM rail yards, platforms, loading ramps) as points.
    """

    nodes: gpd.GeoDataFrame
    edges: gpd.GeoDataFrame
    sites: gpd.GeoDataFrame = field(default_factory=lambda: gpd.GeoDataFrame(geometry=[], crs=CRS))
    meta: dict[str, Any] = field(default_factory=dict)
    features: gpd.GeoDataFrame = field(default_factory=lambda: gpd.GeoDataFrame(geometry=[], crs=CRS))

    def __post_init__(self) -> None:
        for col in EDGE_RESTRICTION_COLUMNS:
            if col not in self.edges.columns:
                self.edges[col] = np.nan
        if "bridge_id" not in self.edges.columns:
            self.edges["bridge_id"] = pd.Series([None] * len(self.edges), dtype=object)

    @property
    def n_nodes(self) -> int:
        """Number of nodes."""
        return len(self.nodes)

    @property
    def n_edges(self) -> int:
        """Number of directed edges."""
        return len(self.edges)

    def km_by_mode(self) -> dict[str, float]:
        """Network length per mode in km, counting a two-way link once."""
        out: dict[str, float] = {}
        e = self.edges
        lo = np.minimum(e["u"].to_numpy(), e["v"].to_numpy())
        hi = np.maximum(e["u"].to_numpy(), e["v"].to_numpy())
        frame = pd.DataFrame(
            {"mode": e["mode"].to_numpy(), "lo": lo, "hi": hi, "length_m": e["length_m"].to_numpy()}
        )
        # a two-way link is two rows of equal length between the same nodes; parallel roads differ in length
        frame["rounded"] = frame["length_m"].round(1)
        frame = frame.drop_duplicates(["mode", "lo", "hi", "rounded"])
        for mode in MODES:
            out[mode] = float(frame.loc[frame["mode"] == mode, "length_m"].sum() / 1000.0)
        return out

    def summary(self) -> dict[str, Any]:
        """Summarise counts, km by mode, bounding box (EPSG:4326) and sources."""
        bounds = self.nodes.to_crs(4326).total_bounds if len(self.nodes) else [np.nan] * 4
        nodes_by_mode = self.nodes["mode"].value_counts().to_dict()
        edges_by_mode = self.edges["mode"].value_counts().to_dict()
        return {
            "nodes": self.n_nodes,
            "edges": self.n_edges,
            "nodes_by_mode": {m: int(nodes_by_mode.get(m, 0)) for m in MODES},
            "edges_by_mode": {m: int(edges_by_mode.get(m, 0)) for m in MODES},
            "km_by_mode": {m: round(v, 1) for m, v in self.km_by_mode().items()},
            "bbox_wgs84": [round(float(b), 5) for b in bounds],
            "sites": len(self.sites),
            "features": self.features["kind"].value_counts().to_dict() if "kind" in self.features else {},
            "source": self.meta.get("source", "unknown"),
            "attribution": self.meta.get("attribution", ""),
        }

    def copy(self) -> Network:
        """Deep copy (the frames are copied; geometries are immutable)."""
        return Network(
            self.nodes.copy(), self.edges.copy(), self.sites.copy(), dict(self.meta), self.features.copy()
        )


def with_transfer_edges(
    edges: gpd.GeoDataFrame,
    nodes: gpd.GeoDataFrame,
    links: list[tuple[int, int, dict[str, Any]]],
    time_s: float,
) -> gpd.GeoDataFrame:
    """Append two-way road↔rail transfer edges to ``edges``.

    Parameters
    ----------
    edges, nodes
        The network's frames (EPSG:3812).
    links
        ``(road node, rail node, attributes)`` per place where loading is possible.
    time_s
        Time to cross from one mode to the other.

    Returns
    -------
    geopandas.GeoDataFrame
        ``edges`` with the new ``mode = "transfer"`` rows (same index scheme: 0…n-1).
    """
    if not links:
        return edges
    x, y = nodes["x"].to_numpy(), nodes["y"].to_numpy()
    rows = []
    for road, rail, attrs in links:
        for u, v in ((road, rail), (rail, road)):
            rows.append(
                {
                    "u": u,
                    "v": v,
                    "mode": "transfer",
                    **attrs,
                    "length_m": float(np.hypot(x[u] - x[v], y[u] - y[v])),
                    "speed_kmh": np.nan,
                    "time_s": time_s,
                    "geometry": shapely.LineString([(x[u], y[u]), (x[v], y[v])]),
                }
            )
    extra = gpd.GeoDataFrame(rows, geometry="geometry", crs=CRS)
    return gpd.GeoDataFrame(pd.concat([edges, extra], ignore_index=True), geometry="geometry", crs=CRS)


def hilbert_order(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Positions of the points ``(x, y)`` sorted along a Hilbert curve (order 16, ties kept in place).

    The one node order of every network (OSM, Infrabel, embedded, after simplification).
    """
    from ..kernels import hilbert_codes

    xs, ys = np.ascontiguousarray(x, dtype=np.float64), np.ascontiguousarray(y, dtype=np.float64)
    return np.argsort(hilbert_codes(xs, ys, 16), kind="stable")


def renumber_spatially(
    nodes: gpd.GeoDataFrame, edges: gpd.GeoDataFrame
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Renumber nodes 0…n-1 in Hilbert order and remap the edges' ``u``/``v`` to match."""
    order = hilbert_order(nodes["x"].to_numpy(), nodes["y"].to_numpy())
    rank = np.empty(order.size, np.int64)
    rank[order] = np.arange(order.size)
    out_nodes = nodes.iloc[order].reset_index(drop=True).rename_axis(nodes.index.name)
    out_edges = edges.copy()
    out_edges["u"] = rank[out_edges["u"].to_numpy(np.int64)]
    out_edges["v"] = rank[out_edges["v"].to_numpy(np.int64)]
    return gpd.GeoDataFrame(out_nodes, crs=nodes.crs), gpd.GeoDataFrame(out_edges, crs=edges.crs)
