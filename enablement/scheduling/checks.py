"""Schedule checker: any march table (ours, or one written by hand) against the network and policy.

The table is the CSV that ``enablement plan`` writes (``march_table.csv``); the
columns the checker needs are listed in :data:`REQUIRED_COLUMNS` and documented in
the README. Every violation is returned, each with its march unit, place and time:

- ``overlap``: two columns on the same segment (control point to next control
  point) and direction at overlapping times, or closer than the headway; the
  tail of the first must clear both ends before the head of the second arrives.
- ``halt``: a column driving longer than the halt policy allows between halts
  (a halt is a control point marked ``halt`` where the column stops at least the
  halt's length; a wait in a queue does not replace one, as in the planner). On a
  segment with a caution crossing only its ``km`` at its row's ``speed_kmh`` is driving:
  the wait for the bridge, one vehicle at a time, is neither driving nor a halt.
- ``window``: a column moving outside the policy's movement window.
- ``speed``: a segment driven faster than its row's ``speed_kmh`` (the time
  between control points is shorter than the distance at that speed), or faster
  than the column may drive there: in less time than the fastest road from one
  control point to the next takes at the column's speeds (the road classes'
  convoy speeds, capped by the roads' own speed, the column's slowest vehicle and
  the policy speed: :mod:`~enablement.network.speeds`, the rule the planner drives
  by), less the junction areas at its ends (the slack distance at that speed).
- ``restriction``: the distance driven between two control points is shorter
  than any road the column may use (MLC, weight, height, width…), so it must have
  crossed a road closed to it.
- ``closure``: a column drives a segment while one of its ends is closed, or
  covers it in less distance than any road open at that time (from its departure at
  the first control point until its tail passes the next: a column that entered
  before a closure or restriction began and is still on the road counts); the
  message names the closures it must cross (a disruption, an overlay closure, or a
  recurring restriction with its name and its windows).
- ``staging``: more vehicles held in a staging area or holding place at once than its
  capacity: the columns that dwell in a staging area, and those held at a place on the
  way (a wait there longer than the road-wait limit), from the head's arrival to the
  tail's departure.
- ``halt_place``: a halt (a row of kind ``halt``, or a ``hold`` with a ``halt_min``) at a
  control point that is no halt place (convoy support centre, rest area, staging area,
  day harbour) and not on roads of the policy's roadside classes (``policy.halts.roadside``):
  on a motorway carriageway.
- ``duty``: a column driving longer than ``policy.duty.driving_max_h`` without a stop of
  at least ``policy.duty.rest_min_h`` (at a control point, or between a staging arrival and
  the next leg's departure).
- ``wait``: a column waiting on the road longer than ``policy.halts.road_wait_max_min`` at
  a control point that is not the start of its leg nor a holding place (its stop less its
  ``halt_min``; without that column, less the policy's halt at a ``halt`` row).
- ``marshalling``: more vehicles (or m² of vehicles) held in a port's or airfield's
  marshalling area at once than its capacity (``marshalling_capacity_vehicles`` or
  ``marshalling_area_m2``). A march unit whose first row is at the site takes room from
  its first vehicle ashore (the optional ``ashore`` column of that row, which the plan
  writes; without it, the row's ``arrive``: its last vehicle ashore) until its tail has
  left (``depart`` plus ``pass_min``). In an area measured in m² a march unit takes its
  optional ``footprint_m2`` (the plan writes it); without that column, its ``vehicles``
  times the mean footprint of the unit's vehicles when they are known, and otherwise the
  area is not checked. Columns of HETs (a ``hets`` entry) are not counted.
- ``rdd``: a unit whose last column arrives after its required delivery date.
- ``release``: a column leaving before its vehicles are ashore. Reception discharges each ship
  and flight at its site's rate (:func:`~enablement.scheduling.reception.receive`, the data of
  :attr:`~enablement.scheduling.march.MarchRules.ashore`): the columns of a unit that have left by
  any time carry no more vehicles than have come ashore by then (HET columns are not counted).
- ``unit``: a march unit of a unit the scenario does not move (a table for another scenario, a
  misspelt unit), or a unit whose columns carry more vehicles than come ashore for it.
- ``permission``: a column reaching a border crossing before its permission is
  granted (the scenario's filing date plus the lead time of the regime in force;
  a column with a vehicle above the heavy-load MLC class files as an exceptional
  transport when its vehicles are known).
- ``place``: a control point the network does not know.

Control points are read by their stable id (a site id, or the node id of
:func:`~enablement.network.places.node_keys`: ``osm-n<id>``, ``xy-<e>-<n>``), never by
the internal node number, so a table written against one plan still checks on the
same network after an overlay edit renumbers its nodes. The ``node`` column, when
present, is ignored; ``CP-<number>`` ids of earlier versions are refused. Times are
read from ``arrive`` and ``depart`` (ISO 8601 with any offset: local time as the plan
writes it, or UTC; or, as a spreadsheet writes them, without an offset: local time of the
scenario's zone, ``2026-03-02 21:00:00`` or ``02/03/2026 21:00`` with the day first); the
``dtg`` column the plan adds (``depart`` as a date-time group) is accepted and not read. A
table separated by ``;`` or tabs may use decimal commas (a spreadsheet's export in a
decimal-comma locale).
- ``tracked``: a march unit driving tracked vehicles on their own tracks farther than
  the policy's road distance (``policy.tracked_road_max_km``). The table says how
  many of a march unit's vehicles are tracked and drive themselves in its optional
  ``tracked`` column (the plan writes it); without that column this is not checked.
- ``territory``: a control point outside the scenario's territory (``policy.territory``
  and its ``foreign_roads``) that is not a border crossing: a column leaves the
  territory only by ending at a crossing, where it is handed over.
- ``het``: a heavy equipment transporter in two places at once. The table says which
  HETs a column of HETs is made of in its optional ``hets`` column (HET numbers
  separated by ``;``, as ``het_trips.csv`` numbers them; the plan writes it): a column
  leaves (its first row's ``depart``) only once each of its HETs has come off its
  previous column (that column's tail at its last control point: the last row's
  ``arrive`` plus ``pass_min``), been unloaded, driven empty to the new start and been
  loaded (:class:`~enablement.scheduling.march.HetTurnaround`: the plan's own drive
  times when the rules carry them, else the fastest road for an empty HET). Without
  that column this is not checked.
- ``caution``: a caution crossing not crossed one vehicle at a time, or not alone. The table
  names the bridges a column crosses under caution on the segment to the next control point
  in its optional ``caution_crossings`` column (bridge ids separated by ``;``, as the plan
  writes it; its ``caution_min`` is shown, not read). From its head's departure to its tail's
  arrival at the next control point the column must take at least the time its vehicles need
  to cross the bridge one at a time (:meth:`~enablement.scheduling.march.MarchRules.caution_crossing_s`
  over the bridge's span, :func:`~enablement.scheduling.march.bridge_spans`; each vehicle at
  least the shortest of its unit's vehicles when they are known, else of no length), and no
  other column may be on that segment, in either direction, meanwhile or within the headway.
  Without that column this is not checked.

A march unit's vehicles (for the restrictions, caution crossings, marshalling footprints and
heavy-load permissions) are given by the optional ``vehicle_types`` column (``boxer:12;dingo2:8``),
else they are what the scenario gives that march unit (:func:`march_unit_vehicles`: the planner's
split of its unit's vehicles as they come ashore).

Every time comparison allows :data:`EPS_S` (2 s): the table rounds times to the second and pass
times to 0.01 min. Violations of one rule at one place with one cause (every column over one
closed bridge) are grouped by :func:`group_violations`, each violation kept.

Every rule's data comes from :class:`~enablement.scheduling.march.MarchRules`, the
same object the plan's solvers read (:func:`~enablement.scheduling.march.march_rules`
builds it from a scenario and its network); :data:`CHECKS` names the constraints
checked.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import math
import os
import re
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .. import limits
from ..errors import MarchTableError, RoutingError
from ..network.places import key_index
from ..routing import Router
from ..vehicles import Profile
from .inputs import PlanningInputs
from .march import CONSTRAINTS, FORMATION_RULES, MarchRules, bridge_spans, het_fastest, roadside_nodes
from .reception import receive
from .units import balanced_chunks

if TYPE_CHECKING:
    from ..network.model import Network
    from ..scenario.schema import Scenario
    from ..vehicles import Catalogue, Vehicle

__all__ = [
    "CHECKS",
    "REQUIRED_COLUMNS",
    "SOFT_KINDS",
    "Violation",
    "ViolationGroup",
    "check_march_table",
    "check_summary",
    "group_violations",
    "march_unit_vehicles",
    "read_march_table",
]

CHECKS = frozenset(CONSTRAINTS)
"""Constraints of :data:`~enablement.scheduling.march.CONSTRAINTS` the checker checks: all of them."""

CHECKS_FORMATION = frozenset(FORMATION_RULES)
"""Rules of :data:`~enablement.scheduling.march.FORMATION_RULES` the checker checks: all of them."""

REQUIRED_COLUMNS = (
    "march_unit",
    "unit",
    "vehicles",
    "leg",
    "seq",
    "control_point",
    "kind",
    "km",
    "arrive",
    "depart",
    "pass_min",
    "speed_kmh",
    "next_control_point",
)
"""Columns a march table must have (as written by ``enablement plan``)."""

EPS_S = 2.0
"""Tolerance in seconds of every time comparison: the CSV rounds times to the second and pass times
to 0.01 min (0.3 s), and CP-SAT schedules in whole seconds. The one tolerance of every rule (a stay in
a staging or marshalling area that ends within it of another's start is gone; a departure within it of
a release, a window or a permission is in time)."""
_OLD_ID = re.compile(r"CP-\d+")
"""A control point id of earlier versions: an internal node number, which overlay edits change."""
_SHOWN = 5
"""Rows named in a message about a problem many rows share (the others are counted)."""

KM_EPS = 0.01
"""Tolerance in km of a distance between two rows: the CSV rounds each ``km`` to 10 m."""


@dataclass(frozen=True)
class Violation:
    """One broken rule: its kind, march unit, place, time (ISO 8601), a sentence, and its cause.

    ``cause`` names what the violations of one kind at one place share (a closure, a bridge),
    for :func:`group_violations`; empty when the place says it all.
    """

    kind: str
    march_unit: str
    place: str
    time: str
    message: str
    cause: str = ""


@dataclass(frozen=True)
class ViolationGroup:
    """Violations of one rule at one place with one cause: e.g. every march unit over one closed bridge."""

    kind: str
    place: str
    cause: str
    violations: tuple[Violation, ...]

    @property
    def march_units(self) -> list[str]:
        """The march units, in order of time, each once."""
        return list(dict.fromkeys(v.march_unit for v in self.violations))

    @property
    def first(self) -> str:
        """Time of the first violation (ISO 8601)."""
        return min(v.time for v in self.violations)

    @property
    def last(self) -> str:
        """Time of the last violation (ISO 8601)."""
        return max(v.time for v in self.violations)

    def describe(self, shown: int = 8) -> str:
        """One sentence: the first violation's message, and how many march units share it when several."""
        v = self.violations[0]
        mus = self.march_units
        if len(self.violations) == 1:
            return v.message
        names = ", ".join(mus[:shown]) + (f" and {len(mus) - shown} more" if len(mus) > shown else "")
        return (
            f"{len(self.violations)} violations by {len(mus)} march unit(s) ({names}) from {self.first} to "
            f"{self.last}; the first: {v.message}"
        )


