"""Execution backends: variants in this process, on a local process pool, or on a Dask cluster.

A Dask task cannot be killed: a variant over its wall-clock limit is recorded as
``timed out`` and its thread runs on until the solvers' own limits stop it; in the
local pool its process is killed.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import signal
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import BatchError
from .worker import _init_worker, _pool_task, _row, _run_guarded, _Task, _timed_out

if TYPE_CHECKING:
    from ..network.model import Network

logger = logging.getLogger(__name__)

_STARTUP_GRACE_S = 180.0  # a pool worker imports the package and receives the network before its first task
_POLL_S = 0.2


Record = Callable[[dict[str, Any]], None]


def _kill(pid: int) -> None:
    with contextlib.suppress(OSError):  # gone already
        os.kill(pid, getattr(signal, "SIGKILL", signal.SIGTERM))


class _Pool:
    """A spawn-based process pool whose hung or crashed workers are killed and replaced."""

    def __init__(self, networks_file: Path, workers: int) -> None:
        self.networks_file = networks_file
        self.workers = workers
        self.ctx = multiprocessing.get_context("spawn")  # numba's OpenMP layer and OR-Tools are not fork-safe
        self.executor: ProcessPoolExecutor | None = None
        self.started: Any = None
        self.alive = False  # a task has started in this pool
        self.failed_starts = 0  # pools in a row that broke before any task started

    def start(self) -> ProcessPoolExecutor:
        if self.executor is None:
            # synchronous (no feeder thread): a start is in the pipe before the variant runs; a fresh
            # queue per pool, as a killed worker may leave the old one locked
            self.started = self.ctx.SimpleQueue()
            self.alive = False
            threads = max(1, (os.cpu_count() or 1) // self.workers)
            self.executor = ProcessPoolExecutor(
                max_workers=self.workers,
                mp_context=self.ctx,
                initializer=_init_worker,
                initargs=(str(self.networks_file), self.started, threads),
            )
        return self.executor

    def starts(self) -> Iterator[tuple[str, int, float]]:
        while self.started is not None and not self.started.empty():
            event = self.started.get()
            self.alive = True
            self.failed_starts = 0
            yield event

    def stop(self, pids: Iterable[int] = (), *, wait: bool = False, broken: bool = False) -> None:
        if broken and not self.alive:
            self.failed_starts += 1
            if self.failed_starts >= 2:
                msg = (
                    "the worker processes fail to start (their error is printed above); a script that "
                    "calls run_batch with workers must do so under `if __name__ == '__main__':`"
                )
                raise BatchError(msg)
        for pid in pids:
            _kill(pid)
        if self.executor is not None:
            self.executor.shutdown(wait=wait, cancel_futures=True)
        if self.started is not None:
            self.started.close()
        self.executor = None
        self.started = None


def _run_pool(
    tasks: Sequence[_Task], networks: Mapping[str, Network], workers: int, timeout_s: float, record: Record
) -> None:
    """Run tasks on a local process pool, at most ``workers`` in flight, each within ``timeout_s``.

    A variant over its time limit is recorded as ``timed out`` and its worker killed;
    the pool is then replaced and the variants that were running beside it are run
    again. Variants running when a worker died are run again one at a time, and a
    variant that kills its worker on its own is recorded as ``failed``.
    """
    import pickle
    import tempfile

    with tempfile.TemporaryDirectory(prefix="enablement-batch-") as tmp:
        networks_file = Path(tmp) / "networks.pickle"
        with networks_file.open("wb") as f:
            pickle.dump(dict(networks), f, protocol=pickle.HIGHEST_PROTOCOL)
        _pool_loop(_Pool(networks_file, workers), tasks, workers, timeout_s, record)


def _pool_loop(pool: _Pool, tasks: Sequence[_Task], workers: int, timeout_s: float, record: Record) -> None:
    pending: deque[_Task] = deque(tasks)
    suspects: deque[_Task] = deque()
    inflight: dict[Future[dict[str, Any]], tuple[_Task, float, bool]] = {}
    running: dict[str, tuple[int, float]] = {}

    def submit(task: _Task, alone: bool) -> bool:
        try:
            fut = pool.start().submit(_pool_task, task)
        except BrokenProcessPool:
            (suspects if alone else pending).appendleft(task)
            return False
        inflight[fut] = (task, time.time(), alone)
        return True

    try:
        while pending or suspects or inflight:
            broken = False
            if suspects and not inflight:  # run again alone, to tell which variant kills its worker
                broken = not submit(suspects.popleft(), True)
            solo = any(alone for _, _, alone in inflight.values())
            while not broken and pending and not suspects and not solo and len(inflight) < workers:
                broken = not submit(pending.popleft(), False)
            done, _ = wait(list(inflight), timeout=_POLL_S, return_when=FIRST_COMPLETED)
            for variant, pid, t0 in pool.starts():
                running[variant] = (pid, t0)
            for fut in done:
                task, _, alone = inflight.pop(fut)
                exc = fut.exception()
                if exc is None:
                    running.pop(task.id, None)
                    record(fut.result())
                elif isinstance(exc, BrokenProcessPool):
                    broken = True
                    if alone and task.id in running:
                        record(
                            _row(
                                task.variant, "failed", "the worker process died while planning this variant"
                            )
                        )
                    elif task.id in running:
                        suspects.append(task)
                    else:
                        (suspects if alone else pending).appendleft(task)
                else:
                    record(_row(task.variant, "failed", f"{type(exc).__name__}: {exc}"))
            now = time.time()
            overdue = [
                f
                for f, (t, submitted, _) in inflight.items()
                if (t.id in running and now - running[t.id][1] > timeout_s)
                or (t.id not in running and now - submitted > timeout_s + _STARTUP_GRACE_S)
            ]
            if not overdue and not broken:
                continue
            pids = [running[t.id][0] for t, _, _ in inflight.values() if t.id in running]
            for f in overdue:
                task, _, _ = inflight.pop(f)
                logger.warning("variant %s timed out after %g s; its worker is stopped", task.id, timeout_s)
                record(_timed_out(task, timeout_s))
            for task, _, alone in inflight.values():  # lost with the pool: run again
                if broken and task.id in running and not alone:
                    suspects.append(task)
                else:
                    (suspects if alone else pending).appendleft(task)
            inflight.clear()
            running.clear()
            pool.stop(pids, broken=broken)
        pool.stop(wait=True)
    finally:
        pids = [running[t.id][0] for t, _, _ in inflight.values() if t.id in running]
        pool.stop(pids)


def _run_here(
    tasks: Sequence[_Task], networks: Mapping[str, Network], timeout_s: float, record: Record
) -> None:
    for task in tasks:
        record(_run_guarded(task, networks[task.network], timeout_s))


def _run_dask(
    tasks: Sequence[_Task], networks: Mapping[str, Network], client: Any, timeout_s: float, record: Record
) -> None:
    from distributed import as_completed

    shared = {k: client.scatter(net, broadcast=True, hash=False) for k, net in networks.items()}
    token = uuid.uuid4().hex[:8]
    futures = {
        client.submit(
            _run_guarded,
            task,
            shared[task.network],
            timeout_s,
            key=f"enablement-batch-{token}-{task.id}",
            pure=False,
            retries=0,
        ): task
        for task in tasks
    }
    try:
        for fut in as_completed(list(futures)):
            task = futures[fut]
            try:
                row = fut.result()
            except Exception as exc:  # noqa: BLE001  (a lost worker or a cancelled task: recorded, the batch goes on)
                row = _row(task.variant, "failed", f"the Dask task failed: {type(exc).__name__}: {exc}")
            record(row)
    finally:
        client.cancel([f for f in futures if not f.done()])
        client.cancel(list(shared.values()))


def _connect(scheduler: str) -> Any:
    try:
        from distributed import Client
    except ImportError as exc:  # pragma: no cover
        msg = f"--scheduler needs dask[distributed]: {exc}"
        raise BatchError(msg) from None
    try:
        return Client(scheduler, timeout="20s")
    except (OSError, TimeoutError) as exc:
        msg = f"cannot reach the Dask scheduler at {scheduler}: {exc}"
        raise BatchError(msg) from None
