"""Load and validate scenario files, reporting every problem at once.

A scenario file is read by the strict YAML reader (:func:`enablement._validate.read_yaml`:
size bounded, UTF-8, no duplicate keys, no aliases, bounded nesting); then the lengths
of its lists are checked against :mod:`enablement.limits` before any item is
validated; then the schema (:mod:`.schema`) and the cross-checks (the overlay's
sites, the vehicle catalogue, units and movements, the span of its times). Every
step is one pass over the items: validation time and memory grow linearly with the
file.
"""

from __future__ import annotations

import datetime as dt
import gc
import os
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from .. import limits
from .._validate import problems_from, read_yaml
from ..errors import EnablementError, ScenarioError
from ..network.overlays import read_overlay
from .schema import Movement, Scenario

__all__ = [
    "PACKAGED_PREFIX",
    "load_scenario",
    "packaged_scenarios",
    "resolve_scenario_path",
    "validate_scenario",
]

PACKAGED_PREFIX = "enablement:"
"""Prefix naming a scenario shipped with the package, e.g. ``enablement:brigade-antwerp-aachen``."""


def packaged_scenarios() -> list[str]:
    """Names of the scenarios shipped with the package."""
    folder = resources.files("enablement.scenarios")
    return sorted(p.name.removesuffix(".yaml") for p in folder.iterdir() if p.name.endswith(".yaml"))


def resolve_scenario_path(spec: str | os.PathLike[str]) -> Path:
    """Path of a scenario given as a file path or as ``enablement:NAME``."""
    text = str(spec)
    if text.startswith(PACKAGED_PREFIX):
        name = text.removeprefix(PACKAGED_PREFIX)
        ref = resources.files("enablement.scenarios") / f"{name}.yaml"
        if not ref.is_file():
            msg = (
                f"{text}: no packaged scenario '{name}'; packaged scenarios: "
                f"{', '.join(packaged_scenarios())}"
            )
            raise ScenarioError(msg)
        return Path(str(ref))
    path = Path(text)
    if not path.is_file():
        msg = f"{path}: no such scenario file (or use enablement:NAME for a packaged one)"
        raise ScenarioError(msg)
    return path


@dataclass
class _Checks:
    """The problems found so far, and the overlay sites and bridges the checks look names up in."""

    fname: str
    sites: dict[str, tuple[str, str]] = field(default_factory=dict)
    bridges: set[str] = field(default_factory=set)
    problems: list[str] = field(default_factory=list)
    _known_sites: str | None = None

    def add(self, text: str) -> None:
        """Record one problem (``field: message``), prefixed with the file name."""
        self.problems.append(f"{self.fname}: {text}")

    def site(self, field: str, sid: str | None, kinds: tuple[str, ...] = (), mode: str | None = None) -> None:
        """Check that ``sid`` names an overlay site of one of ``kinds`` on the ``mode`` network."""
        if sid is None or not self.sites:
            return
        if sid not in self.sites:
            if self._known_sites is None:  # once, not once per unknown site
                self._known_sites = ", ".join(sorted(self.sites))
            self.add(f"{field}: unknown site '{sid}'; known sites: {self._known_sites}")
            return
        kind, smode = self.sites[sid]
        if kinds and kind not in kinds:
            self.add(f"{field}: site '{sid}' is a {kind}; expected a {' or '.join(kinds)}")
        if mode and mode not in smode:
            self.add(f"{field}: site '{sid}' is not on the {mode} network (mode {smode})")


def _check_overlays(sc: Scenario, base: Path, checks: _Checks) -> None:
    """Read every overlay as the planner does (relative paths against ``base``), noting sites and bridges."""
    for i, name in enumerate(sc.overlays):
        try:
            ov = read_overlay(name, base=base)
        except EnablementError as exc:
            checks.add(f"overlays[{i}]: {exc}")
            continue
        if len(ov.sites):  # an overlay of bridges or road attributes only has no site columns
            for sid, kind, mode in zip(ov.sites["id"], ov.sites["kind"], ov.sites["mode"], strict=True):
                checks.sites[str(sid)] = (str(kind), str(mode))
        checks.bridges.update(str(b) for b in ov.bridges.index)


