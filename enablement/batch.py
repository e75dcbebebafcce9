"""Batch runs: scenario variants and disruptions at scale, in local processes or on a Dask cluster.

Exercise staff describe a batch in a YAML file: a base scenario and the changes to
try on it, or a folder of scenario files. :func:`expand` turns it into variants
(deterministic ids; seeded sampling), :func:`run_batch` plans every variant and
writes the results table (CSV and Parquet) and an HTML summary that ranks the
variants by their impact on the force closure.

Batch file (format v1)::

    version: 1
    name: Brigade, disruptions on the E40 corridor
    base: enablement:brigade-antwerp-aachen   # or a scenario file, relative to this file
    design: one_at_a_time        # one_at_a_time | grid | sample
    samples: 20                  # sample: how many grid points (seeded by `seed`)
    seed: 0
    solver: {road: cp-sat, time_limit_s: 5, seed: 0}   # overrides every variant's solver
    timeout_s: 300               # wall clock per variant (default 120 s + 10 x the solver limit)
    changes:
      - kind: close_bridges      # one level per bridge (and per window)
        top: 3                   # the 3 most critical bridges on the base plan's routes
        bridges: [bridge-e19-merksem]
        windows: [{start_h: 0}]  # hours after the scenario start; `hours` omitted: until the end
      - kind: close_sites
        sites: [quay-antwerpen-noord, port-zeebrugge]
        windows: [{start_h: 12, hours: 24}]
      - kind: delay_arrivals     # arrivals omitted: every ship of the base scenario
        arrivals: [ship-3-zeebrugge]
        hours: [12, 24]
      - kind: scale_resources    # wagons scales `wagons` and every wagon pool
        resources: [wagons, locomotives]
        factors: [0.5]

``one_at_a_time`` runs each level of each change alone; ``grid`` every combination
(each change also at its unchanged level); ``sample`` a seeded random sample of the
grid. The base scenario is always variant ``base``, the yardstick of the impact
columns. A folder batch names ``scenarios: FOLDER`` instead of ``changes``: every
``*.yaml`` file in it is one variant (id: its file name without the suffix).

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
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import html
import json
import logging
import math
import multiprocessing
import os
import random
import signal
import threading
import time
import uuid
from collections import Counter, defaultdict, deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

import pandas as pd
import yaml
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, model_validator

from . import __version__
from ._io import write_text_atomic, write_with_atomic
from ._validate import problems_from
from .errors import BatchError, EnablementError, InfeasibleError, RoutingError, ScenarioError

if TYPE_CHECKING:
    from .network.model import Network
    from .plan import Plan
    from .scenario.schema import Scenario

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

logger = logging.getLogger(__name__)

STATUSES = ("ok", "infeasible", "failed", "timed out")
"""Status of a variant: planned, proven impossible (with the reason), failed (with the error), too slow."""

COLUMNS = (
    "variant",
    "changes",
    "n_changes",
    "status",
    "closure",
    "closure_h",
    "closure_delta_h",
    "total_lateness_h",
    "lateness_delta_h",
    "max_lateness_h",
    "units_late",
    "binding",
    "road_status",
    "rail_status",
    "message",
    "solve_s",
)
"""Columns of the results table; ``solve_s`` (wall clock) is the only one that depends on the machine."""

_DTYPES = {
    "n_changes": "Int64",
    "units_late": "Int64",
    "closure_h": "float64",
    "closure_delta_h": "float64",
    "total_lateness_h": "float64",
    "lateness_delta_h": "float64",
    "max_lateness_h": "float64",
    "solve_s": "float64",
}
_MAX_VARIANTS = 100_000
_STARTUP_GRACE_S = 180.0  # a pool worker imports the package and receives the network before its first task
_POLL_S = 0.2
BASE_ID = "base"
RESULTS = "results.jsonl"
META = "batch.json"


# --------------------------------------------------------------------------- the batch file


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Window(_Model):
    """A closure window: from ``start_h`` hours after the scenario start, for ``hours`` (None: to the end)."""

    start_h: float = Field(default=0.0, ge=0, le=24 * 366)
    hours: float | None = Field(default=None, gt=0, le=24 * 366)


def _default_windows() -> list[Window]:
    return [Window()]


class CloseBridges(_Model):
    """Close each bridge in turn: the ``top`` most critical on the base plan's routes, and ``bridges``."""

    kind: Literal["close_bridges"]
    top: int = Field(default=0, ge=0, le=100)
    bridges: list[str] = Field(default_factory=list)
    windows: list[Window] = Field(default_factory=_default_windows, min_length=1)

    @model_validator(mode="after")
    def _some_bridge(self) -> CloseBridges:
        if not self.top and not self.bridges:
            msg = "give 'top' (the N most critical bridges) or 'bridges' (bridge ids), or both"
            raise ValueError(msg)
        return self


