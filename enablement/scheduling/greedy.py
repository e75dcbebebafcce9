"""Greedy list scheduling of road columns: the baseline the optimisers must beat.

Each march unit follows its route as a sequence of *segments* between control
points. Control points are the sites, the nodes where routes merge or split, and
points every ``control_point_spacing_km`` on long stretches, so two columns that
share any road share whole segments. A column occupies a segment's entry point
for its pass time (column length / speed) and its exit point likewise after the
drive time; two columns on the same segment and direction keep their order and a
headway at both ends, so they never overlap anywhere on it (constant speeds).
Opposite directions are separate resources (main roads are dual carriageways),
except on a bridge some column crosses as a caution crossing: that bridge is a
segment of its own, reserved by bridge in both directions, and no column is on it
while another crosses it one vehicle at a time (``caution_crossing``).

March units are taken in order of release, priority and RDD; each takes the
earliest times that respect the reservations already made, the halt rule, the
movement window, closures and crossing permits (first fit; a column bound for a crossing not yet
permitted waits at the start of its leg, a column of HETs waits for its HETs to come back
from their previous column, and a column leaving a full marshalling area at its port comes
ashore only once there is room: the discharge pauses, :class:`~.march.MarshallingLedger`).
Units blocked by a closure are rerouted around it and the whole schedule is rebuilt, a few rounds at most.

Every rule comes from the problem's :class:`~enablement.scheduling.march.MarchRules`;
:data:`HONOURS` names the constraints this baseline enforces; RDDs are only measured. A
column bound for a staging area that would be full when it arrives (``staging_capacity``:
its vehicles from the head's arrival to the tail's departure, with the holds of other
columns there) starts later, waiting at its origin, until it arrives to room.
"""

from __future__ import annotations

import logging
import math
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from ..errors import InfeasibleError, RoutingError
from ..routing import Route, Router
from ..timeline import Intervals
from .march import (
    ControlPoints,
    MarchProblem,
    MarchRow,
    MarchRules,
    MarchSchedule,
    MarchUnit,
    MarshallingLedger,
    earliest_room,
    split_route,
)

__all__ = ["HONOURS", "NOT_ENFORCED", "Fit", "Piece", "fit_segments", "retime", "schedule_march"]

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
        "halt_places",
        "holds",
        "duty_hours",
        "caution_crossing",
        "marshalling",
        "release",
        "staging_capacity",
    }
)
"""Constraints of :data:`~enablement.scheduling.march.CONSTRAINTS` the greedy baseline enforces."""
NOT_ENFORCED = {
    "rdd": "not enforced: lateness is measured and reported",
}
"""The other constraints, and what the baseline does instead."""


@dataclass
class _Res:
    mu: str
    entry: float
    exit: float
    pass_s: float


@dataclass
class _Hold:
    """A column on a guarded bridge (``caution_crossing``): from its head's entry to its tail's exit."""

    mu: str
    start: float
    end: float
    caution: bool


