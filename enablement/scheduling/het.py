"""Heavy equipment transporter (HET) shuttles: the problem, its input checks, bounds and diagnosis.

Tracked vehicles do not drive long distances on roads: a pool of HETs carries
them from where they are (port, quay) to where they must be (staging area,
destination), pickup and delivery with time windows. This module holds the
problem (:class:`HetTask`, :class:`HetFleet`), the shapes of its plans
(:class:`HetTrip`, :class:`HetShift`, :class:`HetConvoy`, :class:`HetSchedule`),
the checks of the inputs, a lower bound on the closure (:func:`lower_bound_s`)
and the diagnosis of a fleet that cannot carry the tasks (:func:`diagnose`).
Travel times are taken as shortest paths through the matrix
(:func:`shortest_travel`: a HET may drive via any place).

The modules that solve and judge the problem import this one, never the reverse:
:mod:`.het_data` (the routing model's integer data and first plan),
:mod:`.het_routing` (the OR-Tools routing model and
:func:`~.het_routing.schedule_hets`), :mod:`.het_pyvrp` (the PyVRP engine,
:func:`~.het_pyvrp.schedule_hets_pyvrp`; :func:`het_engine` says which engine a fleet
gets), :mod:`.het_check` (the independent
checker :func:`~.het_check.check_hets`) and :mod:`.shuttles` (the plan's HET
step; :func:`~.shuttles.het_convoys` groups the trips into road columns).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from ..errors import InfeasibleError, ScenarioError

__all__ = [
    "EPS",
    "HetConvoy",
    "HetFleet",
    "HetSchedule",
    "HetShift",
    "HetTask",
    "HetTrip",
    "ceil_s",
    "closure_bound_s",
    "diagnose",
    "het_engine",
    "lower_bound_s",
    "shortest_travel",
    "validate_inputs",
]

EPS = 1e-6
"""Tolerance (s) of the comparisons between times of a plan and the rules it must keep."""


# --------------------------------------------------------------------------- data


@dataclass(frozen=True)
class HetTask:
    """One vehicle to carry by HET.

    Attributes
    ----------
    id
        Task id (unique).
    vehicle
        Vehicle type id (catalogue).
    pickup, delivery
        Indices into the travel matrix.
    ready_s
        Earliest start of loading, seconds since the scenario start.
    due_s
        Required delivery (unloaded) time; soft: lateness is penalised, not forbidden.
    group
        The unit the vehicle belongs to.
    load_windows
        When loading may start: spans ``(a, b)`` of seconds since the start, ``a ≤ start ≤ b``,
        in order; ``None``: at any time. The plan sets them from the movement window, so that
        the loaded run (its drive with halts, the column's gathering and length) fits in one
        window (:func:`.shuttles.load_windows`); the empty runs go at any time.
    """

    id: str
    vehicle: str
    pickup: int
    delivery: int
    ready_s: float = 0.0
    due_s: float | None = None
    group: str = ""
    load_windows: tuple[tuple[float, float], ...] | None = None

    def loading_from(self, t: float) -> float:
        """Return the earliest loading start at or after ``t`` its windows allow (``inf``: none left)."""
        if self.load_windows is None:
            return t
        for a, b in self.load_windows:
            if t <= b + EPS:
                return max(t, a)
        return math.inf


@dataclass(frozen=True)
class HetFleet:
    """The HET pool and its working rules.

    The default times are illustrative planning values, not sourced figures.
    Shift and rest follow the idea of the civilian drivers' hours rules (EU
    regulation 561/2006: at most 9 h driving a day, 10 h twice a week, and 11 h
    daily rest, 9 h reduced); military drivers work under their own orders, and
    a HET usually has two drivers, so ``duty_hours`` and ``rest_hours`` are
    illustrative and meant to be set by the planner.

    Attributes
    ----------
    count
        HETs in the pool.
    depot
        Travel-matrix index of the HET park, where every shift starts and ends.
    capacity
        Vehicles one HET carries at once (normally 1).
    load_min, unload_min
        Time to load or unload one vehicle (illustrative).
    duty_hours
        Longest shift, park to park (illustrative).
    rest_hours
        Shortest time at the park between two shifts of one HET (illustrative).
    days
        Shifts per HET (the horizon); ``None``: as many as the first plan (list
        scheduling) needs, plus :data:`.het_routing.SPARE_SHIFTS` for the search.
    """

    count: int
    depot: int
    capacity: int = 1
    load_min: float = 20.0
    unload_min: float = 15.0
    duty_hours: float = 12.0
    rest_hours: float = 10.0
    days: int | None = None


@dataclass(frozen=True)
class HetTrip:
    """One vehicle carried (times in seconds since the scenario start).

    Attributes
    ----------
    het, shift
        Which HET, and which of its shifts.
    task, vehicle, group
        The task carried, its vehicle type and unit.
    pickup, delivery
        Travel-matrix indices.
    load_start_s
        Loading starts.
    depart_s
        The HET leaves the pickup place with the vehicle on board.
    arrive_s
        The HET reaches the delivery place.
    unloaded_s
        The vehicle is off the HET.
    """

    het: int
    shift: int
    task: str
    vehicle: str
    group: str
    pickup: int
    delivery: int
    load_start_s: float
    depart_s: float
    arrive_s: float
    unloaded_s: float


@dataclass(frozen=True)
class HetShift:
    """One used shift: the HET leaves the park at ``out_s`` and is back at ``back_s``."""

    het: int
    shift: int
    out_s: float
    back_s: float
    tasks: tuple[str, ...]


@dataclass(frozen=True)
class HetConvoy:
    """HETs that leave one pickup place together for one delivery place: a road column.

    Attributes
    ----------
    id
        Convoy id.
    pickup, delivery
        Travel-matrix indices.
    depart_s
        When the column leaves: the latest departure of its members.
    trips
        The trips carried.
    vehicles
        HETs in the column (its road vehicles for the march model).
    cargo
        Vehicle types carried, one per trip.
    """

    id: str
    pickup: int
    delivery: int
    depart_s: float
    trips: tuple[HetTrip, ...]
    vehicles: int
    cargo: tuple[str, ...]


@dataclass
class HetSchedule:
    """Result of :func:`.het_routing.schedule_hets`.

    Attributes
    ----------
    status
        ``optimal`` (closure at its lower bound and nothing late), ``feasible``,
        ``timed out`` (stopped by the safety time limit, best plan found) or
        ``infeasible`` (no plan; see ``diagnosis``).
    trips
        Trips, by loading start.
    shifts
        Used shifts, by HET and shift.
    closure_s
        Last vehicle unloaded.
    lateness_s
        Sum over tasks of the time unloaded after the due time.
    bound_s
        A valid lower bound on the closure (:func:`lower_bound_s`).
    gap
        ``(closure - bound) / closure``.
    het_hours
        HET time on duty, park to park, summed over shifts.
    days
        Shifts per HET in the model.
    solve_seconds
        Wall time of the search.
    diagnosis
        Why there is no plan, or what holds the closure back, in words.
    engine
        The search that made the plan (:func:`het_engine`).
    """

    status: str
    trips: list[HetTrip] = field(default_factory=list)
    shifts: list[HetShift] = field(default_factory=list)
    closure_s: float = 0.0
    lateness_s: float = 0.0
    bound_s: float = 0.0
    gap: float = 0.0
    het_hours: float = 0.0
    days: int = 0
    solve_seconds: float = 0.0
    diagnosis: str = ""
    engine: str = "OR-Tools routing"

    def require(self) -> HetSchedule:
        """Return the schedule, or raise if it has no plan.

        Raises
        ------
        InfeasibleError
            With the diagnosis, when the status is ``infeasible``.
        """
        if self.status == "infeasible":
            msg = f"HET shuttles: {self.diagnosis}"
            raise InfeasibleError(msg)
        return self


def het_engine(fleet: HetFleet) -> str:
    """Return the engine that plans a fleet's shuttles: ``"pyvrp"`` or ``"ortools"``; the one rule.

    A HET that carries one vehicle at a time (``capacity == 1``, the normal case) makes each
    task a single visit: drive to the pickup, load, carry, unload; between two tasks it drives
    from one delivery place to the next pickup place. That is a vehicle routing problem with
    time windows and one client per task, which PyVRP (:mod:`.het_pyvrp`) solves with far
    better plans at scale than OR-Tools routing (``benchmarks/vrptw_pyvrp.py``, on the
    1,000-customer Gehring–Homberger RC2_10_5: PyVRP 2.4 %, 1.2 % and 1.05 % above the best known
    after 60, 150 and 300 s, OR-Tools routing 79-120 %, worse at 300 s than at 60 s; on 300 HET
    tasks and 30 HETs, ``benchmarks/het_engines.py``: PyVRP 10 % fewer HET-hours than the first
    plan at the same closure, OR-Tools a later closure). A HET that carries several at once (``capacity > 1``)
    needs paired pickups and deliveries on one route with the load in between: OR-Tools
    routing (:mod:`.het_routing`) keeps those.

    Parameters
    ----------
    fleet
        The HET pool.

    Returns
    -------
    str
        ``"pyvrp"`` when ``fleet.capacity == 1``, else ``"ortools"``.
    """
    return "pyvrp" if fleet.capacity == 1 else "ortools"


def validate_inputs(tasks: Sequence[HetTask], fleet: HetFleet, travel_s: np.ndarray) -> np.ndarray:
    """Return the travel matrix as floats, after checking the inputs (all problems at once).

    Parameters
    ----------
    tasks
        The vehicles to carry.
    fleet
        The HET pool and its working rules.
    travel_s
        Square matrix of HET travel times (s) between places.

    Returns
    -------
    numpy.ndarray
        ``travel_s`` as a float array.

    Raises
    ------
    ScenarioError
        A non-square matrix, an index outside it, repeated task ids, negative counts.
    """
    problems = []
    t = np.asarray(travel_s, dtype=float)
    if t.ndim != 2 or t.shape[0] != t.shape[1]:
        raise ScenarioError([f"HET travel matrix: must be square, got shape {t.shape}"])
    n = t.shape[0]
    if np.any(t < 0):
        problems.append("HET travel matrix: negative travel times")
    if not 0 <= fleet.depot < n:
        problems.append(f"HET fleet: depot {fleet.depot} is not an index of the {n}×{n} travel matrix")
    if fleet.count < 0:
        problems.append(f"HET fleet: count {fleet.count} < 0")
    if fleet.days is not None and fleet.days < 1:
        problems.append(f"HET fleet: days {fleet.days} < 1")
    for name in ("load_min", "unload_min", "duty_hours", "rest_hours"):
        if not getattr(fleet, name) >= 0:
            problems.append(f"HET fleet: {name} {getattr(fleet, name)} must be ≥ 0")
    seen: set[str] = set()
    for task in tasks:
        if task.id in seen:
            problems.append(f"HET task {task.id}: id repeated")
        seen.add(task.id)
        for name in ("pickup", "delivery"):
            i = getattr(task, name)
            if not 0 <= i < n:
                problems.append(f"HET task {task.id}: {name} {i} is not an index of the travel matrix")
        if not math.isfinite(task.ready_s):
            problems.append(f"HET task {task.id}: ready_s {task.ready_s} is not a number")
        spans = task.load_windows or ()
        if any(not (math.isfinite(a) and math.isfinite(b) and a <= b) for a, b in spans) or any(
            b1 > a2 for (_, b1), (a2, _) in itertools.pairwise(spans)
        ):
            problems.append(f"HET task {task.id}: load_windows must be finite spans (a ≤ b) in order")
    if problems:
        raise ScenarioError(problems)
    return t


def shortest_travel(travel: np.ndarray) -> np.ndarray:
    """Return the shortest travel times through the matrix (a HET may drive via any place).

    A no-op for matrices of shortest paths (the router's); it makes hand-made
    matrices obey the triangle inequality that the bounds and the checker assume.

    Parameters
    ----------
    travel
        Square matrix of travel times (s); ``inf`` or ``nan`` where there is no road.

    Returns
    -------
    numpy.ndarray
        A new matrix: shortest paths, ``inf`` where no path joins two places, ``0`` on the diagonal.
    """
    d = np.where(np.isnan(travel), np.inf, travel).copy()
    np.fill_diagonal(d, 0.0)
    for k in range(len(d)):
        np.minimum(d, d[:, k : k + 1] + d[k : k + 1, :], out=d)
    return d


def ceil_s(x: float) -> int:
    """Return whole seconds, rounded up (the model never underestimates a time).

    Parameters
    ----------
    x
        A time in seconds.

    Returns
    -------
    int
        The smallest whole second not below ``x`` (up to a rounding tolerance of 1e-9 s).
    """
    return math.ceil(x - 1e-9)


def _work_s(task: HetTask, fleet: HetFleet, travel: np.ndarray) -> float:
    """HET time one task takes alone: park, pickup, load, carry, unload, park."""
    p, d, z = task.pickup, task.delivery, fleet.depot
    return float(travel[z, p] + 60 * fleet.load_min + travel[p, d] + 60 * fleet.unload_min + travel[d, z])


def lower_bound_s(tasks: Sequence[HetTask], fleet: HetFleet, travel_s: np.ndarray) -> float:
    """Return a valid lower bound on the closure (last vehicle unloaded).

    The larger of two bounds.

    - Per task: loading starts no earlier than the vehicle is ready, a HET can
      be there from the park and its loading window opens; then it is loaded,
      carried and unloaded.
    - For the fleet: from the earliest possible loading start ``t0``, the HETs
      share the work ``W``: every loading and unloading, the loaded driving (one
      HET shares a drive among at most ``capacity`` vehicles) and, at capacity 1,
      a drive from a delivery place to a pickup place between two trips of a HET
      (at least ``tasks - HETs`` of them). The busiest HET does at least
      ``w = W / HETs``. Within a shift it works at most ``duty`` less the shortest
      drives out of and back to the park, so it needs ``s`` shifts; between two of
      them it drives back, rests and drives out. So the closure is at least
      ``t0 + w + (s - 1) · (rest + back + out - repositioning drive)``.
    """
    return closure_bound_s(tasks, fleet, shortest_travel(np.asarray(travel_s, dtype=float))) if tasks else 0.0


def closure_bound_s(tasks: Sequence[HetTask], fleet: HetFleet, travel: np.ndarray) -> float:
    """Return the lower bound of :func:`lower_bound_s` on a matrix of shortest travel times.

    Parameters
    ----------
    tasks
        The vehicles to carry (at least one).
    fleet
        The HET pool and its working rules.
    travel
        Shortest travel times (s) between places (:func:`shortest_travel`).

    Returns
    -------
    float
        A valid lower bound on the closure (s).
    """
    load, unload = 60 * fleet.load_min, 60 * fleet.unload_min
    z = fleet.depot
    starts = [t.loading_from(max(t.ready_s, travel[z, t.pickup])) for t in tasks]
    one = max(s + load + travel[t.pickup, t.delivery] + unload for s, t in zip(starts, tasks, strict=True))
    if fleet.count <= 0 or fleet.capacity <= 0 or not math.isfinite(one):
        return float(one)
    pickups = sorted({t.pickup for t in tasks})
    deliveries = sorted({t.delivery for t in tasks})
    out = float(travel[z, pickups].min())
    back = float(travel[deliveries, z].min())
    work = sum(load + unload + travel[t.pickup, t.delivery] / fleet.capacity for t in tasks)
    reposition = 0.0
    if fleet.capacity == 1:
        reposition = float(travel[np.ix_(deliveries, pickups)].min())
        work += max(0, len(tasks) - fleet.count) * reposition
    w = work / fleet.count
    inside = 3600 * fleet.duty_hours - out - back
    if not math.isfinite(w + out + back) or inside <= 0:
        return float(one)
    shifts = math.ceil(w / inside - 1e-9)
    between = 3600 * fleet.rest_hours + max(0.0, out + back - reposition)
    return float(max(one, min(starts) + w + max(0, shifts - 1) * between))


def diagnose(tasks: Sequence[HetTask], fleet: HetFleet, travel: np.ndarray, days: int | None) -> str:
    """Say why no plan can exist, from simple bounds; empty when none of them shows it.

    Parameters
    ----------
    tasks
        The vehicles to carry.
    fleet
        The HET pool and its working rules.
    travel
        Shortest travel times (s) between places (:func:`shortest_travel`).
    days
        Shifts per HET, or ``None`` when the plan may use as many as it needs.

    Returns
    -------
    str
        The reason in words, or ``""``.
    """
    if fleet.count <= 0:
        return f"no HETs (fleet.count = {fleet.count}) to carry {len(tasks)} vehicles"
    if fleet.capacity <= 0:
        return f"HETs carry nothing (fleet.capacity = {fleet.capacity})"
    z = fleet.depot
    for t in tasks:
        legs = (
            (z, t.pickup, "the park to its pickup"),
            (t.pickup, t.delivery, "its pickup to its delivery"),
            (t.delivery, z, "its delivery back to the park"),
        )
        for a, b, what in legs:
            if not math.isfinite(travel[a, b]):
                return f"task {t.id}: no road for a HET from {what} (matrix {a} → {b})"
    for t in tasks:
        if not math.isfinite(t.loading_from(max(t.ready_s, travel[z, t.pickup]))):
            return (
                f"task {t.id}: no loading window left once it is ready (load_windows: its loaded run "
                "must fit in the movement window)"
            )
    duty = 3600 * fleet.duty_hours
    for t in tasks:
        w = _work_s(t, fleet, travel)
        if w > duty + EPS:
            return (
                f"task {t.id} needs {w / 3600:.1f} h of HET time (park, pickup, load, carry, unload, "
                f"park) > a shift of {fleet.duty_hours:g} h (fleet.duty_hours)"
            )
    if days is None:
        return ""
    load, unload = 60 * fleet.load_min, 60 * fleet.unload_min
    work = sum(load + unload + travel[t.pickup, t.delivery] / fleet.capacity for t in tasks)
    available = fleet.count * days * duty
    if work > available + EPS:
        return (
            f"{fleet.count} HETs × {days} shifts of {fleet.duty_hours:g} h = {available / 3600:.1f} h "
            f"cannot carry {len(tasks)} vehicles: they need at least {work / 3600:.1f} h of HET work; "
            "add HETs or shifts (fleet.days)"
        )
    return ""
