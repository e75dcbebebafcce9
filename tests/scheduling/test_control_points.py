"""Control points: stable ids across overlay edits and rebuilds, junction areas, names and MGRS."""

from __future__ import annotations

import json
from types import SimpleNamespace

import geopandas as gpd
import numpy as np
import pytest
import shapely

from enablement.network.model import CRS, Network
from enablement.network.places import key_index, mgrs, node_keys, node_names
from enablement.outputs.tables import march_table
from enablement.plan import build_network, make_plan
from enablement.scenario import load_scenario
from enablement.scheduling.checks import check_march_table, read_march_table
from enablement.scheduling.march import control_points, march_rules, split_route
from tests.small_world import DLAT, DLON, LAT0, LON0, write_world


@pytest.mark.parametrize(
    ("lon", "lat", "digits", "expected"),
    [
        # proj4js mgrs tests ("First MGRS set": 33UXP0500444998 at 1 m, truncated here to 10 m)
        (16.41450, 48.24949, 4, "33UXP05004499"),
        # proj4js mgrs tests ("Second MGRS set", band X near a zone border, 100 m)
        (-32.66433, 83.62778, 3, "25XEN041865"),
        # Chris Veness' geodesy library, LatLon(50.4501, 30.5234).toUtm().toMgrs(): 36U UA 24182 91607
        (30.5234, 50.4501, 5, "36UUA2418291607"),
    ],
)
def test_mgrs_matches_published_references(lon, lat, digits, expected):
    assert mgrs(lon, lat, digits) == expected


def test_mgrs_refuses_the_polar_regions():
    with pytest.raises(ValueError, match="80° S to 84° N"):
        mgrs(4.0, 85.0)


ROAD_EDIT = {
    "type": "FeatureCollection",
    "features": [
        {
            "type": "Feature",
            # part of the trunk between the port and the next grid node: the edge is split twice
            "geometry": {
                "type": "LineString",
                "coordinates": [[LON0 + 0.25 * DLON, LAT0 + DLAT], [LON0 + 0.75 * DLON, LAT0 + DLAT]],
            },
            "properties": {"id": "n5-west", "source": "test", "illustrative": True, "ref": "N5"},
        }
    ],
}


@pytest.fixture(scope="module")
def worlds(tmp_path_factory):
    """The small world's plan and table, and the same network built again with an edited overlay."""
    path = write_world(tmp_path_factory.mktemp("before"))
    plan = make_plan(path)
    csv = path.parent / "march_table.csv"
    march_table(plan).to_csv(csv, index=False)
    edited = write_world(tmp_path_factory.mktemp("after"))
    (edited.parent / "overlay" / "roads.geojson").write_text(json.dumps(ROAD_EDIT))
    scenario = load_scenario(edited)
    network = build_network(scenario, edited.parent)
    return plan, csv, scenario, network


def test_ids_survive_an_overlay_edit_and_a_rebuild(worlds, tmp_path):
    plan, _csv, scenario, edited = worlds
    before, after = node_keys(plan.network), key_index(edited)
    assert edited.n_nodes == plan.network.n_nodes + 2  # the edit split one road twice
    assert len(set(before)) == len(before) and len(after) == edited.n_nodes
    moved = [k for i, k in enumerate(before) if after[k] != i]
    assert moved, "the edit renumbers nodes (Hilbert order), so internal numbers change"
    for i, k in enumerate(before):  # every node keeps its id, and the id finds it at its new number
        assert edited.nodes["x"].iloc[after[k]] == pytest.approx(plan.network.nodes["x"].iloc[i])
    assert {k for k in after if k.startswith("xy-")} == {k for k in after if k not in set(before)}
    rebuilt = build_network(scenario, write_world(tmp_path / "again").parent)
    assert list(node_keys(rebuilt)) == list(node_keys(plan.network))


def test_a_march_table_keeps_checking_after_an_overlay_edit(worlds):
    plan, csv, scenario, edited = worlds
    table = read_march_table(csv)
    rules = march_rules(scenario, edited)
    assert check_march_table(table, plan.rules, plan.network) == []
    numbers = key_index(edited)
    shifted = [
        r for r in table.itertuples() if r.control_point in numbers and numbers[r.control_point] != r.node
    ]
    assert shifted, "some control point has another internal number on the edited network"
    assert check_march_table(table, rules, edited) == []
    # an id the network does not know is still a place violation
    table.loc[table.index[1], "control_point"] = "osm-n999999"
    assert {v.kind for v in check_march_table(table, rules, edited)} >= {"place"}


