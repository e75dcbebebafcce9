"""Overlay sources: wegenregister: and infrabel: entries, the resolution rule, errors, custom schemes."""

import json

import geopandas as gpd
import pytest
import shapely

from enablement.errors import OverlayError
from enablement.network.overlays import (
    Overlay,
    layer_overlay,
    overlay_sources,
    read_overlay,
    register_overlay_source,
    resolve_overlay,
)
from enablement.network.overlays import sources as sources_module
from tests.network.test_infrabel import section
from tests.network.test_wegenregister import segment, write_extract, zip_folder

LINE = [[4.40, 51.20], [4.42, 51.21], [4.45, 51.22]]  # WGS84, near Antwerp


def infrabel_file(path):
    feats = [
        section(1, "10", "20", LINE),
        section(2, "20", "30", [[4.45, 51.22], [4.47, 51.23]], label="27A"),
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"type": "FeatureCollection", "features": feats}))
    return path


def wegenregister_zip(tmp_path, target):
    folder = write_extract(
        tmp_path / "extract", [segment(1)], widths=[(11, 1, 6, 0.0, 100.0)], lanes=[(21, 1, 2, 3, 0.0, 100.0)]
    )
    target.parent.mkdir(parents=True, exist_ok=True)
    return zip_folder(folder, target)


@pytest.fixture
def own_registry(monkeypatch):
    """Sources registered by a test stay in that test."""
    monkeypatch.setattr(sources_module, "_SOURCES", dict(sources_module._SOURCES))


def test_builtin_sources_are_registered():
    assert {"wegenregister", "infrabel"} <= set(overlay_sources())


def test_infrabel_source_from_the_python_api(tmp_path, monkeypatch):
    path = infrabel_file(tmp_path / "rail" / "sections.geojson")
    ov = read_overlay(f"infrabel:{path}")
    lines = ov.layer("rail_lines")
    assert sorted(lines.index) == ["ls-1", "ls-2"] and set(lines["line"]) == {"24", "27A"}
    assert lines.crs.to_epsg() == 3812 and len(ov.sites) == 0 and len(ov.bridges) == 0
    assert set(ov.features["kind"]) == {"operational_point"} and len(ov.features) == 3
    assert ov.attribution == ("Rail line sections: Infrabel open data",)
    assert ov.name == "sections.geojson"
    # a relative PATH is taken against base, else from the working directory
    assert len(read_overlay("infrabel:rail/sections.geojson", base=tmp_path).layer("rail_lines")) == 2
    monkeypatch.chdir(tmp_path / "rail")
    assert len(read_overlay("Infrabel:sections.geojson").layer("rail_lines")) == 2  # schemes ignore case


def test_wegenregister_source_zip_and_folder(tmp_path):
    zipped = wegenregister_zip(tmp_path, tmp_path / "data" / "wr.zip")
    for entry in ("wegenregister:data/wr.zip", "wegenregister:extract"):
        ov = read_overlay(entry, base=tmp_path)
        roads = ov.layer("roads")
        assert roads["id"].tolist() == ["wr-1-1"], entry
        assert roads["lanes"].tolist() == [2.0] and roads["width_m"].tolist() == [6.0]
        assert "Wegenregister" in ov.attribution[0]
    assert resolve_overlay("wegenregister:data/wr.zip", tmp_path).path == zipped


def test_resolution_prefers_the_scenario_folder_and_falls_back_to_packaged_names(tmp_path):
    entry = resolve_overlay("belgium", tmp_path)
    assert entry.scheme is None and entry.name == "belgium" and (entry.path / "sites.geojson").exists()
    local = tmp_path / "belgium"
    local.mkdir()
    entry = resolve_overlay("belgium", tmp_path)
    assert entry.path == local and entry.name == str(local)  # a folder beside the scenario wins


def test_unknown_scheme_names_the_entry_and_the_known_sources(tmp_path):
    with pytest.raises(OverlayError) as err:
        read_overlay("roadworks:works.geojson", base=tmp_path)
    text = str(err.value)
    assert text.startswith("overlay 'roadworks:works.geojson': unknown overlay source 'roadworks:'")
    assert "infrabel:PATH" in text and "wegenregister:PATH" in text and "register_overlay_source" in text


def test_missing_file_names_the_entry_the_path_and_the_fix(tmp_path):
    with pytest.raises(OverlayError) as err:
        read_overlay("infrabel:rail/none.geojson", base=tmp_path)
    assert str(err.value) == (
        f"overlay 'infrabel:rail/none.geojson': {tmp_path / 'rail' / 'none.geojson'} does not exist; "
        f"give Infrabel's line-section layer (GeoJSON), as a path relative to {tmp_path} or an absolute path"
    )
    with pytest.raises(OverlayError, match="relative to the working directory"):
        read_overlay("wegenregister:none.zip")
    with pytest.raises(OverlayError, match="names no file; write infrabel:PATH"):
        read_overlay("infrabel:")


