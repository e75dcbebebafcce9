"""Benchmark: CP-SAT rail schedule of a division's rail-bound equipment (~600 vehicles, 4 quays, 150 wagons).

Anchors measured in the same run: the solver's own lower bound (gap), the
resource lower bounds (quay work, wagon pool, arrivals) and a first-come
first-served list schedule of the same trains (what a planner would do by hand).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np

from enablement.rolling_stock import rail_data
from enablement.scheduling.formation import Load, form_trains
from enablement.scheduling.rail import QuaySpec, _jobs, _lower_bounds, schedule_rail

QUAYS = {"q1": 2, "q2": 2, "q3": 3, "q4": 1}
DESTS = {"rh-west": 3 * 3600.0, "rh-east": 4 * 3600.0}
MIX = [("leopard2a6", 62.3, 10.97, 3.75), ("cv90", 35.0, 6.8, 3.2), ("pzh2000", 57.0, 11.7, 3.6)]


def division(seed: int = 0, vehicles: int = 600, units: int = 12):
    rng = np.random.default_rng(seed)
    data = rail_data()
    trains = []
    per_unit = vehicles // units
    for u in range(units):
        quay = list(QUAYS)[u % len(QUAYS)]
        dest = list(DESTS)[u % len(DESTS)]
        arrive = rng.uniform(0, 36 * 3600)  # the unit reaches its quay's staging area
        loads = []
        for _ in range(per_unit):
            v, m, ln, w = MIX[int(rng.integers(0, len(MIX)))]
            loads.append(Load(v, m, ln, w, arrive + rng.uniform(0, 4 * 3600)))
        trains += form_trains(f"U{u:02d}", quay, dest, loads, data=data)
    quays = {q: QuaySpec(q, n, data.loading_rate_wagons_per_h) for q, n in QUAYS.items()}
    travel = {(q, d): (t, t / 3600 * 60_000) for q in QUAYS for d, t in DESTS.items()}
    return trains, quays, travel, data


def fcfs(trains, quays, travel, wagons: int, locos: int, data) -> float:
    """First come, first served: trains in order of readiness take the first free track, pool and path."""
    jobs = sorted(_jobs(trains, quays, travel, data), key=lambda j: j.ready)
    free = {(q, t): 0 for q, s in quays.items() for t in range(s.ramp_tracks)}
    pool = [0] * wagons
    loco = [0] * locos
    path_free: dict[str, int] = {}
    unload_free: dict[str, list[int]] = {}
    headway = int(np.ceil(60 / data.paths_per_hour))
    closure = 0
    for j in jobs:
        pool.sort()
        loco.sort()
        key = min((k for k in free if k[0] == j.train.quay), key=lambda k: free[k])
        start = max(j.ready, free[key], pool[j.train.n_wagons - 1])
        depart = max(start + j.load, loco[0], path_free.get(j.train.destination, 0))
        heads = unload_free.setdefault(j.train.destination, [0] * data.railhead_tracks)
        heads.sort()
        arrive = max(depart + j.travel, heads[0])
        done = arrive + j.unload
        back = done + j.travel
        free[key] = start + j.load
        path_free[j.train.destination] = depart + headway
        heads[0] = done
        pool[: j.train.n_wagons] = [back] * j.train.n_wagons
        loco[0] = back
        closure = max(closure, done)
    return closure * 60.0


def main(time_limit_s: float = 60.0) -> dict[str, object]:
    trains, quays, travel, data = division()
    wagons, locos = 150, 10
    jobs = _jobs(trains, quays, travel, data)
    bounds = {k: v * 60.0 for k, v in _lower_bounds(jobs, quays, {"heavy_flat_6axle": wagons}).items()}
    t0 = time.perf_counter()
    res = schedule_rail(trains, quays, travel, wagons, locos, data=data, time_limit_s=time_limit_s, seed=0)
    wall = time.perf_counter() - t0
    hand = fcfs(trains, quays, travel, wagons, locos, data)
    return {
        "vehicles": sum(len(t.vehicles) for t in trains),
        "trains": len(trains),
        "wagons_needed": sum(t.n_wagons for t in trains),
        "quays": len(quays),
        "wagon_pool": wagons,
        "locomotives": locos,
        "time_limit_s": time_limit_s,
        "wall_s": round(wall, 2),
        "status": res.status,
        "closure_h": round(res.closure_s / 3600, 2),
        "solver_bound_h": round(res.bound_s / 3600, 2),
        "gap": round(res.gap, 4),
        "resource_bounds_h": {k: round(v / 3600, 2) for k, v in bounds.items()},
        "binding_resource": res.binding,
        "fcfs_closure_h": round(hand / 3600, 2),
        "closure_over_fcfs": round(res.closure_s / hand, 3),
        "wagon_days": round(res.wagon_days, 1),
        "utilisation": res.utilisation,
    }


if __name__ == "__main__":
    limit = float(sys.argv[1]) if len(sys.argv) > 1 else 60.0
    result = main(limit)
    out = Path("benchmarks/results")
    out.mkdir(parents=True, exist_ok=True)
    (out / "rail_cpsat.json").write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))
