"""Which country a point lies in: Belgium and its neighbours, from Natural Earth.

The boundaries ship with the package (``enablement/data/countries.geojson``, written by
``tools/countries.py`` from Natural Earth's 1:10m Admin 0 countries, public domain).
They are accurate to a few hundred metres: a point that close to a border (a border
crossing itself) may be given to either side, so a caller deciding whether a route
leaves a territory treats the crossing's own node as inside.

Countries are ISO 3166-1 alpha-2 codes (``BE``, ``NL``, ``DE``, ``LU``, ``FR``). At
1:10m the Scheldt, the docks of Antwerp and the coast are water, so a point in no
polygon is given to the nearest country within :data:`SHORE_M`; a point farther from
every country (at sea, or beyond the area kept) has the code ``""``.
"""

from __future__ import annotations

import functools
import json
from importlib import resources
from typing import Any

import numpy as np
import pyproj
import shapely

__all__ = ["COUNTRIES", "SHORE_M", "SOURCE", "countries_of", "country_at", "country_shapes"]

_FILE = ("data", "countries.geojson")


@functools.cache
def _projected() -> dict[str, Any]:
    """Project the country polygons to the network's metric CRS (EPSG:3812), for distances."""
    transformer = pyproj.Transformer.from_crs(4326, 3812, always_xy=True)

    def to_metres(xy: np.ndarray) -> np.ndarray:
        return np.column_stack(transformer.transform(xy[:, 0], xy[:, 1]))

    return {code: shapely.transform(shape, to_metres) for code, shape in _read()[0].items()}


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


SHORE_M = 2_000.0
"""How far (metres) outside every polygon a point still belongs to the nearest country:
the width of the Scheldt at Antwerp's docks, which Natural Earth's 1:10m outline leaves
as water."""

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
    ashore = np.flatnonzero(out == "")
    if ashore.size:
        to_metres = pyproj.Transformer.from_crs(4326, 3812, always_xy=True)
        mx, my = to_metres.transform(xs[ashore], ys[ashore])
        points = shapely.points(mx, my)
        codes = list(_projected())
        distance = np.stack([shapely.distance(_projected()[c], points) for c in codes])
        nearest = distance.argmin(axis=0)
        near = distance[nearest, np.arange(ashore.size)] <= SHORE_M
        out[ashore[near]] = np.array(codes)[nearest[near]]
    return out


def country_at(lon: float, lat: float) -> str:
    """Find the country of one point (``""`` at sea or beyond the area kept)."""
    return str(countries_of(np.array([lon]), np.array([lat]))[0])
