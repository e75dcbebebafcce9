"""A vehicle-routing-with-time-windows engine on OR-Tools, for the Solomon benchmark only.

It is not part of the package: the HET shuttles have their own models (``enablement.scheduling.het_pyvrp``
at capacity 1, ``het_routing``'s pickup and delivery with its own search settings otherwise).
``vrptw_pyvrp.py`` runs it beside PyVRP at the same limits. This engine measures what OR-Tools routing reaches
on the classic VRPTW instances against their best-known distances and against OR-Tools'
default search, in ``benchmarks/vrptw_solomon.py``.

Data → model → constraints → solve → extract, each a function. Distances follow
the DIMACS convention of the Solomon benchmark: Euclidean, truncated to 0.1,
so the model works in integer tenths; travel time equals distance; a vehicle may
wait for a window to open. The search is configurable; the defaults
(:data:`FIRST_SOLUTION`, :data:`FALLBACK_FIRST_SOLUTION`, :data:`METAHEURISTIC`,
:data:`GLS_LAMBDA`, :data:`EXTRA_OPERATORS`) are the ones the benchmark reports
(``benchmarks/vrptw_solomon.py``): they were chosen on the benchmark's three Solomon
instances (C101, R101, RC208) at 30 s, so the figures in their notes are what this
configuration does on those, not a promise for other instances. Figures in "s of CPU"
are points on one search trajectory: guided local search has no random element, so runs
given the same CPU time find the same solution, or nearly (the work done per CPU second
varies a little: RC208 at 30 s gave 776.5 in one run, 777.3 in another).
"""

from __future__ import annotations

import math
import os
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from enablement.errors import ScenarioError
from enablement.scheduling._ortools import optional_boolean_pb2, pywrapcp, routing_enums_pb2

__all__ = [
    "EXTRA_OPERATORS",
    "FALLBACK_FIRST_SOLUTION",
    "FIRST_SOLUTION",
    "FIRST_SOLUTION_SHARE",
    "GLS_LAMBDA",
    "METAHEURISTIC",
    "VrptwInstance",
    "VrptwSolution",
    "check_solution",
    "read_solomon",
    "solve_vrptw",
]

FIRST_SOLUTION = "PATH_CHEAPEST_ARC"
"""First-solution strategy: extend each route by its cheapest arc. On RC208 (wide windows, long
routes) it builds 4 routes, from which guided local search got within 0.5 % in 30 s of CPU;
from the 3 routes of savings and parallel or sequential cheapest insertion it ended 3.7 % (savings)
to 15-17 % (insertions) off, from local cheapest insertion, Christofides and global or local
cheapest arc 1.5-3.5 % off. It fails on tight windows (R101): see :data:`FIRST_SOLUTION_SHARE`."""
FALLBACK_FIRST_SOLUTION = "SAVINGS"
"""Tried when :data:`FIRST_SOLUTION` finds no solution in its share of the time (R101's tight
windows): Clarke-Wright savings, from which guided local search had R101 within 0.3 % after 10 s
of CPU, where parallel and local cheapest insertion were 1.5 % and 2.3 % off."""
FIRST_SOLUTION_SHARE = 0.05
"""Share of the time limit :data:`FIRST_SOLUTION` may take to build a solution before the fallback
is tried. Route-by-route construction either succeeds in milliseconds or, stuck on tight windows,
backtracks until the time runs out (it used all 30 s on R101 and left the fallback 1 s)."""
METAHEURISTIC = "GUIDED_LOCAL_SEARCH"
"""Local-search metaheuristic: guided local search penalises the arcs of each local optimum to move
on. From the same RC208 start, after 30 s of CPU: guided local search 1.5 % off (0.5 % with
:data:`GLS_LAMBDA`), tabu search 6 %, simulated annealing and generic tabu search 15-16 %, greedy
descent 12 % (its first local optimum); OR-Tools' iterated local search (SISR ruin and recreate,
greedy or simulated-annealing acceptance, with or without local search after each recreate) ended
0.85-4 % off depending on its settings."""
GLS_LAMBDA = 0.3
"""``guided_local_search_lambda_coefficient`` (OR-Tools' default 0.1): the weight of the arc
penalties. Tuned on RC208, where the search is erratic in it: after 15-30 s of CPU 0.3 had 0.5 %,
0.1, 0.25, 0.35, 0.4, 0.5 and 1.0 had 1.0-2.3 % (0.1 sat on an 8 % plateau for its first 10 s):
0.3 is a lucky point there, and the neighbours' 1-2 % is the likelier figure elsewhere.
R101 (from savings) was within 1 % with 0.1 and 0.3; C101 reached its optimum with every
setting tried."""
EXTRA_OPERATORS = ("use_tsp_opt",)
"""Local-search operators switched on besides OR-Tools' defaults: ``use_tsp_opt`` re-sequences
short chains of a route exactly (dynamic programming), which suits RC208's long routes: with
:data:`GLS_LAMBDA` it had RC208 at 0.4 % after 10 s of CPU and 0.05 % after 25 s, against 1.0 %
and 0.5 % without (it gives no such gain at other lambdas: 0.9-2.3 %, 8 % at 0.1 and 0.2).
Relocate-neighbours, path LNS, close-nodes or expensive-chain insertion LNS, the multi-armed-bandit
operator order and a 50 % neighbour list each left RC208 5-8 % off after 15-25 s of CPU."""
SCALE = 10
"""Model units per distance unit: distances are truncated to 0.1."""