class _State:
    """Reservations and blocked times shared by all march units in one round.

    Parameters
    ----------
    rules
        The problem's rules (headway, window, closures).
    headway_s
        Headway to keep, when not the rules' (the CP-SAT hint rounds it up to whole seconds).
    """

    def __init__(
        self,
        rules: MarchRules,
        headway_s: float | None = None,
        fastest: Mapping[tuple[int, int], float] | None = None,
    ) -> None:
        self.h = rules.headway_s if headway_s is None else headway_s
        self.fastest: Mapping[tuple[int, int], float] = fastest or {}
        """Per segment, the fastest drive of any column that may use it: where given, columns keep the
        CP-SAT model's padded entry intervals (pass time, headway and the drive's excess over the
        fastest) apart, a rule stronger than the pairwise one, so that its hint is feasible."""
        self.window = rules.window
        self.rules = rules
        self.res: dict[tuple[int, int], list[_Res]] = defaultdict(list)
        self.holds: dict[str, list[_Hold]] = defaultdict(list)
        """The columns on each guarded bridge, in either direction (``caution_crossing``)."""
        self.held: dict[str, list[tuple[float, float, int]]] = defaultdict(list)
        """Vehicles held at each place (site id): from the head's arrival to the tail's departure."""

    def reserve(self, key: tuple[int, int], res: _Res, bridges: Sequence[tuple[str, bool]] = ()) -> None:
        """Reserve segment ``key`` for a column, and the guarded bridges on it (both directions)."""
        self.res[key].append(res)
        for label, caution in bridges:
            self.holds[label].append(_Hold(res.mu, res.entry, res.exit + res.pass_s, caution))

    def commit(self, mu: str, pieces: Sequence[Piece], fit: Fit, pass_s: float, vehicles: int) -> None:
        """Reserve a fitted leg: each segment's entry and exit, and the vehicles at each hold."""
        for p, e in zip(pieces, fit.entries, strict=True):
            self.reserve((p.a, p.b), _Res(mu, e, e + p.drive, pass_s), p.bridges)
        for _, site, a, b in fit.holds:
            self.held[site].append((a, b, vehicles))

    def room(self, site: str, start: float, end: float, vehicles: int) -> bool:
        """Whether ``site`` holds ``vehicles`` more over ``[start, end)`` within its capacity."""
        cap = self.rules.staging_capacity.get(site)
        if cap is None:
            return True
        events = sorted(
            [(max(a, start), n) for a, b, n in self.held[site] if a < end and b > start]
            + [(b, -n) for a, b, n in self.held[site] if a < end and start < b < end],
            key=lambda x: (x[0], x[1]),
        )
        level = peak = 0
        for _, n in events:
            level += n
            peak = max(peak, level)
        return peak + vehicles <= cap

    def _after_columns(self, key: tuple[int, int], c: float, drive: float, pass_s: float) -> float:
        """Entry ≥ ``c`` on segment ``key`` clear of the columns reserved on it (headway, no overtaking)."""
        h = self.h
        f = self.fastest.get(key)
        for r in self.res[key]:
            if f is not None:  # the CP-SAT model's padded entry intervals
                end_r = r.entry + r.pass_s + h + (r.exit - r.entry) - f
                if c < end_r - _EPS and r.entry < c + pass_s + h + drive - f - _EPS:
                    c = end_r
                continue
            ahead = r.entry + r.pass_s + h <= c + _EPS and r.exit + r.pass_s + h <= c + drive + _EPS
            behind = c + pass_s + h <= r.entry + _EPS and c + drive + pass_s + h <= r.exit + _EPS
            if not (ahead or behind):
                c = max(c, r.entry + r.pass_s + h, r.exit + r.pass_s + h - drive)
        return c

    def blocked(self, a: int, b: int, edges: Sequence[int]) -> list[Intervals]:
        """Closure intervals of the segment ``a → b`` (the rules' :meth:`MarchRules.blocks`)."""
        return self.rules.blocks(a, b, edges)

    def earliest(
        self,
        key: tuple[int, int],
        blocks: list[Intervals],
        t: float,
        drive: float,
        pass_s: float,
        label: str,
        bridges: Sequence[tuple[str, bool]] = (),
    ) -> tuple[float, float]:
        """Earliest entry ≥ t on segment ``key``, and the delay closures caused.

        ``bridges`` are the guarded bridges on the segment (:meth:`.MarchProblem.bridges`): the
        column holds each from its entry to its tail's exit, and none may be held by two columns
        at once, within the headway, when either crosses it under caution.
        """
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
            after = self._after_columns(key, c, drive, pass_s)
            if after > c:
                c, moved = after, True
            for bridge, caution in bridges:
                for hold in self.holds[
                    bridge
                ]:  # a column's own earlier segment on the bridge is not a conflict
                    if hold.mu == label or not (caution or hold.caution):
                        continue
                    if c < hold.end + h - _EPS and hold.start < c + drive + pass_s + h - _EPS:
                        c = hold.end + h
                        moved = True
            if not moved:
                return c, hit
        msg = f"{label}: no slot found on a segment (scheduler did not converge)"
        raise InfeasibleError(msg)


@dataclass(frozen=True)
class Piece:
    """One segment of a leg as the fit reads it: control points, edge rows, drive and planned halt (s)."""

    a: int
    b: int
    edges: tuple[int, ...]
    drive: float
    halt: float
    bridges: tuple[tuple[str, bool], ...] = ()
    """Guarded bridges on the segment, each with whether it is crossed under caution."""


@dataclass
class Fit:
    """A leg fitted by :func:`fit_segments`: each segment's entry, the closures' delay and the holds.

    ``holds`` lists, per hold, the segment it precedes, the place (site id) and the time the
    column is there (head arrives, tail leaves); the caller records them (:meth:`_State.commit`).
    """

    entries: list[float]
    hit: float
    holds: list[tuple[int, str, float, float]]


