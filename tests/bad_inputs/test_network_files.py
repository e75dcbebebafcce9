"""The catalogue's network files: a GeoPackage edited by hand (columns dropped or mistyped, ids that point
nowhere, empty layers, non-finite numbers, another CRS), files that are no network at all. Each is refused
when loaded, by ``network info``, ``route --network`` or ``overlay --network``: exit 2 and one message naming
the file, the layer, the column and the fix; no traceback, no hang."""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyogrio
import pytest

from tests.bad_inputs.harness import Case, check

_BASE: dict[str, Path] = {}


def world(folder: Path) -> Path:
    """The small world's network GeoPackage (built once per process, copied into ``folder``)."""
    from tests.small_world import write_world

    base = _BASE.get("gpkg")
    if base is None or not base.is_file():
        sc = write_world(folder / "_base-world")
        base = _BASE["gpkg"] = sc.parent / "world.gpkg"
    return base


def copy_world(folder: Path, name: str = "net.gpkg") -> Path:
    target = folder / name
    shutil.copyfile(world(folder), target)
    return target


def edited(
    layer: str, change: Callable[[gpd.GeoDataFrame], gpd.GeoDataFrame | None]
) -> Callable[[Path], Path]:
    """A copy of the world whose ``layer`` went through ``change`` (as a user editing it in QGIS)."""

    def make(folder: Path) -> Path:
        path = copy_world(folder)
        frame = gpd.read_file(path, layer=layer, engine="pyogrio")
        out = change(frame)
        frame = out if out is not None else frame
        pyogrio.write_dataframe(frame, path, layer=layer, driver="GPKG")
        return path

    return make


def sql(statement: str) -> Callable[[Path], Path]:
    """A copy of the world changed in SQLite directly (a GeoPackage is an SQLite file)."""

    def make(folder: Path) -> Path:
        path = copy_world(folder)
        con = sqlite3.connect(path)
        for fn in (
            "ST_IsEmpty",
            "ST_MinX",
            "ST_MaxX",
            "ST_MinY",
            "ST_MaxY",
        ):  # the R-tree triggers' functions
            con.create_function(fn, 1, lambda _g: 0)
        con.execute(statement)
        con.commit()
        con.close()
        return path

    return make


def drop(col: str) -> Callable[[gpd.GeoDataFrame], gpd.GeoDataFrame]:
    return lambda f: f.drop(columns=col)


def put(col: str, row: int, value: object, dtype: object = None) -> Callable[[gpd.GeoDataFrame], None]:
    def change(f: gpd.GeoDataFrame) -> None:
        if dtype is not None:
            f[col] = f[col].astype(dtype)
        f.loc[row, col] = value

    return change


def info(make: Callable[[Path], Path]) -> Callable[[Path], list[str]]:
    return lambda d: ["network", "info", str(make(d))]


def case(cid: str, make: Callable[[Path], Path], *words: str, via: str = "info") -> Case:
    if via == "route":
        return Case(
            cid,
            lambda d: [
                "route",
                "4.30,50.82",
                "4.42,50.82",
                "--vehicle",
                "boxer",
                "--network",
                str(make(d)),
                "--overlay",
                str(_overlay(d)),
                "--map",
                str(d / "r.html"),
            ],
            words=("net.gpkg", *words),
        )
    if via == "overlay":
        return Case(
            cid,
            lambda d: ["overlay", str(_overlay(d)), "--network", str(make(d)), "--out", str(d / "o.gpkg")],
            words=("net.gpkg", *words),
        )
    return Case(cid, info(make), words=("net.gpkg", *words))


def _overlay(folder: Path) -> Path:
    return world(folder).parent / "overlay"


def garbage(content: bytes, name: str = "net.gpkg") -> Callable[[Path], Path]:
    def make(folder: Path) -> Path:
        path = folder / name
        path.write_bytes(content)
        return path

    return make


