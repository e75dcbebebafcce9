"""Execution backends: variants in this process, on a local process pool, or on a Dask cluster.

A Dask task cannot be killed: a variant over its wall-clock limit is recorded as
``timed out`` and its thread runs on until the solvers' own limits stop it; in the
local pool its process is killed.

The pool's workers do not outlive the batch: when the batch stops on an exception
(Ctrl-C, SIGTERM, a failing ``progress``) every worker is killed on the way out, and
when the batch's process dies without a chance to (SIGKILL, the OOM killer) the
kernel kills them on Linux (``PR_SET_PDEATHSIG``), or their watchdog within a second
elsewhere (:func:`~enablement.batch.worker._die_with_parent`).
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import pickle
import signal
import socket
import tempfile
import threading
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
                initargs=(str(self.networks_file), self.started, threads, os.getpid()),
            )
        return self.executor

    def starts(self) -> Iterator[tuple[str, int, float]]:
        while self.started is not None and not self.started.empty():
            event = self.started.get()
            self.alive = True
            self.failed_starts = 0
            yield event

    def stop(
        self, pids: Iterable[int] = (), *, wait: bool = False, broken: bool = False, every: bool = False
    ) -> None:
        """Shut the pool down, first killing ``pids`` (``every``: all its worker processes)."""
        if broken and not self.alive:
            self.failed_starts += 1
            if self.failed_starts >= 2:
                msg = (
                    "the worker processes fail to start (their error is printed above); a script that "
                    "calls run_batch with workers must do so under `if __name__ == '__main__':`"
                )
                raise BatchError(msg)
        if every and self.executor is not None:
            pids = [*pids, *list(self.executor._processes or ())]  # no public list of them
        for pid in pids:
            _kill(pid)
        if self.executor is not None:
            self.executor.shutdown(wait=wait, cancel_futures=True)
        if self.started is not None:
            self.started.close()
        self.executor = None
        self.started = None


def _execute(
    tasks: Sequence[_Task],
    networks: Mapping[str, Network],
    *,
    client: Any,
    workers: int,
    timeout_s: float,
    record: Record,
) -> None:
    """Run the tasks on a Dask cluster (``client``), in this process (no workers) or on a process pool."""
    if client is not None:
        _run_dask(tasks, networks, client, timeout_s, record)
    elif workers == 0:
        _run_here(tasks, networks, timeout_s, record)
    else:
        _run_pool(tasks, networks, min(workers, len(tasks)), timeout_s, record)


def _run_pool(
    tasks: Sequence[_Task], networks: Mapping[str, Network], workers: int, timeout_s: float, record: Record
) -> None:
    """Run tasks on a local process pool, at most ``workers`` in flight, each within ``timeout_s``.

    A variant over its time limit is recorded as ``timed out`` and its worker killed;
    the pool is then replaced and the variants that were running beside it are run
    again. Variants running when a worker died are run again one at a time, and a
    variant that kills its worker on its own is recorded as ``failed``.
    """
    with tempfile.TemporaryDirectory(prefix="enablement-batch-") as tmp:
        networks_file = Path(tmp) / "networks.pickle"
        with networks_file.open("wb") as f:
            pickle.dump(dict(networks), f, protocol=pickle.HIGHEST_PROTOCOL)
        _pool_loop(_Pool(networks_file, workers), tasks, workers, timeout_s, record)


class _Flight:
    """The variants of a pool run: waiting, suspected of killing a worker, in flight, and started."""

    def __init__(
        self, pool: _Pool, tasks: Sequence[_Task], workers: int, timeout_s: float, record: Record
    ) -> None:
        self.pool = pool
        self.workers = workers
        self.timeout_s = timeout_s
        self.record = record
        self.pending: deque[_Task] = deque(tasks)
        self.suspects: deque[_Task] = deque()
        self.inflight: dict[Future[dict[str, Any]], tuple[_Task, float, bool]] = {}
        self.running: dict[str, tuple[int, float]] = {}  # variant: (worker pid, start time)

    @property
    def busy(self) -> bool:
        """Variants are left to run or to collect."""
        return bool(self.pending or self.suspects or self.inflight)

    def pids(self) -> list[int]:
        """Worker processes of the variants in flight that have started."""
        return [self.running[t.id][0] for t, _, _ in self.inflight.values() if t.id in self.running]

    def _again(self, task: _Task, alone: bool) -> None:
        (self.suspects if alone else self.pending).appendleft(task)

    def _submit(self, task: _Task, alone: bool) -> bool:
        try:
            fut = self.pool.start().submit(_pool_task, task)
        except BrokenProcessPool:
            self._again(task, alone)
            return False
        self.inflight[fut] = (task, time.time(), alone)
        return True

    def fill(self) -> bool:
        """Submit what may run now (a suspect alone, or up to ``workers``); True if the pool broke."""
        broken = False
        if self.suspects and not self.inflight:  # run again alone, to tell which variant kills its worker
            broken = not self._submit(self.suspects.popleft(), True)
        solo = any(alone for _, _, alone in self.inflight.values())
        while (
            not broken
            and self.pending
            and not self.suspects
            and not solo
            and len(self.inflight) < self.workers
        ):
            broken = not self._submit(self.pending.popleft(), False)
        return broken

    def collect(self, done: Iterable[Future[dict[str, Any]]]) -> bool:
        """Note the variants that started, record those done; True if a worker died."""
        for variant, pid, t0 in self.pool.starts():
            self.running[variant] = (pid, t0)
        broken = False
        for fut in done:
            task, _, alone = self.inflight.pop(fut)
            exc = fut.exception()
            if exc is None:
                self.running.pop(task.id, None)
                self.record(fut.result())
            elif isinstance(exc, BrokenProcessPool):
                broken = True
                if alone and task.id in self.running:
                    self.record(_row(task.variant, "failed", _died(task)))
                elif task.id in self.running:
                    self.suspects.append(task)
                else:
                    self._again(task, alone)
            else:
                msg = f"variant {task.id}: the worker process failed: {type(exc).__name__}: {exc}"
                self.record(_row(task.variant, "failed", msg))
        return broken

    def overdue(self) -> list[Future[dict[str, Any]]]:
        """Variants over their time limit (or, not started yet, over it and the start-up grace)."""
        now = time.time()
        return [
            f
            for f, (t, submitted, _) in self.inflight.items()
            if (t.id in self.running and now - self.running[t.id][1] > self.timeout_s)
            or (t.id not in self.running and now - submitted > self.timeout_s + _STARTUP_GRACE_S)
        ]

    def restart(self, overdue: Sequence[Future[dict[str, Any]]], broken: bool) -> None:
        """Record the overdue variants as timed out, queue the others in flight again, stop the pool."""
        pids = self.pids()
        for f in overdue:
            task, _, _ = self.inflight.pop(f)
            logger.warning("variant %s timed out after %g s; its worker is stopped", task.id, self.timeout_s)
            self.record(_timed_out(task, self.timeout_s))
        for task, _, alone in self.inflight.values():  # lost with the pool: run again
            if broken and task.id in self.running and not alone:
                self.suspects.append(task)
            else:
                self._again(task, alone)
        self.inflight.clear()
        self.running.clear()
        self.pool.stop(pids, broken=broken)


def _died(task: _Task) -> str:
    return (
        f"variant {task.id}: its worker process died while planning it, and again when it ran alone "
        "(killed by a signal, or out of memory: fewer --workers leave each more)"
    )


def _pool_loop(pool: _Pool, tasks: Sequence[_Task], workers: int, timeout_s: float, record: Record) -> None:
    flight = _Flight(pool, tasks, workers, timeout_s, record)
    try:
        while flight.busy:
            broken = flight.fill()
            done, _ = wait(list(flight.inflight), timeout=_POLL_S, return_when=FIRST_COMPLETED)
            broken = flight.collect(done) or broken
            overdue = flight.overdue()
            if overdue or broken:
                flight.restart(overdue, broken)
        pool.stop(wait=True)
    finally:  # stopped on an exception (Ctrl-C, SIGTERM, progress): no worker left behind
        pool.stop(every=True)


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
        for fut in as_completed(list(futures)):  # type: ignore[no-untyped-call]  # distributed leaves it unannotated
            task = futures[fut]
            try:
                row = fut.result()
            except Exception as exc:  # noqa: BLE001  (a lost worker or a cancelled task: recorded, the batch goes on)
                row = _row(task.variant, "failed", f"the Dask task failed: {type(exc).__name__}: {exc}")
            record(row)
    finally:
        client.cancel([f for f in futures if not f.done()])
        client.cancel(list(shared.values()))


_CONNECT_S = 5.0  # to open a TCP connection to the scheduler
_HANDSHAKE_S = "20s"  # then for Dask's handshake


def _connect(scheduler: str) -> Any:
    """Connect to the Dask scheduler at ``scheduler``, or raise a BatchError within a bounded time."""
    try:
        from distributed import Client
        from distributed.comm.addressing import parse_address, parse_host_port
    except ImportError as exc:  # pragma: no cover
        msg = f"--scheduler needs dask[distributed]: {exc}"
        raise BatchError(msg) from None
    try:
        scheme, where = parse_address(scheduler)
        host_port = parse_host_port(where) if scheme in ("tcp", "tls") else None
    except ValueError as exc:
        msg = f"--scheduler: '{scheduler}' is not a Dask scheduler address ({exc}); e.g. tcp://host:8786"
        raise BatchError(msg) from None
    if host_port is not None:
        why = _probe(*host_port, greeting=scheme == "tcp")
        if why:
            msg = (
                f"cannot reach the Dask scheduler at {scheduler}: {why}; start it (`dask scheduler`) "
                "or correct the address (tcp://host:8786)"
            )
            raise BatchError(msg)
    try:
        return Client(scheduler, timeout=_HANDSHAKE_S)  # type: ignore[no-untyped-call]  # distributed leaves it unannotated
    except ValueError as exc:  # an unknown scheme
        msg = f"--scheduler: '{scheduler}' is not a Dask scheduler address ({exc}); e.g. tcp://host:8786"
        raise BatchError(msg) from None
    except (OSError, TimeoutError) as exc:
        msg = f"cannot reach the Dask scheduler at {scheduler}: {exc}"
        raise BatchError(msg) from None


def _probe(host: str, port: int, *, greeting: bool) -> str:
    """Say why the scheduler at ``host:port`` cannot be used ('' when it answers), within seconds.

    Dask retries a refused connection until its own timeout, and waits for ever on a
    peer that accepts the connection and says nothing; a name lookup is not bounded by
    a socket timeout. So, in a thread bounded by :data:`_CONNECT_S`: open a TCP
    connection and (``greeting``: plain TCP) wait for the first bytes of the handshake
    a Dask scheduler sends at once.
    """
    outcome: list[str] = []

    def attempt() -> None:
        try:
            with socket.create_connection((host, port), timeout=_CONNECT_S) as sock:
                if greeting and not sock.recv(1):
                    outcome.append("it closed the connection (not a Dask scheduler?)")
                    return
        except TimeoutError:
            outcome.append(f"no answer within {_CONNECT_S:g} s (is it a Dask scheduler?)")
            return
        except OSError as exc:
            outcome.append(exc.strerror or str(exc))
            return
        outcome.append("")

    thread = threading.Thread(target=attempt, name="scheduler-probe", daemon=True)
    thread.start()
    thread.join(2 * _CONNECT_S + 1.0)
    return outcome[0] if outcome else f"no answer within {2 * _CONNECT_S:g} s"
