"""Save and load networks as GeoPackage (layers ``nodes``, ``edges``, ``sites`` and ``metadata``).

The GeoPackage opens in QGIS. Writing goes to a temporary file that replaces the
target only when complete.

Loading keeps a fast arrays cache: the first load of a GeoPackage also writes the
network as plain arrays (``.npz``, no pickled objects) under
``settings.cache_folder / "networks"``, keyed by a hash of the GeoPackage's bytes, so
an edited or replaced file never meets a stale cache. Later loads read the arrays:
numbers as they are, text as codes into a table of distinct strings, points and
linestrings as coordinates and offsets, other geometries as WKB. A cache that cannot
be read is ignored and rewritten.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import sqlite3
import time
import warnings
import zipfile
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from .. import settings
from .._io import write_text_atomic, write_with_atomic
from ..errors import NetworkError
from .model import CRS, EDGE_RESTRICTION_COLUMNS, SITE_NODE_COLUMNS, Network, problems_message

__all__ = ["cache_path", "load_network", "save_network"]

logger = logging.getLogger(__name__)

FORMAT_VERSION = 1
CACHE_VERSION = 1
"""Version of the arrays cache layout; a new version ignores older cache files."""
_FRAMES = ("nodes", "edges", "sites", "features")


def save_network(network: Network, path: str | os.PathLike[str]) -> Path:
    """Write ``network`` to a GeoPackage atomically.

    Parameters
    ----------
    network
        The network.
    path
        Target ``.gpkg`` file.

    Returns
    -------
    pathlib.Path
        The path written.
    """
    target = Path(path)
    if target.suffix.lower() != ".gpkg":
        msg = f"{target}: networks are saved as GeoPackage; use a .gpkg file name"
        raise NetworkError(msg)
    meta = {
        **network.meta,
        "format": "enablement-network",
        "format_version": FORMAT_VERSION,
        "saved": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }

    def write(tmp: Path) -> None:
        tmp.unlink(missing_ok=True)
        network.nodes.reset_index().to_file(tmp, layer="nodes", driver="GPKG", engine="pyogrio")
        edges = network.edges.copy()
        for col in edges.columns:
            if edges[col].dtype == object and col != "geometry":
                edges[col] = edges[col].astype("string")
        edges.to_file(tmp, layer="edges", driver="GPKG", engine="pyogrio", append=False)
        if len(network.features):
            network.features.to_file(tmp, layer="features", driver="GPKG", engine="pyogrio")
        if len(network.sites):
            network.sites.reset_index(drop=True).to_file(tmp, layer="sites", driver="GPKG", engine="pyogrio")
        table = pd.DataFrame(
            {"key": list(meta), "value": [json.dumps(v, default=str) for v in meta.values()]}
        )
        pyogrio.write_dataframe(table, tmp, layer="metadata", driver="GPKG")

    write_with_atomic(target, write)
    return target


def load_network(path: str | os.PathLike[str], *, cache: bool | None = None) -> Network:
    """Read a network written by :func:`save_network`.

    Parameters
    ----------
    path
        The GeoPackage.
    cache
        Read and write the arrays cache (default: ``settings.use_cache``).

    Raises
    ------
    NetworkError
        When the file is missing or is not an enablement network, or when the
        network is malformed (:meth:`~enablement.network.model.Network.validate`):
        every problem at once, each naming the layer, the column and the fix.
    """
    p = Path(path)
    if not p.is_file():
        msg = f"{p}: no such network file (build one with `enablement network build … --out {p.name}`)"
        raise NetworkError(msg)
    use = settings.use_cache if cache is None else cache
    cached = cache_path(p) if use else None
    if cached is not None and cached.is_file():
        try:
            net = _read_arrays(cached)
        except (OSError, ValueError, KeyError, zipfile.BadZipFile) as exc:
            logger.warning("ignoring the unreadable network cache %s (%s); reading %s", cached, exc, p)
        else:
            net.validate(source=str(p))  # the cache is a copy of the file: its problems are the file's
            return net
    net, problems, flagged = _read_gpkg(p)
    problems += [q for q in net.problems() if not _echoes(q, flagged)]
    if problems:
        raise NetworkError(problems_message(problems, str(p)))
    if cached is not None:
        try:
            write_with_atomic(cached, lambda tmp: _write_arrays(net, tmp))
        except (OSError, TypeError, ValueError) as exc:
            logger.warning("could not cache %s as arrays (%s); loads will read the GeoPackage", p, exc)
    return net


def cache_path(path: str | os.PathLike[str]) -> Path:
    """Where the arrays cache of the GeoPackage ``path`` lives (keyed by a hash of its bytes).

    The hash of a file is remembered with its size and modification time, so an
    unchanged file is not read twice just to find its key.
    """
    p = Path(path).resolve()
    folder = Path(settings.cache_folder) / "networks"
    stat = p.stat()
    identity = [stat.st_size, stat.st_mtime_ns]
    index_file = folder / "index.json"
    try:
        index = json.loads(index_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        index = {}
    known = index.get(str(p)) if isinstance(index, dict) else None
    if isinstance(known, list) and known[:2] == identity and isinstance(known[2], str):
        digest = known[2]
    else:
        with p.open("rb") as fh:
            digest = hashlib.file_digest(fh, "blake2b").hexdigest()[:40]
        if settings.use_cache:
            index = index if isinstance(index, dict) else {}
            index[str(p)] = [*identity, digest]
            try:
                write_text_atomic(index_file, json.dumps(index))
            except OSError as exc:
                logger.debug("could not remember the hash of %s (%s)", p, exc)
    return folder / f"{digest}-v{CACHE_VERSION}.npz"


def _read_layer(p: Path, layer: str, problems: list[str], **kwargs: Any) -> Any:
    """Read one layer, or None (and a problem) when GDAL cannot."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # GDAL's notes on odd values; checked below
            if kwargs.pop("table", False):
                return pyogrio.read_dataframe(p, layer=layer, read_geometry=False)
            return gpd.read_file(p, layer=layer, engine="pyogrio", **kwargs)
    except Exception as exc:  # noqa: BLE001 - GDAL raises many types
        problems.append(f"{layer}: the layer cannot be read ({exc}); rebuild the network")
        return None


