"""The benchmark's OR-Tools VRPTW engine: hand-checkable instances, infeasibility, Solomon read and solved."""

from pathlib import Path

import numpy as np
import pytest

from benchmarks.vrptw_engine import VrptwInstance, check_solution, read_solomon, solve_vrptw
from enablement.errors import ScenarioError


def instance(xy, demand, ready, due, service, vehicles=2, capacity=10):
    return VrptwInstance(
        "t",
        vehicles,
        capacity,
        np.asarray(xy, float),
        np.asarray(demand),
        np.asarray(ready),
        np.asarray(due),
        np.asarray(service),
    )


def test_windows_set_the_order_and_capacity_the_fleet():
    # depot at 0; customers on a line at 10, 20, 30; windows make the far one first
    inst = instance(
        [(0, 0), (10, 0), (20, 0), (30, 0)],
        demand=[0, 4, 4, 4],
        ready=[0, 60, 40, 0],
        due=[1000, 1000, 1000, 35],
        service=[0, 0, 0, 0],
        vehicles=2,
        capacity=10,
    )
    sol = solve_vrptw(inst, time_limit_s=2)
    assert sol.status == "feasible" and check_solution(inst, sol) == []
    assert sorted(len(r) for r in sol.routes) == [1, 2]  # 12 units of demand need both vehicles
    assert [3, 2] in sol.routes or [3] in sol.routes  # customer 3 must be reached by t = 35
    # with one big vehicle: one route, 3 first then back along the line, 60 in all
    big = instance(inst.xy, inst.demand, inst.ready, inst.due, inst.service, vehicles=1, capacity=20)
    sol = solve_vrptw(big, time_limit_s=2)
    assert sol.routes == [[3, 2, 1]] and sol.distance == 60.0


def test_an_impossible_window_is_reported_infeasible():
    inst = instance([(0, 0), (100, 0)], demand=[0, 1], ready=[0, 0], due=[1000, 50], service=[0, 0])
    assert solve_vrptw(inst, time_limit_s=1).status == "infeasible"


def test_check_solution_catches_a_late_arrival():
    inst = instance([(0, 0), (10, 0)], demand=[0, 1], ready=[0, 0], due=[1000, 5], service=[0, 0], vehicles=1)
    from benchmarks.vrptw_engine import VrptwSolution

    problems = check_solution(inst, VrptwSolution([[1]], 20.0, 1, "feasible", 0.0))
    assert any("after its due time" in p for p in problems)


def test_solomon_instance_is_read_and_solved_feasibly(shared_data):
    inst = read_solomon(shared_data / "vrp" / "c101.txt")
    assert inst.vehicles == 25 and inst.capacity == 200 and len(inst.demand) == 101
    sol = solve_vrptw(inst, time_limit_s=3)
    assert sol.status == "feasible" and check_solution(inst, sol) == []


def test_tight_windows_fall_back_to_savings_within_the_time_limit(shared_data):
    # R101: path cheapest arc finds no first solution (it would backtrack for the whole limit);
    # after its share of the time the fallback must still find a feasible one within the limit
    inst = read_solomon(shared_data / "vrp" / "r101.txt")
    sol = solve_vrptw(inst, time_limit_s=4)
    assert sol.status == "feasible" and check_solution(inst, sol) == []
    assert sol.seconds < 4 + 1
    assert sol.distance < 1.05 * 1637.7  # greedy descent from savings stops 2.8 % off


def test_ortools_default_search_is_available(shared_data):
    inst = read_solomon(shared_data / "vrp" / "c101.txt")
    sol = solve_vrptw(
        inst, time_limit_s=2, first_solution="AUTOMATIC", metaheuristic=None, extra_operators=()
    )
    assert sol.status == "feasible" and check_solution(inst, sol) == []


def test_an_unknown_operator_is_refused():
    inst = instance([(0, 0), (10, 0)], demand=[0, 1], ready=[0, 0], due=[1000, 500], service=[0, 0])
    with pytest.raises(AttributeError):
        solve_vrptw(inst, time_limit_s=1, extra_operators=("use_no_such_operator",))


def test_a_file_that_is_no_solomon_instance_is_named(tmp_path):
    bad = tmp_path / "x.txt"
    bad.write_text("hello\n")
    with pytest.raises(ScenarioError, match="not a Solomon instance"):
        read_solomon(bad)
    with pytest.raises(ScenarioError, match="cannot be read"):
        read_solomon(Path(tmp_path / "missing.txt"))
