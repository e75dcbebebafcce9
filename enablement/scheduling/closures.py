"""Closures in force: the scenario's disruptions, restrictions and the overlays' closures, on the network.

A disruption names a site, a bridge or a point; this module turns each into the
network elements it closes (edge rows, nodes, sites) and the interval it closes
them for (seconds since the scenario start; ``inf`` until further notice). A
recurring restriction (``restrictions``: an area or named roads, at local hours on
days of the week) closes the road edges it names at every occurrence of its
windows, built from local wall-clock times in the scenario's zone
(:meth:`~enablement.timeline.Clock.daily`). Every scheduler, the checker and the
map read the same :class:`Closures`.
"""

from __future__ import annotations

import itertools
import json
import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

import geopandas as gpd
import numpy as np
import shapely

from ..errors import NetworkError, ScenarioError
from ..network.lookup import bridge_rows, road_rows_near, site_nodes
from ..network.model import CRS, Network
from ..network.overlays import closure_spans
from ..network.sites import site_records
from ..network.territory import BORDER_CROSSING
from ..scenario.schema import WEEKDAYS, Restriction, Scenario
from ..timeline import Clock, Intervals

__all__ = ["Closure", "Closures", "closures_in_force", "crossing_hours", "restriction_windows"]


@dataclass(frozen=True)
class Closure:
    """One disruption or overlay closure as it applies to the network.

    Attributes
    ----------
    id
        The disruption's or the overlay closure's id.
    kind
        ``close_site``, ``close_bridge``, ``close_road`` (scenario disruptions), ``restriction``
        (a scenario restriction) or ``overlay`` (an overlay closure).
    target
        The site or bridge id it names; a restriction's name (empty for a point or an overlay closure).
    start_s, end_s
        When it applies (seconds since the scenario start; ``end_s`` is ``inf`` until further notice);
        for a restriction, the first opening of its windows and the last one built.
    edges
        Edge rows it closes.
    nodes
        Nodes it closes (a closed site's road and rail nodes).
    where
        A point that shows it on a map (EPSG:3812), or ``None`` when nothing on the network matches.
    when
        A restriction's recurring windows in words (``mon-fri 07:00-09:30, 16:00-19:00``); empty otherwise.
    """

    id: str
    kind: str
    target: str
    start_s: float
    end_s: float
    edges: tuple[int, ...] = ()
    nodes: tuple[int, ...] = ()
    where: shapely.Point | None = None
    when: str = ""

    @property
    def label(self) -> str:
        """What it is in words, for messages: ``restriction ring-rush 'Antwerp ring' (mon-fri …)``."""
        if self.kind == "restriction":
            name = f" '{self.target}'" if self.target else ""
            return f"restriction {self.id}{name} ({self.when})"
        if self.kind == "overlay":
            return f"overlay closure {self.id}"
        return f"{self.kind} {self.id}" + (f" ({self.target})" if self.target else "")


@dataclass(frozen=True)
class Closures:
    """Closure intervals by edge row, node and site, and the closures they come from.

    ``by_label`` gives, per closure in words (:attr:`Closure.label`), when it is in force and
    the edge rows it closes, so that a message can name the closure a column crosses.
    """

    edge: dict[int, Intervals] = field(default_factory=dict)
    node: dict[int, Intervals] = field(default_factory=dict)
    site: dict[str, Intervals] = field(default_factory=dict)
    closures: tuple[Closure, ...] = ()
    by_label: dict[str, tuple[Intervals, tuple[int, ...]]] = field(default_factory=dict)


def _midpoint(geom: shapely.Geometry) -> shapely.Point:
    return geom if geom.geom_type == "Point" else geom.interpolate(0.5, normalized=True)


def _check_points(scenario: Scenario, network: Network) -> None:
    """Every ``close_road`` point must lie in the network's road area (the ``point`` snap tolerance)."""
    problems = []
    tolerance = scenario.network.snap_tolerance_m
    for i, dis in enumerate(scenario.disruptions):
        if dis.kind != "close_road" or dis.at is None:
            continue
        try:
            network.nearest_node(
                float(dis.at[0]),
                float(dis.at[1]),
                mode="road",
                tolerance_m=tolerance,
                what=f"disruptions[{i}].at: the point",
                fix="move the point onto a road of the network, or raise network.snap_tolerance_m",
            )
        except NetworkError as exc:
            problems.append(str(exc))
    if problems:
        raise ScenarioError(problems)


