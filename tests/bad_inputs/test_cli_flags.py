"""The catalogue's flags: every numeric (and file-name) flag of the command, given what a careless or hostile
user could type. Each is refused as it is parsed: exit 2, the flag, the value and what to give instead; no
traceback, no hang, nothing planned or built."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.bad_inputs.harness import Case, check

ROUTE = ["route", "port-antwerp", "port-ghent", "--vehicle", "boxer"]
PLAN = ["plan", "enablement:bridge-closure"]
BUILD = ["network", "build", "--osm-file", "x.osm"]
BBOX = ["network", "build", "--out", "x.gpkg", "--bbox"]
ISO = ["isochrone", "4.40,51.22", "--vehicle", "boxer"]
MATRIX = ["matrix", "--from", "4.40,51.22", "--vehicle", "boxer"]


def flag_case(cid: str, args: list[str], *words: str) -> Case:
    return Case(cid, lambda d: [a.replace("{d}", str(d)) for a in args], words=words)


CASES = [
    # route --speed: the column's speed cap (it made the search spin for ever when negative or NaN)
    flag_case("route --speed -50", [*ROUTE, "--speed", "-50"], "--speed", "-50", "out of range", "1 to 160"),
    flag_case("route --speed nan", [*ROUTE, "--speed", "nan"], "--speed", "not a finite number", "km/h"),
    flag_case("route --speed 0", [*ROUTE, "--speed", "0"], "--speed", "0 is out of range", "km/h"),
    flag_case("route --speed inf", [*ROUTE, "--speed", "inf"], "--speed", "not a finite number"),
    flag_case("route --speed 1e6", [*ROUTE, "--speed", "1e6"], "--speed", "out of range", "160"),
    flag_case("route --speed fast", [*ROUTE, "--speed", "fast"], "--speed", "'fast' is not a number"),
    flag_case("route --alternatives 0", [*ROUTE, "--alternatives", "0"], "--alternatives", "1 to 10"),
    flag_case(
        "route --alternatives 1000", [*ROUTE, "--alternatives", "1000"], "--alternatives", "out of range"
    ),
    flag_case(
        "route --alternatives 2.5", [*ROUTE, "--alternatives", "2.5"], "--alternatives", "not a whole number"
    ),
    flag_case("route --map a folder", [*ROUTE, "--map", "{d}"], "--map", "not a .html or .htm file name"),
    flag_case("route --map empty", [*ROUTE, "--map", ""], "--map", "give the map to write"),
    # matrix and isochrone: the time limit, the shape and the files written
    flag_case("isochrone --minutes 0", [*ISO, "--minutes", "0"], "--minutes", "above 0"),
    flag_case("isochrone --minutes -5", [*ISO, "--minutes", "-5"], "--minutes", "out of range"),
    flag_case("isochrone --minutes nan", [*ISO, "--minutes", "nan"], "--minutes", "not a finite number"),
    flag_case("isochrone --minutes 1e9", [*ISO, "--minutes", "1e9"], "--minutes", "at most 10080"),
    flag_case("isochrone no --minutes", ISO, "--minutes", "required"),
    flag_case("isochrone --shape blob", [*ISO, "--minutes", "5", "--shape", "blob"], "--shape", "hull"),
    flag_case(
        "isochrone --out x.txt",
        [*ISO, "--minutes", "5", "--out", "x.txt"],
        "--out",
        "not a .geojson or .json",
    ),
    flag_case("matrix --out x.xlsx", [*MATRIX, "--out", "x.xlsx"], "--out", "not a .csv file name"),
    flag_case("matrix --speed 0", [*MATRIX, "--speed", "0"], "--speed", "km/h"),
    flag_case("matrix no --vehicle", ["matrix", "--from", "4.4,51.2"], "--vehicle", "required"),
    # plan: the solver's time limit and seed
    flag_case("plan --time-limit -1", [*PLAN, "--time-limit", "-1"], "--time-limit", "out of range", "3600"),
    flag_case("plan --time-limit nan", [*PLAN, "--time-limit", "nan"], "--time-limit", "not a finite number"),
    flag_case("plan --time-limit 0", [*PLAN, "--time-limit", "0"], "--time-limit", "above 0"),
    flag_case("plan --time-limit 1e9", [*PLAN, "--time-limit", "1e9"], "--time-limit", "at most 3600"),
    flag_case("plan --time-limit soon", [*PLAN, "--time-limit", "soon"], "--time-limit", "not a number"),
    flag_case("plan --seed -1", [*PLAN, "--seed", "-1"], "--seed", "out of range", "0 to 2147483647"),
    flag_case(
        "plan --seed above 32 bits", [*PLAN, "--seed", str(2**32)], "--seed", "4294967296", "out of range"
    ),
    flag_case(
        "plan --seed 2^31 (CP-SAT's int32)", [*PLAN, "--seed", str(2**31)], "--seed", "0 to 2147483647"
    ),
    flag_case("plan --seed 1.5", [*PLAN, "--seed", "1.5"], "--seed", "not a whole number"),
    flag_case("plan --seed abc", [*PLAN, "--seed", "abc"], "--seed", "'abc' is not a whole number"),
    # batch
    flag_case(
        "batch --workers -1",
        ["batch", "b.yaml", "--out", "{d}/o", "--workers", "-1"],
        "--workers",
        "out of range",
        "0 (in this process)",
    ),
    flag_case(
        "batch --workers 100000",
        ["batch", "b.yaml", "--out", "{d}/o", "--workers", "100000"],
        "--workers",
        "256",
    ),
    flag_case(
        "batch --timeout 0", ["batch", "b.yaml", "--out", "{d}/o", "--timeout", "0"], "--timeout", "above 0"
    ),
    flag_case(
        "batch --timeout nan",
        ["batch", "b.yaml", "--out", "{d}/o", "--timeout", "nan"],
        "--timeout",
        "finite",
    ),
    flag_case(
        "batch --time-limit inf",
        ["batch", "b.yaml", "--out", "{d}/o", "--time-limit", "inf"],
        "--time-limit",
        "not a finite number",
    ),
    # overlay: conflation tolerances and the file written
    flag_case(
        "overlay --snap-tolerance -5",
        ["overlay", "belgium", "--out", "{d}/o.gpkg", "--snap-tolerance", "-5"],
        "--snap-tolerance",
        "out of range",
        "metres above 0",
    ),
    flag_case(
        "overlay --snap-tolerance nan",
        ["overlay", "belgium", "--out", "{d}/o.gpkg", "--snap-tolerance", "nan"],
        "--snap-tolerance",
        "not a finite number",
    ),
    flag_case(
        "overlay --point-tolerance 0",
        ["overlay", "belgium", "--out", "{d}/o.gpkg", "--point-tolerance", "0"],
        "--point-tolerance",
        "above 0",
    ),
    flag_case(
        "overlay --line-tolerance 1e9",
        ["overlay", "belgium", "--out", "{d}/o.gpkg", "--line-tolerance", "1e9"],
        "--line-tolerance",
        "at most 5000",
    ),
    flag_case(
        "overlay --out o.shp", ["overlay", "belgium", "--out", "{d}/o.shp"], "--out", "not a .gpkg file name"
    ),
    # network build
    flag_case(
        "network build --consolidate -3",
        [*BUILD, "--out", "{d}/o.gpkg", "--consolidate", "-3"],
        "--consolidate",
        "metres above 0",
    ),
    flag_case(
        "network build --consolidate nan",
        [*BUILD, "--out", "{d}/o.gpkg", "--consolidate", "nan"],
        "--consolidate",
        "not a finite number",
    ),
    flag_case("network build --out o.txt", [*BUILD, "--out", "{d}/o.txt"], "--out", "not a .gpkg file name"),
    flag_case(
        "network build --highways ',,'",
        [*BUILD, "--out", "{d}/o.gpkg", "--highways", ",,"],
        "--highways",
        "road classes separated by commas",
    ),
    flag_case(
        "network build --bbox nan", [*BBOX, "nan", "50.8", "4.5", "50.9"], "--bbox", "not a finite number"
    ),
    flag_case(
        "network build --bbox inf", [*BBOX, "4.3", "50.8", "inf", "50.9"], "--bbox", "not a finite number"
    ),
    flag_case(
        "network build --bbox west > east",
        [*BBOX, "4.5", "50.8", "4.3", "50.9"],
        "--bbox",
        "west must be below east",
        "W S E N",
    ),
    flag_case(
        "network build --bbox north < south",
        [*BBOX, "4.3", "50.9", "4.5", "50.8"],
        "--bbox",
        "south below north",
    ),
    flag_case(
        "network build --bbox lat 95", [*BBOX, "4.3", "50.8", "4.5", "95"], "--bbox", "latitudes within ±90"
    ),
    flag_case(
        "network build --bbox lon 200",
        [*BBOX, "4.3", "50.8", "200", "50.9"],
        "--bbox",
        "longitudes within ±180",
    ),
    flag_case(
        "network build --bbox the whole world",
        [*BBOX, "-180", "-90", "180", "90"],
        "--bbox",
        "a side is over 10°",
        "--osm-file",
    ),
    flag_case("network build --bbox three numbers", [*BBOX, "4.3", "50.8", "4.5"], "--bbox", "expected 4"),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_case(case, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # nothing may be written, and if it were, not in the repository
    outcome = check(case, tmp_path)
    assert "usage: enablement" in outcome.err  # argparse's own exit: refused before anything ran
    assert not any(tmp_path.iterdir())


def test_good_values_still_parse():
    from enablement.cli import _parser

    args = _parser().parse_args([*ROUTE, "--speed", "35.5", "--alternatives", "3", "--map", "r.htm"])
    assert (args.speed, args.alternatives, args.map) == (35.5, 3, "r.htm")
    args = _parser().parse_args([*PLAN, "--time-limit", "2", "--seed", str(2**31 - 1)])
    assert (args.time_limit, args.seed) == (2.0, 2**31 - 1)
    args = _parser().parse_args(
        ["network", "build", "--bbox", "4.3", "50.8", "4.5", "50.9", "--out", "x.gpkg"]
    )
    assert args.bbox == [4.3, 50.8, 4.5, 50.9]
    args = _parser().parse_args(["batch", "b.yaml", "--out", "o", "--workers", "0", "--timeout", "30"])
    assert (args.workers, args.timeout) == (0, 30.0)


# --- beyond the parser: places, closures, the vehicle, the overlay and the files of route, matrix and
# isochrone, on the small world's network (tests/small_world.py); each is exit 2 with one message


def on_world(command: str, *args: str, overlay: str = "none") -> Callable[[Path], list[str]]:
    """``command`` on the small world's GeoPackage, with ``overlay`` ("none", "folder" or a name)."""

    def make(d: Path) -> list[str]:
        from tests.bad_inputs.test_network_files import world

        net = world(d)
        ov = str(net.parent / "overlay") if overlay == "folder" else overlay
        out = {"route": "--map", "matrix": "--out", "isochrone": "--out"}[command]
        name = {"route": "r.html", "matrix": "m.csv", "isochrone": "i.geojson"}[command]
        given = [a.replace("{d}", str(d)) for a in args]
        tail = [] if out in given else [out, str(d / name)]
        return [command, *given, "--network", str(net), "--overlay", ov, *tail]

    return make


