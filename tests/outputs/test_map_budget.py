"""The map's network layer keeps to its budget: every link near the routes, main roads only elsewhere."""

from __future__ import annotations

import dataclasses

import pytest
import shapely

from enablement.network.model import Network
from enablement.outputs.maps import _network_layer
from enablement.plan import make_plan
from tests.small_world import write_world


@pytest.fixture(scope="module")
def plan(tmp_path_factory):
    return make_plan(write_world(tmp_path_factory.mktemp("budget")), solver={"road": "greedy"})


def _parts(plan, mode: str = "road") -> int:
    data = _network_layer(plan, mode, "#999", None).data
    feature = data["features"][0] if "features" in data else data
    return int(shapely.get_num_geometries(shapely.geometry.shape(feature["geometry"])))


def test_every_road_link_is_drawn_once_when_all_are_main_roads(plan):
    e = plan.network.edges
    road = e[e["mode"] == "road"]
    links = {(min(a, b), max(a, b)) for a, b in zip(road["u"], road["v"], strict=True)}
    assert _parts(plan) == len(links)


def test_local_roads_far_from_the_routes_are_left_out(plan, monkeypatch):
    from enablement.outputs import maps

    e = plan.network.edges.copy()
    e.loc[e["mode"] == "road", "highway"] = "residential"
    local = dataclasses.replace(
        plan, network=Network(plan.network.nodes, e, plan.network.sites, plan.network.meta)
    )
    total = _parts(plan)
    real = maps.figure
    reach = {}
    for within in (500, 2500, 50_000):
        monkeypatch.setattr(
            maps, "figure", lambda name, w=within: w if name == "map_detail_within_m" else real(name)
        )
        reach[within] = _parts(local)
    # the trunk row (1) carries the road routes: within 500 m only its links and the ends of the
    # links up from it; 2.5 km reaches the rows beside it (2.2 km away); 50 km every link
    assert 0 < reach[500] < reach[2500] <= reach[50_000] == total
