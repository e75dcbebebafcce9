"""OpenStreetMap ingestion: road and rail networks from Overpass or from local extracts.

Two sources feed one pipeline:

- files (``.osm``, ``.osm.bz2``, ``.osm.pbf``) are read with pyosmium, which keeps
  only highway and railway ways and the locations of their nodes, so a country
  extract never goes through an XML parser whole;
- Overpass (place name, bounding box or polygon) is queried through osmnx's
  Overpass client, with osmnx's cache folder pointed at ours; its JSON responses
  are read by the same way reader as recorded responses in the tests.

Both give :class:`WayRecord` lists. Ways that reference nodes missing from the
data (every clipped extract has them) are repaired by trimming the missing parts:
a way splits into its runs of known nodes, and the counts go into the build
report. :func:`network_from_ways` then splits ways at shared nodes (so an edge
never spans two ways: a bridge with its own tags stays its own edge), parses tags
into typed columns with their raw strings and provenance, projects to EPSG:3812,
renumbers nodes in Hilbert order and sets speeds and travel times per mode.
"""

from __future__ import annotations

import logging
import math
import os
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from .. import settings
from ..defaults import figure
from ..errors import NetworkError
from ..kernels import hilbert_codes
from . import tags as osm_tags
from .model import CRS, Network, with_transfer_edges
from .simplify import consolidate_junctions, merge_chains

__all__ = [
    "DEFAULT_HIGHWAYS",
    "BuildReport",
    "WayRecord",
    "build_network",
    "fetch_overpass",
    "network_from_ways",
    "read_osm_file",
    "read_overpass_json",
]

logger = logging.getLogger(__name__)

DEFAULT_HIGHWAYS = (
    "motorway",
    "motorway_link",
    "trunk",
    "trunk_link",
    "primary",
    "primary_link",
    "secondary",
    "secondary_link",
    "tertiary",
    "tertiary_link",
    "unclassified",
)
"""Road classes kept by default (motorway…unclassified and their links; no service, no track)."""

RAIL_VALUES = ("rail",)
_TO_3812 = pyproj.Transformer.from_crs("EPSG:4326", CRS, always_xy=True)

# tag -> (column, parser); each parsed column keeps `<column>_raw` and `<column>_src`
ROAD_TAGS: dict[str, tuple[str, Callable[[str], tuple[float, bool]]]] = {
    "maxspeed": ("maxspeed_kmh", osm_tags.parse_speed_kmh),
    "lanes": ("lanes", osm_tags.parse_int),
    "width": ("width_m", osm_tags.parse_length_m),
    "maxweight": ("maxweight_tag_t", osm_tags.parse_weight_t),
    "maxweightrating:hgv": ("maxweightrating_hgv_t", osm_tags.parse_weight_t),
    "maxaxleload": ("maxaxleload_t", osm_tags.parse_weight_t),
    "maxheight": ("maxheight_m", osm_tags.parse_length_m),
    "maxwidth": ("maxwidth_m", osm_tags.parse_length_m),
    "maxlength": ("maxlength_m", osm_tags.parse_length_m),
    "bridge": ("bridge", osm_tags.parse_bool),
    "tunnel": ("tunnel", osm_tags.parse_bool),
    "layer": ("layer", osm_tags.parse_int),
    "mlc": ("mlc", osm_tags.parse_mlc),
    "mlc:wheeled": ("mlc_wheeled", osm_tags.parse_mlc),
    "mlc:tracked": ("mlc_tracked", osm_tags.parse_mlc),
    "mlc:oneway": ("mlc_oneway", osm_tags.parse_mlc),
}
RAIL_TAGS: dict[str, tuple[str, Callable[[str], tuple[float, bool]]]] = {
    "maxspeed": ("maxspeed_kmh", osm_tags.parse_speed_kmh),
    "electrified": ("electrified", osm_tags.parse_bool),
    "voltage": ("voltage_v", osm_tags.parse_int),
    "frequency": (
        "frequency_hz",
        lambda s: (float(s), True) if s.replace(".", "", 1).isdigit() else (math.nan, False),
    ),
    "gauge": ("gauge_mm", osm_tags.parse_int),
    "tracks": ("tracks", osm_tags.parse_int),
    "maxaxleload": ("maxaxleload_t", osm_tags.parse_weight_t),
    "bridge": ("bridge", osm_tags.parse_bool),
    "tunnel": ("tunnel", osm_tags.parse_bool),
}
TEXT_TAGS = (
    "highway",
    "railway",
    "name",
    "ref",
    "oneway",
    "junction",
    "hgv",
    "usage",
    "service",
    "railway:track_class",
    "loading_gauge",
    "railway:loading_gauge",
)


