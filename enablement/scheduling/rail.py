"""Heavy rail onward movement: trains formed, then loading, paths, unloading and pools with CP-SAT.

Data → model → constraints → solve → extract, each a function (the OR-Tools
samples' layout). Times in the model are whole minutes since the scenario start.

Model (one job per formed train ``k``; see :func:`build_model`):

- **Loading** at its quay: an optional interval per ramp track (exactly one is
  chosen), of length ``setup + ceil(60 · wagons / rate)``, starting no earlier than
  the train's last vehicle is at the quay. The intervals of one ramp track do not
  overlap, nor do they overlap the quay's closed hours or closures.
- **Train paths**: the train leaves when loaded (or later, waiting in a siding for a
  path). Where the routes of several trains share a line section, their entries
  into it are at least ``60 / paths_per_hour`` minutes apart (the paths available
  to military trains); without routes, trains to one railhead share one line.
- **Unloading** at the railhead: ``unloading_time_min`` on one of its tracks
  (cumulative, capacity: the railhead site's ``ramp_tracks``, else ``railhead_tracks``).
  A train whose destination is a border point is **handed over** there: nothing
  is unloaded in the plan, and its wagons and locomotive come back to the border
  ``handover_return_h`` later (the run abroad, unloading there and back).
- **Border crossings**: a train passes its border crossing (the first on its route)
  only while the crossing is open: outside its ``hours`` and any closure of it, the
  train waits at its quay (a one- or two-minute passage at its run time from
  departure may not overlap the shut spans). Its permit may hold it back too.
- **Pools**: a train holds its wagons from loading start until they are back at
  the quay empty (unloading, or the hand-over's return, plus the return run); it
  holds a locomotive from departure until the same return. Wagon and locomotive pools are cumulative
  resources, so a pool smaller than the demand makes trains wait for returns.
- **Objective**: the closure of the rail-moved force (last train unloaded), then,
  with that closure fixed, each unit's lateness against its RDD (its last train
  unloaded or handed over), weighted so that one minute of lateness outweighs one
  minute of every wagon, plus wagon-minutes (wagon-days in the outputs). The second
  phase starts from the first phase's solution.

The solver runs with a fixed seed, two workers and interleaved search
and a deterministic time limit (same inputs, seed and time limit give the same plan,
on a busy machine too).
"""

from __future__ import annotations

import dataclasses
import math
from collections import defaultdict
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import InfeasibleError, RoutingError
from ..network.model import Network
from ..network.sites import Site
from ..rolling_stock import RailData, rail_data
from ..routing import Route, Router
from ..timeline import Intervals
from ..vehicles import Profile
from ._ortools import cp_model
from .formation import FormedTrain

__all__ = [
    "TRAIN_PROFILE",
    "QuaySpec",
    "RailSchedule",
    "Train",
    "annotate_trains",
    "build_model",
    "line_sections",
    "loading_minutes",
    "needs_diesel",
    "schedule_rail",
    "train_route",
]


@dataclass(frozen=True)
class QuaySpec:
    """What the scheduler needs of a loading quay.

    Attributes
    ----------
    id
        Site id.
    ramp_tracks
        Tracks that load at the same time.
    rate_wagons_per_h
        Loading rate of one ramp track.
    closed
        When it cannot load (outside working hours, closures), seconds since the start.
    usable_length_m
        Usable length along a ramp track.
    """

    id: str
    ramp_tracks: int = 1
    rate_wagons_per_h: float = 8.0
    closed: Intervals | None = None
    usable_length_m: float = math.inf

    @classmethod
    def from_site(cls, site: Site, closed: Intervals | None, data: RailData) -> QuaySpec:
        """Quay figures from a rail quay site.

        Without a stated ``loading_rate_wagons_per_h`` the rate follows the
        ``ramp_type`` (end, side, combined), or the general default (rail data file).
        """
        tracks = 1.0 if site.ramp_tracks is None else site.ramp_tracks
        default = data.loading_rate_by_ramp_type.get(str(site.ramp_type), data.loading_rate_wagons_per_h)
        rate = default if site.loading_rate_wagons_per_h is None else site.loading_rate_wagons_per_h
        return cls(
            site.id,
            max(1, int(tracks)),
            rate if rate > 0 else default,
            closed,
            math.inf if site.usable_length_m is None else site.usable_length_m,
        )


@dataclass(frozen=True)
class Train:
    """A scheduled train (times in seconds since the scenario start)."""

    id: str
    unit: str
    quay: str
    destination: str
    vehicles: tuple[str, ...]
    wagons: int
    ready_s: float
    load_start_s: float
    load_end_s: float
    depart_s: float
    arrive_s: float
    unloaded_s: float
    route_km: float
    length_m: float
    track: int = 0
    back_s: float = math.nan
    gross_t: float = math.nan
    out_of_gauge: bool = False
    locomotive: str = ""
    border: str = ""
    border_s: float = math.nan
    handover: bool = False


