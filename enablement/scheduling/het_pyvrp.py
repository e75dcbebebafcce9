"""Heavy equipment transporter (HET) shuttles on PyVRP, when a HET carries one vehicle at a time.

The problem and its bounds are in :mod:`.het`; the inputs, first plan and shift windows are
those of the OR-Tools engine (:func:`.het_data.prepare`), and so are the trips, shifts and the
result (:func:`.het_data.extract_plan`, :func:`.het_data.summarise`). :func:`.het.het_engine`
says which fleets this engine plans: capacity 1.

Model (see :func:`build_data`):

- **One client per task.** At capacity 1 a task is one visit: the HET arrives at the pickup,
  loads, drives loaded to the delivery and unloads. Its service duration is
  ``load + loaded drive + unload``; travel from task ``i`` to task ``j`` is the empty drive from
  ``i``'s delivery place to ``j``'s pickup place; from and to the depot, the drive from and to the
  park. Times are the OR-Tools model's whole seconds, rounded up (:func:`.het_data.model_data`).
- **Depot.** The HET park (one park in :class:`.het.HetFleet`; PyVRP takes several depots, and
  a vehicle type per park would carry a fleet with more parks).
- **Shifts as vehicle types.** One vehicle type per shift of a HET (one vehicle each), with the
  shift window of the first plan (:func:`.het_data.shift_windows`: the windows of one HET are
  ``rest_hours`` apart) as its time window, and ``duty_hours`` as its hard
  ``shift_duration``.
- **Time windows.** A client's window is its loading start: from the vehicle's ready time to the
  end of the loading window the first plan loads it in (as the OR-Tools model keeps it:
  :data:`.het_data.HetData.model_spans`); PyVRP's clients take one window. Every window also
  ends in time to unload by the first plan's closure: PyVRP has no makespan objective, and this
  keeps its search from trading closure for HET-hours (on 300 tasks × 30 HETs, without it,
  1,000 iterations cut HET-hours by 10 % and put the closure 1.9 h later). So the search
  minimises HET-hours and empty driving under the first plan's closure.
- **Due times.** PyVRP 0.14 has no soft time windows for clients (a client's window is hard;
  time warp makes a solution infeasible) nor a cost of lateness. So the due times are first
  made hard: a loading starts no later than lets the vehicle be unloaded by its due time
  (``build_data(due=True)``; a task late in every plan keeps its window). From a first plan that
  is on time, the whole search keeps every vehicle on time. From a late one, half the iteration
  count goes to the search with hard due times (PyVRP's penalties may repair the plan); when
  that finds nothing on time, the other half goes to a search without due times
  (``due=False``), from the first plan.
- **Objective** (PyVRP's): empty driving plus HET time on duty (a second each), plus
  :data:`LATER_SHIFT_COST` for each shift index used (pushing work into earlier shifts).
- **Choice.** Every plan found is checked (:func:`.het_check.check_hets`) and compared with the
  first plan on the OR-Tools engine's objective (:func:`score`: :data:`.het_routing.CLOSURE_WEIGHT`
  a second of closure, :data:`.het_routing.LATE_WEIGHT` a second of lateness, then HET-hours);
  the best is kept, the first plan on a tie, so the result is never worse than the first plan.
- **Start.** Each search starts from the first plan (``initial_solution``); when the first plan
  keeps the search's windows, PyVRP's best is never worse than it on PyVRP's own objective.

Determinism: PyVRP's iterated local search has no element that depends on the clock, so a seed
fixes its trajectory, and :func:`schedule_hets_pyvrp` stops it on a count:
``ITERATIONS_PER_SECOND × time_limit_s`` iterations in all (:data:`ITERATIONS_PER_SECOND` is
sized so that the count ends the search inside the budget). The user's time limit (wall time) is a
guard (``MaxRuntime``) beside the count: a search it stops is reported ``timed out``, and only
then may the plan vary from run to run. The same seed, tasks and time limit give the same plan.
``seed`` is PyVRP's random seed and also permutes the task order of the model, as in
:mod:`.het_routing`.
"""

from __future__ import annotations

import logging
import math
import time
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import pyvrp
from pyvrp.exceptions import PenaltyBoundWarning
from pyvrp.stop import MaxIterations, MaxRuntime, MultipleCriteria

from .het import HetFleet, HetSchedule, HetTask, ceil_s, het_engine
from .het_check import check_hets
from .het_data import HetData, extract_plan, prepare, summarise
from .het_routing import CLOSURE_WEIGHT, LATE_WEIGHT, SPARE_SHIFTS, schedule_hets

__all__ = [
    "ENGINE",
    "FIRST_PLAN",
    "ITERATIONS_PER_SECOND",
    "LATER_SHIFT_COST",
    "build_data",
    "schedule_hets_pyvrp",
    "score",
]

logger = logging.getLogger(__name__)

