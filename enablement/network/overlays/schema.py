"""What a valid overlay layer is: the layer types, their fields, geometries and ranges.

An overlay is a folder (or one GeoPackage) of layers named by their type
(:data:`LAYERS`): point sites (seaports, airports, rail loading quays, staging
areas, convoy support centres, border crossings), bridges, clearances, width
restrictions and closures (points or lines), and road and rail-line attributes
(lines, e.g. from the Flemish Wegenregister or Infrabel). Each type's
:class:`LayerSpec` says which geometries it holds, which fields every feature must
fill and the allowed range of each number. The schema is documented in
``geodata/README.md``; :mod:`.validate` checks a layer against it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

__all__ = ["BRIDGE_FIELDS", "LAYERS", "LINK_MODES", "SITE_KINDS", "SITE_LAYERS", "LayerSpec"]

SITE_KINDS = {
    "seaport": ("road+rail", "road"),
    "airport": ("road",),
    "rail_quay": ("road+rail",),
    "staging_area": ("road", "road+rail"),
    "convoy_support_centre": ("road",),
    "day_harbour": ("road",),
    "rest_area": ("road",),
    "border_crossing": ("road", "rail"),
}
"""Allowed site kinds and the modes each may attach to (the first is the default)."""

BRIDGE_FIELDS = (
    "mlc_wheeled_oneway",
    "mlc_wheeled_twoway",
    "mlc_tracked_oneway",
    "mlc_tracked_twoway",
)
_COMMON = ("id", "source", "illustrative")
_DIRECTIONS = ("both", "forward", "backward")


@dataclass(frozen=True)
class LayerSpec:
    """What a layer type holds.

    Attributes
    ----------
    geometry
        Allowed geometry types.
    required
        Fields every feature must fill.
    ranges
        Numeric fields and their allowed ``[low, high]``.
    text
        Optional text fields.
    site_kind
        For site layers: the kind their features take (``None``: read from ``kind``).
    """

    geometry: tuple[str, ...]
    required: tuple[str, ...]
    ranges: Mapping[str, tuple[float, float]] = field(default_factory=dict)
    text: tuple[str, ...] = ()
    site_kind: str | None = None


_SITE_RANGES = {
    "discharge_rate_vph": (0.0, 10_000.0),
    "berths": (0.0, 1000.0),
    "stands": (0.0, 1000.0),
    "marshalling_capacity_vehicles": (0.0, 1_000_000.0),
    "marshalling_area_m2": (0.0, 100_000_000.0),
    "usable_length_m": (1.0, 5000.0),
    "ramp_tracks": (1.0, 100.0),
    "max_axle_load_t": (1.0, 100.0),
    "loading_rate_wagons_per_h": (0.0, 1000.0),
    "capacity_vehicles": (0.0, 1_000_000.0),
    "accommodation": (0.0, 1_000_000.0),
    "lead_time_days": (0.0, 365.0),
}
_SITE_TEXT = ("name", "kind", "mode", "country", "hours", "ramp_type", "neighbour", "road", "line")
_POINT = ("Point",)
_HOURS = re.compile(r"([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-4]):[0-5]\d")
_POINT_OR_LINE = ("Point", "LineString")


def _site_layer(kind: str | None) -> LayerSpec:
    required = (*_COMMON, "name") if kind else (*_COMMON, "name", "kind", "mode")
    return LayerSpec(_POINT, required, _SITE_RANGES, _SITE_TEXT, kind)


LAYERS: dict[str, LayerSpec] = {
    "sites": _site_layer(None),
    "reception_points": LayerSpec(_POINT, (*_COMMON, "name", "kind"), _SITE_RANGES, _SITE_TEXT),
    "rail_quays": _site_layer("rail_quay"),
    "staging_areas": _site_layer("staging_area"),
    "convoy_support_centres": _site_layer("convoy_support_centre"),
    "day_harbours": _site_layer("day_harbour"),
    "rest_areas": _site_layer("rest_area"),
    "border_crossings": _site_layer("border_crossing"),
    "bridges": LayerSpec(
        _POINT_OR_LINE,
        (*_COMMON, "name", *BRIDGE_FIELDS),
        {
            **dict.fromkeys(BRIDGE_FIELDS, (1.0, 150.0)),
            "max_weight_t": (1.0, 500.0),
            "max_axle_load_t": (1.0, 100.0),
            "length_m": (1.0, 10_000.0),
        },
        ("name", "road", "crosses"),
    ),
    "clearances": LayerSpec(
        _POINT_OR_LINE, (*_COMMON, "maxheight_m"), {"maxheight_m": (1.0, 20.0)}, ("road",)
    ),
    "width_restrictions": LayerSpec(
        _POINT_OR_LINE, (*_COMMON, "maxwidth_m"), {"maxwidth_m": (1.0, 20.0)}, ("road",)
    ),
    "closures": LayerSpec(_POINT_OR_LINE, (*_COMMON, "start"), {}, ("road", "reason", "direction", "end")),
    "roads": LayerSpec(
        ("LineString",),
        _COMMON,
        {
            "lanes": (1.0, 20.0),
            "width_m": (1.0, 100.0),
            "maxspeed_kmh": (5.0, 200.0),
            "maxweight_t": (1.0, 500.0),
            "maxaxleload_t": (1.0, 100.0),
            "maxheight_m": (1.0, 20.0),
            "maxwidth_m": (1.0, 20.0),
        },
        ("highway", "ref", "name", "road_category", "morphology", "direction", "lanes_direction"),
    ),
    "rail_lines": LayerSpec(
        ("LineString",),
        _COMMON,
        {
            "tracks": (1.0, 12.0),
            "electrified": (0.0, 1.0),
            "voltage_v": (0.0, 50_000.0),
            "frequency_hz": (0.0, 60.0),
            "maxspeed_kmh": (5.0, 350.0),
            "maxaxleload_t": (1.0, 40.0),
        },
        (
            "line",
            "gauge_nat",
            "loading_gauge",
            "c70",
            "c400",
            "p70",
            "p400",
            "linecat_f",
            "linecat_p",
            "from_point",
            "to_point",
        ),
    ),
    "links": LayerSpec(
        ("LineString",),
        (*_COMMON, "mode"),
        {"maxspeed_kmh": (5.0, 350.0)},
        ("mode", "name", "ref", "highway", "line"),
    ),
}
"""Layer types an overlay may hold, by the name of their file (``bridges.geojson``) or GeoPackage layer."""

LINK_MODES = ("road", "rail")
"""Modes a ``links`` feature (a road or line the network lacks) may add."""

SITE_LAYERS = tuple(
    name for name, spec in LAYERS.items() if "name" in spec.required and spec.geometry == _POINT
)
"""Site layer types: point layers whose features become the network's sites."""


def _missing(value: object) -> bool:
    """Whether a field value is empty (None, NA, NaT or NaN)."""
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, float | np.floating) and math.isnan(value)
