"""Overlay validation, site snapping (and its error) and bridge conflation."""

import json

import numpy as np
import pytest

from enablement.errors import NetworkError, OverlayError
from enablement.network.overlays import apply_overlay, read_overlay
from tests.helpers import site_feature


def _site(id_, lon, lat, kind="staging_area", mode="road", **extra):
    return site_feature(id_, kind, mode, lon, lat, name=id_.title(), **extra)


def _write(folder, sites, bridges=None):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "sites.geojson").write_text(json.dumps({"type": "FeatureCollection", "features": sites}))
    if bridges is not None:
        (folder / "bridges.geojson").write_text(
            json.dumps({"type": "FeatureCollection", "features": bridges})
        )
    return folder


def test_packaged_overlay_is_valid_and_labelled():
    ov = read_overlay("belgium")
    kinds = set(ov.sites["kind"])
    assert {
        "seaport",
        "airport",
        "rail_quay",
        "staging_area",
        "convoy_support_centre",
        "border_crossing",
    } <= kinds
    assert ov.sites["source"].str.len().min() > 0
    assert ov.sites["illustrative"].isin([True, False]).all()
    for sid in (
        "port-antwerp",
        "port-zeebrugge",
        "port-ghent",
        "port-ostend",
        "airport-melsbroek",
        "airport-liege",
        "quay-antwerpen-noord",
        "staging-leopoldsburg",
        "border-e40-lichtenbusch",
        "border-rail-montzen",
    ):
        assert sid in ov.sites.index, sid
    assert len(ov.bridges) >= 5
    assert (ov.bridges["mlc_tracked_twoway"] <= ov.bridges["mlc_tracked_oneway"]).all()


def test_sites_snap_with_distance_recorded(belgium_network):
    """The packaged overlay: every site on a node of its modes, within its tolerance and its country."""
    from enablement.defaults import figure
    from enablement.network.snapping import main_component
    from enablement.network.territory import countries_of

    sites, nodes, edges = belgium_network.sites, belgium_network.nodes, belgium_network.edges
    node_country = countries_of(nodes["x"].to_numpy(), nodes["y"].to_numpy(), "EPSG:3812")
    margin = figure("snap_border_accuracy_m")
    for sid, row in sites.iterrows():
        for mode in ("road", "rail"):
            node = int(row[f"node_{mode}"])
            if mode not in row["mode"]:
                assert node == -1
                continue
            assert node >= 0, (sid, mode)
            assert nodes["mode"].iloc[node] == mode
            snap = float(row[f"snap_{mode}_m"])
            assert snap <= row["snap_tolerance_m"], (sid, mode, snap)
            d = float(
                np.hypot(nodes["x"].iloc[node] - row.geometry.x, nodes["y"].iloc[node] - row.geometry.y)
            )
            if str(nodes["source_id"].iloc[node]).startswith("site:"):
                # its own node, joined by an access edge of the real distance to the network's node
                assert d < 1.0
                access = edges[(edges["u"] == node) & (edges["mode"] == mode)]
                assert len(access) == 1 and access["length_m"].iloc[0] == pytest.approx(snap, abs=0.1)
                attach = int(access["v"].iloc[0])
            else:
                assert d == pytest.approx(snap, abs=0.1)
                attach = node
            main = main_component(nodes, edges[edges["mode"] != "transfer"], mode)
            assert main[attach], (sid, mode)
            if node_country[attach] != row["country"]:  # only a crossing may sit on the border itself
                assert row["kind"] == "border_crossing", (sid, mode, node_country[attach])
                from enablement.network.snapping import _near_country

                x, y = nodes["x"].to_numpy()[[attach]], nodes["y"].to_numpy()[[attach]]
                assert _near_country(row["country"], x, y, margin)[0], (sid, mode)


