"""Benchmarks of the foundation: embedded network reader and the default plan.

Writes ``benchmarks/results/foundation.json``. Absolute times on shared machines
are noise, so each figure comes with a ratio to an anchor measured in the same
run: the streaming reader against a plain ``ast.literal_eval`` parse of the same
file, and our scipy router against networkx's Dijkstra on the same graph.

Run with ``make bench`` (or ``python benchmarks/run.py --out DIR``).
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CHILD = r"""
import json, sys, time, ast
from pathlib import Path

def peak_mb():
    # VmHWM belongs to this process image; ru_maxrss would carry the parent's peak across exec
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")

what, path = sys.argv[1], Path(sys.argv[2])
t0 = time.perf_counter()
if what == "stream":
    from enablement.network.embedded import clip_area, read_scgraph_file
    area = clip_area(30_000)
    t0 = time.perf_counter()
    sub = read_scgraph_file(path, area)
    n = int(sub.node_ids.size)
else:
    text = path.read_text()
    g = text.index("graph=")
    nodes_at = text.index("\nnodes=", g)
    graph = ast.literal_eval(text[g + 6:nodes_at])
    end = text.index("\n", nodes_at + 1)
    nodes = ast.literal_eval(text[nodes_at + 7:end])
    n = len(nodes)
elapsed = time.perf_counter() - t0
print(json.dumps({"seconds": elapsed, "peak_rss_mb": peak_mb(), "nodes": n}))
"""


def _child(what: str, path: Path) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, "-c", CHILD, what, str(path)], check=True, capture_output=True, text=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def bench_reader() -> dict[str, object]:
    from enablement.network.embedded import _MODULES, _scgraph_folder

    path = _scgraph_folder() / _MODULES["rail"]
    ours = _child("stream", path)
    anchor = _child("literal_eval", path)
    return {
        "file": path.name,
        "streaming_reader": ours,
        "anchor_ast_literal_eval": anchor,
        "speedup": round(anchor["seconds"] / ours["seconds"], 2),
        "memory_ratio": round(anchor["peak_rss_mb"] / ours["peak_rss_mb"], 2),
    }


def bench_network_cache() -> dict[str, float]:
    from enablement import settings
    from enablement.network.embedded import load_embedded_network

    with tempfile.TemporaryDirectory() as tmp:
        settings.cache_folder = Path(tmp)
        t0 = time.perf_counter()
        load_embedded_network()
        cold = time.perf_counter() - t0
        t0 = time.perf_counter()
        load_embedded_network()
        warm = time.perf_counter() - t0
    return {
        "cold_build_s": round(cold, 3),
        "cached_load_s": round(warm, 3),
        "cold_over_cached": round(cold / warm, 1),
    }


def bench_routing() -> dict[str, float]:
    import networkx as nx
    import numpy as np

    from enablement.network.embedded import load_embedded_network
    from enablement.routing import Router

    net = load_embedded_network()
    router = Router(net, "road")
    road = net.edges[net.edges["mode"] == "road"]
    g = nx.DiGraph()
    for u, v, t in zip(road["u"], road["v"], router.edge_times(None), strict=True):
        if not g.has_edge(u, v) or g[u][v]["w"] > t:
            g.add_edge(int(u), int(v), w=float(t))
    rng = np.random.default_rng(1)
    nodes = np.array(sorted(g.nodes))
    pairs = [(int(a), int(b)) for a, b in rng.choice(nodes, size=(20, 2))]
    Router(net, "road").route(pairs[0][0], pairs[0][1])  # compile or load the kernels first
    t0 = time.perf_counter()
    ours = [router.route(a, b).time_s for a, b in pairs]
    t_ours = time.perf_counter() - t0
    t0 = time.perf_counter()
    ref = [nx.dijkstra_path_length(g, a, b, weight="w") for a, b in pairs]
    t_nx = time.perf_counter() - t0
    assert np.allclose(ours, ref), "router and networkx disagree"
    return {
        "pairs": len(pairs),
        "router_s": round(t_ours, 4),
        "networkx_s": round(t_nx, 4),
        "speedup_vs_networkx": round(t_nx / t_ours, 2),
    }


def bench_plan() -> dict[str, object]:
    from enablement.outputs import write_outputs
    from enablement.plan import make_plan

    t0 = time.perf_counter()
    plan = make_plan("enablement:brigade-antwerp-aachen")
    t_plan = time.perf_counter() - t0
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        paths = write_outputs(plan, tmp)
        t_out = time.perf_counter() - t0
        map_mb = paths["map"].stat().st_size / 1e6
    k = plan.kpis()
    return {
        "plan_s": round(t_plan, 2),
        "outputs_s": round(t_out, 2),
        "steps_s": plan.timings,
        "map_mb": round(map_mb, 2),
        "closure_hours": k["closure_hours_from_start"],
        "march_units": k["march_units"],
        "trains": k["trains"],
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--out", default="benchmarks/results")
    args = ap.parse_args()
    result = {
        "python": sys.version.split()[0],
        "machine": platform.machine(),
        "reader": bench_reader(),
        "network_cache": bench_network_cache(),
        "routing": bench_routing(),
        "plan": bench_plan(),
    }
    from routing_core import main as routing_core

    result["routing_core"] = routing_core()
    pbf = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "osm" / "antwerp-2014.osm.pbf"
    if pbf.is_file():
        from osm_build import bench_osm

        result["osm_build"] = bench_osm(pbf)
    else:
        result["osm_build"] = {"skipped": f"{pbf} not found (real data sits beside the project in CI only)"}
    from detailed_network import bench_detailed

    result["detailed_network"] = bench_detailed(pbf)  # skipped, with the reason, without the extract
    from batch_runs import main as batch_runs
    from march_cpsat import main as march_cpsat
    from rail_cpsat import main as rail_cpsat
    from vrptw_pyvrp import main as vrptw_pyvrp
    from vrptw_solomon import main as vrptw_solomon

    result["rail_cpsat"] = rail_cpsat()
    result["vrptw_solomon"] = vrptw_solomon()
    result["vrptw_pyvrp"] = vrptw_pyvrp()
    from het_engines import main as het_engines

    result["het_engines"] = het_engines()
    result["march_cpsat"] = march_cpsat()
    result["batch_runs"] = batch_runs()
    from validate_large import main as validate_large

    validate_large(["--out", args.out])  # writes validate_large.json beside foundation.json
    from scale import main as scale

    scale(["--out", args.out])  # writes scale.json beside foundation.json (brigade to corps)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "foundation.json").write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
