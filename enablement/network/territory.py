"""Which country a point lies in: Belgium and its neighbours, from Natural Earth.

The boundaries ship with the package (``enablement/data/countries.geojson``, written by
``tools/countries.py`` from Natural Earth's 1:10m Admin 0 countries, public domain).
They are accurate to a few hundred metres: a point that close to a border (a border
crossing itself) may be given to either side, so a caller deciding whether a route
leaves a territory treats the crossing's own node as inside.

Countries are ISO 3166-1 alpha-2 codes (``BE``, ``NL``, ``DE``, ``LU``, ``FR``); a point
in none of them (at sea, or beyond the area kept) has the code ``""``.
"""

from __future__ import annotations

import functools
import json
from importlib import resources
from typing import Any

import numpy as np
import pyproj
import shapely

__all__ = ["COUNTRIES", "SOURCE", "countries_of", "country_at", "country_shapes"]

_FILE = ("data", "countries.geojson")


@functools.cache
def _read() -> tuple[dict[str, Any], str]:
    text = (resources.files("enablement") / _FILE[0] / _FILE[1]).read_text(encoding="utf-8")
    data = json.loads(text)
    shapes = {f["properties"]["country"]: shapely.geometry.shape(f["geometry"]) for f in data["features"]}
    for shape in shapes.values():
        shapely.prepare(shape)
    source = str(data["features"][0]["properties"]["source"]) if data["features"] else ""
    return shapes, source


def country_shapes() -> dict[str, Any]:
    """Return the country polygons (WGS84 lon/lat) by ISO code, prepared for fast point tests."""
    return dict(_read()[0])


COUNTRIES: tuple[str, ...] = ("BE", "DE", "FR", "LU", "NL")
"""The countries whose boundaries ship with the package."""

SOURCE: str = "Natural Earth 1:10m Admin 0 countries 4.1.0 (public domain), via world-atlas 2.0.2"
"""Where the boundaries come from (the data file names it in full)."""


def countries_of(x: np.ndarray, y: np.ndarray, crs: Any = 4326) -> np.ndarray:
    """Find the country of each point.

    Parameters
    ----------
    x, y
        Coordinates in ``crs`` (longitude and latitude for the default, EPSG:4326).
    crs
        Anything :class:`pyproj.CRS` reads; the network's EPSG:3812 for its nodes.

    Returns
    -------
    numpy.ndarray
        One ISO code per point (``<U2``), ``""`` where the point lies in no country kept.
    """
    xs, ys = np.asarray(x, float), np.asarray(y, float)
    if pyproj.CRS.from_user_input(crs) != pyproj.CRS.from_epsg(4326):
        transformer = pyproj.Transformer.from_crs(crs, 4326, always_xy=True)
        xs, ys = transformer.transform(xs, ys)
    out = np.full(xs.shape, "", dtype="<U2")
    for code, shape in _read()[0].items():
        open_ = out == ""
        if open_.any():
            inside = shapely.contains_xy(shape, xs[open_], ys[open_])
            idx = np.flatnonzero(open_)[inside]
            out[idx] = code
    return out


def country_at(lon: float, lat: float) -> str:
    """Find the country of one point (``""`` at sea or beyond the area kept)."""
    return str(countries_of(np.array([lon]), np.array([lat]))[0])
