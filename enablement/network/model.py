"""The :class:`Network`: road and rail nodes, directed edges and sites in EPSG:3812.

The network's area
------------------
A point given by a user (a route's end as ``lon,lat``, a ``close_road`` disruption's
``at``) is *in the network's area* for a mode when one of the network's nodes of
that mode lies within a tolerance of it: by default the ``point`` tolerance of the
network's grain (5 km on the coarse embedded network, 1 km on a detailed one; see
:mod:`enablement.network.snapping`), a scenario's ``network.snap_tolerance_m`` when
it sets one. A point farther away (at
sea, in another country, a swapped ``lat,lon``) is an error that names the input,
the point, the distance to the nearest node, the area and the fix
(:meth:`Network.nearest_node`); so is a point that is no coordinate at all (NaN,
infinite, beyond ±180° longitude or ±90° latitude).

Validation
----------
:meth:`Network.problems` checks the frames a network is made of (every layer,
column and reference the planner reads) and lists every problem at once;
:meth:`Network.validate` raises them in one :class:`~enablement.errors.NetworkError`.
:func:`~enablement.network.io.load_network` runs it on every file it loads.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..errors import NetworkError
from ..limits import lonlat_problem
from .territory import countries_of

__all__ = [
    "CRS",
    "EDGE_MODES",
    "EDGE_RESTRICTION_COLUMNS",
    "MODES",
    "Network",
    "check_lonlat",
    "hilbert_order",
    "problems_message",
    "renumber_spatially",
    "with_transfer_edges",
]

logger = logging.getLogger(__name__)

CRS = "EPSG:3812"
"""Internal CRS: Belgian Lambert 2008, metres."""

MODES = ("road", "rail")

EDGE_MODES = (*MODES, "transfer")
"""Modes of edges: a ``transfer`` edge joins a road node and a rail node (loading, unloading)."""

NODE_COLUMNS = ("mode", "x", "y")
"""Node columns every network has (besides the geometry)."""

EDGE_COLUMNS = ("u", "v", "mode", "length_m", "speed_kmh", "time_s")
"""Edge columns every network has (besides the geometry)."""

SITE_NODE_COLUMNS = ("node_road", "node_rail")
"""Site columns naming the site's road and rail node (-1: none)."""

