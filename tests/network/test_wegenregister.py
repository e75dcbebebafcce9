"""The Wegenregister reader: splitting at linear-reference breaks, unknown values, problems, the real zip."""

import itertools
import math
import warnings
import zipfile
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
from shapely.geometry import LineString

from enablement.errors import OverlayError
from enablement.network.wegenregister import MORF_HIGHWAY, read_wegenregister

REAL = Path(__file__).resolve().parents[3] / "shared" / "data" / "ign" / "wegenregister-tienen.zip"

X0, Y0 = 150_000.0, 170_000.0  # Lambert 72 (EPSG:31370), near Brussels


def segment(ws, length=100.0, y=0.0, morf=103, wegcat="S1", name="Teststraat", **extra):
    labels = {101: "autosnelweg", 103: "weg bestaande uit één rijbaan", -8: "niet gekend"}
    cats = {"S1": "secundaire weg type 1", "H": "hoofdweg", "-8": "niet gekend", "-9": "niet van toepassing"}
    row = {
        "WS_OIDN": ws,
        "STATUS": 4,
        "LBLSTATUS": "in gebruik",
        "MORF": morf,
        "LBLMORF": labels.get(morf, f"morf {morf}"),
        "WEGCAT": wegcat,
        "LBLWEGCAT": cats.get(wegcat, f"cat {wegcat}"),
        "LSTRNMID": -9 if name is None else 1000 + ws,
        "LSTRNM": name,
        "BEHEER": "24107",
        "LBLBEHEER": "Stad Tienen",
        "geometry": LineString([(X0, Y0 + y), (X0 + length / 2, Y0 + y), (X0 + length, Y0 + y)]),
    }
    row.update(extra)
    return row


def write_extract(folder, segments, widths=(), lanes=(), european=(), national=(), skip=()):
    """Write a small extract in the official schema: Wegsegment.shp (EPSG:31370) and dbf tables."""
    folder.mkdir(parents=True, exist_ok=True)
    gdf = gpd.GeoDataFrame(pd.DataFrame(segments), geometry="geometry", crs="EPSG:31370")
    gdf.to_file(folder / "Wegsegment.shp")
    tables = {
        "AttWegbreedte.dbf": (["WB_OIDN", "WS_OIDN", "BREEDTE", "VANPOS", "TOTPOS"], widths),
        "AttRijstroken.dbf": (["RS_OIDN", "WS_OIDN", "AANTAL", "RICHTING", "VANPOS", "TOTPOS"], lanes),
        "AttEuropweg.dbf": (["EU_OIDN", "WS_OIDN", "EUNUMMER"], european),
        "AttNationweg.dbf": (["NW_OIDN", "WS_OIDN", "IDENT2"], national),
    }
    for name, (columns, rows) in tables.items():
        if name in skip:
            continue
        table = pd.DataFrame(list(rows), columns=columns)
        for column in columns:
            if column.endswith("POS"):
                table[column] = table[column].astype("float64")
            elif column in ("EUNUMMER", "IDENT2"):
                table[column] = table[column].astype(object)
            else:
                table[column] = table[column].astype("int64")
        pyogrio.write_dataframe(table, folder / name, driver="ESRI Shapefile")  # a dbf-only table
    return folder


def zip_folder(folder, target):
    with zipfile.ZipFile(target, "w") as archive:
        for path in sorted(folder.iterdir()):
            archive.write(path, path.name)
    return target


