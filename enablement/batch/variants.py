"""Variants of a batch: the changes to a scenario, their expansion into variants, and applying them."""

from __future__ import annotations

import dataclasses
import json
import math
import random
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import BatchError, EnablementError, ScenarioError
from .bridges import critical_bridges
from .spec import (
    _MAX_VARIANTS,
    Batch,
    ChangeSpec,
    CloseBridges,
    CloseSites,
    DelayArrivals,
    _base_path,
    _scenario_files,
)

if TYPE_CHECKING:
    from ..network.model import Network
    from ..scenario.schema import Scenario

BASE_ID = "base"


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
    from ..scenario.load import load_scenario

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
            from ..plan import build_network

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
    from ..scenario.load import validate_scenario

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
