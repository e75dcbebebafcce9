"""Save and load networks as GeoPackage (layers ``nodes``, ``edges``, ``sites`` and ``metadata``).

The GeoPackage opens in QGIS. Writing goes to a temporary file that replaces the
target only when complete.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio

from .._io import write_with_atomic
from ..errors import NetworkError
from .model import CRS, Network

__all__ = ["load_network", "save_network"]

FORMAT_VERSION = 1


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


def load_network(path: str | os.PathLike[str]) -> Network:
    """Read a network written by :func:`save_network`.

    Raises
    ------
    NetworkError
        When the file is missing or is not an enablement network.
    """
    p = Path(path)
    if not p.is_file():
        msg = f"{p}: no such network file (build one with `enablement network build … --out {p.name}`)"
        raise NetworkError(msg)
    try:
        layers = {name for name, _ in pyogrio.list_layers(p)}
    except Exception as exc:  # noqa: BLE001 - GDAL raises many types
        msg = f"{p}: not a GeoPackage ({exc})"
        raise NetworkError(msg) from None
    missing = {"nodes", "edges", "metadata"} - layers
    if missing:
        msg = f"{p}: not an enablement network (missing layers: {', '.join(sorted(missing))})"
        raise NetworkError(msg)
    table = pyogrio.read_dataframe(p, layer="metadata", read_geometry=False)
    meta = {k: json.loads(v) for k, v in zip(table["key"], table["value"], strict=True)}
    nodes = gpd.read_file(p, layer="nodes", engine="pyogrio", use_arrow=True).set_index("node")
    edges = gpd.read_file(p, layer="edges", engine="pyogrio", use_arrow=True)
    for col in edges.columns:
        if str(edges[col].dtype) in ("string", "str") and col != "geometry":
            edges[col] = edges[col].astype(object).where(edges[col].notna(), None)
    sites = (
        gpd.read_file(p, layer="sites", engine="pyogrio").set_index("id", drop=False)
        if "sites" in layers
        else gpd.GeoDataFrame(geometry=[], crs=CRS)
    )
    if nodes.crs is None or nodes.crs.to_epsg() != 3812:
        nodes = nodes.set_crs(CRS, allow_override=True) if nodes.crs is None else nodes.to_crs(CRS)
    features = (
        gpd.read_file(p, layer="features", engine="pyogrio")
        if "features" in layers
        else gpd.GeoDataFrame(geometry=[], crs=CRS)
    )
    return Network(nodes, edges, sites, meta, features)
