"""Conflation of project-made overlay layers onto small project-made networks (EPSG:3812)."""

import itertools

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from enablement.errors import NetworkError, OverlayError
from enablement.network.conflation import _share_covered, match_lines, split_edges, twins
from enablement.network.model import CRS, Network
from enablement.network.overlays import apply_overlay, closure_spans, conflate, read_overlay

X0, Y0 = 650_000.0, 680_000.0  # EPSG:3812, north of Brussels
MLC = {"mlc_wheeled_oneway": 80, "mlc_wheeled_twoway": 60, "mlc_tracked_oneway": 70, "mlc_tracked_twoway": 50}
WORKS = ("2026-03-02T08:00:00+01:00", "2026-03-02T18:00:00+01:00")


def frames(*lines, refs=None, origin=(X0, Y0)):
    """Node and edge frames of two-way roads given as lists of (x, y) offsets in metres."""
    xy, index, rows = [], {}, []
    for k, coords in enumerate(lines):
        ends = []
        for p in (coords[0], coords[-1]):
            ends.append(index.setdefault(p, len(xy)))
            if ends[-1] == len(xy):
                xy.append(p)
        geom = shapely.LineString([(origin[0] + x, origin[1] + y) for x, y in coords])
        ref = refs[k] if refs else None
        rows.append({"u": ends[0], "v": ends[1], "ref": ref, "geometry": geom})
        rows.append({"u": ends[1], "v": ends[0], "ref": ref, "geometry": shapely.reverse(geom)})
    arr = np.array(xy, float) + np.array(origin)
    nodes = gpd.GeoDataFrame(
        {"mode": "road", "x": arr[:, 0], "y": arr[:, 1], "source_id": [f"n{i}" for i in range(len(arr))]},
        geometry=shapely.points(arr),
        crs=CRS,
    )
    edges = gpd.GeoDataFrame(rows, geometry="geometry", crs=CRS)
    edges["mode"] = "road"
    edges["length_m"] = edges.geometry.length
    edges["speed_kmh"] = 90.0
    edges["time_s"] = edges["length_m"] / 25.0
    return nodes, edges


def network(*lines, refs=None):
    return Network(*frames(*lines, refs=refs), meta={"source": "osm"})


ROAD_A = [(0, 0), (2000, 0)]  # a straight 2 km road
ROAD_B = [(0, 40), (2000, 40)]  # a parallel road 40 m north, not connected


def pt(x, y):
    return shapely.Point(X0 + x, Y0 + y)


def ln(*pts):
    return shapely.LineString([(X0 + x, Y0 + y) for x, y in pts])


def write(folder, name, feats, *, crs=4326, driver="GeoJSON", suffix=".geojson"):
    """Write features (geometries in EPSG:3812) as a layer file in ``crs``."""
    folder.mkdir(parents=True, exist_ok=True)
    props = [{k: v for k, v in f.items() if k != "geometry"} for f in feats]
    gdf = gpd.GeoDataFrame(props, geometry=[f["geometry"] for f in feats], crs=CRS).to_crs(crs)
    gdf.to_file(folder / f"{name}{suffix}", driver=driver)
    return folder


def bridge(id_, geom, **extra):
    return {
        "id": id_,
        "name": id_.title(),
        **MLC,
        "source": "test",
        "illustrative": True,
        "geometry": geom,
        **extra,
    }


def feature(id_, geom, **extra):
    return {"id": id_, "source": "test", "illustrative": True, "geometry": geom, **extra}


def row(report, id_):
    return report.table.set_index("id").loc[id_]


def xy(nodes, i):
    return np.array([nodes["x"].iloc[i], nodes["y"].iloc[i]])


