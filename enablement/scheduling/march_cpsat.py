"""Road movement optimiser: deconflicted march tables with CP-SAT and route choice.

Data → model → constraints → solve → extract, each a function. Every rule comes from
the problem's :class:`~enablement.scheduling.march.MarchRules` (:data:`HONOURS` names
the constraints enforced; see :mod:`enablement.scheduling.march` for where each lives).

**Data.** Every march unit leg (origin → staging → destination) may take one of
up to ``alternatives`` corridors from the routing core (the fastest first, then
alternate routes that overlap it at most 60 %), plus the route the greedy
baseline used. Control points are computed over all candidate routes (sites,
merge and split points, one every ``control_point_spacing_km``), so columns that
share road share whole segments. Halts are placed on each candidate route by the
policy (15 min after the first hour, then 10 min every 2 h by default): before
the first segment that would take the driving time since the last halt over the
limit. A halt is a minimum stop; a column may wait longer at any control point.

**Model** (integer seconds):

- one *entry* variable per unit, leg, candidate route and segment; its domain
  already excludes times when the column (drive plus pass time) would leave the
  movement window or meet a closed edge or site (closures and curfews cost no
  constraint);
- route choice: one Boolean per candidate route, exactly one per leg; every
  constraint of a route is enforced only when it is chosen (optional intervals);
- a segment is entered no earlier than the previous one is left plus the halt
  placed there; the first one no earlier than the release time from reception,
  or than the arrival at the staging area plus the pass time and dwell;
- crossing permits: a leg to a border crossing not yet permitted starts no earlier
  than the permit less the leg's drive and halts on that candidate (the column
  waits at its origin or staging area and arrives when permitted);
- deconfliction: on each segment and direction, the columns' entry intervals
  (pass time plus headway) do not overlap; a column slower on the segment than
  the fastest user (lower speed, caution crossing) pads its interval by the
  difference in drive time, so the order at the exit is the order at the entry
  (no overtaking; conservative, and free of pairwise order variables);
- caution crossings: a bridge some candidate crosses as a caution crossing is a segment
  of its own; on it, each column's interval (its whole time on the segment plus the
  headway, anchored on its entry) does not overlap, in either direction, any other
  column's when either crosses under caution (a no-overlap when all do, else a
  cumulative where a caution crossing takes the whole capacity and a column within the
  two-way class one unit);
- staging areas with a capacity: a cumulative of the vehicles held from arrival
  to departure;
- marshalling areas at the ports and airfields: each march unit leaving one has a
  *ready* time (its last vehicle ashore) no earlier than reception planned it; the
  pause ``ready - release`` of each of the site's march units, in the order they come
  ashore, is at least the one before it less the time the berths stood idle in between
  (a pause holds back every vehicle after it), and a cumulative holds
  each march unit's room (vehicles or m²) from its first vehicle ashore (shifted by
  the same pause) until its tail has left (departure plus pass time);
- HETs in one place at a time: a column of HETs leaves no earlier than the closure of
  each column its HETs come off, plus the turnaround (unload, empty drive, load) of
  :attr:`~.march.MarchProblem.het_after`;
- closure of a march unit: its tail reaching the last site.

**Objective** (lexicographic in two solves): first the force's road closure (the
last march unit's closure); then, with the closure held at that value, total
lateness against each unit's RDD weighted by the number of march units plus the
sum of march-unit closures (so every column moves as early as the closure
allows, and one second of lateness outweighs one second on each column).

**Warm start and yardstick.** The greedy baseline (:mod:`.greedy`) is run first;
a serial first-fit on this model's segments and halts gives the hint. The
solver's bound and a bound of our own (each march unit alone, on its fastest
candidate, with the window and halts) give the gap.

**Rolling horizon.** From :data:`ROLLING_FROM` march units the whole model is not solved at
once: starting from the serial first fit (a solution of the whole model), windows of
:data:`WINDOW` march units in order of departure are freed one after another, each in a
sub-problem that holds every march unit it could meet fixed at the incumbent, and solved for
lateness and the sum of the columns' closures (the force's closure held); a window's plan is
kept when the whole flow's objective is no worse. The closure's bound is our own, for the
whole flow (each march unit alone; columns queuing on a shared segment).

**Retimed.** The model's times are whole seconds rounded up, and its deconfliction pads a
slower column's interval; the baseline's first fit, given the model's corridors and its
order of departure, gives the same decisions exact times, and is taken when better.

**Never worse than the baseline.** When the solver's plan is worse than the greedy
baseline (closure, then lateness, then the sum of the columns' closures), the baseline is
returned with the proven bound and its gap.

**Budget and determinism.** ``time_limit_s`` is wall time for the whole road step (the
baseline, the candidate routes, the model and both solves). Each solve stops on a
*deterministic* limit sized from the budget alone (:data:`SOLVE_SHARE`), with a fixed seed
and two workers in interleaved search, so the same inputs, seed and budget give the same
plan on any machine as fast as the calibration's; the wall clock is a guard only, and a
solve it cuts is reported (``clock_stopped``). Each incumbent is reported as it is found
(closure or lateness, bound, gap) to the caller's ``progress``.
"""

from __future__ import annotations

import bisect
import dataclasses
import itertools
import logging
import math
import time
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import InfeasibleError, RoutingError
from ..routing import Route, Router
from ..timeline import Intervals
from ._ortools import cp_model
from .greedy import (
    _MAX_STAGING_TRIES,
    Fit,
    Piece,
    _staging_delay,
    _State,
    fit_segments,
    retime,
    schedule_march,
)
from .march import (
    ControlPoints,
    MarchProblem,
    MarchRow,
    MarchSchedule,
    MarchUnit,
    MarshallingLedger,
    earliest_room,
    split_route,
)

__all__ = ["CLOSURE_GAP", "DEFAULT_ALTERNATIVES", "HONOURS", "SECOND_GAP", "optimise_march"]

logger = logging.getLogger(__name__)

DEFAULT_ALTERNATIVES = 2
"""Candidate corridors per leg (the fastest and one alternate supply route)."""
CLOSURE_GAP = 0.005
"""The closure solve stops within 0.5 % of the best bound (about 20 min on a 3-day movement)."""
SECOND_GAP = 0.02
"""The lateness solve stops within 2 % of its bound."""
_PHASE1_SHARE = 0.6
"""Share of the solves' deterministic budget spent on the closure; the rest goes to lateness."""
SOLVE_SHARE = 0.5
"""Share of the road step's wall budget (``time_limit_s``) given to the solves as deterministic time.

How the same seed and budget give the same plan: each solve stops on a *deterministic*
limit (``max_deterministic_time``), sized from the budget alone (``time_limit_s *
SOLVE_SHARE * DET_PER_WALL_S``, 60 % for the closure, 40 % for lateness), never from
time measured during the run; the rest of the budget is for the baseline, the candidate
routes and the model. The wall clock is only a guard (``max_time_in_seconds``: what is
left of the budget): on a machine slower or busier than the calibration it may cut a
solve first, and the schedule then says so (``clock_stopped``; the plan may then vary
from run to run)."""
DET_PER_WALL_S = 1.0
"""CP-SAT deterministic time per wall second that the budget assumes (two workers, 2 cores).

Nominal: the rolling horizon sizes its windows by :data:`WINDOW_WALL_S` instead, since a
window's wall time is mostly building its sub-problem. Under load the division's windows took
2-15 wall seconds per deterministic second, and the wall guard cut them (``clock_stopped``,
``deterministic: false`` in ``summary.json``)."""
HONOURS = frozenset(
    {
        "headway",
        "halts",
        "window",
        "closures",
        "staging_capacity",
        "rdd",
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
    }
)
"""Constraints of :data:`~enablement.scheduling.march.CONSTRAINTS` the model enforces (RDD as lateness)."""


# --------------------------------------------------------------------------- data


@dataclass(frozen=True)
class _Seg:
    """A segment of a candidate route: control point ``a`` to ``b``."""

    a: int
    b: int
    edges: tuple[int, ...]
    drive: int
    halt: int
    notes: str
    speed: float
    bridges: tuple[tuple[str, bool], ...] = ()
    """Guarded bridges on the segment, each with whether it is crossed under caution."""
    caution_s: float = 0.0
    """Time the column's vehicles take to cross the segment's caution bridges one at a time."""
    hold: str | None = None
    """The holding place (site id) at ``a``, where the column may wait longer than the road-wait limit
    (the leg's own site for the first segment), or None."""
    counted: int = 0
    """The part of ``drive`` the halt and duty rules count (:meth:`~.march.MarchProblem.halt_drive_s`)."""