def foreign(folder: Path) -> Path:
    """A GeoPackage of someone else's layers (roads and buildings)."""
    import shapely

    path = folder / "net.gpkg"
    gpd.GeoDataFrame({"name": ["a"]}, geometry=[shapely.LineString([(0, 0), (1, 1)])], crs=3812).to_file(
        path, layer="roads", engine="pyogrio"
    )
    gpd.GeoDataFrame({"h": [3]}, geometry=[shapely.Point(0, 0).buffer(1)], crs=3812).to_file(
        path, layer="buildings", engine="pyogrio"
    )
    return path


def reprojected(folder: Path) -> Path:
    """The world with its nodes and edges saved in EPSG:4326 (x/y left in metres)."""
    path = copy_world(folder)
    for layer in ("nodes", "edges"):
        frame = gpd.read_file(path, layer=layer, engine="pyogrio").to_crs(4326)
        pyogrio.write_dataframe(frame, path, layer=layer, driver="GPKG")
    return path


def emptied(layer: str) -> Callable[[Path], Path]:
    return edited(layer, lambda f: f.iloc[:0])


def with_sites(change: Callable[[gpd.GeoDataFrame], None]) -> Callable[[Path], Path]:
    """The world with its overlay's sites saved in the file, then changed."""

    def make(folder: Path) -> Path:
        from enablement.network.io import load_network, save_network
        from enablement.network.overlays import apply_overlay, read_overlay

        path = folder / "net.gpkg"
        net = apply_overlay(load_network(world(folder)), read_overlay(_overlay(folder)))
        save_network(net, path)
        sites = gpd.read_file(path, layer="sites", engine="pyogrio")
        change(sites)
        pyogrio.write_dataframe(sites, path, layer="sites", driver="GPKG")
        return path

    return make