def _scenario_closures(scenario: Scenario, network: Network, clock: Clock) -> list[Closure]:
    _check_points(scenario, network)
    edges = network.edges
    out = []
    for dis in scenario.disruptions:
        start = clock.seconds(dis.start)
        end = math.inf if dis.end is None else clock.seconds(dis.end)
        rows: tuple[int, ...] = ()
        nodes: tuple[int, ...] = ()
        where: shapely.Point | None = None
        if dis.kind == "close_site":
            assert dis.target is not None
            nodes = site_nodes(network, dis.target)
            where = network.sites.loc[dis.target].geometry
        elif dis.kind == "close_bridge":
            assert dis.target is not None
            rows = bridge_rows(network, dis.target)
            where = _midpoint(edges.geometry.iloc[rows[0]]) if rows else None
        else:
            assert dis.at is not None
            rows, where = road_rows_near(network, float(dis.at[0]), float(dis.at[1]))
        out.append(Closure(dis.id, dis.kind, str(dis.target or ""), start, end, rows, nodes, where))
    return out


def _ref_key(text: str) -> str:
    return "".join(text.split()).upper()


def _restricted_rows(
    i: int, restriction: Restriction, network: Network, problems: list[str]
) -> tuple[tuple[int, ...], shapely.Geometry | None]:
    """Road edge rows a restriction names (its area and/or its roads), and its area (EPSG:3812)."""
    edges = network.edges
    where = restriction.where
    field_ = f"restrictions[{i}].where"
    road = (edges["mode"] == "road").to_numpy()
    area: shapely.Geometry | None = None
    if where.area is not None:
        area = gpd.GeoSeries([shapely.Polygon(where.area)], crs=4326).to_crs(CRS).iloc[0]
    elif where.around is not None and where.radius_km is not None:
        centre = gpd.GeoSeries([shapely.Point(where.around)], crs=4326).to_crs(CRS).iloc[0]
        area = centre.buffer(where.radius_km * 1000.0)
    keep = road.copy()
    if area is not None:
        meets = np.zeros(len(edges), dtype=bool)
        meets[edges.sindex.query(area, predicate="intersects")] = True
        keep &= meets
        if not keep.any():
            problems.append(
                f"{field_}: restriction '{restriction.id}': its area meets no road of the network; "
                "check its coordinates ([lon, lat], WGS84) and its radius_km"
            )
            return (), area
    if where.roads:
        if "ref" not in edges.columns or not edges["ref"].notna().any():
            problems.append(
                f"{field_}.roads: restriction '{restriction.id}' names roads "
                f"({', '.join(where.roads)}), but this network carries no road refs (the embedded "
                "network has none; an OSM network has them); give an area instead "
                "('area: [[lon, lat], ...]' or 'around: [lon, lat]' with 'radius_km')"
            )
            return (), area
        refs = [
            {_ref_key(r) for r in str(v).split(";")} if isinstance(v, str) else set()
            for v in edges["ref"].tolist()
        ]
        named = np.zeros(len(edges), dtype=bool)
        for road_ref in where.roads:
            hit = np.array([_ref_key(road_ref) in r for r in refs], dtype=bool) & keep
            if not hit.any():
                inside = " within its area" if area is not None else ""
                problems.append(
                    f"{field_}.roads: restriction '{restriction.id}': road '{road_ref}' matches no road "
                    f"of the network{inside} (by its ref, e.g. 'R1', 'E19'); check the ref, or give an "
                    "area instead ('area: [[lon, lat], ...]' or 'around: [lon, lat]' with 'radius_km')"
                )
            named |= hit
        keep &= named
    return tuple(int(e) for e in np.flatnonzero(keep)), area


def restriction_windows(restriction: Restriction, clock: Clock) -> Intervals:
    """Every occurrence of a restriction's windows, as seconds since the start (local hours, DST-correct)."""
    spans: list[tuple[float, float]] = []
    for when in restriction.when:
        days = {WEEKDAYS.index(d) for d in when.days}
        for hours in when.hours:
            start, end = hours.split("-")
            spans += clock.daily(start, end, weekdays=days).spans
    return Intervals(spans)


def _restrictions(
    scenario: Scenario, network: Network, clock: Clock
) -> tuple[list[Closure], list[Intervals]]:
    """One :class:`Closure` per restriction, with the edge rows it closes and its windows."""
    problems: list[str] = []
    out, windows = [], []
    for i, r in enumerate(scenario.restrictions):
        rows, area = _restricted_rows(i, r, network, problems)
        spans = restriction_windows(r, clock)
        where = None
        if area is not None:
            where = area.centroid
        elif rows:
            where = _midpoint(network.edges.geometry.iloc[rows[0]])
        first = spans.spans[0][0] if spans else math.inf
        last = spans.spans[-1][1] if spans else math.inf
        out.append(Closure(r.id, "restriction", r.name, first, last, rows, (), where, r.when_text()))
        windows.append(spans)
    if problems:
        raise ScenarioError(problems)
    return out, windows


