"""Infrabel line sections: the Belgian national rail network built from the infrastructure manager's data.

The open-data layer of line sections gives, per section, its operational points at
both ends (``ptcarfrom``/``ptcarto`` ids and names), its geometry and attributes:
tracks (``nrtracks``), electrification (``ecs_voltfreq``: 3kV DC, 25kV AC, …),
combined-transport loading-gauge codes (``c70``, ``c400``, ``p70``, ``p400``),
national gauge class (``gauge_nat``), UIC loading gauge (``gauge``, kept as
``loading_gauge``), freight and passenger line categories (``linecat_f``,
``linecat_p``) and the line label (``label``, e.g. ``24``). Sections join at
their operational points, so the topology comes from the ids, not from matching
coordinates. Operational points become candidate rail sites in the
network's ``features`` layer. Data: Infrabel open data (reuse with credit to Infrabel).
"""

from __future__ import annotations

import logging
import os
import re
from collections import defaultdict
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from ..defaults import figure
from ..errors import NetworkError
from .model import CRS, Network, hilbert_order

__all__ = ["INFRABEL_ATTRIBUTION", "REQUIRED_FIELDS", "read_infrabel_lines", "read_infrabel_sections"]

logger = logging.getLogger(__name__)

INFRABEL_ATTRIBUTION = "Rail line sections: Infrabel open data"
REQUIRED_FIELDS = ("ptcarfrom", "ptcarto", "nrtracks", "ecs_voltfreq")
_KEEP = (
    "ls_id",
    "label",
    "nrtracks",
    "ecs_voltfreq",
    "gauge_nat",
    "gauge",
    "c70",
    "c400",
    "p70",
    "p400",
    "linecat_f",
    "linecat_p",
    "ptcarfrom",
    "ptcarto",
    "ptcarfromname",
    "ptcartoname",
)


_GAUGES = ("gauge_nat", "loading_gauge", "c70", "c400", "p70", "p400", "linecat_f", "linecat_p")


def _voltage(text: object) -> tuple[float, float]:
    """(volts, hertz) from ``"3kV DC"``, ``"25kV AC"``, ``"15kV AC"``; NaN when not electrified."""
    m = re.match(r"\s*(\d+(?:\.\d+)?)\s*kV\s*(AC|DC)", str(text), re.IGNORECASE)
    if not m:
        return np.nan, np.nan
    volts = float(m.group(1)) * 1000.0
    if m.group(2).upper() == "DC":
        return volts, 0.0
    return volts, 16.7 if volts == 15000.0 else 50.0


def _read_sections(p: Path) -> gpd.GeoDataFrame:
    """Read and check the line-section layer; every problem in one NetworkError. Returns EPSG:3812."""
    try:
        gdf = gpd.read_file(p)
    except Exception as exc:  # noqa: BLE001 - GDAL raises many types
        msg = f"{p}: cannot be read as a vector layer ({exc})"
        raise NetworkError(msg) from None
    if not len(gdf):
        msg = (
            f"{p}: the layer holds no line sections; give Infrabel's line-section layer "
            f"(a GeoJSON of LineStrings with fields {', '.join(REQUIRED_FIELDS)})"
        )
        raise NetworkError(msg)
    problems = []
    if gdf.crs is None:
        problems.append(f"{p}: no CRS; write the layer with its CRS (Infrabel publishes EPSG:4326)")
    missing = [f for f in REQUIRED_FIELDS if f not in gdf.columns]
    if missing:
        problems.append(f"{p}: missing required field(s) {', '.join(missing)}")
    _check_geometry(p, gdf, problems)
    if problems:
        raise NetworkError(
            f"{len(problems)} problem(s) in the Infrabel layer:\n" + "\n".join(f"  - {x}" for x in problems)
        )
    return gdf.to_crs(CRS)


def _check_geometry(p: Path, gdf: gpd.GeoDataFrame, problems: list[str]) -> None:
    """Sections are lines (or have no geometry) with coordinates on Earth."""

    def label(mask: np.ndarray) -> str:
        i = int(np.flatnonzero(mask)[0])
        name = f"ls_id {gdf['ls_id'].iloc[i]}" if "ls_id" in gdf.columns else f"feature {i}"
        n = int(mask.sum())
        return name if n == 1 else f"{n} sections (first: {name})"

    geoms = gdf.geometry.to_numpy()
    present = ~(pd.isna(geoms) | shapely.is_empty(geoms))
    kind = shapely.get_type_id(geoms)
    lines = np.isin(kind, (shapely.GeometryType.LINESTRING, shapely.GeometryType.MULTILINESTRING))
    if (not_line := present & ~lines).any():
        problems.append(f"{p}: geometry: {label(not_line)} is no line (a section runs between two points)")
    if gdf.crs is not None and gdf.crs.is_geographic and present.any():
        xy, index = shapely.get_coordinates(geoms[present], return_index=True)
        with np.errstate(invalid="ignore"):
            off = ~((np.abs(xy[:, 0]) <= 180.0) & (np.abs(xy[:, 1]) <= 90.0))
        if off.any():
            bad = np.zeros(len(gdf), bool)
            bad[np.flatnonzero(present)[np.unique(index[off])]] = True
            problems.append(
                f"{p}: geometry: {label(bad)} has a point beyond ±180° longitude or ±90° latitude; fix its "
                "coordinates (lon, lat in degrees)"
            )


