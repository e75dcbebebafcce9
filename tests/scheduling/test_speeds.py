"""Convoy speeds by road class, capped by the vehicles and the policy: routing, both schedulers, the checker.

The network is drawn by hand: a 20 km motorway from the port ``a`` to a junction,
then two 10 km secondary roads to ``b`` and ``c``. Two columns, one to ``b`` and one
to ``c``, split at the junction, so it is a control point whatever the spacing rule.
"""

from __future__ import annotations

import itertools

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from enablement.network.model import CRS, Network
from enablement.network.speeds import (
    class_speeds_kmh,
    column_speed_kmh,
    march_speed_kmh,
    road_class,
    road_class_note,
)
from enablement.routing import Router
from enablement.scenario.schema import Halts, Policy
from enablement.scheduling.checks import check_march_table
from enablement.scheduling.march import MarchUnit
from enablement.vehicles import Profile, load_catalogue
from tests.helpers import greedy, march_problem, optimise
from tests.scheduling.test_march_problem import START, table_of, with_sites

SITES = {"a": 0, "b": 2, "c": 3}
KM = {"motorway": 20.0, "secondary": 10.0}
NO_HALT = Halts(first_after_min=600, first_duration_min=15, every_min=600, duration_min=10)


def two_class_network(edge_speed_kmh: float = 120.0) -> Network:
    """a (0) — 20 km motorway — junction (1) — 10 km secondary — b (2); junction — 10 km secondary — c (3)."""
    xy = np.array([[0.0, 0.0], [20_000.0, 0.0], [30_000.0, 0.0], [20_000.0, 10_000.0]])
    pairs = [(0, 1, "motorway"), (1, 2, "secondary"), (1, 3, "secondary")]
    rows = [(a, b, h) for a, b, h in pairs] + [(b, a, h) for a, b, h in pairs]
    nodes = gpd.GeoDataFrame(
        {"mode": "road", "x": xy[:, 0], "y": xy[:, 1], "source_id": range(4)},
        geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]),
        crs=CRS,
    )
    length = [float(np.hypot(*(xy[a] - xy[b]))) for a, b, _ in rows]
    edges = gpd.GeoDataFrame(
        {
            "u": [a for a, _, _ in rows],
            "v": [b for _, b, _ in rows],
            "mode": "road",
            "length_m": length,
            "speed_kmh": edge_speed_kmh,
            "time_s": np.array(length) / (edge_speed_kmh / 3.6),
            "highway": [h for _, _, h in rows],
        },
        geometry=[shapely.LineString([xy[a], xy[b]]) for a, b, _ in rows],
        crs=CRS,
    )
    return with_sites(Network(nodes, edges), SITES)


def column(i: int, dest: str, profile: Profile, release_s: float = 0.0) -> MarchUnit:
    n = 10
    return MarchUnit(
        id=f"U/{i:02d}",
        unit="U",
        index=i,
        serial=1,
        vehicles=("x",) * n,
        release_s=release_s,
        sites=("a", dest),
        dwell_s=(),
        rdd_s=1e9,
        profile=profile,
        length_m=n * 10.0 + (n - 1) * 100.0,
    )


def units_of(profile: Profile) -> list[MarchUnit]:
    # the second column leaves an hour later, so neither waits for the other
    return [column(1, "b", profile), column(2, "c", profile, release_s=3600.0)]


def segment_figures(rows, mu_id: str) -> list[tuple[str, str, float, float]]:
    """(from, to, drive time in s, speed_kmh) of each segment a march unit drives, in order."""
    mine = [r for r in rows if r.march_unit == mu_id]
    return [
        (a.control_point, b.control_point, b.arrive_s - a.depart_s, a.speed_kmh)
        for a, b in itertools.pairwise(mine)
        if a.next_control_point == b.control_point
    ]


def expected(motorway_kmh: float, secondary_kmh: float) -> list[tuple[float, float]]:
    return [
        (KM["motorway"] / motorway_kmh * 3600.0, motorway_kmh),
        (KM["secondary"] / secondary_kmh * 3600.0, secondary_kmh),
    ]


def vehicle_profile(vehicle_id: str, policy: Policy) -> Profile:
    """The profile the planner builds for a column of one vehicle type (its speed capped by the policy)."""
    return Profile.of("U", [load_catalogue()[vehicle_id]] * 10, policy.convoy_speed_kmh)


