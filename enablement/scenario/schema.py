"""Scenario format v1: the pydantic models of a scenario file.

Field-level rules live here; rules that span fields or need the vehicle catalogue
and the overlay's sites live in :mod:`enablement.scenario.load`, which collects
every problem and reports them at once.

Every number is finite (no ``.inf``, ``.nan``) and within a range that makes sense
for it; counts that make the planner work in proportion (HETs, wagons,
locomotives, vehicles per item) are bounded by :mod:`enablement.limits`, and so are
texts and times. The lengths of the lists (arrivals, equipment, movements,
disruptions) are checked by :mod:`.load` before this schema runs.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from .. import limits
from ..defaults import figure
from ..network.territory import COUNTRIES
from ..permits import permission_data
from ..zones import zone_problem

__all__ = [
    "Arrival",
    "Disruption",
    "Duty",
    "EquipmentItem",
    "Halts",
    "Movement",
    "NetworkSpec",
    "Permissions",
    "Policy",
    "Resources",
    "Restriction",
    "RestrictionWhen",
    "RestrictionWhere",
    "Scenario",
    "SolverSpec",
    "TimeWindow",
    "Via",
]


def _aware(value: dt.datetime) -> dt.datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        msg = "needs a time zone, e.g. 2026-03-02T06:00:00+01:00"
        raise ValueError(msg)
    first, last = limits.YEARS
    if not first <= value.year < last:
        msg = f"the year {value.year} is outside {first}-{last - 1}; check the date"
        raise ValueError(msg)
    return value


def at_most(limit: int, name: str, fix: str) -> AfterValidator:
    """Check that a count is at most ``limit`` (the bound ``name`` of :mod:`enablement.limits`)."""

    def check(value: int) -> int:
        if value > limit:
            msg = f"{value:,} is over the limit of {limit:,} (enablement.limits.{name}); {fix}"
            raise ValueError(msg)
        return value

    return AfterValidator(check)


AwareDatetime = Annotated[dt.datetime, AfterValidator(_aware)]
Identifier = Annotated[str, Field(min_length=1, max_length=80, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")]
Name = Annotated[str, Field(max_length=limits.NAME_CHARS)]
"""An id naming something elsewhere (a site, a vehicle type, a bridge)."""
PathText = Annotated[str, Field(min_length=1, max_length=limits.PATH_CHARS)]
"""A path or an overlay entry."""

_MINUTES_A_DAY = 24 * 60.0


_NUMBER_TYPES = (int, float, int | None, float | None)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, allow_inf_nan=False)

    @field_validator("*", mode="before")
    @classmethod
    def _no_booleans(cls, value: Any, info: ValidationInfo) -> Any:
        """Refuse ``true``/``false`` for a number (pydantic would read them as 1 and 0)."""
        field = cls.model_fields.get(info.field_name or "")
        if isinstance(value, bool) and field is not None and field.annotation in _NUMBER_TYPES:
            msg = "true/false is not a number; give a number"
            raise ValueError(msg)
        return value


def _clock(value: str) -> str:
    try:
        hh, mm = value.split(":")
        h, m = int(hh), int(mm)
    except ValueError as exc:
        msg = "must be a time of day 'HH:MM'"
        raise ValueError(msg) from exc
    if not (0 <= h <= 24 and 0 <= m < 60) or (h == 24 and m):
        msg = "must be a time of day between 00:00 and 24:00"
        raise ValueError(msg)
    return f"{h:02d}:{m:02d}"


def _unquoted_clock(value: object) -> object:
    """Refuse a clock time that YAML read as a number: an unquoted ``21:00`` is 21 × 60 = 1260."""
    if isinstance(value, int) and not isinstance(value, bool):
        h, m = divmod(value, 60)
        meant = f" (did you mean '{h:02d}:{m:02d}'?)" if 0 <= h <= 24 and value >= 0 else ""
        msg = (
            f"is the number {value}: YAML reads an unquoted time of day as a number{meant}; "
            "write the time in quotes, e.g. '21:00'"
        )
        raise ValueError(msg)
    return value


Clock = Annotated[str, BeforeValidator(_unquoted_clock), AfterValidator(_clock)]


def _country(value: str) -> str:
    code = value.strip().upper()
    if code not in COUNTRIES:
        msg = (
            f"{value!r} is not a country whose boundaries ship with enablement; "
            f"give an ISO 3166-1 alpha-2 code among {', '.join(COUNTRIES)}"
        )
        raise ValueError(msg)
    return code


Country = Annotated[str, Field(max_length=8), AfterValidator(_country)]
"""An ISO 3166-1 alpha-2 country code among those whose boundaries ship with the package."""


def _zone_name(value: str) -> str:
    problem = zone_problem(value)
    if problem is not None:
        raise ValueError(problem)
    return value


ZoneName = Annotated[str, AfterValidator(_zone_name)]
"""An IANA time zone name (``Europe/Brussels``) that :mod:`zoneinfo` knows."""


class TimeWindow(_Model):
    """A daily window ``start``–``end`` (local time of the scenario); may cross midnight."""

    start: Clock
    end: Clock

    @model_validator(mode="after")
    def _not_empty(self) -> TimeWindow:
        if self.start == self.end:
            msg = "start and end are equal: the window is empty (leave it out to allow any time)"
            raise ValueError(msg)
        return self


class Halts(_Model):
    """Halt policy: a first halt after ``first_after_min`` of driving, then regular halts."""

    first_after_min: float = Field(
        default_factory=lambda: figure("halt_first_after_min"), gt=0, le=_MINUTES_A_DAY
    )
    first_duration_min: float = Field(
        default_factory=lambda: figure("halt_first_duration_min"), ge=0, le=_MINUTES_A_DAY
    )
    every_min: float = Field(default_factory=lambda: figure("halt_every_min"), gt=0, le=_MINUTES_A_DAY)
    duration_min: float = Field(default_factory=lambda: figure("halt_duration_min"), ge=0, le=_MINUTES_A_DAY)
    road_wait_max_min: float = Field(
        default_factory=lambda: figure("road_wait_max_min"), ge=0, le=_MINUTES_A_DAY
    )
    """Longest a column may wait on the road at a control point; a longer wait is a hold, taken at a
    place that holds vehicles (convoy support centre, staging area, day harbour)."""
    late_max_min: float = Field(default_factory=lambda: figure("halt_late_max_min"), ge=0, le=_MINUTES_A_DAY)
    """How much longer than ``first_after_min`` or ``every_min`` a column may drive to take its halt
    at a halt place when none lies within that driving (0: never; the halt is then on a verge)."""
    roadside: list[Literal["motorway", "trunk_primary", "secondary", "other", "unclassified"]] = Field(
        default_factory=lambda: list(figure("roadside_halt_classes")), max_length=5
    )
    """Road classes on whose verge a column may take a halt where no halt place is within reach
    (``unclassified``: roads the network gives no class, as on the embedded network, where they
    are motorways and main roads)."""


class Duty(_Model):
    """Drivers' duty: at most ``driving_max_h`` of driving between rests of at least ``rest_min_h``."""

    driving_max_h: float = Field(default_factory=lambda: figure("duty_driving_max_h"), gt=0, le=24)
    rest_min_h: float = Field(default_factory=lambda: figure("duty_rest_min_h"), ge=0, le=48)


