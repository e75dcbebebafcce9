"""The Infrabel importer: topology from operational-point ids, attributes, problems, and the real file."""

import json

import numpy as np
import pytest

from enablement.errors import NetworkError
from enablement.network.infrabel import read_infrabel_sections
from enablement.routing import Router


def section(ls, a, b, coords, volt="3kV DC", tracks=2, label="24", **extra):
    props = {
        "ls_id": ls,
        "ptcarfrom": a,
        "ptcarto": b,
        "ptcarfromname": f"P{a}",
        "ptcartoname": f"P{b}",
        "nrtracks": tracks,
        "ecs_voltfreq": volt,
        "label": label,
        "c70": "70",
        **extra,
    }
    geom = None if coords is None else {"type": "LineString", "coordinates": coords}
    return {"type": "Feature", "properties": props, "geometry": geom}


def write(tmp_path, feats):
    p = tmp_path / "sections.geojson"
    p.write_text(json.dumps({"type": "FeatureCollection", "features": feats}))
    return p


def test_small_layer(tmp_path):
    feats = [
        section("1", "A", "B", [[5.90, 50.70], [5.95, 50.71], [6.00, 50.72]]),
        section("2", "B", "C", [[6.00, 50.72], [6.05, 50.73]], volt="15kV AC", tracks=1),
        section("3", "C", "D", None),  # no geometry, D never located: dropped and counted
        section("4", "A", "C", [[5.90, 50.70], [6.05, 50.73]], volt="Not Electrified"),
    ]
    net = read_infrabel_sections(write(tmp_path, feats))
    rep = net.meta["report"]
    assert rep["operational_points"] == 3 and rep["operational_points_unlocated"] == 1
    assert rep["sections_dropped_unlocated"] == 1 and rep["components"] == 1
    assert net.n_edges == 6  # three sections, both directions
    e = net.edges
    ids = net.nodes["source_id"].tolist()
    ab = e[(e["ls_id"] == "1") & (e["u"] == ids.index("A"))].iloc[0]
    assert (
        ab["v"] == ids.index("B")
        and ab["tracks"] == 2
        and ab["voltage_v"] == 3000
        and ab["frequency_hz"] == 0
    )
    bc = e[e["ls_id"] == "2"].iloc[0]
    assert bc["voltage_v"] == 15000 and bc["frequency_hz"] == 16.7 and bc["electrified_src"] == "infrabel"
    assert e.loc[e["ls_id"] == "4", "electrified"].eq(0).all()
    # the geometry of the reverse edge runs the other way
    back = e[(e["ls_id"] == "1") & (e["u"] == ids.index("B"))].iloc[0]
    assert back.geometry.coords[0] == ab.geometry.coords[-1]
    assert sorted(net.features["name"]) == ["PA", "PB", "PC"]
    r = Router(net, "rail").route(ids.index("A"), ids.index("C"))
    assert r.length_m == pytest.approx(
        min(e.loc[e["ls_id"] == "4", "length_m"].iloc[0], ab["length_m"] + bc["length_m"])
    )


def test_missing_fields_and_crs(tmp_path):
    bad = [{"type": "Feature", "properties": {"ptcarfrom": "A"}, "geometry": None}]
    with pytest.raises(NetworkError) as err:
        read_infrabel_sections(write(tmp_path, bad))
    assert "missing required field(s) ptcarto, nrtracks, ecs_voltfreq" in str(err.value)
    with pytest.raises(NetworkError, match="cannot be read as a vector layer"):
        read_infrabel_sections(tmp_path / "nope.geojson")


def test_real_infrabel_network(shared_data):
    net = read_infrabel_sections(shared_data / "rail" / "infrabel-line-sections.geojson")
    rep = net.meta["report"]
    assert rep["sections"] == 1025
    assert (
        rep["largest_component_nodes"] >= 0.95 * rep["operational_points"]
    )  # the sections join into one network
    km = net.km_by_mode()["rail"]
    assert 3000 < km < 4000  # Belgium has about 3,600 km of lines
    e = net.edges
    dc = e.loc[e["voltage_v"] == 3000, "length_m"].sum() / e["length_m"].sum()
    assert dc > 0.6  # most lines are 3 kV DC
    # line 24 (Montzen) is there and a freight route from Antwerp to Montzen exists
    assert (e["label"] == "24").any()
    names = net.features.set_index("name")
    montzen = net.features[net.features["name"].str.startswith("MONTZEN")]
    antwerp = net.features[net.features["name"].str.contains("ANTWERPEN", na=False)]
    assert len(montzen) and len(antwerp)
    ids = net.nodes["source_id"].tolist()
    r = Router(net, "rail").route(ids.index(antwerp["osm_id"].iloc[0]), ids.index(montzen["osm_id"].iloc[0]))
    assert 100_000 < r.length_m < 250_000
    assert np.isfinite(r.time_s) and len(names) > 600