def test_the_convoy_speeds_are_sourced_figures_by_road_class():
    speeds = class_speeds_kmh()
    assert list(speeds) == ["motorway", "trunk_primary", "secondary", "other"]
    assert speeds["motorway"] > speeds["trunk_primary"] > speeds["secondary"] > speeds["other"] > 0


def test_road_classes_follow_the_highway_tag_and_unknown_stays_unknown():
    edges = pd.DataFrame(
        {
            "mode": ["road"] * 8 + ["rail"],
            "highway": [
                "motorway",
                "motorway_link",
                "trunk",
                "primary",
                "primary_link",
                "secondary",
                "residential",
                None,
                "motorway",
            ],
            "speed_kmh": [120.0, 70.0, 90.0, 70.0, 50.0, 70.0, 30.0, 90.0, 100.0],
            "length_m": 1000.0,
        }
    )
    assert road_class(edges).tolist() == [
        "motorway",
        "trunk_primary",
        "trunk_primary",
        "trunk_primary",
        "secondary",
        "secondary",
        "other",
        None,
        None,
    ]
    c = class_speeds_kmh()
    march = march_speed_kmh(edges)
    # the class speed, never above the road's own speed; unknown class and rail: the road's own speed
    assert march.tolist() == [
        c["motorway"],
        c["trunk_primary"],
        c["trunk_primary"],
        c["trunk_primary"],
        c["secondary"],
        c["secondary"],
        min(c["other"], 30.0),
        90.0,
        100.0,
    ]
    assert column_speed_kmh(march, 45.0).max() == 45.0
    no_class = edges.drop(columns="highway")
    assert (march_speed_kmh(no_class) == edges["speed_kmh"].to_numpy()).all()
    assert "no road class" in road_class_note(no_class)
    assert "has a road class" in road_class_note(edges)


def test_routing_times_use_the_class_speeds_capped_by_the_column():
    net = two_class_network()
    c = class_speeds_kmh()
    route = Router(net).route(0, 2, Profile("fast", speed_kmh=100.0))
    assert route.time_s == pytest.approx(20.0 / c["motorway"] * 3600 + 10.0 / c["secondary"] * 3600, abs=0.01)
    slow = Router(net).route(0, 2, Profile("slow", speed_kmh=30.0))
    assert slow.time_s == pytest.approx(30.0 / 30.0 * 3600, abs=0.01)
    # without a column the router keeps the roads' own (free-flow) speed
    assert Router(net).route(0, 2).time_s == pytest.approx(30.0 / 120.0 * 3600, abs=0.01)


@pytest.mark.parametrize(
    ("case", "vehicle", "policy_kmh", "motorway", "secondary"),
    [
        # the road classes bind: FM 11-43 speeds (a fast vehicle, a high policy speed)
        ("classes", "jltv", 120.0, "class", "class"),
        # the vehicle binds on the motorway: an M88 recovery vehicle runs 48 km/h
        ("vehicle", "m88a2_hercules", 120.0, 48.0, "class"),
        # the policy binds everywhere: 30 km/h ordered
        ("policy", "jltv", 30.0, 30.0, 30.0),
    ],
)
def test_greedy_and_cpsat_drive_each_segment_at_its_speed_and_pass_the_checker(
    case, vehicle, policy_kmh, motorway, secondary, tmp_path
):
    c = class_speeds_kmh()
    motorway = c["motorway"] if motorway == "class" else motorway
    secondary = c["secondary"] if secondary == "class" else secondary
    net = two_class_network()
    policy = Policy(convoy_speed_kmh=policy_kmh, headway_min=2, halts=NO_HALT)
    profile = vehicle_profile(vehicle, policy)
    units = units_of(profile)
    want = expected(motorway, secondary)
    base = greedy(net, units, policy, SITES, start=START)
    best = optimise(net, units, policy, SITES, start=START, baseline=base)
    for sched in (base, best):
        for mu in units:
            got = segment_figures(sched.rows, mu.id)
            # two segments: to the junction (a control point whatever its name), then to the destination
            assert got[0][0] == "a"
            assert [b for _, b, _, _ in got] == [got[1][0], mu.sites[-1]]
            for (_, _, drive, speed), (want_s, want_kmh) in zip(got, want, strict=True):
                assert drive == pytest.approx(want_s, abs=1.0), case
                assert speed == pytest.approx(want_kmh, abs=0.05), case
        problem = march_problem(net, units, policy, SITES, start=START)
        table = table_of(problem, sched, tmp_path)
        # the table shows the speed of each segment, the column's own speed at its last row
        assert (
            table.groupby("march_unit")["speed_kmh"].apply(list).tolist()
            == [[motorway, secondary, profile.speed_kmh]] * 2
        )
        assert check_march_table(table, problem.rules, net) == []


