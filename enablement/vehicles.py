"""Vehicle catalogue: vehicle types of allied forces, read from ``data/vehicles.yaml``.

The catalogue gives each vehicle type the figures that road and rail planning needs: mass,
Military Load Class (MLC), dimensions, axle load, speed, how it makes long moves and how
many heavy flat wagons it takes. :func:`load_catalogue` validates a catalogue file and
reports every problem in it at once; :func:`get_vehicle` reads the packaged catalogue,
which is loaded once and cached.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass, fields
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Annotated, Literal, get_args

import pandas as pd
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
)

from . import limits
from ._validate import parse_yaml, problems_from, read_text
from .errors import ScenarioError, UnknownVehicleError

__all__ = [
    "CATEGORIES",
    "LONG_MOVES",
    "Catalogue",
    "Category",
    "LongMove",
    "Profile",
    "Vehicle",
    "get_vehicle",
    "load_catalogue",
]

Category = Literal[
    "main_battle_tank",
    "infantry_fighting_vehicle",
    "armoured_personnel_carrier",
    "reconnaissance",
    "self_propelled_artillery",
    "truck",
    "heavy_equipment_transporter",
    "fuel_tanker",
    "recovery",
    "light_vehicle",
]
"""Vehicle categories a catalogue may use."""

LongMove = Literal["own", "het", "rail"]
"""How a vehicle makes long moves: on its own wheels or tracks, on a HET, or by rail."""

CATEGORIES: tuple[str, ...] = get_args(Category)
LONG_MOVES: tuple[str, ...] = get_args(LongMove)

_HET = "heavy_equipment_transporter"
_PACKAGED_NAME = "vehicles.yaml"
_TOP_KEYS = ("version", "source", "vehicles")
_ID = re.compile(r"[a-z][a-z0-9_]*")


@dataclass(frozen=True, slots=True)
class Vehicle:
    """A vehicle type of the catalogue.

    Attributes
    ----------
    id
        Catalogue key, e.g. ``leopard2a6``.
    name
        Name for reports, e.g. ``Leopard 2A6``.
    nations
        ISO 3166-1 alpha-3 codes of its main users.
    category
        One of :data:`CATEGORIES`.
    tracked
        True for tracked vehicles, False for wheeled ones.
    mass_t
        Combat mass (fighting vehicles), gross mass (trucks) or unladen combination mass
        (heavy equipment transporters), in tonnes.
    mlc
        Military Load Class in the vehicle's own table (see :attr:`mlc_kind`).
    length_m, width_m, height_m
        Overall dimensions in metres (length with the gun forward for tanks).
    axle_load_t
        Largest axle load in tonnes for wheeled vehicles; None for tracked ones.
    road_speed_kmh
        Maximum road speed.
    long_move
        How it makes long moves: ``own``, ``het`` or ``rail``.
    rail_wagons
        Heavy flat wagons needed for one vehicle (0.5: two share a wagon).
    source
        Where the figures come from.
    payload_t, laden_speed_kmh
        Payload and laden speed of heavy equipment transporters; None for other vehicles.
    note
        Which figures are estimates, and other caveats.
    """

    id: str
    name: str
    nations: tuple[str, ...]
    category: Category
    tracked: bool
    mass_t: float
    mlc: float
    length_m: float
    width_m: float
    height_m: float
    axle_load_t: float | None
    road_speed_kmh: float
    long_move: LongMove
    rail_wagons: float
    source: str
    payload_t: float | None = None
    laden_speed_kmh: float | None = None
    note: str = ""

    @property
    def mlc_kind(self) -> Literal["tracked", "wheeled"]:
        """Which MLC table :attr:`mlc` refers to: ``"tracked"`` or ``"wheeled"``."""
        return "tracked" if self.tracked else "wheeled"


def _iso3(code: str) -> str:
    if len(code) != 3 or not (code.isascii() and code.isalpha() and code.isupper()):
        msg = f"'{code}' is not an ISO 3166-1 alpha-3 country code such as DEU"
        raise ValueError(msg)
    return code


class _VehicleModel(BaseModel):
    """Schema of one catalogue entry; cross-field rules name the field they concern."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str = Field(min_length=1)
    nations: list[Annotated[str, AfterValidator(_iso3)]] = Field(min_length=1)
    category: Category
    tracked: bool
    mass_t: float = Field(gt=0, le=200)
    mlc: float = Field(ge=1, le=150)
    length_m: float = Field(gt=0, le=40)
    width_m: float = Field(gt=0, le=6)
    height_m: float = Field(gt=0, le=6)
    axle_load_t: float | None = Field(default=None, gt=0, le=40, validate_default=True)
    road_speed_kmh: float = Field(gt=0, le=160)
    long_move: LongMove
    rail_wagons: float = Field(gt=0, le=4)
    source: str = Field(min_length=1)
    payload_t: float | None = Field(default=None, gt=0, le=200)
    laden_speed_kmh: float | None = Field(default=None, gt=0, le=160)
    note: str = ""

    @field_validator("axle_load_t")
    @classmethod
    def _axle_load_matches_running_gear(cls, value: float | None, info: ValidationInfo) -> float | None:
        tracked = info.data.get("tracked")
        if tracked is True and value is not None:
            msg = "must be null for a tracked vehicle (its class comes from the tracked table)"
            raise ValueError(msg)
        if tracked is False and value is None:
            msg = "is required for a wheeled vehicle: its largest axle load in tonnes"
            raise ValueError(msg)
        return value

    @field_validator("payload_t", "laden_speed_kmh")
    @classmethod
    def _het_only(cls, value: float | None, info: ValidationInfo) -> float | None:
        category = info.data.get("category")
        if value is not None and category is not None and category != _HET:
            msg = f"is only for category {_HET}, not {category}"
            raise ValueError(msg)
        if info.field_name == "laden_speed_kmh" and value is not None:
            top = info.data.get("road_speed_kmh")
            if top is not None and value > top:
                msg = f"{value:g} km/h is above the road speed of {top:g} km/h"
                raise ValueError(msg)
        return value


