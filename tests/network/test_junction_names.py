"""Motorway junction names from OSM (``highway=motorway_junction``): read, simplified, saved and loaded."""

import geopandas as gpd
import numpy as np
import pytest
import shapely

from enablement.network.io import load_network, save_network
from enablement.network.model import CRS, Network
from enablement.network.osm import build_network, network_from_ways, read_overpass_json
from enablement.network.places import junction_nodes, node_keys, node_names
from enablement.network.simplify import consolidate_junctions, merge_chains
from enablement.scheduling.march import control_points

# A one-way motorway west -> east along lat 51.2 (nodes 1..5, about 700 m apart, one way), with
#   node 3: highway=motorway_junction, ref=5, name=Wommelgem, where a motorway_link (3-10) leaves to a
#           primary road (10-11);
#   node 4: highway=motorway_junction with junction:ref=6 and name=Ranst, in the middle of the motorway
#           (no road leaves there: only its name makes it a node);
#   node 2: highway=motorway_junction without ref or name (nothing to name).
LON = {1: 4.40, 2: 4.41, 3: 4.42, 4: 4.43, 5: 4.44, 10: 4.425, 11: 4.43}
LAT = {1: 51.2, 2: 51.2, 3: 51.2, 4: 51.2, 5: 51.2, 10: 51.205, 11: 51.21}
NODE_TAGS = {
    2: {"highway": "motorway_junction"},
    3: {"highway": "motorway_junction", "ref": "5", "name": "Wommelgem"},
    4: {"highway": "motorway_junction", "junction:ref": "6", "name": "Ranst"},
}
WAYS = [
    (100, [1, 2, 3, 4, 5], {"highway": "motorway", "ref": "E34", "maxspeed": "120"}),
    (101, [3, 10], {"highway": "motorway_link"}),
    (102, [10, 11], {"highway": "primary", "ref": "N116"}),
]


def osm_xml() -> str:
    def node(i: int) -> str:
        tags = "".join(f'<tag k="{k}" v="{v}"/>' for k, v in NODE_TAGS.get(i, {}).items())
        return f'<node id="{i}" lat="{LAT[i]}" lon="{LON[i]}" version="1">{tags}</node>\n'

    out = []
    for wid, refs, tags in WAYS:
        nd = "".join(f'<nd ref="{r}"/>' for r in refs)
        tg = "".join(f'<tag k="{k}" v="{v}"/>' for k, v in tags.items())
        out.append(f'<way id="{wid}" version="1">{nd}{tg}</way>\n')
    nodes = "".join(node(i) for i in sorted(LON))
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<osm version="0.6">\n{nodes}{"".join(out)}</osm>\n'


@pytest.fixture
def osm_file(tmp_path):
    p = tmp_path / "junctions.osm"
    p.write_text(osm_xml())
    return p


def _at(net: Network, osm_id: int) -> int:
    hits = np.flatnonzero(net.nodes["source_id"].to_numpy() == osm_id)
    assert hits.size == 1, f"node {osm_id} is not one node of the network"
    return int(hits[0])


def _labels(net: Network) -> dict[int, tuple[object, object]]:
    """(junction_ref, junction_name) of every named junction, by source id."""
    nodes = net.nodes
    return {
        int(nodes["source_id"].iloc[i]): (nodes["junction_ref"].iloc[i], nodes["junction_name"].iloc[i])
        for i in sorted(junction_nodes(net))
    }


def test_file_gives_named_junction_nodes(osm_file):
    net = build_network(osm_file=osm_file)
    assert _labels(net) == {3: ("5", "Wommelgem"), 4: ("6", "Ranst")}
    # node 4 links only two motorway pieces with the same tags: it stays a node for its name alone,
    # node 2 (a junction without ref or name) is a way node as any other
    assert set(net.nodes["source_id"]) == {1, 3, 4, 5, 10, 11}
    unnamed = net.nodes["junction_ref"].isna() & net.nodes["junction_name"].isna()
    assert unnamed.sum() == net.n_nodes - 2
    w = _at(net, 3)
    assert node_names(net, [w, _at(net, 4), _at(net, 1)]) == {
        w: "junction 5 Wommelgem",
        _at(net, 4): "junction 6 Ranst",
        _at(net, 1): "E34",
    }
    assert node_keys(net)[w] == "osm-n3"


def test_junctions_survive_simplification(osm_file):
    raw = build_network(osm_file=osm_file, simplify=False)
    assert _labels(raw) == {3: ("5", "Wommelgem"), 4: ("6", "Ranst")}
    assert set(raw.nodes["source_id"]) == {1, 3, 4, 5, 10, 11}
    merged = merge_chains(raw)
    assert merged.n_nodes == raw.n_nodes  # node 4 passes through, but its name keeps it
    assert _labels(merged) == _labels(raw)
    renamed = raw.copy()
    renamed.nodes[["junction_ref", "junction_name"]] = None
    assert merge_chains(renamed).meta["report"]["merged_nodes"] == 1  # without names node 4 goes
    assert node_names(merged, [_at(merged, 3)]) == {_at(merged, 3): "junction 5 Wommelgem"}
    consolidated = consolidate_junctions(build_network(osm_file=osm_file), 2000.0)
    assert _labels(consolidated) == {3: ("5", "Wommelgem"), 4: ("6", "Ranst")}