@dataclass
class RailSchedule:
    """Result of :func:`schedule_rail`.

    Attributes
    ----------
    trains
        Scheduled trains, by loading start.
    status
        ``optimal``, ``feasible`` or ``not used``.
    closure_s
        Last train unloaded (s since the start).
    bound_s
        The solver's lower bound on that closure.
    gap
        ``(closure - bound) / closure``.
    wagon_days
        Wagon-days used (loading start to return, per wagon).
    binding
        The resource that holds the closure back, in words.
    utilisation
        Busy share of each quay's ramp tracks and of the wagon and locomotive
        pools over the rail period.
    solve_seconds
        Wall time of the two solver phases.
    """

    trains: list[Train]
    status: str
    closure_s: float = 0.0
    bound_s: float = 0.0
    gap: float = 0.0
    wagon_days: float = 0.0
    binding: str = ""
    utilisation: dict[str, float] = field(default_factory=dict)
    solve_seconds: float = 0.0

    def summary(self) -> dict[str, Any]:
        """Return the rail solver's part of ``summary.json``."""
        if not self.trains:
            return {"method": "CP-SAT", "status": "not used"}
        return {
            "method": (
                "CP-SAT: ramp tracks and hours, line paths, railhead tracks, wagon and locomotive pools"
            ),
            "status": self.status,
            "closure_hours": round(self.closure_s / 3600.0, 2),
            "bound_hours": round(self.bound_s / 3600.0, 2),
            "gap": round(self.gap, 4),
            "wagon_days": round(self.wagon_days, 1),
            "binding_resource": self.binding,
            "utilisation": self.utilisation,
            "solve_seconds": round(self.solve_seconds, 2),
        }


# --------------------------------------------------------------------------- data


def _pools(value: int | Mapping[str, int], default: str) -> dict[str, int]:
    """Return a pool size, or pools by type, as pools by type."""
    if isinstance(value, Mapping):
        return {str(k): int(v) for k, v in value.items()}
    return {default: int(value)}


def _wagon_type(t: FormedTrain) -> str:
    return t.wagons[0].type if t.wagons else "heavy_flat_6axle"


@dataclass(frozen=True)
class _Job:
    train: FormedTrain
    ready: int
    load: int
    travel: int
    unload: int
    km: float
    handover: bool = False
    abroad: int = 0
    not_before: int = 0
    """Earliest departure (min) under its border crossing's permit."""
    border: str = ""
    """The border crossing the train passes (site id), or empty."""
    border_at: int = 0
    """Whole minutes from departure to the border crossing (rounded down)."""
    border_pass: int = 1
    """Minutes the passage is held open from ``border_at`` (2 when the run time has seconds)."""
    border_shut: tuple[tuple[int, int | None], ...] = ()
    """Minutes (since the start) when the crossing is shut, outside its hours or closed (None: for good)."""


def _minutes(seconds: float) -> int:
    return math.ceil(seconds / 60.0 - 1e-9)


def _jobs(
    trains: Sequence[FormedTrain],
    quays: Mapping[str, QuaySpec],
    travel_s: Mapping[str | tuple[str, str], tuple[float, float]],
    data: RailData,
    handover: Collection[str] = (),
    not_before_s: Mapping[str, float] | None = None,
    crossings: Mapping[str, tuple[str, float, Intervals]] | None = None,
) -> list[_Job]:
    jobs = []
    for t in trains:
        border, at_s, shut = (crossings or {}).get(t.id, ("", 0.0, Intervals()))
        q = quays[t.quay]
        load = loading_minutes(t, q, data)
        time_s, length_m = travel_s[t.id] if t.id in travel_s else travel_s[(t.quay, t.destination)]
        over = t.destination in handover
        jobs.append(
            _Job(
                t,
                _minutes(t.ready_s),
                load,
                _minutes(time_s),
                0 if over else math.ceil(data.unloading_time_min),
                length_m / 1000,
                handover=over,
                abroad=math.ceil(data.handover_return_h * 60.0) if over else 0,
                not_before=max(0, _minutes((not_before_s or {}).get(t.id, 0.0))),
                border=border,
                border_at=math.floor(at_s / 60.0 + 1e-9),
                border_pass=1 + (_minutes(at_s) > math.floor(at_s / 60.0 + 1e-9)),
                border_shut=_shut_minutes(shut),
            )
        )
    return jobs


