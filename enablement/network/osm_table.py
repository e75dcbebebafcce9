"""The way table and the tag vocabulary every OpenStreetMap source shares.

A :class:`WayTable` holds highway and railway ways as flat arrays of node ids and
locations plus one tag set per distinct combination of the tags read, so memory
grows with the roads and railways kept and no Python object is made per node. The
rules here say which tags are read (:data:`ROAD_TAGS`, :data:`RAIL_TAGS`,
:data:`TEXT_TAGS`), which ways are road or rail, and which objects are rail
features (yards, platforms, loading ramps); :class:`BuildReport` collects what the
reading and the build counted.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import tags as osm_tags

__all__ = [
    "DEFAULT_HIGHWAYS",
    "JUNCTION_TAG",
    "RAIL_TAGS",
    "RAIL_VALUES",
    "ROAD_TAGS",
    "TEXT_TAGS",
    "BuildReport",
    "WayTable",
]

DEFAULT_HIGHWAYS = (
    "motorway",
    "motorway_link",
    "trunk",
    "trunk_link",
    "primary",
    "primary_link",
    "secondary",
    "secondary_link",
    "tertiary",
    "tertiary_link",
    "unclassified",
)
"""Road classes kept by default (motorway…unclassified and their links; no service, no track)."""

RAIL_VALUES = ("rail",)

# tag -> (column, parser); each parsed column keeps `<column>_raw` and `<column>_src`
ROAD_TAGS: dict[str, tuple[str, Callable[[str], tuple[float, bool]]]] = {
    "maxspeed": ("maxspeed_kmh", osm_tags.parse_speed_kmh),
    "lanes": ("lanes", osm_tags.parse_int),
    "width": ("width_m", osm_tags.parse_length_m),
    "maxweight": ("maxweight_tag_t", osm_tags.parse_weight_t),
    "maxweightrating:hgv": ("maxweightrating_hgv_t", osm_tags.parse_weight_t),
    "maxaxleload": ("maxaxleload_t", osm_tags.parse_weight_t),
    "maxheight": ("maxheight_m", osm_tags.parse_length_m),
    "maxwidth": ("maxwidth_m", osm_tags.parse_length_m),
    "maxlength": ("maxlength_m", osm_tags.parse_length_m),
    "bridge": ("bridge", osm_tags.parse_bool),
    "tunnel": ("tunnel", osm_tags.parse_bool),
    "layer": ("layer", osm_tags.parse_int),
    "mlc": ("mlc", osm_tags.parse_mlc),
    "mlc:wheeled": ("mlc_wheeled", osm_tags.parse_mlc),
    "mlc:tracked": ("mlc_tracked", osm_tags.parse_mlc),
    "mlc:oneway": ("mlc_oneway", osm_tags.parse_mlc),
}
RAIL_TAGS: dict[str, tuple[str, Callable[[str], tuple[float, bool]]]] = {
    "maxspeed": ("maxspeed_kmh", osm_tags.parse_speed_kmh),
    "electrified": ("electrified", osm_tags.parse_bool),
    "voltage": ("voltage_v", osm_tags.parse_int),
    "frequency": (
        "frequency_hz",
        lambda s: (float(s), True) if s.replace(".", "", 1).isdigit() else (math.nan, False),
    ),
    "gauge": ("gauge_mm", osm_tags.parse_int),
    "tracks": ("tracks", osm_tags.parse_int),
    "maxaxleload": ("maxaxleload_t", osm_tags.parse_weight_t),
    "bridge": ("bridge", osm_tags.parse_bool),
    "tunnel": ("tunnel", osm_tags.parse_bool),
}
TEXT_TAGS = (
    "highway",
    "railway",
    "name",
    "ref",
    "oneway",
    "junction",
    "hgv",
    "usage",
    "service",
    "railway:track_class",
    "loading_gauge",
    "railway:loading_gauge",
)


@dataclass
class WayTable:
    """Highway and railway ways as flat arrays (no Python object per way or node).

    Attributes
    ----------
    way_id
        OSM way id per row (int64). A way split around missing nodes gives several rows.
    tagset
        Row's index into ``tagsets`` (int32): ways with the same relevant tags share one.
    offsets
        Row ``i`` holds nodes ``offsets[i]:offsets[i + 1]`` of ``refs``/``lon``/``lat``.
    refs, lon, lat
        Node ids and locations (degrees, NaN where the data lacks the node).
    tagsets
        Distinct tag dictionaries (only the keys the build reads).
    modes
        ``"road"`` or ``"rail"`` per tag set.
    junctions
        ``(ref, name)`` of each named motorway junction (:data:`JUNCTION_TAG`), by the
        node id used in ``refs``; either may be ``""``.
    """

    way_id: np.ndarray
    tagset: np.ndarray
    offsets: np.ndarray
    refs: np.ndarray
    lon: np.ndarray
    lat: np.ndarray
    tagsets: list[dict[str, str]]
    modes: list[str]
    junctions: dict[int, tuple[str, str]] = field(default_factory=dict)

    def __len__(self) -> int:
        return int(self.way_id.size)

    def tags(self, row: int) -> dict[str, str]:
        """Tags of one row."""
        return self.tagsets[int(self.tagset[row])]

    def nodes(self, row: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(refs, lon, lat)`` of one row."""
        a, b = int(self.offsets[row]), int(self.offsets[row + 1])
        return self.refs[a:b], self.lon[a:b], self.lat[a:b]


