"""The catalogue's coordinates: points at sea, in another continent, NaN, beyond ±180/±90, swapped, or not
points at all, given as route endpoints or as close_road disruptions. A point must lie in the network's
area (within the snap tolerance of one of its road nodes, see ``enablement.network.model``): outside it
the command stops with exit 2, naming the input, the point, the area and the fix; no traceback, and no
route or closure made at whatever node happens to be nearest."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from enablement.errors import NetworkError
from tests.bad_inputs.harness import Case, check
from tests.bad_inputs.test_network_files import world

IN_BELGIUM = "4.40,51.22"  # Antwerp


def route(origin: str, target: str = IN_BELGIUM) -> Callable[[Path], list[str]]:
    """``route`` on the embedded network (loaded from its cache)."""
    return lambda d: ["route", origin, target, "--vehicle", "boxer", "--map", str(d / "r.html")]


def small_route(origin: str, target: str = "border-x") -> Callable[[Path], list[str]]:
    """``route`` on the small world's network and overlay."""

    def make(d: Path) -> list[str]:
        net = world(d)
        return [
            "route",
            origin,
            target,
            "--vehicle",
            "boxer",
            "--network",
            str(net),
            "--overlay",
            str(net.parent / "overlay"),
            "--map",
            str(d / "r.html"),
        ]

    return make


ROUTE_CASES = [
    Case(
        "route: origin at sea",
        route("2.5,51.5"),
        words=("route origin 2.5,51.5", "outside the network's area", "41.5 km", "5 km", "site id"),
    ),
    Case(
        "route: origin off Ostend",
        route("2.75,51.35"),
        words=("route origin 2.75,51.35", "outside the network's area", "17.9 km"),
    ),
    Case(
        # within the single 12 km tolerance of old, beyond the coarse network's 5 km for a point
        "route: origin 8.4 km off the coast at De Panne",
        route("2.62,51.2"),
        words=("route origin 2.62,51.2", "outside the network's area", "8.4 km", "reaches 5 km"),
    ),
    Case(
        "route: target in Thailand",
        route(IN_BELGIUM, "100.5,13.7"),
        words=("route target 100.5,13.7", "outside the network's area", "lon 2.143…6.740"),
    ),
    Case("route: origin in Paris", route("2.35,48.86"), words=("route origin 2.35,48.86", "155.8 km")),
    Case("route: nan,nan", route("nan,nan"), words=("route origin nan,nan", "not a point", "finite")),
    Case("route: an infinite longitude", route("inf,51"), words=("route origin inf,51", "not a point")),
    Case("route: lon 400", route("400,50"), words=("route origin 400,50", "not a point on earth", "±180°")),
    Case("route: lat 95", route(IN_BELGIUM, "4.4,95"), words=("route target 4.4,95", "within ±90°")),
    Case(
        "route: lat,lon instead of lon,lat",
        route("51.22,4.40"),
        words=("route origin 51.22,4.4", "is it lat,lon", "4.4,51.22"),
    ),
    Case("route: one number", route("4.4"), words=("route origin '4.4'", "neither a site id nor 'lon,lat'")),
    Case(
        "route: three numbers", route("4.4,51.2,7"), words=("'4.4,51.2,7'", "neither a site id nor 'lon,lat'")
    ),
    Case("route: an empty origin", route(""), words=("route origin ''", "neither a site id")),
    Case(
        "route: 18 km off the small world",
        small_route("4.36,51.0"),
        words=("route origin 4.36,51", "outside the network's area", "lon 4.300…4.420"),
    ),
    Case(
        "route: from a rail-only site",
        small_route("border-r"),
        words=("route origin 'border-r'", "off the road network", "road sites"),
    ),
]


def closure(*points: str) -> Callable[[Path], list[str]]:
    """The small world planned with a close_road disruption at each point (YAML flow sequences)."""

    def make(d: Path) -> list[str]:
        from tests.small_world import write_world

        items = ", ".join(
            f"{{id: c{i}, kind: close_road, at: {p}, start: '2026-03-02T06:00:00+01:00'}}"
            for i, p in enumerate(points)
        )
        scenario = write_world(d / "world", solver="greedy", disruptions=f"[{items}]")
        return ["plan", str(scenario), "--out", str(d / "out")]

    return make


