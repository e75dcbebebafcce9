"""The CP-SAT road movement model on small hand-checkable networks.

Each constraint has a test whose expected times follow from it by hand; removing
the constraint from the model lets the solver pick an earlier (wrong) time.
"""

import dataclasses
import itertools

import geopandas as gpd
import pytest
import shapely

from enablement.errors import InfeasibleError
from enablement.network.model import CRS
from enablement.scenario.schema import Halts, Policy
from enablement.timeline import Intervals
from enablement.vehicles import Profile
from tests.helpers import greedy, optimise
from tests.scheduling.test_greedy import line_network, mu

NO_HALTS = Halts(first_after_min=600, first_duration_min=15, every_min=600, duration_min=10)
POLICY = Policy(headway_min=2, halts=NO_HALTS)
# 10 vehicles: 10 * 10 m + 9 * 100 m = 1000 m; at 60 km/h the column passes in 60 s; headway 120 s


def solve(net, units, policy=POLICY, sites=None, **kw):
    kw.setdefault("time_limit_s", 5.0)
    return optimise(net, units, policy, sites or {"a": 0, "b": len(net.nodes) - 1}, **kw)


def entries(sched, mu_id):
    return [
        r.depart_s
        for r in sched.rows
        if r.march_unit == mu_id and r.kind not in ("release", "staging_arrive")
    ]


def test_one_column_alone_is_at_its_route_time():
    net = line_network([0, 10, 20])
    s = solve(net, [mu(1)])
    assert s.method == "cp-sat"
    assert s.closure_s["U/01"] == pytest.approx(1200 + 60)  # 20 km at 60 km/h, then the 60 s pass
    assert s.status == "optimal" and s.gap == pytest.approx(0.0)
    assert [r.kind for r in s.rows] == ["start", "cp", "release"]


def test_columns_on_one_segment_keep_pass_time_plus_headway():
    net = line_network([0, 10, 20])
    s = solve(net, [mu(1), mu(2), mu(3)])
    starts = sorted(entries(s, f"U/0{i}")[0] for i in (1, 2, 3))
    assert starts == pytest.approx([0, 180, 360])  # pass 60 s + headway 120 s
    assert max(s.closure_s.values()) == pytest.approx(360 + 1200 + 60)
    # the queue bound proves it: three entries of 180 s on the first segment, then 1200 s + 60 s
    assert s.bound_s == pytest.approx(360 + 1260)
    assert s.status == "optimal"


def test_opposite_directions_do_not_conflict():
    net = line_network([0, 10, 20])
    a = mu(1)
    b = dataclasses.replace(mu(2), sites=("b", "a"))
    s = solve(net, [a, b])
    assert entries(s, "U/01")[0] == 0 and entries(s, "U/02")[0] == 0
    assert max(s.closure_s.values()) == pytest.approx(1260)


def test_release_times_hold():
    net = line_network([0, 10, 20])
    s = solve(net, [mu(1, release_s=500.0)])
    assert entries(s, "U/01")[0] == pytest.approx(500)
    assert s.closure_s["U/01"] == pytest.approx(500 + 1260)


def test_halts_by_policy():
    # 100 km at 60 km/h in ten 10 km segments of 600 s: 60 min of driving, then a 15 min halt
    net = line_network(list(range(0, 101, 10)))
    pol = Policy(
        headway_min=2, halts=Halts(first_after_min=60, first_duration_min=15, every_min=120, duration_min=10)
    )
    s = solve(net, [mu(1)], policy=pol)
    halts = [r for r in s.rows if r.halt_s > 0]
    assert len(halts) == 1 and halts[0].halt_s == 900 and halts[0].kind == "halt"
    assert halts[0].depart_s - halts[0].arrive_s >= 900
    assert halts[0].arrive_s == pytest.approx(3600)  # after six segments: 60 min
    assert s.closure_s["U/01"] == pytest.approx(6000 + 900 + 60)


