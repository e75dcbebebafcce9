"""Stable ids, human names and grid references of network nodes (the march table's control points).

A node's index (0…n-1 in Hilbert order) changes whenever an overlay splits an edge
or a builder renumbers the network, so nothing a user keeps may be written in it.
:func:`node_keys` gives every node an id that survives overlay edits and rebuilds
of the same source:

- ``osm-n<id>`` for a node of an OpenStreetMap network (``meta["source"] ==
  "osm"``, a positive ``source_id``): the OSM node id, the one www.openstreetmap.org
  shows as ``node/<id>``;
- ``xy-<easting>-<northing>`` otherwise: the node's position in EPSG:3812 rounded to
  the metre. This is used for the embedded network (its ``source_id`` is the node's
  position in the scgraph-data list, which shifts when that package is regenerated),
  for nodes an overlay adds where it splits an edge (``source_id`` ``split:…``), and
  for networks whose source keeps no node id;
- rail nodes end in ``-rail`` (a road and a rail node may share an OSM id or a position);
- two nodes that would share an id (two nodes within a metre of each other) get
  ``~2``, ``~3`` … in order of mode, source id and position, never of their index.

:func:`node_names` names a node from the data: the motorway junction it is (node
columns ``junction_ref``/``junction_name``, which the OSM reader fills from
``highway=motorway_junction`` nodes: ``ref``, else ``junction:ref``, and ``name``),
else the refs (or names) of the roads that meet there (``E40 / E314``, from OSM way
tags or an overlay's ``roads`` layer).
The embedded network carries neither, so there only sites (by the march table's site
name) and the roads an overlay names get one.
:func:`mgrs` writes the NATO Military Grid Reference System reference of a
WGS84 point (UTM on pyproj, the 100 km square letters of the WGS84 "AA" scheme).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd
import pyproj

from .model import CRS, Network

__all__ = ["junction_nodes", "key_index", "lonlat", "mgrs", "node_keys", "node_names"]

_TO_WGS84 = pyproj.Transformer.from_crs(CRS, "EPSG:4326", always_xy=True)
_BANDS = "CDEFGHJKLMNPQRSTUVWXX"
"""Latitude bands of 8° from 80° S (X spans 72–84° N)."""
_COLUMNS = ("ABCDEFGH", "JKLMNPQR", "STUVWXYZ")
"""100 km column letters, by UTM zone modulo 3."""
_ROWS = "ABCDEFGHJKLMNPQRSTUV"
"""100 km row letters (WGS84 "AA" scheme; even zones start at F)."""
_UTM: dict[int, pyproj.Transformer] = {}


def _osm_id(value: object) -> int | None:
    """Return the positive integer OSM id held in a ``source_id`` cell, or None."""
    if isinstance(value, (bool, np.bool_)):
        return None
    if isinstance(value, (int, np.integer)):
        return int(value) if value > 0 else None
    if isinstance(value, (float, np.floating)):
        return int(value) if math.isfinite(value) and value > 0 and value == int(value) else None
    if isinstance(value, str) and value.isdigit():
        return int(value) or None
    return None


def node_keys(network: Network) -> np.ndarray:
    """Stable id of every node (see the module docstring).

    Parameters
    ----------
    network
        The network; its ``meta["source"]`` says whether ``source_id`` holds OSM ids.

    Returns
    -------
    numpy.ndarray
        One str per node, in node order, all distinct.
    """
    nodes = network.nodes
    n = len(nodes)
    x = nodes["x"].to_numpy(float)
    y = nodes["y"].to_numpy(float)
    modes = nodes["mode"].astype(str).to_numpy()
    osm = network.meta.get("source") == "osm" and "source_id" in nodes.columns
    sources = nodes["source_id"].to_numpy(object) if "source_id" in nodes.columns else np.full(n, None)
    base: list[str] = []
    for i in range(n):
        ident = _osm_id(sources[i]) if osm else None
        key = f"osm-n{ident}" if ident is not None else f"xy-{round(x[i])}-{round(y[i])}"
        base.append(key + ("-rail" if modes[i] == "rail" else ""))
    groups: dict[str, list[int]] = defaultdict(list)
    for i, k in enumerate(base):
        groups[k].append(i)
    out = np.array(base, dtype=object)
    for k, members in groups.items():
        if len(members) < 2:
            continue
        members.sort(key=lambda i: (modes[i], str(sources[i]), x[i], y[i]))
        for rank, i in enumerate(members[1:], start=2):
            out[i] = f"{k}~{rank}"
    return out


def key_index(network: Network) -> dict[str, int]:
    """Node of every stable id (:func:`node_keys`)."""
    return {str(k): i for i, k in enumerate(node_keys(network))}


def junction_nodes(network: Network) -> frozenset[int]:
    """Nodes that are named motorway junctions (a ``junction_ref`` or ``junction_name``)."""
    out: set[int] = set()
    for col in ("junction_ref", "junction_name"):
        if col in network.nodes.columns:
            values = network.nodes[col].to_numpy(object)
            out |= {i for i, v in enumerate(values.tolist()) if _text(v)}
    return frozenset(out)


def _text(value: object) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return ""
    return str(value).strip()


def node_names(network: Network, nodes: Iterable[int]) -> dict[int, str]:
    """Human name of each of ``nodes`` from the data, where it has one (see the module docstring).

    Parameters
    ----------
    network
        The network (node columns ``junction_ref``/``junction_name`` and edge
        columns ``ref``/``name`` are read when present).
    nodes
        The nodes to name.

    Returns
    -------
    dict of int to str
        Name of each node ("" when the data names nothing there).
    """
    wanted = sorted(set(int(n) for n in nodes))
    out = {n: "" for n in wanted}
    if not wanted:
        return out
    frame = network.nodes
    for n in wanted:
        ref = _text(frame["junction_ref"].iloc[n]) if "junction_ref" in frame.columns else ""
        name = _text(frame["junction_name"].iloc[n]) if "junction_name" in frame.columns else ""
        if ref or name:
            out[n] = " ".join(p for p in (f"junction {ref}" if ref else "", name) if p)
    edges = network.edges
    cols = [c for c in ("ref", "name") if c in edges.columns]
    if not cols:
        return out
    road = (edges["mode"] == "road").to_numpy()
    u, v = edges["u"].to_numpy(), edges["v"].to_numpy()
    want = np.zeros(network.n_nodes, bool)
    want[[n for n in wanted if not out[n]]] = True
    rows = np.flatnonzero(road & (want[u] | want[v]))
    roads: dict[int, list[str]] = defaultdict(list)
    for r in rows.tolist():
        label = ""
        for c in cols:
            label = _text(edges[c].iloc[r])
            if label:
                break
        if not label:
            continue
        for end in (int(u[r]), int(v[r])):
            if want[end] and label not in roads[end]:
                roads[end].append(label)
    for n, labels in roads.items():
        out[n] = " / ".join(sorted(labels)[:3])
    return out


def lonlat(network: Network, nodes: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
    """WGS84 longitude and latitude of ``nodes``."""
    idx = np.asarray(nodes, dtype=np.int64)
    x = network.nodes["x"].to_numpy(float)[idx]
    y = network.nodes["y"].to_numpy(float)[idx]
    lon, lat = _TO_WGS84.transform(x, y)
    return np.asarray(lon, float), np.asarray(lat, float)


def _zone(lon: float, lat: float) -> int:
    """UTM zone of a point, with the Norway (32V) and Svalbard (31X-37X) exceptions of MGRS."""
    zone = int((lon + 180.0) // 6.0) % 60 + 1
    if 56.0 <= lat < 64.0 and 3.0 <= lon < 12.0:
        return 32
    if 72.0 <= lat < 84.0 and 0.0 <= lon < 42.0:
        return 31 if lon < 9.0 else 33 if lon < 21.0 else 35 if lon < 33.0 else 37
    return zone


def mgrs(lon: float, lat: float, digits: int = 5) -> str:
    """MGRS grid reference of a WGS84 point (between 80° S and 84° N), e.g. ``31UES9465511932``.

    Parameters
    ----------
    lon, lat
        Degrees (WGS84).
    digits
        Digits of easting and of northing: 5 = 1 m, 4 = 10 m, 3 = 100 m. The
        numbers are truncated, as grid references are, never rounded.

    Returns
    -------
    str
        Zone, band, 100 km square and the numbers, without spaces.

    Raises
    ------
    ValueError
        Outside MGRS's UTM part (the polar UPS regions), or for ``digits`` outside 1…5.
    """
    if not (-80.0 <= lat <= 84.0 and -180.0 <= lon <= 180.0) or not 1 <= digits <= 5:
        msg = f"no MGRS reference for lon {lon}, lat {lat} at {digits} digits (UTM covers 80° S to 84° N)"
        raise ValueError(msg)
    zone = _zone(lon, lat)
    band = _BANDS[min(int((lat + 80.0) // 8.0), len(_BANDS) - 1)]
    tr = _UTM.get(zone)
    if tr is None:
        tr = _UTM[zone] = pyproj.Transformer.from_crs("EPSG:4326", f"EPSG:{32600 + zone}", always_xy=True)
    e, n = tr.transform(lon, lat)
    if lat < 0:
        n += 10_000_000.0  # the false northing of the southern hemisphere
    column = _COLUMNS[(zone - 1) % 3][int(e // 100_000) - 1]
    row = _ROWS[(int(n // 100_000) + (5 if zone % 2 == 0 else 0)) % 20]
    scale = 10 ** (5 - digits)
    east = int(e % 100_000) // scale
    north = int(n % 100_000) // scale
    return f"{zone}{band}{column}{row}{east:0{digits}d}{north:0{digits}d}"
