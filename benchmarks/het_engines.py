"""Benchmark: the HET shuttles' two engines on one synthetic problem at scale (300 tasks, 30 HETs).

PyVRP (``enablement.scheduling.het_pyvrp``, the engine at capacity 1) beside OR-Tools routing
(``enablement.scheduling.het_routing``) and the first plan both start from (list scheduling),
with the same time limit: closure, HET-hours, the objective both are judged on
(``het_pyvrp.score``: closure and lateness first, then HET-hours), status and wall time; every
plan checked by ``het_check.check_hets``. The problem: 16 places drawn in a 150 km square (seed
7), the park at place 0, pickups at places 1-5, deliveries at 6-15, HETs at 40 km/h, vehicles
ready over 48 h, no loading windows and no due times; 30 HETs, 12 h duty, 10 h rest. Synthetic,
not a planning case: it measures the search, not a scenario.

Run: ``.venv/bin/python benchmarks/het_engines.py`` (about 1 minute). Writes
``benchmarks/results/het_engines.json``.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import numpy as np

from enablement.scheduling.het import HetFleet, HetSchedule, HetTask
from enablement.scheduling.het_check import check_hets
from enablement.scheduling.het_data import extract_plan, prepare, summarise
from enablement.scheduling.het_pyvrp import ITERATIONS_PER_SECOND, schedule_hets_pyvrp, score
from enablement.scheduling.het_routing import SPARE_SHIFTS, schedule_hets

H = 3600.0
TASKS, HETS, LIMIT_S = 300, 30, 30.0


def problem() -> tuple[list[HetTask], HetFleet, np.ndarray]:
    rng = np.random.default_rng(7)
    xy = rng.uniform(0, 150_000, size=(16, 2))
    travel = np.hypot(*(xy[:, None] - xy[None]).transpose(2, 0, 1)) / (40 / 3.6)
    tasks = [
        HetTask(
            f"v{k}", "leopard2", int(rng.integers(1, 6)), int(rng.integers(6, 16)), rng.uniform(0, 48 * H)
        )
        for k in range(TASKS)
    ]
    return tasks, HetFleet(count=HETS, depot=0, duty_hours=12.0, rest_hours=10.0), travel


def _row(s: HetSchedule, tasks: list[HetTask], fleet: HetFleet, travel: np.ndarray, seconds: float) -> dict:
    return {
        "engine": s.engine,
        "status": s.status,
        "closure_hours": round(s.closure_s / H, 2),
        "het_hours": round(s.het_hours, 1),
        "lateness_hours": round(s.lateness_s / H, 2),
        "score": score(s),
        "seconds": round(seconds, 1),
        "checker_problems": len(check_hets(s, tasks, fleet, travel)),
    }


def main() -> dict[str, object]:
    tasks, fleet, travel = problem()
    out: dict[str, object] = {
        "tasks": TASKS,
        "hets": HETS,
        "time_limit_s": LIMIT_S,
        "pyvrp_iterations": int(ITERATIONS_PER_SECOND * LIMIT_S),
        "load_average_before": [round(x, 2) for x in os.getloadavg()],
    }
    t0 = time.perf_counter()
    prepared = prepare(tasks, fleet, travel, 0, SPARE_SHIFTS, t0)
    assert not isinstance(prepared, HetSchedule) and prepared[1] is not None
    data, plans, bound = prepared
    trips, shifts = extract_plan(data, plans)
    first = summarise(trips, shifts, tasks, bound, data.days, 0.0, False, "first plan")
    out["first_plan"] = _row(first, tasks, fleet, travel, time.perf_counter() - t0)
    out["bound_hours"] = round(bound / H, 2)
    t0 = time.perf_counter()
    s = schedule_hets(tasks, fleet, travel, time_limit_s=LIMIT_S)
    out["ortools"] = _row(s, tasks, fleet, travel, time.perf_counter() - t0)
    t0 = time.perf_counter()
    s = schedule_hets_pyvrp(tasks, fleet, travel, time_limit_s=LIMIT_S)
    out["pyvrp"] = _row(s, tasks, fleet, travel, time.perf_counter() - t0)
    return out


if __name__ == "__main__":
    result = main()
    out = Path("benchmarks/results")
    out.mkdir(parents=True, exist_ok=True)
    (out / "het_engines.json").write_text(json.dumps(result, indent=2))
    json.dump(result, sys.stdout, indent=2)
