"""A small world across the Belgian–Dutch border (Kempen), for territory and hand-over tests.

Built the way users build networks (an OSM file, an overlay of GeoJSON sites, a
scenario file), like :mod:`tests.small_world`. Countries are Natural Earth's::

    lat 51.38                      D (staging area in NL)
                                   |
    lat 51.35        N1 ══ N2 ══ N3 ══ N4 ══ N5      motorway in NL (120 km/h)
                   //      |            |      \\
    lat 51.27     //       X1           X2      \\   junctions of the customs yards (in NL)
    lat 51.26    //        x1           x2       \\  crossings, on the border (Natural Earth: 51.2616)
    lat 51.20   O          |            |          E
                 \\        |            |        //
    lat 51.15      S1 ─── S2 ──── S3 ──── S4 ──      slow road in BE (20 km/h)

O is the port where the units land, E a staging area in Belgium. The fastest way
from O to E runs through the Netherlands (N1…N5); inside Belgium it is the slow
road S1…S4. The roads S2–X1 and S3–X2 are the two road crossings to the Netherlands:
the crossing posts x1 and x2 stand on them just inside Belgium, 70 m from the border,
where honest snapping cuts each road so that the crossing has its node on the border
itself (a node Natural Earth gives to the Netherlands).
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.helpers import site_feature

NODES: dict[str, tuple[int, float, float]] = {
    "O": (1, 5.10, 51.20),
    "E": (2, 5.60, 51.20),
    "S1": (11, 5.20, 51.15),
    "S2": (12, 5.30, 51.15),
    "S3": (13, 5.40, 51.15),
    "S4": (14, 5.50, 51.15),
    "N1": (21, 5.25, 51.35),
    "N2": (22, 5.30, 51.35),
    "N3": (23, 5.35, 51.35),
    "N4": (24, 5.40, 51.35),
    "N5": (25, 5.45, 51.35),
    "X1": (31, 5.30, 51.27),
    "X2": (32, 5.40, 51.27),
    "D": (41, 5.35, 51.38),
    "X1s": (51, 5.31, 51.27),
    "X2s": (52, 5.41, 51.27),
}
"""Node name → (OSM id, lon, lat)."""

SLOW = {"highway": "unclassified", "maxspeed": "20"}
FAST = {"highway": "motorway", "maxspeed": "120"}
LINK = {"highway": "primary", "maxspeed": "70"}

WAYS: list[tuple[list[str], dict[str, str]]] = [
    (["O", "S1", "S2", "S3", "S4", "E"], SLOW),
    (["O", "N1", "N2", "N3", "N4", "N5", "E"], FAST),
    (["S2", "X1", "N2"], LINK),
    (["S3", "X2", "N4"], LINK),
    (["N3", "D"], LINK),
    (["X1", "X1s"], {"highway": "tertiary"}),  # the customs yards keep the crossings as junctions
    (["X2", "X2s"], {"highway": "tertiary"}),
]


def osm_xml(
    nodes: dict[str, tuple[int, float, float]] = NODES,
    ways: list[tuple[list[str], dict[str, str]]] = WAYS,
) -> str:
    """The world's roads (or the given nodes and ways) as an OSM XML document."""
    out = ['<?xml version="1.0" encoding="UTF-8"?>', '<osm version="0.6">']
    out += [f'<node id="{i}" lat="{lat}" lon="{lon}" version="1"/>' for i, lon, lat in nodes.values()]
    for w, (refs, tags) in enumerate(ways, start=1):
        nd = "".join(f'<nd ref="{nodes[r][0]}"/>' for r in refs)
        tg = "".join(f'<tag k="{k}" v="{v}"/>' for k, v in tags.items())
        out.append(f'<way id="{w}" version="1">{nd}{tg}</way>')
    out.append("</osm>")
    return "\n".join(out) + "\n"


CROSSINGS: dict[str, tuple[float, float]] = {"x1": (5.30, 51.261), "x2": (5.40, 51.261)}
"""The crossing posts (lon, lat): on the roads S2–X1 and S3–X2, in Belgium 70 m short of the border."""


def _site(sid: str, kind: str, at: str, **extra: object) -> dict[str, object]:
    """A road site at a node of the world or a crossing post."""
    lon, lat = CROSSINGS[at] if at in CROSSINGS else NODES[at][1:]
    return site_feature(sid, kind, "road", lon, lat, **extra)


SITES = [
    _site("port-o", "seaport", "O", discharge_rate_vph=200, berths=1),
    _site("staging-e", "staging_area", "E", capacity_vehicles=100),
    _site("staging-d", "staging_area", "D", capacity_vehicles=100),
    _site("border-x1", "border_crossing", "x1", neighbour="NL", hours="00:00-24:00"),
    _site("border-x2", "border_crossing", "x2", neighbour="NL", hours="00:00-24:00"),
    # service areas where the columns halt (never on the motorway's or main road's carriageway)
    _site("rest-s2", "rest_area", "S2"),
]

SCENARIO = """\
version: 1
name: Border world
start: '2026-03-02T06:00:00+01:00'
network: {{source: world.gpkg, snap_tolerance_m: 3000}}
overlays: [overlay]
policy: {policy}
arrivals:
- id: ship-1
  kind: ship
  site: port-o
  time: '2026-03-02T06:00:00+01:00'
  equipment:
  - {{unit: WHL, vehicle: man_hx_8x8, count: 10}}
movements:
- {{unit: WHL, to: {to}, rdd: '2026-03-04T06:00:00+01:00'}}
solver: {{road: {solver}, time_limit_s: 2}}
disruptions: {disruptions}
permissions: {{filing_from: '2026-01-15T08:00:00+01:00'}}  # in time for 45 days' notice
"""


