"""Which country a point lies in: Belgium and its neighbours, from Natural Earth.

The boundaries ship with the package (``enablement/data/countries.geojson``, written by
``tools/countries.py`` from Natural Earth's 1:10m Admin 0 countries, public domain).
They are accurate to a few hundred metres: a point that close to a border (a border
crossing itself) may be given to either side, so a caller deciding whether a route
leaves a territory treats the crossing's own node as inside.

Countries are ISO 3166-1 alpha-2 codes (``BE``, ``NL``, ``DE``, ``LU``, ``FR``). At
1:10m the Scheldt, the docks of Antwerp and the coast are water, so a point in no
polygon is given to the nearest country within :data:`SHORE_M`; a point farther from
every country (at sea, or beyond the area kept) has the code ``""``.
"""

from __future__ import annotations

import functools
import heapq
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from typing import TYPE_CHECKING, Any

import numpy as np
import pyproj
import shapely

from ..defaults import figure

if TYPE_CHECKING:
    from .model import Network

__all__ = [
    "COUNTRIES",
    "SHORE_M",
    "SOURCE",
    "Territory",
    "countries_of",
    "country_at",
    "country_shapes",
    "crossing_modes",
]

_FILE = ("data", "countries.geojson")


@functools.cache
def _projected() -> dict[str, Any]:
    """Project the country polygons to the network's metric CRS (EPSG:3812), for distances."""
    transformer = pyproj.Transformer.from_crs(4326, 3812, always_xy=True)

    def to_metres(xy: np.ndarray) -> np.ndarray:
        return np.column_stack(transformer.transform(xy[:, 0], xy[:, 1]))

    return {code: shapely.transform(shape, to_metres) for code, shape in _read()[0].items()}


@functools.cache
def _read() -> tuple[dict[str, Any], str]:
    text = (resources.files("enablement") / _FILE[0] / _FILE[1]).read_text(encoding="utf-8")
    data = json.loads(text)
    shapes = {f["properties"]["country"]: shapely.geometry.shape(f["geometry"]) for f in data["features"]}
    for shape in shapes.values():
        shapely.prepare(shape)
    source = str(data["features"][0]["properties"]["source"]) if data["features"] else ""
    return shapes, source


def country_shapes() -> dict[str, Any]:
    """Return the country polygons (WGS84 lon/lat) by ISO code, prepared for fast point tests."""
    return dict(_read()[0])


SHORE_M = 2_000.0
"""How far (metres) outside every polygon a point still belongs to the nearest country:
the width of the Scheldt at Antwerp's docks, which Natural Earth's 1:10m outline leaves
as water."""

COUNTRIES: tuple[str, ...] = ("BE", "DE", "FR", "LU", "NL")
"""The countries whose boundaries ship with the package."""

SOURCE: str = "Natural Earth 1:10m Admin 0 countries 4.1.0 (public domain), via world-atlas 2.0.2"
"""Where the boundaries come from (the data file names it in full)."""


def countries_of(x: np.ndarray, y: np.ndarray, crs: Any = 4326) -> np.ndarray:
    """Find the country of each point.

    Parameters
    ----------
    x, y
        Coordinates in ``crs`` (longitude and latitude for the default, EPSG:4326).
    crs
        Anything :class:`pyproj.CRS` reads; the network's EPSG:3812 for its nodes.

    Returns
    -------
    numpy.ndarray
        One ISO code per point (``<U2``), ``""`` where the point lies in no country kept.
    """
    xs, ys = np.asarray(x, float), np.asarray(y, float)
    if pyproj.CRS.from_user_input(crs) != pyproj.CRS.from_epsg(4326):
        transformer = pyproj.Transformer.from_crs(crs, 4326, always_xy=True)
        xs, ys = transformer.transform(xs, ys)
    out = np.full(xs.shape, "", dtype="<U2")
    for code, shape in _read()[0].items():
        open_ = out == ""
        if open_.any():
            inside = shapely.contains_xy(shape, xs[open_], ys[open_])
            idx = np.flatnonzero(open_)[inside]
            out[idx] = code
    ashore = np.flatnonzero(out == "")
    if ashore.size:
        to_metres = pyproj.Transformer.from_crs(4326, 3812, always_xy=True)
        mx, my = to_metres.transform(xs[ashore], ys[ashore])
        points = shapely.points(mx, my)
        codes = list(_projected())
        distance = np.stack([shapely.distance(_projected()[c], points) for c in codes])
        nearest = distance.argmin(axis=0)
        near = distance[nearest, np.arange(ashore.size)] <= SHORE_M
        out[ashore[near]] = np.array(codes)[nearest[near]]
    return out


