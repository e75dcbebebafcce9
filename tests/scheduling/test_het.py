"""HET shuttles on OR-Tools routing: hand-computed plans, shifts, rest, lateness, checker, convoys."""

import dataclasses

import numpy as np
import pytest

from enablement.errors import InfeasibleError, ScenarioError
from enablement.scheduling.het import (
    HetFleet,
    HetSchedule,
    HetShift,
    HetTask,
    HetTrip,
    lower_bound_s,
)
from enablement.scheduling.het_check import check_hets
from enablement.scheduling.het_routing import schedule_hets
from enablement.scheduling.shuttles import het_convoys

H = 3600.0
# places: 0 HET park, 1 port, 2 staging area; park-port 1 h, port-staging 2 h, staging-park 2 h
TRAVEL = np.array([[0, 1, 2], [1, 0, 2], [2, 2, 0]], dtype=float) * H
PARK, PORT, STAGING = 0, 1, 2


def fleet(**kw):
    # half an hour to load or unload keeps the hand arithmetic in half hours
    base = {"count": 1, "depot": PARK, "load_min": 30.0, "unload_min": 30.0, "duty_hours": 100.0}
    return HetFleet(**(base | kw))


def tanks(n, ready=None, due=None):
    ready = ready or [0.0] * n
    due = due or [None] * n
    return [HetTask(f"t{i}", "leopard2", PORT, STAGING, ready[i], due[i], "1 Bn") for i in range(n)]


def solve(tasks, f, travel=TRAVEL, **kw):
    s = schedule_hets(tasks, f, travel, time_limit_s=5.0, **kw)
    assert check_hets(s, tasks, f, travel) == []
    assert s.bound_s <= s.closure_s + 1e-6
    return s


def test_one_het_carries_three_tanks_one_after_another():
    s = solve(tanks(3), fleet())
    # out 0 h, port at 1, load to 1.5, staging at 3.5, unloaded 4; back at the port 6, ... unloaded 14
    assert s.closure_s == 14 * H
    assert [r.load_start_s / H for r in s.trips] == [1, 6, 11]
    assert [r.unloaded_s / H for r in s.trips] == [4, 9, 14]
    assert (s.trips[0].depart_s / H, s.trips[0].arrive_s / H) == (1.5, 3.5)  # loaded, carried
    assert [(x.het, x.shift, x.out_s, x.back_s / H) for x in s.shifts] == [(0, 0, 0.0, 16.0)]
    assert s.status == "optimal" and s.bound_s == 14 * H and s.gap == 0.0  # the bound proves it
    assert s.het_hours == 16.0 and s.lateness_s == 0.0


def test_capacity_two_halves_the_trips():
    one = solve(tanks(4), fleet())
    two = solve(tanks(4), fleet(capacity=2))
    assert one.closure_s == 19 * H  # 1 h out, then 4 × 3 h of carrying and 3 × 2 h back
    assert len({r.depart_s for r in one.trips}) == 4
    # two tanks loaded (1 h), carried (2 h), unloaded (1 h); back (2 h); again: 1 + 4 + 2 + 4 = 11 h
    assert two.closure_s == 11 * H
    assert len({r.depart_s for r in two.trips}) == 2
    assert all(r.arrive_s - r.depart_s == 2 * H for r in two.trips)


def test_two_hets_share_the_work():
    s = solve(tanks(4), fleet(count=2))
    assert s.closure_s == 9 * H  # two tanks each: 1 + 3 + 2 + 3
    assert sorted(sum(r.het == k for r in s.trips) for k in (0, 1)) == [2, 2]
    assert s.status == "optimal"


def test_loading_waits_for_ready_times():
    # back at the port at 6 h, the HET waits for t1 (8 h); back at 13 h, it waits for t2 (20 h)
    s = solve(tanks(3, ready=[0.0, 8 * H, 20 * H]), fleet())
    assert [(r.task, r.load_start_s / H) for r in s.trips] == [("t0", 1), ("t1", 8), ("t2", 20)]
    assert s.closure_s == 23 * H


@pytest.mark.parametrize(("rest", "closure"), [(10.0, 20.0), (4.0, 14.0)])
def test_duty_time_forces_a_second_shift_after_the_rest(rest, closure):
    # one shift for both would take 1 + 3 + 2 + 3 + 2 = 11 h park to park
    long = solve(tanks(2), fleet(duty_hours=12.0, rest_hours=rest))
    assert long.closure_s == 9 * H and len(long.shifts) == 1
    s = solve(tanks(2), fleet(duty_hours=8.0, rest_hours=rest))
    first, second = s.shifts
    assert (first.out_s, first.back_s) == (0.0, 6 * H)  # park, port, staging, park: 6 h
    assert second.out_s - first.back_s == rest * H
    assert s.closure_s == closure * H  # the second tank waits for the rest: 6 + rest + 1 + 3
    assert [r.shift for r in s.trips] == [0, 1]