def assert_pieces_meet_their_nodes(nodes, edges, tol=0.01):
    assert list(nodes.index) == list(range(len(nodes)))
    for u, v, g in zip(edges["u"], edges["v"], edges.geometry, strict=True):
        c = shapely.get_coordinates(g)
        assert np.hypot(*(c[0] - xy(nodes, int(u)))) <= tol
        assert np.hypot(*(c[-1] - xy(nodes, int(v)))) <= tol


def test_a_bridge_line_over_the_middle_of_an_edge_splits_it_and_its_twin_at_the_same_nodes(tmp_path):
    net = network(ROAD_A, ROAD_B)
    # written in EPSG:3812: the CRS must survive the GeoJSON round trip
    folder = write(tmp_path / "ov", "bridges", [bridge("deck", ln((800, 2), (1100, 2)))], crs=CRS)
    assert gpd.read_file(folder / "bridges.geojson").crs.to_epsg() == 3812
    out, report = conflate(net, read_overlay(folder))
    assert row(report, "deck")["status"] == "matched" and row(report, "deck")["edges"] == 2
    e = out.edges
    assert_pieces_meet_their_nodes(out.nodes, e)
    assert len(out.nodes) == 4 + 2 and len(e) == 6 + 2
    on_a = e[e.geometry.centroid.y < Y0 + 20]
    assert on_a["length_m"].sum() == pytest.approx(4000.0)
    assert on_a["time_s"].sum() == pytest.approx(4000.0 / 25.0)
    assert (on_a["length_m"] - on_a.geometry.length).abs().max() < 1e-6
    deck = e[e["bridge_id"] == "deck"]
    assert len(deck) == 2 and deck["length_m"].to_numpy() == pytest.approx([300.0, 300.0])
    (u1, v1), (u2, v2) = zip(deck["u"], deck["v"], strict=True)
    assert (u1, v1) == (v2, u2)  # the twin pieces share the two new nodes
    assert sorted(out.nodes.loc[[u1, v1], "x"] - X0) == pytest.approx([800.0, 1100.0])
    for col, value in MLC.items():
        assert (deck[col] == value).all()
    assert set(deck["mlc_wheeled_oneway_src"]) == {"overlay:bridges:deck"}
    outer = on_a[on_a["bridge_id"].isna()]
    assert sorted(outer["length_m"].round(6)) == [800.0, 800.0, 900.0, 900.0]
    assert outer[list(MLC)].isna().all().all()
    assert set(outer["mlc_wheeled_oneway_src"]) == {"default"}
    assert e.loc[e.geometry.centroid.y > Y0 + 20, "length_m"].tolist() == [2000.0, 2000.0]  # road B untouched
    assert net.edges["bridge_id"].isna().all() and len(net.edges) == 4  # the input is not modified


def test_a_bridge_point_with_a_length_covers_that_length_centred_on_its_projection(tmp_path):
    net = network(ROAD_A)
    folder = write(tmp_path / "ov", "bridges", [bridge("pt", pt(1200, 6), length_m=100)])
    out, report = conflate(net, read_overlay(folder))
    assert row(report, "pt")["status"] == "matched"
    deck = out.edges[out.edges["bridge_id"] == "pt"]
    assert len(deck) == 2
    for g in deck.geometry:
        assert sorted(shapely.get_coordinates(g)[[0, -1], 0] - X0) == pytest.approx(
            [1150.0, 1250.0], abs=0.01
        )
    assert deck["time_s"].to_numpy() == pytest.approx([4.0, 4.0])
    assert sorted(out.edges["length_m"].round(2)) == [100.0, 100.0, 750.0, 750.0, 1150.0, 1150.0]