def test_segment_split_at_width_and_lane_breaks(tmp_path):
    folder = write_extract(
        tmp_path / "extract",
        [segment(1)],
        # the last TOTPOS runs 2 cm past the geometry, as the register's lengths do: clamped
        widths=[(11, 1, 5, 0.0, 30.0), (12, 1, 7, 30.0, 100.02)],
        lanes=[(21, 1, 2, 2, 0.0, 60.0), (22, 1, 1, 3, 60.0, 100.0)],
        european=[(31, 1, "E40"), (32, 1, "E19")],
        national=[(41, 1, "A3")],
    )
    roads = read_wegenregister(folder)
    assert roads.crs.to_epsg() == 3812
    assert roads["id"].tolist() == ["wr-1-1", "wr-1-2", "wr-1-3"]
    assert roads["segment_id"].tolist() == [1, 1, 1]
    assert roads["from_m"].tolist() == pytest.approx([0.0, 30.0, 60.0])
    assert roads["to_m"].tolist() == pytest.approx([30.0, 60.0, 100.0])
    assert roads["width_m"].tolist() == [5.0, 7.0, 7.0]
    assert roads["lanes"].tolist() == [2.0, 2.0, 1.0]
    assert roads["lanes_direction"].tolist() == ["backward", "backward", "both"]
    assert set(roads["ref"]) == {"E19;E40;A3"}
    assert set(roads["name"]) == {"Teststraat"}
    assert set(roads["highway"]) == {"secondary"}  # one carriageway, category S1
    assert set(roads["road_category"]) == {"S1"} and set(roads["morphology"]) == {103}
    assert set(roads["manager"]) == {"Stad Tienen"} and set(roads["status"]) == {"in gebruik"}
    assert roads["source"].iloc[0] == "Wegenregister extract, WS_OIDN 1"
    assert not roads["illustrative"].any()
    # the pieces follow each other and add up to the segment (EPSG:3812 scale differs slightly)
    coords = [list(g.coords) for g in roads.geometry]
    for a, b in itertools.pairwise(coords):
        assert a[-1] == pytest.approx(b[0])
    assert roads.length.sum() == pytest.approx(100.0, rel=1e-3)
    assert roads.length.tolist() == pytest.approx([30.0, 30.0, 40.0], rel=1e-3)

    # the same extract read from a zip gives the same features
    zipped = read_wegenregister(zip_folder(folder, tmp_path / "extract.zip"))
    assert zipped.drop(columns="source").equals(roads.drop(columns="source"))
    assert zipped["source"].iloc[0] == "Wegenregister extract.zip, WS_OIDN 1"


def test_unknown_and_not_applicable_become_missing(tmp_path):
    segments = [
        segment(1, morf=-8, wegcat="-8", name=None, STATUS=-8, LBLSTATUS="niet gekend", BEHEER="-8"),
        segment(2, y=50.0, wegcat="-9"),
    ]
    folder = write_extract(
        tmp_path,
        segments,
        widths=[(11, 1, -8, 0.0, 100.0)],  # segment 2 has no width row at all
        lanes=[(21, 1, -9, -8, 0.0, 100.0), (22, 2, -8, 3, 0.0, 100.0)],
    )
    roads = read_wegenregister(folder).set_index("segment_id")
    one, two = roads.loc[1], roads.loc[2]
    assert one["morphology"] is pd.NA and one["highway"] is None
    assert one["road_category"] is None and one["road_category_label"] == "niet gekend"
    assert math.isnan(one["width_m"]) and math.isnan(one["lanes"]) and one["lanes_direction"] is None
    assert one["name"] is None and one["manager"] is None and one["status"] is None and one["ref"] is None
    assert math.isnan(two["width_m"]) and math.isnan(two["lanes"]) and two["lanes_direction"] == "both"
    assert two["road_category"] is None and two["road_category_label"] == "niet van toepassing"
    assert two["highway"] == "unclassified"  # one carriageway of no stated category
    assert roads["width_m"].dtype == "float64" and roads["lanes"].dtype == "float64"


@pytest.mark.parametrize(
    ("morf", "wegcat", "highway"),
    [
        (101, "H", "motorway"),
        (102, "PI", "trunk"),
        (103, "PII-2", "primary"),
        (103, "L1", "tertiary"),
        (103, "L3", "unclassified"),
        (104, "S2", "secondary"),
        (107, "-9", "motorway_link"),
        (108, "PII-4", "primary_link"),
        (108, "L3", "unclassified"),
        (109, "H", "motorway_link"),
        (114, "-9", "path"),
        (120, "-9", "service"),
        (125, "-9", "track"),
        (130, "-9", None),
        (999, "S1", None),  # a code the mapping does not know
    ],
)
def test_highway_from_morphology_and_category(tmp_path, morf, wegcat, highway):
    folder = write_extract(tmp_path, [segment(7, morf=morf, wegcat=wegcat)])
    roads = read_wegenregister(folder)
    assert roads["highway"].tolist() == [highway]