SOFT_KINDS = frozenset({"rdd"})
"""Violation kinds a plan may have and still be carried out: a unit delivered after its RDD is late,
not impossible (the solvers minimise lateness; they cannot always remove it)."""


def check_summary(found: Sequence[Violation]) -> dict[str, Any]:
    """Give the checker's verdict for ``summary.json``: valid when only :data:`SOFT_KINDS` are broken.

    Returns
    -------
    dict
        ``valid``, ``violations`` (all), ``hard`` (those not soft), ``by_kind`` (counts) and
        ``groups``: one line per :class:`ViolationGroup` (kind, place, first time, sentence).
    """
    by_kind: dict[str, int] = defaultdict(int)
    for v in found:
        by_kind[v.kind] += 1
    hard = sum(n for k, n in by_kind.items() if k not in SOFT_KINDS)
    return {
        "valid": hard == 0,
        "violations": len(found),
        "hard": hard,
        "soft_kinds": sorted(SOFT_KINDS),
        "by_kind": dict(sorted(by_kind.items())),
        "groups": [
            {"kind": g.kind, "place": g.place, "first": g.first, "describe": g.describe()}
            for g in group_violations(found)
        ],
    }


def group_violations(found: Sequence[Violation]) -> list[ViolationGroup]:
    """Group related violations: one rule, one place and one cause (kept in the order of ``found``)."""
    groups: dict[tuple[str, str, str], list[Violation]] = {}
    for v in found:
        groups.setdefault((v.kind, v.place, v.cause), []).append(v)
    return [ViolationGroup(k, p, c, tuple(vs)) for (k, p, c), vs in groups.items()]


_NUMBERS: tuple[tuple[str, float, float, bool], ...] = (
    ("vehicles", 1, limits.VEHICLES, True),
    ("leg", 0, limits.MARCH_TABLE_ROWS, True),
    ("seq", 0, limits.MARCH_TABLE_ROWS, True),
    ("km", 0, 100_000, False),
    ("pass_min", 0, 7 * 24 * 60, False),
    ("speed_kmh", 0.001, 200, False),
    ("tracked", 0, 10_000, True),
    ("halt_min", 0, 24 * 60, False),
    ("footprint_m2", 0, 10_000_000, False),
)
"""A march table's numeric columns: the range of each and whether it holds whole numbers."""


def _het_numbers(table: pd.DataFrame, p: Path, problems: list[str]) -> None:
    """Parse the optional ``hets`` column in place into tuples of HET numbers, noting malformed cells."""
    if "hets" not in table.columns:
        return
    parsed: list[tuple[int, ...]] = []
    for i, raw in enumerate(table["hets"].tolist()):
        text = "" if raw is None or (isinstance(raw, float) and math.isnan(raw)) else str(raw).strip()
        tokens = [t.strip() for t in text.split(";")] if text else []
        if not all(t.isdigit() and 1 <= int(t) <= limits.HETS for t in tokens):
            problems.append(
                f"{p}: row {i + 2}: field 'hets' = {text[:60]!r}; give the column's HET numbers "
                f"(1 to {limits.HETS:,}) separated by ';', or leave it empty for a column without HETs"
            )
            tokens = []
        parsed.append(tuple(int(t) for t in tokens))
    table["hets"] = parsed


def read_march_table(path: str | os.PathLike[str], zone: dt.tzinfo | None = None) -> pd.DataFrame:
    """Read and check a march-table CSV; times become aware datetimes.

    The file's size and its number of rows are bounded (:data:`~enablement.limits.MARCH_TABLE_BYTES`,
    :data:`~enablement.limits.MARCH_TABLE_ROWS`) before it is parsed; it must be UTF-8 (a
    byte-order mark is allowed), hold the header of :data:`REQUIRED_COLUMNS` and at least one
    row; every number must be finite and in its column's range.

    Spreadsheet dialects are read too: a table separated by ``;`` (or tabs), with decimal commas
    in such a table, and times as a spreadsheet writes them (``2026-03-02 21:00:00``,
    ``02/03/2026 21:00``: day first) without a UTC offset, which are local times of ``zone``
    (the scenario's). A problem that many rows share is reported once, with its count.

    Parameters
    ----------
    path
        The CSV file.
    zone
        The zone of times written without an offset (the scenario's); None: such times are refused.

    Raises
    ------
    MarchTableError
        A :class:`~enablement.errors.ScenarioError` naming the file, the row and the
        field of every problem (empty or header-only
        table, too many rows, missing column, bad or non-finite number, time without its
        UTC offset when no zone is given).
    """
    p = Path(path)
    table, sep = _read_csv(p)
    problems: list[str] = []
    missing = [c for c in REQUIRED_COLUMNS if c not in table.columns]
    if missing:
        problems.append(
            f"{p}: missing column(s) {', '.join(missing)}; see the README for the march-table format"
        )
        raise MarchTableError(problems)
    if table.empty:
        msg = f"{p}: holds a header but no rows; a march table has a row per control point of every column"
        raise MarchTableError([msg])
    _check_numbers(table, p, problems, sep)
    _het_numbers(table, p, problems)
    _vehicle_types(table, p, problems)
    for col in ("arrive", "depart", "ashore"):
        if col in table.columns:
            table[col] = _times(table[col], col, p, zone, problems, empty_ok=col == "ashore")
    table["control_point"] = table["control_point"].fillna("")
    table["next_control_point"] = table["next_control_point"].fillna("")
    if "caution_crossings" in table.columns:
        table["caution_crossings"] = table["caution_crossings"].fillna("").astype(str).str.strip()
    _old_ids(table, p, problems)
    if problems:
        raise MarchTableError(problems)
    return table


_OFFSET = r"(?:Z|[+-]\d{2}:?\d{2})$"
"""The end of a time written with its UTC offset."""
NAIVE_TIME_FORMATS = (
    "ISO8601",
    "%d/%m/%Y %H:%M:%S",
    "%d/%m/%Y %H:%M",
    "%d.%m.%Y %H:%M:%S",
    "%d.%m.%Y %H:%M",
    "%d-%m-%Y %H:%M:%S",
    "%d-%m-%Y %H:%M",
)
"""Formats of a time without offset the checker reads (a spreadsheet's: the day before the month)."""


def _grouped(p: Path, col: str, rows: Sequence[int], cells: Sequence[str], why: str) -> list[str]:
    """One message per bad row when few rows share a problem, else one message with their count.

    ``cells`` are the rows' values as the user wrote them (quoted), ``why`` what is wrong and the fix.
    """
    if len(rows) <= _SHOWN:
        return [f"{p}: row {i + 2}: field '{col}' = {c}{why}" for i, c in zip(rows, cells, strict=True)]
    first = ", ".join(str(i + 2) for i in rows[:_SHOWN])
    return [f"{p}: field '{col}' in {len(rows):,} rows (rows {first}, …), e.g. {cells[0]}{why}"]


def _micro(times: pd.Series) -> pd.Series:
    """Return times to the microsecond (pandas parses a time given to the nanosecond in nanoseconds)."""
    return times.dt.floor("us").dt.as_unit("us") if times.dt.unit == "ns" else times.dt.as_unit("us")