def fit_segments(
    state: _State,
    pieces: Sequence[Piece],
    t: float,
    pass_s: float,
    vehicles: int,
    label: str,
    holding: Sequence[str | None],
    names: Sequence[str],
    *,
    whole: bool = False,
) -> Fit:
    """First fit of one leg from ``t``: the earliest entries that keep every reservation and rule.

    A column waits on the road at most ``rules.road_wait_max_s`` at a control point; a longer
    wait is a hold, taken only at the leg's start or a holding place (``holding``: the place's
    site id per segment start, None elsewhere; the first is the leg's own site). Where the next
    stretch would make it wait on the road longer, the column leaves the last holding place
    later instead (it stops earlier, at the last one); a holding place without room for the
    column is passed by and the fit starts again. ``whole`` rounds each entry up to a whole
    second (the CP-SAT model's hint and bounds).

    Raises
    ------
    InfeasibleError
        When no holding place lies within a stretch the column can drive in one go.
    """
    can = list(holding)
    for _ in range(len(pieces) + 1):
        fit, full = _fit_hops(state, pieces, t, pass_s, vehicles, label, can, names, whole)
        if full is None:
            return fit
        can[full] = None  # no room: pass it by, hold earlier
    msg = f"march unit {label}: no slot found for its holds (scheduler did not converge)"
    raise InfeasibleError(msg)


def _fit_hops(
    state: _State,
    pieces: Sequence[Piece],
    t: float,
    pass_s: float,
    vehicles: int,
    label: str,
    holding: Sequence[str | None],
    names: Sequence[str],
    whole: bool,
) -> tuple[Fit, int | None]:
    """Fit hop by hop (holding place to holding place); return the fit, or the first full place."""
    wait_max = state.rules.road_wait_max_s

    def earliest(q: Piece, at: float) -> tuple[float, float]:
        e, hit = state.earliest(
            (q.a, q.b), state.blocked(q.a, q.b, list(q.edges)), at, q.drive, pass_s, label, q.bridges
        )
        return (float(math.ceil(e)) if whole and math.isfinite(e) else e), hit

    n = len(pieces)
    entries = [0.0] * n
    holds: list[tuple[int, str, float, float]] = []
    total = 0.0
    start, arrive, floor = 0, t, t
    tries = 0
    while True:
        p = pieces[start]
        e, hit = earliest(p, max(floor, arrive + p.halt))
        entries[start] = e
        if math.isinf(e):
            return Fit(entries, math.inf, holds), None
        k, moved = start + 1, False
        while k < n and holding[k] is None:
            q = pieces[k]
            arr = entries[k - 1] + pieces[k - 1].drive
            e, h = earliest(q, arr + q.halt)
            if math.isinf(e):
                entries[k] = e
                return Fit(entries, math.inf, holds), None
            over = e - (arr + q.halt) - wait_max
            if over > _EPS:
                floor, moved = entries[start] + over, True
                break
            entries[k] = e
            hit += h
            k += 1
        if moved:
            tries += 1
            if tries > _MAX_TRIES:
                msg = (
                    f"march unit {label}: from {names[start]} no place that holds vehicles can be reached "
                    "without waiting on the road longer than policy.halts.road_wait_max_min; add a day "
                    "harbour or convoy support centre on the way, or widen the movement window"
                )
                raise InfeasibleError(msg)
            continue
        total += hit
        site = holding[start]
        # a stop longer than the road-wait limit is a hold (a rest between duties too): room is taken
        if start > 0 and site is not None and entries[start] - arrive > wait_max + _EPS:
            if not state.room(site, arrive, entries[start] + pass_s, vehicles):
                return Fit(entries, total, holds), start
            holds.append((start, site, arrive, entries[start] + pass_s))
        if k >= n:
            return Fit(entries, total, holds), None
        start, arrive, floor, tries = k, entries[k - 1] + pieces[k - 1].drive, -math.inf, 0


_MAX_TRIES = 5000
"""Retries of one hop (each leaves its holding place later) before the fit gives up."""


@dataclass
class _Trial:
    """One march unit fitted from a start time, not yet committed: its legs, rows, stays and closure."""

    legs: list[tuple[list[Piece], Fit]]
    rows: list[MarchRow]
    stays: list[tuple[str, float, float]]
    """Per place with a capacity it stays at (a staging area's dwell, a long stop the fit did not
    hold as such): the site, its head's arrival and its tail's departure."""
    closure_s: float


_MAX_STAGING_TRIES = 500
"""Later starts a march unit tries for room at its staging area before the baseline gives up."""


