"""Greedy list scheduling of road columns: the baseline the optimisers must beat.

Each march unit follows its route as a sequence of *segments* between control
points. Control points are the sites, the nodes where routes merge or split, and
points every ``control_point_spacing_km`` on long stretches, so two columns that
share any road share whole segments. A column occupies a segment's entry point
for its pass time (column length / speed) and its exit point likewise after the
drive time; two columns on the same segment and direction keep their order and a
headway at both ends, so they never overlap anywhere on it (constant speeds).
Opposite directions are separate resources (main roads are dual carriageways).

March units are taken in order of release, priority and RDD; each takes the
earliest times that respect the reservations already made, the halt policy, the
movement window and closures (first fit). Units blocked by a closure are
rerouted around it and the whole schedule is rebuilt, a few rounds at most.
"""

from __future__ import annotations

import itertools
import logging
import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from ..defaults import figure
from ..errors import InfeasibleError, RoutingError
from ..network.model import Network
from ..routing import Route, Router
from ..scenario.schema import Policy
from ..timeline import Intervals
from ..vehicles import Profile

__all__ = ["MarchRow", "MarchSchedule", "MarchUnit", "control_points", "schedule_march"]

logger = logging.getLogger(__name__)
_EPS = 1e-6


@dataclass(frozen=True)
class MarchUnit:
    """A march unit (≤ the policy size) and what it must do.

    Attributes
    ----------
    id
        Unique id, ``UNIT/NN``.
    unit
        The unit it belongs to.
    index
        1-based number within the unit.
    serial
        Serial number within the unit (groups of up to five march units).
    vehicles
        Vehicle type ids, one per vehicle.
    release_s
        Earliest start at the first site (seconds since the scenario start).
    sites
        Sites visited in order: origin, optional staging, destination.
    dwell_s
        Dwell at each intermediate site (len(sites) - 2 values).
    rdd_s
        Required delivery date (seconds since start).
    profile
        Restrictions and speed of the column.
    length_m
        Column length (vehicle lengths plus gaps).
    priority
        Lower moves first among equal release times.
    purpose
        ``"road"`` (moves to its destination) or ``"to_quay"`` (drives to a rail quay).
    """

    id: str
    unit: str
    index: int
    serial: int
    vehicles: tuple[str, ...]
    release_s: float
    sites: tuple[str, ...]
    dwell_s: tuple[float, ...]
    rdd_s: float
    profile: Profile
    length_m: float
    priority: int = 0
    purpose: str = "road"

    @property
    def pass_s(self) -> float:
        """Time for the whole column to pass a point at its speed."""
        return self.length_m / (self.profile.speed_kmh / 3.6)


@dataclass(frozen=True)
class MarchRow:
    """One row of the march table: a march unit at a control point."""

    march_unit: str
    unit: str
    serial: int
    vehicles: int
    leg: int
    seq: int
    control_point: str
    kind: str
    node: int
    km: float
    arrive_s: float
    depart_s: float
    pass_s: float
    halt_s: float
    wait_s: float
    caution: str
    next_control_point: str


@dataclass
class MarchSchedule:
    """Result of the road scheduler.

    Attributes
    ----------
    rows
        The march table, in order of march unit and sequence.
    routes
        Route of each (march unit id, leg).
    closure_s
        Time each march unit's tail reaches its last site.
    status
        ``"feasible"`` (greedy: no optimality claim).
    rounds
        Rerouting rounds used for closures.
    rerouted
        March units rerouted around a closure (greedy) or on an alternate corridor (CP-SAT).
    method
        ``"greedy"`` or ``"cp-sat"``.
    bound_s
        A lower bound on the road closure (None for the greedy baseline).
    gap
        ``(closure - bound) / closure`` (None without a bound).
    baseline_closure_s
        Closure of the greedy baseline (CP-SAT only: the yardstick it must beat).
    binding
        What sets the closure, in words.
    solve_seconds
        Wall time of the optimiser.
    """

    rows: list[MarchRow]
    routes: dict[tuple[str, int], Route]
    closure_s: dict[str, float]
    status: str = "feasible"
    rounds: int = 1
    rerouted: list[str] = field(default_factory=list)
    method: str = "greedy"
    bound_s: float | None = None
    gap: float | None = None
    baseline_closure_s: float | None = None
    binding: str = ""
    solve_seconds: float = 0.0


