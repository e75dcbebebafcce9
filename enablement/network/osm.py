"""OpenStreetMap ingestion: road and rail networks from Overpass or from local extracts.

Two sources feed one pipeline:

- files (``.osm``, ``.osm.bz2``, ``.osm.pbf``) are read with pyosmium, which keeps
  only highway and railway ways and the locations of their nodes, so a country
  extract never goes through an XML parser whole;
- Overpass (place name, bounding box or polygon) is queried through osmnx's public
  ``features_from_polygon``, with osmnx's cache folder pointed at ours for the length
  of the call only; the features it returns feed the same table builder.

Both give a :class:`WayTable` (:mod:`.osm_table`, read by :mod:`.osm_read`), from
which :func:`network_from_ways` (:mod:`.osm_build`) makes the network on arrays.
This module is the public face: :func:`build_network` and the names users import.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Sequence

import geopandas as gpd

from ..errors import NetworkError
from .model import Network
from .osm_build import _largest_components, network_from_ways
from .osm_read import (
    fetch_overpass,
    location_ids,
    overpass_tags,
    read_osm_features,
    read_osm_file,
    read_overpass_json,
)
from .osm_table import (
    DEFAULT_HIGHWAYS,
    RAIL_TAGS,
    RAIL_VALUES,
    ROAD_TAGS,
    TEXT_TAGS,
    BuildReport,
    WayTable,
)
from .simplify import consolidate_junctions

__all__ = [
    "DEFAULT_HIGHWAYS",
    "RAIL_TAGS",
    "RAIL_VALUES",
    "ROAD_TAGS",
    "TEXT_TAGS",
    "BuildReport",
    "WayTable",
    "build_network",
    "fetch_overpass",
    "location_ids",
    "network_from_ways",
    "overpass_tags",
    "read_osm_features",
    "read_osm_file",
    "read_overpass_json",
]

logger = logging.getLogger(__name__)


def build_network(
    *,
    osm_file: str | os.PathLike[str] | None = None,
    place: str | None = None,
    bbox: Sequence[float] | None = None,
    polygon: str | os.PathLike[str] | None = None,
    highways: Sequence[str] = DEFAULT_HIGHWAYS,
    rail: bool = True,
    simplify: bool = True,
    consolidate_m: float | None = None,
) -> Network:
    """Build a road and rail network from one OpenStreetMap source.

    Parameters
    ----------
    osm_file
        A local ``.osm``, ``.osm.bz2`` or ``.osm.pbf`` file.
    place, bbox, polygon
        An Overpass query area: a place name, ``(west, south, east, north)`` in
        degrees, or a polygon file (any vector format with a CRS).
    highways
        Road classes to keep.
    rail
        Keep railways.
    simplify
        Join edges through pass-through nodes where no attribute changes (done on
        arrays while building; :func:`~enablement.network.simplify.merge_chains`
        applies the same rule to a built network).
    consolidate_m
        When given, collapse complex junctions whose nodes are joined by road edges
        no longer than this (:func:`~enablement.network.simplify.consolidate_junctions`).

    Returns
    -------
    Network
        With the build report in ``meta["report"]``.
    """
    report = BuildReport()
    if osm_file is not None:
        ways = read_osm_file(osm_file, highways, rail=rail, report=report)
        source = str(osm_file)
    else:
        poly = None
        if polygon is not None:
            try:
                poly = gpd.read_file(polygon).to_crs(4326).union_all()
            except Exception as exc:  # noqa: BLE001 - GDAL raises many types
                msg = f"{polygon}: cannot be read as a polygon layer with a CRS ({exc})"
                raise NetworkError(msg) from None
        features = fetch_overpass(place=place, bbox=bbox, polygon=poly, highways=highways, rail=rail)
        ways = read_osm_features(features, highways, rail=rail, report=report)
        source = f"overpass: {place or bbox or polygon}"
    net = network_from_ways(
        ways, report, meta={"source_detail": source, "highways": list(highways)}, simplify=simplify
    )
    if consolidate_m:
        t0 = time.perf_counter()
        net = consolidate_junctions(net, consolidate_m)
        net.meta["report"]["seconds"]["consolidate"] = round(time.perf_counter() - t0, 3)
        net.meta["largest_strong_component"] = _largest_components(net.nodes, net.edges)
    logger.info("built network from %s: %s", source, net.meta["report"])
    return net