class Policy(_Model):
    """Road-movement policy.

    ``territory`` is the country the plan covers (ISO code, default Belgium): routes
    stay in it and leave it only through a border crossing, where a movement to a
    destination abroad is handed over. ``foreign_roads`` lists neighbours whose roads
    the movements may also use, with that neighbour's permission (default none).
    """

    march_unit_max_vehicles: int = Field(
        default_factory=lambda: figure("march_unit_max_vehicles"), ge=1, le=100
    )
    vehicle_gap_m: float = Field(default_factory=lambda: figure("vehicle_gap_m"), gt=0, le=2000)
    convoy_speed_kmh: float = Field(default_factory=lambda: figure("convoy_speed_kmh"), gt=0, le=120)
    headway_min: float = Field(default_factory=lambda: figure("headway_min"), ge=0, le=600)
    tracked_road_max_km: float = Field(default_factory=lambda: figure("tracked_road_max_km"), gt=0, le=5000)
    halts: Halts = Field(default_factory=Halts)
    duty: Duty = Field(default_factory=Duty)
    movement_window: TimeWindow | None = None
    territory: Country = Field(default_factory=lambda: str(figure("territory")))
    foreign_roads: list[Country] = Field(default_factory=list, max_length=len(COUNTRIES))

    @model_validator(mode="after")
    def _foreign_is_foreign(self) -> Policy:
        if self.territory in self.foreign_roads:
            msg = (
                f"foreign_roads names the territory itself ({self.territory}); "
                "list only neighbours whose roads the movement may use"
            )
            raise ValueError(msg)
        return self