def control_points(
    paths: Sequence[Sequence[int]], fixed: set[int], xy: np.ndarray, spacing_m: float
) -> set[int]:
    """Control-point nodes for a set of routes.

    Parameters
    ----------
    paths
        Node sequences of every route.
    fixed
        Nodes that must be control points (sites, route ends).
    xy
        Node coordinates (n, 2) in metres.
    spacing_m
        Largest distance between control points along a chain of road.

    Returns
    -------
    set of int
        Fixed nodes, nodes where routes merge or split, and spacing nodes.
    """
    neigh: dict[int, set[int]] = defaultdict(set)
    for path in paths:
        for a, b in itertools.pairwise(path):
            neigh[a].add(b)
            neigh[b].add(a)
    cps = set(fixed) | {n for n, s in neigh.items() if len(s) != 2}
    seen: set[tuple[int, int]] = set()

    def walk(start: int, nxt: int) -> None:
        prev, cur, acc = start, nxt, 0.0
        seen.add((start, nxt))
        while True:
            acc += float(np.hypot(*(xy[cur] - xy[prev])))
            if cur in cps:
                return
            if acc >= spacing_m:
                cps.add(cur)
                acc = 0.0
            a, b = neigh[cur]
            prev, cur = cur, (b if a == prev else a)
            seen.add((prev, cur))

    for c in sorted(cps):
        for n in sorted(neigh.get(c, ())):
            if (c, n) not in seen:
                walk(c, n)
    # closed loops without any control point: anchor them on their smallest node
    for n in sorted(neigh):
        for m in sorted(neigh[n]):
            if (n, m) not in seen and (m, n) not in seen:
                cps.add(n)
                walk(n, m)
    return cps


@dataclass
class _Res:
    mu: str
    entry: float
    exit: float
    pass_s: float


def _segments(route: Route, cps: set[int]) -> list[tuple[int, int, list[int]]]:
    """Split a route into (from node, to node, edge rows) between control points."""
    out: list[tuple[int, int, list[int]]] = []
    start = route.nodes[0]
    edges: list[int] = []
    for node, edge in zip(route.nodes[1:], route.edges, strict=True):
        edges.append(edge)
        if node in cps:
            out.append((start, node, edges))
            start, edges = node, []
    return out


class _State:
    """Reservations and blocked times shared by all march units in one round."""

    def __init__(
        self,
        policy: Policy,
        window: Intervals | None,
        edge_closed: dict[int, Intervals],
        node_closed: dict[int, Intervals],
    ) -> None:
        self.h = policy.headway_min * 60.0
        self.window = window
        self.edge_closed = edge_closed
        self.node_closed = node_closed
        self.res: dict[tuple[int, int], list[_Res]] = defaultdict(list)

    def blocked(self, a: int, b: int, edges: list[int]) -> list[Intervals]:
        out = [self.edge_closed[e] for e in edges if e in self.edge_closed]
        out += [self.node_closed[n] for n in (a, b) if n in self.node_closed]
        return out

    def earliest(
        self, key: tuple[int, int], blocks: list[Intervals], t: float, drive: float, pass_s: float, label: str
    ) -> tuple[float, float]:
        """Earliest entry ≥ t on segment ``key``, and the delay closures caused."""
        c = t
        hit = 0.0
        h = self.h
        for _ in range(100_000):
            if self.window is not None:
                fit = self.window.first_fit(c, drive + pass_s)
                if fit is None:
                    msg = (
                        f"{label}: a segment takes {(drive + pass_s) / 60:.0f} min to pass, "
                        f"longer than the movement window; widen policy.movement_window"
                    )
                    raise InfeasibleError(msg)
                c = fit
            moved = False
            for blk in blocks:
                span = blk.overlaps(c, c + drive + pass_s)
                if span is not None:
                    hit += span[1] - c
                    c, moved = span[1], True
            if moved:
                if math.isinf(c):
                    return c, math.inf
                continue
            for r in self.res[key]:
                ahead = r.entry + r.pass_s + h <= c + _EPS and r.exit + r.pass_s + h <= c + drive + _EPS
                behind = c + pass_s + h <= r.entry + _EPS and c + drive + pass_s + h <= r.exit + _EPS
                if not (ahead or behind):
                    c = max(c, r.entry + r.pass_s + h, r.exit + r.pass_s + h - drive)
                    moved = True
            if not moved:
                return c, hit
        msg = f"{label}: no slot found on a segment (scheduler did not converge)"
        raise InfeasibleError(msg)


def _cp_name(node: int, site_of: dict[int, str]) -> str:
    return site_of.get(node, f"CP-{node}")