def _times(
    raw: pd.Series, col: str, p: Path, zone: dt.tzinfo | None, problems: list[str], *, empty_ok: bool
) -> pd.Series:
    """Parse a column of times (vectorised) into aware datetimes (in ``zone``, else UTC)."""
    text = raw.astype("string").fillna("").str.strip()
    blank = (text == "").to_numpy()
    aware = text.str.contains(_OFFSET, regex=True).to_numpy()
    out = pd.Series(pd.NaT, index=raw.index, dtype="datetime64[us, UTC]")
    if aware.any():
        out[aware] = _micro(pd.to_datetime(text[aware], format="ISO8601", utc=True, errors="coerce"))
    naive = ~aware & ~blank
    unplaced = np.zeros(len(text), dtype=bool)  # local times the clock skips or shows twice
    if naive.any():
        local = pd.Series(pd.NaT, index=raw.index[naive], dtype="datetime64[us]")
        for fmt in NAIVE_TIME_FORMATS:
            todo = local.isna().to_numpy()
            if not todo.any():
                break
            local[todo] = _micro(pd.to_datetime(text[naive][todo], format=fmt, errors="coerce"))
        if zone is not None:
            placed = local.dt.tz_localize(zone, ambiguous="NaT", nonexistent="NaT").dt.tz_convert("UTC")
            unplaced[np.flatnonzero(naive)] = (local.notna() & placed.isna()).to_numpy()
            out[naive] = placed
    year = pd.to_numeric(text.str.extract(r"(\d{4})", expand=False), errors="coerce").to_numpy()
    first, last = limits.YEARS
    with np.errstate(invalid="ignore"):
        bad_year = ~blank & ((year < first) | (year >= last))
    bad = (out.isna().to_numpy() & ~(blank & empty_ok)) & ~bad_year & ~unplaced
    values = [repr(v[:60]) for v in text.tolist()]
    example = "2026-03-02T06:00:00+01:00"
    if zone is None:
        fix = f"write an ISO date-time with its offset ({example})"
    else:
        fix = (
            f"write an ISO date-time with its offset ({example}), or a local time of {zone} "
            "(2026-03-02 06:00:00, or 02/03/2026 06:00 with the day first)"
        )
    if empty_ok:
        fix += ", or leave it empty"
    no_offset = bad & naive if zone is None else np.zeros_like(bad)
    for mask, why in (
        (bad_year, f"; the year is outside {first}-{last - 1}"),
        (unplaced, f"; {zone}'s clock change skips this local time or shows it twice; write its offset"),
        (no_offset, f"; the time has no UTC offset: {fix}"),
        (bad & ~no_offset, f"; {fix}"),
    ):
        rows = np.flatnonzero(mask).tolist()
        if rows:
            problems.extend(_grouped(p, col, rows, [values[i] for i in rows], why))
    # nanoseconds, as pandas computes with timestamps elsewhere (a year out of range is refused above)
    out = out.where(~bad_year, pd.NaT).astype("datetime64[ns, UTC]")
    return out.dt.tz_convert(zone) if zone is not None else out


def _vehicle_types(table: pd.DataFrame, p: Path, problems: list[str]) -> None:
    """Parse the optional ``vehicle_types`` column in place (``type:count;...``), noting malformed cells.

    Each cell becomes a tuple of ``(type, count)``; an empty cell an empty tuple (the march unit's
    vehicles are then what the scenario gives it). The counts must add up to the row's ``vehicles``.
    """
    if "vehicle_types" not in table.columns:
        return
    parsed: list[tuple[tuple[str, int], ...]] = []
    bad: list[int] = []
    counts = table["vehicles"].to_numpy(dtype=float, na_value=np.nan)
    for i, raw in enumerate(table["vehicle_types"].fillna("").astype(str).tolist()):
        items: list[tuple[str, int]] = []
        ok = True
        for token in (t.strip() for t in raw.split(";") if t.strip()):
            name, _, n = token.rpartition(":")
            name, n = name.strip(), n.strip()
            if (
                not name
                or len(name) > limits.NAME_CHARS
                or not n.isdigit()
                or not 1 <= int(n) <= limits.VEHICLES
            ):
                ok = False
                break
            items.append((name, int(n)))
        if ok and items and sum(n for _, n in items) != counts[i]:
            ok = False
        if not ok:
            bad.append(i)
            items = []
        parsed.append(tuple(items))
    if bad:
        cells = [repr(str(table["vehicle_types"].iloc[i])[:60]) for i in bad]
        why = (
            "; give the march unit's vehicle types and their counts as type:count separated by ';' "
            "(boxer:12;dingo2:8), adding up to its 'vehicles', or leave it empty"
        )
        problems.extend(_grouped(p, "vehicle_types", bad, cells, why))
    table["vehicle_types"] = parsed


def march_unit_vehicles(
    table: pd.DataFrame, scenario: Scenario, network: Network, catalogue: Catalogue | None = None
) -> dict[str, list[Vehicle]]:
    """Return the vehicles of each march unit of a table, for the rules that depend on them.

    In order of precedence: the table's optional ``vehicle_types`` column (``type:count;...``,
    the first row of a march unit that has it); else the vehicles the scenario gives that
    march unit, as the planner forms them: its unit's vehicles in the order they come ashore
    (:func:`~.reception.receive`), cut into the fewest balanced march units of at most the
    policy's size (:func:`~.units.balanced_chunks`), ``UNIT/NN`` being the NN-th, when the
    table's count matches; else (a march unit the table splits otherwise) every vehicle of its
    unit, so the strictest restriction of any of them applies. HET columns (``hets``) get none.

    Raises
    ------
    MarchTableError
        A vehicle type of the ``vehicle_types`` column that the catalogue does not know.
    """
    inputs = PlanningInputs.of(scenario, network)
    if catalogue is not None:
        inputs = dataclasses.replace(inputs, catalogue=catalogue)
    catalogue = inputs.catalogue
    ashore: dict[str, list[str]] = defaultdict(list)
    for d in receive(inputs):
        ashore[d.unit].append(d.vehicle)
    size = scenario.policy.march_unit_max_vehicles
    formed: dict[str, list[str]] = {}
    for unit, landed in ashore.items():
        for k, chunk in enumerate(balanced_chunks(landed, size), start=1):
            formed[f"{unit}/{k:02d}"] = list(chunk)
    first = _firsts(table)
    given = "vehicle_types" in first.columns
    out: dict[str, list[Vehicle]] = {}
    unknown: dict[str, list[str]] = defaultdict(list)
    for r in first.to_dict("records"):
        mu, unit, n = str(r["march_unit"]), str(r["unit"]), int(r["vehicles"])
        if r["het"]:
            continue
        types: list[str] | None = None
        if given and r["vehicle_types"]:
            types = [t for t, count in r["vehicle_types"] for _ in range(count)]
        elif len(formed.get(mu, ())) == n:
            types = formed[mu]
        elif ashore.get(unit):
            types = ashore[unit]
        if types is None:
            continue
        for t in sorted(set(types)):
            if t not in catalogue:
                unknown[t].append(mu)
        out[mu] = [catalogue[t] for t in types if t in catalogue]
    if unknown:
        known = ", ".join(list(catalogue)[:12])
        problems = [
            f"field 'vehicle_types': vehicle type {t!r} (march unit {', '.join(mus[:_SHOWN])}) is not in the "
            f"vehicle catalogue; use a catalogue id ({known}, …) or add the type to the catalogue"
            for t, mus in sorted(unknown.items())
        ]
        raise MarchTableError(problems)
    return out


def _old_ids(table: pd.DataFrame, p: Path, problems: list[str]) -> None:
    """Note the rows whose control points are internal node numbers (``CP-6473``) of earlier versions."""
    bad = [
        (i, col, v)
        for col in ("control_point", "next_control_point")
        for i, v in enumerate(table[col].astype(str).tolist())
        if _OLD_ID.fullmatch(v)
    ]
    for i, col, v in sorted(bad)[:_SHOWN]:
        problems.append(
            f"{p}: row {i + 2}: field '{col}' = {v!r} is an internal node number of an earlier version, "
            "which changes whenever an overlay is edited; plan again, or write the control point's stable id "
            "from a current march_table.csv (a site id, osm-n<id> or xy-<easting>-<northing>)"
        )
    if len(bad) > _SHOWN:
        problems.append(f"{p}: {len(bad) - _SHOWN} more fields hold such CP-<number> ids")


SEPARATORS = (",", ";", "\t")
"""Field separators a march table may use: ours, and a spreadsheet's in a decimal-comma locale or as text."""


def _separator(head: str) -> str:
    """Return the separator whose split of the header names the most required columns (``,`` on a tie)."""
    line = head.lstrip("\ufeff").splitlines()[0] if head.strip() else ""

    def named(sep: str) -> int:
        return len({c.strip().strip('"') for c in line.split(sep)} & set(REQUIRED_COLUMNS))

    return max(SEPARATORS, key=lambda sep: (named(sep), sep == ","))


def _read_csv(p: Path) -> tuple[pd.DataFrame, str]:
    """Parse a march table whose size, first bytes and number of rows are within bounds; and its separator.

    A table separated by ``;`` or tabs (a spreadsheet's, in a locale with decimal commas) is read
    with decimal commas too (a number written with a point is read as well).
    """
    head = _march_table_head(p)
    columns = ", ".join(REQUIRED_COLUMNS)
    if not head.strip():
        msg = f"{p}: the file is empty; a march table starts with a header line ({columns})"
        raise MarchTableError([msg])
    sep = _separator(head)
    try:
        table = pd.read_csv(
            p,
            sep=sep,
            decimal="," if sep != "," else ".",
            dtype={
                "control_point": str,
                "next_control_point": str,
                "kind": str,
                "dtg": str,
                "hets": str,
                "caution_crossings": str,
                "vehicle_types": str,
                "arrive": str,
                "depart": str,
                "ashore": str,
            },
            nrows=limits.MARCH_TABLE_ROWS + 1,
            encoding="utf-8-sig",
        )
    except pd.errors.EmptyDataError:
        msg = f"{p}: holds no header line; a march table starts with one ({columns})"
        raise MarchTableError([msg]) from None
    except UnicodeDecodeError:
        raise MarchTableError([f"{p}: is not UTF-8 text; save the march table as UTF-8 CSV"]) from None
    except (OSError, ValueError, pd.errors.ParserError) as exc:
        raise MarchTableError([f"{p}: cannot be read as CSV ({str(exc).strip()[:200]})"]) from None
    if len(table) > limits.MARCH_TABLE_ROWS:
        msg = (
            f"{p}: more than {limits.MARCH_TABLE_ROWS:,} rows, over the limit for a march table "
            "(enablement.limits.MARCH_TABLE_ROWS); check the movements in parts"
        )
        raise MarchTableError([msg])
    table.columns = [str(c).strip() for c in table.columns]
    return table, sep