def test_site_beyond_tolerance_is_an_error_naming_it(embedded, tmp_path):
    # a staging area in the North Sea, 60 km off the coast
    folder = _write(tmp_path / "ov", [_site("staging-near", 4.40, 51.22), _site("staging-at-sea", 2.3, 51.8)])
    with pytest.raises(NetworkError) as err:
        apply_overlay(embedded, read_overlay(folder), tolerance_m=5000)
    text = str(err.value)
    assert "staging-at-sea" in text and "staging-near" not in text
    assert "the tolerance set for every site (network.snap_tolerance_m" in text and "is 5 km" in text
    assert "move the site" in text


def test_bad_overlay_reports_every_problem_at_once(tmp_path):
    sites = [
        _site("a", 4.4, 51.2, kind="castle"),
        _site("a", 4.5, 51.2),
        _site("b", 4.5, 51.2, kind="airport", mode="rail"),
        _site("c", 4.5, 51.2, capacity_vehicles=-5),
        {
            "type": "Feature",
            "properties": {"id": "d", "name": "D", "kind": "staging_area", "mode": "road"},
            "geometry": {"type": "LineString", "coordinates": [[4, 51], [4.1, 51.1]]},
        },
    ]
    bridges = [
        {
            "type": "Feature",
            "properties": {
                "id": "br",
                "name": "Br",
                "mlc_wheeled_oneway": 40,
                "mlc_wheeled_twoway": 60,
                "mlc_tracked_oneway": 500,
                "mlc_tracked_twoway": 0,
                "source": "t",
                "illustrative": True,
            },
            "geometry": {"type": "Point", "coordinates": [4.4, 51.2]},
        }
    ]
    with pytest.raises(OverlayError) as err:
        read_overlay(_write(tmp_path / "bad", sites, bridges))
    text = str(err.value)
    for expected in (
        "field 'kind' = 'castle' is unknown",
        "id 'a' is used by more than one feature",
        "field 'mode' = 'rail' is not allowed for a airport",
        "'capacity_vehicles' = -5",
        "geometry: LineString; this layer holds Point",
        "feature 4 (d): field 'source' is empty",
        "mlc_tracked_oneway' = 500",
        "mlc_tracked_twoway' = 0",
        "mlc_wheeled_twoway (60) exceeds mlc_wheeled_oneway (40)",
    ):
        assert expected in text, expected


def test_unknown_overlay_name_lists_packaged_ones():
    with pytest.raises(OverlayError, match="packaged overlays: belgium"):
        read_overlay("atlantis")


def test_bridge_conflates_onto_both_directions_of_nearest_road_edge(embedded, tmp_path):
    e = embedded.edges[embedded.edges["mode"] == "road"].iloc[100]
    mid = e.geometry.interpolate(0.5, normalized=True)
    import geopandas as gpd

    pt = gpd.GeoSeries([mid], crs=3812).to_crs(4326).iloc[0]
    bridge = {
        "type": "Feature",
        "properties": {
            "id": "bridge-test",
            "name": "Test",
            "mlc_wheeled_oneway": 60,
            "mlc_wheeled_twoway": 40,
            "mlc_tracked_oneway": 50,
            "mlc_tracked_twoway": 30,
            "source": "test",
            "illustrative": True,
        },
        "geometry": {"type": "Point", "coordinates": [pt.x, pt.y]},
    }
    folder = _write(tmp_path / "ov", [_site("staging-x", pt.x, pt.y)], [bridge])
    net = apply_overlay(embedded, read_overlay(folder))
    hit = net.edges[net.edges["bridge_id"] == "bridge-test"]
    pairs = {(int(a), int(b)) for a, b in zip(hit["u"], hit["v"], strict=True)}
    assert (int(e["u"]), int(e["v"])) in pairs
    assert all((b, a) in pairs for a, b in pairs)  # both directions
    assert (hit["mlc_tracked_twoway"] == 30).all() and (hit["mlc_wheeled_oneway"] == 60).all()
    assert embedded.edges["bridge_id"].isna().all()  # the input network is untouched
