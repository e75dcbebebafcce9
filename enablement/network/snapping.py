"""Honest snapping: how far a site or a given point may lie from the network, and where a site attaches.

Tolerances
----------
How far a place may lie from the nearest node of the network depends on what the
place is and on how fine the network is. The figures live in ``planning.yaml``:
``snap_tolerance_coarse_m`` for networks of main roads and lines only, with nodes
at junctions a few kilometres apart (the embedded network), and
``snap_tolerance_detailed_m`` for networks with every junction (OpenStreetMap,
the agencies' registers). Each maps a site kind (``seaport``, ``rail_quay``, …),
``bridge`` and ``point`` (a coordinate a user gives: a route's end, a
``close_road`` point) to metres. :func:`snap_tolerance` is the one place they are
read; a scenario's ``network.snap_tolerance_m``, when given, replaces them all.

Sites
-----
:func:`snap_sites` attaches every site to a node of each mode it names:

- a node of the network's *main component* of that mode (the largest strongly
  connected one, so a column can both reach and leave it);
- a node in the site's own country (its ``country`` field; where it has none, the
  country it lies in), by :func:`enablement.network.territory.countries_of`, or on
  its outline (within :data:`ON_BORDER_M`: the node a border cut made, which lies
  in both countries though the lookup gives it to one); a border crossing may also
  attach to a node within :data:`border accuracy <BORDER_FIGURE>` of its country,
  since the boundaries are accurate only to a few hundred metres;
- within the tolerance of its kind.

A site that cannot attach so is a problem naming the site, the distance, the
tolerance and the fix (move it, add the missing road or line through an overlay,
or change its mode); it is never "matched". Sites that are distinct places but
attach to the same node (a port and its quay) each get their own node at their
own location, joined to that node by an access edge of the real distance, so the
move between them is planned.
"""

from __future__ import annotations

import functools
import logging
import math
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from ..defaults import figure
from .model import CRS, Network
from .territory import COUNTRIES, countries_of, country_shapes

__all__ = [
    "GRAINS",
    "SiteSnap",
    "border_cuts",
    "main_component",
    "network_grain",
    "snap_sites",
    "snap_table",
    "snap_tolerance",
]

logger = logging.getLogger(__name__)

GRAINS = ("coarse", "detailed")
"""How fine a network is: ``coarse`` (main roads and lines only) or ``detailed`` (every junction)."""

ON_BORDER_M = 1.0
"""How close (metres) to a country's outline a node lies on the border, in both countries (a border cut)."""

BORDER_FIGURE = "snap_border_accuracy_m"
"""The figure: how far outside its country a border crossing's node may lie."""


def network_grain(network: Network) -> str:
    """Whether ``network`` is ``coarse`` (main roads only: the embedded network) or ``detailed``.

    A network's ``meta["grain"]`` says it when set (a builder that knows its nodes lie kilometres
    apart); otherwise a network of main roads only (``meta["main_roads_only"]``, the embedded
    network) is coarse and every other (OpenStreetMap, agency registers) detailed.
    """
    meta = network.meta
    if meta.get("grain") in GRAINS:
        return str(meta["grain"])
    coarse = bool(meta.get("main_roads_only", meta.get("source") == "embedded"))
    return "coarse" if coarse else "detailed"


def snap_tolerance(kind: str, grain: str, override: float | None = None) -> float:
    """Return the largest distance (metres) from a place of ``kind`` to its node on a ``grain`` network.

    Parameters
    ----------
    kind
        A site kind (``seaport``, ``rail_quay``, …), ``bridge`` or ``point``; a kind the
        figures do not name gets the ``point`` tolerance.
    grain
        ``coarse`` or ``detailed`` (:func:`network_grain`).
    override
        A tolerance the user set (a scenario's ``network.snap_tolerance_m``); used as given.

    Returns
    -------
    float
        Metres.
    """
    if override is not None:
        return float(override)
    if grain not in GRAINS:
        msg = f"unknown network grain {grain!r}; one of {', '.join(GRAINS)}"
        raise ValueError(msg)
    table: dict[str, float] = figure(f"snap_tolerance_{grain}_m")
    return float(table.get(kind, table["point"]))