def country_at(lon: float, lat: float) -> str:
    """Find the country of one point (``""`` at sea or beyond the area kept)."""
    return str(countries_of(np.array([lon]), np.array([lat]))[0])


BORDER_CROSSING = "border_crossing"
"""Site kind of a border crossing point (the only way a route leaves the territory)."""


def crossing_modes(attrs: Mapping[str, object]) -> frozenset[str]:
    """Modes a border crossing site is open to, from its ``modes`` (a list or ``road;rail``) or ``mode``.

    Parameters
    ----------
    attrs
        The site's overlay attributes.

    Returns
    -------
    frozenset of str
        ``road`` and/or ``rail``; empty for a site that names neither.
    """
    raw = attrs.get("modes")
    if raw is None or (isinstance(raw, float) and np.isnan(raw)) or raw == "":
        raw = attrs.get("mode")
    if isinstance(raw, str):
        items: list[object] = [p.strip() for p in raw.replace(",", ";").split(";")]
    elif isinstance(raw, list | tuple | np.ndarray):
        items = list(raw)
    else:
        items = []
    return frozenset(str(m) for m in items if str(m) in ("road", "rail"))


@dataclass(frozen=True)
class Territory:
    """The country a plan covers, and the neighbours whose roads it may use with their permission.

    A route stays on nodes of :attr:`allowed` countries; it leaves them only by
    ending at a border crossing site's own node of the route's mode (the hand-over
    to the next nation). Natural Earth's few-hundred-metre accuracy may put a
    crossing's node on the other side, and a coarse network may have no node at
    the border at all (the embedded network's E40 reaches its first node 2.7 km
    into Germany): the crossing's node counts as inside, and so does its
    *approach*, the shortest line from the territory to it when that line is at most
    :attr:`approach_m` long, measured from its last node in the territory (so the part of
    that first edge still inside counts too: the length abroad is over-, never
    under-stated); only that line: its nodes abroad join no other road.
    So does the node of a site in the territory that snapped across the border
    (:meth:`stray_sites`), which the plan reports.

    Attributes
    ----------
    home
        ISO 3166-1 alpha-2 code of the territory (``BE``).
    foreign_roads
        Neighbours whose roads and lines the scenario may use (with their permission).
    approach_m
        Longest approach to a crossing's node, from the last node in the territory
        (planning figure ``crossing_approach_m``).
    """

    home: str = "BE"
    foreign_roads: frozenset[str] = frozenset()
    approach_m: float = field(default_factory=lambda: float(figure("crossing_approach_m")))

    @property
    def allowed(self) -> frozenset[str]:
        """Countries a route may run in."""
        return frozenset({self.home}) | self.foreign_roads

    def describe(self) -> str:
        """Say the territory in words (``BE``, or ``BE with NL roads``)."""
        if not self.foreign_roads:
            return self.home
        return f"{self.home} with {', '.join(sorted(self.foreign_roads))} roads"

    def gates(self, network: Network, mode: str) -> np.ndarray:
        """Nodes of the border crossing sites open to ``mode`` (sorted, unique)."""
        sites = network.sites
        if not len(sites) or "kind" not in sites.columns:
            return np.empty(0, dtype=np.int64)
        column = "node_road" if mode == "road" else "node_rail"
        if column not in sites.columns:
            return np.empty(0, dtype=np.int64)
        frame = sites.drop(columns="geometry")
        nodes = [
            int(row[column])
            for _, row in frame.iterrows()
            if row["kind"] == BORDER_CROSSING and mode in crossing_modes(row.to_dict()) and row[column] >= 0
        ]
        return np.unique(np.asarray(nodes, dtype=np.int64))

    def stray_sites(self, network: Network, mode: str) -> dict[str, int]:
        """Sites that lie in the territory but whose ``mode`` node lies outside it, with that node.

        A coarse network may have no node near a site on its own side of the border
        (the embedded network's nearest road node to Elsenborn camp is in Germany): the
        site's own node counts as inside, so that the plan can reach it, and the plan
        warns about it.
        """
        sites = network.sites
        column = "node_road" if mode == "road" else "node_rail"
        if not len(sites) or column not in sites.columns:
            return {}
        where = countries_of(
            sites.geometry.x.to_numpy(float), sites.geometry.y.to_numpy(float), network.nodes.crs
        )
        countries = network.node_countries()
        out = {}
        for sid, node, at in zip(sites.index, sites[column].to_numpy(np.int64), where, strict=True):
            if node >= 0 and at in self.allowed and countries[node] not in self.allowed:
                out[str(sid)] = int(node)
        return out

    def inside_nodes(self, network: Network, mode: str) -> np.ndarray:
        """Whether each node lies in an allowed country, or is a crossing open to ``mode`` or its approach.

        Returns
        -------
        numpy.ndarray
            One bool per node.
        """
        inside, approach = self._inside(network, mode)
        for a, b in approach:
            inside[[a, b]] = True
        return inside

    def _inside(self, network: Network, mode: str) -> tuple[np.ndarray, set[tuple[int, int]]]:
        """Nodes in an allowed country, at a crossing of ``mode`` or at a stray site, and the approaches."""
        inside = np.isin(network.node_countries(), sorted(self.allowed))
        stray = np.asarray(sorted(self.stray_sites(network, mode).values()), dtype=np.int64)
        gates = np.union1d(self.gates(network, mode), stray)
        approach = self._approaches(network, mode, inside, gates)
        inside[gates] = True
        return inside, approach

    def _approaches(
        self, network: Network, mode: str, inside: np.ndarray, gates: np.ndarray
    ) -> set[tuple[int, int]]:
        """Node pairs (both ways) of the shortest line from the territory to each crossing node abroad."""
        e = network.edges
        sel = e["mode"].to_numpy() == mode
        u, v = e["u"].to_numpy(np.int64)[sel], e["v"].to_numpy(np.int64)[sel]
        length = e["length_m"].to_numpy(float)[sel]
        adj: dict[int, list[tuple[int, float]]] = {}
        for a, b, w in zip(u.tolist(), v.tolist(), length.tolist(), strict=True):
            adj.setdefault(a, []).append((b, w))
            adj.setdefault(b, []).append((a, w))
        out: set[tuple[int, int]] = set()
        for gate in gates.tolist():
            if inside[gate]:
                continue
            dist, pred, heap = {gate: 0.0}, {gate: -1}, [(0.0, gate)]
            while heap:
                d, n = heapq.heappop(heap)
                if d > dist[n]:
                    continue
                if inside[n]:  # reached the territory: the line back to the crossing is its approach
                    while pred[n] != -1:
                        out |= {(n, pred[n]), (pred[n], n)}
                        n = pred[n]
                    break
                for m, w in adj.get(n, []):
                    nd = d + w
                    if nd <= self.approach_m and nd < dist.get(m, math.inf):
                        dist[m], pred[m] = nd, n
                        heapq.heappush(heap, (nd, m))
        return out

    def open_edges(self, network: Network, mode: str) -> np.ndarray:
        """Whether each edge row of ``network`` may be used by a ``mode`` route.

        An edge is open when both its ends are inside (:meth:`inside_nodes` without the
        approaches), or when it lies on a crossing's approach.
        """
        inside, approach = self._inside(network, mode)
        u = network.edges["u"].to_numpy(np.int64)
        v = network.edges["v"].to_numpy(np.int64)
        ok = inside[u] & inside[v]
        if approach:
            ok |= np.fromiter(((a, b) in approach for a, b in zip(u.tolist(), v.tolist(), strict=True)), bool)
        return np.asarray(ok, dtype=bool)
