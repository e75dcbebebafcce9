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
earliest times that respect the reservations already made, the halt rule, the
movement window, closures and crossing permits (first fit; a column bound for a crossing not yet
permitted waits at the start of its leg, a column of HETs waits for its HETs to come back
from their previous column, and a column leaving a full marshalling area at its port comes
ashore only once there is room: the discharge pauses, :class:`~.march.MarshallingLedger`).
Units blocked by a closure are rerouted around it and the whole schedule is rebuilt, a few rounds at most.

Every rule comes from the problem's :class:`~enablement.scheduling.march.MarchRules`;
:data:`HONOURS` names the constraints this baseline enforces (staging capacity is
reported as a plan warning instead, and RDDs are only measured).
"""

from __future__ import annotations

import logging
import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from ..errors import InfeasibleError, RoutingError
from ..routing import Route, Router
from ..timeline import Intervals
from .march import (
    HaltRule,
    MarchProblem,
    MarchRow,
    MarchRules,
    MarchSchedule,
    MarchUnit,
    MarshallingLedger,
    split_route,
)

__all__ = ["HONOURS", "NOT_ENFORCED", "schedule_march"]

logger = logging.getLogger(__name__)
_EPS = 1e-6

HONOURS = frozenset(
    {
        "headway",
        "halts",
        "window",
        "closures",
        "speed",
        "restrictions",
        "territory",
        "permission",
        "het_turnaround",
        "marshalling",
    }
)
"""Constraints of :data:`~enablement.scheduling.march.CONSTRAINTS` the greedy baseline enforces."""
NOT_ENFORCED = {
    "staging_capacity": "not limited: the plan warns when a staging area is over its capacity",
    "rdd": "not enforced: lateness is measured and reported",
}
"""The other constraints, and what the baseline does instead."""


@dataclass
class _Res:
    mu: str
    entry: float
    exit: float
    pass_s: float


class _State:
    """Reservations and blocked times shared by all march units in one round.

    Parameters
    ----------
    rules
        The problem's rules (headway, window, closures).
    headway_s
        Headway to keep, when not the rules' (the CP-SAT hint rounds it up to whole seconds).
    """

    def __init__(self, rules: MarchRules, headway_s: float | None = None) -> None:
        self.h = rules.headway_s if headway_s is None else headway_s
        self.window = rules.window
        self.rules = rules
        self.res: dict[tuple[int, int], list[_Res]] = defaultdict(list)

    def blocked(self, a: int, b: int, edges: Sequence[int]) -> list[Intervals]:
        """Closure intervals of the segment ``a → b`` (the rules' :meth:`MarchRules.blocks`)."""
        return self.rules.blocks(a, b, edges)

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


def _run_round(
    problem: MarchProblem, routes: dict[tuple[str, int], Route]
) -> tuple[list[MarchRow], dict[str, float], dict[str, float]]:
    cps = problem.control_points([r.nodes for r in routes.values()])
    lengths, bridge = problem.lengths, problem.bridge
    halts = problem.rules.halts
    site_node = problem.site_node
    state = _State(problem.rules)
    ledger = MarshallingLedger(problem)
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
        speed: float | None = None,
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
            speed_kmh=round(mu.profile.speed_kmh if speed is None else speed, 1),
        )

    for mu in problem.order:
        # its vehicles come ashore once the marshalling area has room for them (marshalling): a pause
        pause = ledger.delay_s(mu, mu.first_ashore_s)
        if math.isinf(pause):
            raise problem.marshalling_oversized() or InfeasibleError(f"{mu.id}: no marshalling room")
        # a HET column leaves once its HETs are back from their last column (het_turnaround)
        t = max(mu.release_s + pause, problem.het_ready_s(mu, closure))
        driving = 0.0
        n_rests = 0
        seq = 0
        km = 0.0
        for leg in range(len(mu.sites) - 1):
            route = routes[(mu.id, leg)]
            segs = split_route(route, cps)
            caution = set(route.caution_edges)
            # each segment's drive time and speed (problem.drive: road class, vehicle and policy speed)
            timed = [problem.drive(mu, list(seg_edges), caution) for _, _, seg_edges in segs]
            # a crossing not yet permitted: the column waits at the leg's start (permission rule)
            ready = t
            t = max(t, problem.not_before(mu, leg, _leg_floor([d for d, _ in timed], halts)))
            for i, (a, b, seg_edges) in enumerate(segs):
                edges = list(seg_edges)
                drive, speed = timed[i]
                blocks = state.blocked(a, b, edges)
                need = halts.need_s(n_rests)
                limit = halts.limit_s(n_rests)
                error = halts.too_long(drive, n_rests, mu.id)
                if error is not None:
                    raise error
                # halts are planned by driving time (the rule) at control points; a wait in a queue
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
                notes = sorted({str(bridge[e]) for e in edges if e in caution}) if bridge is not None else []
                rows.append(
                    row(
                        mu,
                        leg + 1,
                        seq,
                        problem.cp_name(a),
                        kind,
                        a,
                        km,
                        ready if i == 0 else t,
                        entry,
                        halt,
                        ";".join(notes),
                        problem.cp_name(b),
                        speed,
                    )
                )
                state.res[(a, b)].append(_Res(mu.id, entry, entry + drive, mu.pass_s))
                if leg == 0 and i == 0:  # its tail leaves the marshalling area at its port
                    ledger.place(mu, mu.first_ashore_s + pause, entry + mu.pass_s, pause)
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
        end = problem.end_kind(last)
        rows.append(row(mu, len(mu.sites) - 1, seq, last, end, site_node[last], km, t, t))
        closure[mu.id] = t + mu.pass_s
    return rows, closure, blocked_units