@dataclass(frozen=True)
class SiteSnap:
    """Where one site attaches to one mode of the network.

    Attributes
    ----------
    site, kind, mode
        The site's id, kind and the mode (``road`` or ``rail``).
    country
        The site's country (its ``country`` field, else the country it lies in; ``""``: none).
    node
        The node it attaches to (-1 when none fits).
    distance_m
        Distance from the site to that node (to the nearest fitting node when beyond the
        tolerance; infinite when there is none).
    node_country
        Country of that node.
    tolerance_m
        The tolerance it was held to.
    problem
        Why it does not fit (``None`` when it does).
    """

    site: str
    kind: str
    mode: str
    country: str
    node: int
    distance_m: float
    node_country: str
    tolerance_m: float
    problem: str | None = None


def main_component(network_nodes: pd.DataFrame, edges: pd.DataFrame, mode: str) -> np.ndarray:
    """Boolean mask of the nodes in the largest strongly connected component of ``mode``'s edges."""
    n = len(network_nodes)
    e = edges[edges["mode"] == mode]
    on_mode = (network_nodes["mode"] == mode).to_numpy()
    if n == 0 or not len(e):
        return np.zeros(n, dtype=bool)
    u, v = e["u"].to_numpy(np.int64), e["v"].to_numpy(np.int64)
    adj = coo_matrix((np.ones(u.size), (u, v)), shape=(n, n)).tocsr()
    _, labels = connected_components(adj, directed=True, connection="strong")
    counts = np.bincount(labels[on_mode], minlength=int(labels.max()) + 1)
    mask: np.ndarray = (labels == int(counts.argmax())) & on_mode
    return mask


@functools.cache
def _projected_countries() -> dict[str, Any]:
    transformer = pyproj.Transformer.from_crs(4326, 3812, always_xy=True)

    def to_metres(xy: np.ndarray) -> np.ndarray:
        return np.column_stack(transformer.transform(xy[:, 0], xy[:, 1]))

    return {code: shapely.transform(shape, to_metres) for code, shape in country_shapes().items()}


def _near_country(code: str, x: np.ndarray, y: np.ndarray, within_m: float) -> np.ndarray:
    """Whether each point (EPSG:3812) lies within ``within_m`` of country ``code``."""
    shape = _projected_countries().get(code)
    if shape is None or x.size == 0:
        return np.zeros(x.size, dtype=bool)
    return np.asarray(shapely.dwithin(shape, shapely.points(x, y), within_m), dtype=bool)


def _text(value: object) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    text = str(value).strip()
    return "" if text in ("None", "nan") else text


_FIXES = {
    "road": "move the site in the overlay onto a road of the network, add the missing road through "
    "an overlay (a denser network: OSM or the Wegenregister), or change the site's mode",
    "rail": "move the site in the overlay onto a rail line of the network, add the missing line "
    "through an overlay (a denser network: OSM or the Infrabel line sections), or change the site's "
    "mode (load its units at another quay)",
}