@dataclass
class BuildReport:
    """What the build read, repaired and could not parse.

    Attributes
    ----------
    ways_read
        Highway and railway ways kept, by mode.
    missing_nodes
        Node references without a location (trimmed).
    ways_trimmed
        Ways shortened or split because some of their nodes were missing.
    ways_dropped
        Ways left with fewer than two known nodes.
    unparsed
        Tag values that could not be parsed, by tag.
    features
        Other rail features counted (yards, platforms, ramps).
    seconds
        Time per step.
    """

    ways_read: Counter[str] = field(default_factory=Counter)
    missing_nodes: int = 0
    ways_trimmed: int = 0
    ways_dropped: int = 0
    unparsed: Counter[str] = field(default_factory=Counter)
    features: Counter[str] = field(default_factory=Counter)
    seconds: dict[str, float] = field(default_factory=dict)
    merged_nodes: int | None = None
    """Pass-through nodes removed by simplification (None when not simplified)."""
    feature_points: list[tuple[str, str, int, float, float, str]] = field(default_factory=list)
    """(kind, OSM type, OSM id, lon, lat, name) of yards, platforms and loading ramps."""

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON-ready form."""
        return {
            "ways_read": dict(self.ways_read),
            "missing_nodes": self.missing_nodes,
            "ways_trimmed": self.ways_trimmed,
            "ways_dropped": self.ways_dropped,
            "unparsed": dict(self.unparsed),
            "features": dict(self.features),
            "seconds": {k: round(v, 3) for k, v in self.seconds.items()},
            **({} if self.merged_nodes is None else {"merged_nodes": self.merged_nodes}),
        }


def _mode(tags: dict[str, str], highways: Sequence[str], rail: bool) -> str | None:
    if tags.get("highway") in highways and tags.get("area") != "yes":
        return "road"
    if rail and tags.get("railway") in RAIL_VALUES:
        return "rail"
    return None


def _feature_kinds(tags: dict[str, str]) -> list[str]:
    """Feature kinds of an object: ``rail_yard``, ``platform`` (rail only), ``loading_ramp``, ``rest_area``.

    A motorway rest area or service area (``highway=rest_area`` or ``services``) is a place
    where columns halt (:func:`~enablement.scheduling.march.halt_places`).
    """
    kinds = []
    if tags.get("highway") in ("rest_area", "services"):
        kinds.append("rest_area")
    if tags.get("landuse") == "railway" or (tags.get("railway") == "rail" and tags.get("service") == "yard"):
        kinds.append("rail_yard")
    if tags.get("railway") == "platform" or (
        tags.get("public_transport") == "platform" and tags.get("train") == "yes"
    ):
        kinds.append("platform")  # bus and tram platforms are not rail platforms
    if _is_loading_ramp(tags):
        kinds.append("loading_ramp")
    return kinds


def _record_features(
    kinds: list[str],
    tags: dict[str, str],
    osm_type: str,
    osm_id: int,
    lons: np.ndarray,
    lats: np.ndarray,
    report: BuildReport,
) -> None:
    """Count features and keep their position (the mean of the known node locations)."""
    ok = ~np.isnan(lons)
    for kind in kinds:
        report.features[kind] += 1
        if ok.any():
            lon, lat = float(lons[ok].mean()), float(lats[ok].mean())
            report.feature_points.append((kind, osm_type, osm_id, lon, lat, tags.get("name", "")))


_FEATURE_TAGS = (
    ("landuse", "railway"),
    ("railway", "platform"),
    ("public_transport", "platform"),
    ("railway", "loading_ramp"),
    ("railway", "ramp"),
    ("railway:loading_ramp", "yes"),
    ("railway:loading_ramp", "end"),
    ("railway:loading_ramp", "side"),
    ("military", "loading_ramp"),
    ("highway", "rest_area"),
    ("highway", "services"),
)
"""Tags of the features kept as points (yards, platforms, loading ramps, rest and service areas), as in
:func:`_feature_kinds`."""

JUNCTION_TAG = ("highway", "motorway_junction")
"""Tag of a motorway junction node (exit); its ``ref`` (or ``junction:ref``) and ``name`` name the node."""

_KEPT_KEYS = frozenset(
    {"highway", "railway", "area", "landuse", "public_transport", "train", "military", "ramp", "name"}
    | set(TEXT_TAGS)
    | set(ROAD_TAGS)
    | set(RAIL_TAGS)
)
"""Tag keys the build reads; a way's other tags are dropped as it is read."""