_DECIMAL_COMMA = r"^\s*[+-]?\d+,\d+\s*$"
"""A number written with a decimal comma (``47,4``)."""


def _check_numbers(table: pd.DataFrame, p: Path, problems: list[str], sep: str = ",") -> None:
    """Parse the numeric columns in place, noting each value that is not a finite number in range.

    A problem many rows share is one message (:func:`_grouped`); decimal commas in a table
    separated by ``,`` are refused with the fix (a spreadsheet's ``;``-separated export is read).
    """
    for col, lo, hi, whole in _NUMBERS:
        if col not in table.columns:  # an optional column (``tracked``)
            continue
        raw = table[col]
        text = raw.astype("string").fillna("")
        decimal_comma = text.str.match(_DECIMAL_COMMA).to_numpy(dtype=bool, na_value=False)
        if sep != "," and decimal_comma.any():  # a column pandas left as text: "47,4" beside "47.4"
            raw = raw.where(~decimal_comma, text.str.replace(",", ".", regex=False))
        values = pd.to_numeric(raw, errors="coerce")
        v = values.to_numpy(dtype=float, na_value=np.nan)
        cells = [_cell(x) for x in raw.tolist()]
        comma = decimal_comma & np.isnan(v)
        with np.errstate(invalid="ignore"):
            out_of_range = np.isfinite(v) & ((v < lo) | (v > hi) | ((v != np.round(v)) if whole else False))
        want = "a whole number" if whole else "a number"
        for mask, why in (
            (
                comma,
                " is a number with a decimal comma in a table separated by ','; export the table with "
                "';' as separator (a spreadsheet in a decimal-comma locale does), or write '.' decimals",
            ),
            (np.isnan(v) & ~comma, " is not a number"),
            (np.isinf(v), " is not a finite number"),
            (out_of_range, f"; give {want} in [{lo:g}, {hi:g}]"),
        ):
            rows = np.flatnonzero(mask).tolist()
            if rows:
                problems.extend(_grouped(p, col, rows, [cells[i] for i in rows], why))
        table[col] = values


def _march_table_head(p: Path) -> str:
    """Read the first bytes of a march table as text, once its size is known to be within the limit."""
    try:
        if p.is_dir():
            raise MarchTableError([f"{p}: is a folder; give the march table's CSV file"])
        size = p.stat().st_size
        if size > limits.MARCH_TABLE_BYTES:
            most = limits.mib(limits.MARCH_TABLE_BYTES)
            msg = (
                f"{p}: the file is {limits.mib(size)}, over the limit of {most} for a march table "
                "(enablement.limits.MARCH_TABLE_BYTES); check the movements in parts"
            )
            raise MarchTableError([msg])
        with p.open("rb") as f:
            head = f.read(65_536)
    except OSError as exc:
        raise MarchTableError([f"{p}: cannot be read ({exc.strerror or exc})"]) from None
    if b"\x00" in head:
        msg = f"{p}: holds NUL bytes: it is a binary file or UTF-16/32 text, not a CSV march table"
        raise MarchTableError([msg])
    return head.decode("utf-8", errors="replace")


def _cell(value: object) -> str:
    """Quote a table cell as the user wrote it (a number without numpy's type around it)."""
    item = getattr(value, "item", None)
    return repr(item() if callable(item) else value)


def _runs(table: pd.DataFrame) -> list[tuple[str, list[dict[str, Any]]]]:
    """Each march unit's rows in leg and seq order, as records (converted once: the checks walk them)."""
    records = table.sort_values(["march_unit", "leg", "seq"]).to_dict("records")
    return [(str(mu), list(rows)) for mu, rows in itertools.groupby(records, key=lambda r: r["march_unit"])]


def _segments(runs: list[tuple[str, list[dict[str, Any]]]]) -> list[dict[str, Any]]:
    """Every segment driven: from one control point to the next, within a march unit's leg."""
    out = []
    for mu, rows in runs:
        for a, b in itertools.pairwise(rows):
            if (
                a["leg"] != b["leg"]
                or a["kind"] == "staging_arrive"
                or a["next_control_point"] != b["control_point"]
            ):
                continue
            out.append({"mu": mu, "unit": a["unit"], "a": a, "b": b})
    return out


class _Times:
    """Converts the table's aware timestamps to seconds since the scenario start, and back."""

    def __init__(self, rules: MarchRules) -> None:
        self.t0 = pd.Timestamp(rules.clock.start)

    def secs(self, ts: pd.Timestamp) -> float:
        return float((ts - self.t0).total_seconds())

    def iso(self, s: float) -> str:
        return str((self.t0 + pd.Timedelta(seconds=round(s))).isoformat())


def _resolve(table: pd.DataFrame, network: Network) -> tuple[pd.DataFrame, list[Violation]]:
    """Find each row's ``node`` from its control point's stable id; return the table and unknown ones.

    A site id stands for the site's road node; any other id is looked up in the
    network's stable node ids (:func:`~enablement.network.places.key_index`). A row
    whose control point the network does not know gets node -1 and a ``place`` violation.
    """
    keys = key_index(network)
    sites = network.sites
    road = sites["node_road"] if "node_road" in sites.columns else pd.Series(dtype="int64")
    found: dict[str, int] = {}
    out = []
    nodes = []
    for r in table.itertuples():
        cp = str(r.control_point)
        if cp not in found:
            node = int(road[cp]) if cp in road.index else keys.get(cp, -1)
            found[cp] = node
            if node < 0:
                out.append(
                    Violation(
                        "place",
                        str(r.march_unit),
                        cp,
                        r.arrive.isoformat(),
                        f"control point {cp!r} is neither a site nor a node of this network",
                    )
                )
        nodes.append(found[cp])
    return table.assign(node=nodes), out


def _territory(table: pd.DataFrame, rules: MarchRules, network: Network) -> list[Violation]:
    """Rows at a node outside the rules' territory (a border crossing's own node counts as inside)."""
    territory = rules.territory
    if territory is None:
        return []
    inside = territory.inside_nodes(network, "road")
    countries = network.node_countries()
    out = []
    for r in table.itertuples():
        node = int(r.node)
        if 0 <= node < network.n_nodes and not inside[node]:
            where = countries[node] or "no country (at sea or beyond the map)"
            out.append(
                Violation(
                    "territory",
                    r.march_unit,
                    str(r.control_point),
                    r.arrive.isoformat(),
                    f"{r.march_unit} is at {r.control_point} (node {node}) in {where}, outside "
                    f"{territory.describe()}: a column leaves the territory only by ending at a border "
                    "crossing (add the neighbour to policy.foreign_roads to use its roads)",
                )
            )
    return out


def _overlaps(segs: list[dict[str, Any]], rules: MarchRules, tm: _Times) -> list[Violation]:
    """Two columns on the same segment and direction closer than the headway, at its entry or exit."""
    headway = rules.headway_s
    by_seg: dict[tuple[str, str], list[tuple[float, float, float, str]]] = defaultdict(list)
    for s in segs:
        a, b = s["a"], s["b"]
        by_seg[(a["control_point"], b["control_point"])].append(
            (tm.secs(a["depart"]), tm.secs(b["arrive"]), a["pass_min"] * 60.0, s["mu"])
        )
    out = []
    for (x, y), ts in by_seg.items():
        ts.sort()
        for i, (e1, x1, p1, m1) in enumerate(ts):
            for e2, x2, _p2, m2 in ts[i + 1 :]:
                if e2 > x1 + p1 + headway + EPS_S:
                    break
                if e1 + p1 + headway > e2 + EPS_S or x1 + p1 + headway > x2 + EPS_S:
                    out.append(
                        Violation(
                            "overlap",
                            m2,
                            f"{x} -> {y}",
                            tm.iso(e2),
                            f"{m2} enters {x} -> {y} at {tm.iso(e2)} before {m1} (ahead) has cleared it "
                            f"with a {headway / 60:g} min headway",
                        )
                    )
    return out


def _halts(runs: list[tuple[str, list[dict[str, Any]]]], rules: MarchRules, tm: _Times) -> list[Violation]:
    """Driving time since the last halt long enough.

    A stretch may run up to ``late_s`` over the limit when its halt is at a halt place
    (:meth:`HaltRule.plan` takes a halt late to reach one where none lies within the limit).
    """
    h = rules.halts
    out = []

    def over(mu: object, b: dict[str, Any], driving: float, limit: float, why: str) -> None:
        out.append(
            Violation(
                "halt",
                str(mu),
                b["control_point"],
                b["arrive"].isoformat(),
                f"{mu} has driven {driving / 60:.0f} min without a halt on reaching {b['control_point']} "
                f"(policy: {limit / 60:.0f} min{why})",
            )
        )

    for mu, rows in runs:
        driving, rests = 0.0, 0
        late: dict[str, Any] | None = None  # the point where the stretch went over the limit
        for a, b in itertools.pairwise(rows):
            if a["kind"] == "staging_arrive" or a["leg"] != b["leg"]:
                if late is not None:  # the leg ended over the limit without the halt
                    over(mu, late, driving, h.limit_s(rests), "")
                driving, rests, late = 0.0, 0, None
                continue
            stop = tm.secs(a["depart"]) - tm.secs(a["arrive"])
            if driving > 0 and h.is_halt(str(a["kind"]), stop + EPS_S, rests):
                if late is not None and int(a["node"]) not in rules.places:
                    over(mu, late, driving, h.limit_s(rests), "; a halt taken late must be at a halt place")
                driving, rests, late = 0.0, rests + 1, None
            dt = tm.secs(b["arrive"]) - tm.secs(a["depart"])
            if str(a.get("caution_crossings", "")).strip() and float(a["speed_kmh"]) > 0:
                # a caution crossing's wait for the bridge, one vehicle at a time, is no driving
                dt = min(dt, (float(b["km"]) - float(a["km"])) / float(a["speed_kmh"]) * 3600.0)
            driving += dt
            limit = h.limit_s(rests)
            if driving > limit + h.late_s + EPS_S:
                reach = f", or {(limit + h.late_s) / 60:.0f} min to reach a halt place" if h.late_s else ""
                over(mu, b, driving, limit, reach)
                driving, rests, late = 0.0, rests + 1, None  # report once per stretch
            elif driving > limit + EPS_S and late is None:
                late = b
        if late is not None:  # the leg ended over the limit without the halt
            over(mu, late, driving, h.limit_s(rests), "")
    return out


