"""Batch runs: scenario variants and disruptions at scale, in local processes or on a Dask cluster.

Exercise staff describe a batch in a YAML file (:mod:`.spec` gives the format): a
base scenario and the changes to try on it, or a folder of scenario files.
:func:`expand` turns it into variants (deterministic ids; seeded sampling),
:func:`run_batch` plans every variant and writes the results table (CSV and
Parquet) and an HTML summary that ranks the variants by their impact on the force
closure.

Workers change the speed, never the results: rows are sorted by variant id, the
solvers are seeded and both CP-SAT models (road and rail) stop on a deterministic
time limit, so a loaded machine takes longer but plans the same; the wall-clock
solve time lives in its own column (``solve_s``). The network is built once and
handed to each worker once (the process pool's initializer, or Dask's
``scatter(..., broadcast=True)``). Each finished variant is appended to
``results.jsonl`` (flushed and synced) before the next is recorded, so an
interrupted batch loses nothing and ``resume=True`` runs only the rest.

On a Dask cluster every worker needs the same version of ``enablement`` installed
(the network and the variants travel pickled). A Dask task cannot be killed: a
variant over its wall-clock limit is recorded as ``timed out`` and its thread runs
on until the solvers' own limits stop it; in the local pool its process is killed.

No pool worker outlives its batch. Ctrl-C (SIGINT) and SIGTERM stop a batch the
same way: the exception (``KeyboardInterrupt``) kills every worker, closes the
journal and a Dask client opened for ``scheduler`` on its way out (workers ignore
the terminal's SIGINT and leave it to the main process). When the main process
dies without a chance to clean up (SIGKILL, the OOM killer, a second SIGTERM), the
kernel kills its workers on Linux (``prctl(PR_SET_PDEATHSIG, SIGKILL)``), and
elsewhere a watchdog thread in each worker ends it within a second of its parent
going. On a Dask cluster the scheduler drops the tasks of a client that is gone;
those already running finish on their own.

The modules, each importing only those above it:

- :mod:`.spec`: the batch file (schema, :func:`load_batch`);
- :mod:`.bridges`: the bridges whose closure hurts the base plan most;
- :mod:`.variants`: changes, variants, :func:`expand`, :func:`apply_changes`;
- :mod:`.worker`: planning one variant into a row of results;
- :mod:`.runners`: this process, the local process pool, Dask;
- :mod:`.journal`: ``results.jsonl`` and the batch's fingerprint;
- :mod:`.report`: the results table and ``summary.html``;
- :mod:`.run`: :func:`run_batch`, from the batch file to the outputs.
"""

from __future__ import annotations

from ..errors import BatchError
from .bridges import BridgeImpact, critical_bridges
from .journal import META as META
from .journal import RESULTS as RESULTS
from .journal import read_results
from .report import COLUMNS, results_table, worst_single_closure
from .run import BatchEvent, BatchResult, run_batch
from .spec import Batch, load_batch
from .spec import BatchSolver as BatchSolver
from .spec import ChangeSpec as ChangeSpec
from .spec import CloseBridges as CloseBridges
from .spec import CloseSites as CloseSites
from .spec import DelayArrivals as DelayArrivals
from .spec import Resource as Resource
from .spec import ScaleResources as ScaleResources
from .spec import Window as Window
from .variants import BASE_ID as BASE_ID
from .variants import Change, Variant, apply_changes, expand
from .worker import STATUSES

__all__ = [
    "COLUMNS",
    "STATUSES",
    "Batch",
    "BatchError",
    "BatchEvent",
    "BatchResult",
    "BridgeImpact",
    "Change",
    "Variant",
    "apply_changes",
    "critical_bridges",
    "expand",
    "load_batch",
    "read_results",
    "results_table",
    "run_batch",
    "worst_single_closure",
]