class NetworkSpec(_Model):
    """Where the network comes from."""

    source: PathText = "embedded"
    margin_km: float = Field(default=30.0, ge=0, le=200)
    snap_tolerance_m: float | None = Field(default=None, gt=0, le=100_000)
    """One snap tolerance (m) for every site kind and point; default: per kind and network grain
    (:mod:`enablement.network.snapping`)."""


class EquipmentItem(_Model):
    """``count`` vehicles of type ``vehicle`` belonging to ``unit``."""

    unit: Identifier
    vehicle: Name
    count: Annotated[
        int,
        Field(gt=0),
        at_most(limits.VEHICLES_PER_ITEM, "VEHICLES_PER_ITEM", "check the count, or split it over items"),
    ]


class Arrival(_Model):
    """A ship or flight arriving at a reception site."""

    id: Identifier
    kind: Literal["ship", "flight", "train", "road"]
    site: Name
    time: AwareDatetime
    equipment: list[EquipmentItem] = Field(min_length=1, max_length=limits.EQUIPMENT_ITEMS)


class Via(_Model):
    """A staging area on the way, with the dwell time there."""

    site: Name
    dwell_h: float = Field(default=0.0, ge=0, le=24 * 60)


class Movement(_Model):
    """The onward movement of one unit."""

    unit: Identifier
    from_: Name | None = Field(default=None, alias="from")
    via: Via | None = None
    to: Name
    rdd: AwareDatetime
    mode: Literal["road", "rail", "auto"] = "road"
    quay: Name | None = None
    railhead: Name | None = None
    priority: int = Field(default=0, ge=0, le=1000)


_WAGONS_FIX = "a wagon pool is hundreds to a few thousand: check the number"
_LOCOS_FIX = "check the number of locomotives"


class Resources(_Model):
    """Transport resources.

    ``hets`` heavy equipment transporters of type ``het_type`` (a catalogue id)
    carry the vehicles that do not drive long distances (``long_move`` other than
    ``own``) of road movements to their destinations, and of rail movements to their
    quays when the road there is longer than ``policy.tracked_road_max_km``, from the
    HET park ``het_park`` (a site; default: the place where most of them set off).
    ``wagons`` is a pool of six-axle heavy flat wagons; ``wagon_pools`` gives pools
    by type instead (types in
    ``enablement/data/rail.yaml``). ``locomotives`` are multi-system electric ones;
    ``diesel_locomotives`` also work on lines without wires.
    """

    hets: Annotated[
        int, Field(ge=0), at_most(limits.HETS, "HETS", "a HET fleet is a few hundred: check the number")
    ] = 0
    het_type: Name = "m1070_m1000_het"
    het_park: Name | None = None
    wagons: Annotated[int, Field(ge=0), at_most(limits.WAGONS, "WAGONS", _WAGONS_FIX)] = 0
    wagon_pools: dict[Name, Annotated[int, Field(ge=0), at_most(limits.WAGONS, "WAGONS", _WAGONS_FIX)]] = (
        Field(default_factory=dict)
    )
    locomotives: Annotated[int, Field(ge=0), at_most(limits.LOCOMOTIVES, "LOCOMOTIVES", _LOCOS_FIX)] = 0
    diesel_locomotives: Annotated[
        int, Field(ge=0), at_most(limits.LOCOMOTIVES, "LOCOMOTIVES", _LOCOS_FIX)
    ] = 0

    @field_validator("wagon_pools")
    @classmethod
    def _known_wagon_types(cls, value: dict[str, int]) -> dict[str, int]:
        from ..rolling_stock import rail_data

        known = rail_data().wagons
        unknown = sorted(set(value) - set(known))
        if unknown:
            msg = f"unknown wagon type(s) {', '.join(unknown)}; known: {', '.join(known)}"
            raise ValueError(msg)
        if sum(value.values()) > limits.WAGONS:
            msg = (
                f"{sum(value.values()):,} wagons in all, over the limit of {limits.WAGONS:,} "
                f"(enablement.limits.WAGONS); {_WAGONS_FIX}"
            )
            raise ValueError(msg)
        return value

    def pools(self) -> dict[str, int]:
        """Wagon pools by type (``wagons`` counts as six-axle heavy flats)."""
        out = dict(self.wagon_pools)
        if self.wagons:
            out["heavy_flat_6axle"] = out.get("heavy_flat_6axle", 0) + self.wagons
        return {k: v for k, v in out.items() if v > 0}

    @property
    def any_wagons(self) -> bool:
        """Whether any wagon pool is given."""
        return bool(self.pools())

    @property
    def any_locomotives(self) -> bool:
        """Whether any locomotive is given."""
        return self.locomotives + self.diesel_locomotives > 0


