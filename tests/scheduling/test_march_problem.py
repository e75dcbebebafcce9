"""One set of rules for every road solver and the checker.

The greedy baseline, the CP-SAT model and the checker each declare the constraints
they handle; these tests fail when a constraint is added to the problem and one of
them does not follow. The checker then reads the solvers' own tables (written and
read back as ``enablement check`` reads them) with the problem's own rules, and
finds nothing; with one rule made stricter it finds that rule broken.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import geopandas as gpd
import pytest
import shapely
from hypothesis import HealthCheck, given, reject, settings
from hypothesis import strategies as st

from enablement.errors import InfeasibleError
from enablement.network.model import CRS
from enablement.permits import permission_data
from enablement.routing import Router
from enablement.scenario.schema import Halts, Policy, TimeWindow
from enablement.scheduling import checks, greedy, march_cpsat
from enablement.scheduling.checks import check_march_table, read_march_table
from enablement.scheduling.march import CONSTRAINTS, HaltRule, MarchProblem, MarchRules
from enablement.scheduling.permissions import CrossingPermit
from enablement.timeline import Clock, Intervals
from tests.helpers import BRUSSELS, march_problem, march_table_of
from tests.scheduling.test_greedy import line_network, mu

START = dt.datetime(2026, 3, 2, 6, 0, tzinfo=dt.timezone(dt.timedelta(hours=1)))


def test_every_constraint_is_handled_by_each_solver_and_checked():
    names = set(CONSTRAINTS)
    assert set(greedy.HONOURS) | set(greedy.NOT_ENFORCED) == names
    assert not set(greedy.HONOURS) & set(greedy.NOT_ENFORCED)
    assert set(march_cpsat.HONOURS) == names
    assert set(checks.CHECKS) == names


def with_sites(net, sites):
    """Name the test network's site nodes, as an overlay would (the checker knows places by name)."""
    xy = net.nodes[["x", "y"]].to_numpy()
    net.sites = gpd.GeoDataFrame(
        {"node_road": list(sites.values()), "capacity_vehicles": [float("nan")] * len(sites)},
        index=list(sites),
        geometry=[shapely.Point(*xy[n]) for n in sites.values()],
        crs=CRS,
    )
    return net


def table_of(problem: MarchProblem, sched, tmp_path):
    """The schedule as ``march_table.csv``, read back as the checker reads a hand-written table."""
    path = tmp_path / "march_table.csv"
    march_table_of(problem, sched).to_csv(path, index=False)
    return read_march_table(path)


@st.composite
def problems(draw):
    n = draw(st.integers(4, 9))
    xs = draw(st.lists(st.integers(3, 15), min_size=n - 1, max_size=n - 1))  # at most 23 min at 40 km/h
    km = [0]
    for step in xs:
        km.append(km[-1] + step)
    extra = []
    if draw(st.booleans()):
        a = draw(st.integers(0, n - 3))
        extra = [(a, a + 2)]  # a shortcut: two routes between some control points
    net = with_sites(line_network(km, extra_edges=extra), {"a": 0, "b": n - 1})
    units = [
        mu(
            i,
            release_s=float(draw(st.integers(0, 3600))),
            n=draw(st.integers(2, 20)),
            speed=float(draw(st.sampled_from([40, 50, 60, 80]))),
        )
        for i in range(1, draw(st.integers(2, 6)) + 1)
    ]
    halts = Halts(
        first_after_min=draw(st.sampled_from([30, 60, 90])),
        first_duration_min=draw(st.sampled_from([10, 15])),
        every_min=draw(st.sampled_from([60, 120])),
        duration_min=10,
    )
    window = draw(
        st.sampled_from(
            [None, TimeWindow(start="06:00", end="12:00"), TimeWindow(start="21:00", end="05:00")]
        )
    )
    # the policy speed is at least every column's (the planner caps each column's speed by it)
    policy = Policy(
        convoy_speed_kmh=80, headway_min=draw(st.sampled_from([0, 2, 5])), halts=halts, movement_window=window
    )
    closed = {}
    if draw(st.booleans()):
        edge = draw(st.integers(0, len(net.edges) - 1))
        start = float(draw(st.integers(0, 7200)))
        closed = {edge: Intervals([(start, start + draw(st.integers(600, 7200)))])}
    permits = {}
    if draw(st.booleans()):  # "b" a border crossing not permitted before a drawn time
        opens = float(draw(st.integers(0, 4 * 3600)))
        regime = permission_data().regimes["eca-2025"]
        permits = {"b": CrossingPermit("b", "b", "DE", regime, regime, 0.0, opens, opens)}
    rules = MarchRules.from_policy(policy, Clock(START, BRUSSELS), edge_closed=closed, permits=permits)
    return MarchProblem(net, units, {"a": 0, "b": n - 1}, rules)


def solve_greedy(problem):
    return greedy.schedule_march(problem, Router(problem.network))


def solve_cpsat(problem):
    try:
        return march_cpsat.optimise_march(problem, Router(problem.network), time_limit_s=1.0)
    except InfeasibleError:  # e.g. a closure that leaves no slot in the window: nothing to check
        reject()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(problem=problems())
def test_the_greedy_tables_pass_the_checker_with_the_same_rules(problem, tmp_path):
    try:
        sched = solve_greedy(problem)
    except InfeasibleError:
        reject()
    found = check_march_table(table_of(problem, sched, tmp_path), problem.rules, problem.network)
    assert [v for v in found if v.kind in greedy.HONOURS] == []


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(problem=problems())
def test_the_cpsat_tables_pass_the_checker_with_the_same_rules(problem, tmp_path):
    sched = solve_cpsat(problem)
    found = check_march_table(table_of(problem, sched, tmp_path), problem.rules, problem.network)
    assert [v for v in found if v.kind != "rdd"] == []
    # never worse than the baseline: the closure compared to the minute (a tie is decided by the
    # sum of the columns' closures)
    assert sched.baseline_closure_s is not None
    assert max(sched.closure_s.values()) <= sched.baseline_closure_s + march_cpsat.TIE_S
    assert sched.bound_s is not None and sched.bound_s <= max(sched.closure_s.values()) + 1e-6