def _window(segs: list[dict[str, Any]], rules: MarchRules, tm: _Times) -> list[Violation]:
    """Columns moving outside the movement window."""
    if rules.window is None:
        return []
    spans = rules.window.spans
    out = []
    for s in segs:
        a, b = s["a"], s["b"]
        lo, hi = tm.secs(a["depart"]), tm.secs(b["arrive"]) + a["pass_min"] * 60.0
        if not any(x - EPS_S <= lo and hi <= y + EPS_S for x, y in spans):
            out.append(
                Violation(
                    "window",
                    s["mu"],
                    f"{a['control_point']} -> {b['control_point']}",
                    a["depart"].isoformat(),
                    f"{s['mu']} moves outside the movement window ({rules.window_text})",
                )
            )
    return out


SPEED_TOLERANCE = 0.02
"""Share by which a segment may be driven faster than the fastest road allows (rounding in the table)."""


class _Roads:
    """A road router whose fastest-road figures are kept: many columns drive the same segments."""

    def __init__(self, router: Router) -> None:
        self.router = router
        self._memo: dict[tuple[int, int, Profile | None, tuple[int, ...]], tuple[float, float]] = {}

    def fastest(
        self, a: int, b: int, profile: Profile | None, closed: Sequence[int] = ()
    ) -> tuple[float, float]:
        """Length (km) and time (s) of the fastest road from ``a`` to ``b`` for ``profile`` (inf: none)."""
        key = (a, b, None if profile is None else dataclasses.replace(profile, name=""), tuple(closed))
        found = self._memo.get(key)
        if found is None:
            try:
                route = self.router.route(a, b, profile, closed)
            except RoutingError:  # no road at all within the vehicles' limits
                found = (math.inf, math.inf)
            else:
                found = (route.length_m / 1000.0, route.time_s)
            self._memo[key] = found
        return found

    def shortest_km(self, a: int, b: int, profile: Profile | None, closed: Sequence[int] = ()) -> float:
        """Length (km) of the fastest road from ``a`` to ``b`` for ``profile`` (inf when there is none)."""
        return self.fastest(a, b, profile, closed)[0]


def _slack_km(rules: MarchRules) -> float:
    """Distance (km) a segment may be shorter than the road between its control points' nodes.

    50 m of rounding, plus the policy's junction area at each end: a control point
    stands for every node closer than ``control_point_min_m`` (the planner's segment
    begins where the column enters that area). The fastest-road speed check allows
    the time of this distance at the column's speed.
    """
    return 0.05 + 2.0 * rules.control_point_min_m / 1000.0


def _speed_and_roads(
    segs: list[dict[str, Any]],
    rules: MarchRules,
    network: Network,
    vehicles: Mapping[str, Sequence[Vehicle]] | None,
    tm: _Times,
) -> list[Violation]:
    """Speed on each segment; roads the column may not use (restrictions) or that are closed then."""
    router = Router(network, "road", rules.territory)
    roads = _Roads(router)
    profiles: dict[tuple[str, float], Profile] = {}
    top: dict[str, float] = defaultdict(float)  # each column's own speed: the highest its rows give
    for s in segs:
        top[s["mu"]] = max(top[s["mu"]], float(s["a"]["speed_kmh"]), float(s["b"]["speed_kmh"]))
    out = []
    for s in segs:
        a, b = s["a"], s["b"]
        where = f"{a['control_point']} -> {b['control_point']}"
        start, end = tm.secs(a["depart"]), tm.secs(b["arrive"])
        dt_s = end - start
        km = float(b["km"]) - float(a["km"])
        speed = float(a["speed_kmh"])
        # the table gives km to 10 m and times to the second: judge the slowest reading they allow
        if km > 0 and (dt_s <= 0 or (km - 0.01) / ((dt_s + 1.0) / 3600.0) > speed * 1.05 + 1.0):
            shown = math.inf if dt_s <= 0 else km / (dt_s / 3600.0)
            out.append(
                Violation(
                    "speed",
                    s["mu"],
                    where,
                    a["depart"].isoformat(),
                    f"{s['mu']} covers {km:.1f} km in {max(dt_s, 0) / 60:.0f} min ({shown:.0f} km/h), "
                    f"faster than its {speed:g} km/h",
                )
            )
        out += _closed_ends(s, rules, tm, where, start, end + a["pass_min"] * 60.0)
        if int(a["node"]) == int(b["node"]) or min(int(a["node"]), int(b["node"])) < 0:
            continue
        # the fastest the column may cover the segment: road-class speeds, capped by the road, the
        # column's own speed (the highest its rows give) and the policy; any vehicle may use any road
        # here (the roads closed to its vehicles are the restriction check's). The road runs between
        # the control points' own nodes, but the segment between the junction areas they stand for:
        # it may be shorter by the slack distance (:func:`_slack_km`), driven at that cap
        cap = min(rules.speed_kmh, top[s["mu"]])
        _, fastest_s = roads.fastest(int(a["node"]), int(b["node"]), Profile(s["mu"], speed_kmh=cap))
        slack_s = _slack_km(rules) / cap * 3600.0 if cap > 0 else 0.0
        least_s = fastest_s * (1.0 - SPEED_TOLERANCE) - slack_s
        if km > 0 and math.isfinite(fastest_s) and dt_s < least_s - EPS_S:
            out.append(
                Violation(
                    "speed",
                    s["mu"],
                    where,
                    a["depart"].isoformat(),
                    f"{s['mu']} drives from {a['control_point']} to {b['control_point']} in "
                    f"{max(dt_s, 0) / 60:.1f} min, but the fastest road there takes {fastest_s / 60:.1f} min "
                    f"at the convoy speeds of its road classes, capped by the roads' own speed and {cap:g} "
                    "km/h "
                    f"(its speed, at most the policy's {rules.speed_kmh:g} km/h), less "
                    f"{slack_s / 60:.1f} min for the junction areas at its ends",
                )
            )
        profile = None
        if vehicles and s["mu"] in vehicles:
            key = (s["mu"], speed)
            if key not in profiles:
                profiles[key] = Profile.of(s["mu"], vehicles[s["mu"]], speed)
            profile = profiles[key]
            allowed = roads.shortest_km(int(a["node"]), int(b["node"]), profile)
            if km + _slack_km(rules) < allowed * 0.98:
                blocked = _blockers(router, network, int(a["node"]), int(b["node"]), profile)
                out.append(
                    Violation(
                        "restriction",
                        s["mu"],
                        where,
                        a["depart"].isoformat(),
                        f"{s['mu']} drives {km:.1f} km from {a['control_point']} to {b['control_point']} "
                        f"from {a['depart'].isoformat()}, but the shortest road open to its vehicles "
                        f"({_profile_text(profile)}) is "
                        + ("none" if math.isinf(allowed) else f"{allowed:.1f} km")
                        + (f": the shorter road crosses {'; '.join(blocked)}" if blocked else ""),
                        cause="; ".join(blocked),
                    )
                )
                continue
        out += _closed_roads(s, rules, roads, profile, where, km, start, end + a["pass_min"] * 60.0)
    return out


def _closed_ends(
    s: dict[str, Any], rules: MarchRules, tm: _Times, where: str, start: float, end: float
) -> list[Violation]:
    """Find segments driven while one of their ends (a closed site's node) is closed."""
    out = []
    for row in (s["a"], s["b"]):
        iv = rules.node_closed.get(int(row["node"]))
        span = iv.overlaps(start + EPS_S, end - EPS_S) if iv is not None else None
        if span is not None:
            out.append(
                Violation(
                    "closure",
                    s["mu"],
                    where,
                    tm.iso(max(start, span[0])),
                    f"{s['mu']} drives {where} from {tm.iso(start)} while {row['control_point']} is closed "
                    f"(from {tm.iso(span[0])}"
                    + (" until further notice)" if math.isinf(span[1]) else f" to {tm.iso(span[1])})"),
                    cause=str(row["control_point"]),
                )
            )
    return out


def _closed_roads(
    s: dict[str, Any],
    rules: MarchRules,
    roads: _Roads,
    profile: Profile | None,
    where: str,
    km: float,
    start: float,
    end: float,
) -> list[Violation]:
    """Find a segment covered in less distance than any road open while the column drives it."""
    closed = sorted(
        e for e, iv in rules.edge_closed.items() if iv.overlaps(start + EPS_S, end - EPS_S) is not None
    )
    if not closed:
        return []
    a, b = int(s["a"]["node"]), int(s["b"]["node"])
    slack = _slack_km(rules)
    if km + slack >= roads.shortest_km(a, b, profile, closed) * 0.98:
        return []
    if km + slack < roads.shortest_km(a, b, profile) * 0.98:
        return []  # shorter than any road at all: not a closure (the network does not know this road)
    # name the closures it must cross: each one whose edges alone leave no road that short
    in_force = [
        label
        for label, (iv, _) in rules.closed_by.items()
        if iv.overlaps(start + EPS_S, end - EPS_S) is not None
    ]
    crossed = [
        label
        for label in sorted(in_force)
        if km + slack < roads.shortest_km(a, b, profile, rules.closed_by[label][1]) * 0.98
    ]
    named = [_closure_text(label, rules, roads.router.network, start, end) for label in crossed]
    return [
        Violation(
            "closure",
            s["mu"],
            where,
            s["a"]["depart"].isoformat(),
            f"{s['mu']} drives {km:.1f} km from {s['a']['control_point']} to {s['b']['control_point']} "
            f"from {s['a']['depart'].isoformat()}, shorter than any road open at that time: it must cross a "
            "closed road or bridge" + (f" ({'; '.join(named)})" if named else ""),
            cause="; ".join(crossed),
        )
    ]


