"""The catalogue's importers: OpenStreetMap files and Overpass, Wegenregister extracts and Infrabel line
sections gone wrong, through ``network build`` and ``overlay``. Each is exit 2 with one message naming the
file and the fix; no traceback, no hang, no abort of the process, and no request leaves this machine (the
Overpass and Nominatim addresses point at a closed local port, or the request is made to fail)."""

from __future__ import annotations

import json
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.bad_inputs.harness import Case, check
from tests.bad_inputs.test_network_files import world
from tests.small_world import osm_xml

CLOSED = "http://127.0.0.1:9"  # the discard port: refused at once, nothing leaves the machine


def osm(name: str, content: str | bytes) -> Callable[[Path], list[str]]:
    def make(d: Path) -> list[str]:
        path = d / name
        (path.write_bytes if isinstance(content, bytes) else path.write_text)(content)  # type: ignore[operator]
        return ["network", "build", "--osm-file", str(path), "--out", str(d / "o.gpkg")]

    return make


XML = osm_xml()
HEAD = '<?xml version="1.0" encoding="UTF-8"?>\n<osm version="0.6">\n'


def one_way(nodes: str, refs: str, tags: str = '<tag k="highway" v="trunk"/>') -> str:
    return f'{HEAD}{nodes}<way id="1" version="1">{refs}{tags}</way>\n</osm>\n'


