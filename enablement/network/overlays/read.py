"""Reading an overlay's layer files: discovery, the ``overlay.yaml`` mapping, validation.

An IGN-style overlay is a folder (or one GeoPackage) of layers named by their
type (:data:`~.schema.LAYERS`): ``bridges.geojson``, ``rail_quays.shp``, a layer
``closures`` in a GeoPackage… Layers may be GeoJSON, GeoPackage or Shapefile in
any CRS that names itself; they are reprojected to EPSG:3812. An optional
``overlay.yaml`` maps a user's own files, layers, field names and values onto the
schema (``geodata/README.md``); it is read by the strict YAML reader of
:mod:`enablement._validate` (no duplicate keys, no aliases, bounded size and
nesting), and each entry's ``file``, ``layer``, ``fields``, ``values`` and
``defaults`` must be of its type (plain finite values). A layer's file size and
feature count are checked against :mod:`enablement.limits` before it is read.

Every problem in every layer (missing fields, wrong or invalid geometries, no
CRS, out-of-range values) is collected and reported at once in one
:class:`~enablement.errors.OverlayError`, and no :class:`Overlay` is returned
unless the whole overlay is valid. :func:`layer_overlay` wraps one layer an
importer made (Wegenregister roads, Infrabel rail lines) as an overlay, checked
the same way. Names in a scenario's ``overlays:`` list (and other sources) are
resolved by :mod:`.sources`.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pyogrio

from ... import limits
from ..._validate import read_yaml
from ...errors import OverlayError
from ..model import CRS
from .schema import LAYERS, SITE_LAYERS
from .validate import RECEPTION_KINDS, _check_direction, _check_fields, _check_geometry, check_layer

__all__ = ["Overlay", "layer_overlay", "overlay_path", "read_layers"]

_EXTENSIONS = (".geojson", ".json", ".gpkg", ".shp")


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
    label = str(Path(name))
    if len(layer) > limits.OVERLAY_FEATURES:
        raise OverlayError(_too_many_features(label, len(layer)))
    gdf = layer.to_crs(CRS).copy()
    spec = LAYERS[kind]
    _check_geometry(label, gdf, spec, problems)
    _check_fields(label, gdf, spec, problems)
    _check_direction(label, gdf, problems)
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


class _Unreadable(Exception):  # noqa: N818 - carries the reader's problems into the overlay's list
    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


_SPEC_KEYS = ("file", "layer", "fields", "values", "defaults")


def _scalar_ok(value: object) -> bool:
    """Whether a mapping value is a plain, finite scalar (text, number, boolean or empty)."""
    if isinstance(value, float):
        return math.isfinite(value)
    return value is None or isinstance(value, str | int | bool)


def _read_mapping(path: Path, folder: Path, problems: list[str]) -> dict[str, _Source]:
    """Layer sources declared by a mapping file (``overlay.yaml``), read by the strict YAML reader."""
    try:
        doc = read_yaml(
            path, str(path), what="overlay mapping", max_bytes=limits.OVERLAY_MAPPING_BYTES, error=_Unreadable
        )
    except _Unreadable as exc:
        problems.extend(exc.problems)
        return {}
    doc = {} if doc is None else doc
    if not isinstance(doc, dict) or not isinstance(doc.get("layers", {}), dict | None):
        problems.append(f"{path}: expected a mapping with 'layers: {{<type>: {{file, layer, fields}}}}'")
        return {}
    for key in doc:
        if key != "layers":
            problems.append(f"{path}: {_shown(key)}: unknown key; the mapping holds 'layers' only")
    out = {}
    for kind, spec in (doc.get("layers") or {}).items():
        where = f"{path}: layers.{_shown(kind)}"
        if kind not in LAYERS:
            problems.append(f"{where}: unknown layer type; use one of {', '.join(LAYERS)}")
            continue
        source = _mapped_source(spec, where, folder, problems)
        if source is not None:
            out[kind] = source
    return out


def _mapped_source(spec: object, where: str, folder: Path, problems: list[str]) -> _Source | None:
    """One layer's entry of the mapping file, every problem in it noted."""
    if not isinstance(spec, dict) or "file" not in spec:
        problems.append(f"{where}: needs 'file' (a file in {folder} or an absolute path)")
        return None
    unknown = [str(k) for k in spec if k not in _SPEC_KEYS]
    if unknown:
        problems.append(f"{where}: unknown key(s) {', '.join(sorted(map(_shown, unknown)))}")
    ok = True
    raw_file = spec["file"]
    if not isinstance(raw_file, str) or not raw_file or len(raw_file) > limits.PATH_CHARS:
        problems.append(
            f"{where}.file: give the layer's file as a path (text, at most {limits.PATH_CHARS} characters)"
        )
        ok = False
    layer = spec.get("layer")
    if layer is not None and not (isinstance(layer, str) and 0 < len(layer) <= limits.NAME_CHARS):
        problems.append(f"{where}.layer: give the GeoPackage layer's name as text")
        ok = False
    fields = spec.get("fields") or {}
    if not isinstance(fields, dict) or not all(isinstance(v, str) for v in fields.values()):
        problems.append(f"{where}.fields: map their field names to ours ({{their_name: our_name}})")
        fields = {}
    values = spec.get("values") or {}
    if not isinstance(values, dict) or not all(
        isinstance(t, dict) and all(_scalar_ok(k) and _scalar_ok(v) for k, v in t.items())
        for t in values.values()
    ):
        problems.append(
            f"{where}.values: per field, map their values to ours ({{field: {{their_value: our_value}}}}), "
            "plain finite values only"
        )
        ok = False
    defaults = spec.get("defaults") or {}
    if not isinstance(defaults, dict) or not all(_scalar_ok(v) for v in defaults.values()):
        problems.append(f"{where}.defaults: give each field one plain finite value ({{field: value}})")
        ok = False
    if not ok:
        return None
    file = Path(raw_file)
    file = file if file.is_absolute() else folder / file
    if not file.exists():
        problems.append(f"{where}.file: {file} does not exist")
        return None
    return _Source(
        file,
        layer,
        {str(k): v for k, v in fields.items()},
        {str(k): v for k, v in values.items()},
        {str(k): v for k, v in defaults.items()},
    )