_RESTRICTIONS = (
    ("maxweight_t", "mass_t", "gross weight", "t"),
    ("maxaxleload_t", "axle_load_t", "axle load", "t"),
    ("maxheight_m", "height_m", "height", "m"),
    ("maxwidth_m", "width_m", "width", "m"),
    ("maxlength_m", "length_m", "length", "m"),
)
"""Edge limits a profile is masked by (:meth:`~enablement.network.arrays.GraphArrays.masks`), in words."""


def _profile_text(profile: Profile) -> str:
    """Return the limits a column's vehicles need, in words (MLC, mass, size)."""
    parts = [
        f"MLC {kind} {cls:g}"
        for kind, cls in (("wheeled", profile.mlc_wheeled), ("tracked", profile.mlc_tracked))
        if cls > 0
    ]
    parts += [
        f"{what} {getattr(profile, attr):g} {unit}"
        for _, attr, what, unit in _RESTRICTIONS
        if getattr(profile, attr) > 0
    ]
    return ", ".join(parts) or "no limit"


def _bridge_text(network: Network, bid: str) -> str:
    """Return a bridge by its id and its classes (MLC one-way/two-way, wheeled and tracked)."""
    e = network.edges
    rows = e[e["bridge_id"] == bid] if "bridge_id" in e.columns else e.iloc[:0]
    if rows.empty:
        return f"bridge {bid}"
    r = rows.iloc[0]
    classes = [
        f"{kind} {r[f'mlc_{kind}_oneway']:g} one-way / {r[f'mlc_{kind}_twoway']:g} two-way"
        for kind in ("wheeled", "tracked")
        if f"mlc_{kind}_oneway" in rows.columns and pd.notna(r[f"mlc_{kind}_oneway"])
    ]
    return f"bridge {bid}" + (f" (MLC {', '.join(classes)})" if classes else "")


def _blockers(router: Router, network: Network, a: int, b: int, profile: Profile) -> list[str]:
    """Return what closes the shortest road from ``a`` to ``b`` to ``profile``: bridges, limits."""
    try:
        route = router.route(a, b)
    except RoutingError:
        return []
    rows = np.asarray(route.edges, dtype=np.int64)
    if rows.size == 0:
        return []
    ga = router.arrays
    ok, _ = ga.masks(profile)
    shut = rows[~ok[ga.csr_positions(rows)]]
    e = network.edges
    out: list[str] = []
    for row in shut.tolist():
        over = [
            f"{what} {getattr(profile, attr):g} {unit} over its limit of {e[col].iat[row]:g} {unit}"
            for col, attr, what, unit in _RESTRICTIONS
            if col in e.columns and pd.notna(e[col].iat[row]) and getattr(profile, attr) > e[col].iat[row]
        ]
        mlc = [
            f"MLC {kind} {getattr(profile, f'mlc_{kind}'):g} over its one-way class "
            f"{e[f'mlc_{kind}_oneway'].iat[row]:g}"
            for kind in ("wheeled", "tracked")
            if f"mlc_{kind}_oneway" in e.columns
            and pd.notna(e[f"mlc_{kind}_oneway"].iat[row])
            and getattr(profile, f"mlc_{kind}") > e[f"mlc_{kind}_oneway"].iat[row]
        ]
        why = ", ".join(mlc + over) or "closed to it"
        bid = e["bridge_id"].iat[row] if "bridge_id" in e.columns else None
        if isinstance(bid, str) and bid:
            text = f"{_bridge_text(network, bid)}: the column's {why}"
        else:
            text = f"road {int(e['u'].iat[row])}-{int(e['v'].iat[row])}: the column's {why}"
        if text not in out:
            out.append(text)
    return out


def _closure_text(label: str, rules: MarchRules, network: Network, start: float, end: float) -> str:
    """Return a closure in words: its label, its bridges with their classes, and when it is in force."""
    iv, rows = rules.closed_by[label]
    e = network.edges
    bids: list[str] = []
    if "bridge_id" in e.columns and rows:
        ids = e["bridge_id"].to_numpy()[np.asarray(rows, dtype=np.int64)]
        bids = sorted({str(b) for b in ids if isinstance(b, str) and b})
    span = iv.overlaps(start + EPS_S, end - EPS_S)
    tm = _Times(rules)
    when = ""
    if span is not None:
        when = f", closed from {tm.iso(span[0])}" + (
            " until further notice" if math.isinf(span[1]) else f" to {tm.iso(span[1])}"
        )
    return label + "".join(f": {_bridge_text(network, b)}" for b in bids) + when


def _staging(rows: list[dict[str, Any]], rules: MarchRules, tm: _Times) -> list[Violation]:
    """More vehicles held in a staging area at once than its capacity."""
    events: dict[str, list[tuple[float, int, str]]] = defaultdict(list)
    for a, b in itertools.pairwise(rows):
        if a["kind"] == "staging_arrive" and b["march_unit"] == a["march_unit"]:
            start = tm.secs(a["arrive"])
            # the table gives times to the second and pass times to 0.01 min: a stay that ends
            # within EPS_S of another's start is gone, as in the marshalling check
            end = max(tm.secs(b["depart"]) + a["pass_min"] * 60.0 - EPS_S, start)
            events[a["control_point"]] += [
                (start, int(a["vehicles"]), a["march_unit"]),
                (end, -int(a["vehicles"]), a["march_unit"]),
            ]
    for r in rows:  # a column held on the way takes room at its place (``holds``)
        place = rules.holding(int(r["node"]))
        stop = tm.secs(r["depart"]) - tm.secs(r["arrive"])
        if place is None or r["kind"] in _LEG_ENDS or stop <= rules.road_wait_max_s + EPS_S:
            continue
        start = tm.secs(r["arrive"])
        events[place.site] += [
            (start, int(r["vehicles"]), r["march_unit"]),
            (
                max(tm.secs(r["depart"]) + r["pass_min"] * 60.0 - EPS_S, start),
                -int(r["vehicles"]),
                r["march_unit"],
            ),
        ]
    out = []
    for sid, ev in events.items():
        cap = rules.staging_capacity.get(sid)
        if cap is None:
            continue
        level = 0
        for t, d, mu in sorted(ev, key=lambda x: (x[0], x[1])):
            level += d
            if d > 0 and level > cap:
                out.append(
                    Violation(
                        "staging",
                        mu,
                        sid,
                        tm.iso(t),
                        f"{sid} holds {level} vehicles when {mu} arrives, over its capacity of {cap}",
                    )
                )
    return out


_LEG_ENDS = frozenset({"start", "staging", "staging_arrive", "release", "handover"})
"""Row kinds at a leg's own sites, where a column waits as long as it must."""


def _wait_s(r: Mapping[str, Any], rules: MarchRules, tm: _Times) -> float:
    """Return a row's wait (s): its stop less its halt (``halt_min``, else the policy's halt)."""
    stop = tm.secs(r["depart"]) - tm.secs(r["arrive"])
    halt = r.get("halt_min")
    if halt is not None and not (isinstance(halt, float) and math.isnan(halt)):
        return stop - float(halt) * 60.0
    h = rules.halts
    return stop - (max(h.first_duration_s, h.duration_s) if r["kind"] in ("halt", "hold") else 0.0)


def _halt_places(rows: list[dict[str, Any]], rules: MarchRules, network: Network) -> list[Violation]:
    """Find halts away from any halt place and off the policy's roadside classes (``halt_places``)."""
    verge = roadside_nodes(network, rules.roadside_classes)
    out = []
    for r in rows:
        halt = r.get("halt_min")
        halted = r["kind"] == "halt" or (
            r["kind"] == "hold" and halt is not None and not math.isnan(float(halt)) and float(halt) > 0
        )
        node = int(r["node"])
        if not halted or node < 0 or node in rules.places or node in verge:
            continue
        out.append(
            Violation(
                "halt_place",
                str(r["march_unit"]),
                str(r["control_point"]),
                r["arrive"].isoformat(),
                f"{r['march_unit']} halts at {r['control_point']}, which is no halt place (convoy support "
                "centre, rest area, staging area, day harbour) and not a road of the policy's roadside "
                "classes: a halt on the carriageway",
            )
        )
    return out


def _duty(runs: list[tuple[str, list[dict[str, Any]]]], rules: MarchRules, tm: _Times) -> list[Violation]:
    """Find columns driving longer than the policy's duty without a rest of its length (``duty_hours``)."""
    duty = rules.duty
    out = []
    for mu, rows in runs:
        driving = 0.0
        for a, b in itertools.pairwise(rows):
            if tm.secs(a["depart"]) - tm.secs(a["arrive"]) >= duty.rest_min_s - EPS_S:
                driving = 0.0  # a stop at a control point long enough to rest
            if a["kind"] == "staging_arrive" or a["leg"] != b["leg"]:
                driving = 0.0 if tm.secs(b["depart"]) - tm.secs(a["arrive"]) >= duty.rest_min_s else driving
                continue
            driving += tm.secs(b["arrive"]) - tm.secs(a["depart"])
            if driving > duty.driving_max_s + EPS_S:
                out.append(
                    Violation(
                        "duty",
                        str(mu),
                        str(b["control_point"]),
                        b["arrive"].isoformat(),
                        f"{mu} has driven {driving / 3600:.1f} h without a rest of "
                        f"{duty.rest_min_s / 3600:g} h on reaching {b['control_point']} "
                        f"(policy: at most {duty.driving_max_s / 3600:g} h)",
                    )
                )
                driving = 0.0  # report once per duty
    return out


