"""The road step: the greedy baseline, then (when asked) the CP-SAT optimiser warm-started from it."""

from __future__ import annotations

import time
from collections.abc import Callable

from ..routing import Router
from ..scenario.schema import SolverSpec
from .greedy import schedule_march
from .march import MarchProblem, MarchSchedule
from .march_cpsat import optimise_march

__all__ = ["schedule_road"]


def schedule_road(
    problem: MarchProblem,
    router: Router,
    solver: SolverSpec,
    progress: Callable[[str], None] | None = None,
) -> MarchSchedule:
    """Schedule the road march of ``problem`` with the method the scenario's ``solver`` names.

    Parameters
    ----------
    problem
        March units, their sites' road nodes and the rules.
    router
        Road router of the problem's network.
    solver
        ``road`` (``greedy`` or ``cp-sat``), ``time_limit_s`` (wall time of this whole step,
        baseline included), ``seed``, ``alternatives``.
    progress
        Called with a line on each incumbent of the optimiser (closure, bound, gap).

    Returns
    -------
    MarchSchedule
        The greedy baseline, or the optimiser's schedule with its bound and gap.
    """
    started = time.perf_counter()
    march = schedule_march(problem, router)
    if solver.road == "cp-sat":
        march = optimise_march(
            problem,
            router,
            alternatives=solver.alternatives,
            time_limit_s=solver.time_limit_s,
            seed=solver.seed,
            baseline=march,
            started_s=started,
            progress=progress,
        )
    return march