@pytest.mark.parametrize("limit", [0.01, 0.3])
def test_a_wall_budget_too_short_still_gives_a_valid_plan_never_worse_than_the_baseline(limit, tmp_path):
    problem = tight_problem()
    base = solve_greedy(problem)
    sched = march_cpsat.optimise_march(problem, Router(problem.network), time_limit_s=limit, baseline=base)
    found = check_march_table(table_of(problem, sched, tmp_path), problem.rules, problem.network)
    assert [v for v in found if v.kind != "rdd"] == []
    assert max(sched.closure_s.values()) <= max(base.closure_s.values()) + march_cpsat.TIE_S
    assert sched.bound_s is not None and sched.gap is not None and 0.0 <= sched.gap < 1.0
    if sched.method != "cp-sat":  # the baseline kept, saying why
        assert sched.method.startswith("greedy (") and sched.rows == base.rows


def tight_problem(**rules):
    """Six columns queued on one road with halts, a window and a closure: every rule binds somewhere."""
    net = with_sites(line_network([0, 20, 40, 60, 80]), {"a": 0, "b": 4})
    policy = Policy(
        convoy_speed_kmh=60,
        headway_min=2,
        halts=Halts(first_after_min=30, first_duration_min=15, every_min=60, duration_min=10),
        movement_window=TimeWindow(start="06:00", end="14:00"),
    )
    units = [mu(i, release_s=0.0, n=10, speed=60.0) for i in range(1, 7)]
    return march_problem(net, units, policy, {"a": 0, "b": 4}, start=START, **rules)


@pytest.mark.parametrize(
    ("kind", "stricter"),
    [
        ("overlap", lambda r: dataclasses.replace(r, headway_s=r.headway_s + 600.0)),
        ("halt", lambda r: dataclasses.replace(r, halts=HaltRule(600.0, 900.0, 600.0, 600.0))),
        ("window", lambda r: dataclasses.replace(r, window=Clock(START, BRUSSELS).daily("06:00", "06:30"))),
        ("closure", lambda r: dataclasses.replace(r, node_closed={2: Intervals([(0.0, 1e9)])})),
        ("staging", None),
        ("rdd", lambda r: dataclasses.replace(r, deliveries={"U": (600.0, "b")})),
    ],
)
def test_the_checker_reads_each_rule_from_the_problem(kind, stricter, tmp_path):
    problem = tight_problem()
    sched = solve_greedy(problem)
    table = table_of(problem, sched, tmp_path)
    assert check_march_table(table, problem.rules, problem.network) == []
    if stricter is None:  # staging: a staging area the columns pass through, holding fewer than both
        net = with_sites(line_network([0, 20, 40]), {"a": 0, "s": 1, "b": 2})
        units = [mu(i, sites=("a", "s", "b"), dwell=(1800.0,)) for i in (1, 2)]
        policy = Policy(convoy_speed_kmh=60, headway_min=2)
        problem = march_problem(net, units, policy, {"a": 0, "s": 1, "b": 2}, start=START)
        assert problem.rules.staging_capacity == {}
        table = table_of(problem, solve_greedy(problem), tmp_path)  # uncapped: both columns at once
        assert check_march_table(table, problem.rules, net) == []
        strict = dataclasses.replace(problem.rules, staging_capacity={"s": 10})
        assert "staging" in {v.kind for v in check_march_table(table, strict, net)}
        # the baseline planned under that capacity keeps it: the second column waits at its start
        net.sites.loc["s", "capacity_vehicles"] = 10.0
        problem = march_problem(net, units, policy, {"a": 0, "s": 1, "b": 2}, start=START)
        assert problem.rules.staging_capacity == {"s": 10}
        table = table_of(problem, solve_greedy(problem), tmp_path)
        assert check_march_table(table, problem.rules, net) == []
        return
    found = check_march_table(table, stricter(problem.rules), problem.network)
    assert kind in {v.kind for v in found}


def test_a_wait_in_a_queue_is_not_a_halt_for_the_planner_nor_for_the_checker(tmp_path):
    # 100 km at 60 km/h is 100 min of driving, within the 120 min before a first halt; a closure ahead
    # keeps the column waiting 25 min at km 20. Were that wait a halt, the later halts every 60 min
    # would apply to the 80 min after it (found by the property test above on a fresh machine).
    net = with_sites(line_network([0, 20, 40, 60, 80, 100]), {"a": 0, "b": 5})
    policy = Policy(
        convoy_speed_kmh=60,
        headway_min=2,
        halts=Halts(first_after_min=120, first_duration_min=15, every_min=60, duration_min=10),
    )
    problem = march_problem(
        net,
        [mu(1, speed=60.0)],
        policy,
        {"a": 0, "b": 5},
        edge_closed={1: Intervals([(0.0, 2700.0)])},
        start=START,
    )
    for sched in (solve_greedy(problem), solve_cpsat(problem)):
        rows = [r for r in sched.rows if r.march_unit == "U/01"]
        assert max(r.wait_s for r in rows) >= 20 * 60 and not any(r.kind == "halt" for r in rows)
        assert check_march_table(table_of(problem, sched, tmp_path), problem.rules, problem.network) == []
