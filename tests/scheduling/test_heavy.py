"""Heavy equipment: tracked road distance, out-of-gauge trains by loading gauge, hand-over at the border."""

from __future__ import annotations

import dataclasses

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from enablement.errors import InfeasibleError
from enablement.network.model import CRS, Network
from enablement.rolling_stock import rail_data
from enablement.routing import Route, Router, gauge_mask
from enablement.scenario.schema import Policy
from enablement.scheduling.checks import check_march_table
from enablement.scheduling.formation import Load, form_trains
from enablement.scheduling.heavy import excess_warnings, tracked_excess
from enablement.scheduling.march import MarchRules, MarchSchedule, MarchUnit
from enablement.scheduling.rail import QuaySpec, schedule_rail, train_route
from enablement.timeline import Clock
from enablement.vehicles import Profile, load_catalogue
from tests.helpers import BRUSSELS, two_line_router
from tests.scheduling.test_march_problem import START

DATA = dataclasses.replace(
    rail_data(), shunting_setup_min=0.0, unloading_time_min=60.0, handover_return_h=10.0
)

# ------------------------------------------------------------------ out-of-gauge trains and loading gauges


def _gauge_lines(short_gauge: str) -> Router:
    """Quay 0 to border point 3: a short line via 1 of gauge ``short_gauge``, a long one via 2 of GB."""
    return two_line_router({"loading_gauge": short_gauge}, {"loading_gauge": "GB"})


def _tank_train(width_m: float) -> object:
    return form_trains("T", "q", "d", [Load("m1a2_sepv3", 66.8, 9.8, width_m, 0.0)] * 4, data=DATA)[0]


def test_out_of_gauge_train_avoids_a_section_whose_gauge_is_too_small():
    assert DATA.out_of_gauge_min_gauge == "GB" and DATA.gauge_rank("GA") < DATA.gauge_rank("GB")
    router = _gauge_lines("GA")
    wide = _tank_train(3.66)  # wider than the 3.15 m deck: out of gauge
    assert wide.out_of_gauge
    assert train_route(wide, router, 0, 3, DATA).nodes == (0, 2, 3)  # the long GB line
    narrow = _tank_train(3.0)
    assert train_route(narrow, router, 0, 3, DATA).nodes == (0, 1, 3)  # within gauge: the short line


def test_out_of_gauge_train_routes_through_a_section_whose_gauge_admits_it():
    for gauge in ("GB", "GC"):
        assert train_route(_tank_train(3.66), _gauge_lines(gauge), 0, 3, DATA).nodes == (0, 1, 3)


def test_no_line_of_admitting_gauge_is_a_diagnosis_naming_the_train_and_the_gauge():
    router = _gauge_lines("GA")
    router.network.edges["loading_gauge"] = "G1"
    router = Router(router.network, "rail")
    with pytest.raises(InfeasibleError, match=r"train T/1 .*needs loading gauge GB.*no rail route"):
        train_route(_tank_train(3.66), router, 0, 3, DATA)


def test_gauge_mask_keeps_sections_of_unknown_gauge_open():
    router = _gauge_lines("GA")
    edges = router.network.edges
    edges["loading_gauge"] = edges["loading_gauge"].where(
        edges["u"].isin([0, 2]) & edges["v"].isin([0, 2]), None
    )
    rows = np.arange(len(edges))
    ok = gauge_mask(router.network, rows, Profile("t", loading_gauge="GB"))
    assert ok is not None and ok.all()  # only the GB section has a known gauge
    assert gauge_mask(router.network, rows, Profile("t")) is None  # no gauge asked: no mask
    edges.loc[0, "loading_gauge"] = "GA"
    assert not gauge_mask(router.network, rows, Profile("t", loading_gauge="GB"))[0]
    # OpenStreetMap's railway:loading_gauge fills in where the Infrabel code is missing
    edges["railway_loading_gauge"] = "G1"
    ok = gauge_mask(router.network, rows, Profile("t", loading_gauge="GB"))
    assert ok.tolist() == [False, False, False, False, True, True, False, False]  # only 0-2 is GB
    with pytest.raises(ValueError, match="loading gauge 'XX'"):
        gauge_mask(router.network, rows, Profile("t", loading_gauge="XX"))


# ------------------------------------------------------------------ hand-over at a border point