def _line_attributes(gdf: pd.DataFrame) -> pd.DataFrame:
    """Infrabel fields turned into our rail columns (tracks, electrification, gauges, categories)."""
    attrs = gdf[[c for c in _KEEP if c in gdf.columns]].reset_index(drop=True)
    # the UIC loading gauge (G1, GA, GB, GC, DE3), not the track gauge: named as OSM's railway:loading_gauge
    attrs = attrs.rename(columns={"gauge": "loading_gauge"})
    volts = [_voltage(x) for x in attrs["ecs_voltfreq"]]
    attrs["voltage_v"] = [x[0] for x in volts]
    attrs["frequency_hz"] = [x[1] for x in volts]
    attrs["electrified"] = np.isfinite(attrs["voltage_v"]).astype(float)
    attrs["tracks"] = pd.to_numeric(attrs["nrtracks"], errors="coerce")
    return attrs


def read_infrabel_lines(path: str | os.PathLike[str]) -> gpd.GeoDataFrame:
    """Infrabel line sections as a ``rail_lines`` overlay layer (to enrich an OSM rail network).

    Parameters
    ----------
    path
        The line-section layer.

    Returns
    -------
    geopandas.GeoDataFrame
        One LineString per section with a geometry, in EPSG:3812: ``id``
        (``ls-<ls_id>``), ``line`` (label), ``tracks``, ``electrified``,
        ``voltage_v``, ``frequency_hz``, ``gauge_nat``, ``loading_gauge``, ``c70``, ``c400``, ``p70``,
        ``p400``, ``linecat_f``, ``linecat_p``, ``from_point``/``to_point``
        (operational-point names), ``source`` and ``illustrative`` (false).
    """
    p = Path(path)
    gdf = _read_sections(p)
    has_geom = gdf.geometry.notna() & ~gdf.geometry.is_empty
    gdf = gdf[has_geom].reset_index(drop=True)
    attrs = _line_attributes(gdf)
    ids = attrs["ls_id"].astype(str) if "ls_id" in attrs.columns else pd.Series(range(len(attrs))).astype(str)
    geoms = [shapely.line_merge(g) if g.geom_type == "MultiLineString" else g for g in gdf.geometry]
    out = pd.DataFrame(
        {
            "id": "ls-" + ids,
            "line": attrs.get("label"),
            "tracks": attrs["tracks"],
            "electrified": attrs["electrified"],
            "voltage_v": attrs["voltage_v"],
            "frequency_hz": attrs["frequency_hz"],
            **{
                c: attrs[c].astype(object).where(attrs[c].notna(), None)
                for c in _GAUGES
                if c in attrs.columns
            },
            "from_point": attrs.get("ptcarfromname"),
            "to_point": attrs.get("ptcartoname"),
            "source": [f"{INFRABEL_ATTRIBUTION}, line section {i}" for i in ids],
            "illustrative": False,
        }
    )
    lines = gpd.GeoDataFrame(out, geometry=geoms, crs=CRS)
    multi = lines.geometry.geom_type != "LineString"
    if multi.any():
        logger.info(
            "%d Infrabel sections with disjoint parts left out of the rail_lines layer", int(multi.sum())
        )
    return lines[~multi].reset_index(drop=True)