XY_TOLERANCE_M = 1.0
"""Largest distance between a node's ``x``/``y`` and its point geometry."""

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
    _countries: tuple[int, int, np.ndarray] | None = field(
        default=None, init=False, repr=False, compare=False
    )

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

    def node_countries(self) -> np.ndarray:
        """ISO code of the country each node lies in (``<U2`` per node, ``""`` at sea or beyond).

        Computed once with :func:`~enablement.network.territory.countries_of` (Natural
        Earth 1:10m, a few hundred metres accurate) and kept while the nodes frame is
        the same object.
        """
        key = (id(self.nodes), len(self.nodes))
        if self._countries is None or self._countries[:2] != key:
            x, y = self.nodes["x"].to_numpy(float), self.nodes["y"].to_numpy(float)
            self._countries = (*key, countries_of(x, y, CRS))
        return self._countries[2]

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

    @classmethod
    def from_osmnx(cls, graph: Any, **options: Any) -> Network:
        """Build a network from an osmnx ``MultiDiGraph`` (:func:`.osmnx_graph.from_osmnx`)."""
        from .osmnx_graph import from_osmnx

        return from_osmnx(graph, **options)

    def to_osmnx(self) -> Any:
        """Return this network as an osmnx ``MultiDiGraph`` (:func:`.osmnx_graph.to_osmnx`)."""
        from .osmnx_graph import to_osmnx

        return to_osmnx(self)

    def copy(self) -> Network:
        """Deep copy (the frames are copied; geometries are immutable)."""
        return Network(
            self.nodes.copy(), self.edges.copy(), self.sites.copy(), dict(self.meta), self.features.copy()
        )

    def problems(self) -> list[str]:
        """Every problem that keeps the planner from using this network, one line each.

        Each line reads ``layer: column: what is wrong; the fix``. Checked:

        - ``nodes``: not empty; columns ``mode``, ``x``, ``y`` and a point geometry;
          ids 0…n-1 in order; ``mode`` road or rail; ``x``/``y`` finite numbers that
          agree with the geometry (within :data:`XY_TOLERANCE_M`);
        - ``edges``: not empty; columns ``u``, ``v``, ``mode``, ``length_m``,
          ``speed_kmh``, ``time_s`` and a geometry; ``u``/``v`` ids of nodes whose
          mode fits the edge's (a transfer edge joins a road and a rail node);
          ``mode`` road, rail or transfer; finite, non-negative lengths and times;
          finite positive speeds on road and rail edges; restriction columns
          (:data:`EDGE_RESTRICTION_COLUMNS`) numbers, never negative (NaN: no limit);
        - ``sites`` (when any): unique ids; ``node_road``/``node_rail`` (when given)
          -1 or the id of a node of that mode;
        - every layer in the network's CRS (:data:`CRS`).

        Returns
        -------
        list of str
            Empty when the network is valid.
        """
        out: list[str] = []
        _check_nodes(self.nodes, out)
        kinds = _node_modes(self.nodes) if len(self.nodes) else None
        _check_edges(self.edges, kinds, out)
        _check_sites(self.sites, kinds, out)
        return out

    def validate(self, *, strict: bool = True, source: str | None = None) -> list[str]:
        """Check the network (:meth:`problems`) and report every problem at once.

        Parameters
        ----------
        strict
            Raise when a problem is found; otherwise log each one as a warning.
        source
            What to call the network in the message (its file), default "the network".

        Returns
        -------
        list of str
            The problems found (empty when valid; only returned when not strict).

        Raises
        ------
        NetworkError
            When ``strict`` and a problem is found: one message listing them all.
        """
        found = self.problems()
        if found and strict:
            raise NetworkError(problems_message(found, source))
        for problem in found:
            logger.warning("%s: %s", source or "network", problem)
        return found

    def nearest_node(
        self,
        lon: float,
        lat: float,
        *,
        mode: str = "road",
        tolerance_m: float | None = None,
        what: str = "the point",
        fix: str = "give a point inside it",
    ) -> tuple[int, float]:
        """Find the node of ``mode`` nearest a WGS84 point in the network's area (module docstring).

        Parameters
        ----------
        lon, lat
            The point, in degrees (EPSG:4326).
        mode
            ``"road"`` or ``"rail"``: the nodes that make the area.
        tolerance_m
            How far from a node the area reaches (default: the ``point`` tolerance of the
            network's grain, :func:`enablement.network.snapping.snap_tolerance`).
        what
            The input, as the message names it (``"route origin"``, ``"disruptions[0].at"``).
        fix
            What the user should do, ending the message.

        Returns
        -------
        tuple of (int, float)
            The node and its distance from the point (metres).

        Raises
        ------
        NetworkError
            When the point is no coordinate, or outside the network's area.
        """
        from .snapping import network_grain, snap_tolerance

        check_lonlat(lon, lat, what)
        tol = snap_tolerance("point", network_grain(self), tolerance_m)
        ids = np.flatnonzero((self.nodes["mode"] == mode).to_numpy())
        if not ids.size:
            msg = f"{what}: the network has no {mode} nodes, so no point is in its {mode} area"
            raise NetworkError(msg)
        x, y = _to_network_crs(self.nodes.crs, lon, lat)
        nx, ny = self.nodes["x"].to_numpy(float)[ids], self.nodes["y"].to_numpy(float)[ids]
        with np.errstate(invalid="ignore", over="ignore"):
            dist = np.hypot(nx - x, ny - y)
        k = int(np.argmin(np.where(np.isfinite(dist), dist, np.inf)))
        d = float(dist[k])
        if not (math.isfinite(d) and d <= tol):
            far = "more than 10,000 km" if not math.isfinite(d) or d > 1e7 else f"{d / 1000:,.1f} km"
            w, s, e, n = self.area_bounds(mode)
            hint = ""
            if (w <= lat <= e and s <= lon <= n) and not (w <= lon <= e and s <= lat <= n):
                hint = f" (is it lat,lon? points are lon,lat: {lat:g},{lon:g})"
            msg = (
                f"{what} {lon:g},{lat:g} is outside the network's area{hint}: the nearest {mode} node "
                f"is {far} away; the area reaches {tol / 1000:g} km around the network's {mode} nodes, "
                f"which span lon {w:.3f}…{e:.3f}, lat {s:.3f}…{n:.3f}; {fix}"
            )
            raise NetworkError(msg)
        return int(ids[k]), d

    def area_bounds(self, mode: str | None = None) -> tuple[float, float, float, float]:
        """West, south, east, north (degrees) of the network's nodes (of ``mode`` when given)."""
        nodes = self.nodes if mode is None else self.nodes[self.nodes["mode"] == mode]
        if not len(nodes):
            return (math.nan,) * 4
        w, s, e, n = (float(b) for b in nodes.to_crs(4326).total_bounds)
        return w, s, e, n


