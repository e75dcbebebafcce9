"""Overlays: sites and bridges from IGN-style geodata, applied onto a network.

An overlay is a folder holding ``sites.geojson`` (points: reception points, rail
loading quays, staging areas, convoy support centres, border crossings) and
optionally ``bridges.geojson`` (points on the road deck with MLC classes). Layers
may be in any CRS that names itself; they are reprojected to EPSG:3812. The
schema is documented in ``geodata/README.md``. Every problem in a layer is
collected and reported at once (:class:`~enablement.errors.OverlayError`), and
nothing is applied unless the whole overlay is valid.
"""

from __future__ import annotations

import logging
import math
import os
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.spatial import cKDTree

from ..defaults import figure
from ..errors import NetworkError, OverlayError
from .model import CRS, Network, with_transfer_edges

__all__ = [
    "BRIDGE_FIELDS",
    "SITE_KINDS",
    "Overlay",
    "apply_overlay",
    "overlay_path",
    "read_overlay",
]

logger = logging.getLogger(__name__)

SITE_KINDS = {
    "seaport": ("road+rail", "road"),
    "airport": ("road",),
    "rail_quay": ("road+rail",),
    "staging_area": ("road", "road+rail"),
    "convoy_support_centre": ("road",),
    "border_crossing": ("road", "rail"),
}
"""Allowed site kinds and the modes each may attach to."""

_SITE_REQUIRED = ("id", "name", "kind", "mode", "source", "illustrative")
_SITE_NUMERIC = {
    "discharge_rate_vph": (0.0, 10_000.0),
    "berths": (0.0, 1000.0),
    "stands": (0.0, 1000.0),
    "staging_capacity_vehicles": (0.0, 1_000_000.0),
    "usable_length_m": (1.0, 5000.0),
    "ramp_tracks": (1.0, 100.0),
    "max_axle_load_t": (1.0, 100.0),
    "loading_rate_wagons_per_h": (0.0, 1000.0),
    "capacity_vehicles": (0.0, 1_000_000.0),
    "accommodation": (0.0, 1_000_000.0),
    "lead_time_days": (0.0, 365.0),
}
BRIDGE_FIELDS = (
    "mlc_wheeled_oneway",
    "mlc_wheeled_twoway",
    "mlc_tracked_oneway",
    "mlc_tracked_twoway",
)
_BRIDGE_REQUIRED = ("id", "name", *BRIDGE_FIELDS, "source", "illustrative")


@dataclass
class Overlay:
    """A validated overlay, in EPSG:3812.

    Attributes
    ----------
    name
        The overlay's name or folder.
    sites
        Point sites indexed by id.
    bridges
        Bridge points indexed by id (may be empty).
    """

    name: str
    sites: gpd.GeoDataFrame
    bridges: gpd.GeoDataFrame


def overlay_path(name: str | os.PathLike[str]) -> Path:
    """Folder of an overlay: a packaged overlay name (``"belgium"``) or a path."""
    text = str(name)
    candidate = Path(text)
    if candidate.is_dir():
        return candidate
    packaged = resources.files("enablement.geodata") / text
    if packaged.is_dir():
        return Path(str(packaged))
    folders = resources.files("enablement.geodata").iterdir()
    known = sorted(p.name for p in folders if p.is_dir() and not p.name.startswith("_"))
    msg = (
        f"overlay '{text}' is neither a folder nor a packaged overlay; "
        f"packaged overlays: {', '.join(known) or 'none'}"
    )
    raise OverlayError(msg)


def _read_layer(path: Path, problems: list[str]) -> gpd.GeoDataFrame | None:
    try:
        gdf = gpd.read_file(path)
    except Exception as exc:  # noqa: BLE001 - GDAL raises many types; report them all the same way
        problems.append(f"{path}: cannot be read as a vector layer ({exc})")
        return None
    if gdf.crs is None:
        problems.append(f"{path}: no CRS; write the layer with its CRS (e.g. EPSG:4326)")
        return None
    return gdf.to_crs(CRS)


def _check_points(path: Path, gdf: gpd.GeoDataFrame, required: tuple[str, ...], problems: list[str]) -> None:
    missing = [f for f in required if f not in gdf.columns]
    if missing:
        problems.append(f"{path}: missing required field(s) {', '.join(missing)}")
    ids = gdf["id"] if "id" in gdf.columns else pd.Series([f"#{i}" for i in range(len(gdf))])
    for i, (fid, geom) in enumerate(zip(ids, gdf.geometry, strict=True)):
        label = f"{path}: feature {i} ({fid})"
        if geom is None or geom.is_empty:
            problems.append(f"{label}: empty geometry; give it a point")
        elif geom.geom_type != "Point":
            problems.append(f"{label}: geometry is {geom.geom_type}; sites and bridges are Points")
        elif not (math.isfinite(geom.x) and math.isfinite(geom.y)):
            problems.append(f"{label}: invalid coordinates")
        for f in required:
            if f in gdf.columns and (
                gdf[f].iloc[i] is None or (isinstance(gdf[f].iloc[i], float) and math.isnan(gdf[f].iloc[i]))
            ):
                problems.append(f"{label}: field '{f}' is empty")
    if "id" in gdf.columns:
        dup = gdf["id"][gdf["id"].duplicated()].unique()
        for d in dup:
            problems.append(f"{path}: id '{d}' is used by more than one feature; ids must be unique")