@dataclass
class WayRecord:
    """A highway or railway way: its node ids, coordinates (lon/lat) and tags."""

    way_id: int
    mode: str
    nodes: np.ndarray
    lon: np.ndarray
    lat: np.ndarray
    tags: dict[str, str]


@dataclass
class BuildReport:
    """What the build read, repaired and could not parse.

    Attributes
    ----------
    ways_read
        Highway and railway ways kept, by mode.
    missing_nodes
        Node references without a location (trimmed).
    ways_trimmed
        Ways shortened or split because some of their nodes were missing.
    ways_dropped
        Ways left with fewer than two known nodes.
    unparsed
        Tag values that could not be parsed, by tag.
    features
        Other rail features counted (yards, platforms, ramps).
    seconds
        Time per step.
    """

    ways_read: Counter[str] = field(default_factory=Counter)
    missing_nodes: int = 0
    ways_trimmed: int = 0
    ways_dropped: int = 0
    unparsed: Counter[str] = field(default_factory=Counter)
    features: Counter[str] = field(default_factory=Counter)
    seconds: dict[str, float] = field(default_factory=dict)
    feature_points: list[tuple[str, str, int, float, float, str]] = field(default_factory=list)
    """(kind, OSM type, OSM id, lon, lat, name) of yards, platforms and loading ramps."""

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON-ready form."""
        return {
            "ways_read": dict(self.ways_read),
            "missing_nodes": self.missing_nodes,
            "ways_trimmed": self.ways_trimmed,
            "ways_dropped": self.ways_dropped,
            "unparsed": dict(self.unparsed),
            "features": dict(self.features),
            "seconds": {k: round(v, 3) for k, v in self.seconds.items()},
        }


def _mode(tags: dict[str, str], highways: Sequence[str], rail: bool) -> str | None:
    if tags.get("highway") in highways and tags.get("area") != "yes":
        return "road"
    if rail and tags.get("railway") in RAIL_VALUES:
        return "rail"
    return None


def _feature_kinds(tags: dict[str, str]) -> list[str]:
    kinds = []
    if tags.get("landuse") == "railway" or (tags.get("railway") == "rail" and tags.get("service") == "yard"):
        kinds.append("rail_yard")
    if tags.get("railway") == "platform" or tags.get("public_transport") == "platform":
        kinds.append("platform")
    if _is_loading_ramp(tags):
        kinds.append("loading_ramp")
    return kinds


def _record_features(
    kinds: list[str],
    tags: dict[str, str],
    osm_type: str,
    osm_id: int,
    lons: Sequence[float],
    lats: Sequence[float],
    report: BuildReport,
) -> None:
    """Count features and keep their position (the mean of the known node locations)."""
    known = [(x, y) for x, y in zip(lons, lats, strict=True) if not math.isnan(x)]
    for kind in kinds:
        report.features[kind] += 1
        if known:
            lon = sum(x for x, _ in known) / len(known)
            lat = sum(y for _, y in known) / len(known)
            report.feature_points.append((kind, osm_type, osm_id, lon, lat, tags.get("name", "")))


_FEATURE_TAGS = (
    ("landuse", "railway"),
    ("railway", "platform"),
    ("public_transport", "platform"),
    ("railway", "loading_ramp"),
    ("railway", "ramp"),
    ("railway:loading_ramp", "yes"),
    ("railway:loading_ramp", "end"),
    ("railway:loading_ramp", "side"),
    ("military", "loading_ramp"),
)
"""Tags of the features kept as points (yards, platforms, loading ramps), as in :func:`_feature_kinds`."""


def _way_tags(highways: Iterable[str], rail: bool) -> list[tuple[str, str]]:
    """Exact tags of the ways worth reading: the road classes, rail and the feature tags.

    Given to pyosmium's ``TagFilter`` so that the rest of the file (footways,
    buildings, tracks not asked for) never reaches Python.
    """
    out = [("highway", h) for h in sorted(set(highways))]
    if rail:
        out.append(("railway", "rail"))
    return out + list(_FEATURE_TAGS)


def _is_loading_ramp(tags: dict[str, str]) -> bool:
    """Tagging variants of freight/military loading ramps (see geodata/README.md)."""
    return (
        tags.get("railway") in ("loading_ramp", "ramp")
        or tags.get("railway:loading_ramp") in ("yes", "end", "side")
        or (tags.get("railway") == "platform" and tags.get("ramp") == "yes")
        or tags.get("military") == "loading_ramp"
    )


def _split_known(
    way_id: int,
    mode: str,
    refs: list[int],
    lons: list[float],
    lats: list[float],
    tags: dict[str, str],
    report: BuildReport,
) -> list[WayRecord]:
    """Split a way into runs of nodes with known locations (trimming the missing ones)."""
    known = [not math.isnan(x) for x in lons]
    missing = known.count(False)
    if not missing:
        return [WayRecord(way_id, mode, np.asarray(refs, np.int64), np.asarray(lons), np.asarray(lats), tags)]
    report.missing_nodes += missing
    out = []
    run: list[int] = []
    for i, ok in enumerate([*known, False]):
        if ok:
            run.append(i)
            continue
        if len(run) >= 2:
            out.append(
                WayRecord(
                    way_id,
                    mode,
                    np.asarray([refs[j] for j in run], np.int64),
                    np.asarray([lons[j] for j in run]),
                    np.asarray([lats[j] for j in run]),
                    tags,
                )
            )
        run = []
    if out:
        report.ways_trimmed += 1
    else:
        report.ways_dropped += 1
    return out


def read_osm_file(
    path: str | os.PathLike[str],
    highways: Sequence[str] = DEFAULT_HIGHWAYS,
    *,
    rail: bool = True,
    report: BuildReport | None = None,
) -> list[WayRecord]:
    """Read highway and railway ways with their node locations from an OSM file.

    Parameters
    ----------
    path
        ``.osm``, ``.osm.bz2`` or ``.osm.pbf``.
    highways
        Highway classes to keep.
    rail
        Keep ``railway=rail`` ways.
    report
        Filled with counts (missing nodes, trimmed ways, features).

    Returns
    -------
    list of WayRecord
        Ways, split where nodes are missing.

    Raises
    ------
    NetworkError
        When the file cannot be read.
    """
    import osmium

    report = report if report is not None else BuildReport()
    p = Path(path)
    if not p.is_file():
        msg = f"{p}: no such OSM file"
        raise NetworkError(msg)
    t0 = time.perf_counter()
    ways: list[WayRecord] = []
    wanted = set(highways)
    try:
        # node locations are indexed in C++; only tagged objects of interest reach Python
        fp = (
            osmium.FileProcessor(str(p), osmium.osm.NODE | osmium.osm.WAY)
            .with_locations()
            .with_filter(osmium.filter.TagFilter(*_way_tags(wanted, rail)).enable_for(osmium.osm.WAY))
            .with_filter(osmium.filter.TagFilter(*_FEATURE_TAGS).enable_for(osmium.osm.NODE))
        )
        for obj in fp:
            if obj.is_node():
                if "railway" in obj.tags or "military" in obj.tags:
                    tags = dict(obj.tags)
                    kinds = _feature_kinds(tags)
                    if kinds and obj.location.valid():
                        _record_features(
                            kinds, tags, "node", obj.id, [obj.location.lon], [obj.location.lat], report
                        )
                continue
            if not obj.is_way():
                continue
            tags = dict(obj.tags)
            kinds = _feature_kinds(tags)
            mode = _mode(tags, tuple(wanted), rail)
            if mode is None and not kinds:
                continue
            refs, lons, lats = [], [], []
            for n in obj.nodes:
                refs.append(n.ref)
                if n.location.valid():
                    lons.append(n.location.lon)
                    lats.append(n.location.lat)
                else:
                    lons.append(math.nan)
                    lats.append(math.nan)
            if kinds:
                _record_features(kinds, tags, "way", obj.id, lons, lats, report)
            if mode is None:
                continue
            report.ways_read[mode] += 1
            ways.extend(_split_known(obj.id, mode, refs, lons, lats, tags, report))
    except RuntimeError as exc:
        msg = f"{p}: cannot be read as OpenStreetMap data ({exc})"
        raise NetworkError(msg) from None
    report.seconds["read"] = time.perf_counter() - t0
    return ways


def read_overpass_json(
    responses: Iterable[dict[str, Any]],
    highways: Sequence[str] = DEFAULT_HIGHWAYS,
    *,
    rail: bool = True,
    report: BuildReport | None = None,
) -> list[WayRecord]:
    """Read ways from Overpass JSON responses (``out;`` with nodes), as from a file."""
    report = report if report is not None else BuildReport()
    t0 = time.perf_counter()
    nodes: dict[int, tuple[float, float]] = {}
    raw_ways: dict[int, dict[str, Any]] = {}
    for response in responses:
        for el in response.get("elements", []):
            if el.get("type") == "node":
                nodes[int(el["id"])] = (float(el["lon"]), float(el["lat"]))
                ntags = {str(k): str(v) for k, v in el.get("tags", {}).items()}
                if kinds := _feature_kinds(ntags):
                    _record_features(
                        kinds, ntags, "node", int(el["id"]), [float(el["lon"])], [float(el["lat"])], report
                    )
            elif el.get("type") == "way":
                raw_ways[int(el["id"])] = el
    ways: list[WayRecord] = []
    for wid in sorted(raw_ways):
        el = raw_ways[wid]
        tags = {str(k): str(v) for k, v in el.get("tags", {}).items()}
        refs = [int(r) for r in el.get("nodes", [])]
        lons = [nodes.get(r, (math.nan, math.nan))[0] for r in refs]
        lats = [nodes.get(r, (math.nan, math.nan))[1] for r in refs]
        if kinds := _feature_kinds(tags):
            _record_features(kinds, tags, "way", wid, lons, lats, report)
        mode = _mode(tags, highways, rail)
        if mode is None:
            continue
        report.ways_read[mode] += 1
        ways.extend(_split_known(wid, mode, refs, lons, lats, tags, report))
    report.seconds["read"] = time.perf_counter() - t0
    return ways


def overpass_filters(highways: Sequence[str], rail: bool) -> list[str]:
    """Overpass way filters for the chosen road classes and rail."""
    out = [f'["highway"~"^({"|".join(highways)})$"]']
    if rail:
        out.append('["railway"~"^(rail)$"]')
    return out


def fetch_overpass(
    *,
    place: str | None = None,
    bbox: Sequence[float] | None = None,
    polygon: shapely.Polygon | shapely.MultiPolygon | None = None,
    highways: Sequence[str] = DEFAULT_HIGHWAYS,
    rail: bool = True,
) -> Iterator[dict[str, Any]]:
    """Query Overpass through osmnx (responses cached in ``settings.cache_folder / "overpass"``).

    Exactly one of ``place``, ``bbox`` (west, south, east, north in degrees) or
    ``polygon`` (EPSG:4326) must be given.
    """
    import osmnx as ox
    from osmnx import _overpass

    given = [x is not None for x in (place, bbox, polygon)]
    if sum(given) != 1:
        msg = "give exactly one of place, bbox or polygon"
        raise NetworkError(msg)
    ox.settings.cache_folder = str(Path(settings.cache_folder) / "overpass")
    ox.settings.use_cache = settings.use_cache
    if place is not None:
        polygon = ox.geocode_to_gdf(place).union_all()
    elif bbox is not None:
        west, south, east, north = (float(v) for v in bbox)
        if not (west < east and south < north):
            msg = f"bbox {list(bbox)}: give west south east north with west < east and south < north"
            raise NetworkError(msg)
        polygon = shapely.box(west, south, east, north)
    assert polygon is not None
    yield from _overpass._download_overpass_network(polygon, "drive", overpass_filters(highways, rail))


def _oneway(tags: dict[str, str]) -> int:
    """+1 forward only, -1 backward only, 0 both directions."""
    value = tags.get("oneway", "").lower()
    if value in ("yes", "true", "1"):
        return 1
    if value in ("-1", "reverse"):
        return -1
    if value in ("no", "false", "0"):
        return 0
    if tags.get("junction") in ("roundabout", "circular"):
        return 1
    if tags.get("highway") in ("motorway", "motorway_link"):
        return 1  # implied by the highway class (OSM wiki Key:oneway)
    return 0


def _parse_tags(ways: list[WayRecord], report: BuildReport) -> pd.DataFrame:
    """One row per way record with typed, raw and provenance columns.

    Built column by column; each distinct raw value is parsed once (a city has a
    few dozen distinct ``maxspeed`` strings across thousands of ways).
    """
    n = len(ways)
    cols: dict[str, list[Any]] = {
        "osm_way": [w.way_id for w in ways],
        "mode": [w.mode for w in ways],
    }
    for key in TEXT_TAGS:
        values = [w.tags.get(key) for w in ways]
        if any(v is not None for v in values):
            cols[key.replace(":", "_")] = values
    parsed: dict[tuple[str, str], tuple[float, bool]] = {}
    for mode, spec in (("road", ROAD_TAGS), ("rail", RAIL_TAGS)):
        rows = [i for i, w in enumerate(ways) if w.mode == mode]
        for key, (col, parser) in spec.items():
            hits = [(i, ways[i].tags[key]) for i in rows if key in ways[i].tags]
            if not hits:
                continue
            if col not in cols:
                cols[col] = [math.nan] * n
                cols[f"{col}_raw"] = [None] * n
                cols[f"{col}_src"] = [None] * n
            for i, raw in hits:
                got = parsed.get((key, raw))
                if got is None:
                    got = parsed[(key, raw)] = parser(raw)
                value, ok = got
                cols[col][i] = value
                cols[f"{col}_raw"][i] = raw
                cols[f"{col}_src"][i] = "osm"
                if not ok:
                    report.unparsed[key] += 1
    return pd.DataFrame(cols)


def _restrictions(attrs: pd.DataFrame) -> pd.DataFrame:
    """Network restriction columns (see ``EDGE_RESTRICTION_COLUMNS``) from parsed tags."""

    def col(name: str) -> pd.Series:
        return attrs[name] if name in attrs.columns else pd.Series(np.nan, index=attrs.index)

    out = pd.DataFrame(index=attrs.index)
    out["maxweight_t"] = np.fmin(col("maxweight_tag_t"), col("maxweightrating_hgv_t"))
    out["maxaxleload_t"] = col("maxaxleload_t")
    out["maxheight_m"] = col("maxheight_m")
    out["maxwidth_m"] = col("maxwidth_m")
    out["maxlength_m"] = col("maxlength_m")
    for kind in ("wheeled", "tracked"):
        two = col(f"mlc_{kind}").fillna(col("mlc"))
        out[f"mlc_{kind}_twoway"] = two
        out[f"mlc_{kind}_oneway"] = np.fmax(col("mlc_oneway"), two)
    return out


def network_from_ways(
    ways: list[WayRecord], report: BuildReport | None = None, *, meta: dict[str, Any] | None = None
) -> Network:
    """Build a :class:`Network` from way records.

    Ways are split at nodes shared with other ways (or repeated in the same way)
    and at their ends; the pieces become edges whose geometry keeps every
    intermediate node. One-way roads get one direction, others and rail get two.

    Parameters
    ----------
    ways
        Way records (already trimmed of missing nodes).
    report
        Filled with unparsed-tag counts and timings.
    meta
        Extra metadata for the network.

    Returns
    -------
    Network
        Nodes in Hilbert order, EPSG:3812, speeds and travel times per mode.
    """
    report = report if report is not None else BuildReport()
    if not ways:
        msg = "no highway or railway ways in the data; check the area, the file or the road classes"
        raise NetworkError(msg)
    t0 = time.perf_counter()
    attrs = _parse_tags(ways, report)
    # graph nodes: way ends and nodes used more than once
    all_refs = np.concatenate([w.nodes for w in ways])
    uniq, counts = np.unique(all_refs, return_counts=True)
    shared = set(uniq[counts > 1].tolist())
    ends = {int(w.nodes[0]) for w in ways} | {int(w.nodes[-1]) for w in ways}
    is_graph = shared | ends
    node_index: dict[tuple[str, int], int] = {}
    node_mode: list[str] = []
    node_osm: list[int] = []
    node_lon: list[float] = []
    node_lat: list[float] = []
    pieces: list[tuple[int, int, int, np.ndarray]] = []  # (way row, u, v, projected coordinates)
    # project every coordinate once
    sizes = np.fromiter((len(w.nodes) for w in ways), dtype=np.int64, count=len(ways))
    px, py = _TO_3812.transform(np.concatenate([w.lon for w in ways]), np.concatenate([w.lat for w in ways]))
    offsets = np.concatenate([[0], np.cumsum(sizes)])
    projected = np.column_stack([px, py])

    def node_id(mode: str, ref: int, lon: float, lat: float) -> int:
        key = (mode, ref)  # road and rail never share a node: mode changes go through transfer edges
        if key not in node_index:
            node_index[key] = len(node_mode)
            node_mode.append(mode)
            node_osm.append(ref)
            node_lon.append(lon)
            node_lat.append(lat)
        return node_index[key]

    for row, w in enumerate(ways):
        start = 0
        for i in range(1, len(w.nodes)):
            if int(w.nodes[i]) in is_graph or i == len(w.nodes) - 1:
                u = node_id(w.mode, int(w.nodes[start]), w.lon[start], w.lat[start])
                v = node_id(w.mode, int(w.nodes[i]), w.lon[i], w.lat[i])
                if u != v or i - start > 1:
                    base = offsets[row]
                    pieces.append((row, u, v, projected[base + start : base + i + 1]))
                start = i
    # directions
    oneway = np.array([_oneway(w.tags) if w.mode == "road" else 0 for w in ways])
    rec_rows, rec_u, rec_v, geoms = [], [], [], []
    for row, u, v, line in pieces:
        if oneway[row] >= 0:
            rec_rows.append(row)
            rec_u.append(u)
            rec_v.append(v)
            geoms.append(line)
        if oneway[row] <= 0:
            rec_rows.append(row)
            rec_u.append(v)
            rec_v.append(u)
            geoms.append(line[::-1])
    edges = attrs.iloc[rec_rows].reset_index(drop=True)
    restr = _restrictions(edges)
    edges = pd.concat([edges.drop(columns=[c for c in restr.columns if c in edges.columns]), restr], axis=1)
    edges["u"] = np.asarray(rec_u, dtype=np.int64)
    edges["v"] = np.asarray(rec_v, dtype=np.int64)
    edges["oneway"] = oneway[rec_rows] != 0
    if geoms:
        sizes = np.fromiter((len(g) for g in geoms), dtype=np.int64, count=len(geoms))
        lines = shapely.linestrings(np.concatenate(geoms), indices=np.repeat(np.arange(len(geoms)), sizes))
    else:
        lines = np.empty(0, dtype=object)
    edges["length_m"] = shapely.length(lines)
    defaults = figure("osm_default_speed_kmh")
    cls = np.where(edges["mode"] == "rail", "rail", edges.get("highway", pd.Series("", index=edges.index)))
    default_speed = pd.Series(cls).map(defaults).fillna(50.0).to_numpy(dtype=float)
    parsed = (
        edges["maxspeed_kmh"].to_numpy(dtype=float)
        if "maxspeed_kmh" in edges
        else np.full(len(edges), np.nan)
    )
    edges["speed_kmh"] = np.where(np.isfinite(parsed) & (parsed > 0), parsed, default_speed)
    edges["speed_src"] = np.where(np.isfinite(parsed) & (parsed > 0), "osm", "default")
    edges["time_s"] = edges["length_m"] / (edges["speed_kmh"] / 3.6)
    edges["source"] = "osm"
    x, y = _TO_3812.transform(np.asarray(node_lon), np.asarray(node_lat))
    nodes = pd.DataFrame({"mode": node_mode, "x": x, "y": y, "source_id": np.asarray(node_osm, np.int64)})
    # Hilbert order
    order = np.argsort(hilbert_codes(nodes["x"].to_numpy(), nodes["y"].to_numpy(), 16), kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(order.size)
    nodes = nodes.iloc[order].reset_index(drop=True)
    edges["u"] = rank[edges["u"].to_numpy()]
    edges["v"] = rank[edges["v"].to_numpy()]
    order_e = np.lexsort((edges["v"].to_numpy(), edges["u"].to_numpy()))
    edges = edges.iloc[order_e].reset_index(drop=True)
    lines = lines[order_e]
    node_gdf = gpd.GeoDataFrame(nodes, geometry=gpd.points_from_xy(nodes["x"], nodes["y"]), crs=CRS)
    node_gdf.index.name = "node"
    edge_gdf = gpd.GeoDataFrame(edges, geometry=list(lines), crs=CRS)
    features = _features_frame(report)
    edge_gdf = _ramp_transfers(node_gdf, edge_gdf, features)
    report.seconds["build"] = time.perf_counter() - t0
    lcc = _largest_components(node_gdf, edges)
    info = {
        "source": "osm",
        "attribution": "© OpenStreetMap contributors, ODbL 1.0",
        "report": report.as_dict(),
        "largest_strong_component": lcc,
    }
    return Network(node_gdf, edge_gdf, meta={**info, **(meta or {})}, features=features)


def _largest_components(nodes: pd.DataFrame, edges: pd.DataFrame) -> dict[str, int]:
    """Size (nodes) of the largest strongly connected component of each mode."""
    n = len(nodes)
    lcc = {}
    for mode in ("road", "rail"):
        sel = (edges["mode"] == mode).to_numpy()
        if not sel.any():
            continue
        adj = coo_matrix((np.ones(int(sel.sum())), (edges["u"][sel], edges["v"][sel])), shape=(n, n)).tocsr()
        _, labels = connected_components(adj, directed=True, connection="strong")
        members = labels[(nodes["mode"] == mode).to_numpy()]
        lcc[mode] = int(np.bincount(members).max())
    return lcc


def _features_frame(report: BuildReport) -> gpd.GeoDataFrame:
    """Yards, platforms and loading ramps as points in EPSG:3812."""
    cols = ["kind", "osm_type", "osm_id", "lon", "lat", "name"]
    frame = pd.DataFrame(report.feature_points, columns=cols)
    x, y = _TO_3812.transform(frame["lon"].to_numpy(float), frame["lat"].to_numpy(float))
    return gpd.GeoDataFrame(frame.drop(columns=["lon", "lat"]), geometry=gpd.points_from_xy(x, y), crs=CRS)


def _ramp_transfers(
    nodes: gpd.GeoDataFrame, edges: gpd.GeoDataFrame, features: gpd.GeoDataFrame
) -> gpd.GeoDataFrame:
    """Road↔rail transfer edges at tagged loading ramps with a road and a rail node close by."""
    ramps = features[features["kind"] == "loading_ramp"]
    tol = float(figure("ramp_snap_tolerance_m"))
    xy = np.column_stack([nodes["x"].to_numpy(), nodes["y"].to_numpy()])
    by_mode = {m: np.flatnonzero((nodes["mode"] == m).to_numpy()) for m in ("road", "rail")}
    links = []
    for _, ramp in ramps.iterrows():
        p = np.array([ramp.geometry.x, ramp.geometry.y])
        ends = []
        for ids in by_mode.values():
            d = np.hypot(*(xy[ids] - p).T) if ids.size else np.empty(0)
            if ids.size and d.min() <= tol:
                ends.append(int(ids[np.argmin(d)]))
        if len(ends) == 2:
            links.append((ends[0], ends[1], {"osm_way": ramp["osm_id"], "source": "osm ramp"}))
    return with_transfer_edges(edges, nodes, links, float(figure("transfer_time_min")) * 60.0)


def build_network(
    *,
    osm_file: str | os.PathLike[str] | None = None,
    place: str | None = None,
    bbox: Sequence[float] | None = None,
    polygon: str | os.PathLike[str] | None = None,
    highways: Sequence[str] = DEFAULT_HIGHWAYS,
    rail: bool = True,
    simplify: bool = True,
    consolidate_m: float | None = None,
) -> Network:
    """Build a road and rail network from one OpenStreetMap source.

    Parameters
    ----------
    osm_file
        A local ``.osm``, ``.osm.bz2`` or ``.osm.pbf`` file.
    place, bbox, polygon
        An Overpass query area: a place name, ``(west, south, east, north)`` in
        degrees, or a polygon file (any vector format with a CRS).
    highways
        Road classes to keep.
    rail
        Keep railways.
    simplify
        Join edges through pass-through nodes where no attribute changes
        (:func:`~enablement.network.simplify.merge_chains`).
    consolidate_m
        When given, collapse complex junctions whose nodes are joined by road edges
        no longer than this (:func:`~enablement.network.simplify.consolidate_junctions`).

    Returns
    -------
    Network
        With the build report in ``meta["report"]``.
    """
    report = BuildReport()
    if osm_file is not None:
        ways = read_osm_file(osm_file, highways, rail=rail, report=report)
        source = str(osm_file)
    else:
        poly = None
        if polygon is not None:
            try:
                poly = gpd.read_file(polygon).to_crs(4326).union_all()
            except Exception as exc:  # noqa: BLE001 - GDAL raises many types
                msg = f"{polygon}: cannot be read as a polygon layer with a CRS ({exc})"
                raise NetworkError(msg) from None
        responses = fetch_overpass(place=place, bbox=bbox, polygon=poly, highways=highways, rail=rail)
        ways = read_overpass_json(responses, highways, rail=rail, report=report)
        source = f"overpass: {place or bbox or polygon}"
    net = network_from_ways(ways, report, meta={"source_detail": source, "highways": list(highways)})
    t0 = time.perf_counter()
    if simplify:
        net = merge_chains(net)
    if consolidate_m:
        net = consolidate_junctions(net, consolidate_m)
    if simplify or consolidate_m:
        net.meta["report"]["seconds"]["simplify"] = round(time.perf_counter() - t0, 3)
        net.meta["largest_strong_component"] = _largest_components(net.nodes, net.edges)
    logger.info("built network from %s: %s", source, net.meta["report"])
    return net