def _leg_floor(drives: Sequence[float], halts: HaltRule) -> float:
    """Shortest time a leg can take: its drives and the halts the rule places, without any wait."""
    total, driving, rests = 0.0, 0.0, 0
    for d in drives:
        if driving > 0 and driving + d > halts.limit_s(rests) + _EPS:
            total += halts.need_s(rests)
            driving, rests = 0.0, rests + 1
        total += d
        driving += d
    return total


class _Blocked(Exception):  # noqa: N818 - internal control flow
    def __init__(self, mu: str, msg: str) -> None:
        super().__init__(msg)
        self.mu = mu


def schedule_march(problem: MarchProblem, router: Router, *, max_rounds: int = 5) -> MarchSchedule:
    """Schedule march units greedily (list scheduling, first fit).

    Parameters
    ----------
    problem
        The march units, their sites' road nodes and the rules; units are taken in
        the problem's order (release, priority, RDD, id).
    router
        Road router of the problem's network.
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
    problem.check_router(router)
    order = problem.order
    site_node = problem.site_node
    edge_closed = problem.rules.edge_closed
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
                        raise RoutingError(problem.no_route_message(mu, leg)) from None
                    # no way around the closure: keep the direct route and wait for reopening
                    avoid[mu.id] = set()
                    routes[(mu.id, leg)] = router.route(a, b, mu.profile)
        return routes

    routes = plan_routes()
    closed_edges = set(edge_closed)
    for rnd in range(1, max_rounds + 1):
        try:
            rows, closure, blocked = _run_round(problem, routes)
        except _Blocked as exc:
            # every march unit whose route meets a closure without end is rerouted in this round
            forever = {e for e, iv in edge_closed.items() if any(math.isinf(b) for _, b in iv.spans)}
            blocked = {exc.mu: math.inf}
            blocked |= {m: math.inf for (m, _), r in routes.items() if forever.intersection(r.edges)}
            rows, closure = [], {}
        newly = _reroutes(problem, router, routes, blocked, avoid, closed_edges)
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


def _reroutes(
    problem: MarchProblem,
    router: Router,
    routes: dict[tuple[str, int], Route],
    blocked: dict[str, float],
    avoid: dict[str, set[int]],
    closed_edges: set[int],
) -> list[str]:
    """March units whose detour around the closures they met costs less than waiting (``avoid`` grows)."""
    site_node = problem.site_node
    newly = []
    by_id = {m.id: m for m in problem.order}
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
    return newly
