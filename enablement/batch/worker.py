"""One variant, worker side: plan it and make its row of the results, never raising for a bad variant."""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import EnablementError, InfeasibleError, RoutingError
from .variants import Change, apply_changes

if TYPE_CHECKING:
    from ..network.model import Network
    from ..plan import Plan

logger = logging.getLogger(__name__)

STATUSES = ("ok", "infeasible", "failed", "timed out")
"""Status of a variant: planned, proven impossible (with the reason), failed (with the error), too slow."""


@dataclass(frozen=True)
class _Task:
    """What a worker needs to plan one variant (small; the network travels separately)."""

    variant: str
    label: str
    key: str
    n_changes: int
    data: Mapping[str, Any]
    fname: str
    base: str
    changes: tuple[Change, ...]
    solver: Mapping[str, Any]
    network: str


def _row(task: _Task, status: str, message: str = "", solve_s: float | None = None) -> dict[str, Any]:
    return {
        "variant": task.variant,
        "key": task.key,
        "changes": task.label,
        "n_changes": task.n_changes,
        "status": status,
        "closure": None,
        "closure_h": None,
        "total_lateness_h": None,
        "max_lateness_h": None,
        "units_late": None,
        "binding": "",
        "road_status": "",
        "rail_status": "",
        "message": message,
        "solve_s": None if solve_s is None else round(solve_s, 3),
    }


def _binding(plan: Plan) -> str:
    last = max(plan.units, key=lambda u: (u.closure_s, u.unit))
    if last.mode == "rail" and plan.rail is not None and plan.rail.binding:
        return f"rail: {plan.rail.binding}"
    if plan.march.binding:
        return f"road: {plan.march.binding}"
    return f"road: the march of unit {last.unit} (the greedy baseline names no binding constraint)"


def _run_variant(task: _Task, network: Network) -> dict[str, Any]:
    """Plan one variant; never raises for a bad or infeasible variant (the row says why)."""
    from ..plan import make_plan
    from ..scenario.load import validate_scenario
    from ..scenario.schema import Scenario

    t0 = time.perf_counter()
    try:
        if task.changes:  # the base data is valid: the full check runs once, on the variant
            base = Scenario.model_validate(dict(task.data))
            scenario = apply_changes(base, task.changes, fname=task.fname, base=Path(task.base))
        else:
            scenario = validate_scenario(dict(task.data), task.fname, Path(task.base))
        plan = make_plan(scenario, network=network, solver=dict(task.solver))
    except (InfeasibleError, RoutingError) as exc:
        return _row(task, "infeasible", str(exc), time.perf_counter() - t0)
    except EnablementError as exc:
        return _row(task, "failed", str(exc), time.perf_counter() - t0)
    except Exception as exc:  # a batch goes on: the row records the error
        logger.warning("variant %s failed", task.variant, exc_info=True)
        msg = f"internal error ({type(exc).__name__}: {exc}); please report it with the variant's changes"
        return _row(task, "failed", msg, time.perf_counter() - t0)
    row = _row(task, "ok", "", time.perf_counter() - t0)
    k = plan.kpis()
    row.update(
        closure=k["closure"],
        closure_h=round(plan.closure_s / 3600.0, 4),
        total_lateness_h=round(sum(u.lateness_s for u in plan.units) / 3600.0, 4),
        max_lateness_h=round(max((u.lateness_s for u in plan.units), default=0.0) / 3600.0, 4),
        units_late=int(k["units_late"]),
        binding=_binding(plan),
        road_status=plan.march.status,
        rail_status=plan.rail.status if plan.rail is not None else "not used",
    )
    return row


def _run_guarded(task: _Task, network: Network, timeout_s: float) -> dict[str, Any]:
    """Plan a variant in a watchdog thread: a ``timed out`` row after ``timeout_s`` of wall clock.

    Used in this process and on Dask workers, where a task cannot be killed: the
    abandoned thread runs on until the solver's own limits stop it.
    """
    box: list[dict[str, Any]] = []
    thread = threading.Thread(
        target=lambda: box.append(_run_variant(task, network)), name=f"variant-{task.variant}", daemon=True
    )
    thread.start()
    thread.join(timeout_s)
    if box:
        return box[0]
    return _timed_out(task, timeout_s)


def _timed_out(task: _Task, timeout_s: float) -> dict[str, Any]:
    msg = f"no result within {timeout_s:g} s of wall clock; raise timeout_s (or lower the solver time limit)"
    return _row(task, "timed out", msg, timeout_s)


# process-pool workers: the networks arrive once per process, through the initializer (from a
# file, so that a worker that fails to start cannot block the parent writing to its pipe)
_WORKER: dict[str, Any] = {}


def _init_worker(networks_file: str, started: Any, threads: int) -> None:
    import pickle

    with open(networks_file, "rb") as f:
        _WORKER["networks"] = pickle.load(f)
    _WORKER["started"] = started
    from .. import plan  # noqa: F401  (import the planner before the first variant's clock starts)

    try:
        import numba

        numba.set_num_threads(max(1, min(threads, numba.config.NUMBA_NUM_THREADS)))
    except (ImportError, ValueError):  # pragma: no cover
        pass


def _pool_task(task: _Task) -> dict[str, Any]:
    _WORKER["started"].put((task.variant, os.getpid(), time.time()))
    return _run_variant(task, _WORKER["networks"][task.network])
