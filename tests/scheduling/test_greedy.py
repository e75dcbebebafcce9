"""The greedy road scheduler on small hand-checkable networks, checked from its table."""

import datetime as dt

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from enablement.errors import InfeasibleError
from enablement.network.model import CRS, Network
from enablement.network.places import node_keys
from enablement.scenario.schema import Halts, Policy
from enablement.scheduling.march import MarchUnit, control_points
from enablement.timeline import Clock, Intervals
from enablement.vehicles import Profile
from tests.helpers import (
    BRUSSELS,
    frame_from_rows,
    greedy,
    halt_violations,
    overlap_violations,
    window_violations,
)

START = dt.datetime(2026, 3, 2, 6, 0, tzinfo=dt.timezone(dt.timedelta(hours=1)))


def line_network(xs_km, extra_edges=(), chain=None) -> Network:
    """Road nodes on a line (km), two-way edges between neighbours, at 100 km/h."""
    x = np.asarray(xs_km, dtype=float) * 1000.0
    y = np.zeros_like(x)
    n_chain = len(x) if chain is None else chain
    pairs = [(i, i + 1) for i in range(n_chain - 1)] + list(extra_edges)
    u = [a for a, b in pairs] + [b for a, b in pairs]
    v = [b for a, b in pairs] + [a for a, b in pairs]
    nodes = gpd.GeoDataFrame(
        {"mode": "road", "x": x, "y": y, "source_id": range(len(x))},
        geometry=gpd.points_from_xy(x, y),
        crs=CRS,
    )
    geoms = [shapely.LineString([(x[a], y[a]), (x[b], y[b])]) for a, b in zip(u, v, strict=True)]
    length = [abs(x[a] - x[b]) for a, b in zip(u, v, strict=True)]
    edges = gpd.GeoDataFrame(
        {
            "u": u,
            "v": v,
            "mode": "road",
            "length_m": length,
            "speed_kmh": 100.0,
            "time_s": np.array(length) / (100 / 3.6),
        },
        geometry=geoms,
        crs=CRS,
    )
    return Network(nodes, edges)


def mu(i, release_s=0.0, n=10, sites=("a", "b"), speed=60.0, length_m=None, dwell=()):
    return MarchUnit(
        id=f"U/{i:02d}",
        unit="U",
        index=i,
        serial=1,
        vehicles=("x",) * n,
        release_s=release_s,
        sites=sites,
        dwell_s=dwell,
        rdd_s=1e9,
        profile=Profile("U", speed_kmh=speed),
        length_m=length_m if length_m is not None else n * 10.0 + (n - 1) * 100.0,
    )


POLICY = Policy(
    headway_min=2, halts=Halts(first_after_min=60, first_duration_min=15, every_min=120, duration_min=10)
)


def test_single_column_timing_is_hand_checkable():
    net = line_network([0, 10, 20])  # 20 km
    sched = greedy(net, [mu(1, release_s=0.0)], POLICY, {"a": 0, "b": 2})
    rows = sched.rows
    assert [r.kind for r in rows] == ["start", "cp", "release"]  # a control point every 10 km
    # 20 km at 60 km/h = 1200 s; column of 10 vehicles: 10*10 m + 9*100 m = 1000 m -> 60 s pass
    assert rows[-1].arrive_s == pytest.approx(1200.0)
    assert sched.closure_s["U/01"] == pytest.approx(1260.0)
    assert rows[0].pass_s == pytest.approx(60.0)


def test_second_column_follows_with_headway():
    net = line_network([0, 10, 20])
    sched = greedy(net, [mu(1), mu(2)], POLICY, {"a": 0, "b": 2})
    df = frame_from_rows(sched.rows)
    starts = df[df["kind"] == "start"].set_index("march_unit")["depart"]
    # second starts when the first has passed (60 s) plus 2 min headway
    assert starts["U/02"] - starts["U/01"] == pytest.approx(60.0 + 120.0)
    assert overlap_violations(df, headway_s=120.0) == []
    assert overlap_violations(df.assign(depart=0.0, arrive=df["arrive"] * 0), 0.0) != []  # checker bites