class Catalogue(Mapping[str, Vehicle]):
    """Vehicle types by id, in file order.

    A read-only mapping: ``catalogue["leopard2a6"]`` gives a :class:`Vehicle`, an unknown id
    raises :class:`~enablement.errors.UnknownVehicleError` naming the known ones, and
    ``catalogue.get(vid)`` gives None instead.

    Parameters
    ----------
    vehicles
        The vehicle types by id.
    """

    __slots__ = ("_vehicles",)

    def __init__(self, vehicles: Mapping[str, Vehicle]) -> None:
        self._vehicles = dict(vehicles)

    def __getitem__(self, vid: str) -> Vehicle:
        try:
            return self._vehicles[vid]
        except KeyError:
            known = ", ".join(sorted(self._vehicles))
            msg = f"unknown vehicle type '{vid}'; known types: {known}"
            raise UnknownVehicleError([msg]) from None

    def __contains__(self, vid: object) -> bool:
        return vid in self._vehicles

    def __iter__(self) -> Iterator[str]:
        return iter(self._vehicles)

    def __len__(self) -> int:
        return len(self._vehicles)

    def __repr__(self) -> str:
        return f"Catalogue({len(self)} vehicle types: {', '.join(self._vehicles)})"

    def get(self, vid: str, default: Vehicle | None = None) -> Vehicle | None:  # type: ignore[override]
        """Vehicle type ``vid``, or ``default`` when the catalogue has none.

        Parameters
        ----------
        vid
            Vehicle id.
        default
            What to return for an unknown id.

        Returns
        -------
        Vehicle or None
            The vehicle type or ``default``.
        """
        return self._vehicles.get(vid, default)

    def ids(self) -> tuple[str, ...]:
        """Vehicle ids in file order.

        Returns
        -------
        tuple of str
            The ids.
        """
        return tuple(self._vehicles)

    def to_frame(self) -> pd.DataFrame:
        """One row per vehicle type for reports, indexed by id.

        Returns
        -------
        pandas.DataFrame
            Every :class:`Vehicle` field plus ``mlc_kind``; ``nations`` as ``"DEU, NLD"``.
        """
        columns = [f.name for f in fields(Vehicle)] + ["mlc_kind"]
        rows = [
            {**asdict(v), "nations": ", ".join(v.nations), "mlc_kind": v.mlc_kind}
            for v in self._vehicles.values()
        ]
        return pd.DataFrame(rows, columns=columns).set_index("id")


def _parse(text: str, fname: str) -> Catalogue:
    """Validate catalogue ``text`` read from file ``fname``; raise every problem at once."""
    try:  # the strict reader; a catalogue may share figures through anchors and merge keys
        raw = parse_yaml(text, fname, what="vehicle catalogue", aliases=True, error=ScenarioError)
    except ScenarioError as exc:
        lead = f"{fname}: "
        raise ScenarioError(
            [
                p.replace(lead, f"{lead}not valid YAML: ", 1) if "YAML syntax error" in p else p
                for p in exc.problems
            ]
        ) from None
    problems: list[str] = []
    if not isinstance(raw, dict):
        problems.append(f"{fname}: (top level): expected a mapping with keys {', '.join(_TOP_KEYS)}")
        raise ScenarioError(problems)
    for key in raw:
        if key not in _TOP_KEYS:
            problems.append(f"{fname}: {key}: unknown key; the top level holds {', '.join(_TOP_KEYS)}")
    if raw.get("version") != 1:
        problems.append(f"{fname}: version: expected 1, got {raw.get('version')!r}")
    if not isinstance(raw.get("source"), str) or not raw["source"].strip():
        problems.append(f"{fname}: source: expected a non-empty text naming where the figures come from")
    specs = raw.get("vehicles")
    if not isinstance(specs, dict) or not specs:
        problems.append(f"{fname}: vehicles: expected a non-empty mapping of vehicle id to figures")
        raise ScenarioError(problems)
    vehicles: dict[str, Vehicle] = {}
    for key, spec in specs.items():
        vid = str(key)
        if not (isinstance(key, str) and _ID.fullmatch(key)):
            problems.append(
                f"{fname}: vehicles.{vid}: a vehicle id is lowercase letters, digits and "
                "underscores, starting with a letter"
            )
        try:
            model = _VehicleModel.model_validate(spec)
        except ValidationError as exc:
            problems += problems_from(exc, fname, ("vehicles", vid))
            continue
        data = model.model_dump()
        data["nations"] = tuple(data["nations"])
        vehicles[vid] = Vehicle(id=vid, **data)
    if problems:
        raise ScenarioError(problems)
    return Catalogue(vehicles)