def test_a_train_to_a_border_point_is_handed_over_not_unloaded():
    t = form_trains("U", "q", "border", [Load("leopard2a6", 62.3, 10.97, 3.0, 0.0)] * 4, data=DATA)[0]
    quays = {"q": QuaySpec("q", 1, 10.0)}
    travel = {t.id: (3600.0, 80_000.0)}
    over = schedule_rail([t], quays, travel, 100, 5, handover={"border"}, data=DATA).trains[0]
    there = schedule_rail([t], quays, travel, 100, 5, data=DATA).trains[0]
    assert over.handover and not there.handover
    assert over.unloaded_s == over.arrive_s  # nothing unloads at the border
    assert there.unloaded_s == there.arrive_s + 3600.0  # a railhead unloads for an hour
    # the wagons come back from abroad after the hand-over's return, then the run back to the quay
    assert over.back_s == over.arrive_s + 10 * 3600.0 + 3600.0
    assert there.back_s == there.unloaded_s + 3600.0


# ------------------------------------------------------------------ tracked vehicles on their tracks


def _mu(mid: str, vehicles: tuple[str, ...], purpose: str = "road") -> MarchUnit:
    return MarchUnit(
        id=mid,
        unit=mid.split("/", maxsplit=1)[0],
        index=1,
        serial=1,
        vehicles=vehicles,
        release_s=0.0,
        sites=("port", "quay"),
        dwell_s=(),
        rdd_s=86_400.0,
        profile=Profile(mid),
        length_m=100.0,
        purpose=purpose,
    )


def _schedule(km: dict[str, float]) -> MarchSchedule:
    routes = {(mid, 0): Route((0, 1), (0,), d * 1000.0, d * 60.0) for mid, d in km.items()}
    return MarchSchedule([], routes, dict.fromkeys(km, 0.0))


def test_tracked_vehicles_beyond_the_policy_distance_are_a_violation_naming_the_unit():
    rules = MarchRules.from_policy(Policy(tracked_road_max_km=50), Clock(START, BRUSSELS))
    units = [
        _mu("TRK/01", ("leopard2a6", "cv90")),
        _mu("NEAR/01", ("leopard2a6",)),
        _mu("WHL/01", ("boxer",) * 3),
        _mu("HET/1", ("m1070_m1000_het",), purpose="het"),
    ]
    found = tracked_excess(
        units,
        _schedule({"TRK/01": 184.0, "NEAR/01": 9.0, "WHL/01": 184.0, "HET/1": 184.0}),
        load_catalogue(),
        rules,
    )
    assert [(x.unit, x.tracked, x.km) for x in found] == [("TRK", 2, 184.0)]
    assert "unit TRK" in found[0].message and "50 km limit" in found[0].message
    (warning,) = excess_warnings([*found, dataclasses.replace(found[0], march_unit="TRK/02", km=150.0)])
    assert warning.startswith("unit TRK: 4 tracked vehicles in 2 march unit(s) drive up to 184.0 km")
    # a scenario's own limit overrides the planning figure
    loose = MarchRules.from_policy(Policy(tracked_road_max_km=200), Clock(START, BRUSSELS))
    assert tracked_excess(units, _schedule({"TRK/01": 184.0}), load_catalogue(), loose) == []


def _table(tracked: int | None, km: float) -> pd.DataFrame:
    t0 = pd.Timestamp("2026-03-02T22:00:00+01:00")
    rows = [
        {
            "march_unit": "TRK/01",
            "unit": "TRK",
            "vehicles": 10,
            "leg": 0,
            "seq": 0,
            "control_point": "port",
            "kind": "start",
            "node": 0,
            "km": 0.0,
            "arrive": t0,
            "depart": t0,
            "pass_min": 5.0,
            "speed_kmh": 40.0,
            "next_control_point": "quay",
        },
        {
            "march_unit": "TRK/01",
            "unit": "TRK",
            "vehicles": 10,
            "leg": 0,
            "seq": 1,
            "control_point": "quay",
            "kind": "end",
            "node": 0,
            "km": km,
            "arrive": t0 + pd.Timedelta(hours=km / 40),
            "depart": t0 + pd.Timedelta(hours=km / 40),
            "pass_min": 5.0,
            "speed_kmh": 40.0,
            "next_control_point": "",
        },
    ]
    table = pd.DataFrame(rows)
    if tracked is not None:
        table["tracked"] = tracked
    return table


def test_checker_finds_tracked_vehicles_over_the_limit_from_the_tables_tracked_column():
    rules = MarchRules.from_policy(Policy(tracked_road_max_km=50), Clock(START, BRUSSELS))
    net = _gauge_lines("GB").network  # any network: the check reads only the table

    def tracked_found(table: pd.DataFrame) -> list[str]:
        return [v.message for v in check_march_table(table, rules, net) if v.kind == "tracked"]

    found = tracked_found(_table(10, 60.0))
    assert len(found) == 1 and "unit TRK" in found[0] and "10 tracked vehicles 60.0 km" in found[0]
    assert tracked_found(_table(10, 40.0)) == []  # within the limit
    assert tracked_found(_table(0, 60.0)) == []  # wheeled
    assert tracked_found(_table(None, 60.0)) == []  # the table does not say: not checked


