"""Simplification keeps attribute changes; junction consolidation; routes unchanged on the real extract."""

import geopandas as gpd
import numpy as np
import pytest
import shapely

from enablement.network.model import CRS, Network
from enablement.network.simplify import consolidate_junctions, merge_chains
from enablement.routing import Router

X0, Y0 = 650_000.0, 680_000.0


def network(points, links, **cols):
    """Road network: ``links`` are (a, b, oneway, extra attributes) between ``points`` (metres)."""
    xy = np.asarray(points, float) + np.array([X0, Y0])
    nodes = gpd.GeoDataFrame(
        {"mode": "road", "x": xy[:, 0], "y": xy[:, 1], "source_id": [str(i) for i in range(len(xy))]},
        geometry=shapely.points(xy),
        crs=CRS,
    )
    nodes.index.name = "node"
    rows = []
    for a, b, oneway, extra in links:
        for u, v in [(a, b)] if oneway else [(a, b), (b, a)]:
            rows.append(
                {
                    "u": u,
                    "v": v,
                    "highway": "primary",
                    "geometry": shapely.LineString([xy[u], xy[v]]),
                    **extra,
                }
            )
    edges = gpd.GeoDataFrame(rows, geometry="geometry", crs=CRS)
    edges["mode"] = "road"
    edges["length_m"] = edges.geometry.length
    edges["speed_kmh"] = 72.0
    edges["time_s"] = edges["length_m"] / 20.0
    return Network(nodes, edges, meta={"source": "osm", "report": {}})


def test_a_chain_with_equal_attributes_becomes_one_edge_each_way():
    net = network(
        [(0, 0), (100, 0), (200, 10), (300, 0)], [(0, 1, False, {}), (1, 2, False, {}), (2, 3, False, {})]
    )
    out = merge_chains(net)
    assert out.n_nodes == 2 and out.n_edges == 2
    assert out.edges["length_m"].sum() == pytest.approx(net.edges["length_m"].sum())
    assert out.edges["time_s"].sum() == pytest.approx(net.edges["time_s"].sum())
    g = out.edges.geometry.iloc[0]
    assert len(g.coords) == 4  # the intermediate nodes stay as vertices
    assert out.meta["report"]["merged_nodes"] == 2


def test_an_isolated_ring_of_pass_through_nodes_keeps_its_edges_beside_a_merged_chain():
    ring = [(0, 1, False, {}), (1, 2, False, {}), (2, 3, False, {}), (3, 0, False, {})]
    chain = [(4, 5, False, {}), (5, 6, False, {})]
    points = [(0, 0), (100, 0), (100, 100), (0, 100), (500, 0), (600, 0), (700, 0)]
    net = network(points, ring + chain)
    out = merge_chains(net)
    # every node of the ring links two neighbours with equal attributes, but no chain starts there
    assert out.n_nodes == 6 and out.n_edges == 10 and out.meta["report"]["merged_nodes"] == 1
    assert sorted(out.edges["length_m"].round(6)) == [100.0] * 8 + [200.0] * 2
    assert out.edges["length_m"].sum() == pytest.approx(net.edges["length_m"].sum())
    src = out.nodes["source_id"].to_numpy()
    pairs = {(src[a], src[b]) for a, b in zip(out.edges["u"], out.edges["v"], strict=True)}
    assert {("4", "6"), ("6", "4"), ("0", "1"), ("1", "0"), ("3", "0")} <= pairs


def test_a_bridge_with_its_own_class_stays_its_own_edge():
    bridge = {"mlc_tracked_twoway": 40.0, "bridge_id": "b1"}
    net = network(
        [(0, 0), (100, 0), (200, 0), (300, 0), (400, 0)],
        [(0, 1, False, {}), (1, 2, False, bridge), (2, 3, False, {}), (3, 4, False, {})],
    )
    out = merge_chains(net)
    # nodes 1 and 2 bound the bridge; node 3 passes through and goes
    assert out.n_nodes == 4
    deck = out.edges[out.edges["bridge_id"] == "b1"]
    assert len(deck) == 2 and deck["length_m"].to_numpy() == pytest.approx([100.0, 100.0])
    assert sorted(out.edges.loc[out.edges["bridge_id"].isna(), "length_m"].round()) == [100, 100, 200, 200]