def test_lateness_is_reported_and_due_times_set_the_order():
    s = solve(tanks(2, due=[4 * H, 6 * H]), fleet())
    assert [r.unloaded_s / H for r in s.trips] == [4, 9]
    assert s.lateness_s == 3 * H and s.status == "feasible"
    # the first listed is due late: the tight one goes first and nothing is late
    s = solve(tanks(2, due=[20 * H, 4 * H]), fleet())
    assert [r.task for r in s.trips] == ["t1", "t0"] and s.lateness_s == 0.0


def test_checker_catches_broken_schedules():
    tasks = tanks(2, ready=[0.0, 5 * H])
    f = fleet(duty_hours=12.0)
    s = solve(tasks, f)
    a, b = s.trips  # t0 unloaded at 4 h; t1 loaded at 6 h (back at the port), unloaded 9 h, park 11 h
    assert (a.unloaded_s, b.load_start_s, s.shifts[0].back_s) == (4 * H, 6 * H, 11 * H)

    def broken(*trips, shifts=()):
        return dataclasses.replace(
            s, trips=list(trips), shifts=list(shifts), closure_s=max(r.unloaded_s for r in trips)
        )

    def shifted(r, dt):
        return dataclasses.replace(
            r,
            load_start_s=r.load_start_s + dt,
            depart_s=r.depart_s + dt,
            arrive_s=r.arrive_s + dt,
            unloaded_s=r.unloaded_s + dt,
        )

    overlap = check_hets(broken(a, shifted(b, -3 * H)), tasks, f, TRAVEL)
    assert any("two things at once" in p for p in overlap)
    early = check_hets(broken(shifted(a, 8 * H), shifted(b, -5 * H)), tasks, f, TRAVEL)
    assert any("before it is ready" in p for p in early)
    # the same plan: one 11 h shift, against a 10 h duty
    assert any("> duty" in p for p in check_hets(s, tasks, fleet(duty_hours=10.0), TRAVEL))
    missing = check_hets(broken(a), tasks, f, TRAVEL)
    assert "task t1 is carried 0 times" in missing
    fast = dataclasses.replace(a, arrive_s=a.depart_s + H)
    assert any("faster than the road" in p for p in check_hets(broken(fast, b), tasks, f, TRAVEL))
    # a second shift too soon after the first
    split = check_hets(broken(a, dataclasses.replace(b, shift=1)), tasks, fleet(rest_hours=10.0), TRAVEL)
    assert any("between shifts 0 and 1" in p for p in split)
    crowded = dataclasses.replace(b, load_start_s=2 * H, depart_s=3 * H)
    assert any("on board" in p for p in check_hets(broken(a, crowded), tasks, fleet(), np.zeros((3, 3))))
    assert any("lateness" in p for p in check_hets(dataclasses.replace(s, lateness_s=1.0), tasks, f, TRAVEL))


def test_impossible_plans_are_results_with_a_diagnosis():
    too_long = schedule_hets(tanks(1), fleet(duty_hours=4.0), TRAVEL)
    assert too_long.status == "infeasible" and too_long.trips == []
    assert "needs 6.0 h of HET time" in too_long.diagnosis and "4 h" in too_long.diagnosis
    none = schedule_hets(tanks(2), fleet(count=0), TRAVEL)
    assert none.status == "infeasible" and "no HETs" in none.diagnosis
    few = schedule_hets(tanks(3), fleet(duty_hours=8.0, days=1), TRAVEL)
    assert few.status == "infeasible"
    assert "1 HETs × 1 shifts of 8 h = 8.0 h cannot carry 3 vehicles" in few.diagnosis
    cut = TRAVEL.copy()
    cut[:, STAGING] = cut[STAGING, :] = np.inf
    cut[STAGING, STAGING] = 0.0
    unreachable = schedule_hets(tanks(1), fleet(), cut)
    assert unreachable.status == "infeasible" and "no road" in unreachable.diagnosis
    with pytest.raises(InfeasibleError, match=r"needs 6\.0 h"):
        too_long.require()
    assert check_hets(too_long, tanks(1), fleet(duty_hours=4.0), TRAVEL) == []


def test_bad_inputs_raise_scenario_errors():
    with pytest.raises(ScenarioError, match="pickup 7"):
        schedule_hets([HetTask("x", "leopard2", 7, STAGING)], fleet(), TRAVEL)
    with pytest.raises(ScenarioError, match="square"):
        schedule_hets(tanks(1), fleet(), np.zeros((2, 3)))
    with pytest.raises(ScenarioError, match="repeated"):
        schedule_hets(tanks(1) + tanks(1), fleet(), TRAVEL)
    empty = schedule_hets([], fleet(), TRAVEL)
    assert empty.status == "optimal" and empty.trips == []


