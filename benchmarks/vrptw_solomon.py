"""Benchmark: an OR-Tools routing configuration (benchmarks/vrptw_engine.py) on Solomon VRPTW instances.

Gap to the best-known distances, per instance against its target (#6: C101 and RC208
within 1 %, R101 within 2 %, at 30 s each), and against OR-Tools' default search
(automatic first solution, greedy descent, default operators) on the same model, measured
in the same run.

Which best knowns: the optimum of the objective the engine minimises, total distance with
every Euclidean distance truncated to 0.1 (the DIMACS convention of the exact VRPTW
literature), at most the instance's 25 vehicles and no cost per vehicle
(../shared/data/SOURCES.md: C101 827.3, R101 1637.7, RC208 776.1). Not the
vehicles-first best knowns of the heuristic literature (SINTEF's table: fewest vehicles,
then distance in double precision: C101 10 / 828.94, R101 19 / 1650.80, RC208 3
vehicles), which rank solutions by another objective: R101's distance optimum uses 20
vehicles, one more than the fewest, and RC208's solutions here use 4.

Timing: the limit is wall clock, one process, one core. Guided local search has no random
element, so with the same CPU time it returns the same solution, but a busy machine gives
it less CPU in 30 s: each instance records the CPU seconds it got, and the load average
before the run is recorded.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

from vrptw_engine import (
    EXTRA_OPERATORS,
    FALLBACK_FIRST_SOLUTION,
    FIRST_SOLUTION,
    FIRST_SOLUTION_SHARE,
    GLS_LAMBDA,
    METAHEURISTIC,
    check_solution,
    read_solomon,
    solve_vrptw,
)

BEST_KNOWN = {"c101": 827.3, "r101": 1637.7, "rc208": 776.1}
"""Distance-only optima, distances truncated to 0.1 (see the module notes)."""
BEST_KNOWN_VEHICLES = {"c101": 10, "r101": 20, "rc208": None}
"""Routes in the best-known solutions; RC208's is not recorded in SOURCES.md."""
TARGET_GAP = {"c101": 0.01, "r101": 0.02, "rc208": 0.01}
"""Largest accepted gap to the best known at 30 s (#6)."""
DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "vrp"


def main(time_limit_s: float = 30.0) -> dict[str, object]:
    if not DATA.is_dir():
        return {"skipped": f"{DATA} not found (real data sits beside the project in CI only)"}
    out: dict[str, object] = {
        "time_limit_s": time_limit_s,
        "first_solution": FIRST_SOLUTION,
        "fallback_first_solution": FALLBACK_FIRST_SOLUTION,
        "first_solution_share": FIRST_SOLUTION_SHARE,
        "metaheuristic": METAHEURISTIC,
        "gls_lambda": GLS_LAMBDA,
        "extra_operators": list(EXTRA_OPERATORS),
        "cpus": os.cpu_count(),
        "load_average_before": [round(x, 2) for x in os.getloadavg()],
    }
    met = []
    for name, best in BEST_KNOWN.items():
        inst = read_solomon(DATA / f"{name}.txt")
        cpu = time.process_time()
        ours = solve_vrptw(inst, time_limit_s=time_limit_s)
        cpu = time.process_time() - cpu
        default = solve_vrptw(
            inst,
            time_limit_s=time_limit_s,
            first_solution="AUTOMATIC",
            metaheuristic=None,
            extra_operators=(),
        )
        gap = ours.distance / best - 1
        valid = check_solution(inst, ours) == []
        met.append(valid and gap <= TARGET_GAP[name])
        out[name] = {
            "fleet": inst.vehicles,
            "best_known": best,
            "best_known_vehicles": BEST_KNOWN_VEHICLES[name],
            "target_gap": TARGET_GAP[name],
            "ours": ours.distance,
            "ours_vehicles": ours.vehicles,
            "ours_gap": round(gap, 4),
            "ours_valid": valid,
            "target_met": met[-1],
            "seconds": round(ours.seconds, 1),
            "cpu_seconds": round(cpu, 1),
            "ortools_default": default.distance,
            "ortools_default_vehicles": default.vehicles,
            "ortools_default_gap": round(default.distance / best - 1, 4),
        }
    out["all_targets_met"] = all(met)
    return out


if __name__ == "__main__":
    limit = float(sys.argv[1]) if len(sys.argv) > 1 else 30.0
    result = main(limit)
    out = Path("benchmarks/results")
    out.mkdir(parents=True, exist_ok=True)
    (out / "vrptw_solomon.json").write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))
