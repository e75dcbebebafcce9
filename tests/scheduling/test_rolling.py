"""The road optimiser's rolling horizon: window by window from the first fit, never worse, always valid."""

from __future__ import annotations

import pytest

from enablement.routing import Router
from enablement.scheduling import march_cpsat
from enablement.scheduling.checks import check_march_table
from tests.scheduling.test_march_problem import solve_greedy, table_of, tight_problem


@pytest.fixture
def rolling(monkeypatch):
    """The rolling horizon from two march units, windows of three moving on by two."""
    monkeypatch.setattr(march_cpsat, "ROLLING_FROM", 2)
    monkeypatch.setattr(march_cpsat, "WINDOW", 3)
    monkeypatch.setattr(march_cpsat, "STRIDE", 2)


def test_windows_cover_every_march_unit_in_order_of_departure(rolling):
    problem = tight_problem()
    base = solve_greedy(problem)
    data = march_cpsat._data(problem, Router(problem.network), 1, base)
    hint = march_cpsat._serial(data, problem, problem.order, march_cpsat._first_choice(data, problem, base))
    windows = march_cpsat._windows(data, hint)
    assert [len(w) for w in windows] == [3, 3, 2]  # six march units: 0-2, 2-4, 4-5
    seen = [mu for w in windows for mu in w]
    assert set(seen) == {mu.id for mu in problem.units}
    departs = [hint.entry[(mu, 0, 0)] for mu in dict.fromkeys(seen)]
    assert departs == sorted(departs)


def test_the_rolling_plan_is_valid_never_worse_and_the_same_each_run(rolling, tmp_path):
    problem = tight_problem()
    base = solve_greedy(problem)
    runs = [
        march_cpsat.optimise_march(problem, Router(problem.network), time_limit_s=60.0, baseline=base)
        for _ in range(2)
    ]
    sched = runs[0]
    assert "rolling horizon, 3 windows" in sched.method
    found = check_march_table(table_of(problem, sched, tmp_path), problem.rules, problem.network)
    assert [v for v in found if v.kind != "rdd"] == []
    assert max(sched.closure_s.values()) <= max(base.closure_s.values()) + march_cpsat.TIE_S
    assert sched.bound_s is not None and sched.bound_s <= max(sched.closure_s.values())
    assert not sched.clock_stopped
    assert runs[1].rows == sched.rows  # same seed and budget, same plan


def test_fixing_and_capping_narrow_the_domains():
    from enablement.scheduling._ortools import cp_model

    m = cp_model.CpModel()
    x = m.new_int_var_from_domain(cp_model.Domain.from_intervals([[0, 3], [7, 9]]), "x")
    y = m.new_int_var(0, 100, "y")
    march_cpsat._fix(m, x, 8)
    march_cpsat._cap(m, y, 40)
    assert list(m.proto.variables[x.index].domain) == [8, 8]
    assert list(m.proto.variables[y.index].domain) == [0, 40]
    m.maximize(x + y)
    solver = cp_model.CpSolver()
    assert solver.solve(m) == cp_model.OPTIMAL and solver.value(x) == 8 and solver.value(y) == 40


def test_the_windows_run_are_sized_from_the_budget_alone(rolling):
    problem = tight_problem()
    base = solve_greedy(problem)
    # 3 windows in all; this budget makes room for 2 of them (WINDOW_WALL_S each, ROLLING_SHARE of it)
    limit = 2 * march_cpsat.WINDOW_WALL_S / march_cpsat.ROLLING_SHARE + 0.1
    runs = [
        march_cpsat.optimise_march(problem, Router(problem.network), time_limit_s=limit, baseline=base)
        for _ in range(2)
    ]
    assert all("rolling horizon, 2 windows" in r.method for r in runs)
    assert runs[0].rows == runs[1].rows