def _write(folder: Path, name: str, osm: str, features: list[dict[str, object]], scenario: str) -> Path:
    """Write a network built from ``osm`` (once per folder), an overlay of ``features`` and a scenario."""
    from enablement.network.io import save_network
    from enablement.network.osm import build_network

    folder.mkdir(parents=True, exist_ok=True)
    net = folder / f"{name}.gpkg"
    if not net.is_file():
        source = folder / f"{name}.osm"
        source.write_text(osm)
        save_network(build_network(osm_file=source), net)
    overlay = folder / "overlay"
    overlay.mkdir(exist_ok=True)
    (overlay / "sites.geojson").write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    path = folder / f"border-{name}.yaml"
    path.write_text(scenario)
    return path


def write_world(
    folder: Path,
    *,
    to: str = "staging-d",
    policy: str = "{}",
    solver: str = "greedy",
    disruptions: str = "[]",
    sites: list[dict[str, object]] | None = None,
) -> Path:
    """Write the world's network, overlay and scenario into ``folder``; return the scenario's path."""
    scenario = SCENARIO.format(to=to, policy=policy, solver=solver, disruptions=disruptions)
    return _write(folder, "world", osm_xml(), SITES if sites is None else sites, scenario)


# ---------------------------------------------------------------- the rail world

RAIL_NODES: dict[str, tuple[int, float, float]] = {
    "RQ": (101, 5.12, 51.19),
    "RA": (102, 5.20, 51.17),
    "RB": (103, 5.28, 51.17),
    "RC": (104, 5.42, 51.17),
    "Y1": (111, 5.28, 51.30),
    "Y2": (112, 5.42, 51.30),
    "RD": (121, 5.33, 51.37),
    "RE": (122, 5.33, 51.42),
    "RF": (105, 5.50, 51.17),
}
"""The railway's nodes (OSM id, lon, lat)::

    lat 51.42             RE
    lat 51.37             RD  (the railhead in NL beside it)
                        /    \\
    lat 51.30          Y1      Y2            (in NL)
    lat 51.26          y1      y2            the rail crossings, just inside Belgium
    lat 51.17     RA ─ RB ───── RC ─ RF      Belgian line
                 /
    lat 51.19  RQ (quay by the port)

From the quay, the way by y2 is about 11 km longer than the way by y1. The spurs to RE
and RF keep RC and RD as junctions (simplification would fold a loop of two-way nodes).
"""

RAIL = {"railway": "rail", "electrified": "contact_line", "maxspeed": "100"}

RAIL_WAYS: list[tuple[list[str], dict[str, str]]] = [
    (["RQ", "RA", "RB", "RC", "RF"], RAIL),
    (["RB", "Y1", "RD"], RAIL),
    (["RC", "Y2", "RD"], RAIL),
    (["RD", "RE"], RAIL),
]

RAIL_CROSSINGS: dict[str, tuple[float, float]] = {"y1": (5.28, 51.2615), "y2": (5.42, 51.268)}
"""The rail crossing posts (lon, lat), just inside Belgium (Natural Earth: 51.2625 and 51.269)."""


def rail_osm_xml() -> str:
    """The world's roads and its railway as an OSM XML document."""
    return osm_xml({**NODES, **RAIL_NODES}, [*WAYS, *RAIL_WAYS])


RAIL_SITES = [
    SITES[0],  # port-o
    site_feature("quay-o", "rail_quay", "road+rail", 5.12, 51.19, ramp_tracks=1, usable_length_m=750),
    site_feature("railhead-d", "rail_quay", "road+rail", 5.34, 51.375, ramp_tracks=1, usable_length_m=750),
    site_feature(
        "border-y1", "border_crossing", "rail", *RAIL_CROSSINGS["y1"], neighbour="NL", hours="00:00-24:00"
    ),
    site_feature(
        "border-y2", "border_crossing", "rail", *RAIL_CROSSINGS["y2"], neighbour="NL", hours="00:00-24:00"
    ),
]

RAIL_SCENARIO = """\
version: 1
name: Border world by rail
start: '2026-03-02T06:00:00+01:00'
network: {{source: world-rail.gpkg, snap_tolerance_m: 3000}}
overlays: [overlay]
arrivals:
- id: ship-1
  kind: ship
  site: port-o
  time: '2026-03-02T06:00:00+01:00'
  equipment:
  - {{unit: TRK, vehicle: leopard2a6, count: 6}}
movements:
- {{unit: TRK, mode: rail, quay: quay-o, to: {to}, rdd: '2026-03-05T06:00:00+01:00'}}
resources: {{wagons: 10, locomotives: 2}}
solver: {{road: greedy, time_limit_s: 2}}
disruptions: {disruptions}
permissions: {{filing_from: '2026-01-15T08:00:00+01:00'}}  # in time for 45 days' notice
"""


def with_hours(sites: list[dict[str, object]], sid: str, hours: str) -> list[dict[str, object]]:
    """``sites`` with site ``sid`` open only in the daily ``hours``."""
    out = []
    for s in sites:
        props = s["properties"]
        assert isinstance(props, dict)
        out.append({**s, "properties": {**props, "hours": hours}} if props["id"] == sid else s)
    return out


def write_rail_world(
    folder: Path,
    *,
    to: str = "railhead-d",
    disruptions: str = "[]",
    sites: list[dict[str, object]] | None = None,
) -> Path:
    """Write the world with its railway, a rail overlay and a rail scenario; return the scenario's path."""
    scenario = RAIL_SCENARIO.format(to=to, disruptions=disruptions)
    return _write(folder, "world-rail", rail_osm_xml(), RAIL_SITES if sites is None else sites, scenario)
