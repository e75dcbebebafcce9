"""Load and validate scenario files, reporting every problem at once."""

from __future__ import annotations

import os
from collections import defaultdict
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from .._validate import problems_from
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

    def add(self, text: str) -> None:
        """Record one problem (``field: message``), prefixed with the file name."""
        self.problems.append(f"{self.fname}: {text}")

    def site(self, field: str, sid: str | None, kinds: tuple[str, ...] = (), mode: str | None = None) -> None:
        """Check that ``sid`` names an overlay site of one of ``kinds`` on the ``mode`` network."""
        if sid is None or not self.sites:
            return
        if sid not in self.sites:
            known = ", ".join(sorted(self.sites))
            self.add(f"{field}: unknown site '{sid}'; known sites: {known}")
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
    arrival_ids: set[str] = set()
    unit_origin: dict[str, set[str]] = defaultdict(set)
    for i, arr in enumerate(sc.arrivals):
        if arr.id in arrival_ids:
            checks.add(f"arrivals[{i}].id: '{arr.id}' is used twice; ids must be unique")
        arrival_ids.add(arr.id)
        checks.site(f"arrivals[{i}].site", arr.site, ("seaport", "airport", "staging_area", "rail_quay"))
        if arr.time < sc.start:
            checks.add(f"arrivals[{i}].time: {arr.time.isoformat()} is before the scenario start")
        for j, item in enumerate(arr.equipment):
            if item.vehicle not in catalogue:
                checks.add(
                    f"arrivals[{i}].equipment[{j}].vehicle: unknown vehicle type "
                    f"'{item.vehicle}'; known types: {', '.join(sorted(catalogue.ids()))}"
                )
            unit_origin[item.unit].add(arr.site)
    return unit_origin


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
    if mv.rdd <= sc.start:
        checks.add(f"{f}.rdd: the required delivery date is not after the scenario start")
    if mv.mode == "rail" and (sc.resources.wagons == 0 or sc.resources.locomotives == 0):
        checks.add(f"resources.wagons: {f} moves by rail: give wagons and locomotives (both > 0)")


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
    try:
        sc = Scenario.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(problems_from(exc, fname)) from None
    problems = _cross_checks(sc, fname, base or Path.cwd())
    if problems:
        raise ScenarioError(problems)
    return sc


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
        On YAML syntax errors, or listing every validation problem.
    """
    path = resolve_scenario_path(spec)
    fname = path.name if str(spec).startswith(PACKAGED_PREFIX) else str(spec)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        msg = f"{fname}: {where}YAML syntax error: {getattr(exc, 'problem', exc)}"
        raise ScenarioError(msg) from None
    except UnicodeDecodeError:
        msg = f"{fname}: not a UTF-8 text file"
        raise ScenarioError(msg) from None
    return validate_scenario(data, fname, path.parent)
