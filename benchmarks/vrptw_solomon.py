"""Benchmark: the HET solver's OR-Tools routing configuration on Solomon VRPTW instances.

Gap to the best-known distances (DIMACS convention, ../shared/data/vrp/SOURCES),
against OR-Tools' default search (automatic first solution, no metaheuristic)
measured in the same run. Targets (#6): C101 and RC208 within 1 %, R101 within 2 %,
at 30 s each.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from enablement.scheduling.vrptw import (
    FIRST_SOLUTION,
    METAHEURISTIC,
    check_solution,
    read_solomon,
    solve_vrptw,
)

BEST_KNOWN = {"c101": 827.3, "r101": 1637.7, "rc208": 776.1}
DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "vrp"


def main(time_limit_s: float = 30.0) -> dict[str, object]:
    if not DATA.is_dir():
        return {"skipped": f"{DATA} not found (real data sits beside the project in CI only)"}
    out: dict[str, object] = {"first_solution": FIRST_SOLUTION, "metaheuristic": METAHEURISTIC}
    for name, best in BEST_KNOWN.items():
        inst = read_solomon(DATA / f"{name}.txt")
        ours = solve_vrptw(inst, time_limit_s=time_limit_s)
        default = solve_vrptw(inst, time_limit_s=time_limit_s, first_solution="AUTOMATIC", metaheuristic=None)
        out[name] = {
            "best_known": best,
            "ours": ours.distance,
            "ours_vehicles": ours.vehicles,
            "ours_gap": round(ours.distance / best - 1, 4),
            "ours_valid": check_solution(inst, ours) == [],
            "ortools_default": default.distance,
            "ortools_default_gap": round(default.distance / best - 1, 4),
            "seconds": round(ours.seconds, 1),
        }
    return out


if __name__ == "__main__":
    limit = float(sys.argv[1]) if len(sys.argv) > 1 else 30.0
    result = main(limit)
    out = Path("benchmarks/results")
    out.mkdir(parents=True, exist_ok=True)
    (out / "vrptw_solomon.json").write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))