def test_a_point_midway_between_two_roads_is_ambiguous_until_it_names_its_road(tmp_path):
    net = network(ROAD_A, ROAD_B, refs=["N1", "N2"])
    folder = write(tmp_path / "amb", "bridges", [bridge("mid", pt(1000, 20))], crs=CRS)
    out, report = conflate(net, read_overlay(folder))
    r = row(report, "mid")
    assert r["status"] == "ambiguous" and "2 roads about as near" in r["reason"] and "'road'" in r["reason"]
    assert r["edges"] == 0 and out.edges["bridge_id"].isna().all()
    with pytest.raises(NetworkError, match=r"bridges 'mid' is ambiguous"):
        apply_overlay(net, read_overlay(folder))
    write(tmp_path / "other", "bridges", [bridge("mid", pt(1000, 20), road="N7")], crs=CRS)
    assert row(conflate(net, read_overlay(tmp_path / "other"))[1], "mid")["status"] == "ambiguous"
    write(tmp_path / "named", "bridges", [bridge("mid", pt(1000, 20), road="n 2")], crs=CRS)
    out = apply_overlay(net, read_overlay(tmp_path / "named"))
    hit = out.edges[out.edges["bridge_id"] == "mid"]
    assert len(hit) == 2 and set(hit["ref"]) == {"N2"}
    assert (hit.geometry.centroid.y == Y0 + 40).all()


def test_closures_mark_their_whole_edges_with_their_window(tmp_path):
    net = network(ROAD_A, [(2000, 0), (4000, 0)], ROAD_B)
    folder = write(
        tmp_path / "ov",
        "closures",
        [
            feature("works", ln((2500, 3), (3000, 3)), start=WORKS[0], end=WORKS[1], reason="roadworks"),
            feature("night", pt(700, -4), start="2026-03-03T22:00:00+01:00", end="2026-03-04T05:00:00+01:00"),
            # one-way closure of road B, digitised westwards: only the westbound edge
            feature("west", ln((1800, 41), (200, 41)), start=WORKS[0], end=WORKS[1], direction="forward"),
        ],
    )
    out, report = conflate(net, read_overlay(folder))
    assert set(report.table["status"]) == {"matched"}
    e = out.edges
    assert len(e) == len(net.edges)  # closures close whole edges: no split
    spans = closure_spans(out)
    assert set(spans) == set(np.flatnonzero(e["closure_id"].notna().to_numpy()))
    by_id = {
        cid: sorted(np.flatnonzero((e["closure_id"] == cid).to_numpy())) for cid in ("works", "night", "west")
    }
    assert by_id["works"] == [2, 3] and by_id["night"] == [0, 1]
    assert len(by_id["west"]) == 1 and e.geometry.iloc[by_id["west"][0]].coords[0][0] > X0 + 1000
    assert spans[2] == [WORKS] and spans[by_id["west"][0]] == [WORKS]
    assert spans[0] == [("2026-03-03T22:00:00+01:00", "2026-03-04T05:00:00+01:00")]
    assert out.meta["closures"]["works"] == {"start": WORKS[0], "end": WORKS[1], "reason": "roadworks"}
    assert "closure_id" not in net.edges.columns and "closures" not in net.meta


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (WORKS[1], WORKS[0], "feature 0 (c): field 'end' ('2026-03-02T08:00:00+01:00') is not after 'start'"),
        ("2026-03-02T08:00:00", None, "feature 0 (c): field 'start' = '2026-03-02T08:00:00'; give an ISO"),
        (WORKS[0], "tomorrow", "feature 0 (c): field 'end' = 'tomorrow'; give an ISO date-time"),
    ],
)
def test_bad_closure_times_are_overlay_errors_naming_the_field(tmp_path, start, end, expected):
    write(tmp_path / "ov", "closures", [feature("c", pt(100, 0), start=start, end=end)])
    with pytest.raises(OverlayError) as err:
        read_overlay(tmp_path / "ov")
    assert "closures.geojson" in str(err.value) and expected in str(err.value)


