"""Heavy equipment transporter (HET) shuttles on OR-Tools routing: pickup and delivery with time windows.

Tracked vehicles do not drive long distances on roads: a pool of HETs carries
them from where they are (port, quay) to where they must be (staging area,
destination); the problem and its bounds are in :mod:`.het`. Data → model →
constraints → solve → extract, each a function (the OR-Tools samples' layout).
Times in the model are whole seconds since the scenario start; every travel,
loading and unloading time is rounded up, so a plan that holds in the model holds
for the real figures. Travel times are taken as shortest paths through the matrix
(a HET may drive via any place), which changes nothing for the router's matrices.

Model (see :func:`build_model`):

- **Shifts.** One routing vehicle per shift of a HET: HET ``k``, shift ``d`` leaves
  the park and comes back to it within at most ``duty_hours``, inside the shift's
  window; the windows of one HET are ``rest_hours`` apart, so a HET always rests
  at the park between shifts. Constraints that tie two routes together (end of
  one shift, start of the next) are invisible to the routing library's
  local-search filters, which then misjudge every move (tried: the search made
  plans worse), so the windows are fixed before the search, from a first plan.
- **First plan** (:func:`.het_data.first_plan`): list scheduling, tasks by ready
  time, each to the HET that unloads it first, a new shift after the rest when the
  duty time runs out. It sets the windows (a used shift's start to end, widened
  half-way into the spare time on either side; then shifts at the regular
  ``duty + rest`` cycle, :data:`SPARE_SHIFTS` more than it used) and is where the
  search starts.
- **Carriage.** Every task is a pickup-and-delivery pair on one shift, pickup first;
  a capacity dimension keeps at most ``fleet.capacity`` vehicles on board, so a shift
  makes several trips in turn (and, at capacity > 1, may carry several at once).
  The time dimension adds loading time at the pickup and unloading time at the
  delivery; a HET may wait. Loading starts no earlier than the task's ``ready_s``,
  and inside its ``load_windows`` when it has them (the plan's movement window for
  the loaded run). The search keeps each loading in the window the first plan loads
  it in: holes in a time domain pass the routing library's local-search filters and
  fail only in propagation (tried on the brigade's 64 tanks and 24 HETs: 8,000 such
  neighbours took 17 s to prove the first plan a local optimum, against 0.6 s
  without windows). Without a first plan, the gaps between all the windows are
  removed instead. The times reported keep to every window of the task.
  Every task is mandatory: a plan carries them all or there is none.
- **Due times** (RDD) are soft: each second a vehicle is unloaded after its
  ``due_s`` costs :data:`LATE_WEIGHT`.
- **Objective**: closure first, then HET-hours. The fleet's global span on the time
  dimension costs :data:`CLOSURE_WEIGHT` a second; an anchor route pinned at the
  scenario start makes that span the time of the last return to the park (a proxy of
  closure, which is reported as the last unloading). Then each second of a shift
  (HET on duty, park to park) and each second of driving (the arc cost) cost 1.
- **Times.** The search decides the routes; the times reported are the earliest
  each route allows in its window (:func:`.het_data.earliest_times`), since the
  library's own cumul values need not be the earliest.

Determinism: a wall-clock limit would stop the search wherever the machine happens
to be. The default search is a descent to a local optimum (:data:`METAHEURISTIC`),
which ends by itself, capped by a count, ``solution_limit`` (solutions the search
accepts); the time limit is only a safety net, and a search it stops is reported
``timed out`` (its plan is then the best found, which may vary from run to run).
With ``metaheuristic="GUIDED_LOCAL_SEARCH"`` the count is what stops the search.
OR-Tools routing takes no seed; ``seed`` permutes the order of the tasks in the
model (``seed=0`` keeps the given order), another, equally reproducible, path.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence

import numpy as np

from ._ortools import optional_boolean_pb2, pywrapcp, routing_enums_pb2
from .het import (
    HetFleet,
    HetSchedule,
    HetTask,
)
from .het_data import HetData, extract_plan, prepare, summarise

__all__ = [
    "CLOSURE_WEIGHT",
    "ENGINE",
    "FIRST_SOLUTION",
    "LATE_WEIGHT",
    "METAHEURISTIC",
    "SOLUTION_LIMIT",
    "SPARE_SHIFTS",
    "build_model",
    "schedule_hets",
]

FIRST_SOLUTION = "PARALLEL_CHEAPEST_INSERTION"
"""First-solution strategy when no first plan is at hand (``fleet.days`` too few for it):
insertion of whole pickup-and-delivery pairs."""
FALLBACK_FIRST_SOLUTION = "LOCAL_CHEAPEST_INSERTION"
"""Tried when the first strategy finds no solution."""
METAHEURISTIC = "GREEDY_DESCENT"
"""Local search: descend to a local optimum. Guided local search found nothing better
on 40 tasks × 6 HETs (119.2 h closure either way) in 36 s for 200 solutions, against
1 s for the descent."""
ENGINE = "OR-Tools routing"
"""The engine's name in :attr:`.het.HetSchedule.engine`."""
SOLUTION_LIMIT = 1000
"""Solutions the search may accept before it stops: the deterministic limit."""
SPARE_SHIFTS = 1
"""Shifts per HET in the model beyond those of the first plan, room for the search."""
CLOSURE_WEIGHT = 100
"""Cost of one second of the fleet's global span (last return to the park)."""
LATE_WEIGHT = 100
"""Cost of one second of one vehicle unloaded after its due time."""
_SLOW_OPERATORS = (
    "use_global_cheapest_insertion_path_lns",
    "use_local_cheapest_insertion_path_lns",
    "use_relocate_path_global_cheapest_insertion_insert_unperformed",
    "use_global_cheapest_insertion_visit_types_lns",
    "use_local_cheapest_insertion_visit_types_lns",
)
"""Insertion-based LNS operators, switched off: they re-insert over every shift and took
six times as long to the same local optimum (150 tasks × 12 HETs: 34 s against 5.6 s)."""


