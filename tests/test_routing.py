"""The router: shortest paths against networkx, restrictions as masks, caution crossings."""

import geopandas as gpd
import networkx as nx
import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from enablement.defaults import figure
from enablement.errors import RoutingError
from enablement.network.model import CRS, Network
from enablement.routing import Profile, Router


def make_network(xy, pairs, **edge_cols) -> Network:
    xy = np.asarray(xy, dtype=float)
    u = [a for a, _ in pairs]
    v = [b for _, b in pairs]
    nodes = gpd.GeoDataFrame(
        {"mode": "road", "x": xy[:, 0], "y": xy[:, 1], "source_id": range(len(xy))},
        geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]),
        crs=CRS,
    )
    length = [float(np.hypot(*(xy[a] - xy[b]))) for a, b in pairs]
    edges = gpd.GeoDataFrame(
        {"u": u, "v": v, "mode": "road", "length_m": length, "speed_kmh": 100.0, "time_s": 0.0, **edge_cols},
        geometry=[shapely.LineString([xy[a], xy[b]]) for a, b in pairs],
        crs=CRS,
    )
    return Network(nodes, edges)


# 0 -> 1 -> 3 is short and crosses a bridge (edge 1 -> 3); 0 -> 2 -> 3 is a detour
XY = [(0, 0), (10_000, 0), (10_000, 20_000), (20_000, 0)]
PAIRS = [(0, 1), (1, 3), (0, 2), (2, 3)]
NAN = float("nan")


def bridge_net(w1=NAN, w2=NAN, t1=NAN, t2=NAN, height=NAN):
    cols = {
        "mlc_wheeled_oneway": [NAN, w1, NAN, NAN],
        "mlc_wheeled_twoway": [NAN, w2, NAN, NAN],
        "mlc_tracked_oneway": [NAN, t1, NAN, NAN],
        "mlc_tracked_twoway": [NAN, t2, NAN, NAN],
        "maxheight_m": [NAN, height, NAN, NAN],
        "bridge_id": [None, "b1", None, None],
    }
    return make_network(XY, PAIRS, **cols)


TANK = Profile("tank", mlc_tracked=70, mass_t=62, height_m=3.0, width_m=3.75, speed_kmh=60)
TRUCK = Profile("truck", mlc_wheeled=30, mass_t=30, axle_load_t=9, height_m=3.4, width_m=2.55, speed_kmh=60)


def test_unrestricted_takes_the_bridge():
    r = Router(bridge_net(t1=80, t2=70)).route(0, 3, TANK)
    assert r.nodes == (0, 1, 3) and r.caution_edges == ()
    assert r.length_m == pytest.approx(20_000)
    assert r.time_s == pytest.approx(20_000 / (60 / 3.6))


def test_above_one_way_class_avoids_the_bridge():
    r = Router(bridge_net(t1=60, t2=50)).route(0, 3, TANK)
    assert r.nodes == (0, 2, 3)
    # the wheeled truck is not concerned by tracked classes
    assert Router(bridge_net(t1=60, t2=50)).route(0, 3, TRUCK).nodes == (0, 1, 3)


def test_caution_crossing_is_allowed_costed_and_reported():
    net = bridge_net(t1=80, t2=60)
    r = Router(net).route(0, 3, TANK)
    assert r.nodes == (0, 1, 3)
    assert r.caution_edges == (1,)
    penalty = figure("caution_crossing_penalty_min") * 60
    assert r.time_s == pytest.approx(20_000 / (60 / 3.6) + penalty)


def test_caution_penalty_can_make_the_detour_better():
    # detour is only slightly longer than the direct route: 2 x sqrt(10^2 + 0.5^2) km
    net = make_network(
        [(0, 0), (10_000, 0), (10_000, 500), (20_000, 0)],
        PAIRS,
        mlc_tracked_oneway=[NAN, 80, NAN, NAN],
        mlc_tracked_twoway=[NAN, 60, NAN, NAN],
    )
    r = Router(net).route(0, 3, TANK)
    assert r.nodes == (0, 2, 3) and r.caution_edges == ()


def test_height_limit_and_no_route():
    net = bridge_net(height=3.2)
    assert Router(net).route(0, 3, TRUCK).nodes == (0, 2, 3)
    assert Router(net).route(0, 3, TANK).nodes == (0, 1, 3)
    closed = Router(net)
    detour = [int(i) for i in np.flatnonzero((net.edges["u"] == 0) & (net.edges["v"] == 2))]
    with pytest.raises(RoutingError, match="no road route from node 0 to node 3 for truck"):
        closed.route(0, 3, TRUCK, closed=detour)


@settings(max_examples=40, deadline=None)
@given(st.integers(2, 25), st.data())
def test_matches_networkx_on_random_graphs(n, data):
    rng = np.random.default_rng(data.draw(st.integers(0, 10_000)))
    xy = rng.uniform(0, 50_000, size=(n, 2))
    m = data.draw(st.integers(1, 4 * n))
    pairs = [(int(a), int(b)) for a, b in rng.integers(0, n, size=(m, 2)) if a != b]
    if not pairs:
        return
    net = make_network(xy, pairs)
    router = Router(net)
    g = nx.DiGraph()
    g.add_nodes_from(range(n))
    times = router.edge_times(None)
    for (a, b), t in zip(pairs, times, strict=True):
        if not g.has_edge(a, b) or g[a][b]["w"] > t:
            g.add_edge(a, b, w=max(float(t), 1e-3))
    s, t = int(data.draw(st.integers(0, n - 1))), int(data.draw(st.integers(0, n - 1)))
    if nx.has_path(g, s, t):
        expected = nx.dijkstra_path_length(g, s, t, weight="w")
        r = router.route(s, t)
        assert r.time_s == pytest.approx(expected, rel=1e-9, abs=1e-6)
        assert r.nodes[0] == s and r.nodes[-1] == t
        # the edges returned are the route's consecutive node pairs
        e = net.edges
        assert [(int(e["u"].iloc[i]), int(e["v"].iloc[i])) for i in r.edges] == list(
            zip(r.nodes[:-1], r.nodes[1:], strict=True)
        )
    else:
        with pytest.raises(RoutingError):
            router.route(s, t)