def _check_range(
    path: Path, gdf: gpd.GeoDataFrame, field: str, lo: float, hi: float, problems: list[str]
) -> None:
    if field not in gdf.columns:
        return
    values = pd.to_numeric(gdf[field], errors="coerce")
    for i, (raw, val) in enumerate(zip(gdf[field], values, strict=True)):
        if raw is None or (isinstance(raw, float) and math.isnan(raw)):
            continue
        if not math.isfinite(val) or not (lo <= val <= hi):
            problems.append(
                f"{path}: feature {i} ({gdf['id'].iloc[i] if 'id' in gdf.columns else i}): "
                f"field '{field}' = {raw!r} is out of range [{lo:g}, {hi:g}]"
            )


def read_overlay(name: str | os.PathLike[str] = "belgium") -> Overlay:
    """Read and validate an overlay folder.

    Parameters
    ----------
    name
        A packaged overlay name or a folder path.

    Returns
    -------
    Overlay
        Sites and bridges in EPSG:3812.

    Raises
    ------
    OverlayError
        With every problem found in the overlay's layers.
    """
    folder = overlay_path(name)
    problems: list[str] = []
    site_path = folder / "sites.geojson"
    if not site_path.exists():
        msg = f"{folder}: no sites.geojson; an overlay needs at least its sites layer"
        raise OverlayError(msg)
    sites = _read_layer(site_path, problems)
    if sites is not None:
        _check_points(site_path, sites, _SITE_REQUIRED, problems)
        for field, (lo, hi) in _SITE_NUMERIC.items():
            _check_range(site_path, sites, field, lo, hi, problems)
        if {"id", "kind", "mode"} <= set(sites.columns):
            for i, (sid, kind, mode) in enumerate(
                zip(sites["id"], sites["kind"], sites["mode"], strict=True)
            ):
                if kind not in SITE_KINDS:
                    problems.append(
                        f"{site_path}: feature {i} ({sid}): kind '{kind}' is unknown; "
                        f"use one of {', '.join(SITE_KINDS)}"
                    )
                elif mode not in SITE_KINDS[kind]:
                    problems.append(
                        f"{site_path}: feature {i} ({sid}): mode '{mode}' is not allowed for a "
                        f"{kind}; use {' or '.join(SITE_KINDS[kind])}"
                    )
    bridge_path = folder / "bridges.geojson"
    bridges: gpd.GeoDataFrame | None
    if bridge_path.exists():
        bridges = _read_layer(bridge_path, problems)
        if bridges is not None:
            _check_points(bridge_path, bridges, _BRIDGE_REQUIRED, problems)
            for field in BRIDGE_FIELDS:
                _check_range(bridge_path, bridges, field, 1, 150, problems)
            if set(BRIDGE_FIELDS) <= set(bridges.columns):
                for kind in ("wheeled", "tracked"):
                    one = pd.to_numeric(bridges[f"mlc_{kind}_oneway"], errors="coerce")
                    two = pd.to_numeric(bridges[f"mlc_{kind}_twoway"], errors="coerce")
                    for i in np.flatnonzero((two > one).to_numpy()):
                        problems.append(
                            f"{bridge_path}: feature {i} ({bridges['id'].iloc[i]}): "
                            f"mlc_{kind}_twoway ({two.iloc[i]:g}) exceeds mlc_{kind}_oneway "
                            f"({one.iloc[i]:g}); the two-way class is the lower one"
                        )
    else:
        bridges = gpd.GeoDataFrame({"id": []}, geometry=[], crs=CRS)
    if problems:
        n = len(problems)
        raise OverlayError(
            f"{n} problem{'s' if n > 1 else ''} in overlay '{name}':\n"
            + "\n".join(f"  - {p}" for p in problems)
        )
    assert sites is not None and bridges is not None
    return Overlay(str(name), sites.set_index("id", drop=False), bridges.set_index("id", drop=False))