def _shut_minutes(shut: Intervals) -> tuple[tuple[int, int | None], ...]:
    """Shut spans in whole minutes, widened outwards (a train never passes in a shut second)."""
    out: list[tuple[int, int | None]] = []
    for a, b in shut.spans:
        if b <= 0:
            continue
        out.append((max(0, math.floor(a / 60.0)), None if math.isinf(b) else math.ceil(b / 60.0)))
    return tuple(out)


def _first_open(j: _Job, t: int) -> float:
    """First minute at or after ``t`` when ``j``'s border crossing lets it pass (inf: never)."""
    for lo, hi in j.border_shut:
        if lo <= t and (hi is None or t < hi):
            if hi is None:
                return math.inf
            t = hi
    return t


def loading_minutes(train: FormedTrain, quay: QuaySpec, data: RailData) -> int:
    """Whole minutes a train occupies a ramp track: shunting and setup, then its wagons at the quay's rate."""
    return math.ceil(data.shunting_setup_min + 60.0 * train.n_wagons / quay.rate_wagons_per_h)


def _diagnose(
    jobs: Sequence[_Job],
    quays: Mapping[str, QuaySpec],
    wagons: Mapping[str, int],
    locomotives: Mapping[str, int],
    needs_diesel: Collection[str],
) -> None:
    """Causes that make the model infeasible, found before solving."""
    if not jobs:
        return
    if sum(locomotives.values()) <= 0:
        msg = "rail movements need locomotives (resources.locomotives and diesel_locomotives are 0)"
        raise InfeasibleError(msg)
    diesel = [j.train.id for j in jobs if j.train.id in needs_diesel]
    if diesel and locomotives.get("diesel", 0) <= 0:
        msg = (
            f"train {diesel[0]} runs on a line without wires and needs a diesel locomotive, but "
            "resources.diesel_locomotives is 0"
        )
        raise InfeasibleError(msg)
    for j in jobs:
        wt = _wagon_type(j.train)
        if j.train.n_wagons > wagons.get(wt, 0):
            msg = (
                f"train {j.train.id} needs {j.train.n_wagons} {wt} wagons but the pool holds "
                f"{wagons.get(wt, 0)} (resources.wagons / wagon_pools); add wagons or load fewer per train"
            )
            raise InfeasibleError(msg)
    for j in jobs:
        earliest = max(j.ready + j.load, j.not_before) + j.border_at
        if j.border and math.isinf(_first_open(j, earliest)):
            msg = (
                f"border crossing '{j.border}' is closed until further notice before train {j.train.id} "
                "can reach it; reopen it or hand the train over at another crossing"
            )
            raise InfeasibleError(msg)
    for j in jobs:
        closed = quays[j.train.quay].closed
        if closed is not None:
            for a, b in closed.spans:
                if math.isinf(b) and a <= j.ready * 60:
                    msg = (
                        f"quay '{j.train.quay}' is closed until further notice; "
                        f"train {j.train.id} cannot load"
                    )
                    raise InfeasibleError(msg)


# --------------------------------------------------------------------------- model


@dataclass
class _Vars:
    start: list[cp_model.IntVar]
    depart: list[cp_model.IntVar]
    done: list[cp_model.IntVar]
    back: list[cp_model.IntVar]
    track: list[list[cp_model.IntVar]]
    closure: cp_model.IntVar
    wagon_minutes: cp_model.LinearExpr | int
    locomotive: list[dict[str, cp_model.IntVar]]


def _locomotive(
    m: cp_model.CpModel,
    k: int,
    diesel_only: bool,
    lpools: Mapping[str, int],
    times: tuple[cp_model.IntVar, cp_model.IntVar, cp_model.IntVar],
    loco_iv: dict[str, list[cp_model.IntervalVar]],
) -> dict[str, cp_model.IntVar]:
    """Choose train ``k``'s locomotive kind: a diesel runs anywhere, a multi-system one under wires."""
    d, hauled, b = times
    kinds = ["diesel"] if diesel_only else [x for x in ("multi_system", "diesel") if lpools.get(x)]
    choice = {}
    for kind in kinds:
        on = m.new_bool_var(f"loco_{kind}_{k}") if len(kinds) > 1 else m.new_constant(1)
        loco_iv[kind].append(m.new_optional_interval_var(d, hauled, b, on, f"loco_{kind}_{k}"))
        choice[kind] = on
    if len(kinds) > 1:
        m.add_exactly_one(choice.values())
    return choice