class Disruption(_Model):
    """A closure of a site, a bridge or the road nearest a point, for a time window."""

    id: Identifier
    kind: Literal["close_site", "close_bridge", "close_road"]
    target: Name | None = None
    at: tuple[float, float] | None = None
    start: AwareDatetime
    end: AwareDatetime | None = None

    @field_validator("at", mode="before")
    @classmethod
    def _a_point(cls, value: Any) -> Any:
        """Refuse two numbers that are no coordinate.

        The rule is :func:`enablement.limits.lonlat_problem`.
        """
        numbers = isinstance(value, list | tuple) and len(value) == 2
        if numbers and all(isinstance(v, int | float) and not isinstance(v, bool) for v in value):
            lon, lat = (float(v) for v in value)
            problem = limits.lonlat_problem(lon, lat)
            if problem is not None:
                msg = f"{lon:g},{lat:g} {problem}"
                raise ValueError(msg)
        return value

    @model_validator(mode="after")
    def _target_given(self) -> Disruption:
        if self.kind == "close_road":
            if self.at is None:
                msg = "close_road needs 'at: [lon, lat]' (the road nearest that point is closed)"
                raise ValueError(msg)
        elif not self.target:
            msg = f"{self.kind} needs 'target' (a site or bridge id from the overlay)"
            raise ValueError(msg)
        if self.end is not None and self.end <= self.start:
            msg = "end must be after start"
            raise ValueError(msg)
        return self


Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]

WEEKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
"""Day names of a restriction's ``days``, Monday first (``datetime.weekday()`` order)."""


def _hours(value: str) -> str:
    example = "'HH:MM-HH:MM' (e.g. '07:00-09:30', '22:00-06:00')"
    try:
        start, end = value.split("-")
    except ValueError as exc:
        msg = f"{value!r} is not a span of local hours {example}"
        raise ValueError(msg) from exc
    try:
        start, end = _clock(start.strip()), _clock(end.strip())
    except ValueError as exc:
        msg = f"{value!r}: each end {exc}; give a span of local hours {example}"
        raise ValueError(msg) from exc
    if start == end:
        msg = f"{value!r} is empty: start and end are equal (a whole day is '00:00-24:00')"
        raise ValueError(msg)
    if start == "24:00":
        msg = f"{value!r} starts at 24:00; start the span at 00:00 of the next day"
        raise ValueError(msg)
    return f"{start}-{end}"


Hours = Annotated[str, Field(max_length=20), AfterValidator(_hours)]
"""A span of local hours ``HH:MM-HH:MM``; it crosses midnight when the end is not after the start."""


def _lonlat(value: tuple[float, float]) -> tuple[float, float]:
    problem = limits.lonlat_problem(*value)
    if problem is not None:
        msg = f"{value[0]:g},{value[1]:g} {problem}"
        raise ValueError(msg)
    return value


LonLat = Annotated[tuple[float, float], AfterValidator(_lonlat)]