# --------------------------------------------------------------------------- model


def build_model(data: HetData) -> tuple[pywrapcp.RoutingIndexManager, pywrapcp.RoutingModel]:
    """Build the routing model of the HET shuttles.

    Vehicle ``het · days + shift`` is one shift of one HET: it lasts at most
    ``duty`` and stays within its window (:func:`.het_data.shift_windows`); the windows of a HET
    are ``rest`` apart. The last vehicle is the anchor that pins the global span to
    the scenario start.

    Returns
    -------
    manager, routing
        The index manager and the model with every constraint.
    """
    n = len(data.loc)
    anchor = data.shifts
    manager = pywrapcp.RoutingIndexManager(n, data.shifts + 1, 0)
    routing = pywrapcp.RoutingModel(manager)
    # node-indexed matrices stay on the C++ side: Python callbacks made the search twice as slow
    at = np.asarray(data.loc)
    arcs = data.travel[np.ix_(at, at)]
    steps = arcs + np.asarray(data.service, dtype=np.int64)[:, None]
    routing.SetArcCostEvaluatorOfAllVehicles(routing.RegisterTransitMatrix(arcs.tolist()))
    h = data.horizon
    routing.AddDimension(routing.RegisterTransitMatrix(steps.tolist()), h, h, False, "time")
    clock = routing.GetDimensionOrDie("time")
    routing.AddDimensionWithVehicleCapacity(
        routing.RegisterUnaryTransitVector(data.demand), 0, [data.capacity] * (data.shifts + 1), True, "load"
    )
    _constraints(data, manager, routing, clock)
    clock.SetGlobalSpanCostCoefficient(CLOSURE_WEIGHT)
    for v in range(data.shifts):
        clock.SetSpanCostCoefficientForVehicle(1, v)
    clock.CumulVar(routing.Start(anchor)).SetValue(0)
    return manager, routing