@dataclass
class _Option:
    route: Route
    segs: list[_Seg]


@dataclass
class _Data:
    units: list[MarchUnit]
    options: dict[tuple[str, int], list[_Option]]
    domains: dict[tuple[str, int, int, int], list[tuple[int, int]]]
    pass_s: dict[str, int]
    cp_name: Callable[[int], str]
    horizon: int
    headway: int
    capacity: dict[str, int]
    lengths: np.ndarray
    end_kind: dict[str, str]
    not_before: dict[tuple[str, int, int], int] = field(default_factory=dict)
    """Earliest departure of a leg on a candidate under the crossing permits (``MarchProblem.not_before``)."""
    het_after: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    """Per HET column, the columns its HETs come off and the whole seconds from their closure to its
    departure (``MarchProblem.het_after``, rounded up)."""
    wait_max: int = 0
    """Longest wait on the road at a control point that is not a holding place (whole seconds)."""
    fastest: dict[tuple[int, int], float] = field(default_factory=dict)
    """Per segment and direction, the fastest drive of any candidate on it (filled by ``_state``)."""
    marshalled: dict[str, list[tuple[str, int, int, int]]] = field(default_factory=dict)
    """Per marshalling area, the march units leaving it in the order they come ashore, each with its
    release and first vehicle ashore (whole seconds) and its room (``MarchProblem.marshalled``)."""
    berths_idle: dict[str, int] = field(default_factory=dict)
    """Whole seconds the berths stood idle before each march unit (``MarchProblem.berths_idle``, down)."""
    marshalling_capacity: dict[str, int] = field(default_factory=dict)
    """Room of each marshalling area (vehicles or m²)."""


def _allowed(
    lo: int, hi: int, span: int, window: Intervals | None, blocks: Sequence[Intervals]
) -> list[tuple[int, int]]:
    """Entry times in [lo, hi] at which ``[t, t + span]`` is in the window and meets no closure."""
    if window is None:
        spans = [(lo, hi)]
    else:
        spans = []
        ws = window.spans  # sorted and disjoint: start at the first that ends late enough (not day one)
        for a, b in itertools.islice(
            ws, bisect.bisect_left(ws, float(lo), key=lambda ab: ab[1] - span), None
        ):
            if a > hi:
                break
            s, e = max(lo, math.ceil(a)), min(hi, math.floor(b - span))
            if s <= e:
                spans.append((s, e))
    for blk in blocks:
        for ca, cb in blk.spans:
            # forbidden: ca < t + span and t < cb
            f_lo = math.floor(ca - span) + 1
            f_hi = hi if math.isinf(cb) else math.ceil(cb) - 1
            cut = []
            for s, e in spans:
                if e < f_lo or s > f_hi:
                    cut.append((s, e))
                    continue
                if s < f_lo:
                    cut.append((s, f_lo - 1))
                if e > f_hi:
                    cut.append((f_hi + 1, e))
            spans = cut
    return spans


def _candidates(
    problem: MarchProblem, router: Router, alternatives: int, baseline: MarchSchedule
) -> dict[tuple[str, int], list[Route]]:
    """Candidate routes of every leg: the routing core's alternatives and the baseline's route."""
    site_node = problem.site_node
    cand: dict[tuple[str, int], list[Route]] = {}
    memo: dict[tuple[int, int, object], list[Route]] = {}
    for mu in problem.units:
        for leg in range(len(mu.sites) - 1):
            a, b = site_node[mu.sites[leg]], site_node[mu.sites[leg + 1]]
            key = (a, b, mu.profile)
            if key not in memo:
                try:
                    memo[key] = [alt.route for alt in router.alternatives(a, b, alternatives, mu.profile)]
                except RoutingError:
                    memo[key] = []
            routes = list(memo[key])
            base = baseline.routes.get((mu.id, leg))
            if base is not None and all(r.edges != base.edges for r in routes):
                routes.append(base)
            if not routes:
                raise RoutingError(problem.no_route_message(mu, leg))
            cand[(mu.id, leg)] = routes
    return cand


def _segments(
    problem: MarchProblem,
    mu: MarchUnit,
    route: Route,
    cps: ControlPoints,
    guarded: frozenset[str],
    carried_s: float = 0.0,
) -> list[_Seg]:
    """Split a candidate route into segments with whole-second drive times and planned halts."""
    parts = split_route(route, cps)
    caution = set(route.caution_edges)
    drives, speeds, counted = [], [], []
    for _, _, edges in parts:
        drive, speed = problem.drive(mu, edges, caution)
        drives.append(round(drive))
        speeds.append(speed)
        # the halt rule counts a caution crossing's drive, not its wait for the bridge
        counted.append(round(problem.halt_drive_s(edges, round(drive), speed, caution)))
    starts = [a for a, _, _ in parts]
    halts = problem.plan_halts(mu, starts, counted, carried_s)
    holding = [None, *problem.holding_sites(starts[1:])]
    segs = []
    for (a, b, edges), d, h, v, hold, c in zip(parts, drives, halts, speeds, holding, counted, strict=True):
        crossed = problem.caution_times(mu, edges, caution)
        notes = ";".join(sorted(label for label, _ in crossed))
        on = problem.bridges(edges, caution, guarded)
        segs.append(_Seg(a, b, edges, d, h, notes, v, on, sum(t for _, t in crossed), hold, c))
    return segs


def _data(problem: MarchProblem, router: Router, alternatives: int, baseline: MarchSchedule) -> _Data:
    """Candidate routes, their segments, halts and entry domains."""
    units = problem.units
    rules = problem.rules
    cand = _candidates(problem, router, alternatives, baseline)
    every = [r for rs in cand.values() for r in rs]
    cps = problem.control_points([r.nodes for r in every], problem.caution_ends(every))
    guarded = problem.caution_bridges(every)
    headway = math.ceil(rules.headway_s)
    pass_s = {mu.id: math.ceil(mu.pass_s) for mu in units}
    base_end = max(baseline.closure_s.values(), default=0.0)
    horizon = math.ceil(max(base_end, max((m.release_s for m in units), default=0.0)) * 2 + 2 * 86400)
    options: dict[tuple[str, int], list[_Option]] = {}
    domains: dict[tuple[str, int, int, int], list[tuple[int, int]]] = {}
    not_before: dict[tuple[str, int, int], int] = {}
    duty = rules.duty
    for mu in units:
        carried = 0.0  # driving since the drivers' last rest, at most, on any candidate (duty_hours)
        for leg in range(len(mu.sites) - 1):
            opts: list[_Option] = []
            tails = [0.0]
            dwell = mu.dwell_s[leg] if leg < len(mu.sites) - 2 else 0.0
            for route in cand[(mu.id, leg)]:
                segs = _segments(problem, mu, route, cps, guarded, carried)
                tails.append(duty.tail_s([g.counted for g in segs], [g.halt for g in segs], carried, dwell))
                opt = len(opts)
                ok = True
                for s, seg in enumerate(segs):
                    blocks = rules.blocks(seg.a, seg.b, seg.edges)
                    dom = _allowed(
                        int(mu.release_s), horizon, seg.drive + pass_s[mu.id], rules.window, blocks
                    )
                    if not dom:
                        ok = False
                        break
                    domains[(mu.id, leg, opt, s)] = dom
                if ok:
                    nb = problem.not_before(mu, leg, float(sum(g.drive + g.halt for g in segs)))
                    if math.isfinite(nb):
                        not_before[(mu.id, leg, opt)] = math.ceil(nb)
                    opts.append(_Option(route, segs))
            if not opts:
                msg = (
                    f"march unit {mu.id}: every candidate route from '{mu.sites[leg]}' to "
                    f"'{mu.sites[leg + 1]}' is closed for good or has a segment longer than the movement "
                    "window; reopen a road or widen policy.movement_window"
                )
                raise InfeasibleError(msg)
            options[(mu.id, leg)] = opts
            carried = max(tails)
    return _Data(
        list(units),
        options,
        domains,
        pass_s,
        problem.cp_name,
        horizon,
        headway,
        {**problem.staging_capacity(), **_hold_capacity(problem, options)},
        problem.lengths,
        {mu.id: problem.end_kind(mu.sites[-1]) for mu in units},
        not_before,
        {b: [(a, math.ceil(gap)) for a, gap in after] for b, after in problem.het_after.items()},
        math.floor(rules.road_wait_max_s),
        marshalled={
            site: [(mu.id, int(mu.release_s), math.floor(mu.first_ashore_s), d) for mu, d in items]
            for site, items in problem.marshalled.items()
        },
        marshalling_capacity={site: rules.marshalling[site].capacity for site in problem.marshalled},
        berths_idle={mu_id: math.floor(idle) for mu_id, idle in problem.berths_idle.items()},
    )


