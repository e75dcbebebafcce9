"""Routes as planned, and each unit's corridors: its main supply route, an alternate, and critical elements.

Everything here is computed for the vehicles that drive it (each march unit's
own profile) and around the closures in force while they drive, so a map or a
report that draws these draws what the plan does, not a route for some other
vehicle.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import shapely

from ..errors import RoutingError
from ..network.model import Network
from ..routing import Route, Router
from .closures import Closures
from .inputs import PlanningInputs
from .march import MarchSchedule, MarchUnit
from .rail import Train

__all__ = [
    "Corridor",
    "CorridorRoute",
    "CriticalElement",
    "PlannedRoute",
    "corridor_analysis",
    "planned_routes",
]

CORRIDOR_ALTERNATIVES = 3
"""Routes the routing core is asked for when looking for an alternate supply route."""
CRITICAL_TOP = 3
"""Critical elements kept per main supply route."""


@dataclass(frozen=True)
class PlannedRoute:
    """A route as the plan drives it: one leg of a march unit, or a train.

    Attributes
    ----------
    kind
        ``"road"`` or ``"rail"``.
    owner
        The march unit id or the train id.
    unit
        The unit it belongs to.
    leg
        Leg of the march unit (0 for a train).
    edges
        Network edge rows, in order.
    nodes
        Nodes, in order.
    length_m, time_s
        Length, and the column head's drive time.
    vehicles
        Vehicles it carries.
    geometry
        The route's line (EPSG:3812).
    """

    kind: str
    owner: str
    unit: str
    leg: int
    edges: tuple[int, ...]
    nodes: tuple[int, ...]
    length_m: float
    time_s: float
    vehicles: int
    geometry: shapely.Geometry = field(compare=False)


@dataclass(frozen=True)
class CriticalElement:
    """A link or bridge of a main supply route whose closure costs ``extra_s`` (inf: cut off)."""

    edge: int
    extra_s: float
    bridge_id: str | None
    where: shapely.Point = field(compare=False)


@dataclass(frozen=True)
class CorridorRoute:
    """A main (``MSR``) or alternate (``ASR``) supply route, with its overlap and detour against the MSR."""

    kind: str
    edges: tuple[int, ...]
    length_m: float
    overlap: float
    detour: float
    geometry: shapely.Geometry = field(compare=False)


@dataclass(frozen=True)
class Corridor:
    """A unit's corridor: its longest planned leg, an alternate, and the critical elements of the MSR.

    Attributes
    ----------
    unit
        The unit.
    march_unit
        The march unit whose leg is the MSR (its vehicles' profile was used).
    profile
        Name of that profile.
    routes
        The MSR first, then the alternate when the network has one.
    critical
        The links or bridges of the MSR whose closure costs most, worst first.
    closed_edges
        Edges closed while the march unit drives (no alternate or detour uses them).
    """

    unit: str
    march_unit: str
    profile: str
    routes: tuple[CorridorRoute, ...]
    critical: tuple[CriticalElement, ...]
    closed_edges: tuple[int, ...] = ()


class _Lines:
    """Route geometries from edge rows, built once per distinct route."""

    def __init__(self, network: Network) -> None:
        self.geoms = network.edges.geometry.to_numpy()
        self.memo: dict[tuple[int, ...], shapely.Geometry] = {}

    def __call__(self, edges: tuple[int, ...]) -> shapely.Geometry:
        if edges not in self.memo:
            self.memo[edges] = shapely.line_merge(shapely.multilinestrings(self.geoms[list(edges)]))
        return self.memo[edges]


def planned_routes(
    network: Network,
    march_units: Sequence[MarchUnit],
    march: MarchSchedule,
    trains: Sequence[Train],
    train_routes: Mapping[str, Route],
) -> list[PlannedRoute]:
    """Every march unit leg and every train as planned, with its geometry.

    Parameters
    ----------
    network
        The plan's network.
    march_units, march
        The march units and the road schedule (its routes per march unit and leg).
    trains, train_routes
        The scheduled trains and the route of each.

    Returns
    -------
    list of PlannedRoute
        Road legs in the order of the march units, then trains in schedule order.
    """
    line = _Lines(network)
    size = {m.id: m for m in march_units}
    out = []
    for (mu_id, leg), r in sorted(march.routes.items()):
        mu = size[mu_id]
        out.append(
            PlannedRoute(
                "road",
                mu_id,
                mu.unit,
                leg,
                r.edges,
                r.nodes,
                r.length_m,
                r.time_s,
                len(mu.vehicles),
                line(r.edges),
            )
        )
    for t in trains:
        r = train_routes[t.id]
        out.append(
            PlannedRoute(
                "rail",
                t.id,
                t.unit,
                0,
                r.edges,
                r.nodes,
                r.length_m,
                r.time_s,
                len(t.vehicles),
                line(r.edges),
            )
        )
    return out


def _closed_while(closures: Closures, start_s: float, end_s: float) -> tuple[list[int], list[int]]:
    """Edge rows and nodes closed at some time between ``start_s`` and ``end_s``."""
    edges = sorted(e for e, iv in closures.edge.items() if iv.overlaps(start_s, end_s) is not None)
    nodes = sorted(n for n, iv in closures.node.items() if iv.overlaps(start_s, end_s) is not None)
    return edges, nodes


def _main_legs(
    march_units: Sequence[MarchUnit], march: MarchSchedule
) -> dict[str, tuple[MarchUnit, int, Route]]:
    """Each unit's longest planned leg (its main supply route) and the march unit that drives it."""
    by_id = {m.id: m for m in march_units}
    out: dict[str, tuple[MarchUnit, int, Route]] = {}
    for (mu_id, leg), route in sorted(march.routes.items()):
        mu = by_id[mu_id]
        if mu.unit not in out or route.length_m > out[mu.unit][2].length_m:
            out[mu.unit] = (mu, leg, route)
    return out


def _span(march: MarchSchedule, mu: MarchUnit) -> tuple[float, float]:
    """When a march unit is on the road: first departure to closure (s since the start)."""
    departs = [r.depart_s for r in march.rows if r.march_unit == mu.id]
    return (min(departs) if departs else mu.release_s, march.closure_s.get(mu.id, mu.release_s))


def corridor_analysis(
    inputs: PlanningInputs, router: Router, march_units: Sequence[MarchUnit], march: MarchSchedule
) -> list[Corridor]:
    """Find each road unit's main and alternate supply routes and critical elements, for its own vehicles.

    For each unit, the MSR is its longest planned leg; the alternate is the first
    route of the routing core's alternatives (for the same march unit's profile,
    around the closures in force while it drives) that differs from the MSR. The
    critical elements are the links of the MSR whose closure costs the most time,
    detouring for that profile around the same closures.

    Parameters
    ----------
    inputs
        The scenario on its network, with the closures in force.
    router
        The road router.
    march_units, march
        The march units and the road schedule.

    Returns
    -------
    list of Corridor
        One per unit that marches, by unit id.
    """
    network, closures = inputs.network, inputs.closures
    edge_geoms = network.edges.geometry.to_numpy()
    line = _Lines(network)
    out = []
    for unit, (mu, _leg, msr) in sorted(_main_legs(march_units, march).items()):
        start, end = _span(march, mu)
        closed, closed_nodes = _closed_while(closures, start, end)
        closed = [e for e in closed if e not in set(msr.edges)]  # the MSR as planned drives there
        routes = [CorridorRoute("MSR", msr.edges, msr.length_m, 1.0, 1.0, line(msr.edges))]
        try:
            alts = router.alternatives(
                msr.nodes[0],
                msr.nodes[-1],
                CORRIDOR_ALTERNATIVES,
                mu.profile,
                closed=closed,
                closed_nodes=[n for n in closed_nodes if n not in (msr.nodes[0], msr.nodes[-1])],
            )
        except RoutingError:
            alts = []
        for alt in alts:
            if alt.route.edges != msr.edges:
                r = alt.route
                detour = r.time_s / msr.time_s if msr.time_s else 1.0
                routes.append(
                    CorridorRoute("ASR", r.edges, r.length_m, router.overlap(r, msr), detour, line(r.edges))
                )
                break
        critical = tuple(
            CriticalElement(
                c.edge,
                c.extra_s,
                c.bridge_id if isinstance(c.bridge_id, str) else None,
                edge_geoms[c.edge].interpolate(0.5, normalized=True),
            )
            for c in router.criticality(msr, mu.profile, top=CRITICAL_TOP, closed=closed)
            if c.extra_s > 0  # a closure the unit could drive around at no cost is not critical
        )
        out.append(Corridor(unit, mu.id, mu.profile.name, tuple(routes), critical, tuple(closed)))
    return out