def test_a_user_mapping_reads_french_and_dutch_agency_layers(tmp_path):
    net = network(ROAD_A, ROAD_B)
    folder = tmp_path / "agency"
    # Shapefile field names stop at 10 characters; the agency's CRS is Belgian Lambert 72
    ponts = {"ident": "SPW-17", "nom": "Pont du test", "roues_1v": 70, "roues_2v": 50, "chenil_1v": 60}
    ponts |= {"chenil_2v": 40, "longueur": 200.0, "geometry": pt(1000, 3)}
    write(folder, "ponts", [ponts], crs=31370, driver="ESRI Shapefile", suffix=".shp")
    hoogte = {"oidn": 9, "doorrijhoogte": 3.9, "richting": "heen", "geometry": ln((0, 38), (2000, 38))}
    write(folder, "beperkingen", [hoogte], crs=31370, driver="GPKG", suffix=".gpkg")
    fr = ("ident", "nom", "roues_1v", "roues_2v", "chenil_1v", "chenil_2v", "longueur")
    ours = ("id", "name", *MLC, "length_m")
    mapping = {
        "layers": {
            "bridges": {
                "file": "ponts.shp",
                "fields": dict(zip(fr, ours, strict=True)),
                "defaults": {"source": "SPW test", "illustrative": False},
            },
            "clearances": {
                "file": "beperkingen.gpkg",
                "layer": "beperkingen",
                "fields": {"oidn": "id", "doorrijhoogte": "maxheight_m", "richting": "direction"},
                "values": {"direction": {"beide": "both", "heen": "forward", "terug": "backward"}},
                "defaults": {"source": "AWV test", "illustrative": False},
            },
        }
    }
    (folder / "overlay.yaml").write_text(yaml.safe_dump(mapping), encoding="utf-8")
    ov = read_overlay(folder)
    b = ov.bridges.loc["SPW-17"]
    assert ov.bridges.crs == CRS and b.geometry.distance(pt(1000, 3)) < 0.5
    assert (b["name"], b["mlc_wheeled_oneway"], b["mlc_tracked_twoway"]) == ("Pont du test", 70, 40)
    assert (b["source"], b["illustrative"], b["length_m"]) == ("SPW test", False, 200.0)
    assert ov.layers["clearances"].loc["9", "direction"] == "forward"
    out, report = conflate(net, ov)
    assert set(report.table["status"]) == {"matched"}
    deck = out.edges[out.edges["bridge_id"] == "SPW-17"]
    assert len(deck) == 2 and deck["length_m"].to_numpy() == pytest.approx([200.0, 200.0], abs=1.0)
    assert (deck["mlc_wheeled_oneway"] == 70).all()
    low = out.edges[out.edges["maxheight_m"].notna()]
    assert len(low) == 1 and low["maxheight_m"].iloc[0] == 3.9  # only the eastbound edge of road B
    assert (
        low.geometry.iloc[0].coords[0][0] == X0 and low["maxheight_m_src"].iloc[0] == "overlay:clearances:9"
    )


def _no_prj(folder):
    # Shapefile field names stop at 10 characters: only id and maxwidth_m
    write(
        folder,
        "width_restrictions",
        [{"id": "w", "maxwidth_m": 3.0, "geometry": pt(0, 0)}],
        driver="ESRI Shapefile",
        suffix=".shp",
    )
    (folder / "width_restrictions.prj").unlink()