def _csv(d: Path, text: str) -> str:
    (d / "p.csv").write_text(text)
    return str(d / "p.csv")


def csv_case(cid: str, text: str, *words: str) -> Case:
    def make(d: Path) -> list[str]:
        path = _csv(d, text)
        return on_world("matrix", "--from-csv", path, "--vehicle", "boxer")(d)

    return Case(cid, make, words=words)


P = "4.30,50.82"
RUNTIME = [
    Case(
        "matrix --from unknown site",
        on_world("matrix", "--from", "port-atlantis", "--vehicle", "boxer", overlay="folder"),
        words=("--from 'port-atlantis' is neither a site id nor 'lon,lat'", "sites: border-r"),
    ),
    Case(
        "matrix --to a site without an overlay",
        on_world("matrix", "--from", P, "--to", "port-w", "--vehicle", "boxer"),
        words=("--to 'port-w'", "the network has no sites", "give lon,lat points"),
    ),
    Case(
        "matrix --from out of the network",
        on_world("matrix", "--from", "9,9", "--vehicle", "boxer"),
        words=("--from 9,9 is outside the network's area", "give a lon,lat inside it"),
    ),
    Case(
        "matrix without origins",
        on_world("matrix", "--to", P, "--vehicle", "boxer"),
        words=("give the origins", "--from PLACE", "--from-csv FILE"),
    ),
    Case(
        "matrix --out under a file",
        on_world("matrix", "--from", P, "--vehicle", "boxer", "--out", "{d}/p.csv/m.csv"),
        words=("cannot write", "is a file", "choose another place"),
    ),
    Case(
        "matrix --from-csv missing",
        on_world("matrix", "--from-csv", "{d}/none.csv", "--vehicle", "boxer"),
        words=("--from-csv", "none.csv: no such file", "column 'place'"),
    ),
    csv_case("matrix --from-csv no place column", "town\nAntwerp\n", "--from-csv", "its columns are 'town'"),
    csv_case("matrix --from-csv empty place", 'place\n4.30,50.82\n""\n', "row 3", "column 'place' is empty"),
    csv_case("matrix --from-csv bad lon", "lon,lat\neast,50.8\n", "row 2", "not two numbers", "degrees"),
    csv_case("matrix --from-csv no rows", "place\n", "--from-csv", "no rows"),
    csv_case(
        "matrix --from-csv outside",
        "lon,lat\n4.3,50.82\n-70,40\n",
        "--from-csv",
        "p.csv: row 3",
        "outside the network's area",
    ),
    Case(
        "isochrone --vehicle unknown",
        on_world("isochrone", P, "--minutes", "5", "--vehicle", "tiger2"),
        words=("--vehicle: unknown vehicle type 'tiger2'", "known types:", "boxer"),
    ),
    Case(
        "isochrone origin out of the network",
        on_world("isochrone", "51.22,4.40", "--minutes", "5", "--vehicle", "boxer"),
        words=("isochrone origin 51.22,4.4", "outside the network's area"),
    ),
    Case(
        "isochrone --out a folder",
        lambda d: (
            (d / "x.geojson").mkdir(),
            on_world("isochrone", P, "--minutes", "5", "--vehicle", "boxer", "--out", "{d}/x.geojson")(d),
        )[1],
        words=("x.geojson is a folder", "name the file to write in it"),
    ),
    Case(
        "route --close unknown",
        on_world("route", P, "4.42,50.82", "--vehicle", "boxer", "--close", "bridge-nowhere"),
        words=("--close 'bridge-nowhere' is not a site id, a bridge id, an edge row (edge:N) or a lon,lat",),
    ),
    Case(
        "route --close edge beyond the network",
        on_world("route", P, "4.42,50.82", "--vehicle", "boxer", "--close", "edge:99999"),
        words=("--close 'edge:99999'", "edge rows 0 to"),
    ),
    Case(
        "route --close a point out of the network",
        on_world("route", P, "4.42,50.82", "--vehicle", "boxer", "--close", "9,9"),
        words=("--close 9,9 is outside the network's area", "a road of the network"),
    ),
    Case(
        "route --close a point that is no coordinate",
        on_world("route", P, "4.42,50.82", "--vehicle", "boxer", "--close", "400,50"),
        words=("--close 400,50",),
    ),
    Case(
        "route --overlay embedded on another area",
        on_world("route", P, "4.42,50.82", "--vehicle", "boxer", overlay="embedded"),
        words=("--overlay embedded:", "do not fit the network", "give --overlay none"),
    ),
    Case(
        "route --overlay unknown",
        on_world("route", P, "4.42,50.82", "--vehicle", "boxer", overlay="atlantis"),
        words=("atlantis",),
    ),
]


@pytest.mark.parametrize("case", RUNTIME, ids=[c.id for c in RUNTIME])
def test_runtime_case(case, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "p.csv").write_text("place\n4.30,50.82\n")  # a file, where a case needs one in the way
    outcome = check(case, tmp_path)
    assert "usage: enablement" not in outcome.err  # parsed: refused by the command, not by argparse
    written = {p.name for p in tmp_path.iterdir()} - {"p.csv", "_base-world", "x.geojson"}
    assert not written, written  # no map, table or GeoJSON written


def test_good_query_values_still_parse():
    from enablement.cli import _parser

    args = _parser().parse_args(
        [*ISO, "--minutes", "12.5", "--shape", "edges", "--close", "edge:3", "--close", "b"]
    )
    assert (args.minutes, args.shape, args.close, args.overlay) == (
        12.5,
        "edges",
        ["edge:3", "b"],
        "embedded",
    )
    args = _parser().parse_args([*MATRIX, "--from", "x", "--to-csv", "t.csv", "--overlay", "none"])
    assert (args.origins, args.to_csv, args.out, args.overlay) == (
        ["4.40,51.22", "x"],
        "t.csv",
        "matrix.csv",
        "none",
    )