CLOSURE_CASES = [
    Case(
        "close_road: at sea",
        closure("[2.5, 51.5]"),
        words=(
            "disruptions[0].at: the point 2.5,51.5",
            "outside the network's area",
            "network.snap_tolerance_m",
        ),
    ),
    Case(
        "close_road: in Thailand",
        closure("[100.5, 13.7]"),
        words=("disruptions[0].at", "outside the network's area", "3 km around the network's road nodes"),
    ),
    Case("close_road: .nan", closure("[.nan, .nan]"), words=("disruptions[0].at", "not a point")),
    Case("close_road: lat 95", closure("[4.36, 95]"), words=("disruptions[0].at", "not a point on earth")),
    Case("close_road: lon -200", closure("[-200, 50.8]"), words=("disruptions[0].at", "within ±180°")),
    Case(
        "close_road: lat,lon swapped",
        closure("[50.82, 4.36]"),
        words=("disruptions[0].at", "is it lat,lon", "4.36,50.82"),
    ),
    Case(
        "close_road: 20 km from every road",
        closure("[4.36, 51.02]"),
        words=("disruptions[0].at", "the nearest road node is", "raise network.snap_tolerance_m"),
    ),
    Case(
        "close_road: two bad points among good ones, all reported",
        closure("[4.36, 50.82]", "[2.5, 51.5]", "[4.37, 50.80]", "[4.36, 51.02]"),
        words=("2 problems in the scenario", "disruptions[1].at", "disruptions[3].at"),
    ),
    Case(
        # the scenario's own rules are read before any network: a point that is no
        # coordinate stops there, before the points off the network are looked at
        "close_road: no coordinate among points off the network, the scenario's rule first",
        closure("[4.36, 50.82]", "[2.5, 51.5]", "[4.37, 50.80]", "[.inf, 50]"),
        words=("1 problem in the scenario", "disruptions[3].at", "not a point"),
    ),
]

CASES = ROUTE_CASES + CLOSURE_CASES


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_case(case, tmp_path):
    out = check(case, tmp_path)
    assert not (tmp_path / "r.html").exists() and not (tmp_path / "out").exists()  # nothing made
    if case in CLOSURE_CASES:
        assert "disruptions[2]" not in out.err and "disruptions[0].at: the point 4.36,50.82" not in out.err


def test_points_in_the_area_still_route_and_close(tmp_path, capsys):
    from enablement.cli import main

    assert main(small_route("4.31,50.815", "4.41,50.825")(tmp_path)) == 0
    assert "from 4.3100,50.8150 to 4.4100,50.8250" in capsys.readouterr().out
    assert main(closure("[4.36, 50.82]")(tmp_path)) == 0


def test_nearest_node_defines_the_area(embedded):
    node, dist = embedded.nearest_node(4.40, 51.22)
    assert embedded.nodes["mode"].iat[node] == "road" and dist < 12_000
    with pytest.raises(NetworkError, match="outside the network's area"):
        embedded.nearest_node(4.40, 51.22, tolerance_m=1.0)  # the same point, a tighter area
    rail, _ = embedded.nearest_node(4.40, 51.22, mode="rail")
    assert embedded.nodes["mode"].iat[rail] == "rail"
    w, s, e, n = embedded.area_bounds("road")
    assert w < 4.40 < e and s < 51.22 < n


def test_overpass_nodes_outside_the_earth_are_refused():
    from enablement.network.osm import read_overpass_json

    response = {
        "elements": [
            {"type": "node", "id": 1, "lon": 4.3, "lat": 50.8},
            {"type": "node", "id": 2, "lon": 400.0, "lat": 50.8},
            {"type": "way", "id": 7, "nodes": [1, 2], "tags": {"highway": "trunk"}},
        ]
    }
    with pytest.raises(NetworkError, match=r"way 7 has a node at lon 400, lat 50.8, which is no coordinate"):
        read_overpass_json([response])
