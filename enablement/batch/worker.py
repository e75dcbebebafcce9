"""One variant, worker side: plan it and make its row of the results, never raising for a bad variant."""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import pickle
import signal
import sys
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import EnablementError, InfeasibleError, RoutingError
from .variants import Variant, apply_changes

if TYPE_CHECKING:
    from ..network.model import Network
    from ..scenario.schema import Scenario

logger = logging.getLogger(__name__)

STATUSES = ("ok", "infeasible", "failed", "timed out")
"""Status of a variant: planned, proven impossible (with the reason), failed (with the error), too slow."""


@dataclass(frozen=True)
class _Task:
    """What a worker needs to plan one variant (small; the network travels separately).

    ``scenario`` is the batch's base scenario, loaded and validated once for the whole
    batch (the worker applies the variant's changes to it), or a folder batch's file.
    """

    variant: Variant
    scenario: Scenario
    fname: str
    folder: Path
    solver: Mapping[str, Any]
    network: str

    @property
    def id(self) -> str:
        """The variant's id."""
        return self.variant.id


def _row(variant: Variant, status: str, message: str = "", solve_s: float | None = None) -> dict[str, Any]:
    return {
        "variant": variant.id,
        "key": variant.key,
        "changes": variant.label,
        "n_changes": len(variant.changes),
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


def _run_variant(task: _Task, network: Network) -> dict[str, Any]:
    """Plan one variant; never raises for a bad or infeasible variant (the row says why)."""
    from ..plan import make_plan

    t0 = time.perf_counter()
    try:
        scenario = task.scenario  # valid: the full check runs on a variant only, once
        if task.variant.changes:
            scenario = apply_changes(scenario, task.variant.changes, fname=task.fname, base=task.folder)
        plan = make_plan(scenario, network=network, solver=dict(task.solver))
    except (InfeasibleError, RoutingError) as exc:
        return _row(task.variant, "infeasible", str(exc), time.perf_counter() - t0)
    except EnablementError as exc:
        return _row(task.variant, "failed", str(exc), time.perf_counter() - t0)
    except Exception as exc:  # a batch goes on: the row records the error
        logger.warning("variant %s failed", task.id, exc_info=True)
        msg = f"internal error ({type(exc).__name__}: {exc}); please report it with the variant's changes"
        return _row(task.variant, "failed", msg, time.perf_counter() - t0)
    row = _row(task.variant, "ok", "", time.perf_counter() - t0)
    k = plan.kpis()
    row.update(
        closure=k["closure"],
        closure_h=round(plan.closure_s / 3600.0, 4),
        total_lateness_h=round(sum(u.lateness_s for u in plan.units) / 3600.0, 4),
        max_lateness_h=round(max((u.lateness_s for u in plan.units), default=0.0) / 3600.0, 4),
        units_late=int(k["units_late"]),
        binding=plan.bottleneck,
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
        target=lambda: box.append(_run_variant(task, network)), name=f"variant-{task.id}", daemon=True
    )
    thread.start()
    thread.join(timeout_s)
    if box:
        return box[0]
    return _timed_out(task, timeout_s)


def _timed_out(task: _Task, timeout_s: float) -> dict[str, Any]:
    msg = f"no result within {timeout_s:g} s of wall clock; raise timeout_s (or lower the solver time limit)"
    return _row(task.variant, "timed out", msg, timeout_s)


# process-pool workers: the networks arrive once per process, through the initializer (from a
# file, so that a worker that fails to start cannot block the parent writing to its pipe)
_WORKER: dict[str, Any] = {}

_PR_SET_PDEATHSIG = 1  # linux/prctl.h
_WATCH_S = 1.0  # how often a worker looks for its parent (where the kernel cannot tell it)


def _init_worker(networks_file: str, started: Any, threads: int, parent: int) -> None:
    _die_with_parent(parent)
    with open(networks_file, "rb") as f:
        _WORKER["networks"] = pickle.load(f)
    _WORKER["started"] = started
    from .. import plan  # noqa: F401  (import the planner before the first variant's clock starts)

    try:
        import numba

        # in a fresh worker numba runs on all its NUMBA_NUM_THREADS threads, the most it allows
        numba.set_num_threads(max(1, min(threads, numba.get_num_threads())))
    except (ImportError, ValueError):  # pragma: no cover
        pass


def _die_with_parent(parent: int) -> None:
    """Make this pool worker end when the batch's process ``parent`` ends, however it ends.

    On Linux the kernel kills the worker the moment its parent dies, even by SIGKILL
    (``prctl(PR_SET_PDEATHSIG, SIGKILL)``); everywhere, a watchdog thread ends it
    within :data:`_WATCH_S` once it has been handed to another parent (the thread
    needs the interpreter: the kernel's signal does not). Ctrl-C reaches the whole
    process group of a terminal: workers ignore it, the parent stops them.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):  # no libc prctl: the watchdog alone
            libc = ctypes.CDLL(None, use_errno=True)
            if libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0) != 0:
                logger.debug("prctl(PR_SET_PDEATHSIG) failed: errno %d", ctypes.get_errno())
    if os.getppid() != parent:  # the parent died before the above
        os._exit(1)
    threading.Thread(target=_watch_parent, args=(parent,), name="parent-watchdog", daemon=True).start()


def _watch_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(_WATCH_S)
    os._exit(1)


def _pool_task(task: _Task) -> dict[str, Any]:
    _WORKER["started"].put((task.id, os.getpid(), time.time()))
    return _run_variant(task, _WORKER["networks"][task.network])