def _constraints(
    data: HetData,
    manager: pywrapcp.RoutingIndexManager,
    routing: pywrapcp.RoutingModel,
    clock: pywrapcp.RoutingDimension,
) -> None:
    """Pairs, ready times, due times and shift windows."""
    solver = routing.solver()
    anchor = data.shifts
    routing.VehicleVar(manager.NodeToIndex(1)).SetValues([-1, anchor])  # the anchor visits it, alone
    for k, task in enumerate(data.tasks):
        p, d = manager.NodeToIndex(2 + 2 * k), manager.NodeToIndex(3 + 2 * k)
        routing.AddPickupAndDelivery(p, d)
        solver.Add(routing.VehicleVar(p) == routing.VehicleVar(d))
        solver.Add(clock.CumulVar(p) <= clock.CumulVar(d))
        routing.VehicleVar(p).RemoveValue(anchor)
        routing.VehicleVar(d).RemoveValue(anchor)
        clock.CumulVar(p).SetMin(data.ready[k])
        span = data.model_spans[k] if data.model_spans else None
        if span is not None:  # the window the first plan loads it in
            clock.CumulVar(p).SetRange(max(data.ready[k], span[0]), span[1])
        elif data.load_spans:
            _loading_windows(clock.CumulVar(p), data.load_spans[k], data.horizon)
        if task.due_s is not None:
            unload = data.service[3 + 2 * k]
            clock.SetCumulVarSoftUpperBound(d, max(0, math.floor(task.due_s + 1e-9) - unload), LATE_WEIGHT)
    for het in range(data.hets):
        for day in range(data.days):
            v = data.vehicle(het, day)
            w0, w1 = data.window(het, day)
            clock.CumulVar(routing.Start(v)).SetRange(w0, w1)
            clock.CumulVar(routing.End(v)).SetRange(w0, w1)
            clock.SetSpanUpperBoundForVehicle(data.duty, v)


def _loading_windows(cumul: pywrapcp.IntVar, spans: list[tuple[int, int]] | None, horizon: int) -> None:
    """Keep a pickup's loading start inside its loading windows: remove the gaps between them."""
    if spans is None:
        return
    lo = 0
    for a, b in spans:
        if a > horizon:
            break
        if a > lo:
            cumul.RemoveInterval(lo, a - 1)
        lo = b + 1
    if lo <= horizon:
        cumul.RemoveInterval(lo, horizon)


def _routes(
    data: HetData, plans: list[list[list[int]]], manager: pywrapcp.RoutingIndexManager
) -> list[list[int]]:
    """Return a plan as routes of the model (variable indices), anchor route last."""
    routes: list[list[int]] = [[] for _ in range(data.shifts + 1)]
    for het, shifts in enumerate(plans):
        for day, nodes in enumerate(shifts):
            routes[data.vehicle(het, day)] = [manager.NodeToIndex(node) for node in nodes]
    routes[data.shifts] = [manager.NodeToIndex(1)]
    return routes


# --------------------------------------------------------------------------- solve


def _parameters(
    strategy: str, metaheuristic: str, time_limit_s: float, solution_limit: int, seed: int
) -> object:
    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = getattr(routing_enums_pb2.FirstSolutionStrategy, strategy)
    params.local_search_metaheuristic = getattr(routing_enums_pb2.LocalSearchMetaheuristic, metaheuristic)
    for name in _SLOW_OPERATORS:
        setattr(params.local_search_operators, name, optional_boolean_pb2.BOOL_FALSE)
    params.solution_limit = max(1, int(solution_limit))
    ms = max(1, int(time_limit_s * 1000))
    params.time_limit.FromMilliseconds(ms)
    params.lns_time_limit.FromMilliseconds(ms)  # its 0.1 s default is a clock too
    params.sat_parameters.random_seed = int(seed)
    return params