def _check_arrivals(sc: Scenario, checks: _Checks) -> dict[str, set[str]]:
    """Arrival ids, sites, times and vehicle types; returns the sites each unit arrives at."""
    from ..vehicles import load_catalogue  # the catalogue imports the errors of this package

    catalogue = load_catalogue()
    known = ", ".join(sorted(catalogue.ids()))
    arrival_ids: set[str] = set()
    unit_origin: dict[str, set[str]] = defaultdict(set)
    vehicles = 0
    for i, arr in enumerate(sc.arrivals):
        if arr.id in arrival_ids:
            checks.add(f"arrivals[{i}].id: '{arr.id}' is used twice; ids must be unique")
        arrival_ids.add(arr.id)
        checks.site(f"arrivals[{i}].site", arr.site, ("seaport", "airport", "staging_area", "rail_quay"))
        if arr.time < sc.start:
            checks.add(f"arrivals[{i}].time: {arr.time.isoformat()} is before the scenario start")
        _check_span(checks, f"arrivals[{i}].time", arr.time, sc.start)
        for j, item in enumerate(arr.equipment):
            if item.vehicle not in catalogue:
                checks.add(
                    f"arrivals[{i}].equipment[{j}].vehicle: unknown vehicle type "
                    f"'{item.vehicle}'; known types: {known}"
                )
            unit_origin[item.unit].add(arr.site)
            vehicles += item.count
    if vehicles > limits.VEHICLES:
        checks.add(
            f"arrivals: {vehicles:,} vehicles in all (the sum of every equipment count), over the limit "
            f"of {limits.VEHICLES:,} (enablement.limits.VEHICLES; a corps is 30,000-60,000); "
            "check the counts, or split the scenario"
        )
    return unit_origin


def _check_span(checks: _Checks, where: str, when: dt.datetime, start: dt.datetime) -> None:
    """Check that a time is within :data:`~enablement.limits.SCENARIO_DAYS` of the scenario start."""
    if abs(when - start) > dt.timedelta(days=limits.SCENARIO_DAYS):
        checks.add(
            f"{where}: {when.isoformat()} is more than {limits.SCENARIO_DAYS} days from the scenario "
            f"start ({start.isoformat()}, enablement.limits.SCENARIO_DAYS); check the date (the year?)"
        )


def _check_movement(sc: Scenario, i: int, mv: Movement, origins: set[str] | None, checks: _Checks) -> None:
    """One movement: its unit's origin, its sites, its date and, by rail, the resources it needs."""
    f = f"movements[{i}]"
    if origins is None:
        checks.add(f"{f}.unit: unit '{mv.unit}' has no equipment in any arrival")
    elif mv.from_ is None and len(origins) > 1:
        checks.add(
            f"{f}.from: unit '{mv.unit}' arrives at several sites "
            f"({', '.join(sorted(origins))}); split it into one unit per site"
        )
    checks.site(f"{f}.from", mv.from_)
    if mv.via is not None:
        checks.site(f"{f}.via.site", mv.via.site, ("staging_area", "seaport", "airport"))
    to_kinds = ("border_crossing", "staging_area", "rail_quay")
    checks.site(f"{f}.to", mv.to, to_kinds, "rail" if mv.mode == "rail" else None)
    if mv.mode == "rail" and mv.quay is None:
        checks.add(f"{f}.quay: a rail movement needs 'quay' (a rail_quay site id)")
    checks.site(f"{f}.quay", mv.quay, ("rail_quay",))
    _check_railhead(f, mv, checks)
    if mv.rdd <= sc.start:
        checks.add(f"{f}.rdd: the required delivery date is not after the scenario start")
    _check_span(checks, f"{f}.rdd", mv.rdd, sc.start)
    if mv.mode == "rail" and not (sc.resources.any_wagons and sc.resources.any_locomotives):
        checks.add(
            f"resources.wagons: {f} moves by rail: give wagons and locomotives (both > 0: resources.wagons "
            "or resources.wagon_pools, resources.locomotives or resources.diesel_locomotives)"
        )


def _check_railhead(f: str, mv: Movement, checks: _Checks) -> None:
    """Check a railhead: where trains unload, a rail quay (beyond the border point), never a border point."""
    if mv.railhead is None:
        return
    kind = checks.sites.get(mv.railhead, ("", ""))[0]
    if kind == "border_crossing":
        checks.add(
            f"{f}.railhead: '{mv.railhead}' is a border point, where nothing unloads; name a rail_quay "
            f"site beyond the border, or leave railhead out to hand the trains over at '{mv.to}'"
        )
        return
    checks.site(f"{f}.railhead", mv.railhead, ("rail_quay",), "rail")
    if mv.mode == "road":
        checks.add(
            f"{f}.railhead: a road movement has no trains; set mode rail (or auto) or leave railhead out"
        )


def _check_movements(sc: Scenario, unit_origin: dict[str, set[str]], checks: _Checks) -> None:
    """One movement per unit, each valid, and every arriving unit moved."""
    moved: set[str] = set()
    for i, mv in enumerate(sc.movements):
        if mv.unit in moved:
            checks.add(f"movements[{i}].unit: unit '{mv.unit}' has two movements; give each unit one")
        moved.add(mv.unit)
        _check_movement(sc, i, mv, unit_origin.get(mv.unit), checks)
    for unit in sorted(set(unit_origin) - moved):
        checks.add(f"movements: unit '{unit}' arrives but has no movement; add one")


def _check_disruptions(sc: Scenario, checks: _Checks) -> None:
    """Check that closed sites and bridges exist in the overlays."""
    for i, dis in enumerate(sc.disruptions):
        _check_span(checks, f"disruptions[{i}].start", dis.start, sc.start)
        if dis.end is not None:
            _check_span(checks, f"disruptions[{i}].end", dis.end, sc.start)
        if dis.kind == "close_site":
            checks.site(f"disruptions[{i}].target", dis.target)
        elif dis.kind == "close_bridge" and dis.target not in checks.bridges:
            checks.add(
                f"disruptions[{i}].target: unknown bridge '{dis.target}'; known bridges: "
                f"{', '.join(sorted(checks.bridges)) or 'none'}"
            )