def test_slow_column_released_first_is_not_overtaken():
    net = line_network([0, 30])
    slow = mu(1, speed=30.0)  # 30 km in 3600 s
    fast = mu(2, speed=90.0, release_s=10.0)  # would catch up
    sched = greedy(net, [slow, fast], POLICY, {"a": 0, "b": 1})
    df = frame_from_rows(sched.rows)
    assert overlap_violations(df, headway_s=120.0) == []
    f = df[df["march_unit"] == "U/02"]
    # the fast one must arrive after the slow one's tail plus headway at the far end
    slow_tail = 3600.0 + 60 * 2  # slow pass time at 30 km/h: 1000 m -> 120 s
    assert f["arrive"].iloc[-1] >= slow_tail + 120.0 - 1e-6


def test_opposite_directions_do_not_conflict():
    net = line_network([0, 10])
    east = mu(1, sites=("a", "b"))
    west = mu(2, sites=("b", "a"))
    sched = greedy(net, [east, west], POLICY, {"a": 0, "b": 1})
    df = frame_from_rows(sched.rows)
    assert (df[df["kind"] == "start"]["depart"] == 0.0).all()


def test_halts_after_first_hour_then_every_two_hours():
    net = line_network(np.arange(0, 301, 10))  # 300 km at 60 km/h = 5 h driving, CP every 10 km
    sched = greedy(net, [mu(1)], POLICY, {"a": 0, "b": 30})
    df = frame_from_rows(sched.rows)
    halts = df[df["kind"] == "halt"]
    # 60 km (1 h), then 120 km later; control points by stable id (position in metres on this network)
    assert halts["control_point"].tolist() == ["xy-60000-0", "xy-180000-0"]
    assert (
        df.set_index("control_point").loc[["xy-60000-0"], "depart"]
        - df.set_index("control_point").loc[["xy-60000-0"], "arrive"]
    ).iloc[0] == pytest.approx(900)
    assert halt_violations(df) == []
    # 5 h driving + 15 + 10 min halts
    assert sched.closure_s["U/01"] == pytest.approx(5 * 3600 + 900 + 600 + 60)
    # the checker catches a table whose halts were removed
    no_halt = df.assign(depart=df["depart"] - (df["kind"] == "halt") * 0)
    no_halt.loc[no_halt["kind"] == "halt", "depart"] = no_halt.loc[no_halt["kind"] == "halt", "arrive"]
    assert halt_violations(no_halt) != []


def test_movement_window_is_respected():
    clock = Clock(START, BRUSSELS)  # 06:00 local
    window = clock.daily("21:00", "05:00")
    net = line_network(np.arange(0, 201, 10))  # 200 km at 60 km/h = 3 h 20 min + halts
    units = [mu(i, release_s=0.0) for i in range(1, 6)]
    sched = greedy(net, units, POLICY, {"a": 0, "b": 20}, window=window)
    df = frame_from_rows(sched.rows)
    assert window_violations(df, window.spans) == []
    first = df[df["kind"] == "start"]["depart"].min()
    assert clock.at(first).hour == 21  # nobody leaves before 21:00
    assert overlap_violations(df, 120.0) == [] and halt_violations(df) == []
    assert window_violations(df, [(0, 3600)]) != []  # checker bites


def test_window_shorter_than_a_segment_is_infeasible():
    clock = Clock(START, BRUSSELS)
    window = clock.daily("21:00", "21:05")
    net = line_network([0, 10])
    with pytest.raises(InfeasibleError, match="longer than the movement window"):
        greedy(net, [mu(1)], POLICY, {"a": 0, "b": 1}, window=window)


def test_merging_routes_share_control_points():
    # two origins join at node 2 and continue to node 4
    #   0 - 1 - 2 - 3 - 4 on a line, plus origin 5 joined to node 2
    net = line_network([0, 10, 20, 30, 40, 15], extra_edges=[(5, 2)], chain=5)
    a = mu(1, sites=("a", "d"))
    b = mu(2, sites=("c", "d"))
    sched = greedy(net, [a, b], POLICY, {"a": 0, "c": 5, "d": 4})
    df = frame_from_rows(sched.rows)
    merge = str(node_keys(net)[2])
    assert merge in set(df["control_point"])  # the merge point is a control point
    assert overlap_violations(df, 120.0) == []
    shared = df[(df["control_point"] == merge)]
    assert len(shared) == 2


