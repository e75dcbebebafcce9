"""Typed records of a network's sites: what the schedulers read of ports, quays and staging areas.

A network keeps its sites as a GeoDataFrame (``network.sites``), one column per
overlay attribute, with NaN where an attribute is not given. The schedulers
read a handful of those attributes; :class:`Site` gives them as typed fields
(``None`` when not given), so that the rule for a missing value is written once,
here, and not at every use.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .._values import as_float

if TYPE_CHECKING:
    from .model import Network

__all__ = ["ALWAYS_OPEN", "Site", "site_records"]

ALWAYS_OPEN = "00:00-24:00"
"""Working hours of a site open day and night."""


def _number(value: object) -> float | None:
    f = as_float(value, math.nan)
    return None if math.isnan(f) else f


def _text(value: object) -> str | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    text = str(value)
    return text if text not in ("", "None", "nan") else None


@dataclass(frozen=True)
class Site:
    """One site of the network (a port, airport, rail quay, staging area, support centre or crossing).

    Attributes
    ----------
    id, name, kind
        Overlay id, name and kind (``seaport``, ``rail_quay``, …).
    node_road, node_rail
        Nodes the site is snapped to (-1 when it is not on that network).
    hours
        Daily working hours ``HH:MM-HH:MM``; ``None`` when open day and night.
    capacity_vehicles
        Vehicles a staging area holds at once.
    discharge_rate_vph, berths, stands
        Reception: vehicles discharged per hour per berth (or stand), and how many.
    marshalling_capacity_vehicles, marshalling_area_m2
        Reception: what the marshalling area holds at once, in vehicles or in m² of parked
        vehicles (the vehicle count when both are given).
    ramp_tracks, ramp_type, loading_rate_wagons_per_h, usable_length_m
        Rail quay: loading tracks, ramp type (end, side, combined), rate and usable length.
    attrs
        Every attribute of the site as the overlay gave it (for popups and checks).
    """

    id: str
    name: str = ""
    kind: str = ""
    node_road: int = -1
    node_rail: int = -1
    hours: str | None = None
    capacity_vehicles: float | None = None
    discharge_rate_vph: float | None = None
    berths: float | None = None
    stands: float | None = None
    marshalling_capacity_vehicles: float | None = None
    marshalling_area_m2: float | None = None
    ramp_tracks: float | None = None
    ramp_type: str | None = None
    loading_rate_wagons_per_h: float | None = None
    usable_length_m: float | None = None
    attrs: Mapping[str, object] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_attrs(cls, sid: str, attrs: Mapping[str, object]) -> Site:
        """Read a site from its attributes (a row of ``network.sites`` as a mapping).

        Missing, NaN and empty values become ``None``; working hours of
        :data:`ALWAYS_OPEN` become ``None`` too.
        """
        hours = _text(attrs.get("hours"))
        return cls(
            id=str(sid),
            name=_text(attrs.get("name")) or "",
            kind=_text(attrs.get("kind")) or "",
            node_road=int(as_float(attrs.get("node_road"), -1.0)),
            node_rail=int(as_float(attrs.get("node_rail"), -1.0)),
            hours=None if hours == ALWAYS_OPEN else hours,
            capacity_vehicles=_number(attrs.get("capacity_vehicles")),
            discharge_rate_vph=_number(attrs.get("discharge_rate_vph")),
            berths=_number(attrs.get("berths")),
            stands=_number(attrs.get("stands")),
            marshalling_capacity_vehicles=_number(attrs.get("marshalling_capacity_vehicles")),
            marshalling_area_m2=_number(attrs.get("marshalling_area_m2")),
            ramp_tracks=_number(attrs.get("ramp_tracks")),
            ramp_type=_text(attrs.get("ramp_type")),
            loading_rate_wagons_per_h=_number(attrs.get("loading_rate_wagons_per_h")),
            usable_length_m=_number(attrs.get("usable_length_m")),
            attrs=dict(attrs),
        )

    @property
    def on_road(self) -> bool:
        """Whether the site is on the road network."""
        return self.node_road >= 0

    @property
    def on_rail(self) -> bool:
        """Whether the site is on the rail network."""
        return self.node_rail >= 0


def site_records(network: Network) -> dict[str, Site]:
    """Every site of ``network`` as a :class:`Site`, by id (in the frame's order)."""
    sites = network.sites
    if not len(sites):
        return {}
    frame = sites.drop(columns="geometry")
    return {str(sid): Site.from_attrs(str(sid), row.to_dict()) for sid, row in frame.iterrows()}