def check_lonlat(lon: float, lat: float, what: str) -> None:
    """Raise a :class:`NetworkError` naming ``what`` unless ``lon, lat`` are a WGS84 coordinate.

    The rule is :func:`enablement.limits.lonlat_problem`.
    """
    problem = lonlat_problem(lon, lat)
    if problem is not None:
        msg = f"{what} {lon:g},{lat:g} {problem}"
        raise NetworkError(msg)


def _to_network_crs(crs: Any, lon: float, lat: float) -> tuple[float, float]:
    import pyproj

    transformer = pyproj.Transformer.from_crs("EPSG:4326", crs or CRS, always_xy=True)
    x, y = transformer.transform(lon, lat, errcheck=False)
    return float(x), float(y)


def problems_message(problems: list[str], source: str | None = None) -> str:
    """One message for every problem of a network (``source``: its file, or "the network")."""
    n = len(problems)
    head = "1 problem" if n == 1 else f"{n} problems"
    where = source or "the network"
    return f"{head} in {where}:\n" + "\n".join(f"  - {p}" for p in problems)


_REBUILD = "rebuild the network with `enablement network build` (or fix the layer in QGIS)"


def _is_crs(crs: Any) -> bool:
    if crs is None:
        return False
    try:
        return bool(crs.to_epsg() == 3812 or crs.equals(CRS))
    except Exception:  # noqa: BLE001 - pyproj raises many types for odd definitions
        return False


def _check_crs(layer: str, frame: Any, out: list[str]) -> None:
    crs = getattr(frame, "crs", None)
    if isinstance(frame, gpd.GeoDataFrame) and frame.active_geometry_name is not None and not _is_crs(crs):
        shown = "none" if crs is None else (crs.to_string() if hasattr(crs, "to_string") else str(crs))
        out.append(
            f"{layer}: geometry: the CRS is {shown}; networks are in {CRS} (Belgian Lambert 2008, metres), "
            "x/y included; reproject the layer and its x/y, or rebuild the network"
        )


def _first(frame: pd.DataFrame, bad: np.ndarray, what: str = "row") -> str:
    """``at row 5`` or ``at 3 rows (first: row 5)`` for a mask over ``frame``."""
    k = int(np.count_nonzero(bad))
    label = frame.index[int(np.flatnonzero(bad)[0])]
    return f"at {what} {label}" if k == 1 else f"at {k} {what}s (first: {what} {label})"


def _numbers(layer: str, frame: pd.DataFrame, col: str, out: list[str], unit: str) -> np.ndarray | None:
    """Return the column as float64, or None (and a problem) when it is not numeric."""
    values = frame[col]
    if pd.api.types.is_bool_dtype(values.dtype) or not pd.api.types.is_numeric_dtype(values.dtype):
        texts = [v for v in values if isinstance(v, str)]
        sample = next((v for v in texts if not _parses(v)), texts[0] if texts else None)
        seen = f" (e.g. {sample!r})" if sample is not None else f" (type {values.dtype})"
        out.append(f"{layer}: {col}: holds text or other non-numbers{seen}; it must hold numbers ({unit})")
        return None
    arr: np.ndarray = values.to_numpy(dtype=np.float64, na_value=np.nan)
    return arr