def _hold_capacity(problem: MarchProblem, options: Mapping[tuple[str, int], list[_Option]]) -> dict[str, int]:
    """Capacity of the holding places on the candidate routes (their ``capacity_vehicles``)."""
    cap = problem.rules.staging_capacity
    used = {g.hold for opts in options.values() for o in opts for g in o.segs[1:] if g.hold is not None}
    return {site: cap[site] for site in sorted(used) if site in cap}


# --------------------------------------------------------------------------- serial decoding (hint, bound)


@dataclass
class _Solution:
    choice: dict[tuple[str, int], int]
    entry: dict[tuple[str, int, int], int]  # (mu, leg, segment) of the chosen option
    arrive: dict[tuple[str, int], int]  # leg end (head at the last site)
    ready: dict[str, int] = field(default_factory=dict)  # last vehicle ashore, after any pause


def _state(data: _Data, problem: MarchProblem) -> _State:
    """Start the greedy's reservations, with the model's whole-second headway and padded intervals."""
    if not data.fastest:
        for opts in data.options.values():
            for o in opts:
                for g in o.segs:
                    key = (g.a, g.b)
                    data.fastest[key] = min(data.fastest.get(key, math.inf), float(g.drive))
    return _State(problem.rules, headway_s=float(data.headway), fastest=data.fastest)


def _fit_leg(
    state: _State, data: _Data, mu: MarchUnit, leg: int, opt: int, t: float, *, commit: bool = True
) -> tuple[list[int], int, list[Piece], Fit]:
    """First fit of one leg on one candidate from ``t``: entry of each segment, arrival, and the fit.

    With ``commit`` the segments and holds are reserved at once; else the caller reserves them.
    """
    p = data.pass_s[mu.id]
    t = max(t, float(data.not_before.get((mu.id, leg, opt), t)))  # a crossing not yet permitted
    segs = data.options[(mu.id, leg)][opt].segs
    pieces = [Piece(g.a, g.b, g.edges, float(g.drive), float(g.halt), g.bridges) for g in segs]
    holding = [mu.sites[leg]] + [g.hold for g in segs[1:]]
    names = [data.cp_name(g.a) for g in segs]
    # whole seconds: each entry is rounded up before the next segment is fitted from it
    fit = fit_segments(state, pieces, t, float(p), len(mu.vehicles), mu.id, holding, names, whole=True)
    if any(math.isinf(e) for e in fit.entries):
        msg = f"march unit {mu.id}: its route is closed until further notice"
        raise InfeasibleError(msg)
    entries = [int(e) for e in fit.entries]
    if commit:
        state.commit(mu.id, pieces, fit, float(p), len(mu.vehicles))
    return entries, entries[-1] + segs[-1].drive, pieces, fit


def _serial(
    data: _Data, problem: MarchProblem, order: Sequence[MarchUnit], choice: Mapping[tuple[str, int], int]
) -> _Solution:
    """First fit of the march units in ``order`` on the model's segments and halts."""
    state = _state(data, problem)
    ledger = MarshallingLedger(problem)
    entry: dict[tuple[str, int, int], int] = {}
    arrive: dict[tuple[str, int], int] = {}
    ready_at: dict[str, int] = {}
    closure: dict[str, float] = {}
    for mu in order:
        ready = problem.het_ready_s(mu, closure)  # a HET column waits for its HETs (het_turnaround)
        t = float(mu.release_s) if ready <= mu.release_s else float(math.ceil(ready))
        ashore = math.floor(mu.first_ashore_s)
        pause = ledger.delay_s(mu, ashore)  # discharge pauses while the marshalling area is full
        if math.isinf(pause):
            raise problem.marshalling_oversized() or InfeasibleError(f"{mu.id}: no marshalling room")
        pause = math.ceil(pause - 1e-9)
        if mu.id in ledger.site:
            ready_at[mu.id] = int(mu.release_s) + pause
            t = max(t, float(ready_at[mu.id]))
        p = data.pass_s[mu.id]
        # a column bound for a full staging area starts later, as the greedy's (staging_capacity)
        for _ in range(_MAX_STAGING_TRIES):
            legs: list[tuple[list[int], int, list[Piece], Fit]] = []
            stays: list[tuple[str, float, float]] = []
            t_leg = t
            for leg in range(len(mu.sites) - 1):
                entries, end, pieces, fit = _fit_leg(
                    state, data, mu, leg, choice[(mu.id, leg)], t_leg, commit=False
                )
                if leg > 0 and mu.sites[leg] in problem.rules.staging_capacity:
                    stays.append((mu.sites[leg], legs[-1][1], entries[0] + p))
                legs.append((entries, end, pieces, fit))
                t_leg = float(end) + (p + mu.dwell_s[leg] if leg < len(mu.sites) - 2 else 0.0)
            late = _staging_delay(state, problem.rules, stays, len(mu.vehicles))
            if late is None:
                break
            t = max(t, float(legs[0][0][0])) + math.ceil(late)  # it leaves that much later than it did
        for leg, (entries, end, pieces, fit) in enumerate(legs):
            state.commit(mu.id, pieces, fit, float(p), len(mu.vehicles))
            if leg == 0:
                ledger.place(mu, ashore + pause, entries[0] + p, pause)
            entry.update({(mu.id, leg, s): e for s, e in enumerate(entries)})
            arrive[(mu.id, leg)] = end
        for site, a, b in stays:
            state.held[site].append((a, b, len(mu.vehicles)))
        closure[mu.id] = float(arrive[(mu.id, len(mu.sites) - 2)] + p)
    return _Solution(dict(choice), entry, arrive, ready_at)


def _closure(data: _Data, sol: _Solution, mu: MarchUnit) -> int:
    return sol.arrive[(mu.id, len(mu.sites) - 2)] + data.pass_s[mu.id]


@dataclass
class _Bounds:
    alone: float
    critical: str
    queue: float
    queue_at: str
    per_unit: dict[str, float]


def _bounds(data: _Data, problem: MarchProblem) -> _Bounds:
    """Two lower bounds on the road closure.

    *Alone*: each march unit by itself, leg by leg on its best candidate (earliest
    arrival is monotone in the departure, so leg by leg is exact), with the window,
    closures and halts. *Queue*: on each segment that every candidate of a leg
    uses, the columns enter one at a time (pass time plus headway each); for the
    columns whose earliest entry (head) is at or after a time ρ, the last entry
    starts no earlier than ρ plus their occupancy minus the largest one, packed
    into the entry times the window allows, and is followed by the shortest tail
    (remaining drive, halts, pass time and later legs without any waiting).
    """
    alone, critical = 0.0, ""
    per_unit: dict[str, float] = {}
    jobs: dict[tuple[int, int], list[tuple[float, int, float, list[tuple[int, int]]]]] = defaultdict(list)
    for mu in data.units:
        p = data.pass_s[mu.id]
        legs = len(mu.sites) - 1
        # shortest remaining time from the start of each leg to the closure, no waiting
        leg_min = [
            min(sum(g.drive + g.halt for g in o.segs) for o in data.options[(mu.id, leg)])
            for leg in range(legs)
        ]
        after = [0.0] * legs
        for leg in range(legs - 2, -1, -1):
            after[leg] = after[leg + 1] + p + mu.dwell_s[leg] + leg_min[leg + 1]
        t = float(mu.release_s)
        for leg in range(legs):
            runs = [
                _fit_leg(_state(data, problem), data, mu, leg, o, t)
                for o in range(len(data.options[(mu.id, leg)]))
            ]
            keys = [{(g.a, g.b): i for i, g in enumerate(o.segs)} for o in data.options[(mu.id, leg)]]
            forced = set.intersection(*(set(k) for k in keys))
            for key in forced:
                head = min(run[0][k[key]] for run, k in zip(runs, keys, strict=True))
                tail = (
                    min(
                        sum(
                            g.drive + (g.halt if i > k[key] else 0)
                            for i, g in enumerate(o.segs)
                            if i >= k[key]
                        )
                        for o, k in zip(data.options[(mu.id, leg)], keys, strict=True)
                    )
                    + p
                    + after[leg]
                )
                dom = [d for o, k in enumerate(keys) for d in data.domains[(mu.id, leg, o, k[key])]]
                jobs[key].append((head, p + data.headway, tail, dom))
            t = min(run[1] for run in runs)
            if leg < legs - 1:
                t += p + mu.dwell_s[leg]
        per_unit[mu.id] = t + p
        if t + p > alone:
            alone, critical = t + p, mu.id
    queue, where = 0.0, ""
    for key, js in jobs.items():
        if len(js) < 2:
            continue
        spans = Intervals([sp for j in js for sp in j[3]]).spans
        js.sort(key=lambda j: j[0])
        work, o_max, q_min = 0.0, 0.0, math.inf
        for rho, occ, tail, _ in reversed(js):  # ρ = each head, from the latest
            work += occ
            o_max = max(o_max, occ)
            q_min = min(q_min, tail)
            left = work
            for lo, hi in spans:
                if hi < rho:
                    continue
                start = max(lo, rho)
                cap = hi - start + o_max
                if left <= cap:
                    lb = start + left - o_max + q_min
                    if lb > queue:
                        queue, where = lb, f"{data.cp_name(key[0])} -> {data.cp_name(key[1])}"
                    break
                left -= cap
    return _Bounds(alone, critical, queue, where, per_unit)


