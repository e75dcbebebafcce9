"""What holds the force closure back (``findings.closure_binding``), hand-solved on a line of road."""

import dataclasses

import numpy as np

from enablement.routing import Router
from enablement.scheduling.findings import closure_binding
from enablement.scheduling.greedy import schedule_march
from enablement.scheduling.march import MarchProblem
from enablement.timeline import Intervals
from tests.helpers import march_problem
from tests.scheduling.test_greedy import POLICY, line_network, mu


def _binding(closed_until_s: float | None):
    net = line_network([0, 10, 20])  # a - 10 km - n1 - 10 km - b, no way round
    e = net.edges
    first = int(np.flatnonzero(((e["u"] == 0) & (e["v"] == 1)).to_numpy())[0])
    closed = {} if closed_until_s is None else {first: Intervals([(0.0, closed_until_s)])}
    problem = march_problem(net, [mu(1)], POLICY, {"a": 0, "b": 2}, edge_closed=closed)
    label = "close_bridge x-closed (bridge-x)"
    rules = dataclasses.replace(
        problem.rules, closed_by={label: (Intervals([(0.0, closed_until_s)]), (first,))} if closed else {}
    )
    problem = MarchProblem(net, problem.units, problem.site_node, rules)
    sched = schedule_march(problem, Router(net))
    closure = max(sched.closure_s.values())
    return closure_binding(
        units=[("U", "road", closure)],
        march_units=list(problem.units),
        march=sched,
        rules=rules,
        rail=None,
        trains=[],
        staging={},
        release={},
        ramp_tracks={},
        wagons=0,
        locomotives={},
        iso=lambda t: f"t={t:.0f}s",
    ), closure


def test_a_closure_the_column_must_wait_out_holds_the_force_closure():
    b, closure = _binding(7200.0)  # the only road closed for 2 h: the column waits at its start
    assert closure >= 7200.0
    assert b is not None and b.part == "disruption" and b.subject == "U/01"
    assert "x-closed" in b.what and "reopen at t=7200s" in b.what


def test_without_the_closure_nothing_of_the_road_holds_it():
    b, closure = _binding(None)
    assert closure < 7200.0
    assert b is not None and b.part != "disruption"
