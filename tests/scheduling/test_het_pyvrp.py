"""HET shuttles on PyVRP (capacity 1): hand-solved plans, the checker, never worse than the first plan."""

import dataclasses

import numpy as np
import pytest

from enablement.scheduling.het import HetFleet, HetTask, het_engine
from enablement.scheduling.het_check import check_hets
from enablement.scheduling.het_data import extract_plan, first_plan, prepare, summarise
from enablement.scheduling.het_pyvrp import ENGINE, FIRST_PLAN, build_data, schedule_hets_pyvrp, score
from enablement.scheduling.het_routing import SPARE_SHIFTS

H = 3600.0
# places: 0 HET park, 1 port, 2 staging area; park-port 1 h, port-staging 2 h, staging-park 2 h
TRAVEL = np.array([[0, 1, 2], [1, 0, 2], [2, 2, 0]], dtype=float) * H
PARK, PORT, STAGING = 0, 1, 2


def fleet(**kw):
    base = {"count": 1, "depot": PARK, "load_min": 30.0, "unload_min": 30.0, "duty_hours": 100.0}
    return HetFleet(**(base | kw))


def tanks(n, ready=None, due=None, pickup=PORT, delivery=STAGING, prefix="t"):
    ready = ready or [0.0] * n
    due = due or [None] * n
    return [HetTask(f"{prefix}{i}", "leopard2", pickup, delivery, ready[i], due[i], "1 Bn") for i in range(n)]


def solve(tasks, f, travel=TRAVEL, **kw):
    s = schedule_hets_pyvrp(tasks, f, travel, time_limit_s=5.0, **kw)
    assert check_hets(s, tasks, f, travel) == []
    assert s.bound_s <= s.closure_s + 1e-6
    return s


def first(tasks, f, travel=TRAVEL, seed=0):
    """The first plan (list scheduling) the search starts from, as a schedule."""
    import time

    data, plans, bound = prepare(tasks, f, travel, seed, SPARE_SHIFTS, time.perf_counter())
    trips, shifts = extract_plan(data, plans)
    return summarise(trips, shifts, tasks, bound, data.days, 0.0, False, "first")


def test_the_rule_gives_pyvrp_capacity_one_and_ortools_the_rest():
    assert het_engine(fleet()) == "pyvrp"
    assert het_engine(fleet(capacity=2)) == "ortools"
    with pytest.raises(ValueError, match="capacity 1"):
        schedule_hets_pyvrp(tanks(2), fleet(capacity=2), TRAVEL)


def test_one_het_carries_three_tanks_one_after_another():
    s = solve(tanks(3), fleet())
    # out 0 h, port at 1, load to 1.5, staging at 3.5, unloaded 4; back at the port 6, ... unloaded 14
    assert s.closure_s == 14 * H
    assert [r.load_start_s / H for r in s.trips] == [1, 6, 11]
    assert [(x.het, x.shift, x.out_s, x.back_s / H) for x in s.shifts] == [(0, 0, 0.0, 16.0)]
    assert s.status == "optimal" and s.het_hours == 16.0 and s.engine in (ENGINE, FIRST_PLAN)


def test_the_task_due_first_goes_first():
    # listed (and ready) together, t0 first; t1 is due at 4 h: only carried first is it on time
    s = solve(tanks(2, due=[20 * H, 4 * H]), fleet())
    assert [r.task for r in s.trips] == ["t1", "t0"] and s.lateness_s == 0.0
    assert [r.unloaded_s / H for r in s.trips] == [4, 9]
    assert s.engine == ENGINE  # the first plan had t1 late: the search found the order
    assert first(tanks(2, due=[20 * H, 4 * H]), fleet()).lateness_s == 5 * H