def test_files_of_the_wrong_kind(tmp_path):
    (tmp_path / "notes.txt").write_text("not a layer")
    (tmp_path / "folder").mkdir()
    cases = {
        "infrabel:folder": "folder is a folder; give Infrabel's line-section file (GeoJSON)",
        "infrabel:notes.txt": "not Infrabel's line-section layer (a GeoJSON with fields ptcarfrom",
        "wegenregister:notes.txt": "notes.txt is not a zip archive; give the Wegenregister extract",
    }
    for entry, expected in cases.items():
        with pytest.raises(OverlayError) as err:
            read_overlay(entry, base=tmp_path)
        text = str(err.value)
        assert text.startswith(f"overlay '{entry}': ") and expected in text, text
    # a layer without Infrabel's fields
    other = tmp_path / "other.geojson"
    other.write_text(json.dumps({"type": "FeatureCollection", "features": [section(1, "1", "2", LINE)]}))
    data = json.loads(other.read_text())
    del data["features"][0]["properties"]["nrtracks"]
    other.write_text(json.dumps(data))
    with pytest.raises(OverlayError, match=r"missing required field\(s\) nrtracks"):
        read_overlay("infrabel:other.geojson", base=tmp_path)
    with pytest.raises(OverlayError, match="a field mapping applies to overlay folders and GeoPackages"):
        read_overlay("infrabel:other.geojson", base=tmp_path, mapping=tmp_path / "overlay.yaml")


def test_a_registered_scheme_reads_like_the_builtin_ones(tmp_path, own_registry):
    def read_heights(path):
        raw = gpd.read_file(path)
        layer = raw.rename(columns={"hoogte": "maxheight_m"}).assign(source="test", illustrative=False)
        return layer_overlay(path.name, "clearances", layer)

    register_overlay_source("heights", read_heights, what="a GeoJSON of clearances")
    assert overlay_sources()["heights"] == "a GeoJSON of clearances"
    gdf = gpd.GeoDataFrame({"id": ["h1"], "hoogte": [3.9]}, geometry=[shapely.Point(4.4, 51.2)], crs=4326)
    gdf.to_file(tmp_path / "heights.geojson", driver="GeoJSON")
    ov = read_overlay("heights:heights.geojson", base=tmp_path)
    assert isinstance(ov, Overlay) and ov.layer("clearances")["maxheight_m"].tolist() == [3.9]
    # the reader's own errors name the entry
    gdf.assign(hoogte=[99.0]).to_file(tmp_path / "bad.geojson", driver="GeoJSON")
    with pytest.raises(OverlayError, match=r"^overlay 'heights:bad.geojson': 1 problem\(s\) in bad.geojson"):
        read_overlay("heights:bad.geojson", base=tmp_path)
    with pytest.raises(
        OverlayError, match="does not exist; give a GeoJSON of clearances, as a path relative to"
    ):
        read_overlay("heights:none.geojson", base=tmp_path)


def test_registration_rules(own_registry):
    def reader(path):
        return "not an overlay"

    with pytest.raises(ValueError, match="already registered"):
        register_overlay_source("infrabel", reader)
    for bad in ("x", "2d", "with space", ""):
        with pytest.raises(ValueError, match="overlay source scheme"):
            register_overlay_source(bad, reader)
    register_overlay_source("broken", reader)
    register_overlay_source("BROKEN", reader, replace=True)  # case-insensitive
    with pytest.raises(TypeError, match="returned a str, not an Overlay"):
        read_overlay("broken:.")


@pytest.mark.shared_data
def test_real_sources(shared_data):
    infrabel = read_overlay(f"infrabel:{shared_data / 'rail' / 'infrabel-line-sections.geojson'}")
    assert len(infrabel.layer("rail_lines")) > 900 and len(infrabel.features) > 500
    roads = read_overlay("wegenregister:ign/wegenregister-tienen.zip", base=shared_data).layer("roads")
    assert sorted(set(roads["segment_id"])) == [258977, 327783, 361901, 389633, 1114812]
    assert "E40;A3" in set(roads["ref"])


def test_cli_flags_are_shorthands_for_the_sources(tmp_path, monkeypatch, capsys):
    from enablement.cli import main
    from enablement.network.io import load_network, save_network
    from enablement.network.osm import build_network
    from tests.network.test_osm import LAT, LON, osm_xml

    osm = tmp_path / "fixture.osm"
    osm.write_text(osm_xml())
    save_network(build_network(osm_file=osm), tmp_path / "net.gpkg")
    rail = [[LON[n], LAT[n]] for n in (40, 41, 42)]
    sections = tmp_path / "data" / "sections.geojson"
    sections.parent.mkdir()
    sections.write_text(
        json.dumps({"type": "FeatureCollection", "features": [section(5, "100", "200", rail, label="16")]})
    )
    monkeypatch.chdir(tmp_path)
    common = ["overlay", "--network", "net.gpkg"]
    assert main([*common, "--infrabel", "data/sections.geojson", "--out", "flag.gpkg"]) == 0
    assert main([*common, "infrabel:data/sections.geojson", "--out", "entry.gpkg"]) == 0
    flag, entry = load_network(tmp_path / "flag.gpkg"), load_network(tmp_path / "entry.gpkg")
    assert flag.meta["overlay"] == entry.meta["overlay"] == "sections.geojson"
    assert flag.edges.equals(entry.edges) and flag.features.equals(entry.features)
    assert set(flag.edges["rail_section_id"].dropna()) == {"ls-5"}
    capsys.readouterr()
    assert main([*common, "--wegenregister", "none.zip", "--out", "x.gpkg"]) == 2
    err = capsys.readouterr().err
    assert "overlay 'wegenregister:none.zip': none.zip does not exist; give a Wegenregister extract" in err
