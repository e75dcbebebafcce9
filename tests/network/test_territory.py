"""The country boundaries shipped with the package, and the point-in-country lookup."""

from __future__ import annotations

import numpy as np
import pytest

from enablement.network.territory import COUNTRIES, countries_of, country_at, country_shapes


@pytest.mark.parametrize(
    ("lon", "lat", "code"),
    [
        (4.35, 50.85, "BE"),  # Brussels
        (6.08, 50.78, "DE"),  # Aachen
        (5.69, 50.85, "NL"),  # Maastricht
        (6.13, 49.61, "LU"),  # Luxembourg city
        (3.06, 50.63, "FR"),  # Lille
        (2.5, 51.5, ""),  # the North Sea
        (4.321, 51.293, "BE"),  # Antwerp's docks on the Scheldt: water at 1:10m, within SHORE_M
        (100.5, 13.75, ""),  # Bangkok: beyond the area kept
        (5.48, 51.44, "NL"),  # Eindhoven
        (5.87, 50.45, "BE"),  # Stavelot, 6 km from the German border
    ],
)
def test_known_places(lon, lat, code):
    assert country_at(lon, lat) == code


def test_vectorised_and_projected_agree():
    lon = np.array([4.35, 6.08, 2.5, 5.69])
    lat = np.array([50.85, 50.78, 51.5, 50.85])
    import pyproj

    x, y = pyproj.Transformer.from_crs(4326, 3812, always_xy=True).transform(lon, lat)
    assert countries_of(lon, lat).tolist() == countries_of(x, y, 3812).tolist() == ["BE", "DE", "", "NL"]


def test_every_country_has_a_shape():
    assert sorted(country_shapes()) == sorted(COUNTRIES)


def test_belgium_agrees_with_natural_earth_in_shared_data(shared_data):
    import geopandas as gpd

    ref = (
        gpd.read_file(shared_data / "boundaries" / "belgium-naturalearth-10m.geojson")
        .to_crs(3812)
        .geometry.union_all()
    )
    ours = gpd.GeoSeries([country_shapes()["BE"]], crs=4326).to_crs(3812).iloc[0]
    assert ours.symmetric_difference(ref).area < 0.001 * ref.area
    assert ours.boundary.hausdorff_distance(ref.boundary) < 300.0  # metres: the quantisation of world-atlas


# --------------------------------------------------------------------------- nodes, crossings and the mask


def _border_network(tmp_path):
    import json

    from enablement.network.osm import build_network
    from enablement.network.overlays import apply_overlay, read_overlay
    from tests.border_world import SITES, osm_xml

    osm = tmp_path / "world.osm"
    osm.write_text(osm_xml())
    (tmp_path / "overlay").mkdir()
    (tmp_path / "overlay" / "sites.geojson").write_text(
        json.dumps({"type": "FeatureCollection", "features": SITES})
    )
    overlay = read_overlay(str(tmp_path / "overlay"))
    return apply_overlay(build_network(osm_file=osm), overlay, tolerance_m=3000)


def test_every_node_knows_its_country_and_the_answer_is_kept(tmp_path):
    net = _border_network(tmp_path)
    countries = net.node_countries()
    assert countries.shape == (net.n_nodes,)
    assert set(countries.tolist()) == {"BE", "NL"}
    assert net.node_countries() is countries  # computed once
    copy = net.copy()
    assert copy.node_countries() is not countries and copy.node_countries().tolist() == countries.tolist()


def test_the_territory_mask_closes_roads_abroad_but_not_the_way_to_a_crossing(tmp_path):
    from enablement.network.territory import Territory

    net = _border_network(tmp_path)
    countries = net.node_countries()
    x1 = int(net.sites.loc["border-x1", "node_road"])
    assert countries[x1] == "NL"  # Natural Earth puts the crossing's node just over the border
    t = Territory("BE")
    ok = t.open_edges(net, "road")
    u, v = net.edges["u"].to_numpy(), net.edges["v"].to_numpy()
    both_be = (countries[u] == "BE") & (countries[v] == "BE")
    assert ok[both_be].all()
    # into the crossing's node from Belgium: open; from the crossing on into the Netherlands: closed
    into = (v == x1) & (countries[u] == "BE")
    onward = (u == x1) & (countries[v] == "NL")
    assert into.any() and ok[into].all()
    assert onward.any() and not ok[onward].any()
    assert not ok[(countries[u] == "NL") & (countries[v] == "NL")].any()
    # the neighbour's roads open when the scenario may use them
    assert Territory("BE", frozenset({"NL"})).open_edges(net, "road").all()
    # rail crossings do not open road edges
    assert t.gates(net, "rail").size == 0


def test_a_crossing_node_deep_abroad_is_reached_only_along_its_approach():
    """The embedded network's Lichtenbusch node lies 2.7 km into Germany; its approach is one line."""
    import geopandas as gpd
    import shapely

    from enablement.network.model import CRS, Network
    from enablement.network.territory import Territory

    lon = np.array([6.00, 6.086, 6.11, 6.125, 6.11])
    lat = np.array([50.65, 50.702, 50.714, 50.721, 50.75])
    import pyproj

    x, y = pyproj.Transformer.from_crs(4326, 3812, always_xy=True).transform(lon, lat)
    nodes = gpd.GeoDataFrame({"mode": "road", "x": x, "y": y}, geometry=shapely.points(x, y), crs=CRS)
    pairs = [(0, 1), (1, 2), (2, 3), (3, 4), (2, 4)]
    uv = [p for a, b in pairs for p in ((a, b), (b, a))]
    edges = gpd.GeoDataFrame(
        {
            "u": [a for a, _ in uv],
            "v": [b for _, b in uv],
            "mode": "road",
            "length_m": [float(np.hypot(x[a] - x[b], y[a] - y[b])) for a, b in uv],
            "speed_kmh": 50.0,
            "time_s": 1.0,
        },
        geometry=[shapely.LineString([(x[a], y[a]), (x[b], y[b])]) for a, b in uv],
        crs=CRS,
    )
    sites = gpd.GeoDataFrame(
        {"kind": ["border_crossing"], "mode": ["road"], "node_road": [3], "node_rail": [-1]},
        index=["border-x"],
        geometry=[shapely.Point(x[3], y[3])],
        crs=CRS,
    )
    net = Network(nodes, edges, sites)
    assert net.node_countries().tolist() == ["BE", "BE", "DE", "DE", "DE"]
    ok = Territory("BE").open_edges(net, "road")
    opened = {(int(a), int(b)) for a, b, k in zip(edges["u"], edges["v"], ok, strict=True) if k}
    # 1 → 2 → 3 is the approach (2 is abroad); 2 → 4 and 3 → 4 lead on into Germany
    assert opened == {(0, 1), (1, 0), (1, 2), (2, 1), (2, 3), (3, 2)}
    assert not Territory("BE", approach_m=500.0).open_edges(net, "road")[[2, 3]].any()