def test_the_search_saves_the_empty_run_the_first_plan_makes():
    # a and c go port → staging, b staging → port; ready a 0 s, c 1 s, b 2 s. The list plan takes
    # them by ready time: a (unloaded 4 h), empty to the port (6 h), c (9 h), b (12 h), park 13 h.
    # Without the empty run: a (4 h), b back to the port (7 h), c (10 h), park 12 h.
    tasks = [
        HetTask("a", "leopard2", PORT, STAGING, 0.0),
        HetTask("c", "leopard2", PORT, STAGING, 1.0),
        HetTask("b", "leopard2", STAGING, PORT, 2.0),
    ]
    base = first(tasks, fleet())
    assert (base.closure_s, base.het_hours) == (12 * H, 13.0)
    s = solve(tasks, fleet())
    assert [r.task for r in s.trips][1] == "b"  # between the two port loads (a, c are alike)
    assert (s.closure_s, s.het_hours, s.engine) == (10 * H, 12.0, ENGINE)


def test_two_hets_share_the_work_and_shifts_keep_duty_and_rest():
    s = solve(tanks(4), fleet(count=2))
    assert s.closure_s == 9 * H and sorted(sum(r.het == k for r in s.trips) for k in (0, 1)) == [2, 2]
    s = solve(tanks(2), fleet(duty_hours=8.0, rest_hours=4.0))
    one, two = s.shifts
    assert (one.out_s, one.back_s) == (0.0, 6 * H) and two.out_s - one.back_s == 4 * H
    assert s.closure_s == 14 * H


def test_the_checker_passes_on_a_larger_plan_and_pyvrp_is_never_worse_than_the_first_plan():
    rng = np.random.default_rng(3)
    n_places = 7
    xy = rng.uniform(0, 100_000, size=(n_places, 2))  # metres; HETs at 40 km/h
    travel = np.hypot(*(xy[:, None] - xy[None]).transpose(2, 0, 1)) / (40 / 3.6)
    tasks = [
        HetTask(
            f"v{k}",
            "leopard2",
            int(rng.integers(1, 4)),
            int(rng.integers(4, n_places)),
            float(rng.uniform(0, 20 * H)),
            float(rng.uniform(10 * H, 40 * H)),
            "1 Bn",
            ((0.0, 14 * H), (24 * H, 38 * H), (48 * H, 62 * H)),
        )
        for k in range(30)
    ]
    f = fleet(count=4, duty_hours=12.0, rest_hours=10.0)
    s = solve(tasks, f, travel, iterations=2000)
    base = first(tasks, f, travel)
    assert check_hets(base, tasks, f, travel) == []
    assert score(s) <= score(base)
    assert len(s.trips) == 30 and all(r.shift >= 0 for r in s.trips)


def test_same_seed_same_plan():
    rng = np.random.default_rng(5)
    travel = rng.uniform(0.5, 3.0, size=(5, 5)) * H
    tasks = [
        HetTask(
            f"v{k}",
            "leopard2",
            int(rng.integers(1, 3)),
            int(rng.integers(3, 5)),
            float(rng.uniform(0, 10 * H)),
        )
        for k in range(20)
    ]
    f = fleet(count=3, duty_hours=12.0, rest_hours=10.0)

    def plan(seed):
        s = schedule_hets_pyvrp(tasks, f, travel, time_limit_s=30.0, seed=seed, iterations=1500)
        return [dataclasses.astuple(r) for r in s.trips], s.closure_s, s.status

    a, b = plan(1), plan(1)
    assert a == b and a[2] != "timed out"


def test_the_pyvrp_data_is_one_client_per_task_with_its_carry_as_service():
    import time

    tasks = tanks(2, ready=[0.0, 2 * H], due=[None, 12 * H])
    data, _, _ = prepare(tasks, fleet(), TRAVEL, 0, SPARE_SHIFTS, time.perf_counter())
    pdata = build_data(data)
    assert pdata.num_clients == 2 and pdata.num_depots == 1
    c0, c1 = pdata.clients()
    assert c0.service_duration == 3 * H  # load 0.5 h, carry 2 h, unload 0.5 h
    assert c1.tw_early == 2 * H and c1.tw_late == 9 * H  # unloaded by 12 h: loading by 9 h
    m = pdata.distance_matrix(0)
    assert (m[0, 1], m[1, 2], m[2, 0]) == (1 * H, 2 * H, 2 * H)  # park→port, staging→port, staging→park
    assert build_data(data, due=False).clients()[1].tw_late > 9 * H
    assert first_plan(data, None) is not None