def test_consolidation_keeps_the_name_of_a_member():
    """Two junction nodes 10 m apart become one node, which takes the name the other one had."""
    xy = {0: (0.0, 0.0), 1: (10.0, 0.0), 2: (-1000.0, 0.0), 3: (0.0, 1000.0), 4: (1000.0, 0.0)}
    xy[5] = (10.0, -1000.0)
    x = np.array([xy[i][0] for i in range(6)])
    y = np.array([xy[i][1] for i in range(6)])
    nodes = gpd.GeoDataFrame(
        {
            "mode": "road",
            "x": x,
            "y": y,
            "source_id": [10, 11, 12, 13, 14, 15],
            "junction_ref": [None, "5", None, None, None, None],
            "junction_name": [None, "Wommelgem", None, None, None, None],
        },
        geometry=gpd.points_from_xy(x, y),
        crs=CRS,
    )
    pairs = [(0, 1), (0, 2), (0, 3), (1, 4), (1, 5)]
    u = [a for a, _ in pairs] + [b for _, b in pairs]
    v = [b for _, b in pairs] + [a for a, _ in pairs]
    edges = gpd.GeoDataFrame(
        {"u": u, "v": v, "mode": "road", "length_m": 0.0, "speed_kmh": 50.0, "time_s": 0.0},
        geometry=[shapely.LineString([xy[a], xy[b]]) for a, b in zip(u, v, strict=True)],
        crs=CRS,
    )
    edges["length_m"] = edges.geometry.length
    edges["time_s"] = edges["length_m"] / (50 / 3.6)
    net = Network(nodes, edges, meta={"source": "osm"})
    out = consolidate_junctions(net, 12.0)
    assert out.n_nodes == 5
    (j,) = junction_nodes(out)
    assert out.nodes["source_id"].iloc[j] == 10  # the cluster's node, with its member's name
    assert node_names(out, [j]) == {j: "junction 5 Wommelgem"}


def test_named_junction_is_a_control_point(osm_file):
    net = build_network(osm_file=osm_file)
    path = [_at(net, i) for i in (1, 3, 4, 5)]
    xy = net.nodes[["x", "y"]].to_numpy(float)
    named = junction_nodes(net)
    cps = control_points([path], {path[0], path[-1]}, xy, 1500.0, 0.0, named=named)
    assert _at(net, 3) in cps.nodes or _at(net, 4) in cps.nodes
    names = node_names(net, sorted(cps.nodes & named))
    assert set(names.values()) <= {"junction 5 Wommelgem", "junction 6 Ranst"} and names


def test_save_and_load_keep_junction_names(osm_file, tmp_path):
    net = build_network(osm_file=osm_file)
    back = load_network(save_network(net, tmp_path / "junctions.gpkg"), cache=False)
    assert _labels(back) == _labels(net)
    assert back.nodes["junction_ref"].dtype == object
    w = _at(back, 3)
    assert node_names(back, [w]) == {w: "junction 5 Wommelgem"}


def test_recorded_overpass_json_names_junctions():
    elements = [
        {"type": "node", "id": i, "lat": LAT[i], "lon": LON[i], "tags": NODE_TAGS.get(i, {})} for i in LON
    ]
    elements += [{"type": "way", "id": wid, "nodes": refs, "tags": tags} for wid, refs, tags in WAYS]
    net = network_from_ways(read_overpass_json([{"elements": elements}]))
    assert _labels(net) == {3: ("5", "Wommelgem"), 4: ("6", "Ranst")}


def test_overpass_features_name_junctions(osm_file, monkeypatch):
    """osmnx features (recorded: parsed from the file by osmnx, no network) name the same nodes."""
    import osmnx as ox

    seen = {}

    def recorded(polygon, tags):
        seen["tags"] = tags
        return ox.features.features_from_xml(osm_file, tags=tags)

    monkeypatch.setattr(ox.features, "features_from_polygon", recorded)
    net = build_network(bbox=(4.39, 51.19, 4.45, 51.22))
    assert "motorway_junction" in seen["tags"]["highway"]
    from_file = build_network(osm_file=osm_file)
    assert net.n_nodes == from_file.n_nodes
    cols = ["x", "y", "junction_ref", "junction_name"]
    assert net.nodes[cols].equals(from_file.nodes[cols])


def test_antwerp_extract_names_ring_junctions(shared_data):
    net = build_network(osm_file=shared_data / "osm" / "antwerp-2014.osm.pbf")
    named = sorted(junction_nodes(net))
    assert named
    e = net.edges
    on_ring = e["ref"].fillna("").str.contains(r"\b(?:R1|E19|E34)\b", regex=True).to_numpy()
    ring_nodes = set(e["u"].to_numpy()[on_ring].tolist()) | set(e["v"].to_numpy()[on_ring].tolist())
    on = [n for n in named if n in ring_nodes]
    names = node_names(net, on)
    print(f"named junctions: {len(named)}, on the R1/E19/E34: {len(on)}:", sorted(set(names.values())))
    assert len(on) >= 10 and all(names.values())
    numbered = {v for v in names.values() if v.startswith("junction ")}  # "junction 4 Berchem"
    assert len(numbered) >= 5
