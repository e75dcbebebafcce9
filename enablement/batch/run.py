"""The batch run: prepare the variants, run them on a backend, record each row, write the outputs."""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import math
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any, NamedTuple

import pandas as pd

from .. import __version__
from ..errors import BatchError, EnablementError, ScenarioError
from .journal import RESULTS, _earlier_rows, _fingerprint, _Journal, _write_meta
from .report import _write_outputs, worst_single_closure
from .runners import _connect, _execute
from .spec import Batch, CloseBridges, _base_path, load_batch
from .variants import Variant, expand
from .worker import STATUSES, _row, _Task

if TYPE_CHECKING:
    from ..network.model import Network
    from ..scenario.schema import Scenario

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class BatchEvent:
    """Progress of a batch.

    Attributes
    ----------
    stage
        ``prepare`` (with ``message``), ``run`` (``done`` of ``total`` variants) or ``write``.
    done, total
        Variants finished (those of an earlier run included) and in all.
    row
        The row of the variant just finished (``run`` events after the first).
    message
        What is being prepared.
    """

    stage: str
    done: int = 0
    total: int = 0
    row: Mapping[str, Any] | None = None
    message: str = ""


@dataclass
class BatchResult:
    """Outcome of :func:`run_batch`.

    Attributes
    ----------
    batch
        The batch.
    out_dir
        Output folder.
    variants
        Every variant, in order.
    table
        The results table (:func:`results_table`).
    paths
        ``csv``, ``parquet``, ``html`` and ``jsonl`` files.
    ran
        Variants planned by this call.
    skipped
        Variants already finished before it (``resume``).
    elapsed_s
        Wall time of this call.
    """

    batch: Batch
    out_dir: Path
    variants: list[Variant]
    table: pd.DataFrame
    paths: dict[str, Path]
    ran: int
    skipped: int
    elapsed_s: float
    counts: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.counts = {s: int((self.table["status"] == s).sum()) for s in STATUSES}

    @property
    def unsuccessful(self) -> int:
        """Variants that failed or timed out (infeasible ones are results, not failures)."""
        return self.counts["failed"] + self.counts["timed out"]

    def worst_single_closure(self) -> dict[str, Any] | None:
        """See :func:`worst_single_closure`."""
        return worst_single_closure(self.table, self.variants)


class _Base(NamedTuple):
    """The batch's base scenario, loaded and validated once per run, and the folder of its file."""

    scenario: Scenario
    folder: Path


def _network_key(scenario: Scenario, base: Path) -> str:
    """Scenarios with equal keys share one network (same source, overlays and folder)."""
    spec = {
        "network": scenario.network.model_dump(mode="json"),
        "overlays": scenario.overlays,
        "base": str(base.resolve()),
    }
    return hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()[:16]


def _prepare(
    batch: Batch, variants: Sequence[Variant], base: _Base | None
) -> tuple[list[_Task], list[dict[str, Any]], dict[str, tuple[Scenario, Path]]]:
    """Tasks for the workers, rows of folder files that do not load, and the scenario of each network.

    The variants of the base scenario share ``base``, loaded once for the batch; each file
    of a folder batch is loaded here, once.
    """
    from ..scenario.load import load_scenario

    solver = batch.solver.overrides()
    tasks: list[_Task] = []
    failed: list[dict[str, Any]] = []
    sources: dict[str, tuple[Scenario, Path]] = {}
    for v in variants:
        if v.scenario is None:
            assert base is not None
            sc, where = base
            name = f"{batch.source} variant {v.id}"
        else:
            path = Path(v.scenario)
            name = path.name
            try:
                sc, where = load_scenario(path), path.parent
            except EnablementError as exc:
                failed.append(_row(v, "failed", str(exc), 0.0))
                continue
            except Exception as exc:  # a batch goes on: the row records the error
                logger.warning("variant %s: %s does not load", v.id, path, exc_info=True)
                msg = f"{path}: cannot read this scenario file ({type(exc).__name__}: {exc})"
                failed.append(_row(v, "failed", msg, 0.0))
                continue
        key = _network_key(sc, where)
        sources.setdefault(key, (sc, where))
        tasks.append(_Task(v, sc, name, where, solver, key))
    return tasks, failed, sources


