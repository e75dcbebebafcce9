"""osmnx interop: a graph osmnx builds from an extract gives the network our reader builds from it, and a
network given back to osmnx routes there as here (``enablement.network.osmnx_graph``)."""

from __future__ import annotations

import itertools
import math

import networkx as nx
import numpy as np
import pytest

from enablement.errors import NetworkError
from enablement.network import OSMNX_WAY_TAGS, Network, from_osmnx, to_osmnx
from enablement.routing import Router
from tests.conftest import SHARED

ox = pytest.importorskip("osmnx")

KEMPEN = SHARED / "osm" / "kempen-small-2013.osm.pbf"
needs_kempen = pytest.mark.skipif(
    not KEMPEN.is_file(), reason=f"{KEMPEN} is absent (the shared OSM extracts are not on this machine)"
)


@pytest.fixture
def osmnx_tags(monkeypatch):
    """osmnx keeps the way tags our builder reads (its default list lacks maxweight, mlc, ...)."""
    monkeypatch.setattr(
        ox.settings, "useful_tags_way", sorted({*ox.settings.useful_tags_way, *OSMNX_WAY_TAGS})
    )


def _xml(pbf, folder):
    """The extract as OSM XML (osmnx 2 reads XML only), through pyosmium."""
    import osmium

    path = folder / f"{pbf.name.split('.')[0]}.osm"
    with osmium.SimpleWriter(str(path)) as writer:
        for obj in osmium.FileProcessor(str(pbf)):
            writer.add(obj)
    return path


@pytest.fixture(scope="module")
def kempen(tmp_path_factory):
    """(osmnx graph unsimplified, osmnx graph simplified, our network) of the Kempen extract."""
    if not KEMPEN.is_file():
        pytest.skip(f"{KEMPEN} is absent (the shared OSM extracts are not on this machine)")
    from enablement.network.osm import build_network

    saved = ox.settings.useful_tags_way
    ox.settings.useful_tags_way = sorted({*saved, *OSMNX_WAY_TAGS})
    try:
        xml = _xml(KEMPEN, tmp_path_factory.mktemp("kempen"))
        graph = ox.graph_from_xml(xml, simplify=False, retain_all=True)
        simplified = ox.graph_from_xml(xml, simplify=True, retain_all=True)
    finally:
        ox.settings.useful_tags_way = saved
    return graph, simplified, build_network(osm_file=KEMPEN)


def _road_length(graph, highways):
    return sum(d["length"] for _, _, d in graph.edges(data=True) if d.get("highway") in highways)


def _edges(net):
    """Edges as (source id of u, source id of v, rounded length): comparable across node numberings."""
    sid = net.nodes["source_id"].to_numpy()
    e = net.edges
    return sorted(zip(sid[e["u"]], sid[e["v"]], e["length_m"].round(3), strict=True))


@needs_kempen
def test_an_osmnx_graph_of_the_extract_gives_our_network(kempen):
    from enablement.network.osm import DEFAULT_HIGHWAYS

    graph, _, ours = kempen
    net = Network.from_osmnx(graph)
    assert (net.n_nodes, net.n_edges) == (ours.n_nodes, ours.n_edges) == (34, 47)
    assert _edges(net) == _edges(ours)  # same nodes (OSM ids), same edges, same lengths
    assert net.nodes.crs.to_epsg() == 3812
    # osmnx measures on a sphere (radius 6,371,009 m), we in Lambert 2008: within 0.5 %
    total = net.edges["length_m"].sum()
    assert total == pytest.approx(_road_length(graph, DEFAULT_HIGHWAYS), rel=5e-3)
    # tags go through the same parsers: the same typed columns, raw strings and provenance
    for col in ("maxspeed_kmh", "lanes", "bridge"):
        got = net.edges.sort_values(["length_m", "u"])[col].to_numpy(float)
        want = ours.edges.sort_values(["length_m", "u"])[col].to_numpy(float)
        assert np.array_equal(np.nan_to_num(got, nan=-1), np.nan_to_num(want, nan=-1)), col
    assert set(net.edges["maxspeed_kmh_src"].dropna()) == {"osm"}
    # motorway exits: osmnx keeps a node's ref by default (its name only with "name" in useful_tags_node)
    assert net.nodes["junction_ref"].dropna().tolist() == ours.nodes["junction_ref"].dropna().tolist()
    assert len(ours.nodes["junction_ref"].dropna()) == 7


@needs_kempen
def test_a_simplified_osmnx_graph_keeps_the_roads_and_their_length(kempen):
    _, simplified, ours = kempen
    net = from_osmnx(simplified)
    # osmnx joined edges across tag changes (lists of values): fewer edges, the same roads
    assert net.n_edges < ours.n_edges
    assert net.edges["length_m"].sum() == pytest.approx(ours.edges["length_m"].sum(), rel=5e-3)