def _road_waits(rows: list[dict[str, Any]], rules: MarchRules, tm: _Times) -> list[Violation]:
    """Find columns waiting on the road longer than the policy's limit (``holds``)."""
    limit = rules.road_wait_max_s
    out = []
    for r in rows:
        node = int(r["node"])
        if r["kind"] in _LEG_ENDS or node < 0 or rules.holding(node) is not None:
            continue
        wait = _wait_s(r, rules, tm)
        if wait > limit + EPS_S:
            out.append(
                Violation(
                    "wait",
                    str(r["march_unit"]),
                    str(r["control_point"]),
                    r["arrive"].isoformat(),
                    f"{r['march_unit']} waits {wait / 60:.0f} min on the road at {r['control_point']} "
                    f"(policy: at most {limit / 60:.0f} min; hold longer only at a convoy support centre, "
                    "staging area or day harbour)",
                )
            )
    return out


def _marshalling(
    table: pd.DataFrame,
    rules: MarchRules,
    tm: _Times,
    vehicles: Mapping[str, Sequence[Vehicle]] | None,
) -> list[Violation]:
    """More vehicles (or m² of them) in a marshalling area at once than its capacity."""
    if not rules.marshalling:
        return []
    first = table.sort_values(["march_unit", "leg", "seq"]).groupby("march_unit", sort=True).head(1)
    events: dict[str, list[tuple[float, int, str]]] = defaultdict(list)
    for r in first.to_dict("records"):
        site = r["control_point"]
        area = rules.marshalling.get(site)
        if area is None or r.get("hets"):
            continue
        if area.per == "vehicles":
            room = int(r["vehicles"])
        elif isinstance(r.get("footprint_m2"), float) and math.isfinite(r["footprint_m2"]):
            room = math.ceil(r["footprint_m2"] - 1e-6)
        elif vehicles and vehicles.get(r["march_unit"]):
            known = vehicles[r["march_unit"]]
            mean = sum(rules.footprint_m2.get(v.id, v.length_m * v.width_m) for v in known) / len(known)
            room = math.ceil(int(r["vehicles"]) * mean - 1e-6)
        else:
            continue  # an area in m² and nothing to say how much room the column takes
        ashore = r.get("ashore")
        start = tm.secs(ashore if isinstance(ashore, pd.Timestamp) else r["arrive"])
        end = tm.secs(r["depart"]) + r["pass_min"] * 60.0
        # the table gives times to the second: a stay that ends within EPS_S of another's start is gone
        end = max(end - EPS_S, start)
        events[site] += [(start, room, r["march_unit"]), (end, -room, r["march_unit"])]
    out = []
    for sid, ev in sorted(events.items()):
        area = rules.marshalling[sid]
        level = 0
        for t, d, mu in sorted(ev, key=lambda x: (x[0], x[1])):
            level += d
            if d > 0 and level > area.capacity:
                out.append(
                    Violation(
                        "marshalling",
                        mu,
                        sid,
                        tm.iso(t),
                        f"the marshalling area of {sid} holds {area.describe(level)} when {mu}'s vehicles "
                        f"come ashore, over its capacity of {area.describe()}",
                    )
                )
    return out


def _firsts(table: pd.DataFrame) -> pd.DataFrame:
    """Each march unit's first row (in leg and seq order), HET columns flagged (``het``)."""
    first = table.sort_values(["march_unit", "leg", "seq"]).groupby("march_unit", sort=True).head(1)
    het = first["hets"].map(bool) if "hets" in first.columns else pd.Series(False, index=first.index)
    return first.assign(het=het.to_numpy(dtype=bool))


def _units(table: pd.DataFrame, rules: MarchRules, tm: _Times) -> list[Violation]:
    """Find march units of units the scenario does not move, and units with more vehicles than land."""
    first = _firsts(table)
    out = []
    own = first[~first["het"]]
    # rules without movements (a march problem built by hand) name no units to check against
    unknown = own[~own["unit"].astype(str).isin(list(rules.deliveries))] if rules.deliveries else own.iloc[:0]
    moved = ", ".join(sorted(rules.deliveries)) or "none"
    for unit, g in unknown.groupby("unit", sort=True):
        mus = sorted(g["march_unit"].astype(str))
        shown = ", ".join(mus[:_SHOWN]) + (f" and {len(mus) - _SHOWN} more" if len(mus) > _SHOWN else "")
        out.append(
            Violation(
                "unit",
                mus[0],
                str(unit),
                tm.iso(tm.secs(g["depart"].min())),
                f"unit {unit!r} of march unit(s) {shown} is not moved by the scenario (its movements' units: "
                f"{moved}): the table is for another scenario, or the unit's name is misspelt",
            )
        )
    units_of = table.groupby("march_unit", sort=True)["unit"].unique()
    for mu, units in units_of.items():
        names = sorted(str(u) for u in units)
        if len(names) > 1 or (not str(mu).startswith(f"{names[0]}/") and not str(mu).startswith("HET/")):
            r = first[first["march_unit"] == mu].iloc[0]
            out.append(
                Violation(
                    "unit",
                    str(mu),
                    str(mu),
                    tm.iso(tm.secs(r["depart"])),
                    f"march unit {mu} is written for unit(s) {', '.join(names)}: a march unit belongs to one "
                    f"unit and is named after it ({names[0]}/01, as the plan names them; HET/… for a HET "
                    "column)",
                )
            )
    for unit, g in own.groupby("unit", sort=True):
        landed = rules.ashore.get(str(unit))
        n = int(g["vehicles"].sum())
        if landed and n > len(landed):
            arrivals = ", ".join(sorted({a for _, a in landed}))
            out.append(
                Violation(
                    "unit",
                    str(g["march_unit"].iloc[0]),
                    str(unit),
                    tm.iso(tm.secs(g["depart"].min())),
                    f"the march units of {unit} carry {n} vehicles, but {len(landed)} of its vehicles come "
                    f"ashore ({arrivals})",
                )
            )
    return out


def _release(table: pd.DataFrame, rules: MarchRules, tm: _Times) -> list[Violation]:
    """Find columns leaving before their vehicles are ashore (``release``: ships and flights discharged).

    The columns of a unit that have left by any time carry at most its vehicles ashore by then:
    in order of departure, the k-th column leaves no earlier than the vehicle that makes the
    running count of their vehicles is ashore (:meth:`~.march.MarchRules.released_s`).
    """
    first = _firsts(table)
    first = first[~first["het"]]
    out = []
    for unit, g in first.sort_values(["depart", "march_unit"]).groupby("unit", sort=True):
        if str(unit) not in rules.ashore:
            continue
        running = g["vehicles"].astype(int).cumsum().to_numpy()
        leave = np.array([tm.secs(t) for t in g["depart"]])
        need = [rules.released_s(str(unit), int(n)) for n in running]
        for k, (r, (ready, arrival)) in enumerate(zip(g.to_dict("records"), need, strict=True)):  # type: ignore[misc]
            if not math.isfinite(ready) or leave[k] + EPS_S >= ready:
                continue  # more vehicles than land is the ``unit`` check's
            out.append(
                Violation(
                    "release",
                    str(r["march_unit"]),
                    str(r["control_point"]),
                    r["depart"].isoformat(),
                    f"{r['march_unit']} leaves {r['control_point']} at {r['depart'].isoformat()}, "
                    f"{(ready - leave[k]) / 3600:.1f} h before its vehicles are ashore: the "
                    f"{int(running[k])} vehicles of {unit} in the columns that have left by then are "
                    f"ashore only at {tm.iso(ready)} (the last off {arrival}; reception discharges each ship "
                    "or flight at its site's rate)",
                )
            )
    return out


def _rdd(table: pd.DataFrame, rules: MarchRules, tm: _Times) -> list[Violation]:
    """Find units whose last column arrives after their RDD (rail units close by train)."""
    out = []
    for unit, g in table.groupby("unit"):
        if unit not in rules.deliveries:
            continue
        due_s, dest = rules.deliveries[str(unit)]
        # a unit bound abroad closes where it is handed over, at a border crossing
        there = g[(g["control_point"] == dest) | (g["kind"] == "handover")]
        if there.empty:
            continue
        t = there["arrive"].max()
        if tm.secs(t) > due_s + EPS_S:
            late = (tm.secs(t) - due_s) / 3600.0
            mu = there.loc[there["arrive"] == t, "march_unit"].iloc[0]
            due = pd.Timestamp(rules.clock.at(due_s))
            message = f"{unit} closes {late:.1f} h after its RDD {due}"
            out.append(Violation("rdd", mu, str(unit), t.isoformat(), message))
    return out


def _tracked(table: pd.DataFrame, rules: MarchRules) -> list[Violation]:
    """March units driving tracked vehicles farther on their tracks than the policy's road distance."""
    if "tracked" not in table.columns:
        return []
    limit_km = rules.tracked_road_max_m / 1000.0
    out = []
    for mu, g in table.groupby("march_unit", sort=True):
        n = int(g["tracked"].max())
        km = float(g["km"].max()) - float(g["km"].min())
        if n > 0 and km > limit_km + 0.05:
            first = g.sort_values(["leg", "seq"]).iloc[0]
            last = g.sort_values(["leg", "seq"]).iloc[-1]
            out.append(
                Violation(
                    "tracked",
                    str(mu),
                    f"{first['control_point']} -> {last['control_point']}",
                    first["depart"].isoformat(),
                    f"unit {first['unit']}: {mu} drives {n} tracked vehicles {km:.1f} km on their tracks, "
                    f"over the {limit_km:g} km limit (policy.tracked_road_max_km); carry them by HET or rail",
                )
            )
    return out