@dataclass(frozen=True)
class VrptwInstance:
    """Customers with demand, time window and service time; node 0 is the depot."""

    name: str
    vehicles: int
    capacity: int
    xy: np.ndarray
    demand: np.ndarray
    ready: np.ndarray
    due: np.ndarray
    service: np.ndarray

    def distance_matrix(self) -> np.ndarray:
        """Distances in tenths, truncated (DIMACS convention), as int64."""
        d = np.hypot(*(self.xy[:, None, :] - self.xy[None, :, :]).transpose(2, 0, 1))
        return np.floor(d * SCALE + 1e-9).astype(np.int64)


@dataclass
class VrptwSolution:
    """Routes (customer ids, depot left out), total distance, vehicles used, status and solve time."""

    routes: list[list[int]]
    distance: float
    vehicles: int
    status: str
    seconds: float


def read_solomon(path: str | os.PathLike[str]) -> VrptwInstance:
    """Read a Solomon VRPTW instance (``c101.txt`` format).

    Raises
    ------
    ScenarioError
        Naming the file and the line that cannot be read.
    """
    p = Path(path)
    try:
        lines = [ln.split() for ln in p.read_text(encoding="utf-8").splitlines()]
    except OSError as exc:
        raise ScenarioError([f"{p}: cannot be read ({exc})"]) from None
    name = lines[0][0] if lines and lines[0] else p.stem
    try:
        at = next(i for i, ln in enumerate(lines) if ln[:2] == ["NUMBER", "CAPACITY"])
        vehicles, capacity = (int(x) for x in lines[at + 1][:2])
        start = next(i for i, ln in enumerate(lines) if ln[:2] == ["CUST", "NO."]) + 1
    except (StopIteration, ValueError, IndexError):
        raise ScenarioError([f"{p}: not a Solomon instance (no VEHICLE or CUSTOMER section)"]) from None
    rows = []
    for k, ln in enumerate(lines[start:], start=start + 1):
        if not ln:
            continue
        try:
            rows.append([float(x) for x in ln[:7]])
        except ValueError:
            raise ScenarioError([f"{p}: line {k}: expected 7 numbers, got {' '.join(ln)!r}"]) from None
    a = np.array(rows)
    return VrptwInstance(
        name,
        vehicles,
        capacity,
        a[:, 1:3],
        a[:, 3].astype(np.int64),
        a[:, 4].astype(np.int64),
        a[:, 5].astype(np.int64),
        a[:, 6].astype(np.int64),
    )


def _model(inst: VrptwInstance) -> tuple[pywrapcp.RoutingIndexManager, pywrapcp.RoutingModel]:
    n = len(inst.demand)
    dist = inst.distance_matrix()
    manager = pywrapcp.RoutingIndexManager(n, inst.vehicles, 0)
    routing = pywrapcp.RoutingModel(manager)
    # matrices and vectors are looked up inside OR-Tools: a Python callback per arc made the
    # local search about 8 times slower (greedy descent on RC208: 2.4 s against 0.3 s)
    routing.SetArcCostEvaluatorOfAllVehicles(routing.RegisterTransitMatrix(dist.tolist()))
    travel = dist + inst.service[:, None] * SCALE  # service at the node left, then the drive
    horizon = int(inst.due[0]) * SCALE
    routing.AddDimension(routing.RegisterTransitMatrix(travel.tolist()), horizon, horizon, False, "time")
    clock = routing.GetDimensionOrDie("time")
    for node in range(1, n):
        clock.CumulVar(manager.NodeToIndex(node)).SetRange(
            int(inst.ready[node]) * SCALE, int(inst.due[node]) * SCALE
        )
    for v in range(inst.vehicles):
        clock.CumulVar(routing.Start(v)).SetRange(int(inst.ready[0]) * SCALE, horizon)
        clock.CumulVar(routing.End(v)).SetRange(int(inst.ready[0]) * SCALE, horizon)
    routing.AddDimensionWithVehicleCapacity(
        routing.RegisterUnaryTransitVector([int(q) for q in inst.demand]),
        0,
        [inst.capacity] * inst.vehicles,
        True,
        "load",
    )
    return manager, routing