def snap_sites(
    nodes: gpd.GeoDataFrame,
    edges: gpd.GeoDataFrame,
    sites: gpd.GeoDataFrame,
    *,
    grain: str,
    override_m: float | None = None,
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, gpd.GeoDataFrame, list[SiteSnap]]:
    """Attach every site to a node of each mode it names (module docstring).

    Parameters
    ----------
    nodes, edges
        The network's frames (EPSG:3812), without transfer edges.
    sites
        The overlay's sites, indexed by id, with ``kind``, ``mode`` and optionally ``country``.
    grain
        ``coarse`` or ``detailed``: which tolerances apply.
    override_m
        One tolerance for every kind (a scenario's ``network.snap_tolerance_m``).

    Returns
    -------
    nodes, edges
        The frames with an access node and edges added for each site that shares its node
        with another site elsewhere.
    sites
        The sites with ``node_road``/``node_rail`` (-1: none), ``snap_road_m``/``snap_rail_m``,
        ``country`` (filled where missing), ``node_country_road``/``node_country_rail`` and
        ``snap_tolerance_m``.
    snaps
        One :class:`SiteSnap` per site and mode, with the problem when it does not fit.
    """
    sites = sites.copy()
    n = len(nodes)
    nx, ny = nodes["x"].to_numpy(float), nodes["y"].to_numpy(float)
    node_country = countries_of(nx, ny, CRS) if n else np.zeros(0, "<U2")
    sx = sites.geometry.x.to_numpy() if len(sites) else np.zeros(0)
    sy = sites.geometry.y.to_numpy() if len(sites) else np.zeros(0)
    where = countries_of(sx, sy, CRS) if len(sites) else np.zeros(0, "<U2")
    given = [_text(c) for c in sites["country"]] if "country" in sites.columns else [""] * len(sites)
    # a country whose boundary does not ship cannot be checked: the site's own location decides
    declared = [d if d in COUNTRIES else "" for d in given]
    for sid, d, w in zip(sites.index, given, where, strict=True):
        if d and d not in COUNTRIES:
            logger.warning(
                "site %s: country %r is not one of %s; checked against where it lies (%s)",
                sid,
                d,
                ", ".join(COUNTRIES),
                w or "no country",
            )
    country = [d or str(w) for d, w in zip(declared, where, strict=True)]
    margin = float(figure(BORDER_FIGURE))
    near: dict[tuple[str, float], np.ndarray] = {}

    def near_nodes(code: str, within_m: float) -> np.ndarray:
        """Whether each node lies within ``within_m`` of country ``code`` (computed once per pair)."""
        if (code, within_m) not in near:
            near[code, within_m] = _near_country(code, nx, ny, within_m)
        return near[code, within_m]

    snaps: list[SiteSnap] = []
    for mode in ("road", "rail"):
        main = main_component(nodes, edges, mode)
        on_mode = (nodes["mode"] == mode).to_numpy() if n else np.zeros(0, bool)
        ids_any = np.flatnonzero(on_mode)
        tree_any = cKDTree(np.column_stack([nx[ids_any], ny[ids_any]])) if ids_any.size else None
        nodes_out = np.full(len(sites), -1, np.int64)
        dist_out = np.full(len(sites), np.nan)
        ncountry_out = np.full(len(sites), "", dtype=object)
        wants = sites["mode"].astype(str).str.contains(mode).to_numpy() if len(sites) else np.zeros(0, bool)
        for i in np.flatnonzero(wants).tolist():
            sid, kind = str(sites.index[i]), _text(sites["kind"].iat[i])
            tol = snap_tolerance(kind, grain, override_m)
            ok = main.copy()
            if country[i]:
                same = (node_country == country[i]) | near_nodes(country[i], ON_BORDER_M)
                if kind == "border_crossing":
                    same = same | (near_nodes(country[i], margin) & main)
                ok &= same
            ids = np.flatnonzero(ok)
            if ids.size:
                d = np.hypot(nx[ids] - sx[i], ny[ids] - sy[i])
                k = int(np.argmin(d))
                node, dist = int(ids[k]), float(d[k])
            else:
                node, dist = -1, math.inf
            problem = None
            if not dist <= tol:
                rule = (
                    f"the tolerance set for every site (network.snap_tolerance_m or --snap-tolerance) is "
                    f"{tol / 1000:g} km; raise it, or leave it unset for the tolerances per site kind"
                    if override_m is not None
                    else f"the tolerance for {f'a {kind}' if kind else 'a site'} on the {grain} network "
                    f"is {tol / 1000:g} km"
                )
                problem = _problem(sites, i, mode, country[i], dist, rule, tree_any, ids_any, node_country)
            if problem is None and declared[i] and where[i] and where[i] != declared[i]:
                inside = kind == "border_crossing" and bool(
                    _near_country(declared[i], sx[i : i + 1], sy[i : i + 1], margin)[0]
                )
                if not inside:
                    problem = (
                        f"lies in {where[i]} although its country is {declared[i]}; "
                        "move it, or correct its country"
                    )
            snaps.append(
                SiteSnap(
                    sid,
                    kind,
                    mode,
                    country[i],
                    node if problem is None else -1,
                    dist,
                    str(node_country[node]) if node >= 0 else "",
                    tol,
                    problem,
                )
            )
            if problem is None:
                nodes_out[i], dist_out[i], ncountry_out[i] = node, round(dist, 1), str(node_country[node])
        sites[f"node_{mode}"] = nodes_out
        sites[f"snap_{mode}_m"] = dist_out
        sites[f"node_country_{mode}"] = ncountry_out
    if len(sites):
        sites["country"] = [g or c for g, c in zip(given, country, strict=True)]
        sites["snap_tolerance_m"] = [
            snap_tolerance(_text(k), grain, override_m) for k in sites["kind"].tolist()
        ]
    nodes, edges, sites = _separate(nodes, edges, sites)
    return nodes, edges, sites, snaps