_NODE_KEYS = _KEPT_KEYS | {"junction:ref"}
"""Tag keys read from tagged nodes (features and motorway junctions)."""

_COLUMN_KEYS = {
    "road": frozenset(TEXT_TAGS) | frozenset(ROAD_TAGS),
    "rail": frozenset(TEXT_TAGS) | frozenset(RAIL_TAGS),
}
"""Tag keys that become edge columns, per mode: what must match for two edges to merge."""


def _way_tags(highways: Iterable[str], rail: bool) -> list[tuple[str, str]]:
    """Exact tags of the ways worth reading: the road classes, rail and the feature tags.

    Given to pyosmium's ``TagFilter`` so that the rest of the file (footways,
    buildings, tracks not asked for) never leaves libosmium.
    """
    out = [("highway", h) for h in sorted(set(highways))]
    if rail:
        out.append(("railway", "rail"))
    return out + list(_FEATURE_TAGS)


def _junction_label(tags: dict[str, str]) -> tuple[str, str] | None:
    """``(ref, name)`` of a motorway junction node, or None for other nodes and unnamed junctions.

    The exit number is ``ref``, else ``junction:ref``; values are stripped, ``""`` where absent.
    """
    if tags.get(JUNCTION_TAG[0]) != JUNCTION_TAG[1]:
        return None
    ref = (tags.get("ref") or tags.get("junction:ref") or "").strip()
    name = tags.get("name", "").strip()
    return (ref, name) if ref or name else None


def _is_loading_ramp(tags: dict[str, str]) -> bool:
    """Tagging variants of freight/military loading ramps (see geodata/README.md)."""
    return (
        tags.get("railway") in ("loading_ramp", "ramp")
        or tags.get("railway:loading_ramp") in ("yes", "end", "side")
        or (tags.get("railway") == "platform" and tags.get("ramp") == "yes")
        or tags.get("military") == "loading_ramp"
    )