def test_bad_extract_lists_every_problem(tmp_path):
    segments = [segment(1), segment(2, y=50.0, geometry=None)]
    folder = write_extract(
        tmp_path,
        segments,
        lanes=[
            (21, 1, 2, 1, 80.0, 20.0),  # VANPOS > TOTPOS
            (22, 424242, 1, 3, 0.0, 10.0),  # no such segment
            (23, 2, 1, 3, 0.0, 60.0),
            (24, 2, 1, 3, 50.0, 100.0),  # overlaps RS_OIDN 23
        ],
        european=[(31, 999, "E40")],  # no such segment
        skip=("AttWegbreedte.dbf",),
    )
    with pytest.raises(OverlayError) as info:
        read_wegenregister(folder)
    text = str(info.value)
    assert "6 problems" in text
    assert "AttWegbreedte.dbf: missing from" in text
    assert "AttRijstroken.dbf: RS_OIDN 21 (WS_OIDN 1): VANPOS 80.0 > TOTPOS 20.0" in text
    assert "AttRijstroken.dbf: RS_OIDN 22: WS_OIDN: 424242 refers to no segment in Wegsegment.shp" in text
    assert "AttRijstroken.dbf: RS_OIDN 24 (WS_OIDN 2): VANPOS: 50.0 overlaps RS_OIDN 23" in text
    assert "AttEuropweg.dbf: EU_OIDN 31: WS_OIDN: 999 refers to no segment in Wegsegment.shp" in text
    assert "Wegsegment.shp: WS_OIDN 2: geometry: empty" in text


def test_segment_geometries_and_ids_that_cannot_be_used_are_each_reported():
    from shapely.geometry import MultiLineString

    from enablement.network.wegenregister import _segment_lines

    good = LineString([(X0, Y0), (X0 + 100, Y0)])
    joined = MultiLineString([[(X0, Y0 + 10), (X0 + 50, Y0 + 10)], [(X0 + 50, Y0 + 10), (X0 + 90, Y0 + 10)]])
    apart = MultiLineString([[(X0, Y0 + 20), (X0 + 40, Y0 + 20)], [(X0 + 60, Y0 + 20), (X0 + 90, Y0 + 20)]])
    point = LineString([(X0, Y0 + 30), (X0, Y0 + 30)])
    segments = gpd.GeoDataFrame(
        {"WS_OIDN": [1.0, 2.0, math.nan, 3.0, 4.0, 5.0, 1.0]},
        geometry=[good, joined, good, apart, point, None, good],
        crs=31370,
    )
    problems = []
    ids, lines = _segment_lines(segments, problems)
    assert ids == {1, 2, 3, 4, 5} and sorted(lines) == [1, 2]
    assert lines[2].length == pytest.approx(90)  # parts that join up make one line
    assert problems == [
        "Wegsegment.shp: a feature: WS_OIDN: empty",
        "Wegsegment.shp: WS_OIDN 3: geometry: not a single line (MultiLineString)",
        "Wegsegment.shp: WS_OIDN 4: geometry: zero length",
        "Wegsegment.shp: WS_OIDN 5: geometry: empty",
        "Wegsegment.shp: WS_OIDN 1: WS_OIDN: duplicated",
    ]


def test_missing_field_and_prj(tmp_path):
    folder = write_extract(tmp_path, [segment(1)], national=[(41, 1, "A3")])
    (folder / "Wegsegment.prj").unlink()
    pyogrio.write_dataframe(
        pd.DataFrame({"NW_OIDN": [41], "WS_OIDN": [1]}), folder / "AttNationweg.dbf", driver="ESRI Shapefile"
    )
    with pytest.raises(OverlayError) as info:
        read_wegenregister(folder)
    text = str(info.value)
    assert "Wegsegment.prj: missing from" in text and "no CRS" in text
    assert "AttNationweg.dbf: missing required field(s) IDENT2" in text


def test_path_that_does_not_exist(tmp_path):
    missing = tmp_path / "nowhere.zip"
    with pytest.raises(OverlayError, match=r"nowhere\.zip does not exist"):
        read_wegenregister(missing)