def _shown(value: object, width: int = 60) -> str:
    text = str(value)
    return text if len(text) <= width else text[: width - 1] + "…"


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


def _over_limits(src: _Source, problems: list[str]) -> bool:
    """Whether a layer's file or feature count is over the limits (noted), checked before reading it."""
    try:
        size = src.path.stat().st_size
    except OSError:
        return False  # reading it reports why
    if size > limits.OVERLAY_LAYER_BYTES:
        most = limits.mib(limits.OVERLAY_LAYER_BYTES)
        problems.append(
            f"{src.label}: the file is {limits.mib(size)}, over the limit of {most} for an overlay layer "
            "(enablement.limits.OVERLAY_LAYER_BYTES); clip it to the area planned"
        )
        return True
    try:
        count = int(pyogrio.read_info(src.path, layer=src.layer)["features"])
    except Exception:  # noqa: BLE001 - GDAL raises many types; reading the layer reports them
        return False
    if count > limits.OVERLAY_FEATURES:
        problems.append(_too_many_features(src.label, count))
        return True
    return False


def _too_many_features(label: str, count: int) -> str:
    return (
        f"{label}: {count:,} features, over the limit of {limits.OVERLAY_FEATURES:,} for one overlay "
        "layer (enablement.limits.OVERLAY_FEATURES); clip it to the area planned, or split it"
    )


def _read_layer(src: _Source, problems: list[str]) -> gpd.GeoDataFrame | None:
    if _over_limits(src, problems):
        return None
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


def read_layers(
    folder: Path, *, name: str | None = None, mapping: str | os.PathLike[str] | None = None
) -> Overlay:
    """Read and validate the layers of an overlay folder or GeoPackage.

    Parameters
    ----------
    folder
        A folder of layer files, or a GeoPackage whose layers are named by type
        (see :func:`overlay_path` for packaged names).
    name
        How messages and the overlay name it (default: ``folder``).
    mapping
        A mapping file (default: ``overlay.yaml`` in the folder when present).

    Returns
    -------
    Overlay
        Every layer in EPSG:3812.

    Raises
    ------
    OverlayError
        With every problem found in the overlay's layers.
    """
    name = str(folder) if name is None else name
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
        gdf = _read_layer(src, problems)
        if gdf is None:
            continue
        check_layer(kind, gdf, src.label, problems, site_kinds=_site_kinds(src))
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
        lines = [f"  - {p}" for p in problems[: limits.PROBLEMS_SHOWN]]
        if n > limits.PROBLEMS_SHOWN:
            lines.append(f"  … and {n - limits.PROBLEMS_SHOWN:,} more (fix these first)")
        raise OverlayError(f"{n:,} problem{'s' if n > 1 else ''} in overlay '{name}':\n" + "\n".join(lines))
    by_id = {k: v.set_index("id", drop=False) for k, v in frames.items()}
    return Overlay(
        name,
        site_frame.set_index("id", drop=False) if site_frame is not None else _empty(),
        by_id.pop("bridges", _empty()),
        by_id,
    )


def _site_kinds(src: _Source) -> tuple[str, ...] | None:
    """Site kinds a layer may hold: seaports and airports in a reception-point layer, else any."""
    return RECEPTION_KINDS if src.layer == "reception_points" or "reception" in src.path.stem else None