def test_the_checker_catches_a_segment_driven_faster_than_its_road_class_allows(tmp_path):
    net = two_class_network()
    policy = Policy(convoy_speed_kmh=120.0, headway_min=2, halts=NO_HALT)
    units = units_of(vehicle_profile("jltv", policy))
    sched = greedy(net, units, policy, SITES, start=START)
    problem = march_problem(net, units, policy, SITES, start=START)
    table = table_of(problem, sched, tmp_path)
    assert check_march_table(table, problem.rules, net) == []
    # the secondary road of U/01 driven at the motorway's speed, and the row says so: the time agrees
    # with the row's speed, but not with the road's class
    c = class_speeds_kmh()
    t = table.copy()
    mine = t.index[t["march_unit"] == "U/01"]
    junction, last = mine[1], mine[2]
    faster = (KM["secondary"] / c["secondary"] - KM["secondary"] / c["motorway"]) * 3600.0
    t.loc[last, "arrive"] = t.loc[last, "arrive"] - pd.Timedelta(seconds=round(faster))
    t.loc[last, "depart"] = t.loc[last, "arrive"]
    t.loc[junction, "speed_kmh"] = c["motorway"]
    found = check_march_table(t, problem.rules, net)
    assert [v.kind for v in found] == ["speed"]
    name = t.loc[junction, "control_point"]
    assert f"{name} to b" in found[0].message and "fastest road there takes 15.0 min" in found[0].message


def test_the_checker_catches_a_column_faster_than_the_policy(tmp_path):
    net = two_class_network()
    fast = Policy(convoy_speed_kmh=120.0, headway_min=2, halts=NO_HALT)
    units = units_of(vehicle_profile("jltv", fast))
    sched = greedy(net, units, fast, SITES, start=START)
    table = table_of(march_problem(net, units, fast, SITES, start=START), sched, tmp_path)
    # the same table against a scenario that orders 30 km/h
    slow = march_problem(net, units, fast.model_copy(update={"convoy_speed_kmh": 30.0}), SITES, start=START)
    found = check_march_table(table, slow.rules, net)
    assert {v.kind for v in found} == {"speed"}
    assert len(found) == 4  # both segments of both columns
    assert all("the policy's 30 km/h" in v.message for v in found)


def test_an_osm_network_marches_at_its_road_classes(tmp_path):
    from enablement.network.osm import build_network
    from tests.network.test_osm import osm_xml

    path = tmp_path / "fixture.osm"
    path.write_text(osm_xml())
    net = build_network(osm_file=path)
    e = net.edges
    classes, march, c = road_class(e), march_speed_kmh(e), class_speeds_kmh()
    for highway, cls in (("primary", "trunk_primary"), ("secondary", "secondary"), ("motorway", "motorway")):
        rows = (e["highway"] == highway).to_numpy()
        assert rows.any(), highway
        assert (classes[rows] == cls).all()
        assert np.allclose(march[rows], np.minimum(c[cls], e.loc[rows, "speed_kmh"].to_numpy()))
    assert "100% of the road km has a road class" in road_class_note(e)
    # a column's route time on it: each edge at its class speed, capped by the column
    node = {int(s): i for i, s in enumerate(net.nodes["source_id"])}
    a, b = node[1], node[6]  # along the primary road and its bridge, or by the secondary detour
    for cap in (100.0, 30.0):
        route = Router(net).route(a, b, Profile("col", speed_kmh=cap))
        rows = list(route.edges)
        want = (e["length_m"].to_numpy()[rows] / (np.minimum(march[rows], cap) / 3.6)).sum()
        assert route.time_s == pytest.approx(want, abs=0.01 * len(rows))
