"""A scenario's overlays: entries resolve against the scenario's folder, for validation and planning alike.

wegenregister: and infrabel: sources with relative paths validate and plan (on small files the tests
write, and on the real ones in ../shared/data), a GeoPackage beside the scenario is found from any
working directory, and unknown schemes and missing files are reported with the other problems.
"""

import copy
import json

import geopandas as gpd
import pytest
import shapely
import yaml
from pyproj import Transformer

from enablement.errors import ScenarioError
from enablement.network.io import save_network
from enablement.network.osm import build_network as build_osm_network
from enablement.scenario import load_scenario
from tests.network.test_infrabel import section
from tests.network.test_osm import LAT, LON, osm_xml
from tests.network.test_wegenregister import segment, write_extract, zip_folder

START = "2026-03-02T06:00:00+01:00"
TINY = {
    "name": "tiny",
    "start": START,
    "network": {"source": "net/fixture.gpkg", "snap_tolerance_m": 200},
    "arrivals": [
        {
            "id": "s",
            "kind": "ship",
            "site": "port-west",
            "time": START,
            "equipment": [{"unit": "B", "vehicle": "boxer", "count": 4}],
        }
    ],
    "movements": [{"unit": "B", "to": "border-east", "rdd": "2026-03-03T00:00:00+01:00"}],
    "permissions": {"filing_from": "2026-01-15T08:00:00+01:00"},  # in time for today's 45 days' notice
}


def _sites(*rows):
    return gpd.GeoDataFrame(
        [
            {"id": sid, "name": sid, "kind": kind, "mode": "road", "source": "test", "illustrative": True}
            for sid, kind, _ in rows
        ],
        geometry=[shapely.Point(LON[node], LAT[node]) for _, _, node in rows],
        crs=4326,
    )


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    """A scenario folder: the fixture network, a sites GeoPackage, a register zip and Infrabel sections."""
    root = tmp_path_factory.mktemp("project")
    osm = root / "fixture.osm"
    osm.write_text(osm_xml())
    (root / "net").mkdir()
    save_network(build_osm_network(osm_file=osm), root / "net" / "fixture.gpkg")
    _sites(("port-west", "seaport", 1), ("border-east", "border_crossing", 6)).to_file(
        root / "sites.gpkg", layer="sites", driver="GPKG"
    )
    # road way 10 (nodes 1-2-3) as a register segment in Lambert 72, two lanes wide
    to_lambert = Transformer.from_crs(4326, 31370, always_xy=True)
    xy = [to_lambert.transform(LON[n], LAT[n]) for n in (1, 2, 3)]
    length = shapely.LineString(xy).length
    extract = write_extract(
        root / "extract",
        [segment(7, geometry=shapely.LineString(xy))],
        widths=[(11, 7, 7, 0.0, length)],
        lanes=[(21, 7, 2, 3, 0.0, length)],
    )
    (root / "data").mkdir()
    zip_folder(extract, root / "data" / "wr.zip")
    # rail way 16 (nodes 40-41-42) as an Infrabel line section
    line = [[LON[n], LAT[n]] for n in (40, 41, 42)]
    feats = [section(5, "100", "200", line, label="16", tracks=2)]
    (root / "data" / "sections.geojson").write_text(
        json.dumps({"type": "FeatureCollection", "features": feats})
    )
    return root


def _scenario(folder, overlays, **changes):
    data = {**copy.deepcopy(TINY), "overlays": overlays, **changes}
    path = folder / "tiny.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def test_sources_with_relative_paths_validate_and_plan_from_another_folder(project, tmp_path, monkeypatch):
    from enablement.plan import make_plan

    overlays = ["sites.gpkg", "wegenregister:data/wr.zip", "infrabel:data/sections.geojson"]
    path = _scenario(project, overlays)
    monkeypatch.chdir(tmp_path)  # nothing of the scenario is here
    sc = load_scenario(path)
    assert sc.overlays == overlays
    plan = make_plan(path)
    meta = plan.network.meta
    assert meta["overlay"] == f"{project / 'sites.gpkg'}+wr.zip+sections.geojson"
    assert meta["conflated"]["roads"] >= 1 and meta["conflated"]["rail_lines"] >= 1
    assert "Wegenregister" in meta["attribution"] and "Infrabel open data" in meta["attribution"]
    edges = plan.network.edges
    assert set(edges.loc[edges["lanes_src"].astype(str).str.startswith("overlay:roads:wr-7-"), "lanes"]) == {
        2.0
    }
    assert set(edges.loc[edges["mode"] == "rail", "rail_section_id"].dropna()) == {"ls-5"}
    assert {u.unit for u in plan.units} == {"B"} and plan.kpis()["units_late"] == 0