def _triangle() -> Network:
    """Direct edge 0-1 (10 km) or a detour 0-2-1 (about 2 x 15 km)."""
    x = np.array([0.0, 10_000.0, 5_000.0])
    y = np.array([0.0, 0.0, 14_142.0])
    pairs = [(0, 1), (0, 2), (2, 1)]
    u = [a for a, b in pairs] + [b for a, b in pairs]
    v = [b for a, b in pairs] + [a for a, b in pairs]
    length = [float(np.hypot(x[a] - x[b], y[a] - y[b])) for a, b in zip(u, v, strict=True)]
    nodes = gpd.GeoDataFrame(
        {"mode": "road", "x": x, "y": y, "source_id": range(3)}, geometry=gpd.points_from_xy(x, y), crs=CRS
    )
    lines = [shapely.LineString([(x[a], y[a]), (x[b], y[b])]) for a, b in zip(u, v, strict=True)]
    edges = gpd.GeoDataFrame(
        {"u": u, "v": v, "mode": "road", "length_m": length, "speed_kmh": 100.0, "time_s": 0.0},
        geometry=lines,
        crs=CRS,
    )
    return Network(nodes, edges)


def test_closure_until_further_notice_reroutes():
    net = _triangle()
    e = net.edges
    direct = int(np.flatnonzero(((e["u"] == 0) & (e["v"] == 1)).to_numpy())[0])
    closed = {direct: Intervals([(0.0, float("inf"))])}
    sched = greedy(net, [mu(1)], POLICY, {"a": 0, "b": 1}, edge_closed=closed)
    route = sched.routes[("U/01", 0)]
    assert direct not in route.edges and route.nodes == (0, 2, 1)
    assert sched.rerouted == ["U/01"]


def test_short_closure_is_waited_out_long_one_detoured():
    net = _triangle()
    e = net.edges
    direct = int(np.flatnonzero(((e["u"] == 0) & (e["v"] == 1)).to_numpy())[0])
    # detour costs (30 - 10) km at 60 km/h = 20 min more; a 5 min closure is waited out
    short = greedy(net, [mu(1)], POLICY, {"a": 0, "b": 1}, edge_closed={direct: Intervals([(0.0, 300.0)])})
    assert short.routes[("U/01", 0)].nodes == (0, 1) and short.rerouted == []
    assert frame_from_rows(short.rows)["depart"].iloc[0] == pytest.approx(300.0)
    # a 2 h closure is detoured
    long = greedy(net, [mu(1)], POLICY, {"a": 0, "b": 1}, edge_closed={direct: Intervals([(0.0, 7200.0)])})
    assert long.routes[("U/01", 0)].nodes == (0, 2, 1) and long.rerouted == ["U/01"]


def test_the_rows_drive_the_routes_the_last_round_chose():
    # one rerouting round only: the round that meets the 2 h closure chooses the detour, and the
    # schedule is made once more on it (it once returned the detour with rows of the direct road)
    net = _triangle()
    e = net.edges
    direct = int(np.flatnonzero(((e["u"] == 0) & (e["v"] == 1)).to_numpy())[0])
    closed = {direct: Intervals([(0.0, 7200.0)])}
    sched = greedy(net, [mu(1)], POLICY, {"a": 0, "b": 1}, edge_closed=closed, max_rounds=1)
    assert sched.routes[("U/01", 0)].nodes == (0, 2, 1) and sched.rerouted == ["U/01"]
    rows = [r for r in sched.rows if r.march_unit == "U/01"]
    assert [r.node for r in rows] == [0, 2, 1]
    assert rows[0].depart_s == pytest.approx(0.0)  # no wait for the closure it drives round


def test_control_points_split_long_chains():
    xy = np.column_stack([np.arange(0, 51) * 1000.0, np.zeros(51)])
    cps = control_points([list(range(51))], {0, 50}, xy, 10_000.0)
    assert cps.nodes == {0, 10, 20, 30, 40, 50}


def test_intervals_first_fit_and_overlaps():
    iv = Intervals([(10, 20), (30, 50), (15, 25)])
    assert iv.spans == [(10, 25), (30, 50)]
    assert iv.first_fit(0, 5) == 10
    assert iv.first_fit(22, 5) == 30
    assert iv.first_fit(0, 100) is None
    assert iv.overlaps(26, 29) is None and iv.overlaps(24, 31) == (10, 25)


def test_rows_table_is_a_dataframe():
    net = line_network([0, 10])
    sched = greedy(net, [mu(1)], POLICY, {"a": 0, "b": 1})
    assert isinstance(frame_from_rows(sched.rows), pd.DataFrame)
