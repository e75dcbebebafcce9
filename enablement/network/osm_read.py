"""Reading OpenStreetMap sources into a :class:`~enablement.network.osm_table.WayTable`.

- files (``.osm``, ``.osm.bz2``, ``.osm.pbf``) are read with pyosmium, which keeps
  only highway and railway ways (and rail features and motorway junction nodes)
  and the locations of their nodes, so a country extract never goes through an
  XML parser whole: libosmium writes them as OPL, parsed here a chunk at a time;
- Overpass (place name, bounding box or polygon) is queried through osmnx's public
  ``features_from_polygon``, with osmnx's cache folder pointed at ours for the length
  of the call only; the features it returns (ways with their geometries, tagged
  nodes) feed the same table builder. Recorded Overpass JSON (``out;`` with nodes)
  is read by :func:`read_overpass_json`.

Ways that reference nodes missing from the data (every clipped extract has them)
are repaired by trimming the missing parts: a way splits into its runs of known
nodes, and the counts go into the build report.
"""

from __future__ import annotations

import ctypes
import math
import os
import re
import tempfile
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import osmium
import pandas as pd
import shapely

from .. import settings
from ..errors import NetworkError
from .model import MODES
from .osm_table import (
    _FEATURE_TAGS,
    _KEPT_KEYS,
    _NODE_KEYS,
    DEFAULT_HIGHWAYS,
    JUNCTION_TAG,
    BuildReport,
    WayTable,
    _feature_kinds,
    _junction_label,
    _mode,
    _record_features,
    _way_tags,
)

__all__ = [
    "fetch_overpass",
    "location_ids",
    "overpass_tags",
    "read_osm_features",
    "read_osm_file",
    "read_overpass_json",
]


class _TableBuilder:
    """Collects ways chunk by chunk into a :class:`WayTable`; equal tag sets are stored once."""

    def __init__(self, highways: Sequence[str], rail: bool, report: BuildReport, source: str = "") -> None:
        self.source = source or "the OpenStreetMap data"
        self.highways = tuple(highways)
        self.rail = rail
        self.report = report
        self.tagsets: list[dict[str, str]] = []
        self._ids: dict[tuple[tuple[str, str], ...], int] = {}
        self._mode: list[int] = []  # index into MODES, -1 for a feature-only way
        self._kinds: list[list[str]] = []
        self._raw: dict[bytes, int] = {}
        self._chunks: list[tuple[np.ndarray, ...]] = []
        self.junctions: dict[int, tuple[str, str]] = {}

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

    def add_node(
        self, osm_id: int, tags: dict[str, str], lon: float, lat: float, key: int | None = None
    ) -> None:
        """Record a tagged node when it is a rail feature or a named motorway junction.

        A junction is kept under ``key``, the id the ways use for the node (its OSM id
        when not given).
        """
        if (label := _junction_label(tags)) is not None:
            self.junctions[osm_id if key is None else key] = label
        if kinds := _feature_kinds(tags):
            self._check_locations("node", np.array([osm_id]), np.array([lon]), np.array([lat]))
            _record_features(kinds, tags, "node", osm_id, np.array([lon]), np.array([lat]), self.report)

    def _check_locations(self, what: str, ids: np.ndarray, lon: np.ndarray, lat: np.ndarray) -> None:
        """Raise a NetworkError when a known location is no coordinate (beyond ±180°/±90°)."""
        with np.errstate(invalid="ignore"):
            bad = ~np.isnan(lon) & ~((np.abs(lon) <= 180.0) & (np.abs(lat) <= 90.0))
        if bad.any():
            k = int(np.flatnonzero(bad)[0])
            msg = (
                f"{self.source}: {what} {int(ids[k])} has a node at lon {lon[k]:g}, lat {lat[k]:g}, which "
                "is no coordinate (longitude within ±180°, latitude within ±90°); fix it in the data or cut "
                "it out"
            )
            raise NetworkError(msg)

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
        self._check_locations("way", np.repeat(ids, sizes), lon, lat)
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
            dict(self.junctions),
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
        table.junctions,
    )


_OPL_ESCAPE = re.compile(r"%([0-9a-fA-F]+)%")
_OPL_NODE_SEPARATORS = bytes.maketrans(b"nxy,", b"    ")
_OPL_FORMAT = "opl,locations_on_ways=true,add_metadata=false"
"""libosmium's OPL writer with each way's node locations inline (``n<id>x<lon>y<lat>``)."""


def _opl_unescape(text: str) -> str:
    return _OPL_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text) if "%" in text else text