BAD_LAYERS = {
    "missing field": (
        lambda f: write(
            f, "bridges", [{k: v for k, v in bridge("b", pt(0, 0)).items() if k != "mlc_tracked_twoway"}]
        ),
        "bridges.geojson: missing required field(s) mlc_tracked_twoway",
    ),
    "empty field": (
        lambda f: write(f, "bridges", [bridge("b1", pt(0, 0)), bridge("b2", pt(9, 0), name=None)]),
        "bridges.geojson: feature 1 (b2): field 'name' is empty",
    ),
    "polygon bridge": (
        lambda f: write(f, "bridges", [bridge("poly", shapely.box(X0, Y0, X0 + 5, Y0 + 5))]),
        "bridges.geojson: feature 0 (poly): geometry: Polygon; this layer holds Point or LineString",
    ),
    "empty geometry": (
        lambda f: write(f, "clearances", [feature("h", None, maxheight_m=4.0)]),
        "clearances.geojson: feature 0 (h): geometry: empty",
    ),
    "no crs": (_no_prj, "width_restrictions.shp: no CRS"),
    "mlc 0": (
        lambda f: write(f, "bridges", [bridge("z", pt(0, 0), mlc_tracked_twoway=0)]),
        "bridges.geojson: feature 0 (z): field 'mlc_tracked_twoway' = 0 is out of range [1, 150]",
    ),
    "mlc 500": (
        lambda f: write(f, "bridges", [bridge("big", pt(0, 0), mlc_wheeled_oneway=500)]),
        "bridges.geojson: feature 0 (big): field 'mlc_wheeled_oneway' = 500 is out of range [1, 150]",
    ),
    "negative capacity": (
        lambda f: write(f, "staging_areas", [feature("sa", pt(0, 0), name="SA", capacity_vehicles=-5)]),
        "staging_areas.geojson: feature 0 (sa): field 'capacity_vehicles' = -5",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_LAYERS))
def test_each_bad_layer_is_one_overlay_error_naming_file_feature_and_field(tmp_path, case):
    make, expected = BAD_LAYERS[case]
    folder = tmp_path / "bad"
    make(folder)
    if case != "polygon bridge":  # a valid layer beside the bad one is not applied either
        write(folder, "closures", [feature("c", pt(500, 0), start=WORKS[0])])
    with pytest.raises(OverlayError) as err:
        read_overlay(folder)
    text = str(err.value)
    assert text.startswith("1 problem in overlay") and expected in text, text


@pytest.mark.parametrize(("direction", "eastbound"), [("forward", True), ("backward", False)])
def test_road_lanes_apply_only_in_their_direction_and_a_crossing_line_is_unmatched(
    tmp_path, direction, eastbound
):
    net = network(ROAD_A)
    along = feature("r1", ln((0, 3), (2000, 3)), highway="primary", lanes=2, lanes_direction=direction)
    across = feature("x1", ln((1000, -100), (1000, 100)), lanes=4)
    dx, dy = 300 * np.cos(np.radians(40)), 300 * np.sin(np.radians(40))  # overlaps 78 m of buffer, at 40°
    oblique = feature("x2", ln((1000 - dx, -dy), (1000 + dx, dy)), lanes=3)
    out, report = conflate(net, read_overlay(write(tmp_path / "ov", "roads", [along, across, oblique])))
    assert row(report, "r1")["status"] == "matched"
    lanes = out.edges["lanes"].to_numpy()
    east = np.array([g.coords[-1][0] > g.coords[0][0] for g in out.edges.geometry])
    assert len(out.edges) == 2  # the line covers the whole edge: no split
    assert (lanes[east == eastbound] == 2).all() and np.isnan(lanes[east != eastbound]).all()
    assert set(out.edges.loc[east == eastbound, "lanes_src"]) == {"overlay:roads:r1"}
    assert set(out.edges.loc[east != eastbound, "lanes_src"]) == {"default"}
    for fid in ("x1", "x2"):
        r = row(report, fid)
        assert r["status"] == "unmatched" and "2 edge(s) only cross it" in r["reason"] and r["edges"] == 0


