"""The PyVRP benchmark's data: our instance as PyVRP data, the VRPLIB reader, and the DIMACS convention."""

import importlib
from pathlib import Path

import numpy as np
import pytest

from benchmarks.vrptw_engine import VrptwInstance, check_solution

BENCH = Path(__file__).resolve().parents[2] / "benchmarks"
DATA = Path(__file__).resolve().parents[3] / "shared" / "data" / "vrp"


@pytest.fixture
def bench(monkeypatch):
    monkeypatch.syspath_prepend(str(BENCH))  # the benchmark scripts import each other by name
    return importlib.import_module("vrptw_pyvrp")


def test_a_line_of_customers_is_solved_in_tenths_and_checked_by_our_code(bench):
    import pyvrp
    from pyvrp.stop import MaxIterations

    # depot at 0, customers at 10.05, 20 and 30 on a line; the window of the far one makes it first
    inst = VrptwInstance(
        "t",
        2,
        10,
        np.asarray([(0, 0), (10.05, 0), (20, 0), (30, 0)], float),
        np.asarray([0, 4, 4, 4]),
        np.asarray([0, 0, 0, 0]),
        np.asarray([1000, 1000, 1000, 35]),
        np.asarray([0, 1, 1, 1]),
    )
    data = bench.pyvrp_data(inst)
    assert data.num_clients == 3 and data.num_vehicles == 2
    assert data.distance_matrix(0)[0, 1] == 100  # 10.05 truncated to 10.0, in tenths
    assert data.client(2).tw_late == 350 and data.client(0).service_duration == 10
    res = pyvrp.solve(data, MaxIterations(200), seed=1)
    sol = bench._checked(inst, bench._routes(res.best), "feasible", 0.0)
    assert check_solution(inst, sol) == []
    assert sol.distance == res.cost() / 10  # our recomputed distance is the solver's
    assert any(r[0] == 3 for r in sol.routes)  # customer 3 first: due at 35


@pytest.mark.skipif(
    not DATA.is_dir(), reason=f"{DATA} not found (real data sits beside the project in CI only)"
)
def test_rc2_10_5_reads_as_pyvrp_reads_it_and_its_best_known_costs_25797_5(bench):
    import pyvrp
    import vrplib

    inst = bench.read_vrplib(DATA / "RC2_10_5.vrp")
    assert (len(inst.demand), inst.vehicles, inst.capacity) == (1001, 250, 1000)
    assert inst.service[0] == 0 and set(inst.service[1:]) == {10}
    theirs = np.asarray(pyvrp.read(DATA / "RC2_10_5.vrp", round_func="dimacs").distance_matrix(0))
    assert np.array_equal(inst.distance_matrix(), theirs)
    known = vrplib.read_solution(DATA / "RC2_10_5.sol")
    ref = bench._checked(inst, [list(map(int, r)) for r in known["routes"]], "feasible", 0.0)
    assert ref.distance == pytest.approx(25797.5) and check_solution(inst, ref) == []
