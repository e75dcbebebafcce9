"""OpenStreetMap ingestion: road and rail networks from Overpass or from local extracts.

Two sources feed one pipeline:

- files (``.osm``, ``.osm.bz2``, ``.osm.pbf``) are read with pyosmium, which keeps
  only highway and railway ways and the locations of their nodes, so a country
  extract never goes through an XML parser whole;
- Overpass (place name, bounding box or polygon) is queried through osmnx's public
  ``features_from_polygon``, with osmnx's cache folder pointed at ours for the length
  of the call only; the features it returns (ways with their geometries, tagged
  nodes) feed the same table builder. Recorded Overpass JSON (``out;`` with nodes)
  is read by :func:`read_overpass_json`.

Both give a :class:`WayTable`: flat arrays of node ids and locations plus one tag
set per distinct combination of the tags read, so memory grows with the roads and
railways kept and no Python object is made per node. Ways that reference nodes
missing from the data (every clipped extract has them) are repaired by trimming
the missing parts: a way splits into its runs of known nodes, and the counts go
into the build report. :func:`network_from_ways` then splits ways at shared nodes,
joins pass-through nodes where no tag read changes (a bridge with its own tags
stays its own edge), parses each tag set once into typed columns with raw strings
and provenance, projects to EPSG:3812, renumbers nodes in Hilbert order and sets
speeds and travel times per mode, all on arrays; frames are made once, at the end.
"""

from __future__ import annotations

import logging
import math
import os
import re
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import osmium
import pandas as pd
import pyproj
import shapely
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from .. import settings
from ..defaults import figure
from ..errors import NetworkError
from . import tags as osm_tags
from .model import CRS, MODES, Network, hilbert_order, with_transfer_edges
from .simplify import consolidate_junctions

