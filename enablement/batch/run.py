"""The batch run: prepare the variants, run them on a backend, record each row, write the outputs."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from .. import __version__
from .._io import write_text_atomic
from ..errors import BatchError, EnablementError, ScenarioError
from .journal import META, RESULTS, _fingerprint, _Journal, read_results
from .report import _write_outputs, worst_single_closure
from .runners import _connect, _run_dask, _run_here, _run_pool
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


def _network_key(scenario: Scenario, base: Path) -> str:
    """Scenarios with equal keys share one network (same source, overlays and folder)."""
    spec = {
        "network": scenario.network.model_dump(mode="json"),
        "overlays": scenario.overlays,
        "base": str(base.resolve()),
    }
    return hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()[:16]


def _prepare(
    batch: Batch, variants: Sequence[Variant], base: Scenario | None, base_dir: Path | None
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
            assert base is not None and base_dir is not None
            sc, where = base, base_dir
            name = f"{batch.source} variant {v.id}"
        else:
            path = Path(v.scenario)
            name = path.name
            try:
                sc, where = load_scenario(path), path.parent
            except EnablementError as exc:
                failed.append(_row(v, "failed", str(exc), 0.0))
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
        Local worker processes (0: plan in this process, one variant after another).
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
        ``resume``), or the Dask scheduler cannot be reached.
    """
    t_start = time.perf_counter()
    if not isinstance(batch, Batch):
        batch = load_batch(batch)
    if workers < 0:
        msg = f"workers must be 0 or more (got {workers})"
        raise BatchError(msg)
    limit = timeout_s if timeout_s is not None else batch.variant_timeout_s
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
    from ..plan import build_network
    from ..scenario.load import load_scenario

    def say(message: str) -> None:
        logger.info("batch %s: %s", batch.name, message)
        if progress:
            progress(BatchEvent("prepare", message=message))

    journal_path = out / RESULTS
    earlier = read_results(out) if resume else []
    if not resume and journal_path.is_file() and journal_path.stat().st_size > 0:
        msg = (
            f"{out} already holds the results of a batch ({RESULTS}); resume it (--resume) or choose "
            "another output folder"
        )
        raise BatchError(msg)
    base: Scenario | None = None
    base_dir: Path | None = None
    base_net: Network | None = None
    if batch.base is not None:
        say("loading the base scenario")
        path = _base_path(batch)
        try:
            base = load_scenario(path)
        except ScenarioError as exc:
            raise BatchError(f"base: {exc}") from None
        base_dir = path.parent
        needs_plan = any(isinstance(s, CloseBridges) and s.top for s in batch.changes)
        base_net = network
        if base_net is None and needs_plan:  # to rank the bridges
            say("building the network")
            base_net = build_network(base, base_dir)
    variants = expand(batch, network=base_net, base=base, progress=say)
    tasks, failed, sources = _prepare(batch, variants, base, base_dir)
    fingerprint = _fingerprint(batch, tasks, failed)
    meta = {
        "name": batch.name,
        "fingerprint": fingerprint,
        "enablement_version": __version__,
        "solver": batch.solver.overrides(),
        "design": batch.design,
        "variants": [{"variant": v.id, "changes": v.label} for v in variants],
    }
    meta_path = out / META
    if resume and earlier and meta_path.is_file():
        old = json.loads(meta_path.read_text(encoding="utf-8"))
        if old.get("fingerprint") != fingerprint:
            msg = (
                f"{out} holds the results of a different batch (variants, base scenario or solver settings "
                "differ); use another output folder, or remove it to start over"
            )
            raise BatchError(msg)
    out.mkdir(parents=True, exist_ok=True)
    write_text_atomic(meta_path, json.dumps(meta, indent=1, sort_keys=True) + "\n")
    keys = {v.id: v.key for v in variants}
    finished = {r["variant"]: r for r in earlier if keys.get(r["variant"]) == r.get("key")}
    todo = [t for t in tasks if t.id not in finished]
    todo_failed = [r for r in failed if r["variant"] not in finished]
    total = len(variants)
    rows: list[dict[str, Any]] = list(finished.values())
    journal = _Journal(journal_path, rows)
    skipped = len(finished)
    if skipped:
        logger.info(
            "batch %s: %d of %d variants already recorded; running %d", batch.name, skipped, total, len(todo)
        )
    networks: dict[str, Network] = {}  # built once each, for the variants still to run
    for key in sorted({t.network for t in todo}):
        sc, where = sources[key]
        if base_net is not None and sc is base:
            networks[key] = base_net
        else:
            say(f"building the network of {sc.name}")
            networks[key] = build_network(sc, where)
    if progress:
        progress(BatchEvent("run", done=len(rows), total=total))

    def record(row: dict[str, Any]) -> None:
        journal.append(row)
        rows.append(row)
        if row["status"] != "ok":
            logger.info("variant %s: %s: %s", row["variant"], row["status"], row["message"].splitlines()[0:1])
        if progress:
            progress(BatchEvent("run", done=len(rows), total=total, row=row))

    try:
        for row in todo_failed:
            record(row)
        if todo:
            if client is not None:
                _run_dask(todo, networks, client, limit, record)
            elif workers == 0:
                _run_here(todo, networks, limit, record)
            else:
                _run_pool(todo, networks, min(workers, len(todo)), limit, record)
    finally:
        journal.close()
    if progress:
        progress(BatchEvent("write", done=len(rows), total=total))
    table, paths = _write_outputs(out, batch, rows, variants, meta)
    return BatchResult(batch, out, list(variants), table, paths, len(rows) - skipped, skipped, 0.0)
