"""Vehicle catalogue: real vehicle types of allied forces, from ``enablement/data/vehicles.yaml``."""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Literal

import pandas as pd
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ._validate import problems_from
from .errors import ScenarioError, UnknownVehicleError

__all__ = ["CATEGORIES", "Catalogue", "Vehicle", "get_vehicle", "load_catalogue"]

CATEGORIES = (
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
)


@dataclass(frozen=True, slots=True)
class Vehicle:
    """A vehicle type.

    Attributes
    ----------
    id
        Catalogue key, e.g. ``leopard2a6``.
    name, nations, category
        Description.
    tracked
        Tracked (True) or wheeled.
    mass_t
        Combat or gross mass in tonnes.
    mlc
        Its Military Load Class (tracked class for tracked vehicles, wheeled otherwise).
    length_m, width_m, height_m
        Dimensions in metres.
    axle_load_t
        Largest axle load (wheeled vehicles only).
    road_speed_kmh
        Maximum road speed.
    long_move
        How it makes long moves: ``own`` wheels, ``het`` or ``rail``.
    rail_wagons
        Heavy flat wagons needed for one vehicle (0.5: two share a wagon).
    source
        Where the figures come from.
    payload_t, laden_speed_kmh
        For heavy equipment transporters only.
    note
        Estimates and caveats.
    """

    id: str
    name: str
    nations: tuple[str, ...]
    category: str
    tracked: bool
    mass_t: float
    mlc: float
    length_m: float
    width_m: float
    height_m: float
    axle_load_t: float | None
    road_speed_kmh: float
    long_move: str
    rail_wagons: float
    source: str
    payload_t: float | None = None
    laden_speed_kmh: float | None = None
    note: str = ""

    @property
    def mlc_kind(self) -> str:
        """``"tracked"`` or ``"wheeled"``: which MLC table the class refers to."""
        return "tracked" if self.tracked else "wheeled"


class _VehicleModel(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1)
    nations: list[str] = Field(min_length=1)
    category: Literal[CATEGORIES]  # type: ignore[valid-type]
    tracked: bool
    mass_t: float = Field(gt=0, le=200)
    mlc: float = Field(ge=1, le=150)
    length_m: float = Field(gt=0, le=40)
    width_m: float = Field(gt=0, le=6)
    height_m: float = Field(gt=0, le=6)
    axle_load_t: float | None = Field(default=None, gt=0, le=40)
    road_speed_kmh: float = Field(gt=0, le=160)
    long_move: Literal["own", "het", "rail"]
    rail_wagons: float = Field(gt=0, le=4)
    source: str = Field(min_length=3)
    payload_t: float | None = Field(default=None, gt=0)
    laden_speed_kmh: float | None = Field(default=None, gt=0)
    note: str = ""

    @model_validator(mode="after")
    def _consistent(self) -> _VehicleModel:
        if self.tracked and self.axle_load_t is not None:
            msg = "axle_load_t must be null for a tracked vehicle"
            raise ValueError(msg)
        if not self.tracked and self.axle_load_t is None:
            msg = "axle_load_t is required for a wheeled vehicle"
            raise ValueError(msg)
        if self.category != "heavy_equipment_transporter" and (
            self.payload_t is not None or self.laden_speed_kmh is not None
        ):
            msg = "payload_t and laden_speed_kmh are for heavy equipment transporters only"
            raise ValueError(msg)
        return self


class Catalogue(Mapping[str, Vehicle]):
    """Vehicle types by id.

    Parameters
    ----------
    vehicles
        The vehicle types.
    """

    def __init__(self, vehicles: Mapping[str, Vehicle]) -> None:
        self._vehicles = dict(vehicles)

    def __getitem__(self, vid: str) -> Vehicle:
        try:
            return self._vehicles[vid]
        except KeyError:
            known = ", ".join(sorted(self._vehicles))
            raise UnknownVehicleError([f"unknown vehicle type '{vid}'; known types: {known}"]) from None

    def __iter__(self) -> Iterator[str]:
        return iter(self._vehicles)

    def __len__(self) -> int:
        return len(self._vehicles)

    def ids(self) -> list[str]:
        """Vehicle ids in file order."""
        return list(self._vehicles)

    def to_frame(self) -> pd.DataFrame:
        """One row per vehicle type, indexed by id."""
        return pd.DataFrame([asdict(v) for v in self._vehicles.values()]).set_index("id")


def _parse(text: str, fname: str) -> Catalogue:
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        msg = f"{fname}: YAML syntax error: {exc}"
        raise ScenarioError(msg) from None
    if not isinstance(raw, dict) or not isinstance(raw.get("vehicles"), dict):
        msg = f"{fname}: expected a mapping with a 'vehicles' mapping of vehicle id to figures"
        raise ScenarioError(msg)
    problems: list[str] = []
    vehicles: dict[str, Vehicle] = {}
    for vid, spec in raw["vehicles"].items():
        try:
            model = _VehicleModel.model_validate(spec)
        except ValidationError as exc:
            problems += problems_from(exc, fname, ("vehicles", str(vid)))
            continue
        data = model.model_dump()
        data["nations"] = tuple(data["nations"])
        vehicles[str(vid)] = Vehicle(id=str(vid), **data)
    if problems:
        raise ScenarioError(problems)
    return Catalogue(vehicles)


@cache
def _packaged() -> Catalogue:
    text = (resources.files("enablement") / "data" / "vehicles.yaml").read_text(encoding="utf-8")
    return _parse(text, "vehicles.yaml")


def load_catalogue(path: str | os.PathLike[str] | None = None) -> Catalogue:
    """Load a vehicle catalogue, validating every entry and reporting all problems at once.

    Parameters
    ----------
    path
        A catalogue YAML file; ``None`` loads the packaged one (cached).

    Returns
    -------
    Catalogue
        Vehicle types by id.

    Raises
    ------
    ScenarioError
        Listing every problem as ``file: vehicles.ID.field: message``.
    """
    if path is None:
        return _packaged()
    p = Path(path)
    return _parse(p.read_text(encoding="utf-8"), p.name)


def get_vehicle(vid: str) -> Vehicle:
    """Vehicle type ``vid`` from the packaged catalogue."""
    return _packaged()[vid]