def _opl_tags(raw: bytes, keys: frozenset[str] = _KEPT_KEYS) -> dict[str, str]:
    """Read the tags of ``keys`` from an OPL tag field (``k=v,k2=v2``, special characters as ``%hex%``)."""
    out: dict[str, str] = {}
    if not raw:
        return out
    for item in raw.decode("utf-8").split(","):
        key, _, value = item.partition("=")
        key = _opl_unescape(key)
        if key in keys:
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
                builder.add_node(int(head[1:]), _opl_tags(tags[1:], _NODE_KEYS), float(x[1:]), float(y[1:]))
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
    # "n12x4.4y51.2,n13xy" -> "12 4.4 51.2 13 NAN NAN" (a node without a location has empty x and y);
    # a way without nodes has an empty field, which adds nothing
    text = (b",".join(f for f in fields if f) + b",").replace(b"xy,", b"xNANyNAN,")
    fields.clear()
    values = (
        np.fromstring(text.translate(_OPL_NODE_SEPARATORS), sep=" ")  # text mode: C parsing, no object each
        if len(text) > 1
        else np.empty(0)
    )
    del text
    total = sum(counts)
    if values.size != 3 * total:
        msg = f"{source}: node lists could not be read ({values.size} numbers for {total} nodes)"
        raise NetworkError(msg)
    values = values.reshape(-1, 3)
    builder.add(ids, sets, counts, values[:, 0].astype(np.int64), values[:, 1].copy(), values[:, 2].copy())


def _filter_to_opl(path: Path, out: Path, highways: Sequence[str], rail: bool) -> None:
    """Road, rail and feature objects and motorway junctions of ``path`` with node locations, as OPL.

    Everything runs in C++ (pyosmium's filters and location index as handlers): no
    Python object is made for a node or a way here.

    Raises
    ------
    NetworkError
        When libosmium cannot read the file, naming the file and the fix.
    """
    ways = osmium.filter.TagFilter(*_way_tags(highways, rail))
    ways.enable_for(osmium.osm.WAY)
    nodes = osmium.filter.TagFilter(*_FEATURE_TAGS, JUNCTION_TAG)
    nodes.enable_for(osmium.osm.NODE)
    writer = osmium.SimpleWriter(osmium.io.File(str(out), _OPL_FORMAT))
    locations = osmium.NodeLocationsForWays(osmium.index.create_map("flex_mem"))
    locations.ignore_errors()  # clipped extracts: missing nodes are repaired afterwards
    try:
        osmium.apply(
            str(path),
            locations,
            osmium.filter.EntityFilter(osmium.osm.NODE | osmium.osm.WAY),
            ways,
            nodes,
            writer,
        )
        writer.close()
    except BaseException as exc:
        _close_or_keep(writer)
        if isinstance(exc, (RuntimeError, osmium.InvalidLocationError)):
            raise NetworkError(_osmium_message(path, exc)) from None
        raise


def _close_or_keep(writer: osmium.SimpleWriter) -> None:
    """Close a writer after an interruption, or keep a failed one alive for good.

    After an error (a node beyond ±90° latitude on a way makes one) libosmium's
    writer cannot be closed, and its destructor, which closes it again, throws from
    a ``noexcept`` function: that aborts the whole process. Such a writer (one small
    object) is given a reference that is never dropped, so its destructor never runs.
    """
    try:
        writer.close()
    except BaseException:  # noqa: BLE001 - any failure to close: the destructor would abort
        ctypes.pythonapi.Py_IncRef(ctypes.py_object(writer))


def _osmium_message(path: Path, exc: BaseException) -> str:
    if isinstance(exc, osmium.InvalidLocationError):
        return (
            f"{path}: a node has a location that is no coordinate ({exc}): longitude must be within ±180° "
            "and latitude within ±90°; fix the node's lat/lon in the file or cut it out"
        )
    return (
        f"{path}: cannot be read as OpenStreetMap data ({exc}); give an .osm, .osm.bz2 or .osm.pbf "
        "extract (e.g. from download.geofabrik.de)"
    )


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
    builder = _TableBuilder(highways, rail, report, str(p))
    with tempfile.TemporaryDirectory(prefix="enablement-osm-") as tmp:
        opl = Path(tmp) / "filtered.opl"
        _filter_to_opl(p, opl, highways, rail)
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
        keys = [c for c in features.columns if c in _NODE_KEYS]
        values = features[keys].to_numpy(dtype=object)
        tags = [{k: str(v) for k, v in zip(keys, row, strict=True) if pd.notna(v)} for row in values]
        geoms = features.geometry.to_numpy()
        kind = shapely.get_type_id(geoms)
        for i in np.flatnonzero((element == "node") & (kind == shapely.GeometryType.POINT)).tolist():
            lon, lat = float(geoms[i].x), float(geoms[i].y)
            # way nodes are known by their location here, so a junction is too
            key = int(location_ids(np.array([lon]), np.array([lat]))[0])
            builder.add_node(int(osm_id[i]), tags[i], lon, lat, key)
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
    """Tags asked from Overpass: the road classes, rail, the rail features and motorway junctions.

    As the file filter keeps, in the form of osmnx's ``features_from_polygon`` (a key
    and its values); osmnx asks for nodes, ways and relations with any of them.
    """
    out: dict[str, list[str]] = {}
    for key, value in [*_way_tags(highways, rail), JUNCTION_TAG]:
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


class _Unreachable(Exception):  # noqa: N818 - a signal from the pause to fetch_overpass
    """Overpass's status endpoint did not answer."""

    def __init__(self, url: str, reason: BaseException) -> None:
        super().__init__(url)
        self.url = url
        self.reason = reason