def test_a_geopackage_beside_the_scenario_is_found_from_another_working_directory(
    project, tmp_path, monkeypatch
):
    from enablement.plan import build_network

    path = _scenario(project, ["sites.gpkg"])
    monkeypatch.chdir(tmp_path)
    sc = load_scenario(path)
    net = build_network(sc, path.parent)  # the planner resolves it by the same rule
    assert set(net.sites.index) == {"port-west", "border-east"}


def test_unknown_scheme_and_missing_file_are_reported_with_the_other_problems(project):
    bad_time = {**TINY["arrivals"][0], "time": "2026-03-01T06:00:00+01:00"}
    path = _scenario(
        project,
        ["sites.gpkg", "roadworks:works.geojson", "infrabel:data/none.geojson"],
        arrivals=[bad_time],
    )
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    problems = err.value.problems
    assert len(problems) == 3, problems
    assert problems[0].startswith(
        f"{path}: overlays[1]: overlay 'roadworks:works.geojson': unknown overlay source 'roadworks:'; "
        "use one of infrabel:PATH, wegenregister:PATH, a folder, a GeoPackage or a packaged overlay name"
    )
    assert problems[1] == (
        f"{path}: overlays[2]: overlay 'infrabel:data/none.geojson': {project / 'data' / 'none.geojson'} "
        f"does not exist; give Infrabel's line-section layer (GeoJSON), as a path relative to {project} "
        "or an absolute path"
    )
    assert problems[2] == f"{path}: arrivals[0].time: 2026-03-01T06:00:00+01:00 is before the scenario start"


@pytest.mark.shared_data
@pytest.mark.slow
def test_real_register_and_line_sections_plan_on_the_embedded_network(shared_data, tmp_path, monkeypatch):
    from enablement.plan import make_plan

    folder = tmp_path / "exercise"
    (folder / "data").mkdir(parents=True)
    (folder / "data" / "tienen.zip").symlink_to(shared_data / "ign" / "wegenregister-tienen.zip")
    (folder / "data" / "sections.geojson").symlink_to(shared_data / "rail" / "infrabel-line-sections.geojson")
    overlays = ["belgium", "wegenregister:data/tienen.zip", "infrabel:data/sections.geojson"]
    movement = {"unit": "A", "to": "border-e40-lichtenbusch", "rdd": "2026-03-05T00:00:00+01:00"}
    arrival = {
        "id": "ship-1",
        "kind": "ship",
        "site": "port-antwerp",
        "time": "2026-03-02T08:00:00+01:00",
        "equipment": [{"unit": "A", "vehicle": "boxer", "count": 10}],
    }
    path = folder / "real.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "name": "real",
                "start": START,
                "overlays": overlays,
                "arrivals": [arrival],
                "movements": [movement],
                "permissions": {"filing_from": "2026-01-15T08:00:00+01:00"},  # in time for 45 days' notice
            }
        )
    )
    monkeypatch.chdir(tmp_path)
    plan = make_plan(path)
    meta = plan.network.meta
    assert meta["overlay"] == "belgium+tienen.zip+sections.geojson"
    assert meta["conflated"]["rail_lines"] > 100  # Infrabel sections along the embedded network's main lines
    assert "roads" in meta["conflated"]  # the register's pieces were conflated (matched or reported)
    assert "Rail line sections: Infrabel open data" in meta["attribution"]
    assert plan.kpis()["units_late"] == 0
