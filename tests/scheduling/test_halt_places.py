"""Halts at halt places and holds at holding places (#18 item 1), hand-solved on a line of road.

The line world of :mod:`tests.scheduling.test_greedy` has no road class, so with
``policy.halts.roadside`` empty a column may halt only at a halt place; a column
waits on the road at most ``road_wait_max_min`` (30 min by default), and a longer
wait is a hold at the leg's start or at a holding place with room for it.
"""

import pandas as pd
import pytest

from enablement.errors import InfeasibleError
from enablement.scenario.schema import Halts, Policy
from enablement.scheduling.checks import check_march_table
from enablement.scheduling.march import HaltPlace, HaltRule, MarchRules
from enablement.timeline import Intervals
from tests.helpers import greedy, march_problem, optimise
from tests.scheduling.test_greedy import line_network, mu
from tests.scheduling.test_march_problem import table_of, with_sites

ONLY_PLACES = Halts(first_after_min=60, first_duration_min=15, every_min=120, duration_min=10, roadside=[])
POLICY = Policy(headway_min=2, convoy_speed_kmh=60.0, halts=ONLY_PLACES)  # the columns drive 60 km/h
RULE = HaltRule.of(ONLY_PLACES)


def test_a_halt_is_taken_at_the_last_halt_place_before_the_limit():
    drives = [1200] * 6  # six 20 min segments: the rule wants a halt after 60 min, before segment 3
    assert RULE.plan(drives, "U/01") == [0, 0, 0, 900, 0, 0]
    # only the start of segment 2 (40 min in) is a halt place: the halt comes there, earlier
    ok = [False, False, True, False, False, False]
    assert RULE.plan(drives, "U/01", ok) == [0, 0, 900, 0, 0, 0]
    # no halt place within the first hour: the column cannot keep the rule without a motorway halt
    with pytest.raises(InfeasibleError, match=r"no halt place.*before cp-3"):
        RULE.plan(drives, "U/01", [False] * 6, [f"cp-{i}" for i in range(6)])


def test_a_halt_is_taken_late_at_a_halt_place_rather_than_on_a_verge():
    drives = [1200] * 6  # the rule wants a halt after 60 min; the policy allows 30 min more to reach a place
    assert RULE.late_s == 1800
    # the only halt place is 80 min in: the halt comes there, 20 min late
    assert RULE.plan(drives, "U/01", [0, 0, 0, 0, 2, 0]) == [0, 0, 0, 0, 900, 0]
    # ... rather than on the verge 40 min in
    assert RULE.plan(drives, "U/01", [0, 0, 1, 0, 2, 0]) == [0, 0, 0, 0, 900, 0]
    # a place 100 min in is beyond reach: the verge it is
    assert RULE.plan(drives, "U/01", [0, 0, 1, 0, 0, 2]) == [0, 0, 900, 0, 0, 0]
    # a place before the limit still comes first
    assert RULE.plan(drives, "U/01", [0, 0, 2, 0, 2, 0]) == [0, 0, 900, 0, 0, 0]
    # without the allowance the place 80 min in is out of reach
    strict = HaltRule.of(ONLY_PLACES.model_copy(update={"late_max_min": 0.0}))
    with pytest.raises(InfeasibleError, match="no halt place"):
        strict.plan(drives, "U/01", [0, 0, 0, 0, 2, 0])


@pytest.mark.parametrize("solver", [greedy, optimise])
def test_a_late_halt_is_at_a_halt_place_and_the_checker_refuses_it_elsewhere(solver, tmp_path):
    # 0-10-...-100 km at 60 km/h; the only rest area at km 70 (node 7), 70 min in
    net = with_sites(line_network(list(range(0, 101, 10))), {"a": 0, "b": 10, "rest-7": 7})
    places = {7: HaltPlace("rest-7", "rest_area", None, 7)}
    sites = {"a": 0, "b": 10}
    sched = solver(net, [mu(1)], POLICY, sites, places=places)
    halts = [r for r in sched.rows if r.halt_s > 0]
    assert [(r.control_point, r.halt_s, r.arrive_s) for r in halts] == [("rest-7", 900, 4200)]
    problem = march_problem(net, [mu(1)], POLICY, sites, places=places)
    table = table_of(problem, sched, tmp_path)
    assert check_march_table(table, problem.rules, net) == []
    # the same table where km 70 is no halt place: the late halt is refused, and as a halt on the
    # carriageway
    bare = march_problem(net, [mu(1)], POLICY, sites)
    found = check_march_table(table, bare.rules, net)
    late = [v for v in found if v.kind == "halt"]
    assert len(late) == 1 and "a halt taken late must be at a halt place" in late[0].message
    assert [v.place for v in found if v.kind == "halt_place"] == ["rest-7"]
    # the halt struck out: 100 min of driving, over the 90 min that reach a halt place
    struck = table.copy()
    i = struck.index[struck["control_point"] == "rest-7"][0]
    struck.loc[i, ["kind", "halt_min"]] = ["cp", 0.0]
    struck.loc[i, "depart"] = struck.loc[i, "arrive"]
    found = [v for v in check_march_table(struck, problem.rules, net) if v.kind == "halt"]
    assert len(found) == 1 and "or 90 min to reach a halt place" in found[0].message


