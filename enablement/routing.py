"""Routing on a :class:`~enablement.network.Network` for a vehicle profile (numba core)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from . import kernels as kn
from .defaults import figure
from .errors import RoutingError
from .network.arrays import graph_arrays
from .network.model import Network

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

    The searches run in the numba kernels of :mod:`enablement.kernels` on CSR
    arrays built once; a vehicle profile or a closure only changes the edge mask
    and the penalty array handed to the kernel (no copy of the graph).

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
        self.arrays = graph_arrays(network, mode)
        self._rows = np.sort(self.arrays.edge_ids)
        self._n = network.n_nodes
        self._cache: dict[tuple[object, ...], Route] = {}
        self._prepared: dict[Profile | None, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}

    def _prepare(self, profile: Profile | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Weights (ms), mask and penalties (ms) for a profile, cached."""
        if profile not in self._prepared:
            ga = self.arrays
            weights = ga.weights_ms(None if profile is None else profile.speed_kmh)
            ok, caution = ga.masks(profile)
            penalty = caution.astype(np.int64) * round(float(figure("caution_crossing_penalty_min")) * 60_000)
            self._prepared[profile] = (weights, ok, penalty)
        return self._prepared[profile]

    def edge_times(self, p: Profile | None) -> np.ndarray:
        """Travel time (s) of every edge of this mode, in network row order, at the profile's speed."""
        weights = self._prepare(p)[0]
        order = np.argsort(self.arrays.edge_ids)
        return weights[order] / 1000.0

    def _check_node(self, node: int, what: str) -> None:
        if not (0 <= node < self._n) or self.network.nodes["mode"].iat[node] != self.mode:
            msg = f"{what} node {node} is not a {self.mode} node of the network"
            raise RoutingError(msg)

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
        self._check_node(origin, "origin")
        self._check_node(target, "target")
        ga = self.arrays
        weights, ok, penalty = self._prepare(profile)
        if closed:
            ok = ok.copy()
            ok[ga.csr_positions(np.asarray(closed, dtype=np.int64))] = False
        dist = np.full(self._n, kn.INF, dtype=np.int64)
        pred = np.full(self._n, -1, dtype=np.int64)
        pos = np.full(self._n, -1, dtype=np.int64)
        heap = np.empty(self._n, dtype=np.int64)
        kn.dijkstra(
            ga.offsets, ga.heads, weights, ok, penalty, origin, target, kn.MAX_DIST, dist, pred, pos, heap
        )
        if dist[target] == kn.INF:
            what = profile.name if profile else "any vehicle"
            msg = (
                f"no {self.mode} route from node {origin} to node {target} for {what} "
                f"under its restrictions and the closures"
            )
            raise RoutingError(msg)
        path = kn.unpack_path(pred, ga.tails, target)
        nodes = (origin, *(int(h) for h in ga.heads[path]))
        result = Route(
            nodes=nodes,
            edges=tuple(int(r) for r in ga.edge_ids[path]),
            length_m=float(ga.lengths[path].sum()),
            time_s=float(dist[target]) / 1000.0,
            caution_edges=tuple(int(ga.edge_ids[k]) for k in path if penalty[k] > 0),
        )
        self._cache[key] = result
        return result

    def matrix(
        self, sources: Sequence[int], targets: Sequence[int], profile: Profile | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Travel-time (s) and length (m) matrices; unreachable pairs are inf / NaN.

        Rows are computed in parallel (numba ``prange``) in chunks of 256 sources so
        that work memory stays bounded.
        """
        ga = self.arrays
        weights, ok, penalty = self._prepare(profile)
        src = np.asarray(sources, dtype=np.int64)
        tgt = np.asarray(targets, dtype=np.int64)
        for node in np.concatenate([src, tgt]):
            self._check_node(int(node), "matrix")
        times = np.empty((src.size, tgt.size))
        lengths = np.empty((src.size, tgt.size))
        for a in range(0, src.size, 256):
            t_ms, length = kn.many_to_many(
                ga.offsets, ga.heads, weights, ok, penalty, ga.lengths, src[a : a + 256], tgt, self._n
            )
            times[a : a + 256] = np.where(t_ms == kn.INF, np.inf, t_ms / 1000.0)
            lengths[a : a + 256] = length
        return times, lengths
