"""Benchmark: OSM network build against plain osmnx ``graph_from_xml`` on the same repaired data.

Each side runs in a fresh process so that peak memory (ru_maxrss) is its own; the
memory after imports is subtracted too, as the libraries themselves weigh ~250 MB.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path
from xml.sax.saxutils import quoteattr

CHILD = r"""
import json, sys, time
what, path = sys.argv[1], sys.argv[2]

def peak_mb():
    # VmHWM belongs to this process image; ru_maxrss would carry the parent's peak across exec
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")

import osmnx as ox
from enablement.network.osm import build_network
base = peak_mb()
t0 = time.perf_counter()
if what == "ours":
    net = build_network(osm_file=path)
    size = {"nodes": net.n_nodes, "edges": net.n_edges}
else:
    g = ox.graph_from_xml(path, simplify=True, retain_all=True)
    size = {"nodes": g.number_of_nodes(), "edges": g.number_of_edges()}
elapsed = time.perf_counter() - t0
peak = peak_mb()
out = {"seconds": elapsed, "peak_rss_mb": peak, "import_rss_mb": base, "delta_mb": peak - base}
print(json.dumps({**out, **size}))
"""


def _child(what: str, path: Path) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", CHILD, what, str(path)], check=True, capture_output=True, text=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def write_repaired_xml(src: Path, dst: Path) -> dict[str, int]:
    """The highway/railway ways of ``src``, trimmed of missing nodes, as plain OSM XML."""
    from enablement.network.osm import read_osm_file

    ways = read_osm_file(src)
    return {"nodes": write_tiled_xml(src, dst, 1, ways=ways), "ways": len(ways)}


def write_tiled_xml(src: Path, dst: Path, tiles: int, ways: list | None = None) -> int:
    """The repaired ways of ``src`` copied ``tiles`` times side by side (ids offset): a larger extract.

    Returns the number of OSM nodes written. Lets the benchmark see how both builds
    scale beyond the one real extract available here.
    """
    from enablement.network.osm import read_osm_file

    ways = read_osm_file(src) if ways is None else ways
    nodes: dict[int, tuple[float, float]] = {}
    for w in ways:
        for ref, lon, lat in zip(w.nodes.tolist(), w.lon.tolist(), w.lat.tolist(), strict=True):
            nodes[ref] = (lon, lat)
    side = int(tiles**0.5 + 0.999)
    with dst.open("w", encoding="utf-8") as fh:
        fh.write('<?xml version="1.0" encoding="UTF-8"?>\n<osm version="0.6">\n')
        for t in range(tiles):
            dx, dy, off = (t % side) * 0.25, (t // side) * 0.15, t * 10**11
            for ref in sorted(nodes):
                lon, lat = nodes[ref]
                fh.write(f'<node id="{ref + off}" lat="{lat + dy:.7f}" lon="{lon + dx:.7f}"/>\n')
        for t in range(tiles):
            off = t * 10**11
            for k, w in enumerate(ways):
                fh.write(f'<way id="{w.way_id * 1000 + k % 1000 + off}">')
                fh.write("".join(f'<nd ref="{r + off}"/>' for r in w.nodes.tolist()))
                fh.write("".join(f"<tag k={quoteattr(a)} v={quoteattr(b)}/>" for a, b in w.tags.items()))
                fh.write("</way>\n")
        fh.write("</osm>\n")
    return len(nodes) * tiles


def bench_scale(pbf: Path, tiles: int = 9) -> dict:
    """Both builds on the Antwerp ways tiled ``tiles`` times (same XML for both)."""
    with tempfile.TemporaryDirectory() as tmp:
        xml = Path(tmp) / "tiled.osm"
        n = write_tiled_xml(pbf, xml, tiles)
        ours = _child("ours", xml)
        osmnx = _child("osmnx", xml)
    return {
        "tiles": tiles,
        "osm_nodes": n,
        "ours": ours,
        "osmnx_graph_from_xml": osmnx,
        "speedup": round(osmnx["seconds"] / ours["seconds"], 2),
        "memory_ratio_delta": round(osmnx["delta_mb"] / max(ours["delta_mb"], 1.0), 2),
    }


def count_osm_nodes(path: Path) -> int:
    import osmium

    return sum(1 for _ in osmium.FileProcessor(str(path), osmium.osm.NODE))


def bench_osm(pbf: Path) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        xml = Path(tmp) / "repaired.osm"
        kept = write_repaired_xml(pbf, xml)
        ours_pbf = _child("ours", pbf)
        ours_xml = _child("ours", xml)
        osmnx = _child("osmnx", xml)
    n_nodes = count_osm_nodes(pbf)
    per_million = ours_pbf["seconds"] / (n_nodes / 1e6)
    scale = bench_scale(pbf)
    return {
        "scale_9_tiles": scale,
        "file": pbf.name,
        "osm_nodes_in_file": n_nodes,
        "repaired_subset": kept,
        "ours_from_pbf": ours_pbf,
        "ours_from_repaired_xml": ours_xml,
        "osmnx_graph_from_xml": osmnx,
        "speedup_same_data": round(osmnx["seconds"] / ours_xml["seconds"], 2),
        "speedup_pbf_vs_osmnx_xml": round(osmnx["seconds"] / ours_pbf["seconds"], 2),
        "memory_ratio_delta": round(osmnx["delta_mb"] / max(ours_xml["delta_mb"], 1.0), 2),
        "memory_ratio_peak": round(osmnx["peak_rss_mb"] / ours_xml["peak_rss_mb"], 2),
        "seconds_per_million_osm_nodes": round(per_million, 2),
        "belgium_40M_nodes_extrapolated_min": round(per_million * 40 / 60, 1),
    }


if __name__ == "__main__":
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("../shared/data/osm/antwerp-2014.osm.pbf")
    print(json.dumps(bench_osm(path), indent=2))
