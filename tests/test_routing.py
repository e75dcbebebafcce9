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
from enablement.routing import Router
from enablement.vehicles import Profile


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


def grid(side=6, spacing=1000.0):
    """A two-way grid with node ids row by row."""
    xy = [(c * spacing, r * spacing) for r in range(side) for c in range(side)]
    pairs = []
    for r in range(side):
        for c in range(side):
            i = r * side + c
            if c + 1 < side:
                pairs += [(i, i + 1), (i + 1, i)]
            if r + 1 < side:
                pairs += [(i, i + side), (i + side, i)]
    return xy, pairs


@settings(max_examples=40, deadline=None)
@given(st.data())
def test_no_route_ever_violates_a_restriction(data):
    rng = np.random.default_rng(data.draw(st.integers(0, 10_000)))
    xy, pairs = grid(5)
    m = len(pairs)

    def col(lo, hi, share=0.3):
        values = rng.uniform(lo, hi, m)
        values[rng.random(m) > share] = np.nan
        return values

    one = col(20, 100)
    net = make_network(
        xy,
        pairs,
        mlc_tracked_oneway=one,
        mlc_tracked_twoway=one - rng.uniform(0, 20, m),
        mlc_wheeled_oneway=col(20, 100),
        mlc_wheeled_twoway=col(10, 40),
        maxheight_m=col(2, 5),
        maxwidth_m=col(2, 4),
        maxweight_t=col(10, 80),
        maxaxleload_t=col(5, 15),
        maxlength_m=col(5, 30),
    )
    p = Profile(
        "p",
        mlc_tracked=data.draw(st.sampled_from([0, 40, 70])),
        mlc_wheeled=data.draw(st.sampled_from([0, 30])),
        mass_t=data.draw(st.floats(1, 70)),
        axle_load_t=data.draw(st.floats(0, 12)),
        height_m=data.draw(st.floats(1, 4)),
        width_m=data.draw(st.floats(1.5, 3.5)),
        length_m=data.draw(st.floats(4, 25)),
        speed_kmh=60,
    )
    s, t = data.draw(st.integers(0, 24)), data.draw(st.integers(0, 24))
    try:
        r = Router(net).route(s, t, p)
    except RoutingError:
        return
    e = net.edges
    for i in r.edges:
        row = e.iloc[i]
        for lim, val in (
            ("maxheight_m", p.height_m),
            ("maxwidth_m", p.width_m),
            ("maxweight_t", p.mass_t),
            ("maxaxleload_t", p.axle_load_t),
            ("maxlength_m", p.length_m),
        ):
            assert not val > row[lim]
        for kind, cls in (("tracked", p.mlc_tracked), ("wheeled", p.mlc_wheeled)):
            assert not (cls > 0 and cls > row[f"mlc_{kind}_oneway"])
            if cls > 0 and cls > row[f"mlc_{kind}_twoway"]:
                assert i in r.caution_edges


def test_closed_nodes_and_time_of_day_bans():
    from enablement.timeline import Intervals

    xy, pairs = grid(3)
    net = make_network(xy, pairs)
    router = Router(net)
    direct = router.route(0, 2)
    assert direct.nodes == (0, 1, 2)
    around = router.route(0, 2, closed_nodes=[1])
    assert 1 not in around.nodes and around.time_s > direct.time_s
    e = net.edges
    row = int(np.flatnonzero(((e["u"] == 0) & (e["v"] == 1)).to_numpy())[0])
    bans = {row: Intervals([(0.0, 3600.0)])}
    assert 1 not in router.route(0, 2, bans=bans, at_s=100.0).nodes[:2]
    assert router.route(0, 2, bans=bans, at_s=4000.0).nodes == (0, 1, 2)
    with pytest.raises(ValueError, match="need the time of the move"):
        router.route(0, 2, bans=bans)
    with pytest.raises(RoutingError, match="not a road node"):
        router.route(0, 99)


def test_alternatives_penalty_and_disjoint():
    xy, pairs = grid(6)
    net = make_network(xy, pairs)
    router = Router(net)
    alts = router.alternatives(0, 35, k=3, max_overlap=0.5)
    assert len(alts) == 3
    assert alts[0].overlap == 1.0 and alts[0].detour == 1.0
    assert all(a.overlap <= 0.5 + 1e-9 for a in alts[1:])
    assert all(a.detour >= 1.0 for a in alts)
    assert len({a.route.edges for a in alts}) == 3
    disjoint = router.alternatives(0, 35, k=2, method="disjoint")
    assert len(disjoint) == 2
    assert not set(disjoint[0].route.edges) & set(disjoint[1].route.edges)
    # costs reported are true costs, not penalised ones
    for a in alts:
        assert a.route.time_s == pytest.approx(
            sum(router.edge_times(None)[np.searchsorted(router._rows, i)] for i in a.route.edges), abs=1e-3
        )


def test_criticality_matches_brute_force():
    xy, pairs = grid(5)
    net = make_network(xy, pairs)
    router = Router(net)
    route = router.route(0, 24)
    crit = router.criticality(route, top=100)
    assert len(crit) == len(route.edges)
    for c in crit:
        try:
            detour = router.route(0, 24, closed=[c.edge]).time_s
        except RoutingError:
            detour = np.inf
        assert c.extra_s == pytest.approx(detour - route.time_s, abs=1e-3)
    assert crit == sorted(crit, key=lambda c: (-c.extra_s, c.edge))
    # a single bridge between two halves: closing it cuts the route
    bridge_net = make_network([(0, 0), (1000, 0), (2000, 0)], [(0, 1), (1, 2)], bridge_id=[None, "b"])
    r = Router(bridge_net).route(0, 2)
    only = Router(bridge_net).criticality(r, bridges_only=True)
    assert [(c.bridge_id, c.extra_s) for c in only] == [("b", np.inf)]


def test_isochrone_matches_single_source_distances():
    xy, pairs = grid(6)
    net = make_network(xy, pairs)
    router = Router(net)
    iso = router.isochrone(0, 150.0)  # 100 km/h: 1 km in 36 s
    times = router.matrix([0], list(range(36)))[0][0]
    assert set(iso.nodes.tolist()) == set(np.flatnonzero(times <= 150.0).tolist())
    assert iso.polygon.area > 0
    assert np.allclose(iso.times_s, times[iso.nodes])


def test_matrix_against_routes():
    xy, pairs = grid(4)
    net = make_network(xy, pairs)
    router = Router(net)
    times, lengths = router.matrix([0, 5, 15], [0, 3, 12, 15])
    for i, s in enumerate([0, 5, 15]):
        for j, t in enumerate([0, 3, 12, 15]):
            r = router.route(s, t)
            assert times[i, j] == pytest.approx(r.time_s) and lengths[i, j] == pytest.approx(r.length_m)


def test_route_frame_has_geometry_in_order():
    net = bridge_net(t1=80, t2=60)
    router = Router(net)
    r = router.route(0, 3, TANK)
    f = router.frame(r)
    assert f.crs.to_epsg() == 3812
    assert f["edge"].tolist() == list(r.edges)
    assert f["km_from_start"].iloc[-1] == pytest.approx(r.length_m / 1000)
    assert f["caution"].tolist() == [False, True]
    assert f.geometry.iloc[0].coords[0] == (0.0, 0.0)
