"""Benchmark: a brigade-like plan on a detailed network, outputs included (issue #20, item 6).

The network is the Antwerp extract (``../shared/data/osm/antwerp-2014.osm.pbf``, every
road class down to service roads) tiled side by side, each copy 12 km east or south of
the last (the tiling of ``osm_build.py``, done on the built network rather than on the
XML, so that a 1.4 M-node network takes seconds to make): about 9,400 nodes a copy, so
40 copies make ~375k nodes and 154 copies ~1.44 M. The copies are not joined: the
scenario's march runs inside the real Antwerp copy, and the others stand in for the
rest of a country-sized graph that every step holds, searches or draws. The scenario's
overlay holds its four sites only: the national overlay's bridges south of Antwerp lie
inside the tiled extent but on no road of it, which the planner rightly refuses.

Each size runs in a fresh process: wall time per step (the network tiled, the overlays
applied, each plan step, the outputs written), peak RSS (``VmHWM``) and the map's size.
Targets: at ~1.5 M nodes, the plan and its outputs in at most 5 min and 8 GB.

Run ``python benchmarks/detailed_network.py [TILES ...]`` (default 40 154), or through
``benchmarks/run.py --detailed``.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

PBF = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "osm" / "antwerp-2014.osm.pbf"
HIGHWAYS = (
    "motorway",
    "motorway_link",
    "trunk",
    "trunk_link",
    "primary",
    "primary_link",
    "secondary",
    "secondary_link",
    "tertiary",
    "tertiary_link",
    "unclassified",
    "residential",
    "living_street",
    "service",
)
SPACING_M = 12_000.0
"""Offset between copies (the extract spans about 9.5 km by 9.2 km)."""

SITES = [
    # (id, kind, lon, lat, extra)
    ("bench-port", "seaport", 4.400, 51.245, {"discharge_rate_vph": 120, "berths": 2}),
    ("bench-staging", "staging_area", 4.430, 51.215, {"capacity_vehicles": 600}),
    ("bench-south", "staging_area", 4.400, 51.185, {"capacity_vehicles": 2000}),
    ("bench-east", "staging_area", 4.465, 51.205, {"capacity_vehicles": 2000}),
]

SCENARIO = """\
version: 1
name: Brigade-like move on a detailed network (benchmark)
start: '2026-03-02T06:00:00+01:00'
network: {{source: embedded}}
overlays: [{overlay}]
policy: {{march_unit_max_vehicles: 20, vehicle_gap_m: 100, convoy_speed_kmh: 50, headway_min: 2}}
arrivals:
- id: ship-1
  kind: ship
  site: bench-port
  time: '2026-03-02T08:00:00+01:00'
  equipment:
{equipment}
movements:
{movements}
solver: {{road: greedy}}
"""

UNITS = [
    ("WHL-1", "man_hx_8x8", 120, "bench-south", "bench-staging"),
    ("WHL-2", "man_hx_8x8", 120, "bench-east", "bench-staging"),
    ("WHL-3", "jltv", 100, "bench-south", None),
    ("BSB", "man_hx_8x8", 200, "bench-east", None),
    ("HQ", "jltv", 80, "bench-south", "bench-staging"),
    ("ENG", "boxer", 40, "bench-east", None),
]


def write_scenario(folder: Path) -> Path:
    """Write the benchmark's overlay (four sites in the Antwerp copy) and scenario into ``folder``."""
    overlay = folder / "bench-overlay"
    overlay.mkdir(parents=True, exist_ok=True)
    feats = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [lon, lat]},
            "properties": {"id": sid, "name": sid, "kind": kind, "mode": "road", "source": "benchmark",
                           "illustrative": True, **extra},
        }
        for sid, kind, lon, lat, extra in SITES
    ]  # fmt: skip
    (overlay / "sites.geojson").write_text(json.dumps({"type": "FeatureCollection", "features": feats}))
    equipment = "\n".join(f"  - {{unit: {u}, vehicle: {v}, count: {n}}}" for u, v, n, _, _ in UNITS)
    movements = "\n".join(
        f"- {{unit: {u}, to: {to}, rdd: '2026-03-04T06:00:00+01:00'"
        + (f", via: {{site: {via}, dwell_h: 2}}" if via else "")
        + "}"
        for u, _, _, to, via in UNITS
    )
    path = folder / "detailed.yaml"
    path.write_text(SCENARIO.format(overlay=overlay, equipment=equipment, movements=movements))
    return path


