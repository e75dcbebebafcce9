"""osmnx graphs in and out: :func:`from_osmnx` and :func:`to_osmnx`.

**In.** An osmnx ``MultiDiGraph`` (node ``x``/``y`` in the graph's ``crs``, edge
``osmid``, ``geometry`` when simplified, and the OSM way tags osmnx kept) goes
through the same builder as an OpenStreetMap file
(:func:`~enablement.network.osm_build.network_from_ways`): each road of the graph
becomes a way of a :class:`~enablement.network.osm_table.WayTable`, whose tags are
parsed by the same parsers (:mod:`enablement.network.tags`) into the same columns,
with raw strings and provenance; coordinates are reprojected to EPSG:3812 and
lengths measured there, as for a file. So an unsimplified graph of an extract
(``ox.graph_from_xml(path, simplify=False, retain_all=True)``) gives the network our
reader builds from that extract, but for these differences:

- osmnx keeps only the way tags in ``ox.settings.useful_tags_way``, which by default
  lack ``maxweight``, ``maxheight``, ``mlc`` and the other restrictions: add
  :data:`OSMNX_WAY_TAGS` to it before building the graph, or those limits are unknown;
- osmnx reads ``oneway`` itself (a motorway without the tag is two-way there, one-way
  in our reader); the graph's directions are kept as they are: a road with edges both
  ways is two-way, one with a single edge is one-way;
- osmnx's simplification joins edges across changes of tags and keeps lists of their
  values; a list is read conservatively (the lowest limit, a bridge or tunnel when any
  part is one, names and refs joined with ``;``), so prefer ``simplify=False`` graphs
  and let our builder join pass-through nodes where nothing changes.

Road classes are kept as :func:`~enablement.network.osm.build_network` keeps them
(``highways``; None keeps every class in the graph); ``railway=rail`` edges are rail.
Node ids in the graph become ``source_id`` (a node's ``osmid`` attribute, when it
has one, wins: :func:`to_osmnx` writes it).

**Out.** :func:`to_osmnx` gives a ``MultiDiGraph`` in the network's CRS (EPSG:3812,
metres; ``crs`` set, so osmnx's ``graph_to_gdfs``, ``routing.shortest_path``,
``distance.nearest_nodes`` work on it): nodes keyed by their network id with ``x``,
``y``, ``lon``, ``lat``, ``osmid`` (the source id) and ``mode``; one edge per network
edge with ``osmid``, ``length`` (m), ``geometry``, ``oneway``, ``reversed``,
``speed_kph``, ``travel_time`` (s), ``mode``, the OSM tags as read (raw strings:
``highway``, ``maxspeed``, ``maxweight``, ``bridge``…) and the network's typed
restriction columns (``maxweight_t``, ``mlc_tracked_twoway``…, which an overlay may
have set; :func:`from_osmnx` reads tags only, so apply the overlay again after a
round trip).
"""

from __future__ import annotations

import logging
import math
from collections import defaultdict
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pyproj

from ..errors import NetworkError
from .model import EDGE_RESTRICTION_COLUMNS, Network
from .osm_build import network_from_ways
from .osm_read import _TableBuilder
from .osm_table import DEFAULT_HIGHWAYS, RAIL_TAGS, ROAD_TAGS, TEXT_TAGS, BuildReport
from .tags import parse_bool

if TYPE_CHECKING:
    import networkx as nx

__all__ = ["OSMNX_WAY_TAGS", "as_network", "from_osmnx", "to_osmnx"]

logger = logging.getLogger(__name__)

OSMNX_WAY_TAGS = tuple(sorted({*ROAD_TAGS, *RAIL_TAGS, *TEXT_TAGS}))
"""The way tags our builder reads: add them to ``ox.settings.useful_tags_way`` before building a graph."""

_LOWEST = {
    "maxspeed",
    "width",
    "maxweight",
    "maxweightrating:hgv",
    "maxaxleload",
    "maxheight",
    "maxwidth",
    "maxlength",
    "mlc",
    "mlc:wheeled",
    "mlc:tracked",
    "mlc:oneway",
}
"""Tags whose list (an osmnx-simplified edge) is read as its lowest value: the limit that binds."""

_ANY = {"bridge", "tunnel", "electrified"}
"""Tags whose list is read as yes when any part is."""

_JOINED = {"name", "ref"}
"""Tags whose list is joined with ``;`` (OSM's separator of several values)."""