def _two_track_network():
    """Two parallel tracks 4 m apart (each two-way) and a siding beside them, in EPSG:3812 metres."""
    import geopandas as gpd
    import shapely

    from enablement.network.model import CRS, Network

    xy = np.array(
        [[650_000.0, 680_000.0], [652_000.0, 680_000.0], [650_000.0, 680_004.0], [652_000.0, 680_004.0]]
    )
    xy = np.vstack([xy, [[650_500.0, 680_012.0], [651_500.0, 680_012.0]]])
    nodes = gpd.GeoDataFrame(
        {"mode": "rail", "x": xy[:, 0], "y": xy[:, 1], "source_id": [str(i) for i in range(6)]},
        geometry=shapely.points(xy),
        crs=CRS,
    )
    nodes.index.name = "node"
    pairs = [(0, 1, None), (1, 0, None), (2, 3, None), (3, 2, None), (4, 5, "siding"), (5, 4, "siding")]
    edges = gpd.GeoDataFrame(
        {
            "u": [a for a, _, _ in pairs],
            "v": [b for _, b, _ in pairs],
            "mode": "rail",
            "service": [s for *_, s in pairs],
            "length_m": [float(np.hypot(*(xy[a] - xy[b]))) for a, b, _ in pairs],
            "speed_kmh": 80.0,
        },
        geometry=[shapely.LineString([xy[a], xy[b]]) for a, b, _ in pairs],
        crs=CRS,
    )
    edges["time_s"] = edges["length_m"] / (80 / 3.6)
    return Network(nodes, edges, meta={"source": "osm"})


def test_rail_lines_enrich_every_track_of_a_line_but_not_sidings(tmp_path):
    import geopandas as gpd
    import shapely

    from enablement.network.overlays import conflate, layer_overlay

    # one Infrabel section along the middle 1.2 km of the two tracks (WGS84 file)
    line = gpd.GeoSeries(
        [shapely.LineString([(650_400.0, 680_002.0), (651_600.0, 680_002.0)])], crs=3812
    ).to_crs(4326)
    coords = [list(c) for c in line.iloc[0].coords]
    path = write(tmp_path, [section("7", "A", "B", coords, volt="25kV AC", tracks=2, label="4", c400="400")])
    from enablement.network.infrabel import read_infrabel_lines

    lines = read_infrabel_lines(path)
    assert lines.loc[0, "voltage_v"] == 25_000 and lines.loc[0, "frequency_hz"] == 50
    net, report = conflate(
        _two_track_network(), layer_overlay("infrabel", "rail_lines", lines), line_tolerance_m=10
    )
    assert report.table["status"].tolist() == ["matched"]
    e = net.edges
    enriched = e[e["rail_section_id"] == "ls-7"]
    # both tracks, both directions, only over the section's 1.2 km: the tracks were split at its ends
    assert len(enriched) == 4
    assert enriched["length_m"].to_numpy() == pytest.approx(np.full(4, 1200.0), abs=0.5)
    assert set(enriched["line"]) == {"4"} and set(enriched["voltage_v"]) == {25_000.0}
    assert set(enriched["tracks_src"]) == {"overlay:rail_lines:ls-7"}
    # the rest of the tracks and the siding keep what they had
    assert e.loc[e["rail_section_id"].isna(), "voltage_v"].isna().all()
    assert e.loc[e["service"] == "siding", "rail_section_id"].isna().all()
    assert e.loc[e["mode"] == "rail", "length_m"].sum() == pytest.approx(2 * 2 * 2000 + 2 * 1000)


def test_real_infrabel_enriches_antwerp_osm_rail(shared_data, tmp_path):
    from enablement.cli import main
    from enablement.network.io import load_network

    out = tmp_path / "antwerp+infrabel.gpkg"
    osm = shared_data / "osm" / "antwerp-2014.osm.pbf"
    sections = shared_data / "rail" / "infrabel-line-sections.geojson"
    assert main(["network", "build", "--osm-file", str(osm), "--out", str(tmp_path / "antwerp.gpkg")]) == 0
    args = [
        "overlay",
        "--network",
        str(tmp_path / "antwerp.gpkg"),
        "--infrabel",
        str(sections),
        "--out",
        str(out),
    ]
    assert main(args) == 0
    net = load_network(out)
    rail = net.edges[(net.edges["mode"] == "rail") & net.edges["service"].isna()]
    done = rail["tracks_src"].astype(str).str.startswith("overlay:rail_lines:")
    share = rail.loc[done, "length_m"].sum() / rail["length_m"].sum()
    assert share > 0.6, share  # measured 0.74 of the running lines (OSM 2014 vs today's Infrabel)
    lines = set(rail.loc[done, "line"])
    assert {"12", "25", "27A", "4", "221"} <= lines  # main lines, the HSL and a port line
    hsl = rail[done & (rail["line"] == "4")]
    assert set(hsl["voltage_v"]) == {25_000.0} and set(hsl["frequency_hz"]) == {50.0}
    port = rail[done & (rail["line"] == "221")]
    assert (port["electrified"] == 0).all()
    assert "Infrabel open data" in net.meta["attribution"]  # the credit travels with the data
    ops = net.features[net.features["kind"] == "operational_point"]
    assert 20 < len(ops) < 705  # clipped to the network's extent
    report = (tmp_path / "antwerp+infrabel-conflation" / "conflation.csv").read_text()
    assert "unmatched" in report and "matched" in report