def _closed_times(m: cp_model.CpModel, quay: QuaySpec, horizon: int) -> list[cp_model.IntervalVar]:
    """Block the minutes when a quay's ramp tracks cannot load: closures and outside its hours."""
    fixed = []
    if quay.closed is not None:
        for a, bnd in quay.closed.spans:
            lo = max(0, math.floor(a / 60.0))
            hi = horizon if math.isinf(bnd) else min(horizon, math.ceil(bnd / 60.0))
            if hi > lo:
                fixed.append(m.new_fixed_size_interval_var(lo, hi - lo, f"closed_{quay.id}_{lo}"))
    return fixed


def _longest_shut(j: _Job) -> int:
    """Longest wait (min) a train's border crossing can impose, when it reopens."""
    return max((hi - lo for lo, hi in j.border_shut if hi is not None), default=0)


def _shut_times(m: cp_model.CpModel, j: _Job, horizon: int) -> list[cp_model.IntervalVar]:
    """Block the minutes when ``j``'s border crossing is shut, up to ``horizon`` (fixed intervals)."""
    fixed = []
    for lo, hi in j.border_shut:
        end = horizon if hi is None else min(horizon, hi)
        if end > lo:
            fixed.append(m.new_fixed_size_interval_var(lo, end - lo, f"shut_{j.border}_{lo}"))
    return fixed


def _sections(
    m: cp_model.CpModel,
    jobs: Sequence[_Job],
    depart: Sequence[cp_model.IntVar],
    sections: Mapping[str, Mapping[str, float]],
    headway: int,
    *,
    enforce: bool,
) -> None:
    """Line sections shared by several trains: entries into each at least one path apart."""
    index = {j.train.id: k for k, j in enumerate(jobs)}
    for name, entries in sections.items():
        ivs = [
            m.new_fixed_size_interval_var(depart[index[tid]] + _minutes(off), headway, f"path_{name}_{tid}")
            for tid, off in entries.items()
            if tid in index
        ]
        if enforce and len(ivs) > 1:
            m.add_no_overlap(ivs)


