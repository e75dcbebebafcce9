"""The catalogue's flags: every numeric (and file-name) flag of the command, given what a careless or hostile
user could type. Each is refused as it is parsed: exit 2, the flag, the value and what to give instead; no
traceback, no hang, nothing planned or built."""

from __future__ import annotations

import pytest

from tests.bad_inputs.harness import Case, check

ROUTE = ["route", "port-antwerp", "port-ghent", "--vehicle", "boxer"]
PLAN = ["plan", "enablement:bridge-closure"]
BUILD = ["network", "build", "--osm-file", "x.osm"]
BBOX = ["network", "build", "--out", "x.gpkg", "--bbox"]


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