def border_cuts(
    nodes: gpd.GeoDataFrame,
    edges: gpd.GeoDataFrame,
    sites: gpd.GeoDataFrame,
    *,
    grain: str,
    override_m: float | None = None,
) -> dict[int, list[float]]:
    """Where to cut edges so that each border crossing has a node on the border itself.

    On a coarse network the edge that leaves the country may run kilometres from its
    last node to the first node abroad; the hand-over happens at the border. For each
    border crossing and mode it names, the edge of that mode leaving its country
    nearest to it (within its tolerance) is cut where it crosses the country's outline.

    Returns
    -------
    dict
        Edge row (of ``edges``, indexed 0…m-1) → positions (metres along its geometry),
        in the form :func:`enablement.network.conflation.split_edges` takes.
    """
    cuts: dict[int, list[float]] = {}
    if not len(sites) or "kind" not in sites.columns or not len(nodes):
        return cuts
    crossing = sites[sites["kind"].astype(str) == "border_crossing"]
    if not len(crossing):
        return cuts
    node_country = countries_of(nodes["x"].to_numpy(float), nodes["y"].to_numpy(float), CRS)
    u, v = edges["u"].to_numpy(np.int64), edges["v"].to_numpy(np.int64)
    leaving = (node_country[v] != node_country[u]) & (node_country[v] != "")
    geoms = edges.geometry.to_numpy()
    where = countries_of(crossing.geometry.x.to_numpy(), crossing.geometry.y.to_numpy(), CRS)
    for (_, site), lies_in in zip(crossing.iterrows(), where, strict=True):
        given = _text(site.get("country"))
        own = given if given in COUNTRIES else str(lies_in)
        shape = _projected_countries().get(own)
        if shape is None:
            continue
        tol = snap_tolerance("border_crossing", grain, override_m)
        for mode in ("road", "rail"):
            if mode not in str(site.get("mode", "")):
                continue
            rows = np.flatnonzero(leaving & (node_country[u] == own) & (edges["mode"].to_numpy() == mode))
            if not rows.size:
                continue
            d = shapely.distance(geoms[rows], site.geometry)
            k = int(np.argmin(d))
            if not d[k] <= tol:
                continue
            line = geoms[rows[k]]
            hits = shapely.get_parts(shapely.intersection(line, shape.boundary))
            hits = [h for h in hits if h.geom_type == "Point"]
            if not hits:
                continue
            hit = min(hits, key=lambda h: float(h.distance(site.geometry)))
            cuts.setdefault(int(rows[k]), []).append(float(line.project(hit)))
    return cuts


def _problem(
    sites: gpd.GeoDataFrame,
    i: int,
    mode: str,
    country: str,
    dist: float,
    rule: str,
    tree_any: cKDTree | None,
    ids_any: np.ndarray,
    node_country: np.ndarray,
) -> str:
    """Write the message of a site that does not attach to ``mode`` (module docstring)."""
    where = f" in {country}" if country else ""
    if math.isfinite(dist):
        head = (
            f"is {dist / 1000:.1f} km from the nearest {mode} node{where} "
            f"of the network's main {mode} component"
        )
    else:
        head = f"has no {mode} node{where} in the network's main {mode} component"
    extra = ""
    if tree_any is not None:
        d_any, k_any = tree_any.query([sites.geometry.x.iat[i], sites.geometry.y.iat[i]])
        node_any = int(ids_any[int(k_any)])
        abroad = str(node_country[node_any])
        if d_any < dist - 1.0:
            place = f" in {abroad}" if abroad and abroad != country else " off the main component"
            far = f"{float(d_any) / 1000:.1f} km"
            extra = f" (the nearest {mode} node is {far} away{place}, which it may not use)"
    return f"{head}{extra}; {rule}; fix: {_FIXES[mode]}"