def test_one_way_chains_merge_in_their_direction_and_junctions_stay():
    net = network(
        [(0, 0), (100, 0), (200, 0), (100, 100)],
        [(0, 1, True, {}), (1, 2, True, {}), (1, 3, False, {})],  # node 1 has three neighbours
    )
    assert merge_chains(net).n_nodes == 4
    net = network([(0, 0), (100, 0), (200, 0)], [(0, 1, True, {}), (1, 2, True, {})])
    out = merge_chains(net)
    assert out.n_edges == 1
    a, b = out.edges["u"].iloc[0], out.edges["v"].iloc[0]
    assert out.nodes.loc[a, "x"] < out.nodes.loc[b, "x"]  # still west to east


def test_a_dual_carriageway_crossing_becomes_one_node():
    # a 10 m square of junction nodes (0..3), each with an arm 200 m out
    sq = [(0, 0), (10, 0), (10, 10), (0, 10)]
    arms = [(-200, 0), (210, 0), (10, 210), (0, -200)]
    links = [(i, (i + 1) % 4, False, {}) for i in range(4)]
    links += [(0, 4, False, {}), (1, 5, False, {}), (2, 6, False, {}), (3, 7, False, {})]
    net = network(sq + arms, links)
    out = consolidate_junctions(net, tolerance_m=12)
    assert out.n_nodes == 5 and out.n_edges == 8  # the four short sides are gone
    centre = out.nodes[(out.nodes["x"] - (X0 + 5)).abs() < 1e-6]
    assert len(centre) == 1 and centre["y"].iloc[0] == pytest.approx(Y0 + 5)
    c = int(centre.index[0])
    assert ((out.edges["u"] == c) | (out.edges["v"] == c)).all()
    assert out.meta["report"]["consolidated_junctions"] == 1
    # a restricted short edge (a small bridge) is never collapsed
    links[0] = (0, 1, False, {"maxweight_t": 20.0})
    kept = consolidate_junctions(network(sq + arms, links), tolerance_m=12)
    assert kept.n_nodes == 8 and (kept.edges["maxweight_t"] == 20.0).sum() == 2


@pytest.mark.parametrize("how", ["merge_chains", "while building"])
def test_merging_keeps_every_route_time_on_the_antwerp_extract(shared_data, how):
    from enablement.network.osm import build_network

    pbf = shared_data / "osm" / "antwerp-2014.osm.pbf"
    raw = build_network(osm_file=pbf, simplify=False)
    net = merge_chains(raw) if how == "merge_chains" else build_network(osm_file=pbf)
    assert net.n_nodes < 0.9 * raw.n_nodes
    for mode in ("road", "rail"):
        a = raw.edges.loc[raw.edges["mode"] == mode, "length_m"].sum()
        b = net.edges.loc[net.edges["mode"] == mode, "length_m"].sum()
        assert b == pytest.approx(a, rel=1e-9)
    key = {(m, s): i for i, (m, s) in enumerate(zip(raw.nodes["mode"], raw.nodes["source_id"], strict=True))}
    back = {
        i: key[(m, s)] for i, (m, s) in enumerate(zip(net.nodes["mode"], net.nodes["source_id"], strict=True))
    }
    road = np.flatnonzero((net.nodes["mode"] == "road").to_numpy())
    rng = np.random.default_rng(5)
    r_raw, r_net = Router(raw), Router(net)
    times = []
    for s, t in rng.choice(road, size=(25, 2)):
        t_net = r_net.matrix([int(s)], [int(t)])[0][0, 0]
        t_raw = r_raw.matrix([back[int(s)]], [back[int(t)]])[0][0, 0]
        times.append((t_net, t_raw))
    got = np.array(times)
    assert np.isfinite(got).sum() > 10
    finite = np.isfinite(got[:, 1])
    assert np.array_equal(np.isfinite(got[:, 0]), finite)
    assert got[finite, 0] == pytest.approx(got[finite, 1], rel=1e-6, abs=0.05)