_PARSERS = {**{k: p for k, (_, p) in RAIL_TAGS.items()}, **{k: p for k, (_, p) in ROAD_TAGS.items()}}


def _text(value: Any) -> str | None:
    """Return an attribute as a tag string (None for a missing value)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def _tag(key: str, value: Any, highways: frozenset[str] | None) -> str | None:
    """One tag from an osmnx attribute; a list (a simplified edge) is read conservatively."""
    if not isinstance(value, list):
        return _text(value)
    items = [t for t in (_text(v) for v in value) if t]
    if not items:
        return None
    if key in _LOWEST:

        def lowest(t: str) -> float:
            parsed, ok = _PARSERS[key](t)
            return parsed if ok and not math.isnan(parsed) else math.inf

        return min(items, key=lowest)
    if key in _ANY:
        return max(items, key=lambda t: parse_bool(t)[0] if parse_bool(t)[1] else -1.0)
    if key in _JOINED:
        return ";".join(dict.fromkeys(items))
    if key == "highway" and highways is not None:
        kept = [t for t in items if t in highways]
        return kept[0] if kept else items[0]
    return items[0]


def _way_id(value: Any, default: int) -> int:
    """Return the way id of an ``osmid`` attribute (an int, or a list: its lowest, either direction)."""
    try:
        return min(int(v) for v in value) if isinstance(value, list) and value else int(value)
    except (TypeError, ValueError):
        return default


def _edge_coords(
    data: dict[str, Any], u_xy: tuple[float, float], v_xy: tuple[float, float]
) -> list[tuple[float, float]]:
    """Edge coordinates in the graph's CRS: its geometry, its ends set on its nodes; or the straight line."""
    geom = data.get("geometry")
    if geom is None or not hasattr(geom, "coords"):
        return [u_xy, v_xy]
    coords = [(float(x), float(y)) for x, y, *_ in geom.coords]
    if len(coords) < 2:
        return [u_xy, v_xy]
    return [u_xy, *coords[1:-1], v_xy]


def _check_graph(graph: Any) -> pyproj.CRS:
    import networkx as nx

    if not isinstance(graph, nx.MultiDiGraph):
        msg = (
            f"expected an osmnx graph (networkx.MultiDiGraph), got {type(graph).__name__}; build one with "
            "osmnx (ox.graph_from_xml, ox.graph_from_place, …)"
        )
        raise NetworkError(msg)
    crs = graph.graph.get("crs")
    if crs is None:
        msg = "the osmnx graph has no 'crs' graph attribute; set G.graph['crs'] (osmnx uses 'epsg:4326')"
        raise NetworkError(msg)
    if not len(graph):
        msg = "the osmnx graph has no nodes"
        raise NetworkError(msg)
    try:
        return pyproj.CRS.from_user_input(crs)
    except pyproj.exceptions.CRSError:
        msg = f"the osmnx graph's crs {crs!r} is not a coordinate reference system; give e.g. 'epsg:4326'"
        raise NetworkError(msg) from None


def _node_refs(keys: Sequence[Any]) -> np.ndarray:
    """Integer ids for the graph's node keys: the keys when they are distinct non-negative integers."""
    if all(isinstance(k, int | np.integer) and not isinstance(k, bool) and k >= 0 for k in keys):
        return np.asarray(keys, dtype=np.int64)
    return np.arange(1, len(keys) + 1, dtype=np.int64)