class RestrictionWhere(_Model):
    """Where a restriction applies: an area (a polygon or a circle) and/or named roads.

    ``area`` is a polygon of ``[lon, lat]`` corners (WGS84; closed or not); ``around``
    with ``radius_km`` a circle. ``roads`` names road refs (``R1``, ``E19``) matched
    against the network's ``ref`` column (OSM networks carry it; a ref list
    ``R1;E19`` matches either, spaces and case ignored). With an area and roads, the
    named roads within the area are restricted; otherwise every road edge meeting
    the area, or every edge of the named roads.
    """

    area: list[LonLat] | None = Field(default=None, min_length=3, max_length=limits.AREA_POINTS)
    around: LonLat | None = None
    radius_km: float | None = Field(default=None, gt=0, le=200)
    roads: list[Name] | None = Field(default=None, min_length=1, max_length=100)

    @model_validator(mode="after")
    def _one_place(self) -> RestrictionWhere:
        if self.area is not None and self.around is not None:
            msg = "give either 'area' (a polygon) or 'around' with 'radius_km' (a circle), not both"
            raise ValueError(msg)
        if (self.around is None) != (self.radius_km is None):
            msg = "a circle needs both 'around: [lon, lat]' and 'radius_km'"
            raise ValueError(msg)
        if self.area is None and self.around is None and not self.roads:
            msg = (
                "say where: 'area: [[lon, lat], ...]' (a polygon), 'around: [lon, lat]' with "
                "'radius_km', and/or 'roads: [R1, ...]'"
            )
            raise ValueError(msg)
        if self.area is not None:
            import shapely

            polygon = shapely.Polygon(self.area)
            if not polygon.is_valid or polygon.area == 0:
                reason = shapely.is_valid_reason(polygon)
                msg = (
                    f"the area is not a valid polygon ({reason}); give its corners in order "
                    "around its edge, with no crossing sides and at least three distinct corners"
                )
                raise ValueError(msg)
        return self


class RestrictionWhen(_Model):
    """When a restriction applies: local hours on days of the week (the scenario's zone).

    ``hours`` are spans ``HH:MM-HH:MM`` of local wall-clock time; a span whose end is not
    after its start crosses midnight (``22:00-06:00``) and ``00:00-24:00`` is the whole
    day. ``days`` (default every day) are the days a span starts on.
    """

    days: list[Weekday] = Field(default_factory=lambda: list(WEEKDAYS), min_length=1, max_length=7)
    hours: list[Hours] = Field(min_length=1, max_length=24)

    def text(self) -> str:
        """Say the windows in words, e.g. ``mon-fri 07:00-09:30, 16:00-19:00``."""
        days = sorted(set(self.days), key=WEEKDAYS.index)
        runs: list[list[str]] = []
        for d in days:
            if runs and WEEKDAYS.index(d) == WEEKDAYS.index(runs[-1][-1]) + 1:
                runs[-1].append(d)
            else:
                runs.append([d])
        named = ",".join(r[0] if len(r) == 1 else f"{r[0]}-{r[-1]}" for r in runs)
        return f"{'every day' if len(days) == 7 else named} {', '.join(self.hours)}"


class Restriction(_Model):
    """A recurring restriction: no military column on the roads ``where`` says, at the times ``when`` says.

    E.g. no columns on the Antwerp ring at rush hours, or a weekend ban. Times are local
    wall-clock times in the scenario's zone, across clock changes. ``when`` is one
    window (``{days, hours}``) or a list of them (a Friday evening to Sunday ban is
    ``[{days: [fri], hours: ['18:00-24:00']}, {days: [sat, sun], hours: ['00:00-24:00']}]``).
    """

    id: Identifier
    name: Name = ""
    where: RestrictionWhere
    when: list[RestrictionWhen] = Field(min_length=1, max_length=14)

    @field_validator("when", mode="before")
    @classmethod
    def _one_or_more(cls, value: Any) -> Any:
        return [value] if isinstance(value, dict) else value

    def when_text(self) -> str:
        """Say every window in words (``mon-fri 07:00-09:30; sat,sun 00:00-24:00``)."""
        return "; ".join(w.text() for w in self.when)


class SolverSpec(_Model):
    """How the road movement is optimised.

    ``road``: ``cp-sat`` (deconfliction with route choice, warm-started from the
    greedy baseline) or ``greedy`` (the baseline alone). ``time_limit_s`` is the wall
    time of the road step (baseline, model and solves); the solves stop on deterministic
    limits sized from it, so the same seed and time limit give the same plan unless the
    machine is too slow for the limit (the plan then says so: ``deterministic: false``).
    ``alternatives``: candidate corridors per leg.
    """

    road: Literal["cp-sat", "greedy"] = "cp-sat"
    time_limit_s: float = Field(default=30.0, gt=0, le=3600)
    seed: int = Field(default=0, ge=0, le=limits.SEED)
    alternatives: int = Field(default=2, ge=1, le=5)