def test_the_report_is_written_as_csv_and_wgs84_geojson_with_every_feature(tmp_path):
    net = network(ROAD_A)
    folder = tmp_path / "ov"
    write(folder, "bridges", [bridge("near", pt(300, 5)), bridge("far", pt(300, 5000))])
    write(folder, "roads", [feature("cross", ln((1000, -100), (1000, 100)), lanes=2)])
    write(folder, "staging_areas", [feature("sa", pt(0, -30), name="SA")])
    _, report = conflate(net, read_overlay(folder), point_tolerance_m=100)
    paths = report.write(tmp_path / "rep")
    assert paths == {
        "conflation_csv": tmp_path / "rep/conflation.csv",
        "conflation_geojson": tmp_path / "rep/conflation.geojson",
    }
    csv = pd.read_csv(paths["conflation_csv"])
    assert len(csv) == 4
    got = dict(zip(csv["id"], zip(csv["layer"], csv["status"], strict=True), strict=True))
    assert got == {
        "near": ("bridges", "matched"),
        "far": ("bridges", "unmatched"),
        "cross": ("roads", "unmatched"),
        "sa": ("sites", "matched"),
    }
    assert "no road edge within 100 m" in csv.set_index("id").loc["far", "reason"]
    gj = gpd.read_file(paths["conflation_geojson"])
    assert gj.crs.to_epsg() == 4326 and len(gj) == 4 and set(gj["id"]) == set(got)
    lon0, lat0, lon1, lat1 = gj.total_bounds
    assert 4.3 < lon0 <= lon1 < 4.45 and 50.85 < lat0 <= lat1 < 51.0
    near = gj.set_index("id").geometry["near"]
    back = gpd.GeoSeries([near], crs=4326).to_crs(CRS).iloc[0]
    assert back.distance(pt(300, 5)) < 0.01


@st.composite
def polyline_and_cuts(draw):
    n = draw(st.integers(2, 5))
    steps = draw(
        st.lists(st.tuples(st.floats(-500, 500), st.floats(-500, 500)), min_size=n - 1, max_size=n - 1)
    )
    steps = [s for s in steps if np.hypot(*s) >= 1.0] or [(100.0, 0.0)]
    coords = np.vstack([[0.0, 0.0], np.cumsum(steps, axis=0)])
    length = float(shapely.LineString(coords).length)
    cuts = draw(st.lists(st.floats(0, length), max_size=6))
    return [tuple(map(float, c)) for c in coords], cuts, draw(st.sampled_from([0, 1]))


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(polyline_and_cuts())
def test_split_edges_keeps_total_length_and_every_piece_meets_its_nodes(case):
    coords, cuts, which = case
    nodes, edges = frames(coords, origin=(X0 + 123.4567, Y0 + 89.0123))
    length = float(edges.geometry.length.iloc[0])
    new_nodes, new_edges, pieces = split_edges(nodes, edges, {which: cuts})
    assert new_edges["length_m"].sum() == pytest.approx(2 * length, rel=1e-9)
    assert new_edges["time_s"].sum() == pytest.approx(2 * length / 25.0, rel=1e-9)
    assert new_edges.geometry.length.sum() == pytest.approx(2 * length, rel=1e-9, abs=1e-6)
    assert_pieces_meet_their_nodes(new_nodes, new_edges)
    assert (new_edges["length_m"] >= 10.0 - 1e-6).all() or len(new_edges) == 2
    assert sorted(pieces) == [0, 1]  # every old edge keeps a record, split or not
    for old, ps in pieces.items():  # each old edge is covered end to end, in order
        assert ps[0][1] == 0.0 and ps[-1][2] == pytest.approx(float(edges.geometry.length.iloc[old]))
        assert all(a[2] == b[1] for a, b in itertools.pairwise(ps))
    assert (twins(new_edges) >= 0).all()  # every piece has its reverse twin, on the same nodes
    # the twin is cut into the same pieces, in reverse order
    lengths = [[b - a for _, a, b in pieces.get(k, [(k, 0.0, length)])] for k in (which, 1 - which)]
    assert lengths[0] == pytest.approx(lengths[1][::-1], abs=0.02)
    old_xy = {tuple(xy(nodes, i)) for i in range(len(nodes))}
    assert old_xy <= {tuple(xy(new_nodes, i)) for i in range(len(new_nodes))}


# ---- regressions: both directions cut at the same nodes; an empty closure end beside a filled one


