"""Roads and lines the network lacks, added from an overlay's ``links`` layer.

A coarse network (the embedded one) holds main roads and lines only: a camp's
access road or a branch line to a military ramp may be missing, so the site
cannot attach honestly (:mod:`enablement.network.snapping`). A ``links`` feature
is a LineString with a ``mode`` (``road`` or ``rail``); each of its vertices
becomes a node and each segment a two-way edge of its own length. An end within
``link_join_tolerance_m`` of a node of that mode joins it (the node is reused); an
end farther away is a new dead-end node (the road ends at the camp gate). At least
one end must join the network, else the link is reported ``unmatched``: an island
that no route can reach. Speeds: the feature's ``maxspeed_kmh``, else the
default speed of its ``highway`` class, else the network's default for the mode.
"""

from __future__ import annotations

import itertools
import math
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.spatial import cKDTree

from ...defaults import figure
from .schema import _missing

__all__ = ["add_links"]


def _speed(feat: pd.Series, mode: str) -> float:
    if "maxspeed_kmh" in feat.index and not _missing(feat["maxspeed_kmh"]):
        return float(feat["maxspeed_kmh"])
    highway = feat.get("highway") if "highway" in feat.index else None
    defaults: dict[str, float] = figure("osm_default_speed_kmh")
    if mode == "road" and isinstance(highway, str) and highway in defaults:
        return float(defaults[highway])
    return float(figure("road_speed_kmh" if mode == "road" else "rail_speed_kmh"))


def add_links(
    nodes: gpd.GeoDataFrame, edges: gpd.GeoDataFrame, links: gpd.GeoDataFrame
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, list[dict[str, Any]]]:
    """Add every ``links`` feature to the network (module docstring).

    Parameters
    ----------
    nodes, edges
        The network's frames (EPSG:3812, nodes indexed 0…n-1).
    links
        The overlay's validated ``links`` layer (EPSG:3812).

    Returns
    -------
    nodes, edges
        The frames with the links' nodes appended (ids n, n+1, …) and their edges.
    records
        One conflation-report row per link (``layer`` ``links``): ``matched`` with the
        nodes it joins, or ``unmatched`` and why.
    """
    if not len(links):
        return nodes, edges, []
    join = float(figure("link_join_tolerance_m"))
    nx, ny = nodes["x"].to_numpy(float), nodes["y"].to_numpy(float)
    modes = nodes["mode"].to_numpy()
    new_nodes: list[dict[str, Any]] = []
    new_edges: list[dict[str, Any]] = []
    records: list[dict[str, Any]] = []
    nid = len(nodes)
    for _, feat in links.iterrows():
        fid, mode = str(feat["id"]), str(feat["mode"])
        coords = np.asarray(feat.geometry.coords, float)[:, :2]
        ids_mode = np.flatnonzero(modes == mode)
        ends: list[tuple[int, float]] = []
        if ids_mode.size:
            tree = cKDTree(np.column_stack([nx[ids_mode], ny[ids_mode]]))
            for xy in (coords[0], coords[-1]):
                d, k = tree.query(xy)
                ends.append((int(ids_mode[int(k)]), float(d)))
        else:
            ends = [(-1, math.inf), (-1, math.inf)]
        joined = [d <= join for _, d in ends]
        record = {
            "layer": "links",
            "id": fid,
            "edges": 0,
            "edge_rows": "",
            "distance_m": round(min(d for _, d in ends), 1) if ids_mode.size else None,
            "share": None,
            "geometry": feat.geometry,
        }
        if not any(joined):
            record |= {
                "status": "unmatched",
                "reason": f"neither end lies within {join:g} m of a {mode} node (nearest "
                + ", ".join(f"{d / 1000:.1f} km" for _, d in ends)
                + "); a link must begin or end at the network: move an end onto it",
            }
            records.append(record)
            continue
        speed = _speed(feat, mode)
        chain: list[int] = []
        for k, (x, y) in enumerate(coords.tolist()):
            if k == 0 and joined[0]:
                chain.append(ends[0][0])
            elif k == len(coords) - 1 and joined[1]:
                chain.append(ends[1][0])
            else:
                new_nodes.append({"node": nid, "mode": mode, "x": x, "y": y, "source_id": f"link:{fid}:{k}"})
                chain.append(nid)
                nid += 1
        xy = {**{int(i): (nx[i], ny[i]) for i in chain if i < len(nodes)}}
        xy |= {int(r["node"]): (float(r["x"]), float(r["y"])) for r in new_nodes}
        first = len(edges) + len(new_edges)
        for a, b in itertools.pairwise(chain):
            (xa, ya), (xb, yb) = xy[a], xy[b]
            length = float(math.hypot(xb - xa, yb - ya))
            for u, v, line in ((a, b, [(xa, ya), (xb, yb)]), (b, a, [(xb, yb), (xa, ya)])):
                row: dict[str, Any] = {
                    "u": u,
                    "v": v,
                    "mode": mode,
                    "length_m": length,
                    "speed_kmh": speed,
                    "time_s": length / (speed / 3.6),
                    "link_id": fid,
                    "geometry": shapely.LineString(line),
                }
                for col in ("name", "ref", "highway"):
                    if col in feat.index and not _missing(feat[col]):
                        row[col] = str(feat[col])
                new_edges.append(row)
        km = sum(r["length_m"] for r in new_edges[first - len(edges) :]) / 2000.0
        at = [f"node {n}" for (n, _), j in zip(ends, joined, strict=True) if j]
        record |= {
            "status": "matched",
            "reason": f"added {km:.1f} km of {mode} joined at {' and '.join(at)}"
            + ("" if all(joined) else " (the other end is a new dead end)"),
            "edges": len(new_edges) - (first - len(edges)),
        }
        records.append(record)
    if new_nodes:
        extra = pd.DataFrame(new_nodes).set_index("node")
        extra.index.name = nodes.index.name
        pts = shapely.points(extra[["x", "y"]].to_numpy())
        added = gpd.GeoDataFrame(extra, geometry=pts, crs=nodes.crs)
        nodes = gpd.GeoDataFrame(pd.concat([nodes, added]), crs=nodes.crs)
    if new_edges:
        extra_edges = gpd.GeoDataFrame(new_edges, geometry="geometry", crs=edges.crs)
        edges = gpd.GeoDataFrame(pd.concat([edges, extra_edges], ignore_index=True), crs=edges.crs)
    return nodes, edges, records