ENGINE = "PyVRP"
"""The engine's name in :attr:`.het.HetSchedule.engine`."""
FIRST_PLAN = "PyVRP (first plan kept: the search found nothing better)"
"""The engine's name when the first plan stands."""
ITERATIONS_PER_SECOND = 50
"""Iterations of the search per second of the time limit: the count that stops it. Measured on a
shared 2-core machine at a load average of 8-9: the packaged brigade's shuttles (64 tanks, 24 HETs,
96 shifts in the model) ran about 310 iterations a second, 300 tasks on 30 HETs (180 shifts,
``benchmarks/het_engines.py``) about 70. At 50 a second the count, not the clock, ends the search
up to that size on a busy machine; a larger problem hits the wall-time guard (``timed out``)."""
LATER_SHIFT_COST = 3600
"""Cost of using shift ``d`` of a HET: ``d × LATER_SHIFT_COST`` (an hour of duty per shift index),
the proxy for closure in PyVRP's objective (which has no makespan)."""


def build_data(data: HetData, *, due: bool = True, closure: int | None = None) -> pyvrp.ProblemData:
    """Return PyVRP's data of the shuttles at capacity 1: one client per task, one vehicle type per shift.

    Parameters
    ----------
    data
        The model's data with its days, shift windows and loading spans set
        (:func:`.het_data.prepare`).
    due
        Whether the due times are hard: a task's loading then starts late enough no more than
        to be unloaded by its due time, unless that is impossible in its window (a task that
        is late in every plan keeps its window).
    closure
        Every vehicle is unloaded by then (s), if given: the first plan's closure, so that the
        search cannot trade closure for HET-hours (PyVRP has no makespan objective).

    Returns
    -------
    pyvrp.ProblemData
        Depot 0 is the park; client ``k`` (location ``1 + k``) is task ``k``; vehicle type
        ``data.vehicle(het, shift)`` is that shift.
    """
    tt, z = data.travel, data.park
    n = len(data.tasks)
    pick = np.asarray([data.loc[2 + 2 * k] for k in range(n)], dtype=np.int64)
    drop = np.asarray([data.loc[3 + 2 * k] for k in range(n)], dtype=np.int64)
    m = np.zeros((n + 1, n + 1), dtype=np.int64)
    m[0, 1:] = tt[z, pick]
    m[1:, 0] = tt[drop, z]
    m[1:, 1:] = tt[np.ix_(drop, pick)]
    np.fill_diagonal(m, 0)
    h = data.horizon
    clients = []
    for k, task in enumerate(data.tasks):
        span = data.model_spans[k] if data.model_spans else None
        lo, hi = (data.ready[k], h) if span is None else (max(data.ready[k], span[0]), span[1])
        carry = data.service[2 + 2 * k] + int(tt[pick[k], drop[k]]) + data.service[3 + 2 * k]
        if due and task.due_s is not None and lo <= math.floor(task.due_s + 1e-9) - carry:
            hi = min(hi, math.floor(task.due_s + 1e-9) - carry)
        if closure is not None and lo <= closure - carry:  # the first plan keeps it: so can the search
            hi = min(hi, closure - carry)
        clients.append(
            pyvrp.Client(location=1 + k, service_duration=carry, tw_early=lo, tw_late=hi, name=task.id)
        )
    types = []
    for het in range(data.hets):
        for day in range(data.days):
            w0, w1 = data.window(het, day)
            types.append(
                pyvrp.VehicleType(
                    num_available=1,
                    tw_early=w0,
                    tw_late=w1,
                    shift_duration=data.duty,
                    fixed_cost=day * LATER_SHIFT_COST,
                    unit_distance_cost=1,
                    unit_duration_cost=1,
                    name=f"HET {het} shift {day}",
                )
            )
    matrices: list[Any] = [m]  # PyVRP's stubs spell a matrix ``ndarray[int]``, which numpy's types never are
    return pyvrp.ProblemData(
        locations=[pyvrp.Location(0.0, 0.0) for _ in range(n + 1)],  # no coordinates: the matrix is all
        clients=clients,
        depots=[pyvrp.Depot(0)],
        vehicle_types=types,
        distance_matrices=matrices,
        duration_matrices=matrices,
    )


