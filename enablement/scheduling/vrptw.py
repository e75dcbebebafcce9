"""Vehicle routing with time windows on OR-Tools: the HET shuttles' engine, checked on Solomon instances.

Data → model → constraints → solve → extract, each a function. Distances follow
the DIMACS convention of the Solomon benchmark: Euclidean, truncated to 0.1,
so the model works in integer tenths; travel time equals distance; a vehicle may
wait for a window to open. The search is configurable; the defaults
(:data:`FIRST_SOLUTION`, :data:`METAHEURISTIC`) are the ones the benchmark
reports (``benchmarks/vrptw_solomon.py``).
"""

from __future__ import annotations

import math
import os
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from ortools.constraint_solver import pywrapcp, routing_enums_pb2

from ..errors import ScenarioError

__all__ = [
    "FIRST_SOLUTION",
    "METAHEURISTIC",
    "VrptwInstance",
    "VrptwSolution",
    "check_solution",
    "read_solomon",
    "solve_vrptw",
]

FIRST_SOLUTION = "PATH_CHEAPEST_ARC"
"""First-solution strategy: extend each route by its cheapest arc (it found C101's optimum in 10 s,
where parallel cheapest insertion and savings did not)."""
FALLBACK_FIRST_SOLUTION = "PARALLEL_CHEAPEST_INSERTION"
"""Tried when the first strategy finds no solution (tight windows)."""
METAHEURISTIC = "GUIDED_LOCAL_SEARCH"
"""Local-search metaheuristic (penalises long arcs to escape local optima)."""
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
    service = inst.service * SCALE
    manager = pywrapcp.RoutingIndexManager(n, inst.vehicles, 0)
    routing = pywrapcp.RoutingModel(manager)

    def distance(i: int, j: int) -> int:
        return int(dist[manager.IndexToNode(i), manager.IndexToNode(j)])

    def travel(i: int, j: int) -> int:
        a = manager.IndexToNode(i)
        return int(service[a] + dist[a, manager.IndexToNode(j)])

    def demand(i: int) -> int:
        return int(inst.demand[manager.IndexToNode(i)])

    routing.SetArcCostEvaluatorOfAllVehicles(routing.RegisterTransitCallback(distance))
    horizon = int(inst.due[0]) * SCALE
    routing.AddDimension(routing.RegisterTransitCallback(travel), horizon, horizon, False, "time")
    clock = routing.GetDimensionOrDie("time")
    for node in range(n):
        index = manager.NodeToIndex(node) if node else None
        window = (int(inst.ready[node]) * SCALE, int(inst.due[node]) * SCALE)
        if index is not None:
            clock.CumulVar(index).SetRange(*window)
    for v in range(inst.vehicles):
        clock.CumulVar(routing.Start(v)).SetRange(int(inst.ready[0]) * SCALE, horizon)
        clock.CumulVar(routing.End(v)).SetRange(int(inst.ready[0]) * SCALE, horizon)
    routing.AddDimensionWithVehicleCapacity(
        routing.RegisterUnaryTransitCallback(demand), 0, [inst.capacity] * inst.vehicles, True, "load"
    )
    return manager, routing


def solve_vrptw(
    inst: VrptwInstance,
    *,
    time_limit_s: float = 30.0,
    first_solution: str = FIRST_SOLUTION,
    metaheuristic: str | None = METAHEURISTIC,
) -> VrptwSolution:
    """Solve a VRPTW with OR-Tools routing.

    Parameters
    ----------
    inst
        The instance.
    time_limit_s
        Search time.
    first_solution, metaheuristic
        Names in ``routing_enums_pb2.FirstSolutionStrategy`` and
        ``LocalSearchMetaheuristic``; ``metaheuristic=None`` keeps OR-Tools' default.

    Returns
    -------
    VrptwSolution
        Status ``feasible`` with routes, or ``infeasible`` (no solution found:
        the windows, capacity or fleet cannot serve every customer).
    """
    t0 = time.perf_counter()
    # tight windows (R101) can defeat a route-by-route first solution: then insertion is tried
    for strategy in dict.fromkeys((first_solution, FALLBACK_FIRST_SOLUTION)):
        manager, routing = _model(inst)
        params = pywrapcp.DefaultRoutingSearchParameters()
        params.first_solution_strategy = getattr(routing_enums_pb2.FirstSolutionStrategy, strategy)
        if metaheuristic is not None:
            params.local_search_metaheuristic = getattr(
                routing_enums_pb2.LocalSearchMetaheuristic, metaheuristic
            )
        left = max(1.0, time_limit_s - (time.perf_counter() - t0))
        params.time_limit.FromMilliseconds(int(left * 1000))
        solution = routing.SolveWithParameters(params)
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
