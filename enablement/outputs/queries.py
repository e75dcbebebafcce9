"""Files of single routing queries: a travel-time matrix (CSV) and an isochrone (GeoJSON).

They write what the router computed; nothing here routes.
"""

from __future__ import annotations

import os
from pathlib import Path

import geopandas as gpd
import pandas as pd

from .._io import write_text_atomic, write_with_atomic

__all__ = ["write_geojson", "write_matrix_csv"]


def write_matrix_csv(table: pd.DataFrame, path: str | os.PathLike[str]) -> Path:
    """Write a matrix table (origin, destination, time_s, km, reachable) as CSV, atomically.

    Unreachable pairs have empty ``time_s`` and ``km`` and ``reachable`` false.
    """
    return write_with_atomic(path, lambda p: table.to_csv(p, index=False, float_format="%.3f"))


def write_geojson(frame: gpd.GeoDataFrame, path: str | os.PathLike[str]) -> Path:
    """Write features as GeoJSON in WGS84 (RFC 7946: longitude, latitude), atomically."""
    return write_text_atomic(path, frame.to_crs(4326).to_json(drop_id=True, na="null"))