def from_osmnx(
    graph: nx.MultiDiGraph,
    *,
    highways: Sequence[str] | None = DEFAULT_HIGHWAYS,
    rail: bool = True,
    simplify: bool = True,
) -> Network:
    """Build a :class:`Network` from an osmnx ``MultiDiGraph``, as from the OSM data it was made of.

    See the module docstring for what is read and how it differs from our reader.

    Parameters
    ----------
    graph
        An osmnx graph, in any CRS (its ``crs`` graph attribute).
    highways
        Road classes to keep (default: those :func:`~enablement.network.osm.build_network`
        keeps); None keeps every class in the graph.
    rail
        Keep ``railway=rail`` edges (they need ``railway`` in osmnx's ``useful_tags_way``).
    simplify
        Join edges through pass-through nodes where no tag read changes.

    Returns
    -------
    Network
        In EPSG:3812, nodes in Hilbert order, with the build report in ``meta["report"]``.

    Raises
    ------
    NetworkError
        Not a ``MultiDiGraph``, no ``crs``, or no road or rail edge of the classes kept.
    """
    crs = _check_graph(graph)
    to_lonlat = pyproj.Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
    keys = list(graph.nodes)
    refs = _node_refs(keys)
    ref_of = dict(zip(keys, refs.tolist(), strict=True))
    xy = {k: (float(d["x"]), float(d["y"])) for k, d in graph.nodes(data=True)}
    present = {str(h) for _, _, h in graph.edges(data="highway") if h is not None and not isinstance(h, list)}
    for _, _, h in graph.edges(data="highway"):
        if isinstance(h, list):
            present.update(str(x) for x in h)
    kept = frozenset(highways) if highways is not None else frozenset(present)
    report = BuildReport()
    builder = _TableBuilder(sorted(kept), rail, report, "the osmnx graph")
    for key, data in graph.nodes(data=True):
        tags = {
            k: t for k in ("highway", "ref", "junction:ref", "name") if (t := _text(data.get(k))) is not None
        }
        if tags.get("highway") == "motorway_junction":
            lon, lat = to_lonlat.transform(*xy[key])
            builder.add_node(ref_of[key], tags, lon, lat)
    # each road once: an edge and its twin (same way, same line reversed) are one two-way road
    roads: dict[tuple[Any, ...], list[tuple[Any, Any, dict[str, Any], list[tuple[float, float]]]]] = (
        defaultdict(list)
    )
    for u, v, data in graph.edges(data=True):
        coords = _edge_coords(data, xy[u], xy[v])
        line = tuple((round(x, 9), round(y, 9)) for x, y in coords)
        canonical = min(line, line[::-1])
        roads[(_way_id(data.get("osmid"), -1), canonical)].append((u, v, data, coords))
    way_ids: list[int] = []
    tagsets: list[int] = []
    counts: list[int] = []
    node_refs: list[int] = []
    flat: list[tuple[float, float]] = []
    inner = 0
    for (way, canonical), group in roads.items():
        forward = [g for g in group if tuple((round(x, 9), round(y, 9)) for x, y in g[3]) == canonical]
        backward = [g for g in group if g not in forward]
        pairs = min(len(forward), len(backward))
        chosen = [(g, "no") for g in forward[:pairs]] + [
            (g, "yes") for g in forward[pairs:] + backward[pairs:]
        ]
        for (u, v, data, coords), oneway in chosen:
            tags = {k: t for k in _KEPT_TAGS if k in data and (t := _tag(k, data[k], kept)) is not None}
            tags["oneway"] = oneway
            way_ids.append(way if way >= 0 else len(way_ids))
            tagsets.append(builder.tagset(tags))
            counts.append(len(coords))
            ids = [ref_of[u]]
            for _ in coords[1:-1]:
                inner += 1
                ids.append(-inner)  # an inner vertex of one edge only: never a junction
            ids.append(ref_of[v])
            node_refs.extend(ids)
            flat.extend(coords)
    arr = np.asarray(flat, dtype=float).reshape(-1, 2)
    lon, lat = to_lonlat.transform(arr[:, 0], arr[:, 1])
    builder.add(way_ids, tagsets, counts, np.asarray(node_refs, np.int64), np.asarray(lon), np.asarray(lat))
    table = builder.table()
    meta = {"source_detail": f"osmnx graph ({crs.to_string()})", "highways": sorted(kept)}
    net = network_from_ways(table, report, meta=meta, simplify=simplify)
    osmids = {ref_of[k]: d["osmid"] for k, d in graph.nodes(data=True) if "osmid" in d}
    if osmids:
        net.nodes["source_id"] = [osmids.get(int(r), int(r)) for r in net.nodes["source_id"]]
    dropped = graph.number_of_edges() - int((net.edges["mode"] != "transfer").sum())
    logger.info(
        "osmnx graph: %d edges read, %d edges in the network", graph.number_of_edges(), len(net.edges)
    )
    if dropped > 0:
        logger.info(
            "osmnx graph: %d edges not of the road classes kept, or joined by simplification", dropped
        )
    return net


_KEPT_TAGS = frozenset({*ROAD_TAGS, *RAIL_TAGS, *TEXT_TAGS, "area"})
"""Edge attributes read as OSM tags (``oneway`` is set from the graph's directions)."""

_RAW_TAGS = tuple(
    dict.fromkeys((key, col) for spec in (ROAD_TAGS, RAIL_TAGS) for key, (col, _) in spec.items())
)
"""(tag, network column) of every parsed tag: the raw string is in ``<column>_raw``."""


