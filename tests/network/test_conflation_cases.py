"""Overlay conflation on project-made networks and layers: partial bridges, ties, closures, field mapping."""

import geopandas as gpd
import numpy as np
import pytest
import shapely
import yaml

from enablement.errors import NetworkError, OverlayError
from enablement.network.model import CRS, Network
from enablement.network.overlays import apply_overlay, closure_spans, conflate, read_overlay

X0, Y0 = 650_000.0, 680_000.0  # EPSG:3812, near Brussels


def roads(*lines, refs=None):
    """A network of two-way roads, each given as a list of (x, y) offsets in metres."""
    xy, index = [], {}

    def node(p):
        if p not in index:
            index[p] = len(xy)
            xy.append(p)
        return index[p]

    rows = []
    for k, coords in enumerate(lines):
        a, b = node(coords[0]), node(coords[-1])
        geom = shapely.LineString([(X0 + x, Y0 + y) for x, y in coords])
        ref = refs[k] if refs else None
        rows.append({"u": a, "v": b, "geometry": geom, "ref": ref})
        rows.append({"u": b, "v": a, "geometry": shapely.reverse(geom), "ref": ref})
    arr = np.array(xy, float) + np.array([X0, Y0])
    nodes = gpd.GeoDataFrame(
        {"mode": "road", "x": arr[:, 0], "y": arr[:, 1], "source_id": [str(i) for i in range(len(arr))]},
        geometry=shapely.points(arr),
        crs=CRS,
    )
    nodes.index.name = "node"
    edges = gpd.GeoDataFrame(rows, geometry="geometry", crs=CRS)
    edges["mode"] = "road"
    edges["length_m"] = edges.geometry.length
    edges["speed_kmh"] = 90.0
    edges["time_s"] = edges["length_m"] / 25.0
    return Network(nodes, edges, meta={"source": "osm"})


def write(folder, name, features, crs=CRS, driver="GeoJSON", suffix=".geojson"):
    folder.mkdir(parents=True, exist_ok=True)
    gdf = gpd.GeoDataFrame(
        [{k: v for k, v in f.items() if k != "geometry"} for f in features],
        geometry=[f["geometry"] for f in features],
        crs=crs,
    )
    path = folder / f"{name}{suffix}"
    gdf.to_file(path, driver=driver)
    return path


def bridge(id_, geom, **extra):
    return {
        "id": id_,
        "name": id_,
        "mlc_wheeled_oneway": 60,
        "mlc_wheeled_twoway": 40,
        "mlc_tracked_oneway": 60,
        "mlc_tracked_twoway": 40,
        "source": "test",
        "illustrative": True,
        "geometry": geom,
        **extra,
    }


def line(*pts):
    return shapely.LineString([(X0 + x, Y0 + y) for x, y in pts])


def test_a_bridge_over_part_of_an_edge_splits_it_and_only_the_deck_is_restricted(tmp_path):
    net = roads([(0, 0), (2000, 0)])
    write(tmp_path / "ov", "bridges", [bridge("deck", line((800, 3), (1100, 3)), length_m=300)])
    out, report = conflate(net, read_overlay(tmp_path / "ov"), line_tolerance_m=15)
    assert report.table.set_index("id").loc["deck", "status"] == "matched"
    e = out.edges
    deck = e[e["bridge_id"] == "deck"]
    assert len(deck) == 2  # both directions of the middle piece
    assert deck["length_m"].to_numpy() == pytest.approx([300.0, 300.0], abs=0.5)
    assert set(deck["mlc_tracked_twoway_src"]) == {"overlay:bridges:deck"}
    rest = e[e["bridge_id"].isna()]
    assert len(rest) == 4 and rest["mlc_tracked_twoway"].isna().all()
    assert e["length_m"].sum() == pytest.approx(2 * 2000.0)
    assert e["time_s"].sum() == pytest.approx(2 * 2000.0 / 25.0)
    # the two directions share the two new nodes; ids stay 0..n-1
    assert len(out.nodes) == 4 and sorted(out.nodes.index) == [0, 1, 2, 3]
    ends = {frozenset((int(a), int(b))) for a, b in zip(deck["u"], deck["v"], strict=True)}
    assert len(ends) == 1


def test_two_equidistant_roads_make_a_point_ambiguous_unless_it_names_its_road(tmp_path):
    net = roads([(0, 0), (2000, 0)], [(0, 40), (2000, 40)], refs=["N1", "N2"])
    mid = shapely.Point(X0 + 1000, Y0 + 20)
    write(tmp_path / "amb", "bridges", [bridge("b", mid)])
    _, report = conflate(net, read_overlay(tmp_path / "amb"))
    row = report.table.set_index("id").loc["b"]
    assert row["status"] == "ambiguous" and "about as near" in row["reason"]
    with pytest.raises(NetworkError, match="bridges 'b' is ambiguous"):
        apply_overlay(net, read_overlay(tmp_path / "amb"))
    write(tmp_path / "named", "bridges", [bridge("b", mid, road="N2")])
    out, report = conflate(net, read_overlay(tmp_path / "named"))
    assert report.table.set_index("id").loc["b", "status"] == "matched"
    assert set(out.edges.loc[out.edges["bridge_id"] == "b", "ref"]) == {"N2"}