def _read_meta(p: Path, problems: list[str]) -> dict[str, Any]:
    table = _read_layer(p, "metadata", problems, table=True)
    if table is None:
        return {}
    if not {"key", "value"} <= set(table.columns):
        problems.append("metadata: key/value: the table needs the columns key and value; rebuild the network")
        return {}
    meta: dict[str, Any] = {}
    for key, value in zip(table["key"], table["value"], strict=True):
        try:
            meta[str(key)] = json.loads(value)
        except (TypeError, ValueError):
            problems.append(f"metadata: value: the value of {key!r} is not JSON ({str(value)[:40]!r})")
    return meta


def _indexed(frame: Any, layer: str, column: str, problems: list[str], *, drop: bool = True) -> Any:
    """``frame`` indexed by ``column``; a problem when the column is missing."""
    if frame is None:
        return gpd.GeoDataFrame(geometry=[], crs=CRS)
    if column not in frame.columns:
        if len(frame):
            problems.append(f"{layer}: {column}: the column of ids is missing; rebuild the network")
        return frame
    return frame.set_index(column, drop=drop)


_NUMERIC_COLUMNS = {
    "nodes": ("node", "x", "y"),
    "edges": ("u", "v", "length_m", "speed_kmh", "time_s", *EDGE_RESTRICTION_COLUMNS),
    "sites": SITE_NODE_COLUMNS,
}
"""Columns of numbers whose cells are checked in SQLite itself (GDAL reads text there as 0)."""