# --------------------------------------------------------------------------- model


@dataclass
class _Vars:
    choice: dict[tuple[str, int, int], cp_model.IntVar]
    entry: dict[tuple[str, int, int, int], cp_model.IntVar]
    arrive: dict[tuple[str, int], cp_model.IntVar]
    depart: dict[tuple[str, int], cp_model.IntVar]
    closure: dict[str, cp_model.IntVar]
    makespan: cp_model.IntVar
    lateness: dict[str, cp_model.IntVar]
    ready: dict[str, cp_model.IntVar]


_Users = dict[tuple[int, int], list[tuple[cp_model.IntVar, int, int, cp_model.IntVar, str]]]
"""Per segment and direction: each candidate's entry, drive time, pass time, choice and march unit."""
_Held = dict[str, list[tuple[cp_model.IntervalVar, int]]]
"""Per place with a capacity (site id): each stay there (interval) and its vehicles."""
_Holds = dict[str, list[tuple[cp_model.IntVar, cp_model.LinearExprT, cp_model.IntVar, bool]]]
"""Per guarded bridge (both directions): each candidate's entry on it, its tail's exit from it
(the end of the last segment it holds the bridge on, plus its pass time), choice and whether it
crosses under caution."""


def _option(
    m: cp_model.CpModel,
    data: _Data,
    mu: MarchUnit,
    leg: int,
    o: int,
    x: cp_model.IntVar,
    ends: tuple[cp_model.IntVar, cp_model.IntVar],
    entry: dict[tuple[str, int, int, int], cp_model.IntVar],
    users: _Users,
    held: _Held,
    holds: _Holds,
) -> None:
    """Entries of one candidate route's segments, chained by drive and halt, enforced when chosen.

    On the way a column waits at most ``wait_max`` at a control point; at a holding place with a
    capacity it may hold longer, and then its vehicles take room there from its head's arrival
    to its tail's departure (an optional interval in the site's cumulative, ``holds``). A guarded
    bridge is held from the entry of its first segment to the tail's exit of its last
    (``caution_crossing``).
    """
    dep, arr = ends
    p = data.pass_s[mu.id]
    if (mu.id, leg, o) in data.not_before:  # permission: wait at the leg's start, arrive when permitted
        m.add(dep >= data.not_before[(mu.id, leg, o)]).only_enforce_if(x)
    prev = None
    on_bridge: dict[str, list[Any]] = {}  # bridge -> [entry of its first segment, exit expression, caution]
    for s, seg in enumerate(data.options[(mu.id, leg)][o].segs):
        dom = cp_model.Domain.from_intervals([list(iv) for iv in data.domains[(mu.id, leg, o, s)]])
        e = m.new_int_var_from_domain(dom, f"e[{mu.id},{leg},{o},{s}]")
        entry[(mu.id, leg, o, s)] = e
        if prev is None:
            m.add(e == dep).only_enforce_if(x)
        else:
            reach = prev[0] + prev[1]
            m.add(e >= reach + seg.halt).only_enforce_if(x)
            if seg.hold is None:  # no hold on the road
                m.add(e <= reach + seg.halt + data.wait_max).only_enforce_if(x)
            elif seg.hold in data.capacity:  # a hold (a rest between duties too) takes room at its place
                y = m.new_bool_var(f"hold[{mu.id},{leg},{o},{s}]")
                m.add_implication(y, x)
                if seg.halt > data.wait_max:
                    m.add_implication(x, y)
                m.add(e <= reach + seg.halt + data.wait_max).only_enforce_if([x, ~y])
                size = m.new_int_var(0, 2 * data.horizon, "")
                iv = m.new_optional_interval_var(reach, size, e + p, y, f"held[{mu.id},{seg.hold}]")
                held[seg.hold].append((iv, len(mu.vehicles)))
        prev = (e, seg.drive)
        users[(seg.a, seg.b)].append((e, seg.drive, p, x, mu.id))
        for label, caution in seg.bridges:  # a bridge over several segments is held from the first
            first = on_bridge.get(label)
            on_bridge[label] = [
                e if first is None else first[0],
                e + seg.drive + p,
                caution or bool(first and first[2]),
            ]
    for label, (start, end, caution) in on_bridge.items():
        holds[label].append((start, end, x, caution))
    assert prev is not None
    m.add(arr == prev[0] + prev[1]).only_enforce_if(x)


@dataclass
class _LegVars:
    choice: dict[tuple[str, int, int], cp_model.IntVar] = field(default_factory=dict)
    entry: dict[tuple[str, int, int, int], cp_model.IntVar] = field(default_factory=dict)
    arrive: dict[tuple[str, int], cp_model.IntVar] = field(default_factory=dict)
    depart: dict[tuple[str, int], cp_model.IntVar] = field(default_factory=dict)
    closure: dict[str, cp_model.IntVar] = field(default_factory=dict)
    held: _Held = field(default_factory=lambda: defaultdict(list))
    ready: dict[str, cp_model.IntVar] = field(default_factory=dict)


def _legs(m: cp_model.CpModel, data: _Data) -> tuple[_LegVars, _Users, _Holds]:
    """Variables of every leg: route choice, segment entries, arrival, departure, and closures."""
    hz = data.horizon
    v = _LegVars()
    users: _Users = defaultdict(list)
    holds: _Holds = defaultdict(list)
    marshalled = {mu_id for items in data.marshalled.values() for mu_id, *_ in items}
    for mu in data.units:
        p = data.pass_s[mu.id]
        for leg in range(len(mu.sites) - 1):
            opts = data.options[(mu.id, leg)]
            arr = m.new_int_var(int(mu.release_s), hz, f"arr[{mu.id},{leg}]")
            dep = m.new_int_var(int(mu.release_s), hz, f"dep[{mu.id},{leg}]")
            v.arrive[(mu.id, leg)], v.depart[(mu.id, leg)] = arr, dep
            lits = []
            for o in range(len(opts)):
                x = m.new_bool_var(f"x[{mu.id},{leg},{o}]") if len(opts) > 1 else m.new_constant(1)
                v.choice[(mu.id, leg, o)] = x
                lits.append(x)
                _option(m, data, mu, leg, o, x, (dep, arr), v.entry, users, v.held, holds)
            if len(lits) > 1:
                m.add_exactly_one(lits)
            if leg == 0 and mu.id in marshalled:  # its last vehicle ashore, after any pause (marshalling)
                ready = m.new_int_var(int(mu.release_s), hz, f"ready[{mu.id}]")
                v.ready[mu.id] = ready
                m.add(dep >= ready)
            elif leg == 0:
                m.add(dep >= int(mu.release_s))
            else:
                m.add(dep >= v.arrive[(mu.id, leg - 1)] + p + math.ceil(mu.dwell_s[leg - 1]))
        c = m.new_int_var(0, hz + p, f"closure[{mu.id}]")
        m.add(c == v.arrive[(mu.id, len(mu.sites) - 2)] + p)
        v.closure[mu.id] = c
    return v, users, holds