def test_same_seed_same_plan():
    rng = np.random.default_rng(7)
    xy = rng.uniform(0, 60, size=(6, 2))
    travel = np.round(np.hypot(*(xy[:, None] - xy[None]).transpose(2, 0, 1)) / 40 * H)
    tasks = [
        HetTask(
            f"v{i}",
            "pzh2000",
            int(rng.integers(1, 3)),
            int(rng.integers(3, 6)),
            float(rng.integers(0, 8)) * H,
        )
        for i in range(12)
    ]
    f = HetFleet(count=3, depot=0, duty_hours=10.0, rest_hours=8.0)
    runs = [solve(tasks, f, travel, seed=s) for s in (1, 1, 0)]
    assert runs[0].trips == runs[1].trips and runs[0].shifts == runs[1].shifts
    assert runs[0].closure_s >= lower_bound_s(tasks, f, travel)
    assert all(r.status in {"optimal", "feasible"} for r in runs)


def trip(het, depart, pickup=PORT, delivery=STAGING, task=None):
    return HetTrip(
        het,
        0,
        task or f"t{het}",
        "leopard2",
        "1 Bn",
        pickup,
        delivery,
        depart - 1800,
        depart,
        depart + 7200,
        depart + 9000,
    )


def test_convoys_group_hets_leaving_together():
    trips = [trip(0, 0.0), trip(1, 600.0), trip(2, 900.0), trip(3, 5000.0), trip(4, 0.0, pickup=PARK)]
    s = HetSchedule("feasible", trips, [HetShift(k, 0, 0.0, 20000.0, (f"t{k}",)) for k in range(5)])
    convoys = het_convoys(s, max_vehicles=2, window_s=1200.0)
    got = [(c.id, c.pickup, c.depart_s, c.vehicles, [r.task for r in c.trips]) for c in convoys]
    assert got == [
        ("HC001", PARK, 0.0, 1, ["t4"]),
        ("HC002", PORT, 600.0, 2, ["t0", "t1"]),  # they leave with the later one
        ("HC003", PORT, 900.0, 1, ["t2"]),  # the column was full
        ("HC004", PORT, 5000.0, 1, ["t3"]),  # beyond the window
    ]
    assert convoys[1].cargo == ("leopard2", "leopard2")
    # one HET carrying two (capacity 2) counts once in its column
    pair = [trip(0, 0.0, task="a"), trip(0, 0.0, task="b"), trip(1, 0.0, task="c")]
    (c,) = het_convoys(HetSchedule("feasible", pair), max_vehicles=2, window_s=0.0)
    assert c.vehicles == 2 and len(c.trips) == 3
    with pytest.raises(ValueError, match="at least one HET"):
        het_convoys(s, max_vehicles=0, window_s=0.0)


def test_planned_hets_form_one_column_when_they_leave_together():
    s = solve(tanks(3), fleet(count=3))
    (c,) = het_convoys(s, max_vehicles=5, window_s=0.0)
    assert c.vehicles == 3 and c.depart_s == 1.5 * H and c.pickup == PORT and c.delivery == STAGING


def test_loading_waits_for_its_window_and_the_checker_holds_it_there():
    # loading may start 10-11 h, 34-35 h or 58-59 h (a nightly window for the 2.5 h loaded run): one
    # HET loads at 10 h (out of the park at 9 h), is back at the port at 15 h, waits for 34 h, then 58 h
    windows = ((10 * H, 11 * H), (34 * H, 35 * H), (58 * H, 59 * H))
    tasks = [dataclasses.replace(t, load_windows=windows) for t in tanks(3)]
    f = fleet()
    s = solve(tasks, f)
    assert sorted(r.load_start_s for r in s.trips) == [10 * H, 34 * H, 58 * H]
    assert s.closure_s == 61 * H and s.shifts[0].out_s == 9 * H
    assert s.bound_s >= 13 * H  # the first loading window bounds the closure too
    assert solve(tanks(3), f).closure_s == 14 * H  # without windows: one after another from 1 h
    # a trip moved out of its window is caught
    moved = [dataclasses.replace(r, load_start_s=r.load_start_s + 2 * H) for r in s.trips]
    shifted = [dataclasses.replace(r, depart_s=r.depart_s + 2 * H, arrive_s=r.arrive_s + 2 * H,
                                   unloaded_s=r.unloaded_s + 2 * H) for r in moved]  # fmt: skip
    late = dataclasses.replace(s, trips=shifted, closure_s=s.closure_s + 2 * H, shifts=[])
    found = check_hets(late, tasks, f, TRAVEL)
    assert sum("outside its loading windows" in p for p in found) == 3
    # a vehicle ready after its last window cannot be carried: a result with the reason
    gone = [dataclasses.replace(tasks[0], ready_s=60 * H)]
    out = schedule_hets(gone, f, TRAVEL, time_limit_s=5.0)
    assert out.status == "infeasible" and "no loading window left" in out.diagnosis
    with pytest.raises(ScenarioError, match="load_windows"):
        schedule_hets([dataclasses.replace(tasks[0], load_windows=((5 * H, 1 * H),))], f, TRAVEL)
