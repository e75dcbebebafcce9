"""Benchmark: OSM network build against plain osmnx ``graph_from_xml`` on the same repaired data.

Each side runs in a fresh process so that peak memory is its own, and the memory
after imports is subtracted (the libraries themselves weigh ~240 MB). Two modes:

- ``cold``: the first build in the process, as a user's one-off command runs it;
  lazily loaded code (pandas kernels, PROJ tables, libosmium buffers) counts;
- ``warm``: each side first builds a small extract, then the peak is reset
  (``/proc/self/clear_refs``) and the measured build starts: the memory and time
  that grow with the data, which decide whether a country extract fits.

The scaling runs tile the repaired Antwerp ways side by side (9 and 25 copies) and
report each side's marginal seconds and MB per million OSM nodes (the slope between
the two sizes), which is what extrapolates to Belgium (~40 M nodes).
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING
from xml.sax.saxutils import quoteattr

import numpy as np

if TYPE_CHECKING:
    from enablement.network.osm import WayTable

CHILD = r"""
import json, sys, time
what, path, warm = sys.argv[1], sys.argv[2], sys.argv[3]

def status(key):
    for line in open("/proc/self/status"):
        if line.startswith(key + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")

import osmnx as ox
from enablement.network.osm import build_network

def run(p):
    if what == "ours":
        net = build_network(osm_file=p)
        return {"nodes": net.n_nodes, "edges": net.n_edges}
    g = ox.graph_from_xml(p, simplify=True, retain_all=True)
    return {"nodes": g.number_of_nodes(), "edges": g.number_of_edges()}

if warm != "-":
    run(warm)
    with open("/proc/self/clear_refs", "w") as fh:
        fh.write("5")  # reset VmHWM to the current resident size
base = status("VmRSS")
t0 = time.perf_counter()
size = run(path)
elapsed = time.perf_counter() - t0
peak = status("VmHWM")
out = {"seconds": elapsed, "peak_rss_mb": peak, "base_rss_mb": base, "delta_mb": peak - base}
print(json.dumps({**out, **size}))
"""


def _child(what: str, path: Path, warm: Path | None = None) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", CHILD, what, str(path), str(warm) if warm else "-"],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def _pair(path: Path, warm: Path | None) -> dict:
    ours = _child("ours", path, warm)
    osmnx = _child("osmnx", path, warm)
    return {
        "ours": ours,
        "osmnx_graph_from_xml": osmnx,
        "speedup": round(osmnx["seconds"] / ours["seconds"], 2),
        "memory_ratio_delta": round(osmnx["delta_mb"] / max(ours["delta_mb"], 1.0), 2),
    }


def write_repaired_xml(src: Path, dst: Path) -> dict[str, int]:
    """The highway/railway ways of ``src``, trimmed of missing nodes, as plain OSM XML."""
    from enablement.network.osm import read_osm_file

    ways = read_osm_file(src)
    return {"nodes": write_tiled_xml(src, dst, 1, ways=ways), "ways": len(np.unique(ways.way_id))}


def write_tiled_xml(src: Path, dst: Path, tiles: int, ways: WayTable | None = None) -> int:
    """The repaired ways of ``src`` copied ``tiles`` times side by side (ids offset): a larger extract.

    Returns the number of OSM nodes written. Lets the benchmark see how both builds
    scale beyond the one real extract available here.
    """
    from enablement.network.osm import read_osm_file

    ways = read_osm_file(src) if ways is None else ways
    refs, first = np.unique(ways.refs, return_index=True)
    lon, lat = ways.lon[first], ways.lat[first]
    side = int(tiles**0.5 + 0.999)
    with dst.open("w", encoding="utf-8") as fh:
        fh.write('<?xml version="1.0" encoding="UTF-8"?>\n<osm version="0.6">\n')
        for t in range(tiles):
            dx, dy, off = (t % side) * 0.25, (t // side) * 0.15, t * 10**11
            for ref, x, y in zip(refs.tolist(), lon.tolist(), lat.tolist(), strict=True):
                fh.write(f'<node id="{ref + off}" lat="{y + dy:.7f}" lon="{x + dx:.7f}"/>\n')
        for t in range(tiles):
            off = t * 10**11
            for k in range(len(ways)):
                tags = ways.tags(k)
                way_refs = ways.nodes(k)[0]
                fh.write(f'<way id="{int(ways.way_id[k]) * 1000 + k % 1000 + off}">')
                fh.write("".join(f'<nd ref="{r + off}"/>' for r in way_refs.tolist()))
                fh.write("".join(f"<tag k={quoteattr(a)} v={quoteattr(b)}/>" for a, b in tags.items()))
                fh.write("</way>\n")
        fh.write("</osm>\n")
    return int(refs.size) * tiles


def write_small_xml(src: Path, dst: Path, n_ways: int = 300) -> None:
    """The first ``n_ways`` repaired ways of ``src``: the warm-up extract."""
    from enablement.network.osm import WayTable, read_osm_file

    ways = read_osm_file(src)
    keep = np.arange(min(n_ways, len(ways)))
    small = WayTable(
        ways.way_id[keep],
        ways.tagset[keep],
        ways.offsets[: keep.size + 1],
        ways.refs[: ways.offsets[keep.size]],
        ways.lon[: ways.offsets[keep.size]],
        ways.lat[: ways.offsets[keep.size]],
        ways.tagsets,
        ways.modes,
    )
    write_tiled_xml(src, dst, 1, ways=small)


def bench_scale(pbf: Path, warm: Path, tiles: tuple[int, ...] = (9, 25)) -> dict:
    """Both builds on the Antwerp ways tiled side by side (same XML for both), warm."""
    runs = {}
    with tempfile.TemporaryDirectory() as tmp:
        for t in tiles:
            xml = Path(tmp) / f"tiled-{t}.osm"
            n = write_tiled_xml(pbf, xml, t)
            runs[t] = {"tiles": t, "osm_nodes": n, **_pair(xml, warm)}
            xml.unlink()
    lo, hi = runs[tiles[0]], runs[tiles[-1]]
    millions = (hi["osm_nodes"] - lo["osm_nodes"]) / 1e6

    def slope(side: str, key: str) -> float:
        return (hi[side][key] - lo[side][key]) / millions

    marginal = {
        side: {
            "seconds_per_million_nodes": round(slope(side, "seconds"), 2),
            "mb_per_million_nodes": round(slope(side, "delta_mb"), 1),
        }
        for side in ("ours", "osmnx_graph_from_xml")
    }
    o, x = marginal["ours"], marginal["osmnx_graph_from_xml"]
    return {
        "runs": list(runs.values()),
        "marginal": marginal,
        "marginal_speedup": round(x["seconds_per_million_nodes"] / o["seconds_per_million_nodes"], 2),
        "marginal_memory_ratio": round(x["mb_per_million_nodes"] / max(o["mb_per_million_nodes"], 0.1), 2),
    }


def bench_load(pbf: Path, tiles: int = 25, rounds: int = 3) -> dict:
    """Loading a saved network: the GeoPackage read against the arrays cache (best of ``rounds``)."""
    import time

    from enablement import settings
    from enablement.network.io import load_network, save_network
    from enablement.network.osm import build_network

    with tempfile.TemporaryDirectory() as tmp:
        settings.cache_folder = Path(tmp) / "cache"
        xml = Path(tmp) / "tiled.osm"
        write_tiled_xml(pbf, xml, tiles)
        net = build_network(osm_file=xml)
        gpkg = save_network(net, Path(tmp) / "net.gpkg")
        load_network(gpkg)  # writes the cache
        best = {"gpkg": float("inf"), "cache": float("inf")}
        for _ in range(rounds):
            for key, cache in (("gpkg", False), ("cache", True)):
                t0 = time.perf_counter()
                load_network(gpkg, cache=cache)
                best[key] = min(best[key], time.perf_counter() - t0)
    return {
        "edges": net.n_edges,
        "gpkg_s": round(best["gpkg"], 3),
        "cache_s": round(best["cache"], 3),
        "speedup": round(best["gpkg"] / best["cache"], 2),
    }


def filter_pass_seconds(pbf: Path, rounds: int = 3) -> float:
    """Best time of libosmium's pass over the whole file (filter, node locations, OPL out)."""
    import time

    from enablement.network.osm import DEFAULT_HIGHWAYS
    from enablement.network.osm_read import _filter_to_opl

    best = float("inf")
    with tempfile.TemporaryDirectory() as tmp:
        for k in range(rounds):
            t0 = time.perf_counter()
            _filter_to_opl(pbf, Path(tmp) / f"f{k}.opl", DEFAULT_HIGHWAYS, True)
            best = min(best, time.perf_counter() - t0)
    return best


def count_osm_nodes(path: Path) -> int:
    import osmium

    return sum(1 for _ in osmium.FileProcessor(str(path), osmium.osm.NODE))


def bench_osm(pbf: Path) -> dict:
    """Antwerp (cold and warm, PBF and repaired XML), the tiled scaling runs and the extrapolation."""
    with tempfile.TemporaryDirectory() as tmp:
        xml = Path(tmp) / "repaired.osm"
        warm = Path(tmp) / "warm-up.osm"
        kept = write_repaired_xml(pbf, xml)
        write_small_xml(pbf, warm)
        cold = _pair(xml, None)
        hot = _pair(xml, warm)
        ours_pbf = _child("ours", pbf)
        ours_pbf_warm = _child("ours", pbf, warm)
        scale = bench_scale(pbf, warm)
    load = bench_load(pbf)
    n_nodes = count_osm_nodes(pbf)
    per_million = ours_pbf_warm["seconds"] / (n_nodes / 1e6)
    marginal = scale["marginal"]["ours"]
    # Belgium: libosmium passes over every node of the file; the rest of the build grows with the
    # nodes of the ways kept, taken at Antwerp's share of the file
    share = kept["nodes"] / n_nodes
    pass_rate = filter_pass_seconds(pbf) / (n_nodes / 1e6)
    kept_m = 40 * share
    estimate = {
        "file_nodes_million": 40,
        "kept_share_as_antwerp": round(share, 3),
        "kept_way_nodes_million": round(kept_m, 1),
        "file_pass_s_per_million_file_nodes": round(pass_rate, 2),
        "minutes": round((40 * pass_rate + kept_m * marginal["seconds_per_million_nodes"]) / 60, 1),
        "build_gb": round(kept_m * marginal["mb_per_million_nodes"] / 1024, 1),
        "node_location_index_gb": round(40e6 * 16 / 2**30, 1),  # libosmium sparse index, 16 bytes a node
        "minutes_if_kept_share_30pct": round(
            (40 * pass_rate + 12 * marginal["seconds_per_million_nodes"]) / 60, 1
        ),
        "build_gb_if_kept_share_30pct": round(12 * marginal["mb_per_million_nodes"] / 1024, 1),
    }
    return {
        "file": pbf.name,
        "osm_nodes_in_file": n_nodes,
        "repaired_subset": kept,
        "antwerp_cold": cold,
        "antwerp_warm": hot,
        "ours_from_pbf_cold": ours_pbf,
        "ours_from_pbf_warm": ours_pbf_warm,
        "scale": scale,
        "load_gpkg_vs_arrays_cache": load,
        "seconds_per_million_osm_nodes_pbf": round(per_million, 2),
        "belgium_40M_nodes_at_antwerp_rate_min": round(per_million * 40 / 60, 1),
        "belgium_estimate": estimate,
    }


if __name__ == "__main__":
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("../shared/data/osm/antwerp-2014.osm.pbf")
    print(json.dumps(bench_osm(path), indent=2))