def _known_regime(value: str) -> str:
    known = permission_data().regimes
    if value not in known:
        msg = (
            f"unknown permission regime {value!r}; known: {', '.join(known)} "
            "(in enablement/data/permissions.yaml)"
        )
        raise ValueError(msg)
    return value


Regime = Annotated[str, AfterValidator(_known_regime)]
"""A permission regime id of ``enablement/data/permissions.yaml``."""


class Permissions(_Model):
    """Cross-border movement permissions: when requests can be filed and the regime in force.

    ``filing_from`` is the first time a request can be filed (default: the
    scenario start). ``regime`` is the regime in force at every crossing (default:
    the data file's ``default_regime``, today's ~45 days' notice); ``neighbours``
    names another regime for the crossings to one neighbour (``{NL: cbmp-annual}``).
    """

    filing_from: AwareDatetime | None = None
    regime: Regime = Field(default_factory=lambda: permission_data().default_regime)
    neighbours: dict[Country, Regime] = Field(default_factory=dict, max_length=50)

    def regime_for(self, neighbour: str | None) -> str:
        """Return the regime id at a crossing to ``neighbour``."""
        return self.neighbours.get(neighbour or "", self.regime)


class Scenario(_Model):
    """A whole scenario (format v1).

    ``timezone`` is the IANA zone (default ``Europe/Brussels``, the planning figure
    ``timezone``) in which the scenario's clock times are read: the movement window,
    sites' working hours, permissions' working days; every time the plan writes is
    local time in it, with its offset. Instants written with an offset (``start``,
    arrivals, RDDs, disruptions) keep their meaning whatever the zone.
    """

    version: Literal[1] = 1
    name: str = Field(min_length=1, max_length=limits.NAME_CHARS)
    description: str = Field(default="", max_length=limits.DESCRIPTION_CHARS)
    start: AwareDatetime
    timezone: ZoneName = Field(default_factory=lambda: str(figure("timezone")))
    network: NetworkSpec = Field(default_factory=NetworkSpec)
    overlays: list[PathText] = Field(default_factory=lambda: ["belgium"], max_length=limits.OVERLAYS)
    policy: Policy = Field(default_factory=Policy)
    arrivals: list[Arrival] = Field(min_length=1, max_length=limits.ARRIVALS)
    movements: list[Movement] = Field(min_length=1, max_length=limits.MOVEMENTS)
    resources: Resources = Field(default_factory=Resources)
    disruptions: list[Disruption] = Field(default_factory=list, max_length=limits.DISRUPTIONS)
    restrictions: list[Restriction] = Field(default_factory=list, max_length=limits.RESTRICTIONS)
    solver: SolverSpec = Field(default_factory=SolverSpec)
    permissions: Permissions = Field(default_factory=Permissions)

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        """The scenario's time zone (``timezone``)."""
        return zoneinfo.ZoneInfo(self.timezone)

    @property
    def filing_from(self) -> dt.datetime:
        """The first time a permission request can be filed (``permissions.filing_from``, or the start)."""
        return self.permissions.filing_from or self.start

    def site_ids(self) -> set[str]:
        """Return every site the scenario names.

        Arrivals' sites, movements' ends, stops, quays and railheads, the HET park and the
        sites it closes.

        These must fit the network; the overlays' other sites may be left out of a network
        that does not reach them (:func:`~enablement.network.overlays.apply_overlay`).
        """
        used = {a.site for a in self.arrivals}
        for mv in self.movements:
            used |= {s for s in (mv.from_, mv.to, mv.quay, mv.railhead, mv.via.site if mv.via else None) if s}
        if self.resources.het_park:
            used.add(self.resources.het_park)
        used |= {d.target for d in self.disruptions if d.kind == "close_site" and d.target}
        return used

    @model_validator(mode="after")
    def _restriction_ids_unique(self) -> Scenario:
        seen: set[str] = set()
        for i, r in enumerate(self.restrictions):
            if r.id in seen:
                msg = f"restrictions[{i}].id: '{r.id}' is given twice; give each restriction its own id"
                raise ValueError(msg)
            seen.add(r.id)
        return self

    @field_validator("overlays")
    @classmethod
    def _overlays_not_empty(cls, value: list[str]) -> list[str]:
        if not value:
            msg = "name at least one overlay (e.g. 'belgium') so that sites are known"
            raise ValueError(msg)
        return value
