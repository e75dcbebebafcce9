"""Overlays: IGN-style geodata layers validated, then conflated onto a network.

An overlay is a folder (or one GeoPackage) of layers named by their type
(:data:`LAYERS`): point sites (seaports, airports, rail loading quays, staging
areas, convoy support centres, border crossings), bridges, clearances, width
restrictions and closures (points or lines), and road attributes (lines, e.g.
from the Flemish Wegenregister). Layers may be GeoJSON, GeoPackage or Shapefile in
any CRS that names itself; they are reprojected to EPSG:3812. An optional
``overlay.yaml`` maps a user's own files, layers, field names and values onto this
schema. The schema is documented in ``geodata/README.md``.

Every problem in every layer (missing fields, wrong or invalid geometries, no
CRS, out-of-range values) is collected and reported at once
(:class:`~enablement.errors.OverlayError`), and nothing is applied unless the
whole overlay is valid. :func:`conflate` then matches features to edges (see
:mod:`enablement.network.conflation`), splits edges where a feature covers only
part of one, writes attributes with their provenance (``<column>_src``:
overlay > OSM tag > default) and returns a :class:`ConflationReport`.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import math
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
import yaml
from scipy.spatial import cKDTree

from .._io import write_with_atomic
from ..defaults import figure
from ..errors import NetworkError, OverlayError
from .conflation import FeatureMatch, match_lines, match_points, split_edges
from .model import CRS, Network, with_transfer_edges

__all__ = [
    "BRIDGE_FIELDS",
    "LAYERS",
    "SITE_KINDS",
    "ConflationReport",
    "LayerSpec",
    "Overlay",
    "apply_overlay",
    "conflate",
    "layer_overlay",
    "overlay_path",
    "read_overlay",
]

logger = logging.getLogger(__name__)

SITE_KINDS = {
    "seaport": ("road+rail", "road"),
    "airport": ("road",),
    "rail_quay": ("road+rail",),
    "staging_area": ("road", "road+rail"),
    "convoy_support_centre": ("road",),
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
    "staging_capacity_vehicles": (0.0, 1_000_000.0),
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
}
"""Layer types an overlay may hold, by the name of their file (``bridges.geojson``) or GeoPackage layer."""

SITE_LAYERS = tuple(
    name for name, spec in LAYERS.items() if "name" in spec.required and spec.geometry == _POINT
)
_EXTENSIONS = (".geojson", ".json", ".gpkg", ".shp")

# What each restriction layer writes on the edges it matches: overlay field -> edge column
_WRITES: dict[str, dict[str, str]] = {
    "roads": {
        "highway": "highway",
        "lanes": "lanes",
        "width_m": "width_m",
        "ref": "ref",
        "name": "name",
        "road_category": "road_category",
        "morphology": "morphology",
        "maxspeed_kmh": "maxspeed_kmh",
        "maxweight_t": "maxweight_t",
        "maxaxleload_t": "maxaxleload_t",
        "maxheight_m": "maxheight_m",
        "maxwidth_m": "maxwidth_m",
    },
    "rail_lines": {
        # every attribute of the layer (the section's end points only describe it)
        **{
            f: f
            for f in (*LAYERS["rail_lines"].ranges, *LAYERS["rail_lines"].text)
            if not f.endswith("_point")
        },
        "id": "rail_section_id",
    },
    "clearances": {"maxheight_m": "maxheight_m", "id": "clearance_id"},
    "width_restrictions": {"maxwidth_m": "maxwidth_m", "id": "width_restriction_id"},
    "bridges": {
        **{f: f for f in BRIDGE_FIELDS},
        "max_weight_t": "maxweight_t",
        "max_axle_load_t": "maxaxleload_t",
        "id": "bridge_id",
    },
}
_ORDER = ("rail_lines", "roads", "clearances", "width_restrictions", "bridges", "closures")
"""Order of application: later layers override earlier ones on the same edge."""


@dataclass
class Overlay:
    """A validated overlay, in EPSG:3812.

    Attributes
    ----------
    name
        The overlay's name or folder.
    sites
        Point sites of every site layer, indexed by id (``kind`` filled in).
    bridges
        Bridges indexed by id (may be empty).
    layers
        The other layers by type (clearances, width restrictions, closures, roads,
        rail lines).
    features
        Points added to the network's ``features`` layer (e.g. Infrabel
        operational points: candidate rail sites), or ``None``.
    attribution
        Credits the data's licence asks for (added to the network's attribution).
    """

    name: str
    sites: gpd.GeoDataFrame
    bridges: gpd.GeoDataFrame
    layers: dict[str, gpd.GeoDataFrame] = field(default_factory=dict)
    features: gpd.GeoDataFrame | None = None
    attribution: tuple[str, ...] = ()

    def layer(self, name: str) -> gpd.GeoDataFrame:
        """Return a layer by type (empty when the overlay has none)."""
        if name == "sites":
            return self.sites
        if name == "bridges":
            return self.bridges
        return self.layers.get(name, _empty())

    @classmethod
    def merge(cls, overlays: list[Overlay]) -> Overlay:
        """One overlay holding every layer of ``overlays`` (ids must stay unique per layer)."""
        names = {n for o in overlays for n in o.layers}
        problems = []
        merged = {}
        for name in ("sites", "bridges", *sorted(names)):
            parts = [o.layer(name) for o in overlays if len(o.layer(name))]
            frame = gpd.GeoDataFrame(pd.concat(parts), crs=CRS) if parts else _empty()
            dup = frame.index[frame.index.duplicated()].unique().tolist() if len(frame) else []
            problems += [f"{name}: id '{d}' is defined by more than one overlay" for d in dup]
            merged[name] = frame
        if problems:
            raise OverlayError("overlays clash:\n" + "\n".join(f"  - {p}" for p in problems))
        feats = [o.features for o in overlays if o.features is not None and len(o.features)]
        return cls(
            "+".join(o.name for o in overlays),
            merged.pop("sites"),
            merged.pop("bridges"),
            merged,
            gpd.GeoDataFrame(pd.concat(feats, ignore_index=True), crs=CRS) if feats else None,
            tuple(dict.fromkeys(a for o in overlays for a in o.attribution)),
        )


def _empty() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"id": pd.Series([], dtype=object)}, geometry=[], crs=CRS).set_index(
        "id", drop=False
    )


def layer_overlay(
    name: str,
    kind: str,
    layer: gpd.GeoDataFrame,
    *,
    features: gpd.GeoDataFrame | None = None,
    attribution: str = "",
) -> Overlay:
    """Wrap one layer read by an importer (Wegenregister ``roads``, Infrabel ``rail_lines``) as an overlay.

    The layer is checked against its type's schema like any file layer; problems
    raise :class:`~enablement.errors.OverlayError`. ``features`` (points such as
    Infrabel operational points) are added to the network's ``features`` layer.
    """
    if kind not in LAYERS or kind in SITE_LAYERS or kind == "bridges":
        msg = f"layer_overlay: '{kind}' is not a line-attribute layer type"
        raise OverlayError(msg)
    problems: list[str] = []
    src = _Source(Path(name))
    gdf = layer.to_crs(CRS).copy()
    spec = LAYERS[kind]
    _check_geometry(src, gdf, spec, problems)
    _check_fields(src, gdf, spec, problems)
    _check_direction(src, gdf, problems)
    if problems:
        raise OverlayError(
            f"{len(problems)} problem(s) in {name}:\n" + "\n".join(f"  - {p}" for p in problems)
        )
    extra = features.to_crs(CRS) if features is not None else None
    credit = (attribution,) if attribution else ()
    return Overlay(name, _empty(), _empty(), {kind: gdf.set_index("id", drop=False)}, extra, credit)


def overlay_path(name: str | os.PathLike[str]) -> Path:
    """Folder (or GeoPackage) of an overlay: a packaged overlay name (``"belgium"``) or a path."""
    text = str(name)
    candidate = Path(text)
    if candidate.is_dir() or (candidate.is_file() and candidate.suffix.lower() == ".gpkg"):
        return candidate
    packaged = resources.files("enablement.geodata") / text
    if packaged.is_dir():
        return Path(str(packaged))
    folders = resources.files("enablement.geodata").iterdir()
    known = sorted(p.name for p in folders if p.is_dir() and not p.name.startswith("_"))
    msg = (
        f"overlay '{text}' is neither a folder, a GeoPackage nor a packaged overlay; "
        f"packaged overlays: {', '.join(known) or 'none'}"
    )
    raise OverlayError(msg)


# --------------------------------------------------------------------------- mapping


@dataclass(frozen=True)
class _Source:
    """Where one layer type comes from and how its fields are named."""

    path: Path
    layer: str | None = None
    fields: Mapping[str, str] = field(default_factory=dict)
    values: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    defaults: Mapping[str, Any] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return f"{self.path}" + (f" (layer {self.layer})" if self.layer else "")


def _read_mapping(path: Path, folder: Path, problems: list[str]) -> dict[str, _Source]:
    """Layer sources declared by a mapping file (``overlay.yaml``)."""
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        problems.append(f"{path}: cannot be read as YAML ({exc})")
        return {}
    if not isinstance(doc, dict) or not isinstance(doc.get("layers", {}), dict):
        problems.append(f"{path}: expected a mapping with 'layers: {{<type>: {{file, layer, fields}}}}'")
        return {}
    out = {}
    for kind, spec in (doc.get("layers") or {}).items():
        where = f"{path}: layers.{kind}"
        if kind not in LAYERS:
            problems.append(f"{where}: unknown layer type; use one of {', '.join(LAYERS)}")
            continue
        if not isinstance(spec, dict) or "file" not in spec:
            problems.append(f"{where}: needs 'file' (a file in {folder} or an absolute path)")
            continue
        unknown = set(spec) - {"file", "layer", "fields", "values", "defaults"}
        if unknown:
            problems.append(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
        fields = spec.get("fields") or {}
        if not isinstance(fields, dict) or not all(isinstance(v, str) for v in fields.values()):
            problems.append(f"{where}.fields: map their field names to ours ({{their_name: our_name}})")
            fields = {}
        file = Path(str(spec["file"]))
        file = file if file.is_absolute() else folder / file
        if not file.exists():
            problems.append(f"{where}.file: {file} does not exist")
            continue
        out[kind] = _Source(
            file,
            spec.get("layer"),
            {str(k): v for k, v in fields.items()},
            spec.get("values") or {},
            spec.get("defaults") or {},
        )
    return out


def _discover(folder: Path, mapping: Path | None, problems: list[str]) -> dict[str, _Source]:
    """Layer sources of an overlay folder or GeoPackage, by file or layer name, then the mapping file."""
    sources: dict[str, _Source] = {}
    if folder.is_file():
        for layer, _geom in pyogrio.list_layers(folder):
            if layer in LAYERS:
                sources[layer] = _Source(folder, layer)
        return sources
    for kind in LAYERS:
        for ext in _EXTENSIONS:
            path = folder / f"{kind}{ext}"
            if path.exists():
                sources[kind] = _Source(path)
                break
    for gpkg in sorted(folder.glob("*.gpkg")):
        if gpkg.stem in LAYERS:
            continue
        for layer, _geom in pyogrio.list_layers(gpkg):
            if layer in LAYERS and layer not in sources:
                sources[layer] = _Source(gpkg, layer)
    mapping = mapping or (folder / "overlay.yaml" if (folder / "overlay.yaml").exists() else None)
    if mapping is not None:
        sources.update(_read_mapping(Path(mapping), folder, problems))
    return sources


# --------------------------------------------------------------------------- validation


def _missing(value: object) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, float | np.floating) and math.isnan(value)


def _read_layer(src: _Source, problems: list[str]) -> gpd.GeoDataFrame | None:
    try:
        gdf = gpd.read_file(src.path, layer=src.layer, engine="pyogrio")
    except Exception as exc:  # noqa: BLE001 - GDAL raises many types; report them all the same way
        problems.append(f"{src.label}: cannot be read as a vector layer ({exc})")
        return None
    if gdf.crs is None:
        problems.append(f"{src.label}: no CRS; write the layer with its CRS (e.g. EPSG:4326, EPSG:31370)")
        return None
    try:
        gdf = gdf.to_crs(CRS)
    except Exception as exc:  # noqa: BLE001 - pyproj raises several types for unusable CRSs
        problems.append(f"{src.label}: its CRS cannot be transformed to {CRS} ({exc})")
        return None
    gdf = gdf.rename(columns=dict(src.fields))
    for col, table in src.values.items():
        if col in gdf.columns and isinstance(table, dict):
            gdf[col] = gdf[col].map(lambda v, t=table: t.get(v, t.get(str(v), v)))
    for col, value in src.defaults.items():
        if col not in gdf.columns:
            gdf[col] = value
        else:
            gdf[col] = gdf[col].where(gdf[col].notna(), value)
    return gdf


def _label(src: _Source, gdf: gpd.GeoDataFrame, i: int) -> str:
    fid = gdf["id"].iloc[i] if "id" in gdf.columns and not _missing(gdf["id"].iloc[i]) else None
    return f"{src.label}: feature {i}" + (f" ({fid})" if fid is not None else "")


def _check_geometry(src: _Source, gdf: gpd.GeoDataFrame, spec: LayerSpec, problems: list[str]) -> None:
    geoms = gdf.geometry.to_numpy()
    fixed = []
    for i, raw in enumerate(geoms):
        geom = raw
        where = _label(src, gdf, i)
        if geom is None or geom.is_empty:
            problems.append(f"{where}: geometry: empty; give it a {' or '.join(spec.geometry)}")
            fixed.append(geom)
            continue
        if geom.geom_type == "MultiLineString" and "LineString" in spec.geometry:
            merged = shapely.line_merge(geom)
            geom = merged if merged.geom_type == "LineString" else geom
        if geom.geom_type not in spec.geometry:
            problems.append(
                f"{where}: geometry: {geom.geom_type}; this layer holds {' or '.join(spec.geometry)}"
                + (
                    " (split a multi-part line into one feature per part)"
                    if geom.geom_type.startswith("Multi")
                    else ""
                )
            )
        elif not np.isfinite(shapely.get_coordinates(geom)).all() or not geom.is_valid:
            problems.append(f"{where}: geometry: invalid coordinates")
        elif geom.geom_type == "LineString" and geom.length == 0:
            problems.append(f"{where}: geometry: zero-length line")
        fixed.append(geom)
    gdf.set_geometry(gpd.GeoSeries(fixed, index=gdf.index, crs=gdf.crs), inplace=True)


def _check_fields(src: _Source, gdf: gpd.GeoDataFrame, spec: LayerSpec, problems: list[str]) -> None:
    missing = [f for f in spec.required if f not in gdf.columns]
    if missing:
        problems.append(
            f"{src.label}: missing required field(s) {', '.join(missing)}; add them or map your field "
            "names onto these in overlay.yaml"
        )
    for f in spec.required:
        if f in gdf.columns:
            for i in np.flatnonzero(gdf[f].map(_missing).to_numpy()):
                problems.append(f"{_label(src, gdf, int(i))}: field '{f}' is empty")
    for f, (lo, hi) in spec.ranges.items():
        if f not in gdf.columns:
            continue
        values = pd.to_numeric(gdf[f], errors="coerce")
        for i, (raw, val) in enumerate(zip(gdf[f], values, strict=True)):
            if _missing(raw):
                continue
            if not math.isfinite(val) or not (lo <= val <= hi):
                problems.append(
                    f"{_label(src, gdf, i)}: field '{f}' = {raw!r} is out of range [{lo:g}, {hi:g}]"
                )
        gdf[f] = values
    if "illustrative" in gdf.columns:
        flags = gdf["illustrative"].map(_as_bool)
        for i in np.flatnonzero(flags.isna().to_numpy() & ~gdf["illustrative"].map(_missing).to_numpy()):
            problems.append(
                f"{_label(src, gdf, int(i))}: field 'illustrative' = {gdf['illustrative'].iloc[i]!r}; "
                "use true or false"
            )
        gdf["illustrative"] = flags
    if "id" in gdf.columns:
        for d in gdf["id"][gdf["id"].duplicated() & gdf["id"].notna()].unique():
            problems.append(f"{src.label}: id '{d}' is used by more than one feature; ids must be unique")
        gdf["id"] = gdf["id"].map(lambda v: v if _missing(v) else str(v))


def _as_bool(value: object) -> bool | None:
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | float | np.integer | np.floating) and not _missing(value):
        return bool(value) if value in (0, 1) else None
    if isinstance(value, str) and value.strip().lower() in {"true", "yes", "1", "false", "no", "0"}:
        return value.strip().lower() in {"true", "yes", "1"}
    return None


def _check_sites(src: _Source, gdf: gpd.GeoDataFrame, spec: LayerSpec, problems: list[str]) -> None:
    if spec.site_kind is not None:
        gdf["kind"] = spec.site_kind
    if "kind" not in gdf.columns:
        return
    allowed = (
        ("seaport", "airport") if src.layer == "reception_points" or "reception" in src.path.stem else None
    )
    if "mode" not in gdf.columns:
        gdf["mode"] = None
    for col, ok, hint in (
        ("ramp_type", lambda v: v in ("end", "side", "combined"), "use end, side or combined"),
        ("hours", lambda v: bool(_HOURS.fullmatch(str(v))), "write HH:MM-HH:MM (00:00-24:00 all day)"),
    ):
        if col in gdf.columns:
            for i, v in enumerate(gdf[col]):
                if not _missing(v) and not ok(v):
                    problems.append(f"{_label(src, gdf, i)}: field '{col}' = {v!r}; {hint}")
    for i, kind in enumerate(gdf["kind"]):
        where = _label(src, gdf, i)
        if kind not in SITE_KINDS or (allowed and kind not in allowed):
            choices = allowed or tuple(SITE_KINDS)
            problems.append(f"{where}: field 'kind' = {kind!r} is unknown; use one of {', '.join(choices)}")
            continue
        mode = gdf["mode"].iloc[i]
        if _missing(mode):
            gdf.loc[gdf.index[i], "mode"] = SITE_KINDS[kind][0]
        elif mode not in SITE_KINDS[kind]:
            problems.append(
                f"{where}: field 'mode' = {mode!r} is not allowed for a {kind}; "
                f"use {' or '.join(SITE_KINDS[kind])}"
            )


def _check_bridges(src: _Source, gdf: gpd.GeoDataFrame, problems: list[str]) -> None:
    if not set(BRIDGE_FIELDS) <= set(gdf.columns):
        return
    for kind in ("wheeled", "tracked"):
        one = pd.to_numeric(gdf[f"mlc_{kind}_oneway"], errors="coerce")
        two = pd.to_numeric(gdf[f"mlc_{kind}_twoway"], errors="coerce")
        for i in np.flatnonzero((two > one).to_numpy()):
            problems.append(
                f"{_label(src, gdf, int(i))}: mlc_{kind}_twoway ({two.iloc[i]:g}) exceeds "
                f"mlc_{kind}_oneway ({one.iloc[i]:g}); the two-way class is the lower one"
            )


def _parse_time(value: object) -> pd.Timestamp | None:
    if _missing(value) or value == "":
        return None
    if isinstance(value, datetime | pd.Timestamp):
        ts = pd.Timestamp(value)
    else:
        try:
            ts = pd.Timestamp(str(value))
        except ValueError:
            return None
    return ts if ts.tzinfo is not None else None


def _shown(value: object) -> str:
    """Show a field value as the user wrote it (GDAL may have parsed a date-time already)."""
    if isinstance(value, datetime | pd.Timestamp):
        return repr(value.isoformat())
    return repr(value)


def _check_closures(src: _Source, gdf: gpd.GeoDataFrame, problems: list[str]) -> None:
    for col in ("start", "end"):
        if col not in gdf.columns:
            gdf[col] = None
    starts, ends = [], []
    for i, (a, b) in enumerate(zip(gdf["start"], gdf["end"], strict=True)):
        where = _label(src, gdf, i)
        sa, sb = _parse_time(a), _parse_time(b)
        if not _missing(a) and sa is None:
            problems.append(
                f"{where}: field 'start' = {_shown(a)}; give an ISO date-time with its offset "
                "(2026-03-02T06:00:00+01:00)"
            )
        if not _missing(b) and b != "" and sb is None:
            problems.append(
                f"{where}: field 'end' = {_shown(b)}; give an ISO date-time with its offset, "
                "or leave it empty"
            )
        if sa is not None and sb is not None and sb <= sa:
            problems.append(f"{where}: field 'end' ({_shown(b)}) is not after 'start' ({_shown(a)})")
        starts.append(None if sa is None else sa.isoformat())
        ends.append(None if sb is None else sb.isoformat())
    gdf["start"] = pd.Series(starts, index=gdf.index, dtype=object)
    gdf["end"] = pd.Series(ends, index=gdf.index, dtype=object)  # None, not NaN, for open-ended


def _check_direction(src: _Source, gdf: gpd.GeoDataFrame, problems: list[str]) -> None:
    for col in ("direction", "lanes_direction"):
        if col not in gdf.columns:
            continue
        for i, val in enumerate(gdf[col]):
            if not _missing(val) and val not in _DIRECTIONS:
                problems.append(
                    f"{_label(src, gdf, i)}: field '{col}' = {val!r}; use one of {', '.join(_DIRECTIONS)}"
                )


def read_overlay(
    name: str | os.PathLike[str] = "belgium", *, mapping: str | os.PathLike[str] | None = None
) -> Overlay:
    """Read and validate an overlay.

    Parameters
    ----------
    name
        A packaged overlay name, a folder of layer files, or a GeoPackage whose
        layers are named by type.
    mapping
        A mapping file (default: ``overlay.yaml`` in the folder when present)
        naming, per layer type, its ``file`` (and GeoPackage ``layer``), ``fields``
        (their name → ours), ``values`` (per field, their value → ours) and
        ``defaults`` (values for fields a layer lacks, e.g. ``source``).

    Returns
    -------
    Overlay
        Every layer in EPSG:3812.

    Raises
    ------
    OverlayError
        With every problem found in the overlay's layers; nothing is returned
        unless all of them are valid.
    """
    folder = overlay_path(name)
    problems: list[str] = []
    sources = _discover(folder, Path(mapping) if mapping else None, problems)
    if not sources and not problems:
        msg = (
            f"{folder}: holds no overlay layer; name files or GeoPackage layers after their type "
            f"({', '.join(LAYERS)}) or map them in overlay.yaml"
        )
        raise OverlayError(msg)
    frames: dict[str, gpd.GeoDataFrame] = {}
    for kind, src in sources.items():
        spec = LAYERS[kind]
        gdf = _read_layer(src, problems)
        if gdf is None:
            continue
        _check_geometry(src, gdf, spec, problems)
        _check_fields(src, gdf, spec, problems)
        _check_direction(src, gdf, problems)
        if kind in SITE_LAYERS:
            _check_sites(src, gdf, spec, problems)
        elif kind == "bridges":
            _check_bridges(src, gdf, problems)
        elif kind == "closures":
            _check_closures(src, gdf, problems)
        frames[kind] = gdf
    site_ids = {k: set(frames[k]["id"].dropna()) for k in SITE_LAYERS if k in frames and "id" in frames[k]}
    sites = [frames.pop(k) for k in SITE_LAYERS if k in frames]
    site_frame = gpd.GeoDataFrame(pd.concat(sites, ignore_index=True), crs=CRS) if sites else None
    seen: dict[str, str] = {}
    for kind in SITE_LAYERS:
        if kind in sources and kind in site_ids:
            for sid in site_ids[kind]:
                if sid in seen:
                    problems.append(f"{folder}: site id '{sid}' is used in both {seen[sid]} and {kind}")
                seen.setdefault(sid, kind)
    if problems:
        n = len(problems)
        raise OverlayError(
            f"{n} problem{'s' if n > 1 else ''} in overlay '{name}':\n"
            + "\n".join(f"  - {p}" for p in problems)
        )
    by_id = {k: v.set_index("id", drop=False) for k, v in frames.items()}
    return Overlay(
        str(name),
        site_frame.set_index("id", drop=False) if site_frame is not None else _empty(),
        by_id.pop("bridges", _empty()),
        by_id,
    )


# --------------------------------------------------------------------------- conflation


@dataclass
class ConflationReport:
    """What happened to every conflated feature.

    Attributes
    ----------
    table
        One row per feature: ``layer``, ``id``, ``status`` (``matched``,
        ``ambiguous``, ``unmatched``), ``reason``, ``edges`` (number of network
        edges given its attributes), ``edge_rows`` (their rows, ``;``-separated),
        ``distance_m``, ``share`` (of a line's length along the network) and the
        feature's geometry (EPSG:3812).
    """

    table: gpd.GeoDataFrame

    def counts(self) -> dict[str, dict[str, int]]:
        """Features per layer and status."""
        out: dict[str, dict[str, int]] = {}
        for (layer, status), n in self.table.groupby(["layer", "status"]).size().items():
            out.setdefault(str(layer), {})[str(status)] = int(n)
        return out

    def problems(
        self, layers: tuple[str, ...] = ("bridges", "clearances", "width_restrictions", "closures")
    ) -> list[str]:
        """One line per ambiguous or unmatched feature of ``layers``."""
        bad = self.table[self.table["layer"].isin(layers) & (self.table["status"] != "matched")]
        return [f"{r.layer} '{r.id}' is {r.status}: {r.reason}" for r in bad.itertuples()]

    def write(self, folder: str | os.PathLike[str]) -> dict[str, Path]:
        """Write ``conflation.csv`` and ``conflation.geojson`` (EPSG:4326) atomically."""
        out = Path(folder)
        csv = write_with_atomic(
            out / "conflation.csv", lambda p: self.table.drop(columns="geometry").to_csv(p, index=False)
        )
        gj = write_with_atomic(
            out / "conflation.geojson",
            lambda p: self.table.to_crs(4326).to_file(p, driver="GeoJSON", engine="pyogrio"),
        )
        return {"conflation_csv": csv, "conflation_geojson": gj}


def _matches(
    layer: str,
    gdf: gpd.GeoDataFrame,
    road: gpd.GeoDataFrame,
    point_tol: float,
    line_tol: float,
    main_only: bool = False,
) -> list[FeatureMatch]:
    """Match a layer's features (points and lines separately) to road edges."""
    geoms = gdf.geometry
    is_point = (geoms.geom_type == "Point").to_numpy()
    results: list[FeatureMatch | None] = [None] * len(gdf)
    if is_point.any():
        idx = np.flatnonzero(is_point)
        half = None
        if layer == "bridges" and "length_m" in gdf.columns:
            half = pd.to_numeric(gdf["length_m"], errors="coerce").to_numpy()[idx] / 2.0
        names = gdf["road"].iloc[idx] if "road" in gdf.columns else None
        for m in match_points(road, geoms.iloc[idx], point_tol, half_length_m=half, road=names):
            m.feature = int(idx[m.feature])
            results[m.feature] = m
    if (~is_point).any():
        col = "lanes_direction" if layer == "roads" and "lanes_direction" in gdf.columns else "direction"
        # road-attribute lines only match edges of a compatible class (a lane count of a
        # local street must not land on the motorway running beside it)
        tiers = (
            gdf["highway"].map(_tier).to_numpy()
            if layer == "roads" and "highway" in gdf.columns
            else np.zeros(len(gdf), np.int64)
        )
        edge_tier = (
            road["highway"].map(_tier).to_numpy()
            if "highway" in road.columns
            else np.full(len(road), _MAIN_ONLY if main_only else 0)
        )
        for tier in np.unique(tiers[~is_point]).tolist():
            idx = np.flatnonzero(~is_point & (tiers == tier))
            ok = np.ones(len(road), bool)
            if tier:
                ok = (edge_tier == 0) | (np.abs(edge_tier - tier) <= 1)
                if main_only and "highway" not in road.columns and tier == _LOCAL:
                    ok[:] = False
            sub = np.flatnonzero(ok)
            direction = gdf[col].iloc[idx] if col in gdf.columns else None
            if sub.size == 0:
                for i in idx.tolist():
                    why = "the network holds main roads only; a local road has no counterpart in it"
                    results[i] = FeatureMatch(i, "unmatched", why)
                continue
            edges_sub = road.iloc[sub].reset_index(drop=True)
            lines = match_lines(
                edges_sub, geoms.iloc[idx], line_tol, direction=direction, keep_parallel=layer == "rail_lines"
            )
            for m in lines:
                m.feature = int(idx[m.feature])
                m.edges = [dataclasses.replace(e, edge=int(sub[e.edge])) for e in m.edges]
                results[m.feature] = m
    return [r for r in results if r is not None]


_TIERS = {
    **dict.fromkeys(("motorway", "motorway_link", "trunk", "trunk_link"), 1),
    **dict.fromkeys(("primary", "primary_link", "secondary", "secondary_link"), 2),
    **dict.fromkeys(
        (
            "tertiary",
            "tertiary_link",
            "unclassified",
            "residential",
            "living_street",
            "service",
            "track",
            "path",
            "pedestrian",
            "road",
        ),
        3,
    ),
}
_MAIN_ONLY = 2
_LOCAL = 3


def _tier(highway: object) -> int:
    """Road tier of a highway class: 1 motorway/trunk, 2 primary/secondary, 3 local, 0 unknown."""
    return _TIERS.get(highway, 0) if isinstance(highway, str) else 0


def _provenance(edges: gpd.GeoDataFrame, column: str, base: str) -> None:
    """Make sure ``column`` and ``column_src`` exist (``base`` where a value is known, else ``default``)."""
    if column not in edges.columns:
        edges[column] = np.nan if column not in {"highway", "ref", "name", "road_category"} else None
    src = f"{column}_src"
    if src not in edges.columns:
        known = edges[column].notna().to_numpy()
        edges[src] = np.where(known, base, "default")


def conflate(
    network: Network,
    overlay: Overlay,
    *,
    tolerance_m: float | None = None,
    point_tolerance_m: float | None = None,
    line_tolerance_m: float | None = None,
) -> tuple[Network, ConflationReport]:
    """Conflate an overlay onto a copy of ``network`` and report every feature.

    Parameters
    ----------
    network
        The network (not modified).
    overlay
        A validated overlay.
    tolerance_m
        Largest snapping distance of a site to a node of its mode(s).
    point_tolerance_m
        Largest distance of a point feature (bridge, clearance, closure…) to its road.
    line_tolerance_m
        Buffer half-width for line features.

    Returns
    -------
    network
        A copy with edges split where a feature covers part of one, the features'
        attributes on the matched edges (``<column>_src`` says which feature set
        each value), sites snapped (``node_road``, ``node_rail``, ``snap_*_m``) and
        road↔rail transfer edges at quays.
    report
        Matched, ambiguous and unmatched features with their reasons, and sites
        beyond the tolerance as ``unmatched``.
    """
    tol = float(figure("snap_tolerance_m") if tolerance_m is None else tolerance_m)
    ptol = float(figure("bridge_tolerance_m") if point_tolerance_m is None else point_tolerance_m)
    ltol = float(figure("line_tolerance_m") if line_tolerance_m is None else line_tolerance_m)
    net = network.copy()
    base = str(net.meta.get("source", "network"))
    edges = net.edges.reset_index(drop=True)
    mode = edges["mode"].to_numpy()
    # rail lines enrich running lines only: OSM yard tracks, sidings and spurs keep their own tags
    running = edges["service"].isna().to_numpy() if "service" in edges.columns else np.ones(len(edges), bool)
    candidates = {
        "road": np.flatnonzero(mode == "road"),
        "rail": np.flatnonzero((mode == "rail") & running),
    }
    frames = {k: edges.iloc[rows].reset_index(drop=True) for k, rows in candidates.items()}
    main_only = bool(net.meta.get("main_roads_only", net.meta.get("source") == "embedded"))
    found: dict[str, list[FeatureMatch]] = {}
    cuts: dict[int, list[float]] = {}
    for layer in _ORDER:
        gdf = overlay.layer(layer)
        if not len(gdf):
            continue
        kind = "rail" if layer == "rail_lines" else "road"
        found[layer] = _matches(layer, gdf, frames[kind], ptol, ltol, main_only)
        road_rows = candidates[kind]
        if layer == "closures":  # a closure closes the whole edges it lies on: nothing to cut
            continue
        for m in found[layer]:
            if m.status != "matched":
                continue
            for em in m.edges:
                cuts.setdefault(int(road_rows[em.edge]), []).extend([em.start_m, em.end_m])
    nodes, edges, pieces = split_edges(net.nodes, edges, cuts)
    closures_meta: dict[str, dict[str, Any]] = dict(net.meta.get("closures", {}))
    records = []
    for layer in _ORDER:
        gdf = overlay.layer(layer)
        road_rows = candidates["rail" if layer == "rail_lines" else "road"]
        for m in found.get(layer, []):
            rows: list[int] = []
            for em in m.edges:
                old = int(road_rows[em.edge])
                for new, a, b in pieces.get(old, [(old, em.start_m, em.end_m)]):
                    if em.start_m - 0.5 <= (a + b) / 2 <= em.end_m + 0.5:  # the piece lies in the match
                        rows.append(new)
            rows = sorted(set(rows))
            feat = gdf.iloc[m.feature]
            fid = str(feat["id"])
            if m.status == "matched" and rows:
                _write(edges, rows, layer, feat, base)
                if layer == "closures":
                    closures_meta[fid] = {
                        "start": feat.get("start"),
                        "end": None if _missing(feat.get("end")) else feat.get("end"),
                        "reason": None if _missing(feat.get("reason")) else str(feat.get("reason")),
                    }
            records.append(
                {
                    "layer": layer,
                    "id": fid,
                    "status": m.status,
                    "reason": m.reason,
                    "edges": len(rows) if m.status == "matched" else 0,
                    "edge_rows": ";".join(map(str, rows)) if m.status == "matched" else "",
                    "distance_m": None if math.isnan(m.distance_m) else round(m.distance_m, 1),
                    "share": None if math.isnan(m.share) else round(m.share, 3),
                    "geometry": feat.geometry,
                }
            )
    net.nodes, net.edges = nodes, gpd.GeoDataFrame(edges, crs=CRS)
    sites, site_records = _snap_sites(net, overlay.sites, tol)
    records += site_records
    net.sites = sites
    net.edges = _with_transfers(net, sites)
    if overlay.features is not None and len(overlay.features):
        # only the points within the network's extent (national layers on a city network)
        x0, y0, x1, y1 = (
            shapely.MultiPoint(net.nodes.geometry.to_numpy()).bounds if len(net.nodes) else (0, 0, 0, 0)
        )
        inside = overlay.features.cx[x0 - 1000 : x1 + 1000, y0 - 1000 : y1 + 1000]
        parts = [f for f in (net.features, inside) if len(f)]
        net.features = gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), crs=CRS)
    matched = {layer: sum(m.status == "matched" for m in ms) for layer, ms in found.items()}
    credits = [net.meta.get("attribution", ""), *overlay.attribution]
    net.meta = {
        **net.meta,
        "attribution": "; ".join(dict.fromkeys(c for c in credits if c)),
        "overlay": overlay.name,
        "bridges_conflated": matched.get("bridges", 0),
        "conflated": matched,
        **({"closures": closures_meta} if closures_meta else {}),
    }
    columns = ["layer", "id", "status", "reason", "edges", "edge_rows", "distance_m", "share", "geometry"]
    table = gpd.GeoDataFrame(pd.DataFrame(records, columns=columns), geometry="geometry", crs=CRS)
    logger.info(
        "applied overlay %s: %d sites, %s",
        overlay.name,
        len(sites),
        ", ".join(f"{k} {v}" for k, v in matched.items()),
    )
    return net, ConflationReport(table)