def _text_in_numbers(p: Path, layers: set[str], problems: list[str]) -> set[str]:
    """Report cells of numeric columns that hold text: SQLite keeps what a hand edit puts there.

    Returns the ``layer: column`` of each column reported.
    """
    flagged: set[str] = set()
    try:
        con = sqlite3.connect(f"{p.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error:  # pragma: no cover - GDAL opened it
        return flagged
    try:
        for layer, columns in _NUMERIC_COLUMNS.items():
            if layer not in layers:
                continue
            declared = {row[1]: str(row[2]).upper() for row in con.execute(f'PRAGMA table_info("{layer}")')}
            for col in columns:
                if col not in declared or declared[col] in ("TEXT", ""):
                    continue  # a text column: read as text, reported by the network's checks
                where = f"FROM \"{layer}\" WHERE typeof(\"{col}\") NOT IN ('integer', 'real', 'null')"
                rows = con.execute(f'SELECT fid, "{col}" {where} LIMIT 1').fetchall()
                if rows:
                    (n,) = con.execute(f"SELECT count(*) {where}").fetchone()
                    fid, value = rows[0]
                    at = f"fid {fid}" if n == 1 else f"{n} rows (first: fid {fid})"
                    problems.append(
                        f"{layer}: {col}: {str(value)[:40]!r} at {at} in a column of numbers "
                        "(GDAL would read it as 0); give a number"
                    )
                    flagged.add(f"{layer}: {col}")
    except sqlite3.Error as exc:  # not SQLite after all (GDAL read it): its layers are checked as read
        logger.debug("%s: cells not checked in SQLite (%s)", p, exc)
    finally:
        con.close()
    return flagged


def _echoes(problem: str, flagged: set[str]) -> bool:
    """Whether a problem of the loaded frames only repeats text found in a column of numbers (read as 0)."""
    if any(problem.startswith(f"{f}:") for f in flagged):
        return True
    return problem.startswith("nodes: x/y:") and bool({"nodes: x", "nodes: y"} & flagged)


def _read_gpkg(p: Path) -> tuple[Network, list[str], set[str]]:
    """Read the layers of a network file; problems found while reading come with it.

    Also returns the columns of numbers that hold text (see :func:`_text_in_numbers`).
    """
    try:
        layers = {name for name, _ in pyogrio.list_layers(p)}
    except Exception as exc:  # noqa: BLE001 - GDAL raises many types
        why = str(exc).split("; It might help", 1)[0]
        msg = (
            f"{p}: not a GeoPackage ({why}); give a network written by `enablement network build` "
            "or `enablement overlay`"
        )
        raise NetworkError(msg) from None
    missing = {"nodes", "edges", "metadata"} - layers
    if missing:
        msg = (
            f"{p}: not an enablement network (missing layers: {', '.join(sorted(missing))}; found: "
            f"{', '.join(sorted(layers)) or 'none'}); build one with "
            f"`enablement network build … --out {p.name}`"
        )
        raise NetworkError(msg)
    problems: list[str] = []
    flagged = _text_in_numbers(p, layers, problems)
    meta = _read_meta(p, problems)
    raw_nodes = _read_layer(p, "nodes", problems, use_arrow=True)
    edges = _read_layer(p, "edges", problems, use_arrow=True)
    if raw_nodes is None or edges is None:  # nothing more to check without them
        raise NetworkError(problems_message(problems, str(p)))
    nodes = _indexed(raw_nodes, "nodes", "node", problems)
    # text as object with None where empty, as a built network has it (edge tags, junction names)
    text = [(edges, c) for c in edges.columns if c != "geometry"]
    text += [(nodes, c) for c in ("junction_ref", "junction_name") if c in nodes.columns]
    for frame, col in text:
        if str(frame[col].dtype) in ("string", "str"):
            frame[col] = frame[col].astype(object).where(frame[col].notna(), None)
    sites = (
        _indexed(_read_layer(p, "sites", problems), "sites", "id", problems, drop=False)
        if "sites" in layers
        else gpd.GeoDataFrame(geometry=[], crs=CRS)
    )
    for frame in (nodes, edges, sites):
        if (
            isinstance(frame, gpd.GeoDataFrame)
            and frame.active_geometry_name is not None
            and frame.crs is None
        ):
            frame.set_crs(CRS, inplace=True)  # a layer without a CRS: the network's own
    features = (
        _read_layer(p, "features", problems)
        if "features" in layers
        else gpd.GeoDataFrame(geometry=[], crs=CRS)
    )
    if features is None:
        features = gpd.GeoDataFrame(geometry=[], crs=CRS)
    return Network(nodes, edges, sites, meta, features), problems, flagged


def _pack_bytes(items: list[bytes | None]) -> tuple[np.ndarray, np.ndarray]:
    """Concatenate byte strings into one buffer; offsets[i] = -1 marks a missing item."""
    sizes = np.fromiter((-1 if b is None else len(b) for b in items), np.int64, count=len(items))
    ends = np.cumsum(np.maximum(sizes, 0))
    offsets = np.concatenate([[0], ends])
    offsets[1:][sizes < 0] = -1
    return np.frombuffer(b"".join(b for b in items if b is not None), np.uint8), offsets


def _unpack_bytes(buffer: np.ndarray, offsets: np.ndarray) -> list[bytes | None]:
    data = buffer.tobytes()
    ends = offsets[1:]
    starts = np.maximum.accumulate(np.concatenate([[0], np.maximum(ends, 0)]))[:-1]
    return [None if e < 0 else data[a:e] for a, e in zip(starts.tolist(), ends.tolist(), strict=True)]


def _encode_column(values: pd.Series | pd.Index, key: str, out: dict[str, np.ndarray]) -> dict[str, Any]:
    """Store one column under ``key``; return how to read it back."""
    dtype = values.dtype
    if isinstance(dtype, gpd.array.GeometryDtype):
        geoms = np.asarray(values.array, dtype=object) if hasattr(values, "array") else np.asarray(values)
        types = shapely.get_type_id(geoms)
        if geoms.size and (types[0] in (0, 1)) and (types == types[0]).all():
            # all points or all linestrings: coordinates and offsets, read back without parsing
            kind, coords, offsets = shapely.to_ragged_array(geoms)
            out[f"{key}.coords"] = coords
            for k, off in enumerate(offsets):
                out[f"{key}.off{k}"] = off
            return {"kind": "ragged", "type": int(kind), "levels": len(offsets)}
        out[f"{key}.buf"], out[f"{key}.off"] = _pack_bytes(list(shapely.to_wkb(geoms)))
        return {"kind": "geometry"}
    if str(dtype) in ("object", "str", "string"):
        arr = np.asarray(values, dtype=object)
        missing = pd.isna(arr)
        if not all(isinstance(v, str) for v in arr[~missing]):
            msg = f"column {key}: only text, numbers and geometries are cached"
            raise TypeError(msg)
        codes, cats = pd.factorize(pd.Series(arr, dtype=object), use_na_sentinel=True)
        out[f"{key}.codes"] = codes.astype(np.int32)
        out[f"{key}.buf"], out[f"{key}.off"] = _pack_bytes([str(c).encode("utf-8") for c in cats])
        return {"kind": "text", "dtype": str(dtype)}
    if isinstance(dtype, np.dtype) and dtype.kind in "biufmM":
        out[key] = np.asarray(values)
        return {"kind": "array"}
    msg = f"column {key}: dtype {dtype} is not cached"
    raise TypeError(msg)


def _decode_column(spec: dict[str, Any], key: str, z: Any) -> Any:
    kind = spec["kind"]
    if kind == "array":
        return z[key]
    if kind == "ragged":
        offsets = tuple(z[f"{key}.off{k}"] for k in range(spec["levels"]))
        return shapely.from_ragged_array(
            shapely.GeometryType(spec["type"]), z[f"{key}.coords"], offsets or None
        )
    if kind == "geometry":
        wkb = _unpack_bytes(z[f"{key}.buf"], z[f"{key}.off"])
        return shapely.from_wkb(np.asarray(wkb, dtype=object))
    texts = []
    for b in _unpack_bytes(z[f"{key}.buf"], z[f"{key}.off"]):
        if b is None:  # categories are never missing: a damaged cache, read from the GeoPackage instead
            msg = f"column {key}: a missing category"
            raise ValueError(msg)
        texts.append(b.decode("utf-8"))
    values = np.array([*texts, None], dtype=object)[z[f"{key}.codes"]]  # code -1 picks the None at the end
    if spec["dtype"] != "object":
        return pd.array(values, dtype=spec["dtype"])
    return values


def _write_arrays(net: Network, tmp: Path) -> None:
    out: dict[str, np.ndarray] = {}
    header: dict[str, Any] = {"cache_version": CACHE_VERSION, "meta": net.meta, "frames": {}}
    for name in _FRAMES:
        frame = getattr(net, name)
        cols = [
            [str(col), _encode_column(frame[col], f"{name}/c{i}", out)] for i, col in enumerate(frame.columns)
        ]
        index = _encode_column(frame.index, f"{name}/index", out)
        geometry = frame.active_geometry_name if isinstance(frame, gpd.GeoDataFrame) else None
        header["frames"][name] = {
            "columns": cols,
            "index": index,
            "index_name": frame.index.name,
            "geometry": geometry,
            "crs": frame.crs.to_string() if getattr(frame, "crs", None) is not None else None,
        }
    out["header"] = np.asarray(json.dumps(header, default=str))
    with tmp.open("wb") as fh:
        np.savez(fh, allow_pickle=True, **out)  # the default, named so that **out cannot be taken for it


def _read_arrays(path: Path) -> Network:
    with np.load(path, allow_pickle=False) as z:
        header = json.loads(str(z["header"]))
        if header.get("cache_version") != CACHE_VERSION:
            msg = f"cache version {header.get('cache_version')}"
            raise ValueError(msg)
        frames = {}
        for name in _FRAMES:
            spec = header["frames"][name]
            ispec = spec["index"]
            index = pd.Index(
                _decode_column(ispec, f"{name}/index", z),
                name=spec["index_name"],
                dtype=object if ispec.get("dtype") == "object" else None,
            )
            data = {
                col: pd.Series(
                    _decode_column(cs, f"{name}/c{i}", z),
                    index=index,
                    dtype=object if cs.get("dtype") == "object" else None,
                    copy=False,
                )
                for i, (col, cs) in enumerate(spec["columns"])
            }
            frame = pd.DataFrame(data, index=index, columns=[c for c, _ in spec["columns"]])
            geometry = spec["geometry"]
            frames[name] = gpd.GeoDataFrame(frame, geometry=geometry, crs=spec["crs"], copy=False)
    return Network(frames["nodes"], frames["edges"], frames["sites"], header["meta"], frames["features"])
