"""Reception throughput and the simple rail scheduler, on hand-checkable cases."""

import datetime as dt

import geopandas as gpd
import numpy as np
import pytest
import shapely

from enablement.defaults import figure
from enablement.errors import InfeasibleError
from enablement.network.model import CRS, Network
from enablement.routing import Router
from enablement.scheduling.rail import RailGroup, schedule_trains
from enablement.scheduling.reception import discharge
from enablement.scheduling.timeline import Clock, Intervals

START = dt.datetime(2026, 3, 2, 6, 0, tzinfo=dt.timezone(dt.timedelta(hours=1)))


def test_discharge_rate_and_berths():
    clock = Clock(START)
    sites = {"port": {"discharge_rate_vph": 60, "berths": 1, "hours": "00:00-24:00"}}
    arrivals = [("s1", "port", 0.0, [("A", "boxer", 3)]), ("s2", "port", 0.0, [("B", "boxer", 2)])]
    out = discharge(arrivals, sites, clock)
    # one berth: s1 takes 3 min, s2 starts after it
    assert [d.ready_s for d in out] == [60.0, 120.0, 180.0, 240.0, 300.0]
    sites["port"]["berths"] = 2
    out = discharge(arrivals, sites, clock)
    assert [d.ready_s for d in out] == [60.0, 120.0, 180.0, 60.0, 120.0]


def test_discharge_respects_working_hours():
    clock = Clock(START)  # 06:00
    sites = {"port": {"discharge_rate_vph": 1, "berths": 1, "hours": "08:00-10:00"}}
    out = discharge([("s1", "port", 0.0, [("A", "boxer", 3)])], sites, clock)
    # work starts at 08:00 (2 h after start); 1 vehicle per hour; the third waits for the next day
    assert out[0].ready_s == 3 * 3600 and out[1].ready_s == 4 * 3600
    assert out[2].ready_s == (24 + 3) * 3600


def _rail_line(km: float) -> Network:
    x = np.array([0.0, km * 1000.0])
    y = np.zeros(2)
    nodes = gpd.GeoDataFrame(
        {"mode": "rail", "x": x, "y": y, "source_id": [0, 1]}, geometry=gpd.points_from_xy(x, y), crs=CRS
    )
    edges = gpd.GeoDataFrame(
        {
            "u": [0, 1],
            "v": [1, 0],
            "mode": "rail",
            "length_m": km * 1000.0,
            "speed_kmh": 60.0,
            "time_s": km * 60.0,
        },
        geometry=[shapely.LineString([(0, 0), (km * 1000, 0)]), shapely.LineString([(km * 1000, 0), (0, 0)])],
        crs=CRS,
    )
    return Network(nodes, edges)


def test_trains_respect_length_quay_and_pools():
    net = _rail_line(60.0)  # one hour at 60 km/h
    cap = int((figure("train_max_length_m") - figure("locomotive_length_m")) // figure("wagon_length_m"))
    vehicles = tuple(("m1a2_sepv3", 1.0, 0.0) for _ in range(cap + 5))
    quays = {"q": {"usable_length_m": 2000, "loading_rate_wagons_per_h": cap}}  # one train per hour
    trains = schedule_trains(
        [RailGroup("A", "q", "d", vehicles)],
        quays,
        {"q": 0, "d": 1},
        Router(net, "rail"),
        wagons=500,
        locomotives=5,
    )
    assert [t.wagons for t in trains] == [cap, 5]
    assert all(t.length_m <= figure("train_max_length_m") for t in trains)
    # one train at a time on the quay
    assert trains[1].load_start_s >= trains[0].load_end_s
    assert trains[0].arrive_s - trains[0].depart_s == pytest.approx(3600.0)
    # a wagon pool of one train's worth: the second waits for the empty return
    few = schedule_trains(
        [RailGroup("A", "q", "d", vehicles)],
        quays,
        {"q": 0, "d": 1},
        Router(net, "rail"),
        wagons=cap,
        locomotives=5,
    )
    back = few[0].unloaded_s + 3600.0
    assert few[1].load_start_s == pytest.approx(back)


def test_short_quay_limits_train_and_closure_delays_loading():
    net = _rail_line(10.0)
    vehicles = tuple(("boxer", 1.0, 0.0) for _ in range(10))
    quays = {"q": {"usable_length_m": 5 * figure("wagon_length_m"), "loading_rate_wagons_per_h": 5}}
    trains = schedule_trains(
        [RailGroup("A", "q", "d", vehicles)],
        quays,
        {"q": 0, "d": 1},
        Router(net, "rail"),
        wagons=100,
        locomotives=2,
        closed={"q": Intervals([(0.0, 7200.0)])},
    )
    assert [t.wagons for t in trains] == [5, 5]
    assert trains[0].load_start_s == 7200.0


def test_infeasible_rail_inputs_are_diagnosed():
    net = _rail_line(10.0)
    router = Router(net, "rail")
    with pytest.raises(InfeasibleError, match="too short for one"):
        schedule_trains(
            [RailGroup("A", "q", "d", (("boxer", 1.0, 0.0),))],
            {"q": {"usable_length_m": 5}},
            {"q": 0, "d": 1},
            router,
            wagons=10,
            locomotives=1,
        )
    with pytest.raises(InfeasibleError, match="needs 50 wagons"):
        schedule_trains(
            [RailGroup("A", "q", "d", (("giant", 50.0, 0.0),))],
            {"q": {}},
            {"q": 0, "d": 1},
            router,
            wagons=100,
            locomotives=1,
        )
    with pytest.raises(InfeasibleError, match="closed until further notice"):
        schedule_trains(
            [RailGroup("A", "q", "d", (("boxer", 1.0, 0.0),))],
            {"q": {}},
            {"q": 0, "d": 1},
            router,
            wagons=10,
            locomotives=1,
            closed={"q": Intervals([(0.0, float("inf"))])},
        )