class CloseSites(_Model):
    """Close each site (a port, airport, quay, staging area …) in turn, for each window."""

    kind: Literal["close_sites"]
    sites: list[str] = Field(min_length=1)
    windows: list[Window] = Field(default_factory=_default_windows, min_length=1)


class DelayArrivals(_Model):
    """Delay each arrival (default: every ship) by each number of hours (negative: earlier)."""

    kind: Literal["delay_arrivals"]
    arrivals: list[str] = Field(default_factory=list)
    hours: list[float] = Field(min_length=1)


Resource = Literal["hets", "wagons", "locomotives", "diesel_locomotives"]


class ScaleResources(_Model):
    """Scale each resource in turn by each factor (rounded to whole vehicles)."""

    kind: Literal["scale_resources"]
    resources: list[Resource] = Field(min_length=1)
    factors: list[Annotated[float, Field(ge=0, le=100)]] = Field(min_length=1)


ChangeSpec = Annotated[
    CloseBridges | CloseSites | DelayArrivals | ScaleResources, Field(discriminator="kind")
]


class BatchSolver(_Model):
    """Solver settings of every variant (they override each scenario's ``solver`` section)."""

    road: Literal["cp-sat", "greedy"] = "cp-sat"
    time_limit_s: float = Field(default=5.0, gt=0, le=3600)
    seed: int = Field(default=0, ge=0)
    alternatives: int | None = Field(default=None, ge=1, le=5)

    def overrides(self) -> dict[str, Any]:
        """Return the ``solver`` argument of :func:`enablement.plan.make_plan`."""
        return {k: v for k, v in self.model_dump().items() if v is not None}


class Batch(_Model):
    """A batch of scenario variants (format v1); see the module docstring for the file format."""

    version: Literal[1] = 1
    name: str = Field(min_length=1)
    description: str = ""
    base: str | None = None
    scenarios: str | None = None
    design: Literal["one_at_a_time", "grid", "sample"] = "one_at_a_time"
    samples: int | None = Field(default=None, ge=1, le=_MAX_VARIANTS)
    seed: int = Field(default=0, ge=0)
    solver: BatchSolver = Field(default_factory=BatchSolver)
    timeout_s: float | None = Field(default=None, gt=0, le=7 * 86400)
    changes: list[ChangeSpec] = Field(default_factory=list)
    _root: Path = PrivateAttr(default_factory=Path.cwd)
    _source: str = PrivateAttr(default="<batch>")

    @model_validator(mode="after")
    def _consistent(self) -> Batch:
        if self.base is None and self.scenarios is None:
            msg = "name a base scenario ('base') or a folder of scenario files ('scenarios')"
            raise ValueError(msg)
        if self.scenarios is not None and self.changes:
            msg = "a folder batch ('scenarios') takes its variants from the files; leave 'changes' out"
            raise ValueError(msg)
        if self.scenarios is None and not self.changes:
            msg = "give 'changes' to try on the base scenario (or 'scenarios', a folder of scenario files)"
            raise ValueError(msg)
        if self.design == "sample" and self.samples is None:
            msg = "design 'sample' needs 'samples' (how many variants to draw)"
            raise ValueError(msg)
        return self

    @property
    def root(self) -> Path:
        """Folder against which ``base`` and ``scenarios`` are resolved (the batch file's folder)."""
        return self._root

    @property
    def variant_timeout_s(self) -> float:
        """Wall-clock limit of one variant: ``timeout_s``, or 120 s plus ten times the solver limit."""
        return self.timeout_s if self.timeout_s is not None else 120.0 + 10.0 * self.solver.time_limit_s

    @property
    def source(self) -> str:
        """Name of the batch file in messages (``<batch>`` for a batch made in Python)."""
        return self._source

    def with_root(self, root: str | os.PathLike[str], source: str | None = None) -> Batch:
        """Return a copy whose relative paths are resolved against ``root`` (``source``: its file name)."""
        out = self.model_copy()
        out._root = Path(root)
        out._source = source if source is not None else self._source
        return out

    def resolve(self, spec: str) -> str:
        """``enablement:NAME`` as is; a relative path against :attr:`root`."""
        from .scenario.load import PACKAGED_PREFIX

        if spec.startswith(PACKAGED_PREFIX) or Path(spec).is_absolute():
            return spec
        return str(self.root / spec)