def build_model(
    jobs: Sequence[_Job],
    quays: Mapping[str, QuaySpec],
    wagons: int | Mapping[str, int],
    locomotives: int | Mapping[str, int],
    data: RailData,
    *,
    needs_diesel: Collection[str] = (),
    sections: Mapping[str, Mapping[str, float]] | None = None,
    railhead_tracks: Mapping[str, int] | None = None,
    paths: bool = True,
    railheads: bool = True,
    pools: bool = True,
    hours: bool = True,
    crossings: bool = True,
) -> tuple[cp_model.CpModel, _Vars]:
    """Build the CP-SAT model of the rail move (the keyword switches exist for tests and ablations).

    ``railhead_tracks`` gives the unloading tracks of each destination railhead
    (default: the rail data file's ``railhead_tracks``); trains handed over at a
    border point unload nowhere in the plan.

    Returns
    -------
    model, variables
        The model with every constraint, and its variables.
    """
    wpools = _pools(wagons, "heavy_flat_6axle")
    lpools = _pools(locomotives, "multi_system")
    m = cp_model.CpModel()
    horizon = (
        max(max(j.ready, j.not_before) for j in jobs)
        + sum(j.load + 2 * j.travel + j.unload + j.abroad + 60 + _longest_shut(j) for j in jobs)
        + 1440
    )
    shut_by_border: dict[str, list[cp_model.IntervalVar]] = {}
    by_track: dict[tuple[str, int], list[cp_model.IntervalVar]] = defaultdict(list)
    start, depart, done, back, track = [], [], [], [], []
    wagon_iv: dict[str, list[cp_model.IntervalVar]] = defaultdict(list)
    wagon_need: dict[str, list[int]] = defaultdict(list)
    loco_iv: dict[str, list[cp_model.IntervalVar]] = defaultdict(list)
    loco_choice: list[dict[str, cp_model.IntVar]] = []
    paths_by_dest: dict[str, list[cp_model.IntervalVar]] = defaultdict(list)
    unload_by_dest: dict[str, list[cp_model.IntervalVar]] = defaultdict(list)
    headway = max(1, math.ceil(60.0 / data.paths_per_hour))
    for k, j in enumerate(jobs):
        q = quays[j.train.quay]
        s = m.new_int_var(j.ready, horizon, f"start_{k}")
        d = m.new_int_var(max(j.ready + j.load, j.not_before), horizon, f"depart_{k}")
        m.add(d >= s + j.load)
        arr = d + j.travel
        u_end = m.new_int_var(0, horizon + j.travel + j.unload, f"done_{k}")
        m.add(u_end == arr + j.unload)
        b = m.new_int_var(0, horizon + 2 * j.travel + j.unload + j.abroad, f"back_{k}")
        m.add(b == u_end + j.abroad + j.travel)
        if crossings and j.border_shut:
            # the train passes its border crossing only while the crossing is open
            if j.border not in shut_by_border:
                shut_by_border[j.border] = _shut_times(m, j, horizon + j.border_at + j.border_pass)
            passing = m.new_fixed_size_interval_var(d + j.border_at, j.border_pass, f"cross_{k}")
            m.add_no_overlap([passing, *shut_by_border[j.border]])
        chosen = []
        for t in range(q.ramp_tracks):
            p = m.new_bool_var(f"on_{k}_{t}")
            iv = m.new_optional_fixed_size_interval_var(s, j.load, p, f"load_{k}_{t}")
            by_track[(q.id, t)].append(iv)
            chosen.append(p)
        m.add_exactly_one(chosen)
        if paths:
            paths_by_dest[j.train.destination].append(m.new_fixed_size_interval_var(d, headway, f"path_{k}"))
        if railheads and not j.handover:
            unload_by_dest[j.train.destination].append(
                m.new_interval_var(arr, j.unload, u_end, f"unload_{k}")
            )
        held = m.new_int_var(0, 2 * horizon, f"held_{k}")  # wagons: loading start to return
        m.add(held == b - s)
        wt = _wagon_type(j.train)
        wagon_iv[wt].append(m.new_interval_var(s, held, b, f"wagons_{k}"))
        wagon_need[wt].append(j.train.n_wagons)
        hauled = m.new_int_var(0, 2 * horizon, f"hauled_{k}")  # locomotive: departure to return
        m.add(hauled == b - d)
        loco_choice.append(_locomotive(m, k, j.train.id in needs_diesel, lpools, (d, hauled, b), loco_iv))
        start.append(s)
        depart.append(d)
        done.append(u_end)
        back.append(b)
        track.append(chosen)
    for (qid, _t), ivs in by_track.items():
        m.add_no_overlap(ivs + (_closed_times(m, quays[qid], horizon) if hours else []))
    if sections:
        _sections(m, jobs, depart, sections, headway, enforce=paths)
    else:
        for ivs in paths_by_dest.values():
            m.add_no_overlap(ivs)
    tracks = railhead_tracks or {}
    for dest, ivs in unload_by_dest.items():
        m.add_cumulative(ivs, [1] * len(ivs), max(1, tracks.get(dest, data.railhead_tracks)))
    if pools:
        for wt, ivs in wagon_iv.items():
            m.add_cumulative(ivs, wagon_need[wt], wpools.get(wt, 0))
        for kind, ivs in loco_iv.items():
            m.add_cumulative(ivs, [1] * len(ivs), lpools.get(kind, 0))
    closure = m.new_int_var(0, horizon * 2, "closure")
    m.add_max_equality(closure, done)
    wagon_minutes = sum(j.train.n_wagons * (b - s) for j, b, s in zip(jobs, back, start, strict=True))
    return m, _Vars(start, depart, done, back, track, closure, wagon_minutes, loco_choice)


# --------------------------------------------------------------------------- solve and extract


def _solver(time_limit_s: float, seed: int) -> cp_model.CpSolver:
    solver = cp_model.CpSolver()
    # a deterministic limit: a wall-clock one would stop wherever a busy machine happens to be
    solver.parameters.max_deterministic_time = time_limit_s
    solver.parameters.num_workers = 2
    solver.parameters.interleave_search = True
    solver.parameters.random_seed = seed
    return solver


def _lower_bounds(
    jobs: Sequence[_Job], quays: Mapping[str, QuaySpec], wagons: Mapping[str, int]
) -> dict[str, float]:
    """Closure lower bounds (min) from each resource alone, to name the binding one."""
    out: dict[str, float] = {
        "arrival of the vehicles at the quays": max(j.ready + j.load + j.travel + j.unload for j in jobs)
    }
    if any(j.not_before for j in jobs):
        out["the crossing permissions (filing date plus lead time)"] = max(
            j.not_before + j.travel + j.unload for j in jobs
        )
    if any(j.border_shut for j in jobs):
        out["the border crossings' hours and closures"] = max(
            _first_open(j, max(j.ready + j.load, j.not_before) + j.border_at)
            - j.border_at
            + j.travel
            + j.unload
            for j in jobs
        )
    by_quay: dict[str, list[_Job]] = defaultdict(list)
    for j in jobs:
        by_quay[j.train.quay].append(j)
    for qid, js in by_quay.items():
        tail = min(j.travel + j.unload for j in js)
        work = sum(j.load for j in js) / quays[qid].ramp_tracks
        out[f"loading at quay '{qid}'"] = min(j.ready for j in js) + work + tail
    for wt, n in wagons.items():
        typed = [j for j in jobs if _wagon_type(j.train) == wt]
        if typed:
            # the pool gives n wagons over [first ready, closure]; what lies beyond the closure is
            # at most n wagons for the longest return (a last train need not come back before it)
            demand = sum(j.train.n_wagons * (j.load + 2 * j.travel + j.unload + j.abroad) for j in typed)
            tail = max(j.travel + j.abroad for j in typed)
            out[f"wagon pool {wt}"] = min(j.ready for j in typed) + demand / max(n, 1) - tail
    return out