def _write(edges: pd.DataFrame, rows: list[int], layer: str, feat: pd.Series, base: str) -> None:
    """Write a matched feature's attributes and provenance on ``rows`` (overlay > OSM > default)."""
    tag = f"overlay:{layer}:{feat['id']}"
    if layer == "closures":
        col = "closure_id"
        if col not in edges.columns:
            edges[col] = None
        for r in rows:
            old = edges.at[r, col]
            edges.at[r, col] = str(feat["id"]) if _missing(old) else f"{old};{feat['id']}"
        return
    for src_field, col in _WRITES[layer].items():
        if src_field not in feat.index or _missing(feat[src_field]):
            continue
        _provenance(edges, col, base)
        value = feat[src_field]
        if edges[col].dtype.kind == "f" and not isinstance(value, str):
            value = float(value)
        elif edges[col].dtype.kind == "f":
            edges[col] = edges[col].astype(object)
        for r in rows:
            edges.at[r, col] = value
        edges.loc[rows, f"{col}_src"] = tag


def _snap(network: Network, mode: str, xy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    nodes = network.nodes
    ids = np.flatnonzero(nodes["mode"].to_numpy() == mode)
    if ids.size == 0 or len(xy) == 0:
        return np.full(len(xy), -1), np.full(len(xy), np.inf)
    tree = cKDTree(np.column_stack([nodes["x"].to_numpy()[ids], nodes["y"].to_numpy()[ids]]))
    dist, idx = tree.query(xy)
    return ids[idx], dist


def _snap_sites(
    net: Network, overlay_sites: gpd.GeoDataFrame, tol: float
) -> tuple[gpd.GeoDataFrame, list[dict]]:
    """Snap sites to the nearest node of each mode they name; sites beyond ``tol`` are reported."""
    sites = overlay_sites.copy()
    xy = (
        np.column_stack([sites.geometry.x.to_numpy(), sites.geometry.y.to_numpy()])
        if len(sites)
        else np.empty((0, 2))
    )
    far: dict[str, list[str]] = {}
    for mode in ("road", "rail"):
        node, dist = _snap(net, mode, xy)
        wants = sites["mode"].astype(str).str.contains(mode).to_numpy() if len(sites) else np.zeros(0, bool)
        sites[f"node_{mode}"] = np.where(wants, node, -1).astype(np.int64)
        sites[f"snap_{mode}_m"] = np.where(wants, np.round(dist, 1), np.nan)
        for sid, d in zip(sites.index[wants], dist[wants], strict=True):
            if d > tol:
                far.setdefault(str(sid), []).append(
                    f"{d / 1000:.1f} km from the nearest {mode} node (tolerance {tol / 1000:.1f} km); "
                    "move it in the overlay, raise network.snap_tolerance_m, or use a denser network"
                )
    records = []
    for sid, row in sites.iterrows():
        bad = far.get(str(sid))
        near = [row.get(f"snap_{m}_m") for m in ("road", "rail") if not _missing(row.get(f"snap_{m}_m"))]
        records.append(
            {
                "layer": "sites",
                "id": str(sid),
                "status": "unmatched" if bad else "matched",
                "reason": "; ".join(bad)
                if bad
                else f"snapped to the nearest node(s) at {', '.join(f'{d:.0f} m' for d in near)}",
                "edges": 0,
                "edge_rows": "",
                "distance_m": max(near) if near else None,
                "share": None,
                "geometry": row.geometry,
            }
        )
    return sites, records


def _with_transfers(net: Network, sites: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Add road↔rail transfer edges at sites where loading is possible (rail quays)."""
    if not len(sites):
        return net.edges
    quays = sites[(sites["kind"] == "rail_quay") & (sites["node_road"] >= 0) & (sites["node_rail"] >= 0)]
    links = [(int(q["node_road"]), int(q["node_rail"]), {"site_id": sid}) for sid, q in quays.iterrows()]
    base = net.edges[net.edges["mode"] != "transfer"].reset_index(drop=True)
    return with_transfer_edges(base, net.nodes, links, float(figure("transfer_time_min")) * 60.0)


def apply_overlay(
    network: Network,
    overlay: Overlay,
    *,
    tolerance_m: float | None = None,
    bridge_tolerance_m: float | None = None,
    line_tolerance_m: float | None = None,
) -> Network:
    """Conflate an overlay onto a copy of ``network``; every restriction and site must fit.

    The planner's entry point: like :func:`conflate`, but a site beyond the
    tolerance or a bridge, clearance, width restriction or closure that is
    unmatched or ambiguous is an error (a restriction silently dropped would
    route a tank over a bridge it must not cross). Road-attribute lines that do
    not match are only logged.

    Raises
    ------
    NetworkError
        Naming every feature that does not fit the network.
    """
    net, report = conflate(
        network,
        overlay,
        tolerance_m=tolerance_m,
        point_tolerance_m=bridge_tolerance_m,
        line_tolerance_m=line_tolerance_m,
    )
    problems = report.problems(("sites", "bridges", "clearances", "width_restrictions", "closures"))
    if problems:
        raise NetworkError(
            f"{len(problems)} overlay feature(s) do not fit the network:\n"
            + "\n".join(f"  - {p}" for p in problems)
        )
    roads = report.table[(report.table["layer"] == "roads") & (report.table["status"] != "matched")]
    if len(roads):
        logger.info("%d road-attribute lines did not match the network", len(roads))
    return net


def closure_spans(network: Network) -> dict[int, list[tuple[str, str | None]]]:
    """Edge row → ``(start, end)`` ISO times of the overlay closures on it."""
    meta = network.meta.get("closures", {})
    if isinstance(meta, str):
        meta = json.loads(meta)
    out: dict[int, list[tuple[str, str | None]]] = {}
    if "closure_id" not in network.edges.columns:
        return out
    for row, ids in enumerate(network.edges["closure_id"].tolist()):
        if _missing(ids) or not ids:
            continue
        for cid in str(ids).split(";"):
            if cid in meta:
                out.setdefault(row, []).append((meta[cid]["start"], meta[cid].get("end")))
    return out