def load_batch(path: str | os.PathLike[str], **overrides: Any) -> Batch:
    """Read and validate a batch file, reporting every problem at once.

    Parameters
    ----------
    path
        The YAML file.
    **overrides
        Top-level fields to replace (e.g. ``timeout_s``), and ``time_limit_s`` for the solver's.

    Returns
    -------
    Batch
        The validated batch, its relative paths resolved against the file's folder.

    Raises
    ------
    BatchError
        Naming the file and the field of each problem.
    """
    p = Path(path)
    fname = str(path)
    if not p.is_file():
        msg = f"{fname}: no such batch file"
        raise BatchError(msg)
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        msg = f"{fname}: {where}YAML syntax error: {getattr(exc, 'problem', exc)}"
        raise BatchError(msg) from None
    except UnicodeDecodeError:
        msg = f"{fname}: not a UTF-8 text file"
        raise BatchError(msg) from None
    if not isinstance(data, dict):
        msg = f"{fname}: the file must hold a mapping (name, base, changes, …)"
        raise BatchError(msg)
    limit = overrides.pop("time_limit_s", None)
    data = {**data, **{k: v for k, v in overrides.items() if v is not None}}
    if limit is not None:
        solver = data.get("solver") if isinstance(data.get("solver"), dict) else {}
        data["solver"] = {**solver, "time_limit_s": limit}
    try:
        batch = Batch.model_validate(data)
    except ValidationError as exc:
        raise BatchError(problems_from(exc, fname)) from None
    batch = batch.with_root(p.resolve().parent, fname)
    problems = []
    if batch.base is not None:
        try:
            _base_path(batch)
        except ScenarioError as exc:
            problems.append(f"{fname}: base: {exc.problems[0]}")
    if batch.scenarios is not None:
        folder = Path(batch.resolve(batch.scenarios))
        if not folder.is_dir():
            problems.append(f"{fname}: scenarios: '{batch.scenarios}' is not a folder")
        elif not _scenario_files(folder):
            problems.append(f"{fname}: scenarios: no *.yaml scenario file in '{batch.scenarios}'")
    if problems:
        raise BatchError(problems)
    return batch


def _base_path(batch: Batch) -> Path:
    from .scenario.load import resolve_scenario_path

    assert batch.base is not None
    return resolve_scenario_path(batch.resolve(batch.base))


def _scenario_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())


# --------------------------------------------------------------------------- variants