def _value(v: Any) -> Any:
    """Return an attribute value for the graph (None when missing; numpy scalars as Python values)."""
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return None
    if isinstance(v, np.generic):
        v = v.item()
        return None if isinstance(v, float) and math.isnan(v) else v
    return v


def to_osmnx(network: Network) -> nx.MultiDiGraph:
    """Return a network as an osmnx ``MultiDiGraph`` (EPSG:3812, osmnx's attribute names).

    See the module docstring for the attributes. Every edge is kept, transfer edges
    (road↔rail) included with ``mode`` ``"transfer"``: keep the edges of one mode
    (``G.edge_subgraph``) to route on roads only.
    """
    import networkx as nx

    nodes, edges = network.nodes, network.edges
    crs = nodes.crs.to_string() if nodes.crs is not None else "EPSG:3812"
    graph = nx.MultiDiGraph(
        crs=crs, created_with="enablement", source=network.meta.get("source", ""), simplified=True
    )
    wgs = nodes.to_crs(4326).geometry
    node_cols = [c for c in ("junction_ref", "junction_name") if c in nodes.columns]
    source_ids = nodes["source_id"].tolist() if "source_id" in nodes.columns else list(range(len(nodes)))
    for i, (x, y, mode, lon, lat, sid) in enumerate(
        zip(nodes["x"], nodes["y"], nodes["mode"], wgs.x, wgs.y, source_ids, strict=True)
    ):
        node: dict[str, Any] = {
            "x": float(x),
            "y": float(y),
            "lon": float(lon),
            "lat": float(lat),
            "mode": mode,
        }
        if (osmid := _value(sid)) is not None:
            node["osmid"] = osmid
        for c in node_cols:
            if (val := _value(nodes[c].iat[i])) is not None:
                node["ref" if c == "junction_ref" else "name"] = val
                node["highway"] = "motorway_junction"
        graph.add_node(i, **node)
    u, v = edges["u"].to_numpy(np.int64), edges["v"].to_numpy(np.int64)
    pairs = set(zip(u.tolist(), v.tolist(), strict=True))
    columns = [(tag, f"{col}_raw") for tag, col in _RAW_TAGS if f"{col}_raw" in edges.columns] + [
        (tag, tag.replace(":", "_")) for tag in TEXT_TAGS if tag.replace(":", "_") in edges.columns
    ]
    typed = [c for c in (*EDGE_RESTRICTION_COLUMNS, "bridge_id") if c in edges.columns]
    way = edges["osm_way"].tolist() if "osm_way" in edges.columns else [None] * len(edges)
    table = {name: edges[name].tolist() for _, name in columns} | {c: edges[c].tolist() for c in typed}
    length, speed, time_s = (edges[c].to_numpy(float) for c in ("length_m", "speed_kmh", "time_s"))
    for row, (a, b, mode, geom) in enumerate(
        zip(u.tolist(), v.tolist(), edges["mode"].tolist(), edges.geometry.tolist(), strict=True)
    ):
        twin = (b, a) in pairs
        attrs: dict[str, Any] = {
            "osmid": _value(way[row]) if _value(way[row]) is not None else row,
            "length": float(length[row]),
            "geometry": geom,
            "oneway": not twin if mode == "road" else False,
            "reversed": twin and a > b,
            "speed_kph": float(speed[row]),
            "travel_time": float(time_s[row]),
            "mode": mode,
            "edge": row,
        }
        for tag, name in columns:
            if tag != "oneway" and (val := _value(table[name][row])) is not None:
                attrs[tag] = val
        for c in typed:
            if (val := _value(table[c][row])) is not None:
                attrs[c] = val
        graph.add_edge(a, b, **attrs)
    return graph


def as_network(network: Network | nx.MultiDiGraph | Any, what: str = "network") -> Network:
    """Return ``network`` itself, or an osmnx graph converted with :func:`from_osmnx`.

    Raises
    ------
    NetworkError
        For anything else, naming ``what`` and the types accepted.
    """
    if isinstance(network, Network):
        return network
    import networkx as nx

    if isinstance(network, nx.MultiDiGraph):
        return from_osmnx(network)
    msg = (
        f"{what}: expected an enablement Network or an osmnx graph (networkx.MultiDiGraph), got "
        f"{type(network).__name__}; load one with enablement.network.io.load_network, or build a graph "
        "with osmnx"
    )
    raise NetworkError(msg)