def _halting_world():
    # 0-10-...-100 km at 60 km/h: ten 600 s segments; a rest area at km 40 (node 4)
    net = with_sites(line_network(list(range(0, 101, 10))), {"a": 0, "b": 10, "rest-4": 4})
    places = {4: HaltPlace("rest-4", "rest_area", None, 4)}
    return net, places


@pytest.mark.parametrize("solver", [greedy, optimise])
def test_halts_fall_at_the_halt_place_and_the_checker_refuses_one_on_the_carriageway(solver, tmp_path):
    net, places = _halting_world()
    sites = {"a": 0, "b": 10}
    sched = solver(net, [mu(1)], POLICY, sites, places=places)
    halts = [r for r in sched.rows if r.halt_s > 0]
    assert [(r.control_point, r.halt_s, r.arrive_s) for r in halts] == [("rest-4", 900, 2400)]
    problem = march_problem(net, [mu(1)], POLICY, sites, places=places)
    table = table_of(problem, sched, tmp_path)
    assert check_march_table(table, problem.rules, net) == []
    # the halt written one control point on, on the carriageway, is refused (and the stop left at
    # the rest area no longer counts as the halt)
    moved = table.copy()
    i = moved.index[moved["control_point"] == "rest-4"][0]
    moved.loc[i, ["kind", "halt_min"]] = ["cp", 0.0]
    moved.loc[i + 1, ["kind", "halt_min"]] = ["halt", 15.0]
    found = [v for v in check_march_table(moved, problem.rules, net) if v.kind == "halt_place"]
    assert [v.place for v in found] == [moved.loc[i + 1, "control_point"]]
    assert "carriageway" in found[0].message
    # without the rest area the policy cannot be kept: halts only at halt places
    with pytest.raises(InfeasibleError, match="no halt place"):
        solver(net, [mu(1)], POLICY, sites)


def _night_world(capacity):
    # 0-10-20 km at 60 km/h, a day harbour at km 10; the first night is too short for a second column
    net = with_sites(line_network([0, 10, 20]), {"a": 0, "b": 2, "harbour-1": 1})
    places = {1: HaltPlace("harbour-1", "day_harbour", capacity, 1)}
    window = Intervals([(0.0, 1300.0), (90000.0, 95000.0)])
    return net, places, window


@pytest.mark.parametrize("solver", [greedy, optimise])
def test_a_column_the_night_cannot_take_holds_at_the_day_harbour_not_on_the_road(solver, tmp_path):
    net, places, window = _night_world(100)
    sites = {"a": 0, "b": 2}
    units = [mu(1), mu(2)]
    sched = solver(net, units, POLICY, sites, window=window, places=places)
    # U/02 drives to the day harbour in the first night and holds there until the second
    assert sorted(sched.closure_s.values()) == pytest.approx([1260, 90000 + 660])
    holds = [r for r in sched.rows if r.kind == "hold"]
    assert [(r.march_unit, r.control_point, r.depart_s) for r in holds] == [("U/02", "harbour-1", 90000)]
    assert all(r.wait_s <= 1800 for r in sched.rows if r.kind not in ("start", "staging", "hold"))
    problem = march_problem(net, units, POLICY, sites, window=window, places=places)
    table = table_of(problem, sched, tmp_path)
    assert check_march_table(table, problem.rules, net) == []
    # the same table where the harbour does not exist: a wait of hours on the road
    bare = march_problem(net, units, POLICY, sites, window=window)
    found = check_march_table(table, bare.rules, net)
    assert [v.kind for v in found] == ["wait"] and found[0].place == "harbour-1"
    # a harbour too small for the column: its hold is over the capacity
    small = march_problem(net, units, POLICY, sites, window=window, places=_night_world(5)[1])
    found = check_march_table(table, small.rules, net)
    assert [v.kind for v in found] == ["staging"] and "capacity of 5" in found[0].message