def _lateness(
    m: cp_model.CpModel, jobs: Sequence[_Job], v: _Vars, rdd_s: Mapping[str, float]
) -> cp_model.LinearExpr | int:
    """Units' lateness (min) against their RDDs, weighted to outweigh a minute of every wagon."""
    weight = 1 + sum(j.train.n_wagons for j in jobs)
    by_unit: dict[str, list[cp_model.IntVar]] = defaultdict(list)
    for j, done in zip(jobs, v.done, strict=True):
        if j.train.unit in rdd_s:
            by_unit[j.train.unit].append(done)
    total: cp_model.LinearExpr | int = 0
    for unit, dones in sorted(by_unit.items()):
        rdd = math.floor(rdd_s[unit] / 60.0)
        late = m.new_int_var(0, 10**9, f"late[{unit}]")
        for d in dones:
            m.add(late >= d - rdd)
        total = total + weight * late
    return total


def schedule_rail(
    trains: Sequence[FormedTrain],
    quays: Mapping[str, QuaySpec],
    travel_s: Mapping[str | tuple[str, str], tuple[float, float]],
    wagons: int | Mapping[str, int],
    locomotives: int | Mapping[str, int],
    *,
    needs_diesel: Collection[str] = (),
    sections: Mapping[str, Mapping[str, float]] | None = None,
    handover: Collection[str] = (),
    railhead_tracks: Mapping[str, int] | None = None,
    data: RailData | None = None,
    time_limit_s: float = 10.0,
    seed: int = 0,
    not_before_s: Mapping[str, float] | None = None,
    crossings: Mapping[str, tuple[str, float, Intervals]] | None = None,
    rdd_s: Mapping[str, float] | None = None,
) -> RailSchedule:
    """Schedule formed trains with CP-SAT.

    Parameters
    ----------
    trains
        Formed trains (:func:`~enablement.scheduling.formation.form_trains`).
    quays
        Quay figures by site id.
    travel_s
        Train id, or ``(quay, destination)`` for every train between them, →
        (running time in s, length in m).
    wagons, locomotives
        Pool sizes, or pools by type (wagon types of the rail data file;
        locomotives ``multi_system`` and ``diesel``).
    needs_diesel
        Trains whose route uses a line without wires (they need a diesel locomotive).
    sections
        Line sections shared by trains: section → {train id: seconds from its
        departure to its entry into the section} (:func:`line_sections`). Without
        them, trains to one railhead share one line.
    handover
        Destinations that are border points: their trains are handed over there
        (no unloading; wagons and locomotive back ``handover_return_h`` later).
    railhead_tracks
        Unloading tracks of each destination railhead (default: ``railhead_tracks``).
    data
        Rail figures (default: packaged).
    time_limit_s
        Wall-time limit over both solver phases.
    seed
        Solver seed.
    not_before_s
        Earliest departure of a train (s since the start) under its border crossing's permit
        (the permission rule: it reaches the crossing no earlier than permitted).
    crossings
        Train id → (its border crossing, seconds from departure to it, when the crossing is shut:
        outside its ``hours`` and closures). The train passes the crossing only while it is open.
    rdd_s
        Each unit's required delivery date (s since the start): with the closure held, the
        second phase keeps each unit's last train as early before it as it can (lateness).

    Returns
    -------
    RailSchedule
        Trains with their times, the bound and gap, the binding resource.

    Raises
    ------
    InfeasibleError
        With the cause (pool smaller than a train, quay closed for good, no
        locomotive, or the solver proving the rail move impossible).
    """
    data = data or rail_data()
    if not trains:
        return RailSchedule([], "not used")
    jobs = _jobs(trains, quays, travel_s, data, handover, not_before_s, crossings)
    wagons = _pools(wagons, "heavy_flat_6axle")
    locomotives = _pools(locomotives, "multi_system")
    _diagnose(jobs, quays, wagons, locomotives, needs_diesel)
    model, v = build_model(
        jobs,
        quays,
        wagons,
        locomotives,
        data,
        needs_diesel=needs_diesel,
        sections=sections,
        railhead_tracks=railhead_tracks,
    )
    model.minimize(v.closure)
    solver = _solver(time_limit_s / 2, seed)
    status = solver.solve(model)
    if status == cp_model.INFEASIBLE:
        msg = (
            "the rail move is infeasible: the quays' hours and closures, or the border crossings' "
            "hours, leave no window to load and pass"
        )
        raise InfeasibleError(msg)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        msg = f"the rail scheduler found no plan within {time_limit_s:g} s; raise the time limit"
        raise InfeasibleError(msg)
    closure = int(solver.value(v.closure))
    bound = float(solver.best_objective_bound)
    proven = status == cp_model.OPTIMAL
    seconds = solver.wall_time
    # phase 2: keep the closure, use as few wagon-days as possible, from the phase-1 plan
    for var in (*v.start, *v.depart):
        model.add_hint(var, solver.value(var))
    for row in v.track:
        for p in row:
            model.add_hint(p, solver.value(p))
    model.add(v.closure <= closure)
    model.minimize(_lateness(model, jobs, v, rdd_s or {}) + v.wagon_minutes)
    solver2 = _solver(time_limit_s / 2, seed)
    status2 = solver2.solve(model)
    final = solver2 if status2 in (cp_model.OPTIMAL, cp_model.FEASIBLE) else solver
    seconds += solver2.wall_time
    out = _extract(jobs, v, final, quays)
    bounds = _lower_bounds(jobs, quays, wagons)
    binding = max(bounds, key=lambda k: bounds[k])
    wagon_minutes = sum(
        j.train.n_wagons * (t.back_s - t.load_start_s) / 60 for j, t in zip(jobs, out, strict=True)
    )
    period = max(t.back_s for t in out) - min(t.load_start_s for t in out)
    util = {}
    for wt, n in wagons.items():
        used = sum(
            j.train.n_wagons * (t.back_s - t.load_start_s)
            for j, t in zip(jobs, out, strict=True)
            if _wagon_type(j.train) == wt
        )
        if n and used:
            util[f"wagons {wt} ({n})"] = used / (n * period) if period > 0 else 0.0
    for kind, n in locomotives.items():
        used = sum(t.back_s - t.depart_s for t in out if t.locomotive == kind)
        if n and used:
            util[f"locomotives {kind} ({n})"] = used / (n * period) if period > 0 else 0.0
    for qid, q in quays.items():
        busy = sum(t.load_end_s - t.load_start_s for t in out if t.quay == qid)
        if busy:
            util[f"quay {qid} ({q.ramp_tracks} ramp track{'s' if q.ramp_tracks > 1 else ''})"] = busy / (
                q.ramp_tracks * period
            )
    out.sort(key=lambda t: (t.load_start_s, t.id))
    gap = (closure - bound) / closure if closure > 0 else 0.0
    return RailSchedule(
        trains=out,
        status="optimal" if proven else "feasible",
        closure_s=closure * 60.0,
        bound_s=bound * 60.0,
        gap=max(0.0, gap),
        wagon_days=wagon_minutes / 1440.0,
        binding=binding,
        utilisation={k: round(min(1.0, x), 3) for k, x in util.items()},
        solve_seconds=seconds,
    )


