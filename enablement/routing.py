"""Routing on a :class:`~enablement.network.Network` for a vehicle profile.

This first router runs scipy's Dijkstra on CSR arrays built once per mode, with
restrictions applied as an edge mask per query (no copy of the network per
vehicle). The numba core of the routing issue replaces the search; the interface
stays.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

from .defaults import figure
from .errors import RoutingError
from .network.model import EDGE_RESTRICTION_COLUMNS, Network

if TYPE_CHECKING:
    from .vehicles import Vehicle

__all__ = ["Profile", "Route", "Router"]


@dataclass(frozen=True)
class Profile:
    """What a group of vehicles needs from the roads it uses.

    Attributes
    ----------
    name
        Label for messages.
    mlc_wheeled, mlc_tracked
        Highest MLC class among its wheeled / tracked vehicles (0 when none).
    mass_t, axle_load_t, height_m, width_m
        Largest values among its vehicles.
    speed_kmh
        Column speed cap (the slowest vehicle's road speed and the policy speed).
    """

    name: str
    mlc_wheeled: float = 0.0
    mlc_tracked: float = 0.0
    mass_t: float = 0.0
    axle_load_t: float = 0.0
    height_m: float = 0.0
    width_m: float = 0.0
    speed_kmh: float = 50.0

    @classmethod
    def of(cls, name: str, vehicles: Iterable[Vehicle], speed_cap_kmh: float) -> Profile:
        """Profile of a group of vehicles moving at most at ``speed_cap_kmh``."""
        vs = list(vehicles)
        if not vs:
            msg = f"profile '{name}' has no vehicles"
            raise ValueError(msg)
        return cls(
            name=name,
            mlc_wheeled=max((v.mlc for v in vs if not v.tracked), default=0.0),
            mlc_tracked=max((v.mlc for v in vs if v.tracked), default=0.0),
            mass_t=max(v.mass_t for v in vs),
            axle_load_t=max((v.axle_load_t or 0.0) for v in vs),
            height_m=max(v.height_m for v in vs),
            width_m=max(v.width_m for v in vs),
            speed_kmh=min([speed_cap_kmh, *(v.road_speed_kmh for v in vs)]),
        )


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


class Router:
    """Shortest routes on one mode of a network, with restrictions as masks.

    Parameters
    ----------
    network
        The network.
    mode
        ``"road"`` or ``"rail"``.
    """

    def __init__(self, network: Network, mode: str = "road") -> None:
        self.network = network
        self.mode = mode
        e = network.edges
        self._rows = np.flatnonzero(e["mode"].to_numpy() == mode)
        sub = e.iloc[self._rows]
        self._u = sub["u"].to_numpy(np.int64)
        self._v = sub["v"].to_numpy(np.int64)
        self._length = sub["length_m"].to_numpy(np.float64)
        self._edge_speed = sub["speed_kmh"].to_numpy(np.float64)
        self._cols = {c: sub[c].to_numpy(np.float64) for c in EDGE_RESTRICTION_COLUMNS}
        self._n = network.n_nodes
        self._cache: dict[tuple[object, ...], Route] = {}

    def _allowed(self, p: Profile) -> tuple[np.ndarray, np.ndarray]:
        """Masks of usable edges and of caution crossings for a profile."""
        c = self._cols
        ok = np.ones(self._u.size, dtype=bool)
        caution = np.zeros(self._u.size, dtype=bool)
        with np.errstate(invalid="ignore"):
            for kind, cls in (("wheeled", p.mlc_wheeled), ("tracked", p.mlc_tracked)):
                if cls > 0:
                    one, two = c[f"mlc_{kind}_oneway"], c[f"mlc_{kind}_twoway"]
                    ok &= ~(cls > one)
                    caution |= (cls > two) & ~(cls > one)
            ok &= ~(p.mass_t > c["maxweight_t"])
            ok &= ~(p.axle_load_t > c["maxaxleload_t"])
            ok &= ~(p.height_m > c["maxheight_m"])
            ok &= ~(p.width_m > c["maxwidth_m"])
        return ok, caution & ok

    def edge_times(self, p: Profile | None) -> np.ndarray:
        """Travel time (s) of every edge of this mode at the profile's speed."""
        speed = self._edge_speed if p is None else np.minimum(self._edge_speed, p.speed_kmh)
        return self._length / (speed / 3.6)

    def route(
        self, origin: int, target: int, profile: Profile | None = None, closed: Sequence[int] = ()
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

        Returns
        -------
        Route
            The route.

        Raises
        ------
        RoutingError
            When no route satisfies the restrictions.
        """
        key = (origin, target, profile, tuple(sorted(closed)))
        if key in self._cache:
            return self._cache[key]
        if profile is None:
            ok = np.ones(self._u.size, dtype=bool)
            caution = np.zeros(self._u.size, dtype=bool)
        else:
            ok, caution = self._allowed(profile)
        if closed:
            ok &= ~np.isin(self._rows, np.asarray(closed, dtype=np.int64))
        cost = self.edge_times(profile) + caution * figure("caution_crossing_penalty_min") * 60.0
        cost = np.maximum(cost, 1e-3)  # scipy drops explicit zeros
        idx = np.flatnonzero(ok)
        # keep the cheapest of parallel edges: sort by cost, first occurrence per (u, v)
        order = idx[np.lexsort((cost[idx], self._v[idx], self._u[idx]))]
        pair = self._u[order] * self._n + self._v[order]
        first = np.ones(order.size, dtype=bool)
        first[1:] = pair[1:] != pair[:-1]
        best = order[first]
        graph = csr_matrix((cost[best], (self._u[best], self._v[best])), shape=(self._n, self._n))
        dist, pred = dijkstra(graph, directed=True, indices=origin, return_predecessors=True)
        if not np.isfinite(dist[target]):
            what = profile.name if profile else "any vehicle"
            msg = (
                f"no {self.mode} route from node {origin} to node {target} for {what} "
                f"under its restrictions and the closures"
            )
            raise RoutingError(msg)
        nodes = [target]
        while nodes[-1] != origin:
            nodes.append(int(pred[nodes[-1]]))
        nodes.reverse()
        lookup = dict(zip((self._u[best] * self._n + self._v[best]).tolist(), best.tolist(), strict=True))
        local = [lookup[a * self._n + b] for a, b in itertools.pairwise(nodes)]
        edges = tuple(int(self._rows[i]) for i in local)
        result = Route(
            nodes=tuple(nodes),
            edges=edges,
            length_m=float(self._length[local].sum()),
            time_s=float(dist[target]),
            caution_edges=tuple(int(self._rows[i]) for i in local if caution[i]),
        )
        self._cache[key] = result
        return result