def _snap(network: Network, mode: str, xy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    nodes = network.nodes
    ids = np.flatnonzero(nodes["mode"].to_numpy() == mode)
    if ids.size == 0:
        return np.full(len(xy), -1), np.full(len(xy), np.inf)
    tree = cKDTree(np.column_stack([nodes["x"].to_numpy()[ids], nodes["y"].to_numpy()[ids]]))
    dist, idx = tree.query(xy)
    return ids[idx], dist


def _with_transfers(net: Network, sites: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Add road↔rail transfer edges at sites where loading is possible (rail quays)."""
    quays = sites[(sites["kind"] == "rail_quay") & (sites["node_road"] >= 0) & (sites["node_rail"] >= 0)]
    links = [(int(q["node_road"]), int(q["node_rail"]), {"site_id": sid}) for sid, q in quays.iterrows()]
    base = net.edges[net.edges["mode"] != "transfer"].reset_index(drop=True)
    return with_transfer_edges(base, net.nodes, links, float(figure("transfer_time_min")) * 60.0)


def apply_overlay(
    network: Network,
    overlay: Overlay,
    *,
    tolerance_m: float | None = None,
    bridge_tolerance_m: float | None = None,
) -> Network:
    """Snap an overlay's sites and conflate its bridges onto a copy of ``network``.

    Parameters
    ----------
    network
        The network (not modified).
    overlay
        A validated overlay.
    tolerance_m
        Largest snapping distance of a site to a node of its mode(s).
    bridge_tolerance_m
        Largest distance of a bridge point to a road edge.

    Returns
    -------
    Network
        A copy with ``sites`` (``node_road``, ``node_rail``, ``snap_road_m``,
        ``snap_rail_m``) and bridge restrictions on the matched road edges (both
        directions).

    Raises
    ------
    NetworkError
        Naming every site or bridge further than the tolerance from the network.
    """
    tol = float(figure("snap_tolerance_m") if tolerance_m is None else tolerance_m)
    btol = float(figure("bridge_tolerance_m") if bridge_tolerance_m is None else bridge_tolerance_m)
    net = network.copy()
    sites = overlay.sites.copy()
    xy = np.column_stack([sites.geometry.x.to_numpy(), sites.geometry.y.to_numpy()])
    problems: list[str] = []
    for mode in ("road", "rail"):
        node, dist = _snap(net, mode, xy)
        wants = sites["mode"].str.contains(mode).to_numpy()
        sites[f"node_{mode}"] = np.where(wants, node, -1).astype(np.int64)
        sites[f"snap_{mode}_m"] = np.where(wants, np.round(dist, 1), np.nan)
        for sid, d in zip(sites.index[wants], dist[wants], strict=True):
            if d > tol:
                problems.append(
                    f"site '{sid}' is {d / 1000:.1f} km from the nearest {mode} node (tolerance "
                    f"{tol / 1000:.1f} km); move it in the overlay, raise network.snap_tolerance_m, "
                    f"or use a denser network"
                )
    bridges = overlay.bridges
    if len(bridges):
        road = net.edges[net.edges["mode"] == "road"]
        tree = shapely.STRtree(road.geometry.to_numpy())
        b_idx, e_idx = tree.query_nearest(
            bridges.geometry.to_numpy(), max_distance=btol, return_distance=False
        )
        matched: dict[int, int] = {}
        for bi, ei in zip(b_idx, e_idx, strict=True):
            matched.setdefault(int(bi), int(ei))
        for bi, bid in enumerate(bridges.index):
            if bi not in matched:
                problems.append(
                    f"bridge '{bid}' is more than {btol:.0f} m from any road edge; check its position"
                )
                continue
            row = road.iloc[matched[bi]]
            both = net.edges.index[
                (net.edges["mode"] == "road")
                & (
                    ((net.edges["u"] == row["u"]) & (net.edges["v"] == row["v"]))
                    | ((net.edges["u"] == row["v"]) & (net.edges["v"] == row["u"]))
                )
            ]
            for field in BRIDGE_FIELDS:
                net.edges.loc[both, field] = float(bridges[field].iloc[bi])
            for field, col in (("max_weight_t", "maxweight_t"), ("max_axle_load_t", "maxaxleload_t")):
                if field in bridges.columns and pd.notna(bridges[field].iloc[bi]):
                    net.edges.loc[both, col] = float(bridges[field].iloc[bi])
            net.edges.loc[both, "bridge_id"] = bid
    if problems:
        raise NetworkError(
            f"{len(problems)} overlay feature(s) do not fit the network:\n"
            + "\n".join(f"  - {p}" for p in problems)
        )
    net.sites = sites
    net.edges = _with_transfers(net, sites)
    net.meta = {**net.meta, "overlay": overlay.name, "bridges_conflated": len(bridges)}
    logger.info("applied overlay %s: %d sites, %d bridges", overlay.name, len(sites), len(bridges))
    return net