def read_infrabel_sections(path: str | os.PathLike[str]) -> Network:
    """Build a rail :class:`Network` from Infrabel line sections.

    Parameters
    ----------
    path
        The line-section layer (GeoJSON or any vector format with a CRS).

    Returns
    -------
    Network
        Rail nodes (operational points, Hilbert order), two directed edges per
        section with Infrabel attributes (``*_src = "infrabel"``), operational
        points in ``features`` and a build report in ``meta["report"]``.

    Raises
    ------
    NetworkError
        Listing every problem (missing fields, no CRS, sections without ends).
    """
    p = Path(path)
    gdf = _read_sections(p)
    ends_missing = gdf["ptcarfrom"].isna() | gdf["ptcarto"].isna()
    gdf = gdf[~ends_missing].copy()
    gdf["ptcarfrom"] = gdf["ptcarfrom"].astype(str)
    gdf["ptcarto"] = gdf["ptcarto"].astype(str)
    # operational point positions: section ends (first coordinate = from, last = to)
    seen: dict[str, list[tuple[float, float]]] = defaultdict(list)
    names: dict[str, str] = {}
    for f, t, fn, tn, geom in zip(
        gdf["ptcarfrom"],
        gdf["ptcarto"],
        gdf.get("ptcarfromname", pd.Series(index=gdf.index)),
        gdf.get("ptcartoname", pd.Series(index=gdf.index)),
        gdf.geometry,
        strict=True,
    ):
        if isinstance(fn, str):
            names.setdefault(f, fn)
        if isinstance(tn, str):
            names.setdefault(t, tn)
        if geom is None or geom.is_empty:
            continue
        line = shapely.line_merge(geom) if geom.geom_type == "MultiLineString" else geom
        coords = np.asarray(shapely.get_coordinates(line))
        seen[f].append(tuple(coords[0]))
        seen[t].append(tuple(coords[-1]))
    ptcars = sorted(set(gdf["ptcarfrom"]) | set(gdf["ptcarto"]))
    located = {k: np.mean(np.asarray(v), axis=0) for k, v in seen.items()}
    if not located:
        msg = (
            f"{p}: no line section has both ends (ptcarfrom, ptcarto) and a geometry "
            f"({int(ends_missing.sum())} of {len(ends_missing)} lack an end); "
            "give Infrabel's line-section layer"
        )
        raise NetworkError(msg)
    unlocated = [k for k in ptcars if k not in located]
    keep = gdf["ptcarfrom"].isin(located) & gdf["ptcarto"].isin(located)
    dropped = int((~keep).sum())
    gdf = gdf[keep]
    ids = sorted(located)
    xy = np.asarray([located[k] for k in ids])
    order = hilbert_order(xy[:, 0], xy[:, 1])
    ids = [ids[i] for i in order]
    xy = xy[order]
    index = {k: i for i, k in enumerate(ids)}
    u = gdf["ptcarfrom"].map(index).to_numpy(np.int64)
    v = gdf["ptcarto"].map(index).to_numpy(np.int64)
    geoms = []
    straight = 0
    for a, b, geom in zip(u, v, gdf.geometry, strict=True):
        if geom is None or geom.is_empty:
            geoms.append(shapely.LineString([xy[a], xy[b]]))
            straight += 1
        else:
            geoms.append(shapely.line_merge(geom) if geom.geom_type == "MultiLineString" else geom)
    attrs = _line_attributes(gdf)
    for col in ("electrified", "voltage_v", "frequency_hz", "tracks"):
        attrs[f"{col}_src"] = "infrabel"
    forward = attrs.assign(u=u, v=v, geometry=geoms)
    backward = attrs.assign(u=v, v=u, geometry=[shapely.reverse(g) for g in geoms])
    edges = pd.concat([forward, backward], ignore_index=True)
    edges["mode"] = "rail"
    edges["source"] = "infrabel"
    edges = gpd.GeoDataFrame(edges, geometry="geometry", crs=CRS)
    edges["length_m"] = edges.geometry.length
    edges["speed_kmh"] = float(figure("rail_speed_kmh"))
    edges["time_s"] = edges["length_m"] / (edges["speed_kmh"] / 3.6)
    edges = edges.sort_values(["u", "v"], kind="stable").reset_index(drop=True)
    nodes = gpd.GeoDataFrame(
        {"mode": "rail", "x": xy[:, 0], "y": xy[:, 1], "source_id": ids},
        geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]),
        crs=CRS,
    )
    nodes.index.name = "node"
    n = len(nodes)
    adj = coo_matrix((np.ones(len(edges)), (edges["u"], edges["v"])), shape=(n, n)).tocsr()
    n_comp, labels = connected_components(adj, directed=False)
    largest = int(np.bincount(labels).max()) if n else 0
    features = gpd.GeoDataFrame(
        {
            "kind": "operational_point",
            "osm_type": "ptcar",
            "osm_id": ids,
            "name": [names.get(k, "") for k in ids],
        },
        geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]),
        crs=CRS,
    )
    report = {
        "sections": int(len(gdf) + dropped),
        "sections_without_ends": int(ends_missing.sum()),
        "sections_dropped_unlocated": dropped,
        "sections_drawn_straight": straight,
        "operational_points": n,
        "operational_points_unlocated": len(unlocated),
        "components": int(n_comp),
        "largest_component_nodes": largest,
    }
    logger.info("Infrabel network: %s", report)
    meta = {
        "source": "infrabel",
        "source_detail": str(p),
        "attribution": INFRABEL_ATTRIBUTION,
        "report": report,
    }
    return Network(nodes, edges, meta=meta, features=features)
