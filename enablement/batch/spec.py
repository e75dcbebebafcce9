"""The batch file: its schema (format v1), reading and checking it.

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
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, model_validator

from .. import limits
from .._validate import problems_from, read_yaml
from ..errors import BatchError, ScenarioError

_MAX_VARIANTS = limits.BATCH_VARIANTS
_HOURS = 24 * 366.0

Name = Annotated[str, Field(min_length=1, max_length=limits.NAME_CHARS)]
"""A bridge, site or arrival id."""


def _levels(max_length: int = limits.BATCH_LEVELS) -> Any:
    return Field(min_length=1, max_length=max_length)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


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
    bridges: list[Name] = Field(default_factory=list, max_length=limits.BATCH_LEVELS)
    windows: list[Window] = Field(
        default_factory=_default_windows, min_length=1, max_length=limits.BATCH_LEVELS
    )

    @model_validator(mode="after")
    def _some_bridge(self) -> CloseBridges:
        if not self.top and not self.bridges:
            msg = "give 'top' (the N most critical bridges) or 'bridges' (bridge ids), or both"
            raise ValueError(msg)
        return self


class CloseSites(_Model):
    """Close each site (a port, airport, quay, staging area …) in turn, for each window."""

    kind: Literal["close_sites"]
    sites: list[Name] = _levels()
    windows: list[Window] = Field(
        default_factory=_default_windows, min_length=1, max_length=limits.BATCH_LEVELS
    )


class DelayArrivals(_Model):
    """Delay each arrival (default: every ship) by each number of hours (negative: earlier)."""

    kind: Literal["delay_arrivals"]
    arrivals: list[Name] = Field(default_factory=list, max_length=limits.BATCH_LEVELS)
    hours: list[Annotated[float, Field(ge=-_HOURS, le=_HOURS)]] = _levels()


Resource = Literal["hets", "wagons", "locomotives", "diesel_locomotives"]


class ScaleResources(_Model):
    """Scale each resource in turn by each factor (rounded to whole vehicles)."""

    kind: Literal["scale_resources"]
    resources: list[Resource] = _levels(4)
    factors: list[Annotated[float, Field(ge=0, le=100)]] = _levels()


ChangeSpec = Annotated[
    CloseBridges | CloseSites | DelayArrivals | ScaleResources, Field(discriminator="kind")
]


class BatchSolver(_Model):
    """Solver settings of every variant (they override each scenario's ``solver`` section)."""

    road: Literal["cp-sat", "greedy"] = "cp-sat"
    time_limit_s: float = Field(default=5.0, gt=0, le=3600)
    seed: int = Field(default=0, ge=0, le=limits.SEED)
    alternatives: int | None = Field(default=None, ge=1, le=5)

    def overrides(self) -> dict[str, Any]:
        """Return the ``solver`` argument of :func:`enablement.plan.make_plan`."""
        return {k: v for k, v in self.model_dump().items() if v is not None}


class Batch(_Model):
    """A batch of scenario variants (format v1); :mod:`enablement.batch.spec` gives the file format."""

    version: Literal[1] = 1
    name: str = Field(min_length=1, max_length=limits.NAME_CHARS)
    description: str = Field(default="", max_length=limits.DESCRIPTION_CHARS)
    base: str | None = Field(default=None, min_length=1, max_length=limits.PATH_CHARS)
    scenarios: str | None = Field(default=None, min_length=1, max_length=limits.PATH_CHARS)
    design: Literal["one_at_a_time", "grid", "sample"] = "one_at_a_time"
    samples: int | None = Field(default=None, ge=1, le=_MAX_VARIANTS)
    seed: int = Field(default=0, ge=0, le=limits.SEED)
    solver: BatchSolver = Field(default_factory=BatchSolver)
    timeout_s: float | None = Field(default=None, gt=0, le=7 * 86400)
    changes: list[ChangeSpec] = Field(default_factory=list, max_length=limits.BATCH_CHANGES)
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
        least = self.least_variants()
        if least > _MAX_VARIANTS:
            fix = "draw some with design: sample" if self.design != "sample" else "give fewer samples"
            msg = (
                f"the changes make at least {least:,} variants ({self.design}), over the limit of "
                f"{_MAX_VARIANTS:,} (enablement.limits.BATCH_VARIANTS); {fix}, or give fewer levels"
            )
            raise ValueError(msg)
        return self

    def least_variants(self) -> int:
        """Count the fewest variants the changes make (levels known only from the base plan count once)."""
        counts = [_least_levels(c) for c in self.changes]
        if self.design == "one_at_a_time":
            return sum(counts)
        grid = math.prod(n + 1 for n in counts) - 1
        return grid if self.design == "grid" or self.samples is None else min(self.samples, grid)

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
        from ..scenario.load import PACKAGED_PREFIX

        if spec.startswith(PACKAGED_PREFIX) or Path(spec).is_absolute():
            return spec
        return str(self.root / spec)


def _least_levels(change: ChangeSpec) -> int:
    """Count the fewest levels of a change: its listed targets (at least one) times its windows or values."""
    if isinstance(change, CloseBridges):
        return max(len(set(change.bridges)), 1) * len(change.windows)
    if isinstance(change, CloseSites):
        return len(set(change.sites)) * len(change.windows)
    if isinstance(change, DelayArrivals):
        return max(len(set(change.arrivals)), 1) * len(change.hours)
    return len(set(change.resources)) * len(change.factors)


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
        Naming the file and the field of each problem; the file is read by the strict
        YAML reader (size, UTF-8, duplicate keys, aliases, nesting) and the variants
        its changes make are bounded by :data:`enablement.limits.BATCH_VARIANTS`.
    """
    p = Path(path)
    fname = str(path)
    if not p.is_file():
        msg = f"{fname}: no such batch file"
        raise BatchError(msg)
    data = read_yaml(p, fname, what="batch", max_bytes=limits.BATCH_BYTES, error=BatchError)
    if data is None:
        msg = f"{fname}: the file is empty; a batch holds name, base and changes (see enablement.batch.spec)"
        raise BatchError(msg)
    if not isinstance(data, dict):
        msg = f"{fname}: the file must hold a mapping (name, base, changes, …)"
        raise BatchError(msg)
    limit = overrides.pop("time_limit_s", None)
    data = {**data, **{k: v for k, v in overrides.items() if v is not None}}
    if limit is not None:
        solver = data.get("solver")
        data["solver"] = {**(solver if isinstance(solver, dict) else {}), "time_limit_s": limit}
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
        elif not (files := _scenario_files(folder)):
            problems.append(f"{fname}: scenarios: no *.yaml scenario file in '{batch.scenarios}'")
        elif len(files) > _MAX_VARIANTS:
            problems.append(
                f"{fname}: scenarios: {len(files):,} scenario files in '{batch.scenarios}', over the limit "
                f"of {_MAX_VARIANTS:,} variants (enablement.limits.BATCH_VARIANTS); split the folder"
            )
    if problems:
        raise BatchError(problems)
    return batch


def _base_path(batch: Batch) -> Path:
    from ..scenario.load import resolve_scenario_path

    assert batch.base is not None
    return resolve_scenario_path(batch.resolve(batch.base))


def _scenario_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())