def _extract(
    jobs: Sequence[_Job], v: _Vars, solver: cp_model.CpSolver, quays: Mapping[str, QuaySpec]
) -> list[Train]:
    out = []
    for k, j in enumerate(jobs):
        s = solver.value(v.start[k])
        d = solver.value(v.depart[k])
        done = solver.value(v.done[k])
        t = j.train
        tr = next(i for i, p in enumerate(v.track[k]) if solver.boolean_value(p))
        loco = next(kind for kind, on in v.locomotive[k].items() if solver.value(on))
        out.append(
            Train(
                id=t.id,
                unit=t.unit,
                quay=t.quay,
                destination=t.destination,
                vehicles=t.vehicles,
                wagons=t.n_wagons,
                ready_s=t.ready_s,
                load_start_s=s * 60.0,
                load_end_s=(s + j.load) * 60.0,
                depart_s=d * 60.0,
                arrive_s=(d + j.travel) * 60.0,
                unloaded_s=done * 60.0,
                route_km=round(j.km, 1),
                length_m=t.length_m,
                track=tr + 1,
                back_s=solver.value(v.back[k]) * 60.0,
                gross_t=round(t.gross_t, 1),
                out_of_gauge=t.out_of_gauge,
                locomotive=loco,
                handover=j.handover,
            )
        )
    return out


# --------------------------------------------------------------------------- routes on the lines