def test_movement_window():
    net = line_network([0, 10, 20])
    window = Intervals([(3600.0, 3600.0 + 1800.0), (90000.0, 95000.0)])
    s = solve(net, [mu(1)], window=window)
    assert entries(s, "U/01")[0] >= 3600
    for r in s.rows:
        if r.kind != "release":
            assert r.depart_s >= 3600 and r.depart_s <= 5400
    assert s.closure_s["U/01"] == pytest.approx(3600 + 1260)
    # a second column does not fit in the first night: it waits at its start for the second, never
    # on the road at a control point (the holds rule: no holding place on the way)
    w2 = Intervals([(0.0, 1300.0), (90000.0, 95000.0)])
    s2 = solve(net, [mu(1), mu(2)], window=w2)
    assert sorted(s2.closure_s.values()) == pytest.approx([1260, 90000 + 1260])
    assert all(r.wait_s <= 1800 for r in s2.rows if r.kind not in ("start", "staging"))
    for a, b in itertools.pairwise(s2.rows):
        if a.march_unit == b.march_unit and a.kind != "release":  # drive plus pass inside one night
            assert any(x <= a.depart_s and b.arrive_s + 60 <= y for x, y in w2.spans)


def test_closure_waits_or_detours_whichever_is_earlier():
    # a-b direct 20 km (0-1-2), and a detour 0-3-2 of 2 x 15 km; edge rows of 0->1 closed for a while
    net = line_network([0, 10, 20, 10], chain=3, extra_edges=[(0, 3), (3, 2)])
    net.nodes.loc[3, ["y"]] = 11180.3
    net.nodes.loc[3, "geometry"] = shapely.Point(10000, 11180.3)
    length = 15000.0
    for col, val in (("length_m", length), ("time_s", length / (100 / 3.6))):
        sel = ((net.edges["u"] == 0) & (net.edges["v"] == 3)) | (
            (net.edges["u"] == 3) & (net.edges["v"] == 2)
        )
        net.edges.loc[sel, col] = val
    net.edges = gpd.GeoDataFrame(net.edges, geometry="geometry", crs=CRS)
    direct = int(((net.edges["u"] == 0) & (net.edges["v"] == 1)).to_numpy().nonzero()[0][0])
    short = {direct: Intervals([(0.0, 300.0)])}  # waiting 300 s beats the 600 s longer detour
    s = solve(net, [mu(1)], sites={"a": 0, "b": 2}, edge_closed=short)
    assert s.routes[("U/01", 0)].nodes == (0, 1, 2)
    assert s.closure_s["U/01"] == pytest.approx(300 + 1260, abs=2)
    long_ = {direct: Intervals([(0.0, 5000.0)])}
    s = solve(net, [mu(1)], sites={"a": 0, "b": 2}, edge_closed=long_)
    assert s.routes[("U/01", 0)].nodes == (0, 3, 2)
    assert s.closure_s["U/01"] == pytest.approx(1800 + 60, abs=2)
    assert s.rerouted == ["U/01"]


def test_route_choice_spreads_columns_over_corridors():
    # two equal corridors a-b: 0-1-2 and 0-3-2, each 2 x 10 km
    net = line_network([0, 10, 20, 10], chain=3, extra_edges=[(0, 3), (3, 2)])
    net.nodes.loc[3, "geometry"] = shapely.Point(10000, 0.001)
    units = [mu(i, n=20, length_m=20 * 10 + 19 * 100) for i in range(1, 7)]  # 2100 m: 126 s pass
    one = solve(net, units, sites={"a": 0, "b": 2}, alternatives=1)
    two = solve(net, units, sites={"a": 0, "b": 2}, alternatives=2)
    assert max(two.closure_s.values()) < max(one.closure_s.values())
    used = {two.routes[(u.id, 0)].nodes for u in units}
    assert used == {(0, 1, 2), (0, 3, 2)}