@needs_kempen
def test_shortest_paths_agree_on_both_sides(kempen):
    graph, _, ours = kempen
    net = from_osmnx(graph)
    every = list(range(ours.n_nodes))
    times = Router(ours).matrix(every, every)[0]
    a, b = np.unravel_index(
        np.argmax(np.where(np.isfinite(times), times, -1)), times.shape
    )  # the farthest pair
    assert times[a, b] > 600  # over ten minutes apart
    sid = ours.nodes["source_id"].to_numpy()
    # osmnx on its own graph, by length, between the two OSM nodes
    path = ox.routing.shortest_path(graph, int(sid[a]), int(sid[b]), weight="length")
    assert path is not None
    osmnx_m = sum(min(d["length"] for d in graph[p][q].values()) for p, q in itertools.pairwise(path))
    # ours, between the same nodes of the converted network, by length (every edge at one speed)
    node_of = {int(s): i for i, s in enumerate(net.nodes["source_id"])}
    g = to_osmnx(net)
    ours_path = ox.routing.shortest_path(g, node_of[int(sid[a])], node_of[int(sid[b])], weight="length")
    ours_m = nx.path_weight(g, ours_path, "length") if ours_path else math.inf
    assert ours_m == pytest.approx(osmnx_m, rel=5e-3)
    # and the fastest route: our kernel on the network, osmnx on the graph made from it
    route = Router(net).route(node_of[int(sid[a])], node_of[int(sid[b])])
    fastest = ox.routing.shortest_path(g, route.nodes[0], route.nodes[-1], weight="travel_time")
    assert tuple(fastest) == route.nodes
    assert nx.path_weight(g, fastest, "length") == pytest.approx(route.length_m, rel=1e-9)


@needs_kempen
def test_round_trip_keeps_nodes_edges_and_lengths(kempen):
    _, _, ours = kempen
    g = ours.to_osmnx()
    assert g.graph["crs"] == "EPSG:3812"
    nodes, edges = ox.graph_to_gdfs(g)
    assert len(nodes) == ours.n_nodes and len(edges) == ours.n_edges
    assert edges["length"].sum() == pytest.approx(ours.edges["length_m"].sum())
    back = from_osmnx(g)
    assert (back.n_nodes, back.n_edges) == (ours.n_nodes, ours.n_edges)
    assert _edges(back) == _edges(ours)
    assert back.nodes["source_id"].tolist() == ours.nodes["source_id"].tolist()
    assert np.allclose(back.nodes[["x", "y"]].to_numpy(), ours.nodes[["x", "y"]].to_numpy())


def test_router_and_make_plan_take_an_osmnx_graph(tmp_path, osmnx_tags):
    from enablement.network.io import load_network
    from enablement.plan import make_plan
    from tests.small_world import osm_xml, write_world

    scenario = write_world(tmp_path / "w", solver="greedy")
    (tmp_path / "w.osm").write_text(osm_xml())
    graph = ox.graph_from_xml(tmp_path / "w.osm", simplify=False, retain_all=True)
    net = load_network(scenario.parent / "world.gpkg")
    # the bridge's MLC tags came through osmnx (mlc=40, mlc:oneway=50)
    converted = from_osmnx(graph)
    assert (
        converted.edges["mlc_tracked_oneway"].max() == 50
        and converted.edges["mlc_wheeled_twoway"].max() == 40
    )
    assert _edges(converted) == _edges(net)
    west = int(np.argmin(net.nodes["x"].where(net.nodes["mode"] == "road", np.inf)))
    east = int(np.argmax(net.nodes["x"].where(net.nodes["mode"] == "road", -np.inf)))
    assert Router(graph).route(west, east).length_m == pytest.approx(Router(net).route(west, east).length_m)
    plan = make_plan(scenario, network=graph, solver={"road": "greedy"})
    base = make_plan(scenario, solver={"road": "greedy"})
    assert plan.kpis()["closure"] == base.kpis()["closure"]
    assert plan.kpis()["vehicles"] == base.kpis()["vehicles"] == 26


def test_anything_else_is_refused_with_one_message():
    with pytest.raises(NetworkError, match="expected an enablement Network or an osmnx graph"):
        Router("roads.gpkg")
    with pytest.raises(NetworkError, match="no 'crs' graph attribute"):
        from_osmnx(nx.MultiDiGraph([(1, 2)]))
    with pytest.raises(NetworkError, match=r"expected an osmnx graph \(networkx.MultiDiGraph\), got Graph"):
        from_osmnx(nx.Graph())