CHILD = r"""
import json, sys, time
from pathlib import Path

def status(key):
    for line in open("/proc/self/status"):
        if line.startswith(key + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")

sys.path.insert(0, str(Path(sys.argv[1]).parent))
from detailed_network import HIGHWAYS, tiled
from enablement.network.osm import build_network
from enablement.network.overlays import Overlay, apply_overlay, read_overlay
from enablement.outputs.write import write_outputs
from enablement.plan import make_plan
from enablement.scenario import load_scenario

pbf, scenario, tiles, out = sys.argv[2], Path(sys.argv[3]), int(sys.argv[4]), Path(sys.argv[5])
steps = {}
t0 = time.perf_counter()
net = tiled(build_network(osm_file=pbf, highways=HIGHWAYS), tiles)
steps["tile network"] = time.perf_counter() - t0
sc = load_scenario(scenario)
t = time.perf_counter()
overlay = Overlay.merge([read_overlay(name, base=scenario.parent) for name in sc.overlays])
net = apply_overlay(net, overlay, used_sites=sc.site_ids())
steps["apply overlays"] = time.perf_counter() - t
rss_network = status("VmRSS")
t = time.perf_counter()
plan = make_plan(sc, network=net)
steps["plan"] = time.perf_counter() - t
t = time.perf_counter()
files = write_outputs(plan, out)
steps["write outputs"] = time.perf_counter() - t
wall = time.perf_counter() - t0
print(json.dumps({
    "tiles": tiles,
    "nodes": net.n_nodes,
    "edges": net.n_edges,
    "march_units": len(plan.march_units),
    "steps_s": {k: round(v, 2) for k, v in steps.items()},
    "plan_steps_s": {k: round(v, 2) for k, v in plan.timings.items()},
    "wall_s": round(wall, 1),
    "wall_after_network_s": round(wall - steps["tile network"], 1),
    "rss_with_network_mb": round(rss_network),
    "peak_rss_mb": round(status("VmHWM")),
    "map_mb": round(Path(files["map"]).stat().st_size / 2**20, 2),
    "left_out_warnings": sum("left out" in w for w in plan.warnings),
}))
"""


def tiled(net, tiles: int):  # a Network in, a Network out (enablement imported inside)
    """``tiles`` copies of ``net`` side by side (``SPACING_M`` apart), node and edge ids offset."""
    import geopandas as gpd
    import numpy as np
    import pandas as pd
    import shapely

    from enablement.network.model import CRS, Network

    side = int(np.ceil(np.sqrt(tiles)))
    nodes, edges = net.nodes.reset_index(drop=True), net.edges.reset_index(drop=True)
    node_parts, edge_parts = [], []
    for t in range(tiles):
        dx, dy = (t % side) * SPACING_M, -(t // side) * SPACING_M  # east, then south (into Belgium)
        n = nodes.copy()
        n["x"] += dx
        n["y"] += dy
        n["geometry"] = shapely.transform(
            nodes.geometry.to_numpy(), lambda c, dx=dx, dy=dy: c + np.array([dx, dy])
        )
        e = edges.copy()
        e["u"] += t * len(nodes)
        e["v"] += t * len(nodes)
        e["geometry"] = shapely.transform(
            edges.geometry.to_numpy(), lambda c, dx=dx, dy=dy: c + np.array([dx, dy])
        )
        node_parts.append(n)
        edge_parts.append(e)
    all_nodes = gpd.GeoDataFrame(pd.concat(node_parts, ignore_index=True), crs=CRS)
    all_nodes.index.name = nodes.index.name or "node"
    all_edges = gpd.GeoDataFrame(pd.concat(edge_parts, ignore_index=True), crs=CRS)
    meta = {**net.meta, "source_detail": f"{net.meta.get('source_detail', '')} tiled {tiles}x"}
    return Network(all_nodes, all_edges, meta=meta)


def bench_detailed(pbf: Path = PBF, tile_counts: tuple[int, ...] = (40, 154)) -> dict:
    """Each size in a fresh process; skipped (with the reason) when the extract is absent."""
    if not pbf.is_file():
        return {"skipped": f"{pbf} not found (the Antwerp extract sits beside the project in CI only)"}
    runs = []
    with tempfile.TemporaryDirectory() as tmp:
        scenario = write_scenario(Path(tmp))
        for tiles in tile_counts:
            out = subprocess.run(
                [sys.executable, "-c", CHILD, __file__, str(pbf), str(scenario), str(tiles),
                 str(Path(tmp) / f"out-{tiles}")],
                check=True,
                stdout=subprocess.PIPE,  # the child's log and errors go to this process's stderr
                text=True,
            )  # fmt: skip
            runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
    return {"targets": {"wall_s": 300, "peak_rss_mb": 8192, "at_nodes": 1_500_000}, "runs": runs}


if __name__ == "__main__":
    counts = tuple(int(a) for a in sys.argv[1:]) or (40, 154)
    print(json.dumps(bench_detailed(tile_counts=counts), indent=2))
