"""Checks of one overlay layer against its type's schema, every problem collected.

Each check takes the layer as a GeoDataFrame (fields already renamed to ours),
the label messages name it by (its file, and GeoPackage layer) and the list of
problems found so far; it appends one line per problem (``<file>: feature <i>
(<id>): field '<name>' …; <fix>``) and normalises what it checked (numbers
parsed, ``illustrative`` as booleans, ids as text, closure times as ISO strings,
a site's default mode filled in). :func:`check_layer` runs every check a layer
type needs. Nothing here raises: the reader collects every layer's problems and
raises one :class:`~enablement.errors.OverlayError`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import datetime

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .schema import (
    _DIRECTIONS,
    _HOURS,
    BRIDGE_FIELDS,
    LAYERS,
    LINK_MODES,
    SITE_KINDS,
    SITE_LAYERS,
    LayerSpec,
    _missing,
)

__all__ = ["RECEPTION_KINDS", "check_layer"]

RECEPTION_KINDS = ("seaport", "airport")
"""The site kinds a reception-point layer may hold."""


def check_layer(
    kind: str,
    gdf: gpd.GeoDataFrame,
    label: str,
    problems: list[str],
    *,
    site_kinds: tuple[str, ...] | None = None,
) -> None:
    """Check a layer of type ``kind`` against its schema, appending every problem to ``problems``.

    Parameters
    ----------
    kind
        The layer type (a key of :data:`~.schema.LAYERS`).
    gdf
        The layer in EPSG:3812, fields named as ours; normalised in place.
    label
        How messages name the layer (its file, and GeoPackage layer).
    problems
        Problems found so far; this layer's are appended.
    site_kinds
        For site layers: the kinds allowed (default: every kind of
        :data:`~.schema.SITE_KINDS`).
    """
    spec = LAYERS[kind]
    _check_geometry(label, gdf, spec, problems)
    _check_fields(label, gdf, spec, problems)
    _check_direction(label, gdf, problems)
    if kind in SITE_LAYERS:
        _check_sites(label, gdf, spec, problems, site_kinds)
    elif kind == "bridges":
        _check_bridges(label, gdf, problems)
    elif kind == "closures":
        _check_closures(label, gdf, problems)
    elif kind == "links" and "mode" in gdf.columns:
        for i, val in enumerate(gdf["mode"]):
            if not _missing(val) and val not in LINK_MODES:
                problems.append(f"{_label(label, gdf, i)}: field 'mode' = {val!r}; use road or rail")


def _label(label: str, gdf: gpd.GeoDataFrame, i: int) -> str:
    """``<layer>: feature <i> (<id>)``: where a problem is, as messages name it."""
    fid = gdf["id"].iloc[i] if "id" in gdf.columns and not _missing(gdf["id"].iloc[i]) else None
    return f"{label}: feature {i}" + (f" ({fid})" if fid is not None else "")


def _check_geometry(label: str, gdf: gpd.GeoDataFrame, spec: LayerSpec, problems: list[str]) -> None:
    geoms = gdf.geometry.to_numpy()
    fixed = []
    for i, raw in enumerate(geoms):
        geom = raw
        where = _label(label, gdf, i)
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


def _check_fields(label: str, gdf: gpd.GeoDataFrame, spec: LayerSpec, problems: list[str]) -> None:
    missing = [f for f in spec.required if f not in gdf.columns]
    if missing:
        problems.append(
            f"{label}: missing required field(s) {', '.join(missing)}; add them or map your field "
            "names onto these in overlay.yaml"
        )
    for f in spec.required:
        if f in gdf.columns:
            for i in np.flatnonzero(gdf[f].map(_missing).to_numpy()).tolist():
                problems.append(f"{_label(label, gdf, i)}: field '{f}' is empty")
    for f, (lo, hi) in spec.ranges.items():
        if f not in gdf.columns:
            continue
        values = pd.to_numeric(gdf[f], errors="coerce")
        for i, (raw, val) in enumerate(zip(gdf[f], values, strict=True)):
            if _missing(raw):
                continue
            if not math.isfinite(val) or not (lo <= val <= hi):
                problems.append(
                    f"{_label(label, gdf, i)}: field '{f}' = {raw!r} is out of range [{lo:g}, {hi:g}]"
                )
        gdf[f] = values
    if "illustrative" in gdf.columns:
        flags = gdf["illustrative"].map(_as_bool)
        unreadable = flags.isna().to_numpy() & ~gdf["illustrative"].map(_missing).to_numpy()
        for i in np.flatnonzero(unreadable).tolist():
            problems.append(
                f"{_label(label, gdf, i)}: field 'illustrative' = {gdf['illustrative'].iloc[i]!r}; "
                "use true or false"
            )
        gdf["illustrative"] = flags
    if "id" in gdf.columns:
        for d in gdf["id"][gdf["id"].duplicated() & gdf["id"].notna()].unique():
            problems.append(f"{label}: id '{d}' is used by more than one feature; ids must be unique")
        gdf["id"] = gdf["id"].map(lambda v: v if _missing(v) else str(v))


def _as_bool(value: object) -> bool | None:
    """``true``/``false``, ``yes``/``no``, 1/0 as a boolean; ``None`` for anything else."""
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | float | np.integer | np.floating) and not _missing(value):
        return bool(value) if value in (0, 1) else None
    if isinstance(value, str) and value.strip().lower() in {"true", "yes", "1", "false", "no", "0"}:
        return value.strip().lower() in {"true", "yes", "1"}
    return None


def _is_ramp_type(value: object) -> bool:
    return value in ("end", "side", "combined")


def _is_hours(value: object) -> bool:
    return bool(_HOURS.fullmatch(str(value)))


_SITE_FORMATS: tuple[tuple[str, Callable[[object], bool], str], ...] = (
    ("ramp_type", _is_ramp_type, "use end, side or combined"),
    ("hours", _is_hours, "write HH:MM-HH:MM (00:00-24:00 all day)"),
)
"""Site text fields with a format: field, test, fix."""


def _check_sites(
    label: str,
    gdf: gpd.GeoDataFrame,
    spec: LayerSpec,
    problems: list[str],
    allowed: tuple[str, ...] | None = None,
) -> None:
    if spec.site_kind is not None:
        gdf["kind"] = spec.site_kind
    if "kind" not in gdf.columns:
        return
    if "mode" not in gdf.columns:
        gdf["mode"] = None
    for col, ok, hint in _SITE_FORMATS:
        if col in gdf.columns:
            for i, v in enumerate(gdf[col]):
                if not _missing(v) and not ok(v):
                    problems.append(f"{_label(label, gdf, i)}: field '{col}' = {v!r}; {hint}")
    for i, kind in enumerate(gdf["kind"]):
        where = _label(label, gdf, i)
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


def _check_bridges(label: str, gdf: gpd.GeoDataFrame, problems: list[str]) -> None:
    if not set(BRIDGE_FIELDS) <= set(gdf.columns):
        return
    for kind in ("wheeled", "tracked"):
        one = pd.to_numeric(gdf[f"mlc_{kind}_oneway"], errors="coerce")
        two = pd.to_numeric(gdf[f"mlc_{kind}_twoway"], errors="coerce")
        for i in np.flatnonzero((two > one).to_numpy()).tolist():
            problems.append(
                f"{_label(label, gdf, i)}: mlc_{kind}_twoway ({two.iloc[i]:g}) exceeds "
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


def _check_closures(label: str, gdf: gpd.GeoDataFrame, problems: list[str]) -> None:
    for col in ("start", "end"):
        if col not in gdf.columns:
            gdf[col] = None
    starts, ends = [], []
    for i, (a, b) in enumerate(zip(gdf["start"], gdf["end"], strict=True)):
        where = _label(label, gdf, i)
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


def _check_direction(label: str, gdf: gpd.GeoDataFrame, problems: list[str]) -> None:
    for col in ("direction", "lanes_direction"):
        if col not in gdf.columns:
            continue
        for i, val in enumerate(gdf[col]):
            if not _missing(val) and val not in _DIRECTIONS:
                problems.append(
                    f"{_label(label, gdf, i)}: field '{col}' = {val!r}; use one of {', '.join(_DIRECTIONS)}"
                )