OSM_CASES = [
    Case(
        "osm: truncated XML",
        osm("w.osm", XML[: len(XML) // 2]),
        words=("w.osm", "xml parsing error", ".osm.pbf"),
    ),
    Case(
        "osm: a node at lon 400",
        osm("w.osm", XML.replace('lon="4.3"', 'lon="400"', 1)),
        words=("w.osm", "no coordinate", "'400'", "±180°"),
    ),
    Case(
        "osm: a node at lat 100 (aborted the process)",
        osm("w.osm", XML.replace('lat="50.8"', 'lat="100"', 1)),
        words=("w.osm", "no coordinate", "±90°", "fix the node"),
    ),
    Case(
        "osm: a node at lat -91",
        osm("w.osm", XML.replace('lat="50.8"', 'lat="-91"', 1)),
        words=("w.osm", "latitude within ±90°"),
    ),
    Case(
        "osm: a node at lon nan",
        osm("w.osm", XML.replace('lon="4.3"', 'lon="nan"', 1)),
        words=("w.osm", "no coordinate", "'nan'"),
    ),
    Case(
        "osm: a way with no nodes",
        osm("w.osm", one_way("", "")),
        words=("w.osm", "no highway or railway edges", "fewer than two nodes"),
    ),
    Case(
        "osm: a way with one node",
        osm("w.osm", one_way('<node id="1" lat="50.8" lon="4.3"/>', '<nd ref="1"/>')),
        words=("w.osm", "no highway or railway"),
    ),
    Case(
        "osm: a way whose nodes are missing",
        osm("w.osm", one_way("", '<nd ref="1"/><nd ref="2"/>')),
        words=("w.osm", "no highway or railway"),
    ),
    Case("osm: an empty file", osm("w.osm", ""), words=("w.osm", "cannot be read as openstreetmap data")),
    Case(
        "osm: binary garbage named .osm",
        osm("w.osm", bytes(range(256)) * 10),
        words=("w.osm", "cannot be read as openstreetmap data", "not well-formed"),
    ),
    Case(
        "osm: garbage named .osm.pbf",
        osm("w.osm.pbf", bytes(range(256)) * 10),
        words=("w.osm.pbf", "pbf error"),
    ),
    Case(
        "osm: garbage named .osm.bz2",
        osm("w.osm.bz2", bytes(range(256)) * 10),
        words=("w.osm.bz2", "bzip2 error"),
    ),
    Case(
        "osm: the right data, a wrong extension",
        osm("w.txt", XML),
        words=("w.txt", "could not detect file format", ".osm, .osm.bz2 or .osm.pbf"),
    ),
    Case(
        "osm: nodes but no ways",
        osm("w.osm", f'{HEAD}<node id="1" lat="50.8" lon="4.3"/>\n</osm>\n'),
        words=("w.osm", "no highway or railway ways", "--highways"),
    ),
    Case(
        "osm: only footways",
        osm(
            "w.osm",
            XML.replace('v="secondary"', 'v="footway"')
            .replace('v="trunk"', 'v="footway"')
            .replace('<tag k="railway" v="rail"/>', ""),
        ),
        words=("w.osm", "no highway or railway ways of the classes asked for"),
    ),
    Case(
        "osm: --highways of classes that are not there",
        lambda d: [
            *osm("w.osm", XML.replace('<tag k="railway" v="rail"/>', ""))(d),
            "--highways",
            "motorway",
        ],
        words=("w.osm", "no highway or railway ways"),
    ),
    Case(
        "osm: no such file",
        lambda d: ["network", "build", "--osm-file", str(d / "nope.osm"), "--out", str(d / "o.gpkg")],
        words=("nope.osm", "no such osm file"),
    ),
    Case(
        "osm: a folder as the file",
        lambda d: ["network", "build", "--osm-file", str(d), "--out", str(d / "o.gpkg")],
        words=("no such osm file",),
    ),
    Case(
        "polygon: not a polygon layer",
        lambda d: (
            d.joinpath("area.geojson").write_text("{not json"),
            ["network", "build", "--polygon", str(d / "area.geojson"), "--out", str(d / "o.gpkg")],
        )[1],
        words=("area.geojson", "cannot be read as a polygon layer"),
    ),
]


@pytest.fixture
def offline(monkeypatch):
    """Overpass and Nominatim at a closed local port: every request fails at once, on this machine."""
    import osmnx as ox

    monkeypatch.setattr(ox.settings, "overpass_url", f"{CLOSED}/api")
    monkeypatch.setattr(ox.settings, "nominatim_url", f"{CLOSED}/")


ONLINE_CASES = [
    Case(
        "overpass: --bbox with no network",
        lambda d: [
            "network",
            "build",
            "--bbox",
            "4.30",
            "50.80",
            "4.31",
            "50.81",
            "--out",
            str(d / "o.gpkg"),
        ],
        words=("cannot reach overpass", "127.0.0.1:9", "no network?", "--osm-file"),
        timeout_s=30,
    ),
    Case(
        "overpass: --place with no network",
        lambda d: ["network", "build", "--place", "Leuven", "--out", str(d / "o.gpkg")],
        words=("cannot reach nominatim", "'leuven'", "no network?"),
        timeout_s=30,
    ),
]


@pytest.mark.parametrize("case", OSM_CASES, ids=[c.id for c in OSM_CASES])
def test_osm_case(case, tmp_path):
    check(case, tmp_path)


@pytest.mark.parametrize("case", ONLINE_CASES, ids=[c.id for c in ONLINE_CASES])
def test_online_case(case, tmp_path, offline):
    check(case, tmp_path)


def test_overpass_request_that_fails_midway(tmp_path, monkeypatch):
    """The status endpoint answers, the query does not: the same one message."""
    import osmnx as ox
    import requests

    def fail(polygon, tags):
        raise requests.ConnectionError("Connection aborted.")

    monkeypatch.setattr(ox.features, "features_from_polygon", fail)
    case = Case(
        "overpass: the query fails",
        lambda d: [
            "network",
            "build",
            "--bbox",
            "4.30",
            "50.80",
            "4.31",
            "50.81",
            "--out",
            str(d / "o.gpkg"),
        ],
        words=("cannot reach overpass", "connection aborted", "--osm-file"),
    )
    check(case, tmp_path)


def test_unknown_place(tmp_path, monkeypatch):
    import osmnx as ox

    def nothing(query, *args, **kwargs):
        msg = f"Nominatim could not geocode query {query!r}."
        raise ox._errors.InsufficientResponseError(msg)

    monkeypatch.setattr(ox, "geocode_to_gdf", nothing)
    case = Case(
        "nominatim: no such place",
        lambda d: ["network", "build", "--place", "Atlantis", "--out", str(d / "o.gpkg")],
        words=("--place 'atlantis'", "found no area", "--bbox"),
    )
    check(case, tmp_path)


# Wegenregister extracts, as `overlay --wegenregister` onto the small world's network


def wegenregister(make_extract: Callable[[Path], Path]) -> Callable[[Path], list[str]]:
    def make(d: Path) -> list[str]:
        extract = make_extract(d)
        return [
            "overlay",
            "--wegenregister",
            str(extract),
            "--network",
            str(world(d)),
            "--out",
            str(d / "o.gpkg"),
        ]

    return make


def zipped(members: dict[str, bytes]) -> Callable[[Path], Path]:
    def make(d: Path) -> Path:
        path = d / "extract.zip"
        with zipfile.ZipFile(path, "w") as z:
            for name, data in members.items():
                z.writestr(name, data)
        return path

    return make


def small_extract(segments=None, drop: tuple[str, ...] = (), **tables: object) -> Callable[[Path], Path]:
    """A small extract in the official schema (as the Wegenregister tests write it), zipped."""

    def make(d: Path) -> Path:
        import geopandas as gpd
        import pandas as pd

        from tests.network.test_wegenregister import segment, write_extract, zip_folder

        rows = [segment(1), segment(2, y=50.0)] if segments is None else segments
        rows = rows() if callable(rows) else rows
        folder = write_extract(d / "extract", rows or [segment(1)], **tables)
        if not rows:  # the segment layer with its fields and no feature
            empty = gpd.GeoDataFrame(
                pd.DataFrame([segment(1)]).iloc[:0], geometry="geometry", crs="EPSG:31370"
            )
            empty.to_file(folder / "Wegsegment.shp")
        for name in drop:
            (folder / name).unlink()
        return zip_folder(folder, d / "extract.zip")

    return make


def _segment_without_morf():
    from tests.network.test_wegenregister import segment

    row = segment(1)
    del row["MORF"]
    return [row]


WEGENREGISTER_CASES = [
    Case(
        "wegenregister: a zip without the expected layers",
        wegenregister(zipped({"readme.txt": b"hello"})),
        words=("extract.zip", "wegsegment.shp: missing", "attwegbreedte.dbf: missing"),
    ),
    Case(
        "wegenregister: a corrupt zip",
        wegenregister(
            lambda d: (d / "extract.zip", d.joinpath("extract.zip").write_bytes(b"PK\x03\x04" + bytes(300)))[
                0
            ]
        ),
        words=("extract.zip", "not a zip archive", "as downloaded"),
    ),
    Case(
        "wegenregister: garbage in the expected files",
        wegenregister(
            zipped(
                {
                    n: b"garbage"
                    for n in (
                        "Wegsegment.shp",
                        "Wegsegment.shx",
                        "Wegsegment.dbf",
                        "Wegsegment.prj",
                        "AttWegbreedte.dbf",
                        "AttRijstroken.dbf",
                        "AttEuropweg.dbf",
                        "AttNationweg.dbf",
                    )
                }
            )
        ),
        words=("extract.zip", "cannot be read"),
    ),
    Case(
        "wegenregister: an empty folder",
        wegenregister(lambda d: (d / "empty").mkdir() or d / "empty"),
        words=("empty", "wegsegment.shp: missing"),
    ),
    Case(
        "wegenregister: no such extract",
        wegenregister(lambda d: d / "nope.zip"),
        words=("nope.zip", "does not exist"),
    ),
    Case(
        "wegenregister: no segment at all (accepted before)",
        wegenregister(small_extract(segments=[])),
        words=("extract.zip", "holds no road segment"),
    ),
    Case(
        "wegenregister: a segment field missing",
        wegenregister(small_extract(segments=_segment_without_morf)),
        words=("extract.zip", "wegsegment.shp: missing required field(s) morf"),
    ),
    Case(
        "wegenregister: no .prj",
        wegenregister(small_extract(drop=("Wegsegment.prj",))),
        words=("wegsegment.prj: missing", "no crs"),
    ),
    Case(
        "wegenregister: a width row for no segment",
        wegenregister(small_extract(widths=[(1, 99, 6, 0.0, 10.0)])),
        words=("attwegbreedte.dbf", "ws_oidn: 99 refers to no segment"),
    ),
]


# Infrabel line sections, as `network build --infrabel` and `overlay --infrabel`


def feature(coords: object, geometry: str = "LineString", **props: object) -> dict[str, object]:
    base: dict[str, object] = {"ptcarfrom": "A", "ptcarto": "B", "nrtracks": 2, "ecs_voltfreq": "3kV DC"}
    geom = None if coords is None else {"type": geometry, "coordinates": coords}
    return {"type": "Feature", "geometry": geom, "properties": base | props}


def infrabel(features: list[dict[str, object]] | str, command: str = "build") -> Callable[[Path], list[str]]:
    def make(d: Path) -> list[str]:
        path = d / "sections.geojson"
        text = (
            features
            if isinstance(features, str)
            else json.dumps({"type": "FeatureCollection", "features": features})
        )
        path.write_text(text)
        if command == "build":
            return ["network", "build", "--infrabel", str(path), "--out", str(d / "o.gpkg")]
        return ["overlay", "--infrabel", str(path), "--network", str(world(d)), "--out", str(d / "o.gpkg")]

    return make


LINE = [[4.30, 50.78], [4.40, 50.78]]

INFRABEL_CASES = [
    Case(
        "infrabel: GeoJSON without the expected fields",
        infrabel(
            [
                {
                    "type": "Feature",
                    "geometry": {"type": "LineString", "coordinates": LINE},
                    "properties": {"name": "x"},
                }
            ]
        ),
        words=("sections.geojson", "missing required field(s) ptcarfrom, ptcarto, nrtracks, ecs_voltfreq"),
    ),
    Case(
        "infrabel: an empty FeatureCollection (build)",
        infrabel([]),
        words=("sections.geojson", "holds no line sections"),
    ),
    Case(
        "infrabel: an empty FeatureCollection (overlay)",
        infrabel([], "overlay"),
        words=("sections.geojson", "holds no line sections"),
    ),
    Case(
        "infrabel: not JSON",
        infrabel("{oops"),
        words=("sections.geojson", "cannot be read as a vector layer"),
    ),
    Case(
        "infrabel: no section has its ends (an IndexError before)",
        infrabel([feature(LINE, ptcarfrom=None, ptcarto=None)]),
        words=("sections.geojson", "no line section has both ends"),
    ),
    Case(
        "infrabel: no section has a geometry (an IndexError before)",
        infrabel([feature(None)], "overlay"),
        words=("sections.geojson", "no line section has both ends (ptcarfrom, ptcarto) and a geometry"),
    ),
    Case(
        "infrabel: points instead of lines (accepted before)",
        infrabel([feature([4.3, 50.78], "Point")]),
        words=("sections.geojson", "is no line"),
    ),
    Case(
        "infrabel: a coordinate at lon 400 (accepted before)",
        infrabel([feature([[400, 50.78], [4.40, 50.78]])]),
        words=("sections.geojson", "beyond ±180° longitude or ±90° latitude"),
    ),
]

OVERLAY_CASES = [
    Case(
        "overlay: a bridges layer alone, its MLC fields missing",
        lambda d: (
            (d / "ov").mkdir(),
            (d / "ov" / "bridges.geojson").write_text(
                json.dumps(
                    {
                        "type": "FeatureCollection",
                        "features": [
                            {
                                "type": "Feature",
                                "geometry": {"type": "Point", "coordinates": [4.36, 50.82]},
                                "properties": {
                                    "id": "b1",
                                    "name": "B",
                                    "mlc_wheeled_twoway": 40,
                                    "source": "t",
                                    "illustrative": True,
                                },
                            }
                        ],
                    }
                )
            ),
            ["overlay", str(d / "ov"), "--network", str(world(d)), "--out", str(d / "o.gpkg")],
        )[2],
        words=("bridges.geojson", "missing required field(s) mlc_wheeled_oneway"),
    ),
]

FILE_CASES = WEGENREGISTER_CASES + INFRABEL_CASES + OVERLAY_CASES


@pytest.mark.parametrize("case", FILE_CASES, ids=[c.id for c in FILE_CASES])
def test_file_case(case, tmp_path):
    check(case, tmp_path)


def test_a_bridges_layer_alone_is_an_overlay(tmp_path, capsys):
    """A folder holding only a bridges layer (KeyError: 'kind' in an earlier version) conflates and routes."""
    from enablement.cli import main

    (tmp_path / "ov").mkdir()
    props = {f"mlc_{k}_{w}": m for k in ("wheeled", "tracked") for w, m in (("twoway", 40), ("oneway", 50))}
    bridge = {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [4.375, 50.82]},
        "properties": {"id": "b1", "name": "B", "source": "t", "illustrative": True, **props},
    }
    (tmp_path / "ov" / "bridges.geojson").write_text(
        json.dumps({"type": "FeatureCollection", "features": [bridge]})
    )
    net = str(world(tmp_path))
    assert main(["overlay", str(tmp_path / "ov"), "--network", net, "--out", str(tmp_path / "o.gpkg")]) == 0
    assert "bridges              1 matched" in capsys.readouterr().out
    args = [
        "route",
        "4.30,50.82",
        "4.42,50.82",
        "--vehicle",
        "boxer",
        "--network",
        str(tmp_path / "o.gpkg"),
        "--overlay",
        str(tmp_path / "ov"),
        "--map",
        str(tmp_path / "r.html"),
    ]
    assert main(args) == 0
    assert "bridges    b1" in capsys.readouterr().out


def test_good_files_still_build(tmp_path):
    """The fixes keep good inputs as they were: the small world's OSM file builds its network."""
    from enablement.network.osm import build_network

    (tmp_path / "w.osm").write_text(XML)
    net = build_network(osm_file=tmp_path / "w.osm")
    assert (net.n_nodes, net.n_edges) == (17, 46)
