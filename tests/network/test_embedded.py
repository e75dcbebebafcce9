"""The streaming reader of scgraph-data files, clipping, and the cached embedded network."""

import json

import numpy as np
import pytest
import shapely

from enablement import settings
from enablement.errors import NetworkError
from enablement.network.embedded import clip_area, load_embedded_network, read_scgraph_file

# Nodes (lat, lon): 0 Brussels, 1 Antwerp, 2 Liège, 3 Paris (outside), 4 Amsterdam (outside)
NODES = [[50.85, 4.35], [51.22, 4.40], [50.63, 5.57], [48.85, 2.35], [52.37, 4.90]]
GRAPH = [{1: 41.0, 2: 90.1, 3: 260.0}, {0: 41.0, 4: 160.0}, {0: 90.1, 2: 0.0}, {0: 260.0}, {1: 160.0}]


def _write(tmp_path, graph, nodes, name="world_test.py"):
    p = tmp_path / name
    p.write_text(
        "\nfrom scgraph.core import GeoGraph\n"
        f"graph={graph!r}\n"
        f"nodes={nodes!r}\n"
        "world_test_geograph = GeoGraph(graph=graph, nodes=nodes)\n"
    )
    return p


def test_reader_keeps_nodes_inside_area_and_edges_between_them(tmp_path):
    sub = read_scgraph_file(_write(tmp_path, GRAPH, NODES), clip_area(30_000))
    assert sub.n_total == 5
    assert sub.node_ids.tolist() == [0, 1, 2]
    edges = sorted(zip(sub.u.tolist(), sub.v.tolist(), sub.km.tolist(), strict=True))
    # Paris and Amsterdam edges dropped, the self-loop 2->2 dropped
    assert edges == [(0, 1, 41.0), (0, 2, 90.1), (1, 0, 41.0), (2, 0, 90.1)]
    assert sub.lat.tolist() == [50.85, 51.22, 50.63]


def test_reader_streams_across_chunk_boundaries(tmp_path, monkeypatch):
    import enablement.network.embedded as emb

    monkeypatch.setattr(emb, "_CHUNK", 7)  # force every token to straddle reads
    sub = read_scgraph_file(_write(tmp_path, GRAPH, NODES), clip_area(30_000))
    assert sub.node_ids.tolist() == [0, 1, 2]
    assert sorted(sub.km.tolist()) == [41.0, 41.0, 90.1, 90.1]


def test_reader_rejects_files_without_literals(tmp_path):
    p = tmp_path / "bad.py"
    p.write_text("x = 1\n")
    with pytest.raises(NetworkError, match="no 'graph=\\[' found"):
        read_scgraph_file(p, clip_area(30_000))


def test_reader_detects_a_truncated_adjacency(tmp_path):
    p = _write(tmp_path, GRAPH[:3], NODES)
    with pytest.raises(NetworkError, match="3 adjacency entries for 5 nodes"):
        read_scgraph_file(p, clip_area(30_000))


def test_clip_area_margin_reaches_into_neighbours():
    from enablement.network.embedded import _TO_3812

    area = clip_area(30_000)
    inside = {"Aachen": (6.08, 50.78), "Maastricht": (5.69, 50.85), "Lille": (3.06, 50.63)}
    outside = {"Cologne": (6.96, 50.94), "Paris": (2.35, 48.85), "Rotterdam": (4.48, 51.92)}
    for name, (lon, lat) in {**inside, **outside}.items():
        x, y = _TO_3812.transform(lon, lat)
        assert shapely.contains_xy(area, x, y) == (name in inside), name


def test_clip_area_covers_real_boundary(shared_data):
    import geopandas as gpd

    be = gpd.read_file(shared_data / "boundaries" / "belgium-naturalearth-10m.geojson").to_crs(3812)
    # the outline is hand-drawn to ~10 km; with the 30 km margin it still covers Belgium + 20 km
    assert clip_area(30_000).contains(be.union_all().buffer(20_000))


def test_embedded_network_figures(embedded):
    s = embedded.summary()
    assert s["nodes_by_mode"]["road"] > 3000 and s["nodes_by_mode"]["rail"] > 3000
    assert 6000 < s["km_by_mode"]["road"] < 30000
    assert 3000 < s["km_by_mode"]["rail"] < 15000
    west, south, east, north = s["bbox_wgs84"]
    assert 1.9 < west < 2.6 and 49.0 < south < 49.6 and 6.3 < east < 6.9 and 51.4 < north < 51.9
    nodes, edges = embedded.nodes, embedded.edges
    assert nodes.index.tolist() == list(range(len(nodes)))
    assert (edges["u"] != edges["v"]).all()
    assert set(edges["mode"]) == {"road", "rail"}
    # edges never join two modes; lengths are the source's, never shorter than the straight line in EPSG:3812
    assert (nodes["mode"].to_numpy()[edges["u"]] == edges["mode"].to_numpy()).all()
    assert (nodes["mode"].to_numpy()[edges["v"]] == edges["mode"].to_numpy()).all()
    assert (edges["length_m"] >= edges.geometry.length - 1e-6).all()
    assert embedded.nodes.crs.to_epsg() == 3812


