"""Caution crossings as crossings: one vehicle at a time, the bridge reserved in both directions.

A 300 m bridge (tracked MLC 60 two-way, 80 one-way) between two 10 km roads: a tank
column (tracked MLC 70) crosses it under caution, a truck column (wheeled MLC 30)
within its two-way class. The greedy baseline and the CP-SAT model both hold the
bridge for the whole crossing in either direction; the checker reads the same rule
from the tables they write, and catches a hand-edited table that breaks it.
"""

from __future__ import annotations

import dataclasses
import itertools

import numpy as np
import pandas as pd
import pytest

from enablement.defaults import figure
from enablement.routing import Router
from enablement.scenario.schema import Halts, Policy
from enablement.scheduling import greedy, march_cpsat
from enablement.scheduling.checks import check_march_table
from enablement.scheduling.march import MarchUnit, bridge_spans
from enablement.vehicles import Profile
from tests.helpers import march_problem
from tests.helpers import solve as solve_march
from tests.scheduling.test_greedy import line_network
from tests.scheduling.test_march_problem import START, table_of, with_sites

NAN = float("nan")
SPAN_M = 300.0
TANK = Profile("tank", mlc_tracked=70, speed_kmh=60, length_m=10.0)
TRUCK = Profile("truck", mlc_wheeled=30, speed_kmh=60, length_m=10.0)
POLICY = Policy(
    convoy_speed_kmh=60,
    headway_min=2,
    halts=Halts(first_after_min=600, first_duration_min=15, every_min=600, duration_min=10),
)


def bridge_world():
    """Nodes at km 0, 10, 10.3 and 20.3; the edges between km 10 and 10.3 (both ways) are bridge ``b1``."""
    net = with_sites(line_network([0, 10, 10 + SPAN_M / 1000, 20 + SPAN_M / 1000]), {"a": 0, "b": 3})
    on_bridge = ((net.edges["u"] == 1) & (net.edges["v"] == 2)) | (
        (net.edges["u"] == 2) & (net.edges["v"] == 1)
    )
    net.edges["bridge_id"] = np.where(on_bridge, "b1", None)
    for col, value in (("mlc_tracked_twoway", 60.0), ("mlc_tracked_oneway", 80.0)):
        net.edges[col] = np.where(on_bridge, value, NAN)
    return net


def column(i, profile, sites=("a", "b"), n=10, release_s=0.0):
    return MarchUnit(
        id=f"U/{i:02d}",
        unit="U",
        index=i,
        serial=1,
        vehicles=("x",) * n,  # not in the catalogue: each vehicle is the profile's 10 m long
        release_s=release_s,
        sites=sites,
        dwell_s=(),
        rdd_s=1e9,
        profile=profile,
        length_m=n * 10.0 + (n - 1) * 100.0,
    )


def problem_of(units):
    return march_problem(bridge_world(), units, POLICY, {"a": 0, "b": 3}, start=START)


def crossing_s(n=10):
    """One vehicle at a time: each waits the spacing short of the span, then covers it and its own 10 m."""
    v = figure("caution_crossing_speed_kmh") / 3.6
    return n * (figure("caution_crossing_spacing_m") + SPAN_M + 10.0) / v


def on_bridge(sched):
    """Each column's time on the bridge's segment: (march unit, head in, tail out, caution)."""
    rows = sched.rows
    out = []
    for r, nxt in itertools.pairwise(rows):
        if r.march_unit == nxt.march_unit and {r.node, nxt.node} == {1, 2}:
            out.append((r.march_unit, r.depart_s, nxt.arrive_s + r.pass_s, bool(r.caution)))
    return out


def test_the_bridge_spans_and_the_one_at_a_time_crossing_time():
    net = bridge_world()
    assert bridge_spans(net) == {"b1": pytest.approx(SPAN_M)}
    rules = problem_of([column(1, TANK)]).rules
    assert rules.caution_crossing_s(SPAN_M, [10.0] * 10) == pytest.approx(crossing_s())
    assert crossing_s() > 30 * 60  # ten vehicles over 300 m at walking pace: far more than a flat 10 min


@pytest.mark.parametrize("solve", ["greedy", "cp-sat"])
def test_a_column_crosses_one_vehicle_at_a_time_and_the_table_shows_it(solve, tmp_path):
    problem = problem_of([column(1, TANK)])
    router = Router(problem.network)
    if solve == "greedy":
        sched = greedy.schedule_march(problem, router)
    else:
        sched = march_cpsat.optimise_march(problem, router, time_limit_s=2.0)
    ((mu, start, end, caution),) = on_bridge(sched)
    # the bridge is a segment of its own, held from the head's entry to the tail's exit for the crossing
    assert caution and end - start == pytest.approx(crossing_s(), abs=1.0)
    row = next(r for r in sched.rows if r.caution)
    assert row.caution == "b1" and row.caution_s == pytest.approx(crossing_s())
    # the closure grows by the crossing less the column's normal pass over the bridge
    normal = (20_000 + SPAN_M) / (60 / 3.6) + row.pass_s
    extra = crossing_s() - SPAN_M / (60 / 3.6) - row.pass_s
    assert sched.closure_s[mu] == pytest.approx(normal + extra, abs=2.0)
    table = table_of(problem, sched, tmp_path)
    shown = table[table["caution_crossings"] == "b1"]
    assert shown["caution_min"].tolist() == [pytest.approx(crossing_s() / 60, abs=0.01)]
    assert check_march_table(table, problem.rules, problem.network) == []