def _run_round(
    units: Sequence[MarchUnit],
    routes: dict[tuple[str, int], Route],
    network: Network,
    site_node: dict[str, int],
    policy: Policy,
    window: Intervals | None,
    edge_closed: dict[int, Intervals],
    node_closed: dict[int, Intervals],
) -> tuple[list[MarchRow], dict[str, float], dict[str, float]]:
    xy = np.column_stack([network.nodes["x"].to_numpy(), network.nodes["y"].to_numpy()])
    fixed = {site_node[s] for mu in units for s in mu.sites}
    spacing = float(figure("control_point_spacing_km")) * 1000.0
    cps = control_points([r.nodes for r in routes.values()], fixed, xy, spacing)
    site_of: dict[int, str] = {}
    for s, n in sorted(site_node.items(), reverse=True):
        site_of[n] = s
    lengths = network.edges["length_m"].to_numpy()
    speeds = network.edges["speed_kmh"].to_numpy()
    bridge = network.edges["bridge_id"].to_numpy()
    penalty = float(figure("caution_crossing_penalty_min")) * 60.0
    halts = policy.halts
    state = _State(policy, window, edge_closed, node_closed)
    rows: list[MarchRow] = []
    closure: dict[str, float] = {}
    blocked_units: dict[str, float] = defaultdict(float)

    def row(
        mu: MarchUnit,
        leg: int,
        seq: int,
        cp: str,
        kind: str,
        node: int,
        km: float,
        arrive: float,
        depart: float,
        halt: float = 0.0,
        caution: str = "",
        nxt: str = "",
    ) -> MarchRow:
        return MarchRow(
            march_unit=mu.id,
            unit=mu.unit,
            serial=mu.serial,
            vehicles=len(mu.vehicles),
            leg=leg,
            seq=seq,
            control_point=cp,
            kind=kind,
            node=node,
            km=round(km / 1000.0, 2),
            arrive_s=arrive,
            depart_s=depart,
            pass_s=mu.pass_s,
            halt_s=halt,
            wait_s=max(0.0, depart - arrive - halt),
            caution=caution,
            next_control_point=nxt,
        )

    for mu in units:
        t = mu.release_s
        driving = 0.0
        n_rests = 0
        seq = 0
        km = 0.0
        for leg in range(len(mu.sites) - 1):
            route = routes[(mu.id, leg)]
            segs = _segments(route, cps)
            caution = set(route.caution_edges)
            for i, (a, b, edges) in enumerate(segs):
                speed = np.minimum(speeds[edges], mu.profile.speed_kmh) / 3.6
                drive = float((lengths[edges] / speed).sum()) + penalty * sum(e in caution for e in edges)
                blocks = state.blocked(a, b, edges)
                need = (halts.first_duration_min if n_rests == 0 else halts.duration_min) * 60.0
                limit = (halts.first_after_min if n_rests == 0 else halts.every_min) * 60.0
                if drive > limit:
                    msg = (
                        f"march unit {mu.id}: one segment takes {drive / 60:.0f} min to drive, more "
                        f"than the {limit / 60:.0f} min allowed between halts"
                    )
                    raise InfeasibleError(msg)
                # halts are planned by driving time (the policy) at control points; a wait in a queue
                # does not replace one (the same rule as the CP-SAT model)
                halt = need if driving > 0 and driving + drive > limit + _EPS else 0.0
                entry, hit = state.earliest((a, b), blocks, t + halt, drive, mu.pass_s, mu.id)
                if math.isinf(entry):
                    msg = f"march unit {mu.id}: its route is closed until further notice"
                    raise _Blocked(mu.id, msg)
                if hit:
                    blocked_units[mu.id] += hit
                if halt:
                    driving = 0.0
                    n_rests += 1
                kind = ("start" if leg == 0 else "staging") if i == 0 else ("halt" if halt else "cp")
                notes = sorted({str(bridge[e]) for e in edges if e in caution})
                rows.append(
                    row(
                        mu,
                        leg + 1,
                        seq,
                        _cp_name(a, site_of),
                        kind,
                        a,
                        km,
                        t,
                        entry,
                        halt,
                        ";".join(notes),
                        _cp_name(b, site_of),
                    )
                )
                state.res[(a, b)].append(_Res(mu.id, entry, entry + drive, mu.pass_s))
                seq += 1
                km += float(lengths[edges].sum())
                driving += drive
                t = entry + drive
            if leg < len(mu.sites) - 2:
                t_next = t + mu.pass_s + mu.dwell_s[leg]
                driving, n_rests = 0.0, 0  # a new march after the dwell
                t_arrive = t
                t = t_next
                # the staging row is written as the first row of the next leg, arriving at t_arrive
                stage = mu.sites[leg + 1]
                rows.append(
                    row(mu, leg + 1, seq, stage, "staging_arrive", site_node[stage], km, t_arrive, t_arrive)
                )
                seq += 1
        last = mu.sites[-1]
        rows.append(row(mu, len(mu.sites) - 1, seq, last, "release", site_node[last], km, t, t))
        closure[mu.id] = t + mu.pass_s
    return rows, closure, blocked_units


class _Blocked(Exception):  # noqa: N818 - internal control flow
    def __init__(self, mu: str, msg: str) -> None:
        super().__init__(msg)
        self.mu = mu