def test_route_length_is_the_sources_never_shorter_than_the_straight_line():
    from enablement.network.embedded import route_length_m

    source_km = np.array([1.2, 0.5, np.nan, 0.0, -1.0, np.inf])
    dx = np.array([600.0, 800.0, 300.0, 400.0, 0.0, 30.0])
    dy = np.array([800.0, 0.0, 400.0, 0.0, 50.0, 40.0])
    # 1.2 km winding over a 1 km chord; 0.5 km said over 0.8 km apart: the chord; no length given: the chord
    assert route_length_m(source_km, dx, dy).tolist() == [1200.0, 800.0, 500.0, 400.0, 50.0, 50.0]


def test_the_embedded_road_km_agree_with_the_sources_lengths(embedded):
    """Issue #17: within 0.5 % in total, and on a sample of routes across the country."""
    from enablement.routing import Router

    edges = embedded.edges
    for mode in ("road", "rail"):
        e = edges[edges["mode"] == mode]
        ours, theirs = e["length_m"].sum() / 1000.0, e["source_km"].sum()
        assert abs(ours / theirs - 1.0) < 0.005, mode
        # the straight line is shorter: the old measure, about 4 % short on roads
        assert e.geometry.length.sum() / 1000.0 < theirs
    router = Router(embedded)
    road = np.flatnonzero(embedded.nodes["mode"].to_numpy() == "road")
    rng = np.random.default_rng(17)
    source = edges["source_km"].to_numpy()
    checked = 0
    for a, b in rng.choice(road, size=(40, 2)).tolist():
        if a == b:
            continue
        route = router.route(a, b)
        km = float(source[list(route.edges)].sum())
        if km < 20:
            continue
        assert route.length_m / 1000.0 == pytest.approx(km, rel=0.005)
        checked += 1
    assert checked >= 20


def test_the_embedded_network_has_no_road_class_and_says_so(embedded):
    from enablement.network.speeds import march_speed_kmh, road_class_note

    assert "highway" not in embedded.edges.columns
    assert "no road class" in road_class_note(embedded.edges)
    road = embedded.edges["mode"] == "road"
    assert (march_speed_kmh(embedded.edges)[road.to_numpy()] == embedded.edges.loc[road, "speed_kmh"]).all()


def test_nodes_are_in_spatial_order(embedded):
    xy = embedded.nodes[["x", "y"]].to_numpy()
    step = np.hypot(*np.diff(xy, axis=0).T)
    rng = np.random.default_rng(0)
    shuffled = xy[rng.permutation(len(xy))]
    random_step = np.hypot(*np.diff(shuffled, axis=0).T)
    assert np.median(step) < np.median(random_step) / 10


def test_second_load_comes_from_the_cache(embedded, monkeypatch):
    import enablement.network.embedded as emb

    def boom(*_a, **_k):
        raise AssertionError("rebuilt instead of reading the cache")

    monkeypatch.setattr(emb, "build_embedded_network", boom)
    again = load_embedded_network()
    assert again.n_nodes == embedded.n_nodes and again.n_edges == embedded.n_edges
    assert (again.edges["u"].to_numpy() == embedded.edges["u"].to_numpy()).all()
    folder = settings.cache_folder / "embedded"
    meta = json.loads(next(folder.glob("*/meta.json")).read_text())
    assert meta["attribution"].startswith("© OpenStreetMap contributors")
    assert meta["reader_version"] == emb.READER_VERSION


def test_cache_key_changes_with_reader_version(monkeypatch):
    import enablement.network.embedded as emb

    before = emb._cache_key(30_000.0)
    monkeypatch.setattr(emb, "READER_VERSION", "test")
    assert emb._cache_key(30_000.0) != before
    assert emb._cache_key(30_000.0).startswith("scgraph-data-2.0.0-rtest-")


def test_edges_cut_by_an_overlay_share_the_sources_length(embedded, belgium_network):
    """A bridge or site cuts an edge into pieces: each takes its share of the source's length.

    Edges the overlay adds (its ``links`` and the access edges of sites that are distinct
    places) have no source length and are left out of the sums.
    """
    km = {}
    for name, net in (("embedded", embedded), ("overlay", belgium_network)):
        road = net.edges[(net.edges["mode"] == "road") & net.edges["source_km"].notna()]
        km[name] = (road["length_m"].sum() / 1000.0, road["source_km"].sum())
    added = belgium_network.edges[belgium_network.edges["source_km"].isna()]
    assert len(added) > 0 and (added["length_m"] > 0).all()  # the links and access edges
    assert km["overlay"][0] == pytest.approx(km["embedded"][0], rel=1e-6)
    assert km["overlay"][1] == pytest.approx(km["embedded"][1], rel=1e-6)
    assert len(belgium_network.edges) > len(embedded.edges)  # the overlay did cut edges