def schedule_hets(
    tasks: Sequence[HetTask],
    fleet: HetFleet,
    travel_s: np.ndarray,
    *,
    time_limit_s: float = 10.0,
    seed: int = 0,
    solution_limit: int = SOLUTION_LIMIT,
    metaheuristic: str = METAHEURISTIC,
) -> HetSchedule:
    """Plan HET shuttles that carry every task.

    Parameters
    ----------
    tasks
        The vehicles to carry.
    fleet
        The HET pool and its working rules.
    travel_s
        Square matrix of HET travel times (s) between places; empty runs use it too.
        ``inf`` where there is no road.
    time_limit_s
        Safety net on the search's wall time; the search normally stops on
        ``solution_limit`` first, which keeps it deterministic.
    seed
        Permutes the task order in the model (``0``: as given).
    solution_limit
        Solutions the local search may accept before it stops.
    metaheuristic
        A name in ``routing_enums_pb2.LocalSearchMetaheuristic``.

    Returns
    -------
    HetSchedule
        The plan, or status ``infeasible`` with a diagnosis (no exception).

    Raises
    ------
    ScenarioError
        Malformed inputs (matrix shape, indices, repeated ids).
    """
    t0 = time.perf_counter()
    prepared = prepare(tasks, fleet, travel_s, seed, SPARE_SHIFTS, t0)
    if isinstance(prepared, HetSchedule):
        return prepared
    data, plans, bound = prepared
    solution = None
    for strategy in dict.fromkeys((FIRST_SOLUTION, FALLBACK_FIRST_SOLUTION)):
        manager, routing = build_model(data)
        left = max(0.5, time_limit_s - (time.perf_counter() - t0))
        params = _parameters(strategy, metaheuristic, left, solution_limit, seed)
        start = None
        if plans is not None:  # the search starts from the greedy plan
            routing.CloseModelWithParameters(params)
            start = routing.ReadAssignmentFromRoutes(_routes(data, plans, manager), True)
        if start is not None:
            solution = routing.SolveFromAssignmentWithParameters(start, params)
        else:
            solution = routing.SolveWithParameters(params)
        if solution is not None:
            break
    seconds = time.perf_counter() - t0
    if solution is not None:
        plans = _plans(data, manager, routing, solution)
    if plans is None:
        timeout = routing.status() == routing_enums_pb2.RoutingSearchStatus.ROUTING_FAIL_TIMEOUT
        why = (
            f"no plan found before the time limit ({time_limit_s:g} s)"
            if timeout
            else f"no plan found with {fleet.count} HETs × {data.days} shifts of {fleet.duty_hours:g} h "
            "under the ready times and rest rules; add HETs or shifts (fleet.days)"
        )
        return HetSchedule(
            "timed out" if timeout else "infeasible",
            bound_s=bound,
            days=data.days,
            solve_seconds=seconds,
            diagnosis=why,
        )
    trips, shifts = extract_plan(data, plans)  # the first plan, should the search fail from it
    timeout = routing.status() == routing_enums_pb2.RoutingSearchStatus.ROUTING_FAIL_TIMEOUT
    timed_out = timeout or seconds >= time_limit_s
    return summarise(trips, shifts, tasks, bound, data.days, seconds, timed_out, ENGINE)


# --------------------------------------------------------------------------- extract


def _plans(
    data: HetData,
    manager: pywrapcp.RoutingIndexManager,
    routing: pywrapcp.RoutingModel,
    solution: pywrapcp.Assignment,
) -> list[list[list[int]]]:
    """Return the solution's routes: per HET, per shift, the nodes visited in order."""
    plans: list[list[list[int]]] = []
    for het in range(data.hets):
        shifts = []
        for day in range(data.days):
            index = solution.Value(routing.NextVar(routing.Start(data.vehicle(het, day))))
            nodes = []
            while not routing.IsEnd(index):
                nodes.append(manager.IndexToNode(index))
                index = solution.Value(routing.NextVar(index))
            shifts.append(nodes)
        plans.append(shifts)
    return plans
