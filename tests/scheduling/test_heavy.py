"""Heavy equipment: tracked road distance, out-of-gauge trains by loading gauge, hand-over at the border."""

from __future__ import annotations

import dataclasses

import geopandas as gpd
import numpy as np
import pytest
import shapely

from enablement.errors import InfeasibleError
from enablement.network.model import CRS, Network
from enablement.rolling_stock import rail_data
from enablement.routing import Router, gauge_mask
from enablement.scheduling.formation import Load, form_trains
from enablement.scheduling.rail import QuaySpec, schedule_rail, train_route
from enablement.vehicles import Profile

DATA = dataclasses.replace(
    rail_data(), shunting_setup_min=0.0, unloading_time_min=60.0, handover_return_h=10.0
)

# ------------------------------------------------------------------ out-of-gauge trains and loading gauges


def _gauge_lines(short_gauge: str) -> Router:
    """Quay 0 to border point 3: a short line via 1 of gauge ``short_gauge``, a long one via 2 of BE2."""
    xy = np.array([[0.0, 0.0], [40_000.0, 5_000.0], [40_000.0, -40_000.0], [80_000.0, 0.0]]) + 600_000
    nodes = gpd.GeoDataFrame(
        {"mode": "rail", "x": xy[:, 0], "y": xy[:, 1], "source_id": ["q", "a", "b", "d"]},
        geometry=shapely.points(xy),
        crs=CRS,
    )
    nodes.index.name = "node"
    rows = []
    for a, b, gauge in ((0, 1, short_gauge), (1, 3, short_gauge), (0, 2, "BE2"), (2, 3, "BE2")):
        for u, v in ((a, b), (b, a)):
            rows.append({"u": u, "v": v, "gauge_nat": gauge, "geometry": shapely.LineString([xy[u], xy[v]])})
    edges = gpd.GeoDataFrame(rows, geometry="geometry", crs=CRS)
    edges["mode"] = "rail"
    edges["length_m"] = edges.geometry.length
    edges["speed_kmh"] = 80.0
    edges["time_s"] = edges["length_m"] / (80 / 3.6)
    return Router(Network(nodes, edges), "rail")


def _tank_train(width_m: float) -> object:
    return form_trains("T", "q", "d", [Load("m1a2_sepv3", 66.8, 9.8, width_m, 0.0)] * 4, data=DATA)[0]


def test_out_of_gauge_train_avoids_a_section_whose_gauge_is_too_small():
    assert DATA.out_of_gauge_min_gauge == "BE2" and DATA.gauge_rank("BE1") < DATA.gauge_rank("BE2")
    router = _gauge_lines("BE1")
    wide = _tank_train(3.66)  # wider than the 3.15 m deck: out of gauge
    assert wide.out_of_gauge
    assert train_route(wide, router, 0, 3, DATA).nodes == (0, 2, 3)  # the long BE2 line
    narrow = _tank_train(3.0)
    assert train_route(narrow, router, 0, 3, DATA).nodes == (0, 1, 3)  # within gauge: the short line


def test_out_of_gauge_train_routes_through_a_section_whose_gauge_admits_it():
    for gauge in ("BE2", "BE4"):
        assert train_route(_tank_train(3.66), _gauge_lines(gauge), 0, 3, DATA).nodes == (0, 1, 3)


def test_no_line_of_admitting_gauge_is_a_diagnosis_naming_the_train_and_the_gauge():
    router = _gauge_lines("BE1")
    router.network.edges["gauge_nat"] = "BE1"
    router = Router(router.network, "rail")
    with pytest.raises(InfeasibleError, match=r"train T/1 .*needs loading gauge BE2.*no rail route"):
        train_route(_tank_train(3.66), router, 0, 3, DATA)


def test_gauge_mask_keeps_sections_of_unknown_gauge_open():
    router = _gauge_lines("BE1")
    edges = router.network.edges
    edges["gauge_nat"] = edges["gauge_nat"].where(edges["u"].isin([0, 2]) & edges["v"].isin([0, 2]), None)
    rows = np.arange(len(edges))
    ok = gauge_mask(router.network, rows, Profile("t", loading_gauge="BE2"))
    assert ok is not None and ok.all()  # only the BE2 section has a known gauge
    assert gauge_mask(router.network, rows, Profile("t")) is None  # no gauge asked: no mask
    edges.loc[0, "gauge_nat"] = "BE1"
    assert not gauge_mask(router.network, rows, Profile("t", loading_gauge="BE2"))[0]
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