def shuffled_ids(f: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    f["node"] = f["node"].to_numpy()[::-1]
    return f


CASES = [
    # each required column missing
    *(
        case(f"nodes without {c}", edited("nodes", drop(c)), f"nodes: {c}: the column is missing", "rebuild")
        for c in ("mode", "x", "y")
    ),
    case(
        "nodes without their ids", edited("nodes", drop("node")), "nodes: node: the column of ids is missing"
    ),
    *(
        case(f"edges without {c}", edited("edges", drop(c)), f"edges: {c}: the column is missing", "rebuild")
        for c in ("u", "v", "mode", "length_m", "speed_kmh", "time_s")
    ),
    # mistyped columns
    case(
        "text in edges.length_m (a text column)",
        edited("edges", put("length_m", 3, "long", object)),
        "edges: length_m: holds text",
        "'long'",
        "numbers",
    ),
    case(
        "text in nodes.x (typed into the REAL column)",
        sql("UPDATE nodes SET x = 'here' WHERE fid = 3"),
        "nodes: x: 'here' at fid 3",
        "give a number",
    ),
    case(
        "text in edges.speed_kmh (typed into the REAL column)",
        sql("UPDATE edges SET speed_kmh = 'fast' WHERE fid IN (2, 5)"),
        "edges: speed_kmh: 'fast' at 2 rows",
    ),
    case(
        "text in edges.u (typed into the INTEGER column)",
        sql("UPDATE edges SET u = 'n1' WHERE fid = 1"),
        "edges: u: 'n1' at fid 1",
    ),
    # non-finite, negative or zero numbers
    case("a NaN length", edited("edges", put("length_m", 2, np.nan)), "edges: length_m: nan at edge 2"),
    case(
        "an infinite speed", edited("edges", put("speed_kmh", 2, np.inf)), "edges: speed_kmh: inf at edge 2"
    ),
    case("a negative length", edited("edges", put("length_m", 4, -12.0)), "edges: length_m: -12 at edge 4"),
    case(
        "a zero speed", edited("edges", put("speed_kmh", 0, 0.0)), "edges: speed_kmh: 0 at edge 0", "above 0"
    ),
    case("a negative time", edited("edges", put("time_s", 1, -1.0)), "edges: time_s: -1 at edge 1"),
    case(
        "a negative MLC limit",
        edited("edges", put("mlc_tracked_twoway", 1, -40.0)),
        "edges: mlc_tracked_twoway: a negative limit",
    ),
    case(
        "a NaN node coordinate", edited("nodes", put("y", 5, np.nan)), "nodes: y: no finite number at node 5"
    ),
    case(
        "a node of mode 'ferry'", edited("nodes", put("mode", 2, "ferry")), "nodes: mode: 'ferry' at node 2"
    ),
    # references that point nowhere
    case("edges.u not a node id", edited("edges", put("u", 3, 999)), "edges: u: 999 at edge 3 is no node id"),
    case("edges.v negative", edited("edges", put("v", 0, -4)), "edges: v: -4 at edge 0 is no node id"),
    case("node ids shuffled", edited("nodes", shuffled_ids), "nodes: node: the ids must be 0…16 in order"),
    case(
        "a road edge onto a rail node",
        edited("edges", put("v", 1, 0)),  # edge 1 is a road, node 0 the rail line's end (Hilbert order)
        "edges: u/v: a road edge",
        "nodes of their mode",
    ),
    case(
        "a site's road node out of range",
        with_sites(put("node_road", 0, 999)),
        "sites: node_road: 999",
        "apply the overlay again",
    ),
    case("two sites of one id", with_sites(put("id", 1, "port-w")), "sites: id: 'port-w'", "its own id"),
    # empty layers
    case("an empty nodes layer", emptied("nodes"), "nodes: the layer is empty"),
    case("an empty edges layer", emptied("edges"), "edges: the layer is empty"),
    # wrong CRS
    case("nodes and edges in EPSG:4326", reprojected, "the CRS is EPSG:4326", "EPSG:3812"),
    # no network at all
    case("a text file named .gpkg", garbage(b"nodes,edges\n1,2\n"), "not a GeoPackage"),
    case("binary garbage", garbage(bytes(range(256)) * 40), "not a GeoPackage"),
    case("half a GeoPackage", lambda d: garbage(world(d).read_bytes()[:20_000])(d), "net.gpkg"),
    case("someone else's GeoPackage", foreign, "not an enablement network", "roads", "network build"),
    case(
        "a GeoJSON named .gpkg",
        garbage(b'{"type": "FeatureCollection", "features": []}'),
        "not an enablement network",
    ),
    case("no such file", lambda d: d / "net.gpkg", "no such network file", "network build"),
    case("metadata without its columns", edited("metadata", drop("value")), "metadata: key/value"),
    case(
        "metadata value not JSON",
        sql("UPDATE metadata SET value = '{oops' WHERE key = 'source'"),
        "metadata: value: the value of 'source' is not json",
    ),
    # the same files where the commands meet them
    case(
        "route --network with a NaN speed",
        edited("edges", put("speed_kmh", 2, np.nan)),
        "speed_kmh",
        via="route",
    ),
    case(
        "overlay --network with dangling u", edited("edges", put("u", 3, 999)), "edges: u: 999", via="overlay"
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_case(case, tmp_path):
    check(case, tmp_path)


def test_every_problem_is_in_one_message(tmp_path):
    def change(f):
        f.loc[1, "length_m"] = np.nan
        f.loc[2, "speed_kmh"] = -3.0
        f.loc[3, "u"] = 500

    out = check(case("three problems", edited("edges", change), "3 problems in"), tmp_path)
    assert out.err.count("\n  - ") == 3


def test_the_arrays_cache_is_checked_too(tmp_path, monkeypatch):
    """A cached copy of a malformed file (written by an older version) is refused like the file."""
    from enablement import settings
    from enablement.network import io
    from enablement.network.io import cache_path, load_network

    monkeypatch.setattr(settings, "cache_folder", tmp_path / "cache")
    path = copy_world(tmp_path)
    net = load_network(path)
    net.edges.loc[0, "length_m"] = np.nan
    cached = cache_path(path)
    io._write_arrays(net, cached)  # the cache now disagrees with its file: as a stale cache of a bad file
    out = check(
        Case("cached bad network", lambda d: ["network", "info", str(path)], words=("length_m",)), tmp_path
    )
    assert "edges: length_m: nan at edge 0" in out.err


def test_a_good_file_loads(tmp_path):
    from enablement.network.io import load_network

    net = load_network(copy_world(tmp_path), cache=False)
    assert net.problems() == []