def _permissions(
    runs: list[tuple[str, list[dict[str, Any]]]],
    rules: MarchRules,
    tm: _Times,
    vehicles: Mapping[str, Sequence[Vehicle]] | None,
) -> list[Violation]:
    """Find columns that reach a border crossing before its permission is granted."""
    if not rules.permits:
        return []
    out = []
    for mu, records in runs:
        profile = None
        if vehicles and mu in vehicles and vehicles[str(mu)]:
            profile = Profile.of(str(mu), vehicles[str(mu)], float(records[0]["speed_kmh"]))
        for i, r in enumerate(records):
            site = str(r["control_point"])
            permitted = rules.permitted_s(site, profile)
            if permitted is None:
                continue
            at = r["depart"] if i == 0 else r["arrive"]  # an origin at a crossing: when it leaves
            if tm.secs(at) + EPS_S < permitted:
                permit = rules.permits[site]
                regime = permit.regime_for(permitted != permit.open_s)
                out.append(
                    Violation(
                        "permission",
                        str(mu),
                        site,
                        at.isoformat(),
                        f"{mu} reaches {site} at {at.isoformat()}, before its permission is granted at "
                        f"{tm.iso(permitted)} (requests filed from {tm.iso(permit.filing_s)}, "
                        f"{regime.id}: {regime.lead_text}); cross later, or file earlier "
                        "(permissions.filing_from) or under another regime (permissions.regime)",
                    )
                )
    return out


def _hets(table: pd.DataFrame, rules: MarchRules, network: Network, tm: _Times) -> list[Violation]:
    """Find HETs in two places at once: a column leaving before its HETs are back from the last one."""
    if "hets" not in table.columns:
        return []
    runs: dict[int, list[tuple[float, float, str, str, str]]] = defaultdict(list)
    for mu, g in table.sort_values(["march_unit", "leg", "seq"]).groupby("march_unit", sort=True):
        hets = sorted({h for cell in g["hets"] for h in (cell if isinstance(cell, tuple) else ())})
        if not hets:
            continue
        first, last = g.iloc[0], g.iloc[-1]
        leave = tm.secs(first["depart"])
        end = tm.secs(last["arrive"]) + float(last["pass_min"]) * 60.0
        for h in hets:
            runs[h].append((leave, end, str(mu), str(first["control_point"]), str(last["control_point"])))
    if not any(len(r) > 1 for r in runs.values()):
        return []
    rule = rules.het_turnaround
    road = network.sites["node_road"] if "node_road" in network.sites.columns else pd.Series(dtype=float)
    site_node = {str(sid): int(n) for sid, n in road.items() if pd.notna(n)}
    fastest = het_fastest(Router(network, "road", rules.territory), site_node, rule.profile)
    pairs: dict[tuple[str, str], list[int]] = defaultdict(list)
    found: dict[tuple[str, str], tuple[float, float, str, str, float]] = {}
    for h, mine in sorted(runs.items()):
        mine.sort()
        for (_l1, e1, m1, _s1, d1), (l2, _e2, m2, s2, _d2) in itertools.pairwise(mine):
            need = e1 + rule.after_s(d1, s2, fastest)
            if l2 + EPS_S < need:
                pairs[(m1, m2)].append(h)
                found[(m1, m2)] = (e1, l2, d1, s2, need)
    out = []
    for (m1, m2), hets in sorted(pairs.items()):
        e1, l2, d1, s2, need = found[(m1, m2)]
        which = f"HET {hets[0]}" if len(hets) == 1 else f"HETs {', '.join(map(str, hets))}"
        if l2 < e1 - EPS_S:
            why = f"while {m1} is still on the road to {d1} with them (its tail is in at {tm.iso(e1)})"
        else:
            why = (
                f"before they can be back: {m1} is in at {d1} at {tm.iso(e1)}; unloading, the empty drive "
                f"to {s2} and loading take until {tm.iso(need)}"
            )
        out.append(
            Violation(
                "het",
                m2,
                s2,
                tm.iso(l2),
                f"{which} in two places at once: {m2} leaves {s2} at {tm.iso(l2)} {why}",
            )
        )
    return out


def _caution(
    segs: list[dict[str, Any]],
    rules: MarchRules,
    network: Network,
    vehicles: Mapping[str, Sequence[Vehicle]] | None,
    tm: _Times,
) -> list[Violation]:
    """Find caution crossings crossed faster than one vehicle at a time, or not alone on the bridge."""
    if not segs or "caution_crossings" not in segs[0]["a"]:
        return []
    spans = bridge_spans(network)
    out = []
    guarded: dict[frozenset[str], str] = {}
    for s in segs:
        a, b = s["a"], s["b"]
        labels = [x.strip() for x in str(a["caution_crossings"]).split(";") if x.strip()]
        if not labels:
            continue
        guarded.setdefault(frozenset((str(a["control_point"]), str(b["control_point"]))), labels[0])
        known = vehicles.get(s["mu"]) if vehicles else None
        shortest = min((v.length_m for v in known), default=0.0) if known else 0.0
        lengths = [shortest] * int(a["vehicles"])
        need, label = max((rules.caution_crossing_s(spans.get(x, 0.0), lengths), x) for x in labels)
        start, end = tm.secs(a["depart"]), tm.secs(b["arrive"]) + a["pass_min"] * 60.0
        if end - start < need - EPS_S:
            out.append(
                Violation(
                    "caution",
                    s["mu"],
                    f"{a['control_point']} -> {b['control_point']}",
                    a["depart"].isoformat(),
                    f"{s['mu']} crosses bridge {label} under caution in {(end - start) / 60:.1f} min "
                    f"from its head's entry to its tail's exit, but its {int(a['vehicles'])} vehicles "
                    f"crossing one at a time at {rules.caution_speed_kmh:g} km/h take at least "
                    f"{need / 60:.1f} min",
                )
            )
    return out + _caution_overlaps(segs, guarded, rules.headway_s, tm)


def _caution_overlaps(
    segs: list[dict[str, Any]], guarded: Mapping[frozenset[str], str], h: float, tm: _Times
) -> list[Violation]:
    """Find columns on a bridge crossed under caution (its segment, either way) while another is on it."""
    on: dict[frozenset[str], list[tuple[float, float, bool, str, str]]] = defaultdict(list)
    for s in segs:
        a, b = s["a"], s["b"]
        pair = frozenset((str(a["control_point"]), str(b["control_point"])))
        if pair in guarded:
            on[pair].append(
                (
                    tm.secs(a["depart"]),
                    tm.secs(b["arrive"]) + a["pass_min"] * 60.0,
                    bool(str(a["caution_crossings"]).strip()),
                    s["mu"],
                    f"{a['control_point']} -> {b['control_point']}",
                )
            )
    out = []
    for pair, items in on.items():
        items.sort()
        for i, (_s1, e1, c1, m1, w1) in enumerate(items):
            for s2, _e2, c2, m2, w2 in items[i + 1 :]:
                if s2 >= e1 + h - EPS_S:
                    break
                if m1 == m2 or not (c1 or c2):
                    continue
                how = "the other way" if w1 != w2 else "the same way"
                why = " crossing it under caution" if c1 else f", and {m2} crosses it under caution"
                out.append(
                    Violation(
                        "caution",
                        m2,
                        w2,
                        tm.iso(s2),
                        f"{m2} is on bridge {guarded[pair]} ({w2}) at {tm.iso(s2)} while {m1} is on it {how} "
                        f"until {tm.iso(e1)}{why}: a caution crossing has the bridge to itself, with a "
                        f"{h / 60:g} min headway",
                    )
                )
    return out


def check_march_table(
    table: pd.DataFrame,
    rules: MarchRules,
    network: Network,
    vehicles: Mapping[str, Sequence[Vehicle]] | None = None,
) -> list[Violation]:
    """Check a march table against the road march rules and the network.

    Parameters
    ----------
    table
        From :func:`read_march_table` (or the plan's own march table).
    rules
        The rules it must keep: the plan's own (``plan.rules``), or
        :func:`~enablement.scheduling.march.march_rules` of the scenario it claims
        to carry out.
    network
        The scenario's network with its sites.
    vehicles
        Vehicles of each march unit, for the route restrictions (optional: without
        them roads are checked for any vehicle).

    Returns
    -------
    list of Violation
        Every violation found, by kind then time.
    """
    tm = _Times(rules)
    for col in ("arrive", "depart", "ashore"):  # messages in the scenario's local time
        if col in table.columns and isinstance(table[col].dtype, pd.DatetimeTZDtype):
            table = table.assign(**{col: table[col].dt.tz_convert(rules.clock.zone)})
    table, out = _resolve(table, network)
    runs = _runs(table)
    segs = _segments(runs)
    out += _territory(table, rules, network)
    out += _overlaps(segs, rules, tm)
    out += _halts(runs, rules, tm)
    out += _window(segs, rules, tm)
    out += _speed_and_roads(segs, rules, network, vehicles, tm)
    rows = [r for _, run in runs for r in run]  # in march unit, leg and seq order
    out += _staging(rows, rules, tm)
    out += _halt_places(rows, rules, network)
    out += _road_waits(rows, rules, tm)
    out += _duty(runs, rules, tm)
    out += _marshalling(table, rules, tm, vehicles)
    out += _rdd(table, rules, tm)
    out += _units(table, rules, tm)
    out += _release(table, rules, tm)
    out += _tracked(table, rules)
    out += _permissions(runs, rules, tm, vehicles)
    out += _hets(table, rules, network, tm)
    out += _caution(segs, rules, network, vehicles, tm)
    return _sorted(out)


def _sorted(out: list[Violation]) -> list[Violation]:
    order = {
        k: i
        for i, k in enumerate(
            (
                "place",
                "territory",
                "overlap",
                "halt",
                "window",
                "speed",
                "restriction",
                "closure",
                "staging",
                "halt_place",
                "wait",
                "duty",
                "marshalling",
                "rdd",
                "unit",
                "release",
                "tracked",
                "permission",
                "het",
                "caution",
            )
        )
    }
    return sorted(out, key=lambda v: (order.get(v.kind, 99), v.time, v.march_unit))