def _staging_delay(
    state: _State, rules: MarchRules, stays: Sequence[tuple[str, float, float]], vehicles: int
) -> float | None:
    """How much later the column must start for room at its first full staging area (None: room at each)."""
    for site, a, b in stays:
        cap = rules.staging_capacity.get(site)
        if cap is None or state.room(site, a, b, vehicles):
            continue
        free = earliest_room(state.held[site], a, cap - vehicles, b)
        return max(free - a, 1.0)
    return None


def _fit_unit(
    problem: MarchProblem,
    state: _State,
    routes: Mapping[tuple[str, int], Route],
    cps: ControlPoints,
    guarded: frozenset[str],
    mu: MarchUnit,
    t: float,
    row: Callable[..., MarchRow],
) -> _Trial:
    """Fit every leg of ``mu`` from ``t`` against the reservations so far, without reserving anything."""
    rows: list[MarchRow] = []
    legs: list[tuple[list[Piece], Fit]] = []
    stays: list[tuple[str, float, float]] = []
    site_node = problem.site_node
    lengths = problem.lengths
    seq = 0
    km = 0.0
    carried = 0.0  # driving since the drivers' last rest (duty_hours)
    arrived: tuple[str, float] | None = None  # the staging area the column is in, since when
    for leg in range(len(mu.sites) - 1):
        route = routes[(mu.id, leg)]
        segs = split_route(route, cps)
        caution = set(route.caution_edges)
        # each segment's drive time and speed (problem.drive: road class, vehicle and policy speed)
        timed = [problem.drive(mu, list(seg_edges), caution) for _, _, seg_edges in segs]
        starts = [a for a, _, _ in segs]
        # halts by driving time at halt places (the same plan as the CP-SAT model's); the halt
        # rule counts a caution crossing's drive, not its wait for the bridge
        counted = [
            round(problem.halt_drive_s(seg_edges, d, v, caution))
            for (_, _, seg_edges), (d, v) in zip(segs, timed, strict=True)
        ]
        halts = problem.plan_halts(mu, starts, counted, carried)
        dwell = mu.dwell_s[leg] if leg < len(mu.sites) - 2 else 0.0
        carried = problem.rules.duty.tail_s(counted, halts, carried, dwell)
        pieces = [
            Piece(a, b, tuple(edges), d, float(h), problem.bridges(list(edges), caution, guarded))
            for (a, b, edges), (d, _), h in zip(segs, timed, halts, strict=True)
        ]
        # a crossing not yet permitted: the column waits at the leg's start (permission rule)
        ready = t
        t = max(t, problem.not_before(mu, leg, sum(p.drive + p.halt for p in pieces)))
        holding = [mu.sites[leg], *problem.holding_sites(starts[1:])]
        names = [problem.cp_name(a) for a in starts]
        fit = fit_segments(state, pieces, t, mu.pass_s, len(mu.vehicles), mu.id, holding, names)
        if any(math.isinf(e) for e in fit.entries):
            msg = f"march unit {mu.id}: its route is closed until further notice"
            raise _Blocked(mu.id, msg)
        legs.append((pieces, fit))
        if arrived is not None:  # its tail leaves the staging area it arrived in
            stays.append((arrived[0], arrived[1], fit.entries[0] + mu.pass_s))
            arrived = None
        held = {i for i, _, _, _ in fit.holds}
        for i, (p, entry) in enumerate(zip(pieces, fit.entries, strict=True)):
            arrive = ready if i == 0 else t
            if i == 0:
                kind = "start" if leg == 0 else "staging"
            else:
                kind = "hold" if i in held else ("halt" if p.halt else "cp")
                site = holding[i]
                # a stop longer than the road-wait limit at a place with a capacity takes room there
                # (the holds rule), a rest taken at a place the fit passed by as full included
                long_stop = entry - arrive > problem.rules.road_wait_max_s and i not in held
                if site is not None and site in problem.rules.staging_capacity and long_stop:
                    stays.append((site, arrive, entry + mu.pass_s))
            crossed = problem.caution_times(mu, list(p.edges), caution)
            rows.append(
                row(
                    mu, leg + 1, seq, names[i], kind, p.a, km, arrive, entry, p.halt,
                    ";".join(sorted(label for label, _ in crossed)), problem.cp_name(p.b),
                    timed[i][1], sum(s for _, s in crossed),
                )
            )  # fmt: skip
            seq += 1
            km += float(lengths[list(p.edges)].sum())
            t = entry + p.drive
        if leg < len(mu.sites) - 2:
            t_arrive = t
            t = t + mu.pass_s + mu.dwell_s[leg]
            # the staging row is written as the first row of the next leg, arriving at t_arrive
            stage = mu.sites[leg + 1]
            if stage in problem.rules.staging_capacity:
                arrived = (stage, t_arrive)
            node = site_node[stage]
            rows.append(row(mu, leg + 1, seq, stage, "staging_arrive", node, km, t_arrive, t_arrive))
            seq += 1
    last = mu.sites[-1]
    end = problem.end_kind(last)
    rows.append(row(mu, len(mu.sites) - 1, seq, last, end, site_node[last], km, t, t))
    return _Trial(legs, rows, stays, t + mu.pass_s)