def _deconflict(m: cp_model.CpModel, data: _Data, users: _Users) -> None:
    """On each segment and direction, the columns' entry intervals do not overlap (headway, no overtaking)."""
    h = data.headway
    for items in users.values():
        if len(items) < 2:
            continue
        # a column slower on this segment than the fastest one pads its entry interval by the
        # difference, so that whoever enters first also leaves first (no overtaking)
        fastest = min(d for _, d, _, _, _ in items)
        ivs = [
            m.new_optional_fixed_size_interval_var(e, p + h + d - fastest, x, f"in[{mu}]")
            for e, d, p, x, mu in items
        ]
        m.add_no_overlap(ivs)


def _bridges(m: cp_model.CpModel, data: _Data, holds: _Holds) -> None:
    """On each guarded bridge, in both directions, no column while another crosses it under caution.

    Each column's interval is its whole time on the bridge's segment plus the headway, from its
    entry. When every user crosses under caution the intervals do not overlap; otherwise a
    cumulative of capacity the number of other users, where a caution crossing takes it all
    and any other column one unit (columns within the two-way class share the bridge).
    """
    h = data.headway
    for label, items in sorted(holds.items()):
        if len(items) < 2 or not any(c for *_, c in items):
            continue
        ivs = [
            m.new_optional_interval_var(
                start, m.new_int_var(0, data.horizon, ""), end + h, x, f"bridge[{label}]"
            )
            for start, end, x, _ in items
        ]
        normal = sum(1 for *_, c in items if not c)
        if normal == 0:
            m.add_no_overlap(ivs)
        else:
            m.add_cumulative(ivs, [normal if c else 1 for *_, c in items], normal)


def _het_chains(m: cp_model.CpModel, data: _Data, v: _LegVars) -> None:
    """Hold each HET column until its HETs are off their previous column and back (``het_turnaround``)."""
    for b, after in data.het_after.items():
        for a, gap in after:
            m.add(v.depart[(b, 0)] >= v.closure[a] + gap)


def _staging(m: cp_model.CpModel, data: _Data, v: _LegVars) -> None:
    """Capacity over time of staging areas and holding places: vehicles held from arrival to departure.

    A staging area holds the columns that dwell there and those held there on the way (``holds``).
    """
    hz = data.horizon
    held: dict[str, tuple[list[cp_model.IntervalVar], list[int]]] = defaultdict(lambda: ([], []))
    for site, stays in v.held.items():
        for iv, n in stays:
            held[site][0].append(iv)
            held[site][1].append(n)
    for mu in data.units:
        for leg in range(len(mu.sites) - 2):
            site = mu.sites[leg + 1]
            if site not in data.capacity:
                continue
            start = v.arrive[(mu.id, leg)]
            end = v.depart[(mu.id, leg + 1)] + data.pass_s[mu.id]
            size = m.new_int_var(0, 2 * hz, "")
            iv = m.new_interval_var(start, size, end, f"held[{mu.id},{site}]")
            held[site][0].append(iv)
            held[site][1].append(len(mu.vehicles))
    for site, (ivs, demand) in held.items():
        m.add_cumulative(ivs, demand, data.capacity[site])


def _marshalling(m: cp_model.CpModel, data: _Data, v: _LegVars) -> None:
    """Marshalling areas: discharge pauses never decrease, and the room held until each column has left."""
    hz = data.horizon
    for site, items in data.marshalled.items():
        for (a, ra, _, _), (b, rb, _, _) in itertools.pairwise(items):
            m.add(v.ready[b] - rb >= v.ready[a] - ra - data.berths_idle.get(b, 0))
        ivs, demand = [], []
        for mu_id, release, ashore, d in items:
            start = v.ready[mu_id] - (release - ashore)
            end = v.depart[(mu_id, 0)] + data.pass_s[mu_id]
            size = m.new_int_var(0, 2 * hz, "")
            ivs.append(m.new_interval_var(start, size, end, f"ashore[{mu_id},{site}]"))
            demand.append(d)
        m.add_cumulative(ivs, demand, data.marshalling_capacity[site])


def _objectives(
    m: cp_model.CpModel, data: _Data, v: _LegVars
) -> tuple[cp_model.IntVar, dict[str, cp_model.IntVar]]:
    """Build the road closure (makespan) and each unit's lateness against its RDD."""
    hz = data.horizon
    makespan = m.new_int_var(0, 2 * hz, "makespan")
    m.add_max_equality(makespan, list(v.closure.values()))
    lateness: dict[str, cp_model.IntVar] = {}
    for unit, mus in itertools.groupby(sorted(data.units, key=lambda u: u.unit), key=lambda u: u.unit):
        road = [mu for mu in mus if mu.purpose == "road"]
        if not road:
            continue
        late = m.new_int_var(0, 2 * hz, f"late[{unit}]")
        for mu in road:
            m.add(late >= v.closure[mu.id] - int(mu.rdd_s))
        lateness[unit] = late
    return makespan, lateness


def _model(data: _Data) -> tuple[cp_model.CpModel, _Vars]:
    """Build the model: legs, deconfliction, caution bridges, HET chains, staging, then the objectives."""
    m = cp_model.CpModel()
    v, users, holds = _legs(m, data)
    _deconflict(m, data, users)
    _bridges(m, data, holds)
    _het_chains(m, data, v)
    _staging(m, data, v)
    _marshalling(m, data, v)
    makespan, lateness = _objectives(m, data, v)
    return m, _Vars(v.choice, v.entry, v.arrive, v.depart, v.closure, makespan, lateness, v.ready)


def _values(v: _Vars, data: _Data, mu: MarchUnit, sol: _Solution) -> Iterator[tuple[cp_model.IntVar, int]]:
    """Each variable of a march unit with its value in ``sol``: route choice, entries, arrivals, closure."""
    for leg in range(len(mu.sites) - 1):
        c = sol.choice[(mu.id, leg)]
        n_opts = len(data.options[(mu.id, leg)])
        for o in range(n_opts if n_opts > 1 else 0):  # a single candidate is a constant
            yield v.choice[(mu.id, leg, o)], int(o == c)
        for s in range(len(data.options[(mu.id, leg)][c].segs)):
            yield v.entry[(mu.id, leg, c, s)], sol.entry[(mu.id, leg, s)]
        yield v.arrive[(mu.id, leg)], sol.arrive[(mu.id, leg)]
        yield v.depart[(mu.id, leg)], sol.entry[(mu.id, leg, 0)]
    yield v.closure[mu.id], _closure(data, sol, mu)
    if mu.id in v.ready:
        yield v.ready[mu.id], sol.ready[mu.id]


def _hint(m: cp_model.CpModel, v: _Vars, data: _Data, sol: _Solution) -> None:
    m.clear_hints()  # type: ignore[no-untyped-call]  # OR-Tools leaves this method unannotated
    for mu in data.units:
        for var, value in _values(v, data, mu, sol):
            m.add_hint(var, value)


def _extract(solver: cp_model.CpSolver, v: _Vars, data: _Data) -> _Solution:
    choice, entry, arrive = {}, {}, {}
    ready = {mu_id: int(solver.value(var)) for mu_id, var in v.ready.items()}
    for mu in data.units:
        for leg in range(len(mu.sites) - 1):
            opts = data.options[(mu.id, leg)]
            c = next(o for o in range(len(opts)) if solver.boolean_value(v.choice[(mu.id, leg, o)]))
            choice[(mu.id, leg)] = c
            for s in range(len(opts[c].segs)):
                entry[(mu.id, leg, s)] = int(solver.value(v.entry[(mu.id, leg, c, s)]))
            arrive[(mu.id, leg)] = int(solver.value(v.arrive[(mu.id, leg)]))
    return _Solution(choice, entry, arrive, ready)