def schedule_march(
    network: Network,
    units: Sequence[MarchUnit],
    policy: Policy,
    site_node: dict[str, int],
    *,
    window: Intervals | None = None,
    edge_closed: dict[int, Intervals] | None = None,
    node_closed: dict[int, Intervals] | None = None,
    router: Router | None = None,
    max_rounds: int = 5,
) -> MarchSchedule:
    """Schedule march units greedily (list scheduling, first fit).

    Parameters
    ----------
    network
        The network with its edges.
    units
        March units; they are scheduled in order of (release, priority, RDD, id).
    policy
        Halts and headway.
    site_node
        Road node of every site used.
    window
        Allowed movement times (None: any time).
    edge_closed, node_closed
        Closure intervals of edges (row positions) and of site nodes.
    router
        Road router (built when not given).
    max_rounds
        Rerouting rounds for closures.

    Returns
    -------
    MarchSchedule
        The march table and closures.

    Raises
    ------
    InfeasibleError
        When a column cannot move at all (route closed for good, window too short).
    RoutingError
        When a march unit has no route under its restrictions.
    """
    router = router or Router(network, "road")
    edge_closed = edge_closed or {}
    node_closed = node_closed or {}
    order = sorted(units, key=lambda m: (m.release_s, m.priority, m.rdd_s, m.id))
    avoid: dict[str, set[int]] = defaultdict(set)
    rerouted: list[str] = []

    def plan_routes() -> dict[tuple[str, int], Route]:
        routes = {}
        for mu in order:
            for leg in range(len(mu.sites) - 1):
                a, b = site_node[mu.sites[leg]], site_node[mu.sites[leg + 1]]
                try:
                    routes[(mu.id, leg)] = router.route(a, b, mu.profile, closed=sorted(avoid[mu.id]))
                except RoutingError:
                    if not avoid[mu.id]:
                        p = mu.profile
                        msg = (
                            f"march unit {mu.id}: no road route from '{mu.sites[leg]}' to "
                            f"'{mu.sites[leg + 1]}' for its vehicles (MLC wheeled {p.mlc_wheeled:g}, "
                            f"tracked {p.mlc_tracked:g}, {p.mass_t:g} t, {p.height_m:g} m high, "
                            f"{p.width_m:g} m wide); move them by rail or HET, or check the bridges "
                            f"and limits on the way"
                        )
                        raise RoutingError(msg) from None
                    # no way around the closure: keep the direct route and wait for reopening
                    avoid[mu.id] = set()
                    routes[(mu.id, leg)] = router.route(a, b, mu.profile)
        return routes

    routes = plan_routes()
    closed_edges = set(edge_closed)
    for rnd in range(1, max_rounds + 1):
        try:
            rows, closure, blocked = _run_round(
                order, routes, network, site_node, policy, window, edge_closed, node_closed
            )
        except _Blocked as exc:
            # every march unit whose route meets a closure without end is rerouted in this round
            forever = {e for e, iv in edge_closed.items() if any(math.isinf(b) for _, b in iv.spans)}
            blocked = {exc.mu: math.inf}
            blocked |= {m: math.inf for (m, _), r in routes.items() if forever.intersection(r.edges)}
            rows, closure = [], {}
        newly = []
        by_id = {m.id: m for m in order}
        for mu_id, delay in sorted(blocked.items()):
            mine = {leg: r for (m, leg), r in routes.items() if m == mu_id}
            used = {e for r in mine.values() for e in r.edges}
            extra = (used & closed_edges) - avoid[mu_id]
            if not extra:
                continue
            m = by_id[mu_id]
            try:
                detour = sum(
                    router.route(
                        site_node[m.sites[leg]],
                        site_node[m.sites[leg + 1]],
                        m.profile,
                        closed=sorted(avoid[mu_id] | extra),
                    ).time_s
                    for leg in mine
                )
            except RoutingError:
                continue  # no way around: wait for the closure to end
            if detour - sum(r.time_s for r in mine.values()) < delay:
                avoid[mu_id] |= extra
                newly.append(mu_id)
        if not newly:
            if not rows:
                msg = "a march unit's route is closed until further notice and no detour exists"
                raise InfeasibleError(msg)
            return MarchSchedule(rows, routes, closure, "feasible", rnd, sorted(set(rerouted)))
        rerouted += newly
        logger.info("round %d: rerouting %d march units around closures", rnd, len(newly))
        routes = plan_routes()
    if not rows:
        msg = (
            f"a march unit's route is closed until further notice and no detour was found in "
            f"{max_rounds} rerouting rounds"
        )
        raise InfeasibleError(msg)
    return MarchSchedule(rows, routes, closure, "feasible", max_rounds, sorted(set(rerouted)))