def test_on_the_infrabel_line_sections_an_out_of_gauge_train_keeps_off_the_smaller_gauges(shared_data):
    from enablement.network.infrabel import read_infrabel_sections

    net = read_infrabel_sections(shared_data / "rail" / "infrabel-line-sections.geojson")
    names = net.features["name"].to_numpy()
    router = Router(net, "rail")
    gauge = net.edges["loading_gauge"].to_numpy()

    def node(name: str) -> int:
        return int(np.flatnonzero(names == name)[0])

    kinkempois, montzen = node("KINKEMPOIS-F"), node("MONTZEN-GR.M")  # Liege yard to the Montzen yard (L24)
    within = router.route(kinkempois, montzen, Profile("t"))
    wide = router.route(kinkempois, montzen, Profile("t", loading_gauge="GB"))
    assert "GA" in set(gauge[list(within.edges)])  # the shortest runs over line 40's GA section
    assert set(gauge[list(wide.edges)]) <= {"GB", "DE3", "GC"}
    assert wide.length_m > within.length_m  # the detour by Welkenraedt
    # from Antwerp the Montzen line is open to it all the way
    antwerp = router.route(node("ANTW-N-INC1"), montzen, Profile("t", loading_gauge="GB"))
    assert set(gauge[list(antwerp.edges)]) <= {"GB", "DE3", "GC"}


def test_a_railhead_beyond_the_border_is_reached_through_it_and_unloads_on_its_tracks():
    from enablement.network.sites import Site
    from enablement.scheduling.trains import _route

    router = _gauge_lines("GB")  # quay 0 to border point 3 (via 1 or 2)
    net = router.network
    # a railhead abroad beyond the border point, and a shortcut to it that bypasses the border
    xy = np.array([[120_000.0, 0.0]]) + 600_000
    extra = gpd.GeoDataFrame(
        {"mode": "rail", "x": xy[:, 0], "y": xy[:, 1], "source_id": ["rh"]},
        geometry=shapely.points(xy),
        crs=CRS,
        index=pd.RangeIndex(4, 5, name="node"),
    )
    nodes = pd.concat([net.nodes, extra])
    pts = nodes[["x", "y"]].to_numpy()
    rows = [
        {"u": u, "v": v, "loading_gauge": "GB", "geometry": shapely.LineString([pts[u], pts[v]])}
        for a, b in ((3, 4), (1, 4))
        for u, v in ((a, b), (b, a))
    ]
    more = gpd.GeoDataFrame(rows, geometry="geometry", crs=CRS).assign(mode="rail", speed_kmh=80.0)
    more["length_m"] = more.geometry.length
    more["time_s"] = more["length_m"] / (80 / 3.6)
    router = Router(
        Network(gpd.GeoDataFrame(nodes, crs=CRS), pd.concat([net.edges, more], ignore_index=True)), "rail"
    )
    sites = {
        "q": Site("q", kind="rail_quay", node_rail=0, ramp_tracks=1),
        "border": Site("border", kind="border_crossing", node_rail=3),
        "rh": Site("rh", kind="rail_quay", node_rail=4, ramp_tracks=2),
    }
    t = form_trains("U", "q", "rh", [Load("leopard2a6", 62.3, 10.97, 3.0, 0.0)] * 4, data=DATA)[0]
    direct = _route(t, router, sites, None, DATA)
    assert 3 not in direct.nodes  # the shortcut by 1 skips the border point
    through = _route(t, router, sites, "border", DATA)
    assert 3 in through.nodes and through.nodes[0] == 0 and through.nodes[-1] == 4
    assert len(through.edges) == len(through.nodes) - 1
    # unloading at the railhead: its two ramp tracks unload two trains at once, one track one at a time
    two = [dataclasses.replace(t, id=f"U/{k}") for k in (1, 2)]
    travel = {x.id: (3600.0, 100_000.0) for x in two}
    quays = {"q": QuaySpec("q", 2, 10.0)}
    both = schedule_rail(two, quays, travel, 100, 5, railhead_tracks={"rh": 2}, data=DATA).trains
    one = schedule_rail(two, quays, travel, 100, 5, railhead_tracks={"rh": 1}, data=DATA).trains
    assert not any(x.handover for x in both)
    assert max(x.unloaded_s for x in both) < max(x.unloaded_s for x in one)