def _check_network_source(sc: Scenario, base: Path, checks: _Checks) -> None:
    """Check that the network is the embedded one or an existing file."""
    src = sc.network.source
    if src != "embedded" and not (base / src).exists() and not Path(src).exists():
        checks.add(f"network.source: '{src}' is neither 'embedded' nor an existing network file")


def _cross_checks(sc: Scenario, fname: str, base: Path) -> list[str]:
    """Rules that span fields, the vehicle catalogue and the overlay's sites."""
    checks = _Checks(fname)
    _check_overlays(sc, base, checks)
    unit_origin = _check_arrivals(sc, checks)
    _check_movements(sc, unit_origin, checks)
    _check_disruptions(sc, checks)
    _check_network_source(sc, base, checks)
    return checks.problems


def validate_scenario(data: Any, fname: str = "<scenario>", base: Path | None = None) -> Scenario:
    """Validate a parsed scenario mapping; raise one error listing every problem.

    Parameters
    ----------
    data
        The parsed YAML document.
    fname
        Name used in messages.
    base
        Folder against which relative paths in the scenario are resolved.

    Returns
    -------
    Scenario
        The validated scenario.

    Raises
    ------
    ScenarioError
        Listing every problem as ``file: field: message``.
    """
    if not isinstance(data, dict):
        msg = f"{fname}: the file must hold a mapping (name, start, arrivals, movements, …)"
        raise ScenarioError(msg)
    problems = _check_lengths(data, fname)
    if problems:
        raise ScenarioError(problems)
    try:
        with _collector_paused():
            sc = Scenario.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(problems_from(exc, fname)) from None
    problems = _cross_checks(sc, fname, base or Path.cwd())
    if problems:
        raise ScenarioError(problems)
    return sc


_LENGTHS = (
    ("arrivals", limits.ARRIVALS, "ARRIVALS", "arrivals", "split the scenario into several"),
    (
        "movements",
        limits.MOVEMENTS,
        "MOVEMENTS",
        "movements",
        "give one movement per unit, or split the scenario",
    ),
    (
        "disruptions",
        limits.DISRUPTIONS,
        "DISRUPTIONS",
        "disruptions",
        "give many closures as an overlay's closures layer",
    ),
    (
        "restrictions",
        limits.RESTRICTIONS,
        "RESTRICTIONS",
        "restrictions",
        "merge restrictions that share their times into one with a larger area or more roads",
    ),
    ("overlays", limits.OVERLAYS, "OVERLAYS", "overlays", "merge overlays into fewer folders"),
)


def _check_lengths(data: dict[Any, Any], fname: str) -> list[str]:
    """Check the lengths of the lists against :mod:`enablement.limits`, before any item is validated."""
    problems = []
    for key, limit, name, what, fix in _LENGTHS:
        value = data.get(key)
        if isinstance(value, list) and len(value) > limit:
            problems.append(
                f"{fname}: {key}: {len(value):,} {what}, over the limit of {limit:,} "
                f"(enablement.limits.{name}); {fix}"
            )
    arrivals = data.get("arrivals")
    if isinstance(arrivals, list):
        items = sum(
            len(a["equipment"])
            for a in arrivals
            if isinstance(a, dict) and isinstance(a.get("equipment"), list)
        )
        if items > limits.EQUIPMENT_ITEMS:
            problems.append(
                f"{fname}: arrivals: {items:,} equipment items in all, over the limit of "
                f"{limits.EQUIPMENT_ITEMS:,} (enablement.limits.EQUIPMENT_ITEMS); give each unit's vehicles "
                "of one type as one item with a count"
            )
    return problems


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause the garbage collector while the models are made (no cycles; its passes cost time)."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


def load_scenario(spec: str | os.PathLike[str]) -> Scenario:
    """Read a scenario file (or ``enablement:NAME``) and validate it.

    Parameters
    ----------
    spec
        Path to a YAML file, or ``enablement:NAME`` for a packaged scenario.

    Returns
    -------
    Scenario
        The validated scenario.

    Raises
    ------
    ScenarioError
        When the file is too large, not UTF-8, not strict YAML (syntax, duplicate keys,
        aliases, nesting), over a limit of :mod:`enablement.limits`, or listing every
        validation problem.
    """
    path = resolve_scenario_path(spec)
    fname = path.name if str(spec).startswith(PACKAGED_PREFIX) else str(spec)
    data = read_yaml(path, fname, what="scenario", max_bytes=limits.SCENARIO_BYTES, error=ScenarioError)
    if data is None:
        msg = (
            f"{fname}: the file is empty; a scenario holds name, start, arrivals and movements "
            "(see the README)"
        )
        raise ScenarioError(msg)
    return validate_scenario(data, fname, path.parent)