def _tighten_ready(data: _Data, sol: _Solution) -> None:
    """Pause each discharge no longer than the marshalling areas need, the departures held (in place).

    Nothing in the objective asks for short pauses, so the solver may report a march unit's
    last vehicle ashore later than it need be. In the order they come ashore, each march unit's
    pause becomes the least that the pause before it allows (less the berths' idle time) and
    that keeps its room free of the others' (as they stand) until its tail has left; never
    more than the solver's.
    """
    for site, items in data.marshalled.items():
        start = {mu: sol.ready[mu] - (release - ashore) for mu, release, ashore, _ in items}
        end = {mu: sol.entry[(mu, 0, 0)] + data.pass_s[mu] for mu, *_ in items}
        demand = {mu: d for mu, _, _, d in items}
        pause = 0
        for mu, release, ashore, d in items:
            others = [(start[o], end[o], demand[o]) for o, *_ in items if o != mu]
            room = data.marshalling_capacity[site] - d
            floor = max(0, pause - data.berths_idle.get(mu, 0))
            fit = earliest_room(others, float(ashore + floor), room, float(end[mu]))
            ready = min(sol.ready[mu], release + math.ceil(fit - ashore - 1e-9))
            sol.ready[mu] = ready
            start[mu] = ready - (release - ashore)
            pause = ready - release


def _solver(det_s: float, wall_s: float, seed: int, gap: float) -> cp_model.CpSolver:
    solver = cp_model.CpSolver()
    solver.parameters.relative_gap_limit = gap
    solver.parameters.max_deterministic_time = max(det_s, 0.1)
    solver.parameters.max_time_in_seconds = max(wall_s, 0.1)  # the guard: the user's limit is wall time
    solver.parameters.num_workers = 2
    solver.parameters.interleave_search = True
    solver.parameters.random_seed = seed
    return solver


class _Progress(cp_model.CpSolverSolutionCallback):
    """Report each incumbent with the solver's bound and the gap, as the search finds them."""

    def __init__(self, report: Callable[[str], None] | None, phase: str, floor: float) -> None:
        super().__init__()
        self.report, self.phase, self.floor = report, phase, floor

    def on_solution_callback(self) -> None:
        best, bound = self.objective_value, max(self.best_objective_bound, self.floor)
        gap = 0.0 if best <= 0 else max(0.0, (best - bound) / best)
        if self.phase == "closure":
            what = f"closure {best / 3600:.2f} h, bound {bound / 3600:.2f} h"
        else:
            what = f"lateness and closures {best:.0f}, bound {bound:.0f}"
        line = f"road (cp-sat): {what}, gap {100 * gap:.2f} %"
        logger.info("%s (%.1f s)", line, self.wall_time)
        if self.report is not None:
            self.report(line)


def _stopped_by_clock(solver: cp_model.CpSolver, det_s: float, status: Any) -> bool:
    """Whether the wall-clock guard, not the deterministic limit, ended a solve (the plan may vary)."""
    if status == cp_model.OPTIMAL:
        return False
    return bool(solver.response_proto.deterministic_time < 0.98 * max(det_s, 0.1))


# --------------------------------------------------------------------------- rolling horizon

ROLLING_FROM = 60
"""March units from which the road step optimises in rolling windows rather than in one solve."""
WINDOW = 40
"""March units freed in each window of the rolling horizon (the rest fixed at the incumbent)."""
STRIDE = 30
"""March units the window moves on by: consecutive windows share ``WINDOW - STRIDE`` march units."""
WINDOW_DET_S = 1.0
"""Deterministic time of one window's solve."""
WINDOW_WALL_S = 6.0
"""Wall time one window may take (its sub-problem built and solved with :data:`WINDOW_DET_S`) on
the reference machine (2 cores, idle): on the packaged division, 3.3-5.5 s a window."""
ROLLING_SHARE = 0.75
"""Share of the road step's budget the rolling horizon's windows are sized for (the rest: the
baseline, the candidate routes, the first fit and the bounds)."""


def _score(data: _Data, sol: _Solution) -> tuple[float, float, float]:
    """Score a model solution as :func:`_key` scores a schedule."""
    return _key(data.units, {mu.id: float(_closure(data, sol, mu)) for mu in data.units})


def _windows(data: _Data, sol: _Solution) -> list[list[str]]:
    """Cut the march units, by departure in ``sol``, into the rolling horizon's windows."""
    order = [mu.id for mu in sorted(data.units, key=lambda u: (sol.entry[(u.id, 0, 0)], u.id))]
    out = []
    for i in range(0, len(order), STRIDE):
        out.append(order[i : i + WINDOW])
        if i + WINDOW >= len(order):
            break
    return out


def _fix(m: cp_model.CpModel, var: cp_model.IntVar, value: int) -> None:
    """Fix a variable to a value by narrowing its domain in the model."""
    dom = m.proto.variables[var.index].domain
    dom.clear()
    dom.extend([value, value])


def _cap(m: cp_model.CpModel, var: cp_model.IntVar, hi: int) -> None:
    """Keep a variable of one interval's domain (e.g. a closure) at most ``hi``."""
    dom = m.proto.variables[var.index].domain
    lo, top = dom[0], dom[len(dom) - 1]
    dom.clear()
    dom.extend([lo, min(top, hi)])


def _fix_unit(m: cp_model.CpModel, v: _Vars, data: _Data, mu: MarchUnit, sol: _Solution) -> None:
    """Fix a march unit's route choice and times to ``sol``'s."""
    for var, value in _values(v, data, mu, sol):
        _fix(m, var, value)


def _span(data: _Data, sol: _Solution, mu: MarchUnit) -> tuple[int, int]:
    """When a march unit takes room in ``sol``: from its first vehicle ashore (or release) to its closure."""
    start = min(math.floor(mu.first_ashore_s), int(mu.release_s), sol.entry[(mu.id, 0, 0)])
    return start, _closure(data, sol, mu)


def _neighbourhood(data: _Data, sol: _Solution, free: set[str]) -> tuple[_Data, int]:
    """Cut out the sub-problem of a window: its march units, and every other one they could meet, fixed.

    The free march units keep their closures within ``[lo, hi]``, the span of their rooms in
    ``sol``; every march unit that takes room within that span is in the sub-problem (fixed),
    and so are the columns a free column's HETs come off or go on to, and the march units
    between them in each marshalling area's order (with the one before the first), so that
    every rule a free march unit takes part in is in the sub-problem as in the whole.
    """
    spans = {mu.id: _span(data, sol, mu) for mu in data.units}
    lo = min(spans[i][0] for i in free)
    hi = max(spans[i][1] for i in free)
    keep = set(free) | {i for i, (a, b) in spans.items() if a < hi and b > lo}
    for b, after in data.het_after.items():
        sources = {a for a, _ in after}
        if b in free:
            keep |= sources
        if sources & free:
            keep.add(b)
    for items in data.marshalled.values():
        idx = [k for k, item in enumerate(items) if item[0] in keep]
        if idx:
            keep |= {items[k][0] for k in range(max(0, idx[0] - 1), idx[-1] + 1)}
    sub = dataclasses.replace(
        data,
        units=[mu for mu in data.units if mu.id in keep],
        marshalled={
            site: [item for item in items if item[0] in keep]
            for site, items in data.marshalled.items()
            if any(item[0] in keep for item in items)
        },
        het_after={
            b: [(a, g) for a, g in after if a in keep] for b, after in data.het_after.items() if b in keep
        },
    )
    return sub, hi