__all__ = [
    "DEFAULT_HIGHWAYS",
    "BuildReport",
    "WayTable",
    "build_network",
    "fetch_overpass",
    "location_ids",
    "network_from_ways",
    "read_osm_features",
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
class WayTable:
    """Highway and railway ways as flat arrays (no Python object per way or node).

    Attributes
    ----------
    way_id
        OSM way id per row (int64). A way split around missing nodes gives several rows.
    tagset
        Row's index into ``tagsets`` (int32): ways with the same relevant tags share one.
    offsets
        Row ``i`` holds nodes ``offsets[i]:offsets[i + 1]`` of ``refs``/``lon``/``lat``.
    refs, lon, lat
        Node ids and locations (degrees, NaN where the data lacks the node).
    tagsets
        Distinct tag dictionaries (only the keys the build reads).
    modes
        ``"road"`` or ``"rail"`` per tag set.
    """

    way_id: np.ndarray
    tagset: np.ndarray
    offsets: np.ndarray
    refs: np.ndarray
    lon: np.ndarray
    lat: np.ndarray
    tagsets: list[dict[str, str]]
    modes: list[str]

    def __len__(self) -> int:
        return int(self.way_id.size)

    def tags(self, row: int) -> dict[str, str]:
        """Tags of one row."""
        return self.tagsets[int(self.tagset[row])]

    def nodes(self, row: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(refs, lon, lat)`` of one row."""
        a, b = int(self.offsets[row]), int(self.offsets[row + 1])
        return self.refs[a:b], self.lon[a:b], self.lat[a:b]


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
    merged_nodes: int | None = None
    """Pass-through nodes removed by simplification (None when not simplified)."""
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
            **({} if self.merged_nodes is None else {"merged_nodes": self.merged_nodes}),
        }


def _mode(tags: dict[str, str], highways: Sequence[str], rail: bool) -> str | None:
    if tags.get("highway") in highways and tags.get("area") != "yes":
        return "road"
    if rail and tags.get("railway") in RAIL_VALUES:
        return "rail"
    return None


def _feature_kinds(tags: dict[str, str]) -> list[str]:
    """Rail feature kinds of an object: ``rail_yard``, ``platform`` (rail only), ``loading_ramp``."""
    kinds = []
    if tags.get("landuse") == "railway" or (tags.get("railway") == "rail" and tags.get("service") == "yard"):
        kinds.append("rail_yard")
    if tags.get("railway") == "platform" or (
        tags.get("public_transport") == "platform" and tags.get("train") == "yes"
    ):
        kinds.append("platform")  # bus and tram platforms are not rail platforms
    if _is_loading_ramp(tags):
        kinds.append("loading_ramp")
    return kinds


def _record_features(
    kinds: list[str],
    tags: dict[str, str],
    osm_type: str,
    osm_id: int,
    lons: np.ndarray,
    lats: np.ndarray,
    report: BuildReport,
) -> None:
    """Count features and keep their position (the mean of the known node locations)."""
    ok = ~np.isnan(lons)
    for kind in kinds:
        report.features[kind] += 1
        if ok.any():
            lon, lat = float(lons[ok].mean()), float(lats[ok].mean())
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

_KEPT_KEYS = frozenset(
    {"highway", "railway", "area", "landuse", "public_transport", "train", "military", "ramp", "name"}
    | set(TEXT_TAGS)
    | set(ROAD_TAGS)
    | set(RAIL_TAGS)
)
"""Tag keys the build reads; a way's other tags are dropped as it is read."""

_COLUMN_KEYS = {
    "road": frozenset(TEXT_TAGS) | frozenset(ROAD_TAGS),
    "rail": frozenset(TEXT_TAGS) | frozenset(RAIL_TAGS),
}
"""Tag keys that become edge columns, per mode: what must match for two edges to merge."""


def _way_tags(highways: Iterable[str], rail: bool) -> list[tuple[str, str]]:
    """Exact tags of the ways worth reading: the road classes, rail and the feature tags.

    Given to pyosmium's ``TagFilter`` so that the rest of the file (footways,
    buildings, tracks not asked for) never leaves libosmium.
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


class _TableBuilder:
    """Collects ways chunk by chunk into a :class:`WayTable`; equal tag sets are stored once."""

    def __init__(self, highways: Sequence[str], rail: bool, report: BuildReport) -> None:
        self.highways = tuple(highways)
        self.rail = rail
        self.report = report
        self.tagsets: list[dict[str, str]] = []
        self._ids: dict[tuple[tuple[str, str], ...], int] = {}
        self._mode: list[int] = []  # index into MODES, -1 for a feature-only way
        self._kinds: list[list[str]] = []
        self._raw: dict[bytes, int] = {}
        self._chunks: list[tuple[np.ndarray, ...]] = []

    def tagset(self, tags: dict[str, str]) -> int:
        """Id of the kept part of ``tags`` (new ids for new tag sets)."""
        items = tuple(sorted((k, v) for k, v in tags.items() if k in _KEPT_KEYS))
        got = self._ids.get(items)
        if got is None:
            got = self._ids[items] = len(self.tagsets)
            kept = dict(items)
            self.tagsets.append(kept)
            mode = _mode(kept, self.highways, self.rail)
            self._mode.append(-1 if mode is None else MODES.index(mode))
            self._kinds.append(_feature_kinds(kept))
        return got

    def tagset_of_opl(self, raw: bytes) -> int:
        """Tag set id of an OPL tag field (cached on the raw bytes)."""
        got = self._raw.get(raw)
        if got is None:
            if len(self._raw) > 200_000:
                self._raw.clear()  # bounded: a country has millions of distinct tag strings
            got = self._raw[raw] = self.tagset(_opl_tags(raw))
        return got

    def add_node(self, osm_id: int, tags: dict[str, str], lon: float, lat: float) -> None:
        """Record a tagged node when it is a rail feature."""
        if kinds := _feature_kinds(tags):
            _record_features(kinds, tags, "node", osm_id, np.array([lon]), np.array([lat]), self.report)

    def add(
        self,
        way_ids: Sequence[int] | np.ndarray,
        tagsets: Sequence[int] | np.ndarray,
        counts: Sequence[int] | np.ndarray,
        refs: np.ndarray,
        lon: np.ndarray,
        lat: np.ndarray,
    ) -> None:
        """Add ways (``counts[i]`` nodes each, flat): features are recorded, road and rail ways kept."""
        ids = np.asarray(way_ids, np.int64)
        ts = np.asarray(tagsets, np.int64)
        sizes = np.asarray(counts, np.int64)
        if not ids.size:
            return
        mode = np.asarray(self._mode, np.int64)[ts]
        offsets = np.concatenate([[0], np.cumsum(sizes)])
        has_kinds = np.asarray([bool(k) for k in self._kinds], bool)[ts]
        for i in np.flatnonzero(has_kinds).tolist():
            a, b = offsets[i], offsets[i + 1]
            t = int(ts[i])
            _record_features(
                self._kinds[t], self.tagsets[t], "way", int(ids[i]), lon[a:b], lat[a:b], self.report
            )
        for code, name in enumerate(MODES):
            self.report.ways_read[name] += int(np.count_nonzero(mode == code))
        keep = mode >= 0
        if not keep.all():
            at = np.repeat(keep, sizes)
            ids, ts, sizes, refs, lon, lat = ids[keep], ts[keep], sizes[keep], refs[at], lon[at], lat[at]
        self._chunks.append((ids, ts, sizes, refs, lon, lat))

    def table(self) -> WayTable:
        """Return the ways collected, trimmed of missing nodes."""
        parts = list(zip(*self._chunks, strict=True)) if self._chunks else [[np.empty(0, np.int64)]] * 6
        ids, ts, sizes, refs = (np.concatenate(p).astype(np.int64, copy=False) for p in parts[:4])
        lon, lat = (np.concatenate(p).astype(float, copy=False) for p in parts[4:])
        self._chunks = []
        modes = [MODES[m] if m >= 0 else "" for m in self._mode]
        table = WayTable(
            ids,
            ts.astype(np.int32),
            np.concatenate([[0], np.cumsum(sizes)]),
            refs,
            lon,
            lat,
            self.tagsets,
            modes,
        )
        return _trim_missing(table, self.report)


def _trim_missing(table: WayTable, report: BuildReport) -> WayTable:
    """Split ways into their runs of nodes with known locations (trimming the missing ones).

    A way keeps every run of two or more known nodes as its own row; one with none
    left is dropped. Counts go to ``report``.
    """
    known = ~np.isnan(table.lon)
    sizes = np.diff(table.offsets)
    n = len(table)
    row = np.repeat(np.arange(n), sizes)
    first = np.zeros(known.size, bool)
    first[table.offsets[:-1][sizes > 0]] = True
    prev_known = np.concatenate([[False], known[:-1]])
    starts = known & (first | ~prev_known)
    run = np.cumsum(starts) - 1
    run_len = np.bincount(run[known], minlength=int(starts.sum()))
    good = run_len >= 2
    keep = known.copy()
    keep[known] = good[run[known]]
    if keep.all():
        return table
    missing_rows = np.bincount(row[~known], minlength=n) > 0
    run_row = row[starts]
    kept_runs = np.bincount(run_row[good], minlength=n)
    report.missing_nodes += int(np.count_nonzero(~known))
    report.ways_trimmed += int(np.count_nonzero(missing_rows & (kept_runs > 0)))
    report.ways_dropped += int(np.count_nonzero(missing_rows & (kept_runs == 0)))
    new_rows = run_row[good]
    return WayTable(
        table.way_id[new_rows],
        table.tagset[new_rows],
        np.concatenate([[0], np.cumsum(run_len[good])]),
        table.refs[keep],
        table.lon[keep],
        table.lat[keep],
        table.tagsets,
        table.modes,
    )


_OPL_ESCAPE = re.compile(r"%([0-9a-fA-F]+)%")
_OPL_NODE_SEPARATORS = bytes.maketrans(b"nxy,", b"    ")
_OPL_FORMAT = "opl,locations_on_ways=true,add_metadata=false"
"""libosmium's OPL writer with each way's node locations inline (``n<id>x<lon>y<lat>``)."""


def _opl_unescape(text: str) -> str:
    return _OPL_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text) if "%" in text else text


def _opl_tags(raw: bytes) -> dict[str, str]:
    """Read the kept tags of an OPL tag field (``k=v,k2=v2``, special characters as ``%hex%``)."""
    out: dict[str, str] = {}
    if not raw:
        return out
    for item in raw.decode("utf-8").split(","):
        key, _, value = item.partition("=")
        key = _opl_unescape(key)
        if key in _KEPT_KEYS:
            out[key] = _opl_unescape(value)
    return out


def _read_opl(lines: Iterable[bytes], builder: _TableBuilder, source: Path, chunk_bytes: int) -> None:
    """Parse OPL lines: one Python step per way; node lists parsed by numpy a chunk at a time."""
    ids: list[int] = []
    sets: list[int] = []
    counts: list[int] = []
    fields: list[bytes] = []
    size = 0
    for raw in lines:
        line = raw.rstrip(b"\n")
        kind = line[:1]
        if kind == b"w":
            head, tags, nodes = line.split(b" ", 2)
            ids.append(int(head[1:]))
            sets.append(builder.tagset_of_opl(tags[1:]))
            nodes = nodes[1:]
            counts.append(nodes.count(b",") + 1 if nodes else 0)
            fields.append(nodes)
            size += len(nodes)
            if size >= chunk_bytes:
                _add_node_lists(ids, sets, counts, fields, builder, source)
                ids, sets, counts, fields, size = [], [], [], [], 0
        elif kind == b"n":
            head, tags, x, y = line.split(b" ")
            if len(x) > 1 and len(y) > 1:
                builder.add_node(int(head[1:]), _opl_tags(tags[1:]), float(x[1:]), float(y[1:]))
    _add_node_lists(ids, sets, counts, fields, builder, source)


def _add_node_lists(
    ids: list[int],
    sets: list[int],
    counts: list[int],
    fields: list[bytes],
    builder: _TableBuilder,
    source: Path,
) -> None:
    """Parse the node lists of a chunk of ways with numpy and add the ways to ``builder``."""
    if not ids:
        return
    # "n12x4.4y51.2,n13xy" -> "12 4.4 51.2 13 NAN NAN" (a node without a location has empty x and y)
    text = (b",".join(fields) + b",").replace(b"xy,", b"xNANyNAN,").translate(_OPL_NODE_SEPARATORS)
    fields.clear()
    values = np.fromstring(text, sep=" ")  # text mode: C parsing, no Python object per number
    del text
    total = sum(counts)
    if values.size != 3 * total:
        msg = f"{source}: node lists could not be read ({values.size} numbers for {total} nodes)"
        raise NetworkError(msg)
    values = values.reshape(-1, 3)
    builder.add(ids, sets, counts, values[:, 0].astype(np.int64), values[:, 1].copy(), values[:, 2].copy())


def _filter_to_opl(path: Path, out: Path, highways: Sequence[str], rail: bool) -> None:
    """Road, rail and feature objects of ``path`` with their node locations, written as OPL by libosmium.

    Everything runs in C++ (pyosmium's filters and location index as handlers): no
    Python object is made for a node or a way here.
    """
    writer = osmium.SimpleWriter(osmium.io.File(str(out), _OPL_FORMAT))
    locations = osmium.NodeLocationsForWays(osmium.index.create_map("flex_mem"))
    locations.ignore_errors()  # clipped extracts: missing nodes are repaired afterwards
    try:
        osmium.apply(
            str(path),
            locations,
            osmium.filter.EntityFilter(osmium.osm.NODE | osmium.osm.WAY),
            osmium.filter.TagFilter(*_way_tags(highways, rail)).enable_for(osmium.osm.WAY),
            osmium.filter.TagFilter(*_FEATURE_TAGS).enable_for(osmium.osm.NODE),
            writer,
        )
    finally:
        writer.close()


def read_osm_file(
    path: str | os.PathLike[str],
    highways: Sequence[str] = DEFAULT_HIGHWAYS,
    *,
    rail: bool = True,
    report: BuildReport | None = None,
    chunk_bytes: int = 1 << 23,
) -> WayTable:
    """Read highway and railway ways with their node locations from an OSM file.

    libosmium filters the file and attaches node locations to the ways it keeps,
    writing them as OPL to a temporary file; that file is parsed in chunks into flat
    arrays, so memory grows with the roads and railways kept, not with the file.

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
    chunk_bytes
        Bytes of node lists parsed at a time (bounds the memory the parsing takes).

    Returns
    -------
    WayTable
        Ways, split where nodes are missing.

    Raises
    ------
    NetworkError
        When the file cannot be read.
    """
    report = report if report is not None else BuildReport()
    p = Path(path)
    if not p.is_file():
        msg = f"{p}: no such OSM file"
        raise NetworkError(msg)
    t0 = time.perf_counter()
    builder = _TableBuilder(highways, rail, report)
    with tempfile.TemporaryDirectory(prefix="enablement-osm-") as tmp:
        opl = Path(tmp) / "filtered.opl"
        try:
            _filter_to_opl(p, opl, highways, rail)
        except RuntimeError as exc:
            msg = f"{p}: cannot be read as OpenStreetMap data ({exc})"
            raise NetworkError(msg) from None
        with opl.open("rb") as fh:
            _read_opl(fh, builder, p, chunk_bytes)
    table = builder.table()
    report.seconds["read"] = time.perf_counter() - t0
    return table


def read_overpass_json(
    responses: Iterable[dict[str, Any]],
    highways: Sequence[str] = DEFAULT_HIGHWAYS,
    *,
    rail: bool = True,
    report: BuildReport | None = None,
) -> WayTable:
    """Read ways from Overpass JSON responses (``out;`` with nodes), as from a file."""
    report = report if report is not None else BuildReport()
    t0 = time.perf_counter()
    builder = _TableBuilder(highways, rail, report)
    nodes: dict[int, tuple[float, float]] = {}
    raw_ways: dict[int, dict[str, Any]] = {}
    for response in responses:
        for el in response.get("elements", []):
            if el.get("type") == "node":
                nodes[int(el["id"])] = (float(el["lon"]), float(el["lat"]))
                if el.get("tags"):
                    ntags = {str(k): str(v) for k, v in el["tags"].items()}
                    builder.add_node(int(el["id"]), ntags, float(el["lon"]), float(el["lat"]))
            elif el.get("type") == "way":
                raw_ways[int(el["id"])] = el
    ids, sets, counts, refs = [], [], [], []
    for wid in sorted(raw_ways):
        el = raw_ways[wid]
        way_refs = [int(r) for r in el.get("nodes", [])]
        ids.append(wid)
        sets.append(builder.tagset({str(k): str(v) for k, v in el.get("tags", {}).items()}))
        counts.append(len(way_refs))
        refs.extend(way_refs)
    missing = (math.nan, math.nan)
    lon = np.array([nodes.get(r, missing)[0] for r in refs], float)
    lat = np.array([nodes.get(r, missing)[1] for r in refs], float)
    builder.add(ids, sets, counts, np.asarray(refs, np.int64), lon, lat)
    table = builder.table()
    report.seconds["read"] = time.perf_counter() - t0
    return table


def location_ids(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Negative node ids made from locations on OSM's grid of 1e-7 degrees (one id per location).

    For sources that give way geometries without node ids (osmnx 2 features): ways
    that share a node share its location, so they share its id. OSM ids are
    positive, so these never clash with them.
    """
    x = np.rint(np.asarray(lon, float) * 1e7).astype(np.int64) + 1_800_000_000
    y = np.rint(np.asarray(lat, float) * 1e7).astype(np.int64) + 900_000_000
    return -((y << 32) | x) - 1


def read_osm_features(
    features: gpd.GeoDataFrame,
    highways: Sequence[str] = DEFAULT_HIGHWAYS,
    *,
    rail: bool = True,
    report: BuildReport | None = None,
) -> WayTable:
    """Read ways and tagged nodes from osmnx features, as from a file.

    ``features`` is what osmnx's ``features_from_polygon`` (:func:`fetch_overpass`)
    or ``features_from_xml`` returns: indexed by element type and OSM id, one column
    per tag. Ways keep their OSM ids and the nodes of their geometries; osmnx 2
    gives no node ids, so way nodes are identified by their location
    (:func:`location_ids`) and their ``source_id`` in the network is that negative
    id. Relations are skipped, as in files.

    Parameters
    ----------
    features
        osmnx features in EPSG:4326.
    highways
        Highway classes to keep.
    rail
        Keep ``railway=rail`` ways.
    report
        Filled with counts (features) and the reading time.

    Returns
    -------
    WayTable
        Ways in OSM id order.
    """
    report = report if report is not None else BuildReport()
    t0 = time.perf_counter()
    builder = _TableBuilder(highways, rail, report)
    if len(features):
        if features.crs is not None and not features.crs.equals("EPSG:4326"):
            features = features.to_crs(4326)
        element = np.asarray(features.index.get_level_values(0), dtype=object)
        osm_id = np.asarray(features.index.get_level_values(1), dtype=np.int64)
        keys = [c for c in features.columns if c in _KEPT_KEYS]
        values = features[keys].to_numpy(dtype=object)
        tags = [{k: str(v) for k, v in zip(keys, row, strict=True) if pd.notna(v)} for row in values]
        geoms = features.geometry.to_numpy()
        kind = shapely.get_type_id(geoms)
        for i in np.flatnonzero((element == "node") & (kind == shapely.GeometryType.POINT)).tolist():
            builder.add_node(int(osm_id[i]), tags[i], float(geoms[i].x), float(geoms[i].y))
        ways = np.flatnonzero(element == "way")
        lines = geoms[ways]
        polygons = kind[ways] == shapely.GeometryType.POLYGON
        lines[polygons] = shapely.get_exterior_ring(lines[polygons])  # a closed way: its ring, in node order
        xy, index = shapely.get_coordinates(lines, return_index=True)
        builder.add(
            osm_id[ways],
            [builder.tagset(tags[i]) for i in ways.tolist()],
            np.bincount(index, minlength=ways.size),
            location_ids(xy[:, 0], xy[:, 1]),
            xy[:, 0].copy(),
            xy[:, 1].copy(),
        )
    table = builder.table()
    report.seconds["read"] = time.perf_counter() - t0
    return table


def overpass_tags(highways: Sequence[str], rail: bool) -> dict[str, bool | str | list[str]]:
    """Tags asked from Overpass: the road classes, rail and the rail features, as the file filter keeps.

    In the form of osmnx's ``features_from_polygon`` (a key and its values); osmnx
    asks for nodes, ways and relations with any of them.
    """
    out: dict[str, list[str]] = {}
    for key, value in _way_tags(highways, rail):
        out.setdefault(key, []).append(value)
    return dict(out)


@contextmanager
def _osmnx_settings(**values: Any) -> Iterator[None]:
    """Set osmnx settings for a block only: the caller's values come back afterwards, even on error."""
    import osmnx as ox

    saved = {name: getattr(ox.settings, name) for name in values}
    try:
        for name, value in values.items():
            setattr(ox.settings, name, value)
        yield
    finally:
        for name, value in saved.items():
            setattr(ox.settings, name, value)


def fetch_overpass(
    *,
    place: str | None = None,
    bbox: Sequence[float] | None = None,
    polygon: shapely.Polygon | shapely.MultiPolygon | None = None,
    highways: Sequence[str] = DEFAULT_HIGHWAYS,
    rail: bool = True,
) -> gpd.GeoDataFrame:
    """Query Overpass through osmnx (responses cached in ``settings.cache_folder / "overpass"``).

    Exactly one of ``place``, ``bbox`` (west, south, east, north in degrees) or
    ``polygon`` (EPSG:4326) must be given. The query goes through osmnx's public
    ``features.features_from_polygon`` with :func:`overpass_tags`; osmnx's cache
    folder and ``use_cache`` are set for the length of the call only, and the
    user's own osmnx settings are restored afterwards.

    Returns
    -------
    GeoDataFrame
        osmnx's features (indexed by element type and OSM id, one column per tag,
        geometries in EPSG:4326), read by :func:`read_osm_features`; empty when the
        area has none.

    Raises
    ------
    NetworkError
        When not exactly one area is given, or the bounding box or polygon is malformed.
    """
    import osmnx as ox

    given = [x is not None for x in (place, bbox, polygon)]
    if sum(given) != 1:
        msg = "give exactly one of place, bbox or polygon"
        raise NetworkError(msg)
    if bbox is not None:
        west, south, east, north = (float(v) for v in bbox)
        if not (west < east and south < north):
            msg = f"bbox {list(bbox)}: give west south east north with west < east and south < north"
            raise NetworkError(msg)
        polygon = shapely.box(west, south, east, north)
    folder = str(Path(settings.cache_folder) / "overpass")
    with _osmnx_settings(cache_folder=folder, use_cache=settings.use_cache):
        if place is not None:
            polygon = ox.geocode_to_gdf(place).union_all()
        assert polygon is not None
        if not polygon.is_valid:
            msg = f"the query area is not a valid polygon ({shapely.is_valid_reason(polygon)})"
            raise NetworkError(msg)
        try:
            return ox.features.features_from_polygon(polygon, overpass_tags(highways, rail))
        except ox._errors.InsufficientResponseError:  # osmnx lists _errors among its public modules
            return gpd.GeoDataFrame(geometry=[], crs="EPSG:4326")


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


def _tagset_columns(table: WayTable, weights: np.ndarray, report: BuildReport) -> pd.DataFrame:
    """One row per tag set: mode, text tags, typed values with raw strings and provenance, speeds.

    Each tag set is parsed once; unparseable values are counted once per OSM way
    (``weights``: ways per tag set).
    """
    sets, modes = table.tagsets, table.modes
    n = len(sets)
    cols: dict[str, list[Any]] = {"mode": list(modes)}
    for key in TEXT_TAGS:
        values = [t.get(key) for t in sets]
        if any(v is not None for v in values):
            cols[key.replace(":", "_")] = values
    text = set(cols)
    parsed: dict[tuple[str, str], tuple[float, bool]] = {}
    for mode, spec in (("road", ROAD_TAGS), ("rail", RAIL_TAGS)):
        rows = [i for i in range(n) if modes[i] == mode]
        for key, (col, parser) in spec.items():
            hits = [(i, sets[i][key]) for i in rows if key in sets[i]]
            if not hits:
                continue
            if col not in cols:
                cols[col] = [math.nan] * n
                cols[f"{col}_raw"] = [None] * n
                cols[f"{col}_src"] = [None] * n
                text |= {f"{col}_raw", f"{col}_src"}
            for i, raw in hits:
                got = parsed.get((key, raw))
                if got is None:
                    got = parsed[(key, raw)] = parser(raw)
                value, ok = got
                cols[col][i] = value
                cols[f"{col}_raw"][i] = raw
                cols[f"{col}_src"][i] = "osm"
                if not ok:
                    report.unparsed[key] += int(weights[i])
    # text as object columns (one shared str per tag set, 8 bytes per edge), as a network loaded from a
    # GeoPackage has them; numbers as float64
    attrs = pd.DataFrame(
        {k: np.asarray(v, dtype=object if k in text else float) for k, v in cols.items()}, index=range(n)
    )
    restr = _restrictions(attrs)
    attrs = pd.concat([attrs.drop(columns=[c for c in restr.columns if c in attrs.columns]), restr], axis=1)
    defaults = figure("osm_default_speed_kmh")
    cls = np.where(attrs["mode"] == "rail", "rail", attrs.get("highway", pd.Series("", index=attrs.index)))
    default_speed = pd.Series(cls).map(defaults).fillna(50.0).to_numpy(dtype=float)
    speed = attrs["maxspeed_kmh"].to_numpy(dtype=float) if "maxspeed_kmh" in attrs else np.full(n, np.nan)
    tagged = np.isfinite(speed) & (speed > 0)
    attrs["speed_kmh"] = np.where(tagged, speed, default_speed)
    attrs["speed_src"] = np.where(tagged, "osm", "default").astype(object)
    return attrs


def _pieces(table: WayTable) -> dict[str, np.ndarray]:
    """Split ways at graph nodes: way ends and nodes used more than once (per mode).

    Returns the pieces (first and last position in the flat node arrays, end nodes
    in a compact numbering) and each node's first position.
    """
    sizes = np.diff(table.offsets)
    row = np.repeat(np.arange(len(table), dtype=np.int64), sizes)
    mode_code = np.asarray([MODES.index(m) if m else 0 for m in table.modes], np.int64)[table.tagset]
    # road and rail never share a node: mode changes go through transfer edges
    key = table.refs * 2 + mode_code[row]
    _, inv, counts = np.unique(key, return_inverse=True, return_counts=True)
    del key
    graph = counts[inv] > 1
    ends = sizes > 0
    graph[table.offsets[:-1][ends]] = True
    graph[table.offsets[1:][ends] - 1] = True
    gp = np.flatnonzero(graph)
    del graph
    same = row[gp[:-1]] == row[gp[1:]]
    a, b = gp[:-1][same], gp[1:][same]
    ka, kb = inv[a], inv[b]
    keep = (ka != kb) | (b - a > 1)  # a repeated node in a row is no edge
    a, b, ka, kb = a[keep], b[keep], ka[keep], kb[keep]
    used = np.unique(np.concatenate([ka, kb]))
    node_of_key = np.full(counts.size, -1, np.int64)
    node_of_key[used] = np.arange(used.size)
    first = np.empty(counts.size, np.int64)
    first[inv[::-1]] = np.arange(inv.size - 1, -1, -1)
    node_pos = first[used]
    return {
        "a": a,
        "b": b,
        "u": node_of_key[ka],
        "v": node_of_key[kb],
        "row": row[a],
        "node_pos": node_pos,
        "node_mode": mode_code[row[node_pos]],
    }


def _chains(
    pu: np.ndarray, pv: np.ndarray, sig: np.ndarray, oneway: np.ndarray, n_nodes: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Join pieces through pass-through nodes where nothing changes.

    A node is passed through when exactly two pieces touch it, they lead to two
    different other nodes, their tag signatures are equal and, on one-way roads,
    one flows in and the other out. Rings made only of such nodes stay as they are.

    Returns
    -------
    piece, reverse, segment, removed
        The pieces in order along each output segment, whether each is walked
        against its digitised direction, the segment of each, and the nodes removed.
    """
    n_pieces = pu.size
    ends_node = np.concatenate([pu, pv])
    ends_piece = np.concatenate([np.arange(n_pieces), np.arange(n_pieces)])
    ends_side = np.concatenate([np.zeros(n_pieces, np.int64), np.ones(n_pieces, np.int64)])
    degree = np.bincount(ends_node, minlength=n_nodes)
    order = np.argsort(ends_node, kind="stable")
    start = np.cumsum(degree) - degree
    x = np.flatnonzero(degree == 2)
    e1, e2 = order[start[x]], order[start[x] + 1]
    p, q = ends_piece[e1], ends_piece[e2]
    sp, sq = ends_side[e1], ends_side[e2]
    other_p = np.where(sp == 0, pv[p], pu[p])
    other_q = np.where(sq == 0, pv[q], pu[q])
    enters_p = ((sp == 1) & (oneway[p] == 1)) | ((sp == 0) & (oneway[p] == -1))
    enters_q = ((sq == 1) & (oneway[q] == 1)) | ((sq == 0) & (oneway[q] == -1))
    ok = (p != q) & (other_p != other_q) & (sig[p] == sig[q]) & ((oneway[p] == 0) | (enters_p != enters_q))
    x, p, q, sp, sq = x[ok], p[ok], q[ok], sp[ok], sq[ok]
    link = np.full((n_pieces, 2), -1, np.int64)
    link[p, sp] = q
    link[q, sq] = p
    linked = link >= 0
    walk_from = np.flatnonzero(linked.any(axis=1) & ~linked.all(axis=1))
    links, us, vs = link.tolist(), pu.tolist(), pv.tolist()
    seen = bytearray(n_pieces)
    piece: list[int] = []
    reverse: list[bool] = []
    segment: list[int] = []
    n_seg = 0
    for s in walk_from.tolist():
        if seen[s]:
            continue
        cur, entry = s, (0 if links[s][0] == -1 else 1)
        while True:
            seen[cur] = 1
            piece.append(cur)
            reverse.append(entry == 1)
            segment.append(n_seg)
            node = vs[cur] if entry == 0 else us[cur]
            nxt = links[cur][1 - entry]
            if nxt == -1 or seen[nxt]:
                break
            entry = 0 if us[nxt] == node else 1
            cur = nxt
        n_seg += 1
    single = np.flatnonzero(np.frombuffer(seen, np.uint8) == 0)
    removed = np.zeros(n_nodes, bool)
    removed[x] = True
    ring = single[linked[single].any(axis=1)]  # rings of pass-through nodes keep their nodes
    removed[pu[ring]] = False
    removed[pv[ring]] = False
    return (
        np.concatenate([np.asarray(piece, np.int64), single]),
        np.concatenate([np.asarray(reverse, bool), np.zeros(single.size, bool)]),
        np.concatenate([np.asarray(segment, np.int64), n_seg + np.arange(single.size)]),
        removed,
    )


def _segment_lines(
    a: np.ndarray, b: np.ndarray, piece: np.ndarray, reverse: np.ndarray, segment: np.ndarray, xy: np.ndarray
) -> np.ndarray:
    """One linestring per segment from its pieces' coordinates (shared end points once)."""
    first = np.concatenate([[True], segment[1:] != segment[:-1]])
    pa, pb = a[piece], b[piece]
    skip = (~first).astype(np.int64)
    n_coords = pb - pa + 1 - skip
    rep = np.repeat(np.arange(piece.size), n_coords)
    k = np.arange(int(n_coords.sum())) - np.repeat(np.cumsum(n_coords) - n_coords, n_coords) + skip[rep]
    pos = np.where(reverse[rep], pb[rep] - k, pa[rep] + k)
    return shapely.linestrings(xy[pos], indices=segment[rep])


def network_from_ways(
    table: WayTable,
    report: BuildReport | None = None,
    *,
    meta: dict[str, Any] | None = None,
    simplify: bool = True,
) -> Network:
    """Build a :class:`Network` from a way table.

    Ways are split at nodes shared with other ways (or repeated in the same way)
    and at their ends; the pieces become edges whose geometry keeps every
    intermediate node. With ``simplify``, pieces are joined through nodes that only
    link two of them when no tag read into a column changes there (so a bridge with
    its own MLC stays its own edge). One-way roads get one direction, others and
    rail get two. Everything runs on arrays; frames are made once, at the end.

    Parameters
    ----------
    table
        Ways (already trimmed of missing nodes).
    report
        Filled with unparsed-tag counts, merged nodes and timings.
    meta
        Extra metadata for the network.
    simplify
        Join pass-through nodes where nothing changes.

    Returns
    -------
    Network
        Nodes in Hilbert order, EPSG:3812, speeds and travel times per mode.
    """
    report = report if report is not None else BuildReport()
    if not len(table):
        msg = "no highway or railway ways in the data; check the area, the file or the road classes"
        raise NetworkError(msg)
    t0 = time.perf_counter()
    _, first_rows = np.unique(table.way_id, return_index=True)
    weights = np.bincount(table.tagset[first_rows], minlength=len(table.tagsets))
    attrs = _tagset_columns(table, weights, report)
    pcs = _pieces(table)
    if not pcs["a"].size:
        msg = "no highway or railway edges in the data: every way kept is one point; check the file or area"
        raise NetworkError(msg)
    ts = table.tagset[pcs["row"]].astype(np.int64)
    oneway_of_set = np.array(
        [_oneway(t) if m == "road" else 0 for t, m in zip(table.tagsets, table.modes, strict=True)], np.int64
    )
    sig_ids: dict[tuple[str, tuple[tuple[str, str], ...]], int] = {}
    sig_of_set = np.array(
        [
            sig_ids.setdefault(
                (m, tuple(kv for kv in t.items() if kv[0] in _COLUMN_KEYS.get(m, ()))), len(sig_ids)
            )
            for t, m in zip(table.tagsets, table.modes, strict=True)
        ],
        np.int64,
    )
    attrs["oneway"] = oneway_of_set != 0  # replaces the raw tag column, as a flag
    n_nodes = pcs["node_pos"].size
    oneway = oneway_of_set[ts]
    if simplify:
        piece, reverse, segment, removed = _chains(pcs["u"], pcs["v"], sig_of_set[ts], oneway, n_nodes)
    else:
        piece = np.arange(pcs["u"].size)
        reverse = np.zeros(piece.size, bool)
        segment = piece.copy()
        removed = np.zeros(n_nodes, bool)
    first_item = np.flatnonzero(np.concatenate([[True], segment[1:] != segment[:-1]]))
    last_item = np.concatenate([first_item[1:] - 1, [piece.size - 1]])
    fp, fr, lp, lr = piece[first_item], reverse[first_item], piece[last_item], reverse[last_item]
    seg_u = np.where(fr, pcs["v"][fp], pcs["u"][fp])
    seg_v = np.where(lr, pcs["u"][lp], pcs["v"][lp])
    seg_oneway = oneway[fp] * np.where(fr, -1, 1)
    seg_set = ts[fp]
    seg_way = table.way_id[pcs["row"][fp]]
    # project every coordinate once
    px, py = _TO_3812.transform(table.lon, table.lat)
    lines = _segment_lines(pcs["a"], pcs["b"], piece, reverse, segment, np.column_stack([px, py]))
    seg_len = shapely.length(lines)
    # nodes kept, in Hilbert order
    kept = np.flatnonzero(~removed)
    node_pos = pcs["node_pos"][kept]
    x, y = px[node_pos], py[node_pos]
    del px, py
    order = hilbert_order(x, y)
    rank = np.full(n_nodes, -1, np.int64)
    rank[kept[order]] = np.arange(kept.size)
    # directed edges: forward unless one-way against the digitised direction, backward unless one-way
    fwd, bwd = np.flatnonzero(seg_oneway >= 0), np.flatnonzero(seg_oneway <= 0)
    e_seg = np.concatenate([fwd, bwd])
    e_u = rank[np.concatenate([seg_u[fwd], seg_v[bwd]])]
    e_v = rank[np.concatenate([seg_v[fwd], seg_u[bwd]])]
    geoms = np.concatenate([lines[fwd], shapely.reverse(lines[bwd])])
    del lines
    order_e = np.lexsort((e_v, e_u))
    e_seg, e_u, e_v, geoms = e_seg[order_e], e_u[order_e], e_v[order_e], geoms[order_e]
    edges = attrs.take(seg_set[e_seg]).reset_index(drop=True)
    edges.insert(0, "osm_way", seg_way[e_seg])
    at = edges.columns.get_loc("speed_kmh")
    for k, (name, values) in enumerate((("u", e_u), ("v", e_v), ("length_m", seg_len[e_seg]))):
        edges.insert(at + k, name, values)
    edges["time_s"] = edges["length_m"] / (edges["speed_kmh"] / 3.6)
    edges["source"] = "osm"
    node_mode = np.asarray(MODES, dtype=object)[pcs["node_mode"][kept][order]]
    x, y = x[order], y[order]
    refs = table.refs[node_pos[order]]
    nodes = pd.DataFrame({"mode": node_mode, "x": x, "y": y, "source_id": refs})
    node_gdf = gpd.GeoDataFrame(nodes, geometry=shapely.points(x, y), crs=CRS, copy=False)
    node_gdf.index.name = "node"
    edge_gdf = gpd.GeoDataFrame(edges, geometry=geoms, crs=CRS, copy=False)
    features = _features_frame(report)
    edge_gdf = _ramp_transfers(node_gdf, edge_gdf, features)
    if simplify:
        report.merged_nodes = int(removed.sum())
    report.seconds["build"] = time.perf_counter() - t0
    lcc = _largest_components(node_gdf, edge_gdf)
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
        Join edges through pass-through nodes where no attribute changes (done on
        arrays while building; :func:`~enablement.network.simplify.merge_chains`
        applies the same rule to a built network).
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
        features = fetch_overpass(place=place, bbox=bbox, polygon=poly, highways=highways, rail=rail)
        ways = read_osm_features(features, highways, rail=rail, report=report)
        source = f"overpass: {place or bbox or polygon}"
    net = network_from_ways(
        ways, report, meta={"source_detail": source, "highways": list(highways)}, simplify=simplify
    )
    if consolidate_m:
        t0 = time.perf_counter()
        net = consolidate_junctions(net, consolidate_m)
        net.meta["report"]["seconds"]["consolidate"] = round(time.perf_counter() - t0, 3)
        net.meta["largest_strong_component"] = _largest_components(net.nodes, net.edges)
    logger.info("built network from %s: %s", source, net.meta["report"])
    return net