@cache
def _packaged() -> Catalogue:
    text = (resources.files("enablement") / "data" / _PACKAGED_NAME).read_text(encoding="utf-8")
    return _parse(text, _PACKAGED_NAME)


def load_catalogue(path: str | os.PathLike[str] | None = None) -> Catalogue:
    """Load and validate a vehicle catalogue, reporting every problem in it at once.

    Parameters
    ----------
    path
        A catalogue YAML file (``version: 1``, ``source`` and a ``vehicles`` mapping); None
        loads the packaged catalogue, which is read once and cached.

    Returns
    -------
    Catalogue
        Vehicle types by id.

    Raises
    ------
    ScenarioError
        When the file cannot be read or is invalid; ``problems`` holds one line per problem,
        ``file: vehicles.ID.field: message``.
    """
    if path is None:
        return _packaged()
    p = Path(path)
    what = "vehicle catalogue"
    text = read_text(p, str(p), what=what, max_bytes=limits.CATALOGUE_BYTES, error=ScenarioError)
    return _parse(text, p.name)


def get_vehicle(vid: str) -> Vehicle:
    """Vehicle type ``vid`` from the packaged catalogue.

    Parameters
    ----------
    vid
        Vehicle id, e.g. ``leopard2a6``.

    Returns
    -------
    Vehicle
        The vehicle type.

    Raises
    ------
    UnknownVehicleError
        When the packaged catalogue has no such type; the message lists the known ones.
    """
    return _packaged()[vid]


@dataclass(frozen=True)
class Profile:
    """What a group of vehicles needs from the roads it uses.

    Attributes
    ----------
    name
        Label for messages.
    mlc_wheeled, mlc_tracked
        Highest MLC class among its wheeled / tracked vehicles (0 when none).
    mass_t, axle_load_t, height_m, width_m, length_m
        Largest values among its vehicles.
    speed_kmh
        Column speed cap (the slowest vehicle's road speed and the policy speed).
    loading_gauge
        Rail only: the smallest loading gauge (UIC code, e.g. ``GB``) its load needs
        (an out-of-gauge train); empty when any gauge will do.
    """

    name: str
    mlc_wheeled: float = 0.0
    mlc_tracked: float = 0.0
    mass_t: float = 0.0
    axle_load_t: float = 0.0
    height_m: float = 0.0
    width_m: float = 0.0
    length_m: float = 0.0
    speed_kmh: float = 50.0
    loading_gauge: str = ""

    def __post_init__(self) -> None:
        problems = []
        if not (math.isfinite(self.speed_kmh) and self.speed_kmh > 0):
            problems.append(f"speed_kmh must be a finite number above 0, not {self.speed_kmh!r}")
        for f in ("mlc_wheeled", "mlc_tracked", "mass_t", "axle_load_t", "height_m", "width_m", "length_m"):
            value = getattr(self, f)
            if not (math.isfinite(value) and value >= 0):
                problems.append(f"{f} must be a finite number of 0 or more, not {value!r}")
        if problems:
            msg = f"profile '{self.name}': " + "; ".join(problems)
            raise ValueError(msg)

    @classmethod
    def of(cls, name: str, vehicles: Iterable[Vehicle], speed_cap_kmh: float) -> Profile:
        """Profile of a group of vehicles moving at most at ``speed_cap_kmh``."""
        vs = list(vehicles)
        if not vs:
            msg = f"profile '{name}' has no vehicles"
            raise ValueError(msg)
        return cls(
            name=name,
            mlc_wheeled=max((v.mlc for v in vs if not v.tracked), default=0.0),
            mlc_tracked=max((v.mlc for v in vs if v.tracked), default=0.0),
            mass_t=max(v.mass_t for v in vs),
            axle_load_t=max((v.axle_load_t or 0.0) for v in vs),
            height_m=max(v.height_m for v in vs),
            width_m=max(v.width_m for v in vs),
            length_m=max(v.length_m for v in vs),
            speed_kmh=min([speed_cap_kmh, *(v.road_speed_kmh for v in vs)]),
        )