def _rolling(
    data: _Data,
    start: _Solution,
    floors: Mapping[str, float],
    budget_s: float,
    deadline: float,
    seed: int,
    progress: Callable[[str], None] | None,
    bound_s: float = 0.0,
) -> tuple[_Solution, bool, int]:
    """Improve a model solution window by window (a rolling horizon); return it, the clock flag, windows.

    Each window frees ``WINDOW`` march units, in order of departure, in a sub-problem that
    holds every march unit they could meet, fixed at the incumbent (:func:`_neighbourhood`),
    and minimises lateness (weighted by the number of march units) plus the sum of the
    columns' closures, each free column closing no later than the window's span. The
    incumbent is a solution of the whole model, so each window starts from a feasible,
    complete hint, and a window's plan is kept only when the whole flow's closure, lateness
    and sum of closures are no worse.

    Determinism: how many windows run is sized from the budget alone (``budget_s *
    ROLLING_SHARE / WINDOW_WALL_S``, spread evenly over the flow when fewer than all), and
    each has the deterministic limit :data:`WINDOW_DET_S`, so the same inputs, seed and
    budget give the same plan on a machine as fast as the calibration's; the wall clock only
    guards, each window getting its share of the wall time left. ``floors`` are our own
    bounds of each march unit's closure.
    """
    best = start
    windows = _windows(data, best)
    room = max(1, int(budget_s * ROLLING_SHARE // WINDOW_WALL_S))
    if room < len(windows):  # spread over the flow: the first, the last and evenly between
        picks = sorted({round(i * (len(windows) - 1) / max(1, room - 1)) for i in range(room)})
        windows = [windows[i] for i in picks]
    per = WINDOW_DET_S * DET_PER_WALL_S
    clock = False
    for k, ids in enumerate(windows, 1):
        # each window's wall guard is its share of what is left: one hard window cannot take it all
        left = (deadline - time.perf_counter()) / (len(windows) - k + 1)
        if left <= 0.05:
            clock = True
            break
        free = set(ids)
        sub, hi = _neighbourhood(data, best, free)
        m, v = _model(sub)
        for mu in sub.units:
            if mu.id in free:
                m.add(v.closure[mu.id] >= math.floor(floors.get(mu.id, 0.0)))
                _cap(m, v.closure[mu.id], hi)
            else:
                _fix_unit(m, v, sub, mu, best)
        _hint(m, v, sub, best)
        n = len(sub.units)
        m.minimize(sum(v.lateness.values()) * (n + 1) + sum(v.closure.values()))
        solver = _solver(per, left, seed + k, SECOND_GAP / 4)
        st = solver.solve(m)
        clock = clock or _stopped_by_clock(solver, per, st)
        logger.debug(
            "rolling window %d: %s, %.2f deterministic s of %.2f, %.1f wall s of %.1f",
            k,
            solver.status_name(st),
            solver.response_proto.deterministic_time,
            per,
            solver.wall_time,
            left,
        )
        if st in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            got = _extract(solver, v, sub)
            cand = _Solution(
                {**best.choice, **got.choice},
                {key: e for key, e in best.entry.items() if key[0] not in free} | got.entry,
                {**best.arrive, **got.arrive},
                {**best.ready, **got.ready},
            )
            if _score(data, cand) <= _score(data, best):
                best = cand
        if progress is not None:
            c, late, _ = _score(data, best)
            gap = max(0.0, (c - bound_s) / c) if c > 0 else 0.0
            progress(
                f"road (cp-sat, rolling horizon): window {k}/{len(windows)}, closure {c / 3600:.2f} h, "
                f"bound {bound_s / 3600:.2f} h, gap {100 * gap:.2f} %, lateness {late / 3600:.1f} h"
            )
    return best, clock, len(windows)


# --------------------------------------------------------------------------- extract rows


def _rows(
    data: _Data, sol: _Solution
) -> tuple[list[MarchRow], dict[tuple[str, int], Route], dict[str, float]]:
    """March table rows (as the greedy writes them), chosen routes and closures."""
    rows: list[MarchRow] = []
    routes: dict[tuple[str, int], Route] = {}
    closure: dict[str, float] = {}

    def cp(node: int) -> str:
        return data.cp_name(node)

    for mu in data.units:
        p = float(data.pass_s[mu.id])
        seq, km = 0, 0.0
        t = float(sol.ready.get(mu.id, mu.release_s))  # after any pause for a full marshalling area
        common = (mu.id, mu.unit, mu.serial, len(mu.vehicles))
        for leg in range(len(mu.sites) - 1):
            opt = data.options[(mu.id, leg)][sol.choice[(mu.id, leg)]]
            routes[(mu.id, leg)] = opt.route
            for s, seg in enumerate(opt.segs):
                e = float(sol.entry[(mu.id, leg, s)])
                if s == 0:
                    kind = "start" if leg == 0 else "staging"
                else:  # a wait longer than the road limit is a hold (at a holding place)
                    kind = "hold" if e - t > data.wait_max else ("halt" if seg.halt else "cp")
                rows.append(
                    MarchRow(
                        *common, leg=leg + 1, seq=seq, control_point=cp(seg.a), kind=kind, node=seg.a,
                        km=round(km / 1000.0, 2), arrive_s=t, depart_s=e, pass_s=p, halt_s=float(seg.halt),
                        wait_s=max(0.0, e - t - seg.halt), caution=seg.notes, next_control_point=cp(seg.b),
                        speed_kmh=round(seg.speed, 1), caution_s=seg.caution_s,
                    )
                )  # fmt: skip
                seq += 1
                km += float(data.lengths[list(seg.edges)].sum())
                t = e + seg.drive
            end_kind = "staging_arrive" if leg < len(mu.sites) - 2 else data.end_kind[mu.id]
            rows.append(
                MarchRow(
                    *common, leg=leg + 1 if end_kind == "staging_arrive" else len(mu.sites) - 1, seq=seq,
                    control_point=mu.sites[leg + 1], kind=end_kind, node=opt.segs[-1].b,
                    km=round(km / 1000.0, 2), arrive_s=t, depart_s=t, pass_s=p, halt_s=0.0, wait_s=0.0,
                    caution="", next_control_point="", speed_kmh=round(mu.profile.speed_kmh, 1),
                )
            )  # fmt: skip
            seq += 1
        closure[mu.id] = t + p
    return rows, routes, closure


# --------------------------------------------------------------------------- public


def _binding(close: float, bounds: _Bounds) -> str:
    """Say what sets the road closure, from the bounds that come nearest it."""
    if close <= bounds.alone + 1:
        return (
            f"march unit {bounds.critical}: its release from reception, its crossing permission and its "
            "route alone (movement window and halts) set the closure"
        )
    if bounds.queue >= bounds.alone:
        return (
            f"road capacity at {bounds.queue_at}: the columns must pass it one after another "
            "(pass time plus headway) within the movement window"
        )
    return "road capacity: columns queue for shared segments (headway and pass times)"


def _first_choice(data: _Data, problem: MarchProblem, baseline: MarchSchedule) -> dict[tuple[str, int], int]:
    """Each leg's candidate that the baseline drove (the first candidate when it is not one)."""
    first = {(mu.id, leg): 0 for mu in problem.units for leg in range(len(mu.sites) - 1)}
    for (mu_id, leg), r in baseline.routes.items():
        opts = data.options.get((mu_id, leg), [])
        for o, opt in enumerate(opts):
            if opt.route.edges == r.edges:
                first[(mu_id, leg)] = o
    return first


def _lateness(units: Sequence[MarchUnit], closure: Mapping[str, float]) -> float:
    """Total lateness (s) against the RDDs as the second solve weighs it: per unit, its latest road column."""
    late: dict[str, float] = defaultdict(float)
    for mu in units:
        if mu.purpose == "road" and mu.id in closure:
            late[mu.unit] = max(late[mu.unit], closure[mu.id] - int(mu.rdd_s))
    return sum(late.values())


def _key(units: Sequence[MarchUnit], closure: Mapping[str, float]) -> tuple[float, float, float]:
    """Score a schedule lexicographically: closure, lateness, sum of the columns' closures (s)."""
    return max(closure.values()), _lateness(units, closure), sum(closure.values())


TIE_S = 60.0
"""Closures and lateness are compared to the minute, the resolution a march table is read at (its DTG)."""


def _worse(
    problem: MarchProblem, close: float, closure: Mapping[str, float], baseline: MarchSchedule
) -> bool:
    """Whether a schedule is worse than the baseline: closure, lateness, then the columns' closures.

    The force's closure and each unit's lateness are compared to the minute (:data:`TIE_S`),
    which also absorbs the model's whole-second rounding; the sum of the columns' closures
    decides a tie.
    """
    base_close = max(baseline.closure_s.values())
    if abs(close - base_close) > TIE_S:
        return close > base_close
    mine, base = _lateness(problem.units, closure), _lateness(problem.units, baseline.closure_s)
    units = len({mu.unit for mu in problem.units})
    if abs(mine - base) > TIE_S * units:
        return mine > base
    return sum(closure.values()) > sum(baseline.closure_s.values())


def optimise_march(
    problem: MarchProblem,
    router: Router,
    *,
    alternatives: int = DEFAULT_ALTERNATIVES,
    time_limit_s: float = 30.0,
    seed: int = 0,
    baseline: MarchSchedule | None = None,
    started_s: float | None = None,
    progress: Callable[[str], None] | None = None,
) -> MarchSchedule:
    """Deconflicted march table with route choice (CP-SAT), warm-started from the greedy baseline.

    Never worse than the baseline: when the solver's plan is worse (closure, then lateness,
    then the columns' closures), the baseline is returned, with the bound and gap.

    Parameters
    ----------
    problem
        The march units (release times from reception, sites, dwell, RDD, profile),
        their sites' road nodes and the rules.
    router
        Road router of the problem's network.
    alternatives
        Candidate corridors per leg (1: the fastest route only).
    time_limit_s
        Wall time of the road step (s), counted from ``started_s``: the baseline, the
        model and both solves. How the plan stays the same within it: see :data:`SOLVE_SHARE`.
    seed
        Solver seed.
    baseline
        The greedy schedule of the same problem (computed when not given).
    started_s
        ``time.perf_counter()`` when the road step began (now when not given).
    progress
        Called with a line on each incumbent (closure or lateness, bound, gap).

    Returns
    -------
    MarchSchedule
        With ``method`` ``"cp-sat"`` (or the baseline's, when the solver's plan is
        worse), ``status`` (``"optimal"``, ``"feasible"``, or ``"timed out"`` with the
        baseline kept), the solver's and our own bound on the closure, the gap, the
        baseline's closure, the binding constraint and whether the wall clock cut a solve
        (``clock_stopped``: then the same inputs may give another plan).

    Raises
    ------
    InfeasibleError
        When a column cannot move at all (every route closed for good, a segment
        longer than the window) or the staging areas cannot hold a march unit.
    RoutingError
        When a march unit has no route under its restrictions.
    """
    t0 = time.perf_counter()
    deadline = (t0 if started_s is None else started_s) + time_limit_s
    det_budget = time_limit_s * SOLVE_SHARE * DET_PER_WALL_S
    if not problem.units:
        return MarchSchedule([], {}, {}, "optimal", method="cp-sat")
    problem.check_router(router)
    if baseline is None:
        baseline = schedule_march(problem, router)
    data = _data(problem, router, alternatives, baseline)
    oversized = problem.oversized() or problem.marshalling_oversized()
    if oversized is not None:
        raise oversized
    hint = _serial(data, problem, problem.order, _first_choice(data, problem, baseline))
    bounds = _bounds(data, problem)
    bound_own = max(bounds.alone, bounds.queue)
    if len(data.units) >= ROLLING_FROM:  # a large flow: window by window from the first fit
        best, clock, windows = _rolling(
            data, hint, bounds.per_unit, time_limit_s, deadline, seed, progress, bound_own
        )
        how = f"rolling horizon, {windows} windows"
        return _finish(problem, data, best, baseline, bounds, 0.0, clock, t0, how)
    m, v = _model(data)
    # proven bounds: they let the solver stop as soon as it meets them
    m.add(v.makespan >= math.floor(bound_own))
    for mu_id, lb in bounds.per_unit.items():
        m.add(v.closure[mu_id] >= math.floor(lb))
    _hint(m, v, data, hint)
    # phase 1: closure
    m.minimize(v.makespan)
    det1 = det_budget * _PHASE1_SHARE
    solver = _solver(det1, deadline - time.perf_counter(), seed, CLOSURE_GAP)
    st1 = solver.solve(m, _Progress(progress, "closure", math.floor(bound_own)))
    clock = _stopped_by_clock(solver, det1, st1)
    if st1 not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        if st1 == cp_model.INFEASIBLE:
            msg = (
                "the road movement is infeasible: the staging areas' capacity cannot hold the march units "
                "between arrival and departure within the movement windows; raise capacity_vehicles or "
                "shorten the dwell (or the marshalling areas' capacity, which the discharge pauses for)"
            )
            raise InfeasibleError(msg)
        why = "cp-sat found no solution in its time limit"
        return _kept(baseline, bound_own, bounds, why, t0, clock, timed_out=True)
    best = _extract(solver, v, data)
    close1 = int(solver.value(v.makespan))
    cp_bound = float(solver.best_objective_bound)
    # phase 2: lateness with the closure held
    m.add(v.makespan <= close1)
    _hint(m, v, data, best)
    n = len(data.units)
    second = sum(v.lateness.values()) * (n + 1) + sum(v.closure.values())
    m.minimize(second)
    # our own bound of that objective (each march unit's closure bound, and the lateness it forces),
    # stated in the model so that the solver stops once it is within the gap of it (a stop from a
    # solution callback aborts OR-Tools 9.15 in its postsolve)
    lb_close = {mu.id: math.floor(bounds.per_unit.get(mu.id, 0.0)) for mu in data.units}
    floor2 = (n + 1) * _lateness(data.units, lb_close) + sum(lb_close.values())
    m.add(second >= int(floor2))
    det2 = det_budget * (1 - _PHASE1_SHARE)
    solver2 = _solver(det2, deadline - time.perf_counter(), seed, SECOND_GAP)
    st2 = solver2.solve(m, _Progress(progress, "lateness", floor2))
    clock = clock or _stopped_by_clock(solver2, det2, st2)
    if st2 in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        best = _extract(solver2, v, data)
    return _finish(problem, data, best, baseline, bounds, cp_bound, clock, t0, "")


def _finish(
    problem: MarchProblem,
    data: _Data,
    best: _Solution,
    baseline: MarchSchedule,
    bounds: _Bounds,
    cp_bound: float,
    clock: bool,
    t0: float,
    how: str,
) -> MarchSchedule:
    """Make the optimiser's schedule from a model solution, or keep the baseline when that is worse."""
    _tighten_ready(data, best)
    rows, routes, closure = _rows(data, best)
    # the same decisions (corridors, who goes first) at the baseline's exact times, when better
    order = sorted(data.units, key=lambda mu: (best.entry[(mu.id, 0, 0)], mu.id))
    timed = retime(problem, routes, order)
    logger.debug(
        "march: model %s, retimed %s, baseline %s (closure, lateness, closures; s)",
        _key(problem.units, closure),
        None if timed is None else _key(problem.units, timed.closure_s),
        _key(problem.units, baseline.closure_s),
    )
    if timed is not None and _key(problem.units, timed.closure_s) < _key(problem.units, closure):
        rows, closure = timed.rows, timed.closure_s
        how = "retimed" + (f", {how}" if how else "")
    close = max(closure.values())
    bound_own = max(bounds.alone, bounds.queue)
    # both bounds hold for the model's whole-second (rounded up) times: one above the real
    # closure proves the plan optimal within that rounding, and is reported as the closure
    bound = min(max(cp_bound, bound_own), close)
    if _worse(problem, close, closure, baseline):
        why = "cp-sat's plan was worse" + (f"; {how}" if how else "")
        return _kept(baseline, bound_own, bounds, why, t0, clock)
    gap = 0.0 if close <= bound else (close - bound) / close
    status = "optimal" if gap <= 1e-6 else "feasible"  # the solver stops within CLOSURE_GAP
    rerouted = sorted({mu for (mu, leg), c in best.choice.items() if c > 0})
    base_close = max(baseline.closure_s.values())
    logger.info(
        "march: cp-sat closure %.2f h (baseline %.2f h, bound %.2f h, %s) in %.1f s",
        close / 3600,
        base_close / 3600,
        bound / 3600,
        status,
        time.perf_counter() - t0,
    )
    return MarchSchedule(
        rows,
        routes,
        closure,
        status,
        rounds=1,
        rerouted=rerouted,
        method="cp-sat" + (f" ({how})" if how else ""),
        bound_s=bound,
        gap=gap,
        baseline_closure_s=base_close,
        binding=_binding(close, bounds),
        solve_seconds=time.perf_counter() - t0,
        clock_stopped=clock,
    )


def _kept(
    baseline: MarchSchedule,
    bound: float,
    bounds: _Bounds,
    why: str,
    t0: float,
    clock: bool,
    *,
    timed_out: bool = False,
) -> MarchSchedule:
    """Return the baseline as the optimiser's answer, with the bound and gap that hold for it.

    The bounds hold for the model's whole-second times (rounded up): one above the baseline's
    closure proves it optimal within that rounding, and is reported as the closure.
    """
    close = max(baseline.closure_s.values())
    bound = min(bound, close)
    gap = 0.0 if close <= bound else (close - bound) / close
    logger.info("march: baseline kept (%s): closure %.2f h, bound %.2f h", why, close / 3600, bound / 3600)
    return dataclasses.replace(
        baseline,
        method=f"greedy ({why})",
        status="optimal" if gap <= 1e-6 else ("timed out" if timed_out else "feasible"),
        bound_s=bound,
        gap=gap,
        baseline_closure_s=close,
        binding=_binding(close, bounds),
        solve_seconds=time.perf_counter() - t0,
        clock_stopped=clock,
    )