TRAIN_PROFILE = Profile("train", speed_kmh=100.0)
"""A loaded military train: 100 km/h at most (heavy flat wagons are rated 100 km/h, PLANNING-FACTS)."""


def train_route(
    t: FormedTrain, router: Router, origin: int, target: int, data: RailData | None = None
) -> Route:
    """Route of a train within the lines' limits: its axle load, its length and, out of gauge, its width.

    Rail edges carry these limits as ``maxaxleload_t``, ``maxlength_m`` and
    ``maxwidth_m`` (from OSM tags or overlays); the router applies them as masks.
    An out-of-gauge train also keeps to line sections whose loading gauge
    (``loading_gauge``: Infrabel, OSM) is at least the rail data file's ``out_of_gauge_min``
    (:func:`~enablement.routing.gauge_mask`); sections of unknown gauge stay open.

    Raises
    ------
    InfeasibleError
        Naming the train and its figures when no line within the limits joins quay and destination.
    """
    data = data or rail_data()
    wagon = data.wagons[t.wagons[0].type] if t.wagons else data.wagons["heavy_flat_6axle"]
    axle = max(wagon.tare_t + w.load_t for w in t.wagons) / wagon.axles
    profile = dataclasses.replace(
        TRAIN_PROFILE,
        name=t.id,
        axle_load_t=axle,
        length_m=t.length_m,
        width_m=wagon.deck_width_m + 0.01 if t.out_of_gauge else 0.0,
        loading_gauge=data.out_of_gauge_min_gauge if t.out_of_gauge else "",
    )
    try:
        return router.route(origin, target, profile)
    except RoutingError:
        msg = (
            f"train {t.id} ({axle:.1f} t per axle, {t.length_m:.0f} m"
            f"{', out of gauge: needs loading gauge ' + profile.loading_gauge if t.out_of_gauge else ''}) "
            f"has no rail route from '{t.quay}' to '{t.destination}' within the lines' limits"
        )
        raise InfeasibleError(msg) from None


def needs_diesel(routes: Mapping[str, Route], network: Network) -> set[str]:
    """Trains whose route uses a line known to have no wires (``electrified`` 0 on a rail edge)."""
    if "electrified" not in network.edges.columns:
        return set()
    electrified = network.edges["electrified"].to_numpy(float)
    return {tid for tid, r in routes.items() if r.edges and bool((electrified[list(r.edges)] == 0).any())}


def _run_times(router: Router) -> dict[int, float]:
    """Seconds a loaded train takes over each rail edge (network row → time)."""
    rows = np.sort(router.arrays.edge_ids)  # edge_times is in network row order
    return dict(zip(rows.tolist(), router.edge_times(TRAIN_PROFILE).tolist(), strict=True))


def border_offsets(
    routes: Mapping[str, Route], router: Router, borders: Mapping[int, str]
) -> dict[str, tuple[str, float]]:
    """Each train's border crossing (the first rail border site on its route) and its time from departure."""
    row_time = _run_times(router)
    out = {}
    for tid, r in routes.items():
        at = 0.0
        for node, row in zip(r.nodes[1:], r.edges, strict=True):
            at += row_time[row]
            if node in borders:
                out[tid] = (borders[node], at)
                break
    return out


def annotate_trains(
    trains: Sequence[Train], routes: Mapping[str, Route], router: Router, borders: Mapping[int, str]
) -> list[Train]:
    """Add each train's border crossing: the first rail border site on its route, timed from departure."""
    offsets = border_offsets(routes, router, borders)
    out = []
    for t in trains:
        border, offset = offsets.get(t.id, ("", math.nan))
        out.append(
            dataclasses.replace(t, border=border, border_s=t.depart_s + offset if border else math.nan)
        )
    return out


def line_sections(routes: Mapping[str, Route], router: Router) -> dict[str, dict[str, float]]:
    """Line sections shared by several trains, with each train's entry time after departure.

    A section is a run of rail edges used by the same set of trains; each train
    enters it ``offset`` seconds after leaving its quay (at the train profile's
    speed). Sections used by one train only are left out (nothing to share).
    """
    row_time = _run_times(router)
    entry: dict[int, dict[str, float]] = defaultdict(dict)
    for tid, r in routes.items():
        at = 0.0
        for row in r.edges:
            entry[row].setdefault(tid, at)
            at += row_time[row]
    groups: dict[frozenset[str], dict[str, float]] = {}
    for _row, users in entry.items():
        if len(users) < 2:
            continue
        key = frozenset(users)
        best = groups.setdefault(key, dict(users))
        for tid, off in users.items():
            best[tid] = min(best[tid], off)
    return {f"s{i}": offs for i, offs in enumerate(groups.values())}