def _parameters(
    strategy: str,
    metaheuristic: str | None,
    seconds: float,
    operators: tuple[str, ...] = (),
    *,
    first_only: bool = False,
) -> pywrapcp.RoutingSearchParameters:
    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = getattr(routing_enums_pb2.FirstSolutionStrategy, strategy)
    if first_only:
        params.solution_limit = 1
    elif metaheuristic is not None:
        params.local_search_metaheuristic = getattr(routing_enums_pb2.LocalSearchMetaheuristic, metaheuristic)
        if metaheuristic == "GUIDED_LOCAL_SEARCH":
            params.guided_local_search_lambda_coefficient = GLS_LAMBDA
    for name in operators:
        setattr(params.local_search_operators, name, optional_boolean_pb2.BOOL_TRUE)
    params.time_limit.FromMilliseconds(max(1, int(seconds * 1000)))
    return params


def solve_vrptw(
    inst: VrptwInstance,
    *,
    time_limit_s: float = 30.0,
    first_solution: str = FIRST_SOLUTION,
    metaheuristic: str | None = METAHEURISTIC,
    extra_operators: tuple[str, ...] = EXTRA_OPERATORS,
) -> VrptwSolution:
    """Solve a VRPTW with OR-Tools routing: minimum total distance, at most ``inst.vehicles`` routes.

    ``first_solution`` must build a solution within :data:`FIRST_SOLUTION_SHARE` of the time
    (else :data:`FALLBACK_FIRST_SOLUTION` is used), then ``metaheuristic`` improves it until
    the time limit. The search has no random element, but it stops on the clock: the result
    depends on the time limit and on how much CPU the process gets in it (a busy machine, a slower
    one), not only on the instance.

    Parameters
    ----------
    inst
        The instance.
    time_limit_s
        Search time (wall clock), first solution included.
    first_solution, metaheuristic
        Names in ``routing_enums_pb2.FirstSolutionStrategy`` and
        ``LocalSearchMetaheuristic``; ``metaheuristic=None`` keeps OR-Tools' default (greedy
        descent). Guided local search runs with :data:`GLS_LAMBDA`.
    extra_operators
        Fields of ``local_search_operators`` to switch on besides OR-Tools' defaults
        (``()``: OR-Tools' operators only).

    Returns
    -------
    VrptwSolution
        Status ``feasible`` with routes, or ``infeasible`` (no solution found:
        the windows, capacity or fleet cannot serve every customer).
    """
    t0 = time.perf_counter()

    def left() -> float:
        return time_limit_s - (time.perf_counter() - t0)

    solution = None
    # tight windows (R101) can defeat a route-by-route first solution: then savings is tried. The
    # first strategy is probed alone (first solution only) so that it cannot take all the time; the
    # search then restarts from scratch, which reproduces a plain SolveWithParameters run (local
    # search from the probe's solution took another, here worse, trajectory)
    strategies = list(dict.fromkeys((first_solution, FALLBACK_FIRST_SOLUTION)))
    for k, strategy in enumerate(strategies):
        if k < len(strategies) - 1:
            _, probe = _model(inst)
            budget = min(FIRST_SOLUTION_SHARE * time_limit_s, left())
            if probe.SolveWithParameters(_parameters(strategy, None, budget, first_only=True)) is None:
                continue
        manager, routing = _model(inst)
        solution = routing.SolveWithParameters(_parameters(strategy, metaheuristic, left(), extra_operators))
        if solution is not None:
            break
    seconds = time.perf_counter() - t0
    if solution is None:
        return VrptwSolution([], math.inf, 0, "infeasible", seconds)
    routes = []
    for v in range(inst.vehicles):
        index = routing.Start(v)
        stops = []
        while not routing.IsEnd(index):
            node = manager.IndexToNode(index)
            if node:
                stops.append(node)
            index = solution.Value(routing.NextVar(index))
        if stops:
            routes.append(stops)
    return VrptwSolution(routes, solution.ObjectiveValue() / SCALE, len(routes), "feasible", seconds)


def check_solution(inst: VrptwInstance, sol: VrptwSolution) -> list[str]:
    """Every broken rule of a solution: unserved or repeated customers, capacity, late arrivals."""
    dist = inst.distance_matrix()
    problems = []
    seen = [c for r in sol.routes for c in r]
    n = len(inst.demand)
    if sorted(seen) != list(range(1, n)):
        problems.append(f"customers served {len(seen)} times in all, {len(set(seen))} distinct, of {n - 1}")
    total = 0
    for k, route in enumerate(sol.routes):
        if inst.demand[route].sum() > inst.capacity:
            problems.append(f"route {k} carries {inst.demand[route].sum()} > capacity {inst.capacity}")
        t, prev = int(inst.ready[0]) * SCALE, 0
        for c in [*route, 0]:
            t += int(inst.service[prev]) * SCALE + int(dist[prev, c])
            total += int(dist[prev, c])
            t = max(t, int(inst.ready[c]) * SCALE)
            if t > int(inst.due[c]) * SCALE:
                problems.append(f"route {k} reaches {c} at {t / SCALE:.1f}, after its due time {inst.due[c]}")
            prev = c
    if abs(total / SCALE - sol.distance) > 1e-6:
        problems.append(f"distance {sol.distance} does not match the routes ({total / SCALE})")
    return problems