def _overlay_closures(network: Network, clock: Clock) -> list[Closure]:
    """One :class:`Closure` per overlay closure id, with every edge row that carries it."""
    meta = network.meta.get("closures", {})
    if isinstance(meta, str):
        meta = json.loads(meta)
    if "closure_id" not in network.edges.columns:
        return []
    rows_of: dict[str, list[int]] = defaultdict(list)
    for row, ids in enumerate(network.edges["closure_id"].tolist()):
        if ids is None or (isinstance(ids, float) and math.isnan(ids)) or not ids:
            continue
        for cid in str(ids).split(";"):
            rows_of[cid].append(row)
    out = []
    for cid in sorted(rows_of):
        if cid not in meta:
            continue
        start, end = meta[cid]["start"], meta[cid].get("end")
        a = clock.seconds(datetime.fromisoformat(start))
        b = math.inf if end is None else clock.seconds(datetime.fromisoformat(end))
        rows = tuple(rows_of[cid])
        out.append(
            Closure(cid, "overlay", "", a, b, rows, (), _midpoint(network.edges.geometry.iloc[rows[0]]))
        )
    return out


def crossing_hours(network: Network, clock: Clock) -> dict[str, list[tuple[float, float]]]:
    """When each border crossing with working ``hours`` is shut (the gaps between its daily openings)."""
    out = {}
    for sid, site in site_records(network).items():
        if site.kind != BORDER_CROSSING or site.hours is None:
            continue
        start, end = site.hours.split("-")
        spans = clock.daily(start, end).spans
        out[sid] = [(b, a) for (_, b), (a, _) in itertools.pairwise(spans) if a > b]
    return out


def closures_in_force(scenario: Scenario, network: Network, clock: Clock) -> Closures:
    """Resolve the scenario's disruptions and the overlays' closures onto ``network``.

    Parameters
    ----------
    scenario
        Its ``disruptions`` (sites and bridges must be known to the network).
    network
        The network with its overlays applied (closures of overlays are on its edges).
    clock
        The scenario clock.

    Returns
    -------
    Closures
        Intervals per edge row, node and site, and every closure with what it closes (the
        scenario's disruptions, its restrictions, the overlays' closures). A border
        crossing is closed outside its ``hours`` too (:func:`crossing_hours`): its node
        and site intervals say so, with no closure record.

    Raises
    ------
    ScenarioError
        When a ``close_road`` point (``disruptions[i].at``) is no coordinate or lies
        outside the network's road area (farther than the ``point`` snap tolerance
        from every road node; see :mod:`enablement.network.model`), every such point at once;
        or when a restriction's area meets no road or one of its ``roads`` matches no road ref
        of the network (naming the restriction and the fix).
    """
    edge: dict[int, list[tuple[float, float]]] = defaultdict(list)
    node: dict[int, list[tuple[float, float]]] = defaultdict(list)
    site: dict[str, list[tuple[float, float]]] = defaultdict(list)
    from_scenario = _scenario_closures(scenario, network, clock)
    for c in from_scenario:
        span = (c.start_s, c.end_s)
        if c.kind == "close_site":
            site[c.target].append(span)
        for n in c.nodes:
            node[n].append(span)
        for e in c.edges:
            edge[e].append(span)
    nodes_of = {str(sid): row for sid, row in network.sites.iterrows()} if len(network.sites) else {}
    for sid, shut in crossing_hours(network, clock).items():  # a crossing outside its hours
        site[sid] += shut
        for column in ("node_road", "node_rail"):
            if int(nodes_of[sid][column]) >= 0:
                node[int(nodes_of[sid][column])] += shut
    for row, spans in closure_spans(network).items():  # closures from the overlays
        for start, end in spans:
            a = clock.seconds(datetime.fromisoformat(start))
            edge[row].append((a, math.inf if end is None else clock.seconds(datetime.fromisoformat(end))))
    restrictions, windows = _restrictions(scenario, network, clock)
    shared: dict[int, list[Intervals]] = defaultdict(list)  # each restriction's windows, kept whole
    for c, occurrences in zip(restrictions, windows, strict=True):
        for e in c.edges:
            shared[e].append(occurrences)
    edges = {k: Intervals(v) for k, v in edge.items() if k not in shared}
    for k, ivs in shared.items():
        # an edge under one restriction alone shares its windows (a ring of many edges, one object)
        own = edge.get(k, [])
        merged = [*own, *(x for iv in ivs for x in iv.spans)]
        edges[k] = ivs[0] if len(ivs) == 1 and not own else Intervals(merged)
    every = (*from_scenario, *restrictions, *_overlay_closures(network, clock))
    when = dict(zip((c.id for c in restrictions), windows, strict=True))
    by_label = {
        c.label: (when[c.id] if c.kind == "restriction" else Intervals([(c.start_s, c.end_s)]), c.edges)
        for c in every
        if c.edges
    }
    return Closures(
        edges,
        {k: Intervals(v) for k, v in node.items()},
        {k: Intervals(v) for k, v in site.items()},
        every,
        by_label,
    )