def _run_round(
    problem: MarchProblem,
    routes: Mapping[tuple[str, int], Route],
    order: Sequence[MarchUnit] | None = None,
) -> tuple[list[MarchRow], dict[str, float], dict[str, float]]:
    cps = problem.control_points([r.nodes for r in routes.values()], problem.caution_ends(routes.values()))
    guarded = problem.caution_bridges(routes.values())
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
        caution_s: float = 0.0,
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
            caution_s=caution_s,
        )

    for mu in problem.order if order is None else order:
        # its vehicles come ashore once the marshalling area has room for them (marshalling): a pause
        pause = ledger.delay_s(mu, mu.first_ashore_s)
        if math.isinf(pause):
            raise problem.marshalling_oversized() or InfeasibleError(f"{mu.id}: no marshalling room")
        # a HET column leaves once its HETs are back from their last column (het_turnaround)
        t0 = max(mu.release_s + pause, problem.het_ready_s(mu, closure))
        # a column bound for a full staging area waits at its start until there is room for it
        # when it arrives (staging_capacity): fit, look at its stays, start later, fit again
        for _ in range(_MAX_STAGING_TRIES):
            trial = _fit_unit(problem, state, routes, cps, guarded, mu, t0, row)
            late = _staging_delay(state, problem.rules, trial.stays, len(mu.vehicles))
            if late is None:
                break
            # it leaves that much later than it did (not than it could: it may have waited to leave)
            t0 = max(t0, trial.legs[0][1].entries[0]) + late
        else:
            site = trial.stays[0][0] if trial.stays else "?"
            msg = (
                f"march unit {mu.id}: staging area {site} never has room for its {len(mu.vehicles)} "
                "vehicles; raise its capacity_vehicles or shorten the dwell"
            )
            raise InfeasibleError(msg)
        for pieces, fit in trial.legs:
            if fit.hit:
                blocked_units[mu.id] += fit.hit
            state.commit(mu.id, pieces, fit, mu.pass_s, len(mu.vehicles))
        for site, a, b in trial.stays:
            state.held[site].append((a, b, len(mu.vehicles)))
        # its tail leaves the marshalling area at its port
        ledger.place(mu, mu.first_ashore_s + pause, trial.legs[0][1].entries[0] + mu.pass_s, pause)
        rows += trial.rows
        closure[mu.id] = trial.closure_s
    return rows, closure, blocked_units


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
        When a column cannot move at all (route closed for good, window too short), or a
        march unit is bigger than a staging area on its way.
    RoutingError
        When a march unit has no route under its restrictions.
    """
    problem.check_router(router)
    oversized = problem.oversized()
    if oversized is not None:
        raise oversized
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
        ran, routes = routes, plan_routes()
    # the last round chose detours it did not drive: schedule once more on them, so that the
    # rows and the routes agree (back to that round's own rows when the detours meet a closure
    # without end)
    try:
        rows, closure, _ = _run_round(problem, routes)
    except _Blocked:
        routes = ran
    if not rows:
        msg = (
            f"a march unit's route is closed until further notice and no detour was found in "
            f"{max_rounds} rerouting rounds"
        )
        raise InfeasibleError(msg)
    return MarchSchedule(rows, routes, closure, "feasible", max_rounds + 1, sorted(set(rerouted)))


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


def retime(
    problem: MarchProblem, routes: Mapping[tuple[str, int], Route], order: Sequence[MarchUnit]
) -> MarchSchedule | None:
    """Schedule the march units by first fit on given routes and in a given order (an optimiser's).

    The optimiser decides which corridor each column takes and who goes first; this gives
    those decisions the baseline's exact times (no whole-second rounding) and its rules.

    Returns
    -------
    MarchSchedule or None
        None when a route meets a closure without end (the optimiser's routes never do).
    """
    try:
        rows, closure, _ = _run_round(problem, routes, order)
    except _Blocked:
        return None
    return MarchSchedule(rows, dict(routes), closure, "feasible")