def _initial(data: HetData, pdata: pyvrp.ProblemData, plans: list[list[list[int]]]) -> pyvrp.Solution:
    """Return the first plan as a PyVRP solution (client ``k`` is pickup node ``2 + 2k``)."""
    routes = [
        pyvrp.Route(pdata, [(node - 2) // 2 for node in nodes if node % 2 == 0], data.vehicle(het, day))
        for het, shifts in enumerate(plans)
        for day, nodes in enumerate(shifts)
        if nodes
    ]
    return pyvrp.Solution(pdata, routes)


def _plans(data: HetData, best: pyvrp.Solution) -> list[list[list[int]]]:
    """Return a PyVRP solution as plans: per HET, per shift, the model's nodes in order."""
    plans: list[list[list[int]]] = [[[] for _ in range(data.days)] for _ in range(data.hets)]
    for route in best.routes():
        het, day = divmod(route.vehicle_type(), data.days)
        for a in route.schedule():
            if a.is_client():
                plans[het][day] += [2 + 2 * a.idx, 3 + 2 * a.idx]
    return plans


def score(schedule: HetSchedule) -> float:
    """Return a plan's cost on the OR-Tools engine's objective: closure and lateness, then HET-hours.

    Parameters
    ----------
    schedule
        A plan with trips.

    Returns
    -------
    float
        ``CLOSURE_WEIGHT · closure + LATE_WEIGHT · lateness + HET seconds on duty``.
    """
    return CLOSURE_WEIGHT * schedule.closure_s + LATE_WEIGHT * schedule.lateness_s + 3600 * schedule.het_hours


def schedule_hets_pyvrp(
    tasks: Sequence[HetTask],
    fleet: HetFleet,
    travel_s: np.ndarray,
    *,
    time_limit_s: float = 10.0,
    seed: int = 0,
    iterations: int | None = None,
) -> HetSchedule:
    """Plan HET shuttles of HETs that carry one vehicle at a time, with PyVRP.

    Without a first plan (``fleet.days`` too few for list scheduling) the OR-Tools engine
    (:func:`.het_routing.schedule_hets`), whose insertion heuristics need none, plans instead.

    Parameters
    ----------
    tasks
        The vehicles to carry.
    fleet
        The HET pool and its working rules; ``capacity`` must be 1 (:func:`.het.het_engine`).
    travel_s
        Square matrix of HET travel times (s) between places; ``inf`` where there is no road.
    time_limit_s
        Wall-time guard of the search; the iteration count normally stops it first.
    seed
        PyVRP's random seed; also permutes the task order in the model (``0``: as given).
    iterations
        Iterations of the search; ``None``: ``ITERATIONS_PER_SECOND × time_limit_s``.

    Returns
    -------
    HetSchedule
        The plan (``engine`` ``PyVRP``, or the first plan's when the search found nothing
        better), or status ``infeasible`` with a diagnosis (no exception).

    Raises
    ------
    ValueError
        When the fleet carries more than one vehicle at a time (OR-Tools' case).
    ScenarioError
        Malformed inputs (matrix shape, indices, repeated ids).
    """
    if het_engine(fleet) != "pyvrp":
        msg = (
            f"the PyVRP engine plans HETs of capacity 1, not {fleet.capacity}: use het_routing.schedule_hets"
        )
        raise ValueError(msg)
    t0 = time.perf_counter()
    prepared = prepare(tasks, fleet, travel_s, seed, SPARE_SHIFTS, t0)
    if isinstance(prepared, HetSchedule):  # nothing to carry, or no plan can exist
        prepared.engine = ENGINE
        return prepared
    data, plans, bound = prepared
    if plans is None:
        return schedule_hets(tasks, fleet, travel_s, time_limit_s=time_limit_s, seed=seed)
    trips, shifts = extract_plan(data, plans)
    first = summarise(trips, shifts, tasks, bound, data.days, 0.0, False, FIRST_PLAN)
    cap = max(1, math.ceil(ITERATIONS_PER_SECOND * time_limit_s)) if iterations is None else iterations
    deadline = t0 + time_limit_s
    found: list[HetSchedule] = []
    timed_out = False
    # due times hard first: from a first plan that is on time, the search keeps every vehicle on
    # time; from a late one it may repair it, and the rest of the count then goes to a search
    # without due times (PyVRP has no soft windows), from the first plan
    closure = ceil_s(first.closure_s)
    hard = build_data(data, due=True, closure=closure)
    start = _initial(data, hard, plans)
    soft = build_data(data, due=False, closure=closure)
    runs = [(hard, cap)] if start.is_feasible() else [(hard, cap // 2), (soft, cap - cap // 2)]
    for pdata, count in runs:
        stop = MultipleCriteria([MaxIterations(count), MaxRuntime(max(0.1, deadline - time.perf_counter()))])
        initial = _initial(data, pdata, plans)
        with warnings.catch_warnings():
            # raised when the search's penalties reach their cap on infeasible neighbours; the
            # first plan stands unless a feasible, checked plan beats it, so it is noise here
            warnings.simplefilter("ignore", PenaltyBoundWarning)
            res = pyvrp.solve(
                pdata, stop, seed=seed, collect_stats=False, display=False, initial_solution=initial
            )
        timed_out = timed_out or res.num_iterations < count
        if res.is_feasible() and res.best.is_complete():
            trips, shifts = extract_plan(data, _plans(data, res.best))
            plan = summarise(trips, shifts, tasks, bound, data.days, 0.0, False, ENGINE)
            broken = check_hets(plan, tasks, fleet, travel_s)
            if broken:  # the engine's plan must keep every rule: else it is not taken
                logger.warning("PyVRP's HET plan breaks %d rule(s), not taken: %s", len(broken), broken[0])
            else:
                found.append(plan)
        if found and found[-1].lateness_s == 0:
            break
    seconds = time.perf_counter() - t0
    best = min([first, *found], key=score)  # the first plan wins ties: PyVRP never makes it worse
    best = summarise(best.trips, best.shifts, tasks, bound, data.days, seconds, timed_out, best.engine)
    logger.info(
        "HET shuttles (PyVRP): %d search(es) in %.1f s, closure %.2f h (first plan %.2f h), %s",
        len(runs),
        seconds,
        best.closure_s / 3600,
        first.closure_s / 3600,
        best.engine,
    )
    return best
