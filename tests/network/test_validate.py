"""Network.validate on hand-made frames: every problem found, each naming its layer, column and fix."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely

from enablement.errors import NetworkError
from enablement.network.model import CRS, Network


def tiny(**edge_columns) -> Network:
    """Three road nodes and a rail node, road edges 0→1→2 both ways and a transfer 2↔3."""
    x = np.array([0.0, 1000.0, 2000.0, 2000.0]) + 650_000
    y = np.array([0.0, 0.0, 0.0, 50.0]) + 670_000
    nodes = gpd.GeoDataFrame(
        {"mode": ["road", "road", "road", "rail"], "x": x, "y": y, "source_id": [1, 2, 3, 4]},
        geometry=shapely.points(x, y),
        crs=CRS,
    )
    nodes.index.name = "node"
    u = [0, 1, 1, 2, 2, 3]
    v = [1, 0, 2, 1, 3, 2]
    mode = ["road"] * 4 + ["transfer"] * 2
    length = np.hypot(x[u] - x[v], y[u] - y[v])
    speed = np.array([50.0] * 4 + [np.nan] * 2)
    cols = {
        "u": u,
        "v": v,
        "mode": mode,
        "length_m": length,
        "speed_kmh": speed,
        "time_s": np.where(np.isnan(speed), 600.0, length / (np.nan_to_num(speed, nan=1.0) / 3.6)),
    }
    cols.update(edge_columns)
    lines = [shapely.LineString([(x[a], y[a]), (x[b], y[b])]) for a, b in zip(u, v, strict=True)]
    edges = gpd.GeoDataFrame(cols, geometry=lines, crs=CRS)
    return Network(nodes, edges)


def test_a_good_network_has_no_problem():
    net = tiny()
    assert net.problems() == []
    assert net.validate() == []


def test_the_embedded_network_is_valid(embedded):
    assert embedded.problems() == []


@pytest.mark.parametrize(
    ("column", "value", "words"),
    [
        ("length_m", np.nan, ("edges: length_m: nan at edge 2", "0 or more")),
        ("length_m", np.inf, ("edges: length_m: inf at edge 2",)),
        ("length_m", -5.0, ("edges: length_m: -5 at edge 2",)),
        ("speed_kmh", 0.0, ("edges: speed_kmh: 0 at edge 2", "above 0 on road and rail edges")),
        ("speed_kmh", np.nan, ("edges: speed_kmh: nan at edge 2",)),
        ("speed_kmh", -np.inf, ("edges: speed_kmh: -inf",)),
        ("time_s", np.nan, ("edges: time_s: nan at edge 2",)),
        ("maxweight_t", -1.0, ("edges: maxweight_t: a negative limit at edge 2", "NaN")),
        ("u", 17, ("edges: u: 17 at edge 2 is no node id", "0…3")),
        ("v", -1, ("edges: v: -1 at edge 2 is no node id",)),
        ("u", 0.5, ("edges: u: 0.5 at edge 2",)),
        ("mode", "bus", ("edges: mode: 'bus' at edge 2", "'road', 'rail' or 'transfer'")),
    ],
)
def test_one_bad_edge_value(column, value, words):
    net = tiny()
    e = net.edges
    if column in ("u", "v") and isinstance(value, float):
        e[column] = e[column].astype(float)
    if column == "mode":
        e[column] = e[column].astype(object)
    e.loc[2, column] = value
    found = net.problems()
    assert len(found) == 1, found
    for w in words:
        assert w in found[0]


def test_a_speed_may_be_missing_on_transfer_edges_only():
    net = tiny()
    assert np.isnan(net.edges["speed_kmh"].iloc[4])
    assert net.problems() == []


def test_text_in_a_numeric_column():
    net = tiny()
    net.edges["length_m"] = net.edges["length_m"].astype(object)
    net.edges.loc[1, "length_m"] = "far"
    (problem,) = net.problems()
    assert problem.startswith("edges: length_m: holds text") and "'far'" in problem and "metres" in problem


@pytest.mark.parametrize("column", ["u", "v", "mode", "length_m", "speed_kmh", "time_s"])
def test_each_required_edge_column(column):
    net = tiny()
    net.edges = net.edges.drop(columns=column)
    found = net.problems()
    assert f"edges: {column}: the column is missing; rebuild the network" in found[0]


@pytest.mark.parametrize("column", ["mode", "x", "y"])
def test_each_required_node_column(column):
    net = tiny()
    net.nodes = net.nodes.drop(columns=column)
    found = net.problems()
    assert any(p.startswith(f"nodes: {column}: the column is missing") for p in found), found


def test_empty_layers():
    net = tiny()
    empty = Network(net.nodes.iloc[:0], net.edges.iloc[:0])
    found = empty.problems()
    assert found[0].startswith("nodes: the layer is empty")
    assert found[1].startswith("edges: the layer is empty")


def test_nodes_must_be_numbered_in_order():
    net = tiny()
    net.nodes.index = [0, 1, 5, 3]
    found = net.problems()
    assert any(p.startswith("nodes: node: the ids must be 0…3 in order") for p in found)


def test_node_values():
    net = tiny()
    net.nodes["mode"] = net.nodes["mode"].astype(object)
    net.nodes.loc[1, "mode"] = "ferry"
    net.nodes.loc[2, "x"] = np.nan
    found = net.problems()
    assert any(p.startswith("nodes: mode: 'ferry' at node 1") for p in found)
    assert any(p.startswith("nodes: x: no finite number at node 2") for p in found)


def test_node_xy_must_agree_with_the_geometry():
    net = tiny()
    net.nodes.loc[3, "x"] += 250.0
    found = net.problems()
    assert any(p.startswith("nodes: x/y: more than 1 m from the geometry at node 3") for p in found)


def test_edges_join_nodes_of_their_mode():
    net = tiny()
    net.edges.loc[0, "v"] = 3  # a road edge onto the rail node
    net.edges.loc[5, "v"] = 1  # a transfer edge from the rail node to a road node: fine
    found = net.problems()
    assert len(found) == 1 and "edges: u/v: a road edge from a road node to a rail node at edge 0" in found[0]


def test_wrong_crs():
    net = tiny()
    net.nodes = net.nodes.set_crs(4326, allow_override=True)
    net.edges = net.edges.set_crs(31370, allow_override=True)
    found = net.problems()
    assert any(p.startswith("nodes: geometry: the CRS is EPSG:4326; networks are in") for p in found)
    assert any(p.startswith("edges: geometry: the CRS is EPSG:31370") for p in found)


def test_missing_edge_geometry():
    net = tiny()
    net.edges.loc[3, "geometry"] = None
    (problem,) = net.problems()
    assert problem.startswith("edges: geometry: none at edge 3")


def test_sites_refer_to_nodes_of_their_mode():
    net = tiny()
    net.sites = gpd.GeoDataFrame(
        {"id": ["a", "b", "b"], "node_road": [0, 3, 99], "node_rail": [3, -1, -1]},
        geometry=shapely.points([0, 0, 0], [0, 0, 0]),
        crs=CRS,
    ).set_index("id", drop=False)
    found = net.problems()
    assert any(p.startswith("sites: id: 'b' is the id of more than one site") for p in found)
    assert any(p.startswith("sites: node_road: 99 at site b is not a road node id") for p in found)


def test_site_node_of_the_wrong_mode():
    net = tiny()
    net.sites = gpd.GeoDataFrame(
        {"id": ["a"], "node_road": [3], "node_rail": [0]}, geometry=[shapely.Point(0, 0)], crs=CRS
    ).set_index("id", drop=False)
    found = net.problems()
    assert "sites: node_road: 3 at site a is not a road node id" in found[0]
    assert "sites: node_rail: 0 at site a is not a rail node id" in found[1]


def test_every_problem_is_collected_and_raised_once():
    net = tiny()
    net.edges.loc[0, "length_m"] = -1.0
    net.edges.loc[1, "speed_kmh"] = np.nan
    net.nodes.loc[0, "y"] = np.inf
    with pytest.raises(NetworkError) as info:
        net.validate(source="hand.gpkg")
    text = str(info.value)
    assert text.startswith("3 problems in hand.gpkg:")
    assert "edges: length_m" in text and "edges: speed_kmh" in text and "nodes: y" in text


def test_not_strict_warns_and_returns(caplog):
    net = tiny()
    net.edges.loc[0, "length_m"] = -1.0
    found = net.validate(strict=False, source="hand.gpkg")
    assert len(found) == 1
    assert "hand.gpkg: edges: length_m" in caplog.text


def test_many_rows_are_counted():
    net = tiny()
    net.edges["length_m"] = -1.0
    (problem,) = net.problems()
    assert "at 6 edges (first: edge 0)" in problem