def run_batch(
    batch: Batch | str | os.PathLike[str],
    out_dir: str | os.PathLike[str],
    *,
    workers: int = 1,
    scheduler: str | None = None,
    client: Any = None,
    resume: bool = False,
    progress: Callable[[BatchEvent], None] | None = None,
    timeout_s: float | None = None,
    network: Network | None = None,
) -> BatchResult:
    """Plan every variant of a batch and write the results table and summary.

    Parameters
    ----------
    batch
        A batch, or the path of a batch file.
    out_dir
        Output folder: ``results.jsonl`` (appended as each variant finishes),
        ``results.csv``, ``results.parquet``, ``summary.html`` and ``batch.json``.
    workers
        Local worker processes (0: plan in this process, one variant after another; at most
        four per core, or 8).
    scheduler
        Address of a Dask scheduler (``tcp://host:8786``): run there instead.
    client
        A ``distributed.Client`` to run on instead (takes precedence over ``scheduler``).
    resume
        Continue a batch in ``out_dir``: variants already recorded are not run again.
    progress
        Called with a :class:`BatchEvent` as preparation steps start and as each variant
        finishes; an exception it raises stops the batch (what was recorded stays).
    timeout_s
        Wall-clock limit per variant (default: the batch's :attr:`Batch.variant_timeout_s`).
    network
        The base scenario's network, when already built (built here otherwise).

    Returns
    -------
    BatchResult
        The table, the files and the counts by status.

    Raises
    ------
    BatchError
        When ``out_dir`` holds another batch's results (or any results without
        ``resume``) or is a file, ``workers`` or ``timeout_s`` is out of range, the Dask
        scheduler cannot be reached (within seconds), or the base scenario's network
        cannot be built. A variant that fails (its file, its network, its plan, its
        worker process) is recorded as ``failed`` with the reason, and the others go on.
    KeyboardInterrupt
        On Ctrl-C or SIGTERM (see :mod:`enablement.batch`): what was recorded stays.
    """
    t_start = time.perf_counter()
    if not isinstance(batch, Batch):
        batch = load_batch(batch)
    _check_options(workers, timeout_s)
    limit = timeout_s if timeout_s is not None else batch.variant_timeout_s
    with _sigterm_stops_the_batch():
        own_client = _connect(scheduler) if client is None and scheduler is not None else None
        try:
            result = _run_batch(
                batch, Path(out_dir), workers, client or own_client, resume, progress, limit, network
            )
        finally:
            if own_client is not None:
                own_client.close()
    result.elapsed_s = time.perf_counter() - t_start
    return result


_WORKERS_PER_CORE = 4


def _check_options(workers: object, timeout_s: object) -> None:
    """Refuse a number of workers or a time limit that cannot be meant, every problem at once."""
    problems = []
    cores = os.cpu_count() or 1
    most = max(8, _WORKERS_PER_CORE * cores)
    if isinstance(workers, bool) or not isinstance(workers, int):
        problems.append(f"workers must be a whole number (got {workers!r})")
    elif workers < 0:
        problems.append(f"workers must be 0 or more (got {workers})")
    elif workers > most:
        problems.append(
            f"workers: at most {most} on this machine ({cores} cores), got {workers}: each worker process "
            "plans on its own copy of the network; give fewer, or run on a Dask cluster (--scheduler)"
        )
    if timeout_s is not None and (
        isinstance(timeout_s, bool)
        or not isinstance(timeout_s, int | float)
        or not math.isfinite(timeout_s)
        or timeout_s <= 0
    ):
        problems.append(f"timeout_s must be a number of seconds above 0 (got {timeout_s!r})")
    if problems:
        raise BatchError(problems)


class _Terminated(KeyboardInterrupt):
    """SIGTERM, raised in the batch's thread: it stops the batch as Ctrl-C does."""


@contextlib.contextmanager
def _sigterm_stops_the_batch() -> Iterator[None]:
    """While a batch runs, SIGTERM stops it as Ctrl-C does: workers killed, journal closed, client closed.

    Only in the main thread, and only when SIGTERM has its default action (a program
    with its own handler keeps it). A second SIGTERM ends the process at once; its
    pool workers then die with it all the same (:mod:`.runners`).
    """
    if (
        threading.current_thread() is not threading.main_thread()
        or signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL
    ):
        yield
        return

    def stop(_signum: int, _frame: FrameType | None) -> None:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        logger.warning("SIGTERM: stopping the batch (variants recorded so far are kept)")
        raise _Terminated

    signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _run_batch(
    batch: Batch,
    out: Path,
    workers: int,
    client: Any,
    resume: bool,
    progress: Callable[[BatchEvent], None] | None,
    limit: float,
    network: Network | None,
) -> BatchResult:
    def say(message: str) -> None:
        logger.info("batch %s: %s", batch.name, message)
        if progress:
            progress(BatchEvent("prepare", message=message))

    earlier = _earlier_rows(out, resume)
    base = _load_base(batch, say)
    base_net = _base_network(batch, base, network, say)
    variants = expand(batch, network=base_net, base=base.scenario if base else None, progress=say)
    tasks, failed, sources = _prepare(batch, variants, base)
    meta = _meta(batch, variants, _fingerprint(batch, tasks, failed))
    _write_meta(out, meta, check=resume and bool(earlier))
    keys = {v.id: v.key for v in variants}
    finished = {r["variant"]: r for r in earlier if keys.get(r["variant"]) == r.get("key")}
    todo = [t for t in tasks if t.id not in finished]
    skipped = len(finished)
    if skipped:
        logger.info(
            "batch %s: %d of %d variants already recorded; running %d",
            batch.name,
            skipped,
            len(variants),
            len(todo),
        )
    rows = list(finished.values())
    record = _Recorder(_Journal(out / RESULTS, rows), rows, len(variants), progress)
    try:
        networks, broken = _networks(batch, todo, sources, base, base_net, say)
        record.start()
        for row in failed:
            if row["variant"] not in finished:
                record(row)
        for task in todo:
            if task.network in broken:
                record(_row(task.variant, "failed", _no_network(task, broken[task.network]), 0.0))
        runnable = [t for t in todo if t.network in networks]
        if runnable:
            _execute(runnable, networks, client=client, workers=workers, timeout_s=limit, record=record)
    finally:
        record.journal.close()
    if progress:
        progress(BatchEvent("write", done=len(record.rows), total=len(variants)))
    table, paths = _write_outputs(out, batch, record.rows, variants, meta)
    return BatchResult(batch, out, list(variants), table, paths, len(record.rows) - skipped, skipped, 0.0)