@pytest.mark.shared_data
@pytest.mark.skipif(
    not REAL.exists(),
    reason="../shared/data/ign/wegenregister-tienen.zip absent (real Wegenregister extract)",
)
def test_real_extract_tienen():
    roads = read_wegenregister(REAL)
    assert roads.crs.to_epsg() == 3812
    # only the unprefixed (transaction-zone) segments: the e*/i* copies are not read
    assert sorted(set(roads["segment_id"])) == [258977, 327783, 361901, 389633, 1114812]
    assert roads["id"].is_unique

    e40 = roads[roads["segment_id"] == 389633].sort_values("from_m")
    assert len(e40) == 2
    assert e40["from_m"].tolist() == pytest.approx([0.0, 397.346])
    assert e40["to_m"].tolist() == pytest.approx([397.346, 5770.341], abs=0.01)
    assert e40["lanes"].tolist() == [4.0, 3.0]
    assert e40["width_m"].tolist() == [15.0, 11.0]
    assert set(e40["lanes_direction"]) == {"forward"}
    assert set(e40["highway"]) == {"motorway"}
    assert all("E40" in ref.split(";") for ref in e40["ref"])
    assert set(e40["ref"]) == {"E40;A3"}

    service = roads[roads["segment_id"] == 1114812].iloc[0]
    assert service["highway"] == "service" and service["road_category"] is None
    assert math.isnan(service["width_m"]) and math.isnan(service["lanes"])  # -8 in the register

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r"Measured \(M\) geometry", category=UserWarning)
        segments = gpd.read_file(f"zip://{REAL}!Wegsegment.shp")
        morf_codes = pyogrio.read_dataframe(f"zip://{REAL}!WegsegmentLktMorf.dbf")["MORF"]
    assert set(morf_codes) <= set(MORF_HIGHWAY)  # every morphology of the register has a class
    assert roads.length.sum() == pytest.approx(segments.length.sum(), rel=1e-3)
    per_segment = (roads["to_m"] - roads["from_m"]).groupby(roads["segment_id"]).sum()
    lengths = segments.set_index("WS_OIDN").length
    assert per_segment.sort_index().tolist() == pytest.approx(lengths.sort_index().tolist(), abs=0.01)
    xmin, ymin, xmax, ymax = roads.total_bounds
    assert 540_000 < xmin < xmax < 800_000 and 520_000 < ymin < ymax < 750_000


@pytest.mark.shared_data
@pytest.mark.skipif(
    not REAL.exists(),
    reason="../shared/data/ign/wegenregister-tienen.zip absent (real Wegenregister extract)",
)
def test_e40_from_the_register_conflates_onto_the_embedded_motorway_edges(tmp_path):
    from enablement.cli import main
    from enablement.network.embedded import load_embedded_network
    from enablement.network.overlays import conflate, layer_overlay

    base = load_embedded_network()
    ov = layer_overlay("wegenregister", "roads", read_wegenregister(REAL))
    # the embedded network is coarse (straight lines between nodes kilometres apart): 1 km buffer
    net, report = conflate(base, ov, line_tolerance_m=1000)
    table = report.table.set_index("id")
    e40 = table[table.index.str.startswith("wr-389633-")]
    assert (e40["status"] == "matched").all()
    assert e40.loc["wr-389633-2", "share"] > 0.5
    # local roads have no counterpart in a main-roads-only network: unmatched, with the reason
    local = table.drop(e40.index)
    assert (local["status"] == "unmatched").all()
    assert local["reason"].str.contains("main roads only").all()
    edges = net.edges
    got = edges[edges["lanes_src"].astype(str).str.startswith("overlay:roads:wr-389633")]
    # lanes are counted in the digitisation direction only: one carriageway, a connected chain
    assert sorted(got["lanes"].tolist()) == [3.0, 4.0]
    assert set(got["ref"]) == {"E40;A3"} and set(got["highway"]) == {"motorway"}
    # so columns march there at the motorway's convoy speed, and at the policy speed on unclassed roads
    from enablement.network.speeds import class_speeds_kmh, march_speed_kmh

    assert (march_speed_kmh(got) == class_speeds_kmh()["motorway"]).all()
    assert got["v"].iloc[0] == got["u"].iloc[1] or got["u"].iloc[0] == got["v"].iloc[1]
    # the split pieces keep the total length of the network
    road = base.edges["mode"] == "road"
    assert net.edges.loc[net.edges["mode"] == "road", "length_m"].sum() == pytest.approx(
        base.edges.loc[road, "length_m"].sum(), rel=1e-9
    )
    # the same through the command line, report written beside the network
    out = tmp_path / "tienen.gpkg"
    assert main(["overlay", "--wegenregister", str(REAL), "--line-tolerance", "1000", "--out", str(out)]) == 0
    assert out.exists() and (tmp_path / "tienen-conflation" / "conflation.csv").exists()
