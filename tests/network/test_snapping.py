"""Honest snapping: tolerances per site kind and network grain, own country, main component, distinct
places, border nodes, and the ``links`` layer that adds the roads and lines a coarse network lacks."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import pytest
import shapely

from enablement.defaults import figure
from enablement.errors import NetworkError, OverlayError
from enablement.network.model import CRS, Network
from enablement.network.overlays import apply_overlay, conflate, read_overlay
from enablement.network.snapping import network_grain, snap_tolerance
from enablement.routing import Router
from tests.helpers import site_feature

_TO_3812 = pyproj.Transformer.from_crs(4326, 3812, always_xy=True)
_TO_4326 = pyproj.Transformer.from_crs(3812, 4326, always_xy=True)


def _site(id_, lon, lat, kind="staging_area", mode="road", **extra):
    return site_feature(id_, kind, mode, lon, lat, name=id_.title(), **extra)


def _link(id_, mode, coords, **extra):
    props = {"id": id_, "mode": mode, "source": "test", "illustrative": True}
    return {
        "type": "Feature",
        "properties": props | extra,
        "geometry": {"type": "LineString", "coordinates": coords},
    }


def _overlay(folder, sites, links=None):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "sites.geojson").write_text(json.dumps({"type": "FeatureCollection", "features": sites}))
    if links is not None:
        (folder / "links.geojson").write_text(json.dumps({"type": "FeatureCollection", "features": links}))
    return read_overlay(folder)


def _refusal(network, overlay, **kw) -> str:
    with pytest.raises(NetworkError) as err:
        apply_overlay(network, overlay, **kw)
    return str(err.value)


# tolerances


def test_tolerances_are_figures_per_kind_and_grain(embedded):
    assert network_grain(embedded) == "coarse"
    coarse, detailed = figure("snap_tolerance_coarse_m"), figure("snap_tolerance_detailed_m")
    for kind in (
        "seaport",
        "airport",
        "rail_quay",
        "staging_area",
        "convoy_support_centre",
        "border_crossing",
    ):
        assert snap_tolerance(kind, "coarse") == coarse[kind]
        assert snap_tolerance(kind, "detailed") == detailed[kind] <= coarse[kind]
    assert snap_tolerance("no-such-kind", "detailed") == detailed["point"]
    assert snap_tolerance("rail_quay", "coarse", 42.0) == 42.0  # a scenario's one tolerance wins
    with pytest.raises(ValueError, match="unknown network grain"):
        snap_tolerance("seaport", "medium")


def test_a_network_declares_its_grain(embedded):
    net = embedded.copy()
    net.meta = {**net.meta, "source": "osm"}
    assert network_grain(net) == "detailed"
    net.meta["grain"] = "coarse"
    assert network_grain(net) == "coarse"


def test_points_beyond_the_point_tolerance_are_refused(embedded):
    # 8.4 km off De Panne: inside the single 12 km tolerance of old, outside the coarse 5 km
    with pytest.raises(NetworkError, match=r"8\.4 km away; the area reaches 5 km"):
        embedded.nearest_node(2.62, 51.2, what="route origin")
    _, d = embedded.nearest_node(4.40, 51.22)
    assert d <= figure("snap_tolerance_coarse_m")["point"]
    net = embedded.copy()
    net.meta = {**net.meta, "grain": "detailed"}  # the same point, a detailed network: 1 km
    with pytest.raises(NetworkError, match="the area reaches 1 km"):
        net.nearest_node(4.40, 51.22, what="disruptions[0].at: the point")


# country and tolerance, on the embedded network


def test_a_site_across_the_border_is_refused(embedded, tmp_path):
    # a camp said to be Belgian, placed in Maastricht
    text = _refusal(embedded, _overlay(tmp_path / "ov", [_site("staging-x", 5.69, 50.85, country="BE")]))
    assert "sites 'staging-x' is unmatched" in text
    assert "lies in NL although its country is BE" in text and "move it, or correct its country" in text


def test_a_site_whose_nearest_node_is_abroad_is_refused(embedded, tmp_path):
    # Camp Elsenborn without its access road: the nearest road node is in Germany
    text = _refusal(embedded, _overlay(tmp_path / "ov", [_site("staging-e", 6.215, 50.465, country="BE")]))
    assert "12.5 km from the nearest road node in BE" in text
    assert "the nearest road node is 11.4 km away in DE, which it may not use" in text
    assert "the tolerance for a staging_area on the coarse network is 6 km" in text
    assert "add the missing road through an overlay" in text and "change the site's mode" in text


def test_a_rail_quay_far_from_rail_is_refused_with_the_distance_and_the_fix(embedded, tmp_path):
    quay = _site("quay-l", 5.255, 51.118, kind="rail_quay", mode="road+rail", country="BE")
    text = _refusal(embedded, _overlay(tmp_path / "ov", [quay]))
    assert "sites 'quay-l' is unmatched: rail: is 9.6 km from the nearest rail node in BE" in text
    assert "the tolerance for a rail_quay on the coarse network is 3.5 km" in text
    assert "add the missing line through an overlay" in text and "load its units at another quay" in text
    # never reported as matched
    _, report = conflate(embedded, _overlay(tmp_path / "ov2", [quay]))
    row = report.table[report.table["id"] == "quay-l"].iloc[0]
    assert row["status"] == "unmatched" and row["distance_m"] == pytest.approx(9617, abs=5)


def test_a_link_adds_the_missing_line_and_the_quay_attaches(embedded, tmp_path):
    quay = _site("quay-l", 5.255, 51.118, kind="rail_quay", mode="road+rail", country="BE")
    port = _site("port-a", 4.335, 51.3, kind="seaport", mode="road+rail", country="BE")
    line = [[5.119, 51.191], [5.172, 51.165], [5.233, 51.137], [5.258, 51.117]]
    net = apply_overlay(embedded, _overlay(tmp_path / "ov", [quay, port], [_link("l15", "rail", line)]))
    s = net.sites.loc["quay-l"]
    assert s["snap_rail_m"] < 300 and s["node_country_rail"] == "BE"
    route = Router(net, "rail").route(int(net.sites.loc["port-a", "node_rail"]), int(s["node_rail"]))
    assert route.length_m > 60_000  # Antwerp to Leopoldsburg by rail (via Lier and Mol), over the added line
    added = net.edges[net.edges["link_id"] == "l15"]
    assert len(added) == 6 and (added["mode"] == "rail").all()  # 3 segments, both ways


def test_a_link_that_touches_no_node_is_refused(embedded, tmp_path):
    island = _link("far", "road", [[6.215, 50.463], [6.212, 50.44]])
    text = _refusal(embedded, _overlay(tmp_path / "ov", [_site("s", 4.40, 51.22)], [island]))
    assert "links 'far' is unmatched" in text and "neither end lies within 250 m of a road node" in text


def test_a_link_mode_must_be_road_or_rail(tmp_path):
    with pytest.raises(OverlayError, match="field 'mode' = 'canal'; use road or rail"):
        _overlay(
            tmp_path / "ov", [_site("s", 4.40, 51.22)], [_link("x", "canal", [[4.4, 51.2], [4.5, 51.2]])]
        )


# distinct places


def test_a_port_and_its_quay_get_distinct_nodes_and_an_access_edge(embedded, tmp_path):
    port = _site("port-a", 4.335, 51.3, kind="seaport", mode="road+rail", country="BE")
    quay = _site("quay-a", 4.355, 51.275, kind="rail_quay", mode="road+rail", country="BE")
    twin = _site("staging-a", 4.3352, 51.3002, country="BE")  # 30 m from the port: the same place
    before = apply_overlay(embedded, _overlay(tmp_path / "one", [port, quay]))
    net = apply_overlay(embedded, _overlay(tmp_path / "ov", [port, quay, twin]))
    sites, edges = net.sites, net.edges
    a, b = int(sites.loc["port-a", "node_road"]), int(sites.loc["quay-a", "node_road"])
    assert a != b and int(before.sites.loc["port-a", "node_road"]) != int(
        before.sites.loc["quay-a", "node_road"]
    )
    for sid, node in (("port-a", a), ("quay-a", b)):
        access = edges[(edges["u"] == node) & (edges["mode"] == "road")]
        assert list(access["site_id"]) == [sid]
        assert access["length_m"].iloc[0] == pytest.approx(sites.loc[sid, "snap_road_m"], abs=0.1)
    gap = shapely.distance(sites.loc["port-a"].geometry, sites.loc["quay-a"].geometry)
    route = Router(net, "road").route(a, b)
    assert route.length_m >= gap > 2000  # the port-to-ramp move is driven, over its real distance
    # the twin 30 m from the port is one place with it: it shares the port's node, no access edge of its own
    assert int(sites.loc["staging-a", "node_road"]) == a and not (edges["site_id"] == "staging-a").any()


# main component, on a small detailed network


def _tiny_network() -> Network:
    """A 4 km road chain near Brussels and, 200 m from the site, a two-node road island."""
    x0, y0 = _TO_3812.transform(4.35, 50.85)
    chain = [(x0 + 1000.0 * k, y0 + 1000.0) for k in range(5)]
    island = [(x0 + 150.0, y0 + 150.0), (x0 + 400.0, y0 + 150.0)]
    xy = np.array(chain + island)
    nodes = gpd.GeoDataFrame(
        {"mode": "road", "x": xy[:, 0], "y": xy[:, 1], "source_id": [f"t{i}" for i in range(len(xy))]},
        geometry=shapely.points(xy),
        crs=CRS,
    )
    nodes.index.name = "node"
    pairs = [(k, k + 1) for k in range(4)] + [(5, 6)]
    rows = []
    for a, b in pairs:
        for u, v in ((a, b), (b, a)):
            length = float(np.hypot(*(xy[u] - xy[v])))
            rows.append(
                {
                    "u": u,
                    "v": v,
                    "mode": "road",
                    "length_m": length,
                    "speed_kmh": 50.0,
                    "time_s": length / (50 / 3.6),
                    "geometry": shapely.LineString([xy[u], xy[v]]),
                }
            )
    edges = gpd.GeoDataFrame(pd.DataFrame(rows), geometry="geometry", crs=CRS)
    return Network(nodes, edges, meta={"source": "test"})


def test_a_site_snaps_to_the_main_component_not_to_an_island(tmp_path):
    net = _tiny_network()
    assert network_grain(net) == "detailed"
    lon, lat = 4.35, 50.85
    out = apply_overlay(net, _overlay(tmp_path / "ov", [_site("camp", lon, lat, country="BE")]))
    node = int(out.sites.loc["camp", "node_road"])
    assert node == 0 and out.sites.loc["camp", "snap_road_m"] == pytest.approx(1000, abs=1)
    # with a tighter tolerance the island does not rescue it: refused, naming the island
    text = _refusal(net, _overlay(tmp_path / "ov2", [_site("camp", lon, lat, country="BE")]), tolerance_m=500)
    assert "1.0 km from the nearest road node in BE of the network's main road component" in text
    assert "0.2 km away off the main component" in text


# border crossings


def test_a_border_crossing_gets_a_node_on_the_border(belgium_network):
    from enablement.network.snapping import _projected_countries

    sites, nodes = belgium_network.sites, belgium_network.nodes
    boundary = _projected_countries()["BE"].boundary
    for sid in (
        "border-e40-lichtenbusch",
        "border-e314-lanaken",
        "border-e34-lommel",
        "border-e411-sterpenich",
    ):
        node = int(sites.loc[sid, "node_road"])
        assert str(nodes["source_id"].iloc[node]).startswith("split:"), sid
        assert boundary.distance(nodes.geometry.iloc[node]) < 1.0, sid
        assert sites.loc[sid, "snap_road_m"] < 100, sid


def test_every_packaged_site_is_reported_with_distance_and_country(belgium_network):
    from enablement.network.snapping import snap_table

    rows = {r["site"]: r for r in snap_table(belgium_network)}
    assert set(rows) == set(belgium_network.sites.index)
    elsenborn, quay = rows["staging-elsenborn"], rows["quay-leopoldsburg"]
    assert elsenborn["country"] == "BE" and elsenborn["road_country"] == "BE"
    assert (
        elsenborn["road_m"] <= elsenborn["tolerance_m"] == figure("snap_tolerance_coarse_m")["staging_area"]
    )
    assert quay["rail_m"] < 300 and quay["rail_country"] == "BE"


def test_a_country_without_a_boundary_is_checked_by_where_the_site_lies(embedded, tmp_path, caplog):
    net = apply_overlay(embedded, _overlay(tmp_path / "ov", [_site("camp", 4.40, 51.22, country="Atlantis")]))
    assert net.sites.loc["camp", "country"] == "Atlantis"  # the overlay's text is kept as given
    assert net.sites.loc["camp", "node_country_road"] == "BE"
    assert "country 'Atlantis' is not one of BE, DE, FR, LU, NL" in caplog.text