@pytest.mark.parametrize("solver", ["cp-sat", "greedy"])
def test_staging_capacity_over_time(solver):
    # a -> s (10 km) -> b (10 km), dwell 600 s at s, which holds 10 vehicles: one column at a time
    net = line_network([0, 10, 20])
    net.sites = gpd.GeoDataFrame(
        {"capacity_vehicles": [10.0]}, index=["s"], geometry=[shapely.Point(10000, 0)], crs=CRS
    )
    units = [mu(i, sites=("a", "s", "b"), dwell=(600.0,)) for i in (1, 2)]
    sites = {"a": 0, "s": 1, "b": 2}
    s = solve(net, units, sites=sites) if solver == "cp-sat" else greedy(net, units, POLICY, sites)
    ins = sorted((r.arrive_s, r.march_unit) for r in s.rows if r.kind == "staging_arrive")
    first, second = ins[0][1], ins[1][1]
    leave_first = next(r.depart_s for r in s.rows if r.march_unit == first and r.kind == "staging") + 60
    assert ins[1][0] >= leave_first - 1e-6  # the second arrives once the first has left
    # uncapped, the second would arrive 180 s after the first
    net.sites = net.sites.iloc[0:0]
    free = solve(net, units, sites={"a": 0, "s": 1, "b": 2})
    free_ins = sorted(r.arrive_s for r in free.rows if r.kind == "staging_arrive")
    assert free_ins[1] - free_ins[0] == pytest.approx(180)
    assert max(s.closure_s.values()) > max(free.closure_s.values())
    assert second != first


def test_staging_too_small_for_a_march_unit_is_named():
    net = line_network([0, 10, 20])
    net.sites = gpd.GeoDataFrame(
        {"capacity_vehicles": [5.0]}, index=["s"], geometry=[shapely.Point(10000, 0)], crs=CRS
    )
    with pytest.raises(InfeasibleError, match="staging area 's' holds 5"):
        solve(net, [mu(1, sites=("a", "s", "b"), dwell=(600.0,))], sites={"a": 0, "s": 1, "b": 2})


def test_rdd_decides_who_goes_first():
    net = line_network([0, 10, 20])
    # the warm start (release, priority, RDD order) sends U/02 first; only the lateness objective swaps them
    early = dataclasses.replace(mu(1), rdd_s=1300.0, priority=1)  # alone it closes at 1260
    late = dataclasses.replace(mu(2), rdd_s=1e9)
    s = solve(net, [late, early])
    assert entries(s, "U/01")[0] == 0 and entries(s, "U/02")[0] == pytest.approx(180)
    flipped = solve(
        net, [dataclasses.replace(late, rdd_s=1300.0, priority=1), dataclasses.replace(early, rdd_s=1e9)]
    )
    assert entries(flipped, "U/02")[0] == 0


def test_slower_column_is_never_overtaken_on_a_segment():
    net = line_network([0, 10, 20])
    slow = dataclasses.replace(mu(1), profile=Profile("U", speed_kmh=30.0))  # 2400 s, pass 120 s
    fast = dataclasses.replace(mu(2, release_s=10.0), profile=Profile("U", speed_kmh=60.0))
    s = solve(net, [slow, fast])
    segs = {}
    for r in s.rows:
        if r.kind != "release":
            segs.setdefault((r.control_point, r.next_control_point), []).append(r)
    arrive = {}
    for a, b in itertools.pairwise(s.rows):
        if a.march_unit == b.march_unit and a.kind != "release":
            arrive[(a.march_unit, a.control_point)] = b.arrive_s
    for (cp, _nxt), rs in segs.items():
        by_entry = [r.march_unit for r in sorted(rs, key=lambda r: r.depart_s)]
        by_exit = sorted(by_entry, key=lambda m: arrive[(m, cp)])
        assert by_entry == by_exit


def test_same_seed_same_plan():
    net = line_network([0, 10, 20, 10], chain=3, extra_edges=[(0, 3), (3, 2)])
    units = [mu(i, release_s=30.0 * i) for i in range(1, 6)]
    a = solve(net, units, sites={"a": 0, "b": 2}, seed=3)
    b = solve(net, units, sites={"a": 0, "b": 2}, seed=3)
    assert a.rows == b.rows and a.routes == b.routes


def test_never_later_than_the_greedy_baseline_and_passes_its_own_rules():
    net = line_network(list(range(0, 61, 10)))
    pol = Policy(
        headway_min=2, halts=Halts(first_after_min=30, first_duration_min=15, every_min=60, duration_min=10)
    )
    units = [mu(i, release_s=100.0 * (i % 3)) for i in range(1, 7)]
    base = greedy(net, units, pol, {"a": 0, "b": 6})
    s = solve(net, units, policy=pol, sites={"a": 0, "b": 6})
    assert max(s.closure_s.values()) <= max(base.closure_s.values()) + 1
    assert s.baseline_closure_s == pytest.approx(max(base.closure_s.values()))
    assert s.bound_s <= max(s.closure_s.values()) + 1e-6