@pytest.mark.parametrize("solve", ["greedy", "cp-sat"])
def test_no_column_is_on_a_caution_bridge_while_another_crosses_it_either_way(solve, tmp_path):
    # a tank column each way and a truck column (within the two-way class) westward, all released at once:
    # without the bridge reservation the opposite directions would not wait for each other
    units = [column(1, TANK), column(2, TANK, ("b", "a")), column(3, TRUCK, ("b", "a"))]
    problem = problem_of(units)
    sched = solve_march(problem, solve, time_limit_s=5.0)
    held = sorted(on_bridge(sched), key=lambda x: x[1])
    assert [c for *_, c in sorted(held)] == [True, True, False]
    h = POLICY.headway_min * 60.0
    for (m1, _s1, e1, c1), (m2, s2, _e2, c2) in itertools.pairwise(held):
        assert c1 or c2
        assert s2 >= e1 + h - 1.0, f"{m2} enters the bridge before {m1} has left it"
    found = check_march_table(table_of(problem, sched, tmp_path), problem.rules, problem.network)
    assert [v for v in found if v.kind != "rdd"] == []


def planned_table(units, tmp_path):
    problem = problem_of(units)
    sched = greedy.schedule_march(problem, Router(problem.network))
    table = table_of(problem, sched, tmp_path)
    assert check_march_table(table, problem.rules, problem.network) == []
    return problem, table


def test_the_checker_catches_a_crossing_shortened_by_hand(tmp_path):
    problem, table = planned_table([column(1, TANK)], tmp_path)
    # the hand edit: the column is off the bridge 20 min sooner (and on its way from there as planned)
    i = table.index[table["caution_crossings"] == "b1"][0]
    table.loc[i + 1, "arrive"] = table.loc[i + 1, "arrive"] - pd.Timedelta(minutes=20)
    found = [v for v in check_march_table(table, problem.rules, problem.network) if v.kind == "caution"]
    assert len(found) == 1 and "b1" in found[0].message and "one at a time" in found[0].message
    # the rule is read from the rules: at a quicker caution speed the planned crossing is long enough
    faster = dataclasses.replace(problem.rules, caution_speed_kmh=10.0)
    assert [v for v in check_march_table(table, faster, problem.network) if v.kind == "caution"] == []


def test_the_checker_catches_two_columns_on_the_bridge_in_opposite_directions(tmp_path):
    problem, table = planned_table([column(1, TANK), column(2, TANK, ("b", "a"))], tmp_path)
    east = table[(table["march_unit"] == "U/01") & (table["caution_crossings"] == "b1")].iloc[0]
    west = table[(table["march_unit"] == "U/02") & (table["caution_crossings"] == "b1")].iloc[0]
    # the hand edit: the westbound column moves earlier, onto the bridge 5 min after the eastbound one
    shift = (east["depart"] + pd.Timedelta(minutes=5)) - west["depart"]
    mine = table["march_unit"] == "U/02"
    for col in ("arrive", "depart"):
        table.loc[mine, col] = table.loc[mine, col] + shift
    found = [v for v in check_march_table(table, problem.rules, problem.network) if v.kind == "caution"]
    assert [v.march_unit for v in found] == ["U/02"]
    assert "the other way" in found[0].message and "b1" in found[0].message


def test_the_wait_for_the_bridge_is_neither_driving_nor_a_halt(tmp_path):
    # twenty vehicles take over an hour to cross one at a time, longer than the hour of driving allowed
    # before the first halt: the halt rule counts the crossing's drive, not the wait for the bridge
    assert crossing_s(20) > 3600
    policy = POLICY.model_copy(update={"halts": Halts(first_after_min=60, first_duration_min=15)})
    problem = march_problem(bridge_world(), [column(1, TANK, n=20)], policy, {"a": 0, "b": 3}, start=START)
    for sched in (
        greedy.schedule_march(problem, Router(problem.network)),
        march_cpsat.optimise_march(problem, Router(problem.network), time_limit_s=2.0),
    ):
        assert not any(r.kind == "halt" for r in sched.rows)  # 20.3 km at 60 km/h: 20 min of driving
        assert check_march_table(table_of(problem, sched, tmp_path), problem.rules, problem.network) == []
