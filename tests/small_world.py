"""A small world for plan and output tests: a road grid with a bridge, a rail line, five sites.

It is built the way users build networks (an OSM file through ``build_network``, an
overlay folder of GeoJSON layers), so the plans made on it go through every step
of the pipeline in about a second.

Layout (lon 4.30–4.42, lat 50.78–50.84; about 2 km between grid nodes)::

    row 2  ·───·───·───·───·      secondary
    row 1  P───·───S─B─·───X      trunk (B: a bridge, MLC 40 two-way / 50 one-way)
    row 0  ·───·───·───·───·      secondary
           Q═══════════════R      railway (lat 50.78)

P port (road), S staging area (holds 40 vehicles), X border crossing on the
road, Q rail loading quay, R border crossing on the rail line.
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.helpers import site_feature

COLS = 5
ROWS = 3
LON0, DLON = 4.30, 0.03
LAT0, DLAT = 50.80, 0.02
RAIL_LAT = 50.78


def _grid_node(i: int, j: int) -> int:
    return 1000 + 10 * i + j


def osm_xml() -> str:
    """The world's roads and railway as an OSM XML document."""
    nodes: dict[int, tuple[float, float]] = {}
    for i in range(ROWS):
        for j in range(COLS):
            nodes[_grid_node(i, j)] = (LON0 + DLON * j, LAT0 + DLAT * i)
    rail = [2000 + j for j in range(COLS)]
    for j, n in enumerate(rail):
        nodes[n] = (LON0 + DLON * j, RAIL_LAT)
    ways: list[tuple[int, list[int], dict[str, str]]] = []
    wid = 1
    for i in range(ROWS):
        for j in range(COLS - 1):
            tags = {"highway": "trunk" if i == 1 else "secondary", "maxspeed": "90" if i == 1 else "70"}
            if i == 1 and j == 2:
                tags |= {"bridge": "yes", "mlc": "40", "mlc:oneway": "50"}
            ways.append((wid, [_grid_node(i, j), _grid_node(i, j + 1)], tags))
            wid += 1
    for j in range(COLS):
        for i in range(ROWS - 1):
            ways.append((wid, [_grid_node(i, j), _grid_node(i + 1, j)], {"highway": "secondary"}))
            wid += 1
    ways.append((wid, rail, {"railway": "rail", "electrified": "contact_line", "maxspeed": "100"}))
    out = ['<?xml version="1.0" encoding="UTF-8"?>', '<osm version="0.6">']
    out += [
        f'<node id="{n}" lat="{lat}" lon="{lon}" version="1"/>' for n, (lon, lat) in sorted(nodes.items())
    ]
    for w, refs, tags in ways:
        nd = "".join(f'<nd ref="{r}"/>' for r in refs)
        tg = "".join(f'<tag k="{k}" v="{v}"/>' for k, v in tags.items())
        out.append(f'<way id="{w}" version="1">{nd}{tg}</way>')
    out.append("</osm>")
    return "\n".join(out) + "\n"


SITES = [
    site_feature("port-w", "seaport", "road", LON0, LAT0 + DLAT, discharge_rate_vph=120, berths=1),
    site_feature("staging-m", "staging_area", "road", LON0 + 2 * DLON, LAT0 + DLAT, capacity_vehicles=40),
    site_feature("border-x", "border_crossing", "road", LON0 + 4 * DLON, LAT0 + DLAT),
    site_feature("quay-q", "rail_quay", "road+rail", LON0, RAIL_LAT, ramp_tracks=1, usable_length_m=750),
    site_feature("border-r", "border_crossing", "rail", LON0 + 4 * DLON, RAIL_LAT),
]

SCENARIO = """\
version: 1
name: Small world
start: '2026-03-02T06:00:00+01:00'
network: {{source: {network}, snap_tolerance_m: 3000}}
overlays: [overlay]
policy:
  march_unit_max_vehicles: 10
  headway_min: 2
arrivals:
- id: ship-1
  kind: ship
  site: port-w
  time: '2026-03-02T06:00:00+01:00'
  equipment:
  - {{unit: WHL, vehicle: man_hx_8x8, count: 14}}
  - {{unit: LGT, vehicle: jltv, count: 6}}
  - {{unit: TRK, vehicle: leopard2a6, count: 6}}
movements:
- {{unit: WHL, to: border-x, rdd: '2026-03-03T06:00:00+01:00', via: {{site: staging-m, dwell_h: 1}}}}
- {{unit: LGT, to: border-x, rdd: '2026-03-03T06:00:00+01:00'}}
- {{unit: TRK, mode: rail, quay: quay-q, to: border-r, rdd: '2026-03-04T06:00:00+01:00'}}
resources: {{wagons: 10, locomotives: 2}}
solver: {{road: {solver}, time_limit_s: 2}}
disruptions: {disruptions}
permissions: {{filing_from: '2026-01-10T08:00:00+01:00', regime: eca-2025}}
"""


def write_world(folder: Path, *, solver: str = "cp-sat", disruptions: str = "[]") -> Path:
    """Write the world's OSM file, overlay and scenario into ``folder``; return the scenario's path.

    The network is built from the OSM file and saved as ``world.gpkg`` beside the scenario.
    """
    from enablement.network.io import save_network
    from enablement.network.osm import build_network

    folder.mkdir(parents=True, exist_ok=True)
    osm = folder / "world.osm"
    osm.write_text(osm_xml())
    net = build_network(osm_file=osm)
    net.meta["grain"] = "coarse"  # main roads only, 2 km between junctions: the coarse snap tolerances
    save_network(net, folder / "world.gpkg")
    overlay = folder / "overlay"
    overlay.mkdir(exist_ok=True)
    (overlay / "sites.geojson").write_text(json.dumps({"type": "FeatureCollection", "features": SITES}))
    path = folder / "small-world.yaml"
    path.write_text(SCENARIO.format(network="world.gpkg", solver=solver, disruptions=disruptions))
    return path