def _parses(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _missing_columns(layer: str, frame: pd.DataFrame, columns: tuple[str, ...], out: list[str]) -> bool:
    missing = [c for c in columns if c not in frame.columns]
    for c in missing:
        out.append(f"{layer}: {c}: the column is missing; {_REBUILD}")
    if not isinstance(frame, gpd.GeoDataFrame) or frame.active_geometry_name is None:
        out.append(f"{layer}: geometry: the layer has no geometry; {_REBUILD}")
        return True
    return bool(missing)


def _node_modes(nodes: pd.DataFrame) -> np.ndarray | None:
    """Mode of each node id 0…n-1 (None when the nodes cannot be read so)."""
    if "mode" not in nodes.columns or not pd.api.types.is_integer_dtype(nodes.index.dtype):
        return None
    if not np.array_equal(nodes.index.to_numpy(), np.arange(len(nodes))):
        return None
    return np.asarray(nodes["mode"].to_numpy(dtype=object), dtype=object)


def _check_nodes(nodes: pd.DataFrame, out: list[str]) -> None:
    if not len(nodes):
        out.append(f"nodes: the layer is empty; a network needs nodes: {_REBUILD}")
        return
    if _missing_columns("nodes", nodes, NODE_COLUMNS, out):
        return
    index = nodes.index
    if not pd.api.types.is_integer_dtype(index.dtype) or not np.array_equal(
        index.to_numpy(), np.arange(len(nodes))
    ):
        out.append(
            f"nodes: node: the ids must be 0…{len(nodes) - 1} in order (edges and sites refer to nodes by "
            f"them); found {', '.join(map(str, index[:3].tolist()))}…; {_REBUILD}"
        )
    modes = nodes["mode"].to_numpy(dtype=object)
    bad = ~np.isin(modes, np.asarray(MODES, dtype=object))
    if bad.any():
        value = modes[int(np.flatnonzero(bad)[0])]
        out.append(f"nodes: mode: {value!r} {_first(nodes, bad, 'node')}; use 'road' or 'rail'")
    xy = [_numbers("nodes", nodes, c, out, f"metres in {CRS}") for c in ("x", "y")]
    for col, arr in zip(("x", "y"), xy, strict=True):
        if arr is not None and not np.isfinite(arr).all():
            out.append(
                f"nodes: {col}: no finite number {_first(nodes, ~np.isfinite(arr), 'node')}; "
                f"give metres in {CRS}"
            )
    _check_crs("nodes", nodes, out)
    x, y = xy
    if x is None or y is None:
        return
    geom = nodes.geometry.to_numpy()
    is_point = shapely.get_type_id(geom) == 0
    if not is_point.all():
        out.append(f"nodes: geometry: no point {_first(nodes, ~is_point, 'node')}; {_REBUILD}")
    with np.errstate(invalid="ignore"):
        gx, gy = shapely.get_x(geom), shapely.get_y(geom)
        apart = is_point & ~(np.hypot(gx - x, gy - y) <= XY_TOLERANCE_M)
    if apart.any() and np.isfinite(x).all() and np.isfinite(y).all():
        out.append(
            f"nodes: x/y: more than {XY_TOLERANCE_M:g} m from the geometry {_first(nodes, apart, 'node')} "
            "(routing reads x/y, maps the geometry); make them agree"
        )


def _check_edges(edges: pd.DataFrame, kinds: np.ndarray | None, out: list[str]) -> None:
    if not len(edges):
        out.append(f"edges: the layer is empty; a network needs edges: {_REBUILD}")
        return
    if _missing_columns("edges", edges, EDGE_COLUMNS, out):
        return
    modes = edges["mode"].to_numpy(dtype=object)
    bad = ~np.isin(modes, np.asarray(EDGE_MODES, dtype=object))
    if bad.any():
        value = modes[int(np.flatnonzero(bad)[0])]
        out.append(f"edges: mode: {value!r} {_first(edges, bad, 'edge')}; use 'road', 'rail' or 'transfer'")
    _check_edge_ends(edges, modes, kinds, out)
    moving = np.isin(modes, np.asarray(MODES, dtype=object))
    for col, unit, positive, rows in (
        ("length_m", "metres", False, None),
        ("time_s", "seconds", False, None),
        ("speed_kmh", "km/h", True, moving),
    ):
        arr = _numbers("edges", edges, col, out, unit)
        if arr is None:
            continue
        with np.errstate(invalid="ignore"):
            wrong = ~np.isfinite(arr) | ((arr <= 0) if positive else (arr < 0))
        if rows is not None:
            wrong &= rows
        if wrong.any():
            value = arr[int(np.flatnonzero(wrong)[0])]
            need = "a finite number above 0" if positive else "a finite number, 0 or more"
            scope = " on road and rail edges" if rows is not None else ""
            out.append(f"edges: {col}: {value:g} {_first(edges, wrong, 'edge')}; it must be {need}{scope}")
    for col in EDGE_RESTRICTION_COLUMNS:
        if col not in edges.columns:
            continue
        arr = _numbers("edges", edges, col, out, "NaN for no limit")
        if arr is not None and (neg := (arr < 0) | np.isneginf(arr)).any():
            out.append(
                f"edges: {col}: a negative limit {_first(edges, neg, 'edge')}; "
                "leave it empty (NaN) for no limit"
            )
    geom = edges.geometry.to_numpy()
    empty = pd.isna(geom) | shapely.is_empty(geom)
    if empty.any():
        out.append(f"edges: geometry: none {_first(edges, empty, 'edge')}; {_REBUILD}")
    _check_crs("edges", edges, out)


def _check_edge_ends(
    edges: pd.DataFrame, modes: np.ndarray, kinds: np.ndarray | None, out: list[str]
) -> None:
    """``u``/``v`` are node ids, and the nodes' modes fit the edge's."""
    ends = {}
    for col in ("u", "v"):
        arr = _numbers("edges", edges, col, out, "node ids")
        if arr is None:
            continue
        n = len(kinds) if kinds is not None else None
        with np.errstate(invalid="ignore"):
            wrong = ~np.isfinite(arr) | (arr != np.round(arr)) | (arr < 0)
            if n is not None:
                wrong |= arr >= n
        if wrong.any():
            value = arr[int(np.flatnonzero(wrong)[0])]
            ids = f"0…{n - 1}" if n else "0…n-1"
            out.append(
                f"edges: {col}: {value:g} {_first(edges, wrong, 'edge')} is no node id "
                f"(the nodes are {ids}); {_REBUILD}"
            )
        else:
            ends[col] = arr.astype(np.int64)
    if kinds is None or len(ends) != 2:
        return
    mu, mv = kinds[ends["u"]], kinds[ends["v"]]
    transfer = modes == "transfer"
    known = np.asarray(MODES, dtype=object)
    wrong = (
        np.where(transfer, mu == mv, (mu != modes) | (mv != modes))
        & np.isin(modes, np.asarray(EDGE_MODES, dtype=object))
        & np.isin(mu, known)
        & np.isin(mv, known)
    )  # an unknown mode is reported once, on its own row
    if wrong.any():
        i = int(np.flatnonzero(wrong)[0])
        out.append(
            f"edges: u/v: a {modes[i]} edge from a {mu[i]} node to a {mv[i]} node "
            f"{_first(edges, wrong, 'edge')} (edges join nodes of their mode; a transfer edge a road "
            f"and a rail node); {_REBUILD}"
        )


def _check_sites(sites: pd.DataFrame, kinds: np.ndarray | None, out: list[str]) -> None:
    if not len(sites):
        return
    dup = sites.index.duplicated()
    if dup.any():
        out.append(
            f"sites: id: {sites.index[dup][0]!r} is the id of more than one site; give each site its own id"
        )
    for col, mode in zip(SITE_NODE_COLUMNS, MODES, strict=True):
        if col not in sites.columns:  # no site on that mode (as the site records read it)
            continue
        arr = _numbers("sites", sites, col, out, "node ids, -1 for none")
        if arr is None:
            continue
        with np.errstate(invalid="ignore"):
            wrong = ~np.isfinite(arr) | (arr != np.round(arr)) | (arr < -1)
            if kinds is not None:
                wrong |= arr >= len(kinds)
        if not wrong.any() and kinds is not None:
            at = arr >= 0
            wrong = at.copy()
            wrong[at] = kinds[arr[at].astype(np.int64)] != mode
        if wrong.any():
            value = arr[int(np.flatnonzero(wrong)[0])]
            out.append(
                f"sites: {col}: {value:g} {_first(sites, wrong, 'site')} is not a {mode} node id "
                "(-1 for none); apply the overlay again (`enablement overlay`)"
            )
    _check_crs("sites", sites, out)


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