def test_a_split_on_a_diagonal_road_cuts_both_directions_at_the_same_node(tmp_path):
    net = network([(0, 0), (1234.567, 987.654)])
    g = net.edges.geometry.iloc[0]
    write(
        tmp_path / "ov", "bridges", [bridge("b", g.interpolate(0.2, normalized=True), length_m=50)], crs=CRS
    )
    out, _ = conflate(net, read_overlay(tmp_path / "ov"))
    assert len(out.nodes) == 4 and (twins(out.edges) >= 0).all()
    # a second overlay still sees one road there, not two (it was ambiguous with nodes 1 cm apart)
    h = shapely.LineString([g.interpolate(f, normalized=True) for f in (0.18, 0.24)])
    write(tmp_path / "ov2", "clearances", [feature("h", h, maxheight_m=4.0)], crs=CRS)
    assert row(conflate(out, read_overlay(tmp_path / "ov2"))[1], "h")["status"] == "matched"


def test_close_cuts_cut_an_edge_and_its_twin_at_the_same_points():
    nodes, edges = frames([(0, 0), (1000, 0)])
    _, new_edges, _ = split_edges(nodes, edges, {0: [100, 106, 112, 118]})
    assert (twins(new_edges) >= 0).all()


def test_a_closure_without_end_beside_one_with_an_end_is_valid(tmp_path):
    feats = [feature("a", pt(100, 0), start=WORKS[0], end=WORKS[1]), feature("b", pt(900, 0), start=WORKS[0])]
    ov = read_overlay(write(tmp_path / "ov", "closures", feats))
    assert ov.layers["closures"]["end"].tolist() == [WORKS[1], None]


def test_a_line_between_two_roads_at_the_same_distance_is_ambiguous_unless_parallels_are_kept():
    _, edges = frames(ROAD_A, [(0, 10), (2000, 10)])
    lines = gpd.GeoSeries([ln((0, 5), (2000, 5))], crs=CRS)
    (m,) = match_lines(edges, lines, 8.0)
    assert m.status == "ambiguous" and "two roads run along it" in m.reason and m.distance_m == 5
    (m,) = match_lines(edges, lines, 8.0, keep_parallel=True)
    assert m.status == "matched" and sorted(e.edge for e in m.edges) == [0, 1, 2, 3]


def test_a_line_nearer_one_road_takes_that_road_only():
    _, edges = frames(ROAD_A, [(0, 10), (2000, 10)])
    (m,) = match_lines(edges, gpd.GeoSeries([ln((0, 3), (2000, 3))], crs=CRS), 8.0)
    assert m.status == "matched" and sorted(e.edge for e in m.edges) == [0, 1]
    assert m.distance_m == pytest.approx(3) and m.share == pytest.approx(1)


def test_a_line_against_the_only_edge_names_the_direction_in_its_reason():
    _, edges = frames(ROAD_A)
    westbound = edges.iloc[[1]].reset_index(drop=True)
    (m,) = match_lines(
        westbound, gpd.GeoSeries([ln((0, 2), (2000, 2))], crs=CRS), 5.0, direction=pd.Series(["forward"])
    )
    assert m.status == "unmatched" and "1 run the other way (direction 'forward')" in m.reason


def test_the_share_of_a_line_is_the_union_of_the_stretches_its_roads_cover():
    _, edges = frames([(0, 0), (800, 0)], [(1200, 0), (2000, 0)])
    (m,) = match_lines(edges, gpd.GeoSeries([ln((0, 0), (2000, 0))], crs=CRS), 5.0)
    assert m.status == "matched" and m.share == pytest.approx(0.8) and len(m.edges) == 4
    assert _share_covered([(3, 8), (0, 5), (10, 12)], 20) == pytest.approx(0.5)
    assert _share_covered([(0, 30)], 20) == 1 and _share_covered([(0, 0)], 0) == 1