@contextmanager
def _fail_fast_offline() -> Iterator[None]:
    """Stop at once when Overpass cannot be reached, instead of after osmnx's pause.

    Before a query osmnx asks Overpass's status endpoint how long to wait; when the
    endpoint cannot be reached it waits 60 s and then fails anyway. For the length
    of the call this wraps that step (osmnx's ``_overpass._get_overpass_pause``) so
    that an unreachable endpoint raises at once. Answers from osmnx's cache never
    reach it. When osmnx no longer has the step, nothing is wrapped.
    """
    import osmnx as ox
    import requests

    module = getattr(ox, "_overpass", None)
    original = getattr(module, "_get_overpass_pause", None)
    if module is None or original is None:
        yield
        return

    def pause(base_endpoint: str, *args: Any, **kwargs: Any) -> float:
        url = base_endpoint.rstrip("/") + "/status"
        try:
            requests.get(
                url, timeout=min(float(ox.settings.requests_timeout), 15.0), **ox.settings.requests_kwargs
            )
        except requests.RequestException as exc:
            raise _Unreachable(base_endpoint, exc) from None
        return float(original(base_endpoint, *args, **kwargs))

    module._get_overpass_pause = pause
    try:
        yield
    finally:
        module._get_overpass_pause = original


def _reason(exc: BaseException) -> str:
    """Give a short reason for a requests or osmnx error (the first line, or a known cause)."""
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    for hint in ("Failed to resolve", "Connection refused", "timed out", "Network is unreachable"):
        if hint.lower() in text.lower():
            return hint.lower()
    return text[:160]


_OFFLINE_FIX = (
    "no network? build from a local extract instead (--osm-file, e.g. belgium-latest.osm.pbf from "
    "download.geofabrik.de), or try again when online"
)


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
        When not exactly one area is given, the bounding box or polygon is
        malformed, the place is not found, or Overpass or Nominatim cannot be
        reached or refuse the query (no network: one message, without waiting).
    """
    import osmnx as ox
    import requests

    given = [x is not None for x in (place, bbox, polygon)]
    if sum(given) != 1:
        msg = "give exactly one of place, bbox or polygon"
        raise NetworkError(msg)
    if bbox is not None:
        west, south, east, north = (float(v) for v in bbox)
        in_range = all(math.isfinite(v) for v in (west, south, east, north)) and (
            -180 <= west <= 180 and -180 <= east <= 180 and -90 <= south <= 90 and -90 <= north <= 90
        )
        if not (in_range and west < east and south < north):
            msg = (
                f"bbox {list(bbox)}: give west south east north in degrees, within ±180/±90, with "
                "west < east and south < north"
            )
            raise NetworkError(msg)
        polygon = shapely.box(west, south, east, north)
    folder = str(Path(settings.cache_folder) / "overpass")
    with _osmnx_settings(cache_folder=folder, use_cache=settings.use_cache):
        if place is not None:
            polygon = _geocode(place)
        assert polygon is not None
        if not polygon.is_valid:
            msg = f"the query area is not a valid polygon ({shapely.is_valid_reason(polygon)})"
            raise NetworkError(msg)
        try:
            with _fail_fast_offline():
                return ox.features.features_from_polygon(polygon, overpass_tags(highways, rail))
        except ox._errors.InsufficientResponseError:  # osmnx lists _errors among its public modules
            return gpd.GeoDataFrame(geometry=[], crs="EPSG:4326")
        except _Unreachable as exc:
            msg = f"cannot reach Overpass at {exc.url} ({_reason(exc.reason)}); {_OFFLINE_FIX}"
            raise NetworkError(msg) from None
        except requests.RequestException as exc:
            msg = f"cannot reach Overpass at {ox.settings.overpass_url} ({_reason(exc)}); {_OFFLINE_FIX}"
            raise NetworkError(msg) from None
        except ox._errors.ResponseStatusCodeError as exc:
            msg = (
                f"Overpass refused the query ({_reason(exc)}); try a smaller area, or a local extract "
                "(--osm-file)"
            )
            raise NetworkError(msg) from None


def _geocode(place: str) -> shapely.Polygon | shapely.MultiPolygon:
    """Find the boundary of a place name with Nominatim (through osmnx and its cache)."""
    import osmnx as ox
    import requests

    try:
        polygon: shapely.Polygon | shapely.MultiPolygon = ox.geocode_to_gdf(place).union_all()
    except requests.RequestException as exc:
        msg = (
            f"cannot reach Nominatim at {ox.settings.nominatim_url} to find {place!r} ({_reason(exc)}); "
            f"{_OFFLINE_FIX}"
        )
        raise NetworkError(msg) from None
    except (ox._errors.InsufficientResponseError, TypeError, ValueError) as exc:
        msg = (
            f"--place {place!r}: Nominatim found no area of that name ({_reason(exc)}); give a place with a "
            "boundary (e.g. 'Provincie Antwerpen'), a --bbox or a --polygon file"
        )
        raise NetworkError(msg) from None
    except ox._errors.ResponseStatusCodeError as exc:
        msg = f"Nominatim refused the query for {place!r} ({_reason(exc)}); try again later"
        raise NetworkError(msg) from None
    return polygon