def test_the_march_table_names_its_control_points(worlds):
    _plan, csv, _scenario, _edited = worlds
    table = read_march_table(csv)
    assert not table["control_point"].str.fullmatch(r"CP-\d+").any()
    sites = table[table["control_point"] == "port-w"]
    assert set(sites["control_point_name"]) == {"Site port-w"}
    assert table["mgrs"].str.fullmatch(r"31U[A-Z]{2}\d{10}").all()
    lon, lat = table["lon"].iloc[0], table["lat"].iloc[0]
    assert table["mgrs"].iloc[0][:9] == mgrs(lon, lat)[:9]  # same place to 1 km (lon/lat are rounded)


def _line(xs: list[float], ys: list[float] | None = None) -> np.ndarray:
    return np.column_stack([xs, ys if ys is not None else np.zeros(len(xs))])


def test_no_segment_under_the_minimum():
    # a trunk 0-1-2-3-4-5 (x in m) and a road 6-2 joining it at 2, leaving at 3 (120 m on) to 7
    xy = _line([0, 5000, 10000, 10120, 15000, 20000, 10000, 10120], [0, 0, 0, 0, 0, 0, 5000, -5000])
    paths = [[0, 1, 2, 3, 4, 5], [6, 2, 3, 7], [0, 1, 2, 3, 7]]
    cps = control_points(paths, {0, 5, 6, 7}, xy, 10_000.0, 500.0)
    assert cps.at[2] == cps.at[3]  # merge and split 120 m apart are one control point
    for path in paths:
        route = SimpleNamespace(nodes=tuple(path), edges=tuple(range(len(path) - 1)))
        parts = split_route(route, cps)
        assert sum(len(e) for _, _, e in parts) == len(path) - 1  # every edge in one segment
        for a, b, edges in parts:
            length = sum(float(np.hypot(*(xy[path[e + 1]] - xy[path[e]]))) for e in edges)
            assert length >= 500.0, (path, a, b)
    # without the minimum, the 120 m segment is there
    assert len(control_points(paths, {0, 5, 6, 7}, xy, 10_000.0).nodes) == len(cps.nodes) + 1


def test_two_sites_close_together_stay_two_control_points():
    xy = _line([0, 100, 8000])
    cps = control_points([[0, 1, 2]], {0, 1, 2}, xy, 10_000.0, 500.0)
    assert cps.nodes == {0, 1, 2}


def test_spacing_prefers_a_named_junction():
    xy = _line([float(k) * 1000 for k in range(31)])
    cps = control_points([list(range(31))], {0, 30}, xy, 10_000.0, 500.0, named={7, 23})
    assert cps.nodes == {0, 7, 17, 23, 30}


def _named_network() -> Network:
    """Three road nodes: a motorway junction, a plain node on the E40, and one where the E40 meets the N3."""
    x = np.array([0.0, 2000.0, 4000.0, 4000.0])
    y = np.array([0.0, 0.0, 0.0, 2000.0])
    nodes = gpd.GeoDataFrame(
        {
            "mode": "road",
            "x": x,
            "y": y,
            "source_id": [11, 12, 13, 14],
            "junction_ref": ["20", None, None, None],
            "junction_name": ["Leuven", None, None, None],
        },
        geometry=gpd.points_from_xy(x, y),
        crs=CRS,
    )
    pairs = [(0, 1, "E40"), (1, 2, "E40"), (2, 3, "N3")]
    u = [a for a, b, _ in pairs] + [b for a, b, _ in pairs]
    v = [b for a, b, _ in pairs] + [a for a, b, _ in pairs]
    refs = [r for *_, r in pairs] * 2
    edges = gpd.GeoDataFrame(
        {"u": u, "v": v, "mode": "road", "length_m": 2000.0, "speed_kmh": 50.0, "time_s": 144.0, "ref": refs},
        geometry=[shapely.LineString([(x[a], y[a]), (x[b], y[b])]) for a, b in zip(u, v, strict=True)],
        crs=CRS,
    )
    return Network(nodes, edges, meta={"source": "osm"})


def test_names_and_ids_on_a_hand_built_network():
    net = _named_network()
    assert node_names(net, [0, 1, 2, 3]) == {0: "junction 20 Leuven", 1: "E40", 2: "E40 / N3", 3: "N3"}
    assert list(node_keys(net)) == ["osm-n11", "osm-n12", "osm-n13", "osm-n14"]
    embedded = Network(net.nodes, net.edges, meta={"source": "embedded"})
    assert list(node_keys(embedded)) == ["xy-0-0", "xy-2000-0", "xy-4000-0", "xy-4000-2000"]


def test_nodes_at_one_place_get_distinct_ids():
    net = _named_network()
    net.nodes.loc[1, ["x", "y"]] = [0.2, 0.3]  # within a metre of node 0
    keys = node_keys(Network(net.nodes, net.edges, meta={"source": "embedded"}))
    assert keys[0] == "xy-0-0" and keys[1] == "xy-0-0~2"