@pytest.mark.parametrize("solver", [greedy, optimise])
def test_a_full_day_harbour_is_passed_by_and_the_column_waits_at_its_start(solver):
    net, places, window = _night_world(5)  # room for 5 vehicles; a march unit has 10
    sched = solver(net, [mu(1), mu(2)], POLICY, {"a": 0, "b": 2}, window=window, places=places)
    assert sorted(sched.closure_s.values()) == pytest.approx([1260, 90000 + 1260])
    assert not [r for r in sched.rows if r.kind == "hold"]
    assert all(r.wait_s <= 1800 for r in sched.rows if r.kind not in ("start", "staging"))


def test_the_rules_carry_the_policy_limit_and_roadside_classes():
    rules = MarchRules.from_policy(
        Policy(halts=Halts(road_wait_max_min=20, roadside=["secondary"])),
        march_problem(line_network([0, 10]), [mu(1)], POLICY, {"a": 0, "b": 1}).rules.clock,
    )
    assert rules.road_wait_max_s == 1200 and rules.roadside_classes == frozenset({"secondary"})


# --------------------------------------------------------------------------- duty hours (#18 item 2)

NO_HALTS = Halts(first_after_min=600, first_duration_min=15, every_min=600, duration_min=10, roadside=[])
DUTY_POLICY = Policy(headway_min=2, convoy_speed_kmh=60.0, halts=NO_HALTS)  # duty: 9 h, rest 11 h


def test_a_rest_is_taken_at_the_last_holding_place_before_the_duty_ends():
    duty = MarchRules.from_policy(DUTY_POLICY, _clock()).duty
    assert (duty.driving_max_s, duty.rest_min_s) == (9 * 3600, 11 * 3600)
    hour = 3600
    # four 3 h stretches: the duty ends after 9 h, before segment 3; holding places at 3 h and 6 h
    assert duty.plan([3 * hour] * 4, [False, True, True, False], "U/01") == {2: 11 * hour}
    with pytest.raises(InfeasibleError, match="no place that holds vehicles within 9 h"):
        duty.plan([3 * hour] * 4, [False] * 4, "U/01")
    # a staging dwell shorter than a rest carries the driving into the next leg
    assert duty.tail_s([3 * hour, 3 * hour], [0, 0], 0.0, 2 * hour) == 6 * hour
    assert duty.tail_s([3 * hour, 3 * hour], [0, 0], 0.0, 12 * hour) == 0.0


def _clock():
    return march_problem(line_network([0, 10]), [mu(1)], POLICY, {"a": 0, "b": 1}).rules.clock


def _duty_world():
    # ten 60 km segments at 60 km/h (1 h each); a day harbour at km 300 (node 5)
    net = with_sites(line_network(list(range(0, 601, 60))), {"a": 0, "b": 10, "harbour-5": 5})
    return net, {5: HaltPlace("harbour-5", "day_harbour", 100, 5)}


@pytest.mark.parametrize("solver", [greedy, optimise])
def test_the_drivers_rest_at_the_day_harbour_and_the_checker_catches_a_short_rest(solver, tmp_path):
    net, places = _duty_world()
    sites = {"a": 0, "b": 10}
    sched = solver(net, [mu(1)], DUTY_POLICY, sites, places=places)
    rests = [r for r in sched.rows if r.halt_s >= 11 * 3600]
    assert [(r.control_point, r.kind) for r in rests] == [("harbour-5", "hold")]
    assert (rests[0].arrive_s, rests[0].depart_s) == pytest.approx((5 * 3600, 16 * 3600), abs=1)
    assert sched.closure_s["U/01"] == pytest.approx(21 * 3600 + mu(1).pass_s)
    problem = march_problem(net, [mu(1)], DUTY_POLICY, sites, places=places)
    table = table_of(problem, sched, tmp_path)
    assert check_march_table(table, problem.rules, net) == []
    # the hand edit: a 2 h stop at the harbour, the column on its way 9 h sooner
    short = table.copy()
    i = short.index[short["control_point"] == "harbour-5"][0]
    for col in ("depart",):
        short.loc[i, col] = short.loc[i, col] - pd.Timedelta(hours=9)
    for j in short.index[short.index > i]:
        for col in ("arrive", "depart"):
            short.loc[j, col] = short.loc[j, col] - pd.Timedelta(hours=9)
    short.loc[i, "halt_min"] = 120.0
    found = [v for v in check_march_table(short, problem.rules, net) if v.kind == "duty"]
    assert len(found) == 1 and "without a rest of 11 h" in found[0].message
    # no place to rest on the way: the duty cannot be kept
    with pytest.raises(InfeasibleError, match="must rest 11 h"):
        solver(net, [mu(1)], DUTY_POLICY, sites)