def _separate(
    nodes: gpd.GeoDataFrame, edges: gpd.GeoDataFrame, sites: gpd.GeoDataFrame
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Give sites that share a node but lie apart their own node and an access edge to it.

    Sites within ``site_same_place_m`` of each other are one place and keep sharing a node.
    """
    if not len(sites):
        return nodes, edges, sites
    same_place = float(figure("site_same_place_m"))
    speeds: dict[str, float] = figure("site_access_speed_kmh")
    sx, sy = sites.geometry.x.to_numpy(), sites.geometry.y.to_numpy()
    new_nodes: list[dict[str, Any]] = []
    new_edges: list[dict[str, Any]] = []
    nid = len(nodes)
    for mode in ("road", "rail"):
        col = f"node_{mode}"
        node_of = sites[col].to_numpy(np.int64).copy()
        for shared in sorted(set(node_of[node_of >= 0].tolist())):
            at = np.flatnonzero(node_of == shared)
            if at.size < 2:
                continue
            places: list[list[int]] = []  # sites within site_same_place_m of a place's first are that place
            for i in at.tolist():
                for place in places:
                    if math.hypot(sx[i] - sx[place[0]], sy[i] - sy[place[0]]) <= same_place:
                        place.append(i)
                        break
                else:
                    places.append([i])
            if len(places) < 2:
                continue
            x0, y0 = float(nodes["x"].iat[shared]), float(nodes["y"].iat[shared])
            for place in places:
                first = place[0]
                sid = str(sites.index[first])
                px, py = float(sx[first]), float(sy[first])
                length = float(np.hypot(px - x0, py - y0))
                new_nodes.append({"mode": mode, "x": px, "y": py, "source_id": f"site:{sid}", "node": nid})
                for u, v, line in ((shared, nid, [(x0, y0), (px, py)]), (nid, shared, [(px, py), (x0, y0)])):
                    new_edges.append(
                        {
                            "u": u,
                            "v": v,
                            "mode": mode,
                            "length_m": length,
                            "speed_kmh": float(speeds[mode]),
                            "time_s": length / (float(speeds[mode]) / 3.6),
                            "site_id": sid,
                            "geometry": shapely.LineString(line),
                        }
                    )
                node_of[place] = nid
                nid += 1
        sites[col] = node_of
    if not new_nodes:
        return nodes, edges, sites
    extra = pd.DataFrame(new_nodes).set_index("node")
    extra.index.name = nodes.index.name
    extra_gdf = gpd.GeoDataFrame(extra, geometry=shapely.points(extra[["x", "y"]].to_numpy()), crs=nodes.crs)
    out_nodes = gpd.GeoDataFrame(pd.concat([nodes, extra_gdf]), crs=nodes.crs)
    extra_edges = gpd.GeoDataFrame(new_edges, geometry="geometry", crs=edges.crs)
    out_edges = gpd.GeoDataFrame(pd.concat([edges, extra_edges], ignore_index=True), crs=edges.crs)
    return out_nodes, out_edges, sites


def snap_table(network: Network) -> list[dict[str, Any]]:
    """Every site's attachment, for a reviewer: id, kind, country, and per mode node, distance, country.

    Returns
    -------
    list of dict
        One row per site: ``site``, ``kind``, ``country``, ``tolerance_m``, and for each mode the
        site is on ``road_m``/``rail_m`` (distance to its node) and ``road_country``/``rail_country``.
    """
    sites = network.sites
    rows: list[dict[str, Any]] = []
    for sid, row in sites.drop(columns="geometry").iterrows() if len(sites) else ():
        out: dict[str, Any] = {
            "site": str(sid),
            "kind": _text(row.get("kind")),
            "country": _text(row.get("country")),
            "tolerance_m": _number(row.get("snap_tolerance_m")),
        }
        for mode in ("road", "rail"):
            node = _number(row.get(f"node_{mode}"))
            if node is not None and node >= 0:
                out[f"{mode}_m"] = _number(row.get(f"snap_{mode}_m"))
                out[f"{mode}_country"] = _text(row.get(f"node_country_{mode}"))
        rows.append(out)
    return rows


def _number(value: object) -> float | None:
    try:
        f = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return None if math.isnan(f) else f