def _load_base(batch: Batch, say: Callable[[str], None]) -> _Base | None:
    """Load and validate the base scenario: once per batch run, for every variant made from it."""
    from ..scenario.load import load_scenario

    if batch.base is None:
        return None
    say("loading the base scenario")
    path = _base_path(batch)
    try:
        scenario = load_scenario(path)
    except ScenarioError as exc:
        raise BatchError(f"base: {exc}") from None
    return _Base(scenario, path.parent)


def _base_network(
    batch: Batch, base: _Base | None, network: Network | None, say: Callable[[str], None]
) -> Network | None:
    """Return the base scenario's network: the one given, or built now when ranking bridges needs it."""
    from ..plan import build_network

    if base is None:
        return None
    if network is None and any(isinstance(s, CloseBridges) and s.top for s in batch.changes):
        say("building the network")
        try:
            return build_network(base.scenario, base.folder)
        except Exception as exc:  # noqa: BLE001  (named in the message)
            raise _base_network_error(batch, exc) from None
    return network


def _base_network_error(batch: Batch, exc: Exception) -> BatchError:
    path = _base_path(batch)
    return BatchError(
        f"{batch.source}: base: the network of {path} cannot be built, and every variant needs it: "
        f"{_reason(exc)}; fix network.source (or the overlays) in {path}"
    )


def _reason(exc: Exception) -> str:
    return str(exc) if isinstance(exc, EnablementError) else f"{type(exc).__name__}: {exc}"


def _no_network(task: _Task, reason: str) -> str:
    """Say why a variant whose network cannot be built is not planned, and what to fix."""
    where = task.variant.scenario or task.fname
    return (
        f"variant {task.id}: its network cannot be built: {reason}; fix network.source (or the overlays) "
        f"in {where} (`enablement network build … --out FILE.gpkg` makes a network file); the other "
        "variants are planned"
    )


def _meta(batch: Batch, variants: Sequence[Variant], fingerprint: str) -> dict[str, Any]:
    """Contents of ``batch.json``: what the batch is, to recognise it on resume."""
    return {
        "name": batch.name,
        "fingerprint": fingerprint,
        "enablement_version": __version__,
        "solver": batch.solver.overrides(),
        "design": batch.design,
        "variants": [{"variant": v.id, "changes": v.label} for v in variants],
    }


def _networks(
    batch: Batch,
    todo: Sequence[_Task],
    sources: Mapping[str, tuple[Scenario, Path]],
    base: _Base | None,
    base_net: Network | None,
    say: Callable[[str], None],
) -> tuple[dict[str, Network], dict[str, str]]:
    """Build each network the variants still to run need, once (the base's is reused when built).

    Returns the networks, and the reason of each that cannot be built (by key): a
    folder batch's file with a missing, corrupt or unusable network fails only the
    variants that use it. The base scenario's network is every variant's: without
    it the batch stops (:class:`BatchError`) before any is planned.
    """
    from ..plan import build_network

    networks: dict[str, Network] = {}
    broken: dict[str, str] = {}
    for key in sorted({t.network for t in todo}):
        sc, where = sources[key]
        is_base = base is not None and sc is base.scenario
        if base_net is not None and is_base:
            networks[key] = base_net
            continue
        say(f"building the network of {sc.name}")
        try:
            networks[key] = build_network(sc, where)
        except Exception as exc:  # recorded for the variants that need it, or named
            if is_base:
                raise _base_network_error(batch, exc) from None
            if not isinstance(exc, EnablementError):
                logger.warning("the network of %s cannot be built", sc.name, exc_info=True)
            broken[key] = _reason(exc)
    return networks, broken


class _Recorder:
    """Append each finished row to the journal, keep it, and report the progress."""

    def __init__(
        self,
        journal: _Journal,
        rows: list[dict[str, Any]],
        total: int,
        progress: Callable[[BatchEvent], None] | None,
    ) -> None:
        self.journal = journal
        self.rows = rows
        self.total = total
        self.progress = progress

    def start(self) -> None:
        """Report the count before the first variant runs (those recorded earlier)."""
        if self.progress:
            self.progress(BatchEvent("run", done=len(self.rows), total=self.total))

    def __call__(self, row: dict[str, Any]) -> None:
        self.journal.append(row)
        self.rows.append(row)
        if row["status"] != "ok":
            logger.info("variant %s: %s: %s", row["variant"], row["status"], row["message"].splitlines()[0:1])
        if self.progress:
            self.progress(BatchEvent("run", done=len(self.rows), total=self.total, row=row))