def test_a_closure_window_closes_its_edges_for_that_window(tmp_path):
    net = roads([(0, 0), (2000, 0)], [(2000, 0), (4000, 0)])
    feats = [
        {
            "id": "works",
            "start": "2026-03-02T08:00:00+01:00",
            "end": "2026-03-02T18:00:00+01:00",
            "reason": "roadworks",
            "source": "test",
            "illustrative": True,
            "geometry": shapely.Point(X0 + 3000, Y0 + 5),
        }
    ]
    write(tmp_path / "ov", "closures", feats)
    out, report = conflate(net, read_overlay(tmp_path / "ov"))
    assert report.table.set_index("id").loc["works", "status"] == "matched"
    spans = closure_spans(out)
    rows = sorted(spans)
    assert len(rows) == 2  # both directions of the second road, nothing else
    assert {tuple(sorted((int(out.edges["u"].iloc[r]), int(out.edges["v"].iloc[r])))) for r in rows} == {
        tuple(sorted((1, 2)))
    }
    assert spans[rows[0]] == [("2026-03-02T08:00:00+01:00", "2026-03-02T18:00:00+01:00")]
    assert out.meta["closures"]["works"]["reason"] == "roadworks"


def test_a_user_field_mapping_reads_french_and_dutch_agency_layers(tmp_path):
    net = roads([(0, 0), (2000, 0)])
    folder = tmp_path / "agency"
    ponts = [
        {
            "ident": "P-17",
            "nom": "Pont de test",
            "classe_r1": 70,
            "classe_r2": 50,
            "classe_c1": 60,
            "classe_c2": 40,
            "geometry": shapely.Point(X0 + 500, Y0 + 2),
        }
    ]
    # the agency's own CRS (Belgian Lambert 72) and Shapefile format
    pts = gpd.GeoSeries([p["geometry"] for p in ponts], crs=CRS).to_crs(31370)
    for p, g in zip(ponts, pts, strict=True):
        p["geometry"] = g
    write(folder, "ponts", ponts, crs=31370, driver="ESRI Shapefile", suffix=".shp")
    hoogte = [{"oidn": 9, "doorrijhoogte": 3.9, "geometry": shapely.Point(X0 + 1500, Y0 - 3)}]
    write(folder, "beperkingen", hoogte, driver="GPKG", suffix=".gpkg")
    mapping = {
        "layers": {
            "bridges": {
                "file": "ponts.shp",
                "fields": {
                    "ident": "id",
                    "nom": "name",
                    "classe_r1": "mlc_wheeled_oneway",
                    "classe_r2": "mlc_wheeled_twoway",
                    "classe_c1": "mlc_tracked_oneway",
                    "classe_c2": "mlc_tracked_twoway",
                },
                "defaults": {"source": "SPW test", "illustrative": False},
            },
            "clearances": {
                "file": "beperkingen.gpkg",
                "layer": "beperkingen",
                "fields": {"oidn": "id", "doorrijhoogte": "maxheight_m"},
                "defaults": {"source": "AWV test", "illustrative": False},
            },
        }
    }
    (folder / "overlay.yaml").write_text(yaml.safe_dump(mapping))
    ov = read_overlay(folder)
    assert ov.bridges.loc["P-17", "mlc_wheeled_oneway"] == 70
    assert ov.bridges.loc["P-17", "source"] == "SPW test"
    out, report = conflate(net, ov)
    assert (report.table["status"] == "matched").all()
    assert (out.edges["bridge_id"] == "P-17").sum() == 2
    assert set(out.edges["maxheight_m"].dropna()) == {3.9}
    assert set(out.edges.loc[out.edges["maxheight_m"].notna(), "maxheight_m_src"]) == {"overlay:clearances:9"}


def test_bad_layers_are_reported_at_once_and_nothing_is_applied(tmp_path):
    folder = tmp_path / "bad"
    write(
        folder,
        "bridges",
        [
            bridge("zero", shapely.Point(X0, Y0), mlc_tracked_oneway=0),
            bridge("huge", shapely.Point(X0, Y0), mlc_wheeled_oneway=500),
            bridge("area", shapely.Polygon([(X0, Y0), (X0 + 5, Y0), (X0, Y0 + 5)])),
        ],
    )
    write(
        folder,
        "staging_areas",
        [
            {
                "id": "sa",
                "name": "SA",
                "capacity_vehicles": -5,
                "hours": "8h-17h",
                "source": "t",
                "illustrative": True,
                "geometry": shapely.Point(X0, Y0),
            }
        ],
    )
    write(
        folder,
        "closures",
        [
            {
                "id": "c",
                "start": "2026-03-02T08:00:00",
                "source": "t",
                "illustrative": True,
                "geometry": shapely.Point(X0, Y0),
            }
        ],
    )
    write(
        folder,
        "clearances",
        [{"id": "h", "source": "t", "illustrative": True, "geometry": shapely.Point(X0, Y0)}],
    )
    # a Shapefile without its .prj has no CRS
    write(
        folder,
        "width_restrictions",
        [
            {
                "id": "w",
                "maxwidth_m": 3.0,
                "geometry": shapely.Point(X0, Y0),
            }
        ],
        driver="ESRI Shapefile",
        suffix=".shp",
    )
    (folder / "width_restrictions.prj").unlink()
    with pytest.raises(OverlayError) as err:
        read_overlay(folder)
    text = str(err.value)
    for expected in (
        "bridges.geojson: feature 0 (zero): field 'mlc_tracked_oneway' = 0",
        "feature 1 (huge): field 'mlc_wheeled_oneway' = 500",
        "feature 2 (area): geometry: Polygon",
        "staging_areas.geojson: feature 0 (sa): field 'capacity_vehicles' = -5",
        "feature 0 (sa): field 'hours' = '8h-17h'; write HH:MM-HH:MM",
        "closures.geojson: feature 0 (c): field 'start' = '2026-03-02T08:00:00'; give an ISO date-time",
        "clearances.geojson: missing required field(s) maxheight_m",
        "width_restrictions.shp: no CRS",
    ):
        assert expected in text, expected
    assert text.startswith("9 problems in overlay")  # and MLC 0 is below its two-way class