@dataclass(frozen=True)
class Change:
    """One change to a scenario.

    Attributes
    ----------
    kind
        ``close_bridge``, ``close_site``, ``delay_arrival`` or ``scale_resource``.
    target
        Bridge, site or arrival id, or resource name.
    start_h, hours
        Closures: the window (hours after the scenario start; ``hours`` None: to the end).
        Delays: ``hours`` is the delay.
    factor
        Resource scaling factor.
    """

    kind: str
    target: str
    start_h: float | None = None
    hours: float | None = None
    factor: float | None = None

    @property
    def label(self) -> str:
        """The change in words, e.g. ``close site quay-antwerpen-noord for 24 h from +12 h``."""
        if self.kind in ("close_bridge", "close_site"):
            what = f"close {self.kind.removeprefix('close_')} {self.target}"
            if self.hours is not None:
                what += f" for {self.hours:g} h"
            if self.start_h:
                what += f" from +{self.start_h:g} h"
            return what
        if self.kind == "delay_arrival":
            return f"delay {self.target} by {self.hours:g} h"
        return f"{self.target} x{self.factor:g}"

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready fields (None left out)."""
        return {k: v for k, v in dataclasses.asdict(self).items() if v is not None}


@dataclass(frozen=True)
class Variant:
    """A scenario variant: the base scenario with ``changes``, or a scenario file of a folder batch.

    Attributes
    ----------
    id
        Stable id (``base``, ``v001`` … in expansion order, or the file name of a folder batch).
    changes
        Changes applied to the base scenario.
    scenario
        Scenario file (folder batches); None for the batch's base scenario.
    """

    id: str
    changes: tuple[Change, ...] = ()
    scenario: str | None = None

    @property
    def label(self) -> str:
        """The changes in words (``base scenario`` without any, the file name for a folder variant)."""
        if self.scenario is not None:
            return Path(self.scenario).name
        return "; ".join(c.label for c in self.changes) or "base scenario"

    @property
    def key(self) -> str:
        """Canonical JSON of what the variant is (to recognise it again on resume)."""
        return json.dumps(
            {"changes": [c.as_dict() for c in self.changes], "scenario": self.scenario}, sort_keys=True
        )


@dataclass(frozen=True)
class BridgeImpact:
    """How much closing a bridge costs the base plan's columns.

    Attributes
    ----------
    bridge_id
        The bridge.
    legs
        March-unit legs whose route crosses it.
    cut
        Legs left without any route when it closes.
    extra_s
        Sum of the detour times (s) of the other legs.
    """

    bridge_id: str
    legs: int
    cut: int
    extra_s: float


def critical_bridges(scenario: Scenario, network: Network, top: int) -> list[BridgeImpact]:
    """Rank the bridges whose closure hurts the base plan's road routes most.

    The base scenario is planned with the greedy road scheduler; for each march-unit
    leg, :meth:`enablement.routing.Router.criticality` gives the detour when each
    bridge on its route is closed (one kernel call per distinct route and profile).
    Bridges are ranked by the legs they cut off, then by the sum of the detours,
    then by the legs crossing them, then by id.

    Parameters
    ----------
    scenario
        The base scenario.
    network
        Its network (with the overlay's bridges).
    top
        How many bridges to return.

    Returns
    -------
    list of BridgeImpact
        The ``top`` worst first; fewer when the routes cross fewer bridges.
    """
    import numpy as np

    from .plan import make_plan
    from .routing import Router

    plan = make_plan(scenario, network=network, solver={"road": "greedy"})
    router = Router(network, "road")
    profiles = {mu.id: mu.profile for mu in plan.march_units}
    legs: Counter[str] = Counter()
    cut: Counter[str] = Counter()
    extra: defaultdict[str, float] = defaultdict(float)
    cache: dict[tuple[object, ...], dict[str, float]] = {}
    for (mu, _leg), route in sorted(plan.march.routes.items()):
        profile = profiles[mu]
        key = (route.edges, profile)
        if key not in cache:
            worst: dict[str, float] = {}
            for c in router.criticality(route, profile, top=len(route.edges), bridges_only=True):
                if c.bridge_id is not None and not pd.isna(c.bridge_id):
                    bid = str(c.bridge_id)
                    worst[bid] = max(worst.get(bid, 0.0), float(c.extra_s))
            cache[key] = worst
        for bid, x in cache[key].items():
            legs[bid] += 1
            if np.isinf(x):
                cut[bid] += 1
            else:
                extra[bid] += max(0.0, x)
    ranked = sorted(legs, key=lambda b: (-cut[b], -extra[b], -legs[b], b))
    out = [BridgeImpact(b, legs[b], cut[b], round(extra[b], 3)) for b in ranked[:top]]
    if len(out) < top:
        logger.info("the base plan's routes cross %d bridge(s) with a known class (%d asked)", len(out), top)
    return out


def _levels(spec: ChangeSpec, base: Scenario | None, bridges: Sequence[str]) -> list[Change]:
    if isinstance(spec, CloseBridges):
        targets = list(dict.fromkeys([*bridges, *spec.bridges]))
        return [Change("close_bridge", b, w.start_h, w.hours) for b in targets for w in spec.windows]
    if isinstance(spec, CloseSites):
        sites = list(dict.fromkeys(spec.sites))
        return [Change("close_site", s, w.start_h, w.hours) for s in sites for w in spec.windows]
    if isinstance(spec, DelayArrivals):
        ids = spec.arrivals or ([a.id for a in base.arrivals if a.kind == "ship"] if base else [])
        return [Change("delay_arrival", a, hours=h) for a in dict.fromkeys(ids) for h in spec.hours]
    return [
        Change("scale_resource", r, factor=f) for r in dict.fromkeys(spec.resources) for f in spec.factors
    ]


def expand(
    batch: Batch,
    *,
    network: Network | None = None,
    base: Scenario | None = None,
    progress: Callable[[str], None] | None = None,
) -> list[Variant]:
    """List the variants of a batch, in a deterministic order with stable ids.

    Parameters
    ----------
    batch
        The batch.
    network
        The base scenario's network (needed for ``close_bridges: top``; built when not given).
    base
        The base scenario (loaded when not given).
    progress
        Called with the name of each preparation step.

    Returns
    -------
    list of Variant
        ``base`` first (when the batch has a base), then ``v001`` … or the folder's files.

    Raises
    ------
    BatchError
        When a grid is too large, or the base plan needed for bridge criticality fails.
    """
    from .scenario.load import load_scenario

    out: list[Variant] = []
    if batch.base is not None:
        out.append(Variant(BASE_ID))
    if batch.scenarios is not None:
        folder = Path(batch.resolve(batch.scenarios))
        files = _scenario_files(folder) if folder.is_dir() else []
        return out + [Variant(p.stem, scenario=str(p)) for p in files]
    if base is None:
        base = load_scenario(_base_path(batch))
    tops = [s.top for s in batch.changes if isinstance(s, CloseBridges) and s.top]
    bridges: list[str] = []
    if tops:
        if network is None:
            from .plan import build_network

            network = build_network(base, _base_path(batch).parent)
        if progress:
            progress("ranking bridges by criticality")
        try:
            bridges = [b.bridge_id for b in critical_bridges(base, network, max(tops))]
        except EnablementError as exc:
            msg = f"close_bridges: top needs the base plan, which fails: {exc}"
            raise BatchError(msg) from None
    levels = [
        _levels(s, base, bridges[: s.top] if isinstance(s, CloseBridges) else ()) for s in batch.changes
    ]
    combos: list[tuple[Change, ...]]
    if batch.design == "one_at_a_time":
        combos = [(c,) for lv in levels for c in lv]
    else:
        radices = [len(lv) + 1 for lv in levels]  # each change may also stay at its unchanged level
        total = math.prod(radices) - 1
        if batch.design == "grid" and total > _MAX_VARIANTS:
            msg = f"the grid has {total} variants (at most {_MAX_VARIANTS}); use design: sample"
            raise BatchError(msg)
        if batch.design == "grid":
            points: Iterable[int] = range(1, total + 1)
        else:
            assert batch.samples is not None
            points = sorted(random.Random(batch.seed).sample(range(1, total + 1), min(batch.samples, total)))
        combos = [_decode(i, radices, levels) for i in points]
    seen: set[str] = set()
    width = max(3, len(str(len(combos))))
    for changes in combos:
        v = Variant("", changes)
        if v.key in seen or not changes:
            continue
        seen.add(v.key)
        out.append(dataclasses.replace(v, id=f"v{len(seen):0{width}d}"))
    return out


def _decode(i: int, radices: Sequence[int], levels: Sequence[Sequence[Change]]) -> tuple[Change, ...]:
    """Grid point ``i`` (mixed radix, the first change varying slowest) as its changes."""
    digits = []
    for r in reversed(radices):
        digits.append(i % r)
        i //= r
    digits.reverse()
    return tuple(levels[j][d - 1] for j, d in enumerate(digits) if d > 0)


def apply_changes(
    scenario: Scenario,
    changes: Sequence[Change],
    *,
    fname: str = "<variant>",
    base: Path | None = None,
) -> Scenario:
    """Apply changes to a scenario and validate the result like a scenario file.

    Parameters
    ----------
    scenario
        The base scenario.
    changes
        Closures (appended as disruptions), delays and resource scalings.
    fname
        Name used in messages.
    base
        Folder of the scenario file (for relative paths in it).

    Returns
    -------
    Scenario
        The variant.

    Raises
    ------
    ScenarioError
        Listing every problem of the variant (unknown site or bridge, an arrival moved
        before the start …).
    """
    from .scenario.load import validate_scenario

    data = scenario.model_dump(mode="json", by_alias=True)
    problems = []
    for n, ch in enumerate(changes, start=1):
        if ch.kind in ("close_bridge", "close_site"):
            start = scenario.start + timedelta(hours=ch.start_h or 0.0)
            end = None if ch.hours is None else start + timedelta(hours=ch.hours)
            data["disruptions"].append(
                {
                    "id": f"batch-{n}",
                    "kind": ch.kind,
                    "target": ch.target,
                    "start": start.isoformat(),
                    "end": None if end is None else end.isoformat(),
                }
            )
        elif ch.kind == "delay_arrival":
            found = [a for a in data["arrivals"] if a["id"] == ch.target]
            if not found:
                known = ", ".join(a["id"] for a in data["arrivals"])
                problems.append(f"{fname}: delay_arrivals: no arrival '{ch.target}'; arrivals: {known}")
            for a in found:
                a["time"] = (datetime.fromisoformat(a["time"]) + timedelta(hours=ch.hours or 0)).isoformat()
        elif ch.kind == "scale_resource":
            res = data["resources"]
            assert ch.factor is not None
            res[ch.target] = math.floor(res[ch.target] * ch.factor + 0.5)
            if ch.target == "wagons":
                res["wagon_pools"] = {
                    k: math.floor(v * ch.factor + 0.5) for k, v in res["wagon_pools"].items()
                }
        else:
            problems.append(f"{fname}: unknown change kind '{ch.kind}'")
    if problems:
        raise ScenarioError(problems)
    return validate_scenario(data, fname, base)


# --------------------------------------------------------------------------- one variant (worker side)


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
    from .plan import make_plan
    from .scenario.load import validate_scenario
    from .scenario.schema import Scenario

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
    from . import plan  # noqa: F401  (import the planner before the first variant's clock starts)

    try:
        import numba

        numba.set_num_threads(max(1, min(threads, numba.config.NUMBA_NUM_THREADS)))
    except (ImportError, ValueError):  # pragma: no cover
        pass


def _pool_task(task: _Task) -> dict[str, Any]:
    _WORKER["started"].put((task.variant, os.getpid(), time.time()))
    return _run_variant(task, _WORKER["networks"][task.network])


# --------------------------------------------------------------------------- execution backends

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
                    running.pop(task.variant, None)
                    record(fut.result())
                elif isinstance(exc, BrokenProcessPool):
                    broken = True
                    if alone and task.variant in running:
                        record(_row(task, "failed", "the worker process died while planning this variant"))
                    elif task.variant in running:
                        suspects.append(task)
                    else:
                        (suspects if alone else pending).appendleft(task)
                else:
                    record(_row(task, "failed", f"{type(exc).__name__}: {exc}"))
            now = time.time()
            overdue = [
                f
                for f, (t, submitted, _) in inflight.items()
                if (t.variant in running and now - running[t.variant][1] > timeout_s)
                or (t.variant not in running and now - submitted > timeout_s + _STARTUP_GRACE_S)
            ]
            if not overdue and not broken:
                continue
            pids = [running[t.variant][0] for t, _, _ in inflight.values() if t.variant in running]
            for f in overdue:
                task, _, _ = inflight.pop(f)
                logger.warning(
                    "variant %s timed out after %g s; its worker is stopped", task.variant, timeout_s
                )
                record(_timed_out(task, timeout_s))
            for task, _, alone in inflight.values():  # lost with the pool: run again
                if broken and task.variant in running and not alone:
                    suspects.append(task)
                else:
                    (suspects if alone else pending).appendleft(task)
            inflight.clear()
            running.clear()
            pool.stop(pids, broken=broken)
        pool.stop(wait=True)
    finally:
        pids = [running[t.variant][0] for t, _, _ in inflight.values() if t.variant in running]
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
            key=f"enablement-batch-{token}-{task.variant}",
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
                row = _row(task, "failed", f"the Dask task failed: {type(exc).__name__}: {exc}")
            record(row)
    finally:
        client.cancel([f for f in futures if not f.done()])
        client.cancel(list(shared.values()))


# --------------------------------------------------------------------------- journal and tables


def read_results(out_dir: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """Rows recorded in ``out_dir/results.jsonl`` (a line cut short by an interruption is left out)."""
    path = Path(out_dir) / RESULTS
    if not path.is_file():
        return []
    rows = []
    lines = path.read_text(encoding="utf-8").split("\n")
    for i, line in enumerate(lines):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError:
            if i < len(lines) - 1:
                logger.warning("%s: line %d is not JSON; left out", path, i + 1)
            continue
        if isinstance(row, dict) and "variant" in row:
            rows.append(row)
    return rows


class _Journal:
    """``results.jsonl``: one JSON line per finished variant, synced to disk before the next."""

    def __init__(self, path: Path, rows: Sequence[Mapping[str, Any]]) -> None:
        self.path = path
        if path.exists():  # rewrite clean: drop a line cut short by an interruption
            write_text_atomic(path, "".join(_line(r) for r in rows))
        self._file = path.open("a", encoding="utf-8")

    def append(self, row: Mapping[str, Any]) -> None:
        self._file.write(_line(row))
        self._file.flush()
        os.fsync(self._file.fileno())

    def close(self) -> None:
        self._file.close()


def _line(row: Mapping[str, Any]) -> str:
    return json.dumps(dict(row), sort_keys=True, ensure_ascii=False, allow_nan=False) + "\n"


def _order(variant: str) -> tuple[bool, str]:
    return (variant != BASE_ID, variant)


def results_table(rows: Iterable[Mapping[str, Any]]) -> pd.DataFrame:
    """Build the results table: a row per variant sorted by id (``base`` first), impact against ``base``.

    Parameters
    ----------
    rows
        Recorded rows (the last one of a variant wins).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`COLUMNS`; ``closure_delta_h`` and ``lateness_delta_h`` are the
        differences to the base scenario (NaN without a planned base).
    """
    latest = {r["variant"]: r for r in rows}
    ordered = [latest[v] for v in sorted(latest, key=_order)]
    df = pd.DataFrame([{c: r.get(c) for c in COLUMNS} for r in ordered], columns=list(COLUMNS))
    df = df.astype(_DTYPES)
    base = latest.get(BASE_ID)
    if base is not None and base.get("status") == "ok":
        df["closure_delta_h"] = (df["closure_h"] - float(base["closure_h"])).round(4)
        df["lateness_delta_h"] = (df["total_lateness_h"] - float(base["total_lateness_h"])).round(4)
    for col in ("changes", "status", "binding", "road_status", "rail_status", "message"):
        df[col] = df[col].fillna("").astype(str)
    df["closure"] = df["closure"].astype("string")
    df["variant"] = df["variant"].astype(str)
    return df


def _ranked(table: pd.DataFrame) -> pd.DataFrame:
    """Variants by impact: infeasible first, then by extra closure and extra lateness (base left out)."""
    t = table[(table["variant"] != BASE_ID) & table["status"].isin(("ok", "infeasible"))].copy()
    t["_inf"] = t["status"] == "infeasible"
    t["_c"] = t["closure_delta_h"].fillna(t["closure_h"]).fillna(0.0)
    t["_l"] = t["lateness_delta_h"].fillna(t["total_lateness_h"]).fillna(0.0)
    t = t.sort_values(["_inf", "_c", "_l", "variant"], ascending=[False, False, False, True], kind="stable")
    return t.drop(columns=["_inf", "_c", "_l"])


def _fmt(x: Any, digits: int = 2, sign: bool = False) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)) or x is pd.NA:
        return "–"
    return f"{float(x):+.{digits}f}" if sign else f"{float(x):.{digits}f}"


def _chart(ranked: pd.DataFrame, limit: int = 30) -> str:
    """Inline SVG: extra closure hours per variant (infeasible ones as a full red bar)."""
    rows = ranked.head(limit)
    if rows.empty:
        return "<p>No variant was planned.</p>"
    deltas = [0.0 if pd.isna(d) else float(d) for d in rows["closure_delta_h"]]
    span = max([abs(d) for d in deltas] + [1e-9])
    left, width, bar_h, gap = 330, 520, 16, 6
    has_neg = any(d < 0 for d in deltas)
    zero = left + (width / 2 if has_neg else 0)
    scale = (width / 2 if has_neg else width) / span
    height = (bar_h + gap) * len(rows) + 30
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{left + width + 90}" height="{height}" '
        'role="img" aria-label="extra closure hours per variant" font-family="sans-serif" font-size="11">',
        f'<line x1="{zero:.1f}" y1="0" x2="{zero:.1f}" y2="{height - 24}" stroke="#444"/>',
    ]
    for i, (row, d) in enumerate(zip(rows.itertuples(index=False), deltas, strict=True)):
        y = i * (bar_h + gap) + 4
        name = f"{row.variant}: {row.changes}"
        name = name if len(name) <= 52 else name[:51] + "…"
        parts.append(
            f'<text x="{left - 6}" y="{y + bar_h - 4}" text-anchor="end">'
            f"<title>{html.escape(str(row.changes))}</title>{html.escape(name)}</text>"
        )
        if row.status == "infeasible":
            parts.append(
                f'<rect x="{zero:.1f}" y="{y}" width="{left + width - zero:.1f}" height="{bar_h}" '
                'fill="#b2182b" opacity="0.85"/>'
                f'<text x="{left + width + 4}" y="{y + bar_h - 4}">infeasible</text>'
            )
            continue
        w = abs(d) * scale
        x = zero if d >= 0 else zero - w
        colour = "#d6604d" if d > 0 else "#4393c3"
        parts.append(
            f'<rect x="{x:.1f}" y="{y}" width="{max(w, 0.5):.1f}" height="{bar_h}" fill="{colour}"/>'
            f'<text x="{left + width + 4}" y="{y + bar_h - 4}">{html.escape(_fmt(d, 2, True))} h</text>'
        )
    parts.append(
        f'<text x="{zero:.1f}" y="{height - 8}" text-anchor="middle">0 h (base closure); '
        f"bar length up to {span:.2f} h</text></svg>"
    )
    return "".join(parts)


def worst_single_closure(table: pd.DataFrame, variants: Sequence[Variant]) -> dict[str, Any] | None:
    """Find the single closure (one bridge or one site, alone) that delays the closure most, or None."""
    single = {
        v.id for v in variants if len(v.changes) == 1 and v.changes[0].kind in ("close_bridge", "close_site")
    }
    ranked = _ranked(table)
    ranked = ranked[ranked["variant"].isin(single)]
    if ranked.empty:
        return None
    r = ranked.iloc[0]
    return {
        "variant": str(r["variant"]),
        "changes": str(r["changes"]),
        "status": str(r["status"]),
        "closure_delta_h": None if pd.isna(r["closure_delta_h"]) else float(r["closure_delta_h"]),
        "lateness_delta_h": None if pd.isna(r["lateness_delta_h"]) else float(r["lateness_delta_h"]),
    }


def _html(batch: Batch, table: pd.DataFrame, variants: Sequence[Variant], meta: Mapping[str, Any]) -> str:
    e = html.escape
    ranked = _ranked(table)
    counts = Counter(table["status"])
    base = table[table["variant"] == BASE_ID]
    lines = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{e(batch.name)}: batch summary</title>",
        "<style>body{font-family:sans-serif;margin:1.5em;max-width:1200px}"
        "table{border-collapse:collapse;font-size:13px}td,th{border:1px solid #ccc;padding:3px 6px;"
        "text-align:left;vertical-align:top}th{background:#eee}td.n{text-align:right}"
        ".infeasible{color:#b2182b}.failed,.timed{color:#8c510a}</style></head><body>",
        f"<h1>{e(batch.name)}</h1>",
    ]
    if batch.description:
        lines.append(f"<p>{e(batch.description)}</p>")
    solver = ", ".join(f"{k} {v}" for k, v in batch.solver.overrides().items())
    source = f"base scenario {batch.base}" if batch.base else f"scenario folder {batch.scenarios}"
    status_text = ", ".join(f"{counts.get(s, 0)} {s}" for s in STATUSES)
    lines.append(
        f"<p>{e(source)}; design {e(batch.design)}; {len(table)} variants ({e(status_text)}); "
        f"solver: {e(solver)}; enablement {e(__version__)}.</p>"
    )
    if not base.empty:
        b = base.iloc[0]
        if b["status"] == "ok":
            lines.append(
                f"<p>Base scenario: closure {e(str(b['closure']))} "
                f"({_fmt(b['closure_h'])} h after the start), "
                f"total lateness {_fmt(b['total_lateness_h'])} h; {e(str(b['binding']))}.</p>"
            )
        else:
            lines.append(
                f"<p class='failed'>The base scenario is {e(str(b['status']))}: {e(str(b['message']))}; "
                "impacts are not computed.</p>"
            )
    worst = worst_single_closure(table, variants)
    if worst is not None:
        what = (
            "makes the move infeasible"
            if worst["status"] == "infeasible"
            else f"delays the closure by {_fmt(worst['closure_delta_h'], 2, True)} h "
            f"(lateness {_fmt(worst['lateness_delta_h'], 2, True)} h)"
        )
        lines.append(
            f"<p><strong>Single closure that hurts most:</strong> {e(worst['changes'])} "
            f"({e(worst['variant'])}) {e(what)}.</p>"
        )
    lines += ["<h2>Impact on the force closure</h2>", _chart(ranked)]
    lines += [
        "<h2>Variants ranked by impact</h2>",
        "<table><tr><th>#</th><th>variant</th><th>changes</th><th>status</th><th>closure (h)</th>"
        "<th>Δ closure (h)</th><th>lateness (h)</th><th>Δ lateness (h)</th><th>units late</th>"
        "<th>binding</th><th>solve (s)</th></tr>",
    ]
    for i, r in enumerate(ranked.itertuples(index=False), start=1):
        cls = "infeasible" if r.status == "infeasible" else ""
        detail = r.binding if r.status == "ok" else r.message
        late = "–" if pd.isna(r.units_late) else str(int(r.units_late))
        lines.append(
            f"<tr class='{cls}'><td class='n'>{i}</td><td>{e(r.variant)}</td><td>{e(r.changes)}</td>"
            f"<td>{e(r.status)}</td><td class='n'>{_fmt(r.closure_h)}</td>"
            f"<td class='n'>{_fmt(r.closure_delta_h, 2, True)}</td>"
            f"<td class='n'>{_fmt(r.total_lateness_h)}</td>"
            f"<td class='n'>{_fmt(r.lateness_delta_h, 2, True)}</td><td class='n'>{late}</td>"
            f"<td>{e(str(detail))}</td><td class='n'>{_fmt(r.solve_s, 1)}</td></tr>"
        )
    lines.append("</table>")
    bad = table[table["status"].isin(("failed", "timed out"))]
    if not bad.empty:
        lines += [
            "<h2>Variants without a result</h2>",
            "<table><tr><th>variant</th><th>changes</th><th>status</th><th>reason</th></tr>",
        ]
        for r in bad.itertuples(index=False):
            cls = "timed" if r.status == "timed out" else "failed"
            message = e(r.message).replace("\n", "<br>")
            lines.append(
                f"<tr class='{cls}'><td>{e(r.variant)}</td><td>{e(r.changes)}</td><td>{e(r.status)}</td>"
                f"<td>{message}</td></tr>"
            )
        lines.append("</table>")
    lines.append(
        f"<p>Batch fingerprint {e(str(meta.get('fingerprint', ''))[:16])}. Rows: results.csv and "
        "results.parquet beside this file.</p></body></html>"
    )
    return "\n".join(lines) + "\n"


def _write_outputs(
    out: Path,
    batch: Batch,
    rows: Sequence[Mapping[str, Any]],
    variants: Sequence[Variant],
    meta: Mapping[str, Any],
) -> tuple[pd.DataFrame, dict[str, Path]]:
    ids = {v.id for v in variants}
    table = results_table([r for r in rows if r["variant"] in ids])
    paths = {
        "csv": write_with_atomic(
            out / "results.csv", lambda p: table.to_csv(p, index=False, lineterminator="\n")
        ),
        "parquet": write_with_atomic(
            out / "results.parquet", lambda p: table.to_parquet(p, index=False, engine="pyarrow")
        ),
        "html": write_text_atomic(out / "summary.html", _html(batch, table, variants, meta)),
        "jsonl": out / RESULTS,
    }
    return table, paths


# --------------------------------------------------------------------------- the batch run


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
    """Tasks for the workers, rows of folder files that do not load, and the scenario of each network."""
    from .scenario.load import load_scenario

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
                task = _Task(v.id, v.label, v.key, len(v.changes), {}, name, str(path.parent), (), solver, "")
                failed.append(_row(task, "failed", str(exc), 0.0))
                continue
        key = _network_key(sc, where)
        sources.setdefault(key, (sc, where))
        data = sc.model_dump(mode="json", by_alias=True)
        tasks.append(
            _Task(v.id, v.label, v.key, len(v.changes), data, name, str(where), v.changes, solver, key)
        )
    return tasks, failed, sources


def _fingerprint(batch: Batch, tasks: Sequence[_Task], failed: Sequence[Mapping[str, Any]]) -> str:
    h = hashlib.sha256()
    h.update(json.dumps(batch.solver.overrides(), sort_keys=True).encode())
    for t in sorted(tasks, key=lambda t: t.variant):
        h.update(json.dumps([t.variant, t.key, t.data], sort_keys=True, default=str).encode())
    for r in sorted(failed, key=lambda r: r["variant"]):
        h.update(json.dumps([r["variant"], r["key"], r["message"]], sort_keys=True).encode())
    return h.hexdigest()


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
    from .plan import build_network
    from .scenario.load import load_scenario

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
    todo = [t for t in tasks if t.variant not in finished]
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
