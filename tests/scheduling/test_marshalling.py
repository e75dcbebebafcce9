"""The marshalling area at a port: discharge pauses while it is full, in both solvers and the checker.

A port ``a`` whose marshalling area holds 10 vehicles; two march units of 10 leave it for ``b``
(20 km at 60 km/h: 1,200 s; columns of 1,000 m pass a point in 60 s). The movement window opens
at 08:00, 2 h after the start: U/01 (ashore from 0 s, its last vehicle at 600 s) waits for it and
leaves at 7,200 s; its tail is gone at 7,260 s. U/02 was planned ashore from 630 s to 1,170 s, but
there is no room for its first vehicle before 7,260 s: its discharge pauses 6,630 s, its last vehicle
is ashore at 7,800 s and it leaves then. Without the rule it would leave at 7,380 s (U/01's entry,
pass time and the 2 min headway), with both march units in the area at once.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import pandas as pd
import pytest

from enablement.errors import InfeasibleError
from enablement.scenario.schema import Policy, TimeWindow
from enablement.scheduling.checks import check_march_table, read_march_table
from enablement.scheduling.march import MarchProblem, MarchRules, marshalling_areas, marshalling_peaks
from enablement.timeline import Clock
from tests.helpers import BRUSSELS, march_table_of
from tests.helpers import solve as solve_march
from tests.scheduling.test_greedy import line_network, mu
from tests.scheduling.test_march_problem import with_sites

START = dt.datetime(2026, 3, 2, 6, 0, tzinfo=dt.timezone(dt.timedelta(hours=1)))
POLICY = Policy(convoy_speed_kmh=60, headway_min=2, movement_window=TimeWindow(start="08:00", end="20:00"))


def port_problem(field="marshalling_capacity_vehicles", capacity=10.0, vehicles=None, later=()):
    net = with_sites(line_network([0, 10, 20]), {"a": 0, "b": 2})
    net.sites[field] = [capacity, float("nan")]
    units = [
        dataclasses.replace(mu(1, release_s=600.0), ashore_s=0.0),
        dataclasses.replace(mu(2, release_s=1170.0), ashore_s=630.0),
        *(dataclasses.replace(mu(3 + i, release_s=t + 540.0), ashore_s=t) for i, t in enumerate(later)),
    ]
    if vehicles is not None:
        units = [dataclasses.replace(m, vehicles=(vehicles,) * 10) for m in units]
    rules = MarchRules.from_policy(POLICY, Clock(START, BRUSSELS), marshalling=marshalling_areas(net))
    return MarchProblem(net, units, {"a": 0, "b": 2}, rules)


def solve(problem, how):
    return solve_march(problem, how, time_limit_s=2.0)


def table_of(problem, sched, tmp_path, name="march_table.csv"):
    """The schedule as the plan writes ``march_table.csv`` (``ashore``, ``footprint_m2``): its path."""
    path = tmp_path / name
    march_table_of(problem, sched).to_csv(path, index=False)
    return path


def starts(sched):
    return {r.march_unit: (r.arrive_s, r.depart_s) for r in sched.rows if r.kind == "start"}


@pytest.mark.parametrize("how", ["greedy", "cp-sat"])
def test_a_full_marshalling_area_pauses_discharge_and_delays_the_next_column(how, tmp_path):
    problem = port_problem()
    sched = solve(problem, how)
    assert starts(sched) == {"U/01": (600.0, 7200.0), "U/02": (7800.0, 7800.0)}
    assert sched.closure_s["U/02"] == pytest.approx(7800.0 + 1200.0 + 60.0)
    # the plan's own table passes the checker, and says when U/02's first vehicle was ashore
    path = table_of(problem, sched, tmp_path)
    assert check_march_table(read_march_table(path), problem.rules, problem.network) == []
    ashore = pd.read_csv(path).groupby("march_unit")["ashore"].first()
    assert ashore.to_dict() == {"U/01": "2026-03-02T06:00:00+01:00", "U/02": "2026-03-02T08:01:00+01:00"}
    peak, _, pause = marshalling_peaks(sched, problem.units, problem.rules)["a"]
    assert (peak, pause) == (10.0, 6630.0)


@pytest.mark.parametrize("how", ["greedy", "cp-sat"])
def test_without_the_rule_both_columns_wait_in_the_area_and_the_checker_says_so(how, tmp_path):
    problem = port_problem()
    loose = MarchProblem(
        problem.network, problem.units, problem.site_node, dataclasses.replace(problem.rules, marshalling={})
    )
    sched = solve(loose, how)
    assert starts(sched)["U/02"] == (1170.0, 7380.0)
    table = read_march_table(table_of(loose, sched, tmp_path))
    found = check_march_table(table, problem.rules, problem.network)
    assert [(v.kind, v.march_unit, v.place) for v in found] == [("marshalling", "U/02", "a")]


def test_the_checker_catches_an_over_full_area_in_a_hand_edited_table(tmp_path):
    problem = port_problem()
    path = table_of(problem, solve(problem, "greedy"), tmp_path)
    table = pd.read_csv(path)
    first = (table["march_unit"] == "U/02") & (table["seq"] == 0)
    # the planner's table: no violation; a planner writes U/02's vehicles ashore at 06:10:30 instead
    table.loc[first, "ashore"] = "2026-03-02T06:10:30+01:00"
    table.to_csv(tmp_path / "edited.csv", index=False)
    found = check_march_table(read_march_table(tmp_path / "edited.csv"), problem.rules, problem.network)
    assert [(v.kind, v.march_unit, v.time) for v in found] == [
        ("marshalling", "U/02", "2026-03-02T06:10:30+01:00")
    ]
    assert "holds 20 vehicles" in found[0].message and "capacity of 10 vehicles" in found[0].message
    # without the ashore column the checker counts a march unit from its last vehicle ashore (arrive)
    table.drop(columns="ashore").to_csv(tmp_path / "bare.csv", index=False)
    assert check_march_table(read_march_table(tmp_path / "bare.csv"), problem.rules, problem.network) == []
    # U/02 leaving at 07:00 while U/01 still waits for the window: over capacity
    table = pd.read_csv(path).drop(columns="ashore")
    table.loc[first, "arrive"] = "2026-03-02T06:19:30+01:00"
    table.to_csv(tmp_path / "early.csv", index=False)
    found = check_march_table(read_march_table(tmp_path / "early.csv"), problem.rules, problem.network)
    assert [v.kind for v in found] == ["marshalling"]


@pytest.mark.parametrize("how", ["greedy", "cp-sat"])
def test_an_area_in_square_metres_counts_each_vehicle_s_footprint(how, tmp_path):
    # ten JLTVs take 10 × 6.2 m × 2.5 m × 2.0 (marshalling_area_factor) = 310 m²: two do not fit in 400 m²
    problem = port_problem("marshalling_area_m2", 400.0, vehicles="jltv")
    assert [d for _, d in problem.marshalled["a"]] == [310, 310]
    sched = solve(problem, how)
    assert starts(sched)["U/02"] == (7800.0, 7800.0)
    path = table_of(problem, sched, tmp_path)
    assert check_march_table(read_march_table(path), problem.rules, problem.network) == []
    assert set(pd.read_csv(path)["footprint_m2"]) == {310.0}
    # in 620 m² both fit: no pause
    roomy = port_problem("marshalling_area_m2", 620.0, vehicles="jltv")
    assert starts(solve(roomy, how))["U/02"] == (1170.0, 7380.0)


def test_a_march_unit_bigger_than_the_area_is_refused():
    problem = port_problem(capacity=5.0)
    for how in ("greedy", "cp-sat"):
        with pytest.raises(InfeasibleError, match="marshalling area of 'a' holds 5 vehicles"):
            solve(problem, how)


@pytest.mark.parametrize("how", ["greedy", "cp-sat"])
def test_a_pause_does_not_hold_back_a_ship_that_comes_in_after_the_berths_stood_idle(how, tmp_path):
    # U/03 comes off a later ship from 10:00 (14,400 s), long after U/02's paused discharge ended at
    # 7,800 s and the area emptied (7,860 s): the berths stood idle, so U/03 is not paused
    problem = port_problem(later=(14400.0,))
    assert problem.berths_idle == {"U/02": 630.0 - 600.0, "U/03": 14400.0 - 1170.0}
    sched = solve(problem, how)
    assert starts(sched)["U/02"] == (7800.0, 7800.0)
    assert starts(sched)["U/03"] == (14940.0, 14940.0)
    path = table_of(problem, sched, tmp_path)
    assert check_march_table(read_march_table(path), problem.rules, problem.network) == []


def test_earliest_room_waits_out_a_stretch_that_runs_past_the_stay():
    from enablement.scheduling.march import earliest_room

    held = [(7.0, 15.0, 6), (8.0, 10.0, 5)]  # 6 held from 7 to 15 (and 5 more from 8 to 10)
    # room for 5 over [10, 14): the 6 held until 15 leave none before 15, though 15 is past 14
    assert earliest_room(held, 10.0, 5, 14.0) == 15.0
    assert earliest_room(held, 10.0, 6, 14.0) == 10.0  # room for 6 at once
    assert earliest_room(held, 7.0, 6, 9.0) == 10.0  # 11 held from 8 to 10
    assert earliest_room(held, 0.0, 6) == 10.0 and earliest_room(held, 0.0, 0) == 15.0


def test_earliest_room_agrees_with_the_greedys_room_check():
    import random

    from enablement.scheduling.greedy import _State
    from enablement.scheduling.march import earliest_room

    class Rules:
        staging_capacity = {"s": 10}  # noqa: RUF012 - a stand-in for MarchRules
        headway_s = 0.0
        window = None

    rng = random.Random(7)
    for _ in range(3000):
        state = _State.__new__(_State)
        state.rules = Rules()  # type: ignore[assignment]
        held = []
        for _ in range(rng.randint(1, 6)):
            a = rng.randint(0, 20)
            held.append((float(a), float(a + rng.randint(1, 10)), rng.randint(1, 6)))
        state.held = {"s": held}
        a = float(rng.randint(0, 25))
        b, v = a + rng.randint(1, 10), rng.randint(1, 6)
        free = earliest_room(held, a, 10 - v, b)
        assert (free == a) == state.room("s", a, b, v)
        if free < b:  # from then on the stay has room to its end
            assert state.room("s", free, b, v)
