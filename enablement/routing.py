"""Routing on a :class:`~enablement.network.Network` for a vehicle profile (numba core)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from . import kernels as kn
from .defaults import figure
from .errors import RoutingError
from .network.arrays import graph_arrays
from .network.model import Network
from .network.osmnx_graph import as_network
from .network.territory import Territory
from .rolling_stock import rail_data
from .vehicles import Profile

if TYPE_CHECKING:
    import networkx as nx

    from .timeline import Intervals

__all__ = ["Alternative", "Criticality", "Isochrone", "Route", "Router", "Routers", "gauge_mask"]


def gauge_mask(network: Network, edge_ids: np.ndarray, profile: Profile | None) -> np.ndarray | None:
    """Edges whose loading gauge admits a profile's load, for the edge rows ``edge_ids``; None: no mask.

    A load that needs a loading gauge (``profile.loading_gauge``, an out-of-gauge train) may use
    a rail edge whose loading gauge (``loading_gauge``: the Infrabel line sections' UIC code, or
    a ``rail_lines`` overlay built from them; ``railway_loading_gauge`` from OpenStreetMap) is
    that gauge or larger, in the order of the rail data file
    (:attr:`~enablement.rolling_stock.RailData.loading_gauges`). An edge of unknown gauge stays
    open: the embedded network knows no gauge, and there the flag stays a flag.
    """
    columns = [c for c in ("loading_gauge", "railway_loading_gauge") if c in network.edges.columns]
    if profile is None or not profile.loading_gauge or not columns:
        return None
    data = rail_data()
    need = data.gauge_rank(profile.loading_gauge)
    if need < 0:
        msg = (
            f"profile '{profile.name}': loading gauge {profile.loading_gauge!r} is not one of "
            f"{', '.join(data.loading_gauges)} (rail data file)"
        )
        raise ValueError(msg)
    gauges = network.edges[columns[0]]
    for c in columns[1:]:
        gauges = gauges.where(gauges.notna(), network.edges[c])
    picked = gauges.to_numpy(object)[edge_ids]
    ranks = np.array([data.gauge_rank(g) if isinstance(g, str) else -1 for g in picked], dtype=np.int64)
    return (ranks < 0) | (ranks >= need)


@dataclass(frozen=True)
class Route:
    """A route: node and edge sequence with its figures.

    Attributes
    ----------
    nodes
        Node ids from origin to destination.
    edges
        Row positions in ``network.edges`` of the edges used, in order.
    length_m
        Total length.
    time_s
        Travel time of the column head at the profile's speed (penalties included).
    caution_edges
        Edges crossed as caution crossings (above the two-way class, within the one-way class).
    """

    nodes: tuple[int, ...]
    edges: tuple[int, ...]
    length_m: float
    time_s: float
    caution_edges: tuple[int, ...] = field(default=())


@dataclass(frozen=True)
class Alternative:
    """A corridor among alternatives: the route, its overlap share with the fastest and its detour ratio."""

    route: Route
    overlap: float
    detour: float


@dataclass(frozen=True)
class Criticality:
    """Extra time (s) of the best detour when ``edge`` (a network row) is closed; inf when cut off."""

    edge: int
    extra_s: float
    bridge_id: str | None = None


@dataclass(frozen=True)
class Isochrone:
    """Nodes reached within a time limit, their times (s), a hull polygon (EPSG:3812) and the edges driven."""

    nodes: np.ndarray
    times_s: np.ndarray
    polygon: shapely.Geometry
    edges: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    """Edge rows driven whole within the limit (from a node reached, to a node reached in time)."""


class Router:
    """Shortest routes on one mode of a network, with restrictions as masks.

    The searches run in the numba kernels of :mod:`enablement.kernels` on CSR
    arrays built once; a vehicle profile or a closure only changes the edge mask
    and the weights handed to the kernel (no copy of the graph).

    Parameters
    ----------
    network
        The network, or an osmnx ``MultiDiGraph`` (converted by
        :func:`~enablement.network.osmnx_graph.from_osmnx`).
    mode
        ``"road"`` or ``"rail"``.
    territory
        When given, routes stay in its countries and leave them only by ending at a
        border crossing open to ``mode`` (:meth:`Territory.open_edges`): one more
        mask, under every search of this router. ``None`` routes anywhere.
    """

    def __init__(
        self, network: Network | nx.MultiDiGraph, mode: str = "road", territory: Territory | None = None
    ) -> None:
        network = as_network(network, "Router")
        self.network = network
        self.mode = mode
        self.territory = territory
        self.arrays = graph_arrays(network, mode)
        self._rows = np.sort(self.arrays.edge_ids)
        self._n = network.n_nodes
        self._cache: dict[tuple[object, ...], Route] = {}
        self._buffers: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None = None
        self._prepared: dict[Profile | None, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
        self._inside: np.ndarray | None = None
        self._modes: np.ndarray | None = None

    def _territory_mask(self) -> np.ndarray | None:
        """Edges (per CSR edge) that keep to the territory, built once; None without a territory."""
        if self.territory is not None and self._inside is None:
            self._inside = self.territory.open_edges(self.network, self.mode)[self.arrays.edge_ids]
        return self._inside

    def _prepare(self, profile: Profile | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Weights (int32 ms, caution penalties included), usable-edge mask and caution mask, cached."""
        if profile not in self._prepared:
            ga = self.arrays
            weights = ga.weights_ms(None if profile is None else profile.speed_kmh)
            ok, caution = ga.masks(profile)
            admitted = gauge_mask(self.network, ga.edge_ids, profile)
            if admitted is not None:
                ok = ok & admitted
                caution = caution & ok
            inside = self._territory_mask()
            if inside is not None:
                ok &= inside
                caution &= ok
            # a flat route-choice cost per caution crossing; the march times each crossing one vehicle
            # at a time (MarchRules.caution_crossing_s), which the router cannot: it routes one vehicle
            extra = round(float(figure("caution_crossing_penalty_min")) * 60_000)
            weights = np.minimum(weights.astype(np.int64) + caution * extra, np.iinfo(np.int32).max).astype(
                np.int32
            )
            self._prepared[profile] = (weights, ok, caution)
        return self._prepared[profile]

    def edge_times(self, p: Profile | None) -> np.ndarray:
        """Travel time (s) of every edge of this mode, in network row order, at the profile's speed."""
        weights = self._prepare(p)[0]
        order = np.argsort(self.arrays.edge_ids)
        return weights[order] / 1000.0

    def _check_node(self, node: int, what: str) -> None:
        if self._modes is None:  # read once: a column of the node table per call costs more than a search
            self._modes = self.network.nodes["mode"].to_numpy()
        if not (0 <= node < self._n) or self._modes[node] != self.mode:
            msg = f"{what} node {node} is not a {self.mode} node of the network"
            raise RoutingError(msg)

    def _mask(
        self,
        profile: Profile | None,
        closed: Sequence[int] = (),
        closed_nodes: Sequence[int] = (),
        bans: Mapping[int, Intervals] | None = None,
        at_s: float | None = None,
    ) -> np.ndarray:
        """Build the usable-edge mask for a profile, closures, closed nodes and bans in force at ``at_s``."""
        ga = self.arrays
        ok = self._prepare(profile)[1]
        if not closed and not closed_nodes and not bans:
            return ok
        ok = ok.copy()
        if closed:
            ok[ga.csr_positions(np.asarray(closed, dtype=np.int64))] = False
        if closed_nodes:
            shut = np.zeros(self._n, dtype=bool)
            shut[np.asarray(closed_nodes, dtype=np.int64)] = True
            ok &= ~(shut[ga.tails] | shut[ga.heads])
        if bans:
            if at_s is None:
                msg = "time-of-day bans need the time of the move (at_s)"
                raise ValueError(msg)
            banned = [row for row, spans in bans.items() if spans.overlaps(at_s, at_s) is not None]
            if banned:
                ok[ga.csr_positions(np.asarray(banned, dtype=np.int64))] = False
        return ok

    def _work(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Reusable work arrays, reset (re-touching fresh memory costs more than the search on big graphs).

        A Router is therefore not safe to share between threads; give each thread its own.
        """
        if self._buffers is None:
            self._buffers = (
                np.empty(self._n, dtype=np.int64),
                np.empty(self._n, dtype=np.int32),
                np.empty(self._n, dtype=np.int32),
                np.empty(self._n, dtype=np.int64),
            )
        dist, pred, pos, heap = self._buffers
        dist.fill(kn.INF)
        pred.fill(-1)
        pos.fill(-1)
        return dist, pred, pos, heap

    def _search(
        self, origin: int, target: int, weights: np.ndarray, ok: np.ndarray
    ) -> tuple[int, np.ndarray]:
        ga = self.arrays
        dist, pred, pos, heap = self._work()
        kn.dijkstra(ga.offsets, ga.heads, weights, ok, origin, target, kn.MAX_DIST, dist, pred, pos, heap)
        if dist[target] == kn.INF:
            return int(kn.INF), np.empty(0, dtype=np.int64)
        return int(dist[target]), kn.unpack_path(pred, ga.tails, target)

    def _route_from(self, origin: int, path: np.ndarray, cost_ms: int, caution: np.ndarray) -> Route:
        ga = self.arrays
        return Route(
            nodes=(origin, *(int(h) for h in ga.heads[path])),
            edges=tuple(int(r) for r in ga.edge_ids[path]),
            length_m=float(ga.lengths[path].sum()),
            time_s=cost_ms / 1000.0,
            caution_edges=tuple(int(ga.edge_ids[k]) for k in path if caution[k]),
        )

    def route(
        self,
        origin: int,
        target: int,
        profile: Profile | None = None,
        closed: Sequence[int] = (),
        *,
        closed_nodes: Sequence[int] = (),
        bans: Mapping[int, Intervals] | None = None,
        at_s: float | None = None,
    ) -> Route:
        """Fastest route from ``origin`` to ``target`` for ``profile``.

        Parameters
        ----------
        origin, target
            Node ids.
        profile
            The vehicles' needs; ``None`` routes with no restriction at edge speed.
        closed
            Row positions in ``network.edges`` that are closed.
        closed_nodes
            Nodes that may not be entered or left.
        bans
            Time-of-day bans: intervals (seconds since the scenario start) per edge row.
        at_s
            Time of the move, for ``bans`` (the bans in force then apply to the whole route).

        Returns
        -------
        Route
            The route.

        Raises
        ------
        RoutingError
            When no route satisfies the restrictions.
        """
        ban_key = None if not bans else (at_s, tuple(sorted(bans)))
        key = (origin, target, profile, tuple(sorted(closed)), tuple(sorted(closed_nodes)), ban_key)
        if key in self._cache:
            return self._cache[key]
        self._check_node(origin, "origin")
        self._check_node(target, "target")
        weights, _, caution = self._prepare(profile)
        ok = self._mask(profile, closed, closed_nodes, bans, at_s)
        cost, path = self._search(origin, target, weights, ok)
        if cost == kn.INF:
            what = profile.name if profile else "any vehicle"
            inside = "" if self.territory is None else f" inside {self.territory.describe()}"
            msg = (
                f"no {self.mode} route{inside} from node {origin} to node {target} for {what} "
                f"under its restrictions and the closures"
            )
            raise RoutingError(msg)
        result = self._route_from(origin, path, cost, caution)
        self._cache[key] = result
        return result

    def alternatives(
        self,
        origin: int,
        target: int,
        k: int = 3,
        profile: Profile | None = None,
        *,
        closed: Sequence[int] = (),
        closed_nodes: Sequence[int] = (),
        method: str = "penalty",
        max_overlap: float = 0.6,
        penalty_factor: float = 1.4,
        max_tries: int = 20,
    ) -> list[Alternative]:
        """Up to ``k`` alternative corridors (main and alternate supply routes).

        Parameters
        ----------
        origin, target
            Node ids.
        k
            Number of routes wanted (the fastest included).
        profile
            The vehicles' needs.
        closed, closed_nodes
            Edge rows and nodes that no route may use (closures in force).
        method
            ``"penalty"``: after each route, its edges cost ``penalty_factor`` times
            more, and a new route is kept when its overlap share with every kept
            route is at most ``max_overlap``; ``"disjoint"``: each new route may not
            use any edge of the earlier ones (edge-disjoint).
        max_overlap, penalty_factor, max_tries
            Tuning of the penalty method.

        Returns
        -------
        list of Alternative
            Routes with their overlap share (by length, against the fastest) and
            detour ratio (time over the fastest), fastest first.
        """
        if method not in ("penalty", "disjoint"):
            msg = f"method must be 'penalty' or 'disjoint', not {method!r}"
            raise ValueError(msg)
        ga = self.arrays
        base = self.route(origin, target, profile, closed, closed_nodes=closed_nodes)
        weights0, _, caution = self._prepare(profile)
        weights = weights0.astype(np.float64)
        ok = self._mask(profile, closed, closed_nodes).copy()
        kept: list[Route] = [base]
        kept_sets = [set(base.edges)]
        pos_of = ga.csr_positions
        for _ in range(max_tries):
            if len(kept) >= k:
                break
            last = pos_of(np.asarray(kept[-1].edges, dtype=np.int64))
            if method == "disjoint":
                ok[last] = False
            else:
                weights[last] *= penalty_factor
            penalised = np.minimum(np.rint(weights), np.iinfo(np.int32).max).astype(np.int32)
            cost, path = self._search(origin, target, penalised, ok)
            if cost == kn.INF:
                break
            true_cost = int(weights0[path].sum(dtype=np.int64))
            cand = self._route_from(origin, path, true_cost, caution)
            edges = set(cand.edges)
            if any(edges == s for s in kept_sets):
                continue
            if method == "penalty" and max(self._overlap(cand, r) for r in kept) > max_overlap:
                continue
            kept.append(cand)
            kept_sets.append(edges)
        return [
            Alternative(
                r, self._overlap(r, base) if i else 1.0, r.time_s / base.time_s if base.time_s else 1.0
            )
            for i, r in enumerate(kept)
        ]

    def overlap(self, a: Route, b: Route) -> float:
        """Share of ``a``'s length on edges that ``b`` also uses (either direction of a road)."""
        return self._overlap(a, b)

    def _overlap(self, a: Route, b: Route) -> float:
        """Share of ``a``'s length on edges that ``b`` also uses (either direction of a road)."""
        if not a.edges or a.length_m == 0:
            return 0.0
        e = self.network.edges
        u, v = e["u"].to_numpy(), e["v"].to_numpy()
        pairs_b = {(min(u[i], v[i]), max(u[i], v[i])) for i in b.edges}
        lengths = e["length_m"].to_numpy()
        shared = sum(lengths[i] for i in a.edges if (min(u[i], v[i]), max(u[i], v[i])) in pairs_b)
        return float(shared / a.length_m)

    def criticality(
        self,
        route: Route,
        profile: Profile | None = None,
        *,
        top: int = 10,
        bridges_only: bool = False,
        closed: Sequence[int] = (),
        closed_nodes: Sequence[int] = (),
    ) -> list[Criticality]:
        """Detour cost when each edge (or each bridge) of ``route`` is closed, worst first.

        All removals are computed in parallel by the kernel. ``closed`` and
        ``closed_nodes`` are closed already (closures in force): no detour uses them.

        Returns
        -------
        list of Criticality
            At most ``top`` elements with the extra time (inf when the closure cuts
            the route off).
        """
        ga = self.arrays
        weights = self._prepare(profile)[0]
        ok = self._mask(profile, closed, closed_nodes)
        rows = np.asarray(route.edges, dtype=np.int64)
        if bridges_only:
            bid = self.network.edges["bridge_id"].to_numpy()[rows]
            rows = rows[pd.notna(bid)]
        if rows.size == 0:
            return []
        positions = ga.csr_positions(rows)
        costs = kn.removal_costs(
            ga.offsets,
            ga.heads,
            weights,
            ok,
            route.nodes[0],
            route.nodes[-1],
            positions,
            self._n,
            kn.blocks(),
        )
        base_ms = round(route.time_s * 1000)
        out = [
            Criticality(
                int(r),
                (np.inf if c == kn.INF else (int(c) - base_ms) / 1000.0),
                self.network.edges["bridge_id"].iat[int(r)],
            )
            for r, c in zip(rows, costs, strict=True)
        ]
        out.sort(key=lambda c: (-c.extra_s, c.edge))
        return out[:top]

    def isochrone(
        self,
        origin: int,
        limit_s: float,
        profile: Profile | None = None,
        *,
        closed: Sequence[int] = (),
        closed_nodes: Sequence[int] = (),
    ) -> Isochrone:
        """Nodes reached from ``origin`` within ``limit_s`` seconds, and their hull polygon (EPSG:3812).

        ``closed`` and ``closed_nodes`` (edge rows and nodes) are closed, as in :meth:`route`.
        """
        self._check_node(origin, "origin")
        ga = self.arrays
        weights = self._prepare(profile)[0]
        ok = self._mask(profile, closed, closed_nodes)
        dist, pred, pos, heap = self._work()
        kn.dijkstra(
            ga.offsets,
            ga.heads,
            weights,
            ok,
            origin,
            -1,
            round(limit_s * 1000),
            dist,
            pred,
            pos,
            heap,
        )
        nodes = np.flatnonzero(dist != kn.INF)
        points = shapely.multipoints(np.column_stack([ga.x[nodes], ga.y[nodes]]))
        polygon = shapely.concave_hull(points, ratio=0.3) if nodes.size >= 3 else points.buffer(50.0)
        tail = dist[ga.tails]
        reached = (tail != kn.INF) & ok
        reached[reached] = tail[reached] + weights[reached] <= round(limit_s * 1000)
        edges = np.sort(ga.edge_ids[reached])
        return Isochrone(nodes, dist[nodes] / 1000.0, polygon, edges)

    def isochrone_frame(
        self, iso: Isochrone, *, shape: str = "hull", properties: Mapping[str, object] | None = None
    ) -> gpd.GeoDataFrame:
        """Return an isochrone as features (EPSG:3812): its hull, its reachable nodes or its reachable edges.

        Parameters
        ----------
        iso
            From :meth:`isochrone`.
        shape
            ``"hull"`` (one polygon), ``"nodes"`` (a point per node reached, with ``time_s``) or
            ``"edges"`` (every edge driven whole within the limit, with its row, ``length_m`` and
            ``time_s`` at its far end).
        properties
            Columns given to every feature (the limit, the profile).
        """
        extra = dict(properties or {})
        if shape == "hull":
            return gpd.GeoDataFrame(
                {"kind": ["hull"], "nodes": [int(iso.nodes.size)], **{k: [v] for k, v in extra.items()}},
                geometry=[iso.polygon],
                crs=self.network.nodes.crs,
            )
        if shape == "nodes":
            frame = gpd.GeoDataFrame(
                {"kind": "node", "node": iso.nodes, "time_s": iso.times_s},
                geometry=self.network.nodes.geometry.to_numpy()[iso.nodes],
                crs=self.network.nodes.crs,
            )
        elif shape == "edges":
            e = self.network.edges
            at = dict(zip(iso.nodes.tolist(), iso.times_s.tolist(), strict=True))
            rows = iso.edges
            frame = gpd.GeoDataFrame(
                {
                    "kind": "edge",
                    "edge": rows,
                    "length_m": e["length_m"].to_numpy(float)[rows],
                    "time_s": [at.get(int(v), np.nan) for v in e["v"].to_numpy()[rows]],
                },
                geometry=e.geometry.to_numpy()[rows],
                crs=e.crs,
            )
        else:
            msg = f"shape must be 'hull', 'nodes' or 'edges', not {shape!r}"
            raise ValueError(msg)
        for k, v in extra.items():
            frame[k] = v
        return frame

    def frame(self, route: Route) -> gpd.GeoDataFrame:
        """Return the route's edges as a GeoDataFrame (EPSG:3812), in order, with cumulative km."""
        edges = self.network.edges.iloc[list(route.edges)].copy()
        edges["seq"] = np.arange(len(edges))
        edges["km_from_start"] = edges["length_m"].cumsum().to_numpy() / 1000.0
        edges["caution"] = [i in set(route.caution_edges) for i in route.edges]
        return gpd.GeoDataFrame(
            edges.reset_index(names="edge"), geometry="geometry", crs=self.network.edges.crs
        )

    def matrix(
        self,
        sources: Sequence[int],
        targets: Sequence[int],
        profile: Profile | None = None,
        *,
        closed: Sequence[int] = (),
        closed_nodes: Sequence[int] = (),
    ) -> tuple[np.ndarray, np.ndarray]:
        """Travel-time (s) and length (m) matrices; unreachable pairs are inf / NaN.

        Rows are computed in parallel (numba ``prange``) in chunks of 256 sources so
        that work memory stays bounded. ``closed`` and ``closed_nodes`` (edge rows and
        nodes) are closed, as in :meth:`route`.
        """
        ga = self.arrays
        weights = self._prepare(profile)[0]
        ok = self._mask(profile, closed, closed_nodes)
        src = np.asarray(sources, dtype=np.int64)
        tgt = np.asarray(targets, dtype=np.int64)
        for node in np.concatenate([src, tgt]):
            self._check_node(int(node), "matrix")
        times = np.empty((src.size, tgt.size))
        lengths = np.empty((src.size, tgt.size))
        for a in range(0, src.size, 256):
            t_ms, length = kn.many_to_many(
                ga.offsets, ga.heads, weights, ok, ga.lengths, src[a : a + 256], tgt, self._n, kn.blocks()
            )
            times[a : a + 256] = np.where(t_ms == kn.INF, np.inf, t_ms / 1000.0)
            lengths[a : a + 256] = length
        return times, lengths

    def matrix_frame(
        self,
        sources: Sequence[int],
        targets: Sequence[int],
        profile: Profile | None = None,
        *,
        source_names: Sequence[str] | None = None,
        target_names: Sequence[str] | None = None,
        closed: Sequence[int] = (),
        closed_nodes: Sequence[int] = (),
    ) -> pd.DataFrame:
        """Return the :meth:`matrix` as a table: one row per pair, sources in order, then targets.

        Columns ``origin``, ``destination`` (the names given, else the node ids), ``time_s``,
        ``km`` (empty when unreachable) and ``reachable``.
        """
        times, lengths = self.matrix(sources, targets, profile, closed=closed, closed_nodes=closed_nodes)
        names_a = list(source_names) if source_names is not None else [str(s) for s in sources]
        names_b = list(target_names) if target_names is not None else [str(t) for t in targets]
        if len(names_a) != len(sources) or len(names_b) != len(targets):
            msg = "give one name per source and per target"
            raise ValueError(msg)
        reachable = np.isfinite(times).ravel()
        return pd.DataFrame(
            {
                "origin": np.repeat(np.asarray(names_a, dtype=object), len(names_b)),
                "destination": np.tile(np.asarray(names_b, dtype=object), len(names_a)),
                "time_s": np.where(reachable, np.round(times.ravel(), 3), np.nan),
                "km": np.where(reachable, np.round(lengths.ravel() / 1000.0, 3), np.nan),
                "reachable": reachable,
            }
        )


class Routers(dict[str, Router]):
    """A router per mode of one network, each built on first use (most plans need only the road one).

    Parameters
    ----------
    network
        The network the routers route on.
    territory
        The territory every router keeps to (None: anywhere).
    """

    def __init__(self, network: Network, territory: Territory | None = None) -> None:
        super().__init__()
        self.network = network
        self.territory = territory

    def __missing__(self, mode: str) -> Router:
        router = Router(self.network, mode, self.territory)
        self[mode] = router
        return router
