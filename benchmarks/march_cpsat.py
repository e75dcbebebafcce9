"""Benchmark: the CP-SAT road movement model against the greedy baseline and the lower bounds.

Cases (deterministic time limits 5, 10 and 10 s): the default brigade (~1,500
vehicles, 66 march units), the division (~6,000 vehicles, ~300 march units,
four corridors), and the division with every ship in at the start (a congested variant where route choice and
sequencing matter). Anchors measured in the same run: the greedy baseline's
closure (the yardstick), the solver's bound, our own bounds (each march unit
alone; columns queuing one by one on a shared segment), and the share of the
baseline's closure that any schedule could still save (baseline minus bound).

Targets (issue #6): brigade within 2 % of the bound in ≤ 30 s on 2 cores;
division feasible in ≤ 120 s with a closure ≥ 15 % earlier than the baseline,
or a lower bound that shows why not.

Run: ``python benchmarks/march_cpsat.py [OUT.json]`` (also part of ``make bench``).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from enablement.plan import build_network, make_plan
from enablement.routing import Router
from enablement.scenario.load import load_scenario
from enablement.scheduling.march import MarchProblem
from enablement.scheduling.march_cpsat import optimise_march

CASES = {
    "brigade": ("enablement:brigade-antwerp-aachen", 5.0, False),
    "division": ("enablement:division-four-corridors", 10.0, False),
    "division_all_ships_at_start": ("enablement:division-four-corridors", 10.0, True),
}


def run_case(name: str, time_limit_s: float, all_at_start: bool, network=None) -> dict[str, object]:
    sc = load_scenario(name)
    if all_at_start:
        ships = [a.model_copy(update={"time": sc.start}) for a in sc.arrivals]
        sc = sc.model_copy(update={"arrivals": ships})
    network = network if network is not None else build_network(sc)
    t0 = time.perf_counter()
    base_plan = make_plan(sc, network=network, solver={"road": "greedy"})
    greedy_s = time.perf_counter() - t0
    assert base_plan.rules is not None
    road_node = {sid: int(n) for sid, n in network.sites["node_road"].items() if int(n) >= 0}
    problem = MarchProblem(network, base_plan.march_units, road_node, base_plan.rules)
    router = Router(network, "road")
    t0 = time.perf_counter()
    res = optimise_march(problem, router, time_limit_s=time_limit_s, seed=0, baseline=base_plan.march)
    wall = time.perf_counter() - t0
    close = max(res.closure_s.values())
    base = float(res.baseline_closure_s or 0.0)
    bound = float(res.bound_s or 0.0)
    h = 3600.0
    return {
        "march_units": len(base_plan.march_units),
        "vehicles": sum(len(m.vehicles) for m in base_plan.march_units),
        "time_limit_s": time_limit_s,
        "cpsat_wall_s": round(wall, 2),
        "greedy_plan_wall_s": round(greedy_s, 2),
        "status": res.status,
        "greedy_closure_h": round(base / h, 3),
        "cpsat_closure_h": round(close / h, 3),
        "bound_h": round(bound / h, 3),
        "gap_to_bound": round(res.gap or 0.0, 5),
        "closure_vs_greedy": round(close / base, 4) if base else None,
        "earlier_than_greedy_pct": round(100 * (base - close) / base, 2) if base else None,
        "most_any_schedule_could_save_pct": round(100 * (base - bound) / base, 2) if base else None,
        "binding": res.binding,
        "alternate_corridor_march_units": len(res.rerouted),
    }


def main() -> dict[str, object]:
    out: dict[str, object] = {}
    nets: dict[str, object] = {}
    for case, (name, limit, at_start) in CASES.items():
        if name not in nets:
            nets[name] = build_network(load_scenario(name))
        out[case] = run_case(name, limit, at_start, nets[name])
    b, d = out["brigade"], out["division"]
    out["targets"] = {
        "brigade_within_2pct_of_bound": b["gap_to_bound"] <= 0.02,  # type: ignore[index, operator]
        "brigade_within_30s": b["cpsat_wall_s"] <= 30,  # type: ignore[index, operator]
        "division_within_120s": d["cpsat_wall_s"] <= 120,  # type: ignore[index, operator]
        "division_15pct_earlier": (d["earlier_than_greedy_pct"] or 0) >= 15,  # type: ignore[index, operator]
        "division_15pct_possible_at_all": (d["most_any_schedule_could_save_pct"] or 0) >= 15,  # type: ignore[index, operator]
    }
    return out


if __name__ == "__main__":
    result = main()
    text = json.dumps(result, indent=2)
    if len(sys.argv) > 1:
        Path(sys.argv[1]).write_text(text)
    print(text)
