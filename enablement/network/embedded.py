"""The offline default network of Belgium, derived from the PyPI package ``scgraph-data``.

``scgraph-data`` ships OpenStreetMap-derived world road and rail graphs as Python
source files holding two literals, ``graph=[{neighbour: km, …}, …]`` and
``nodes=[[lat, lon], …]``. Importing them is slow and memory hungry, so this module
reads them as text in two streaming passes: first the node list (kept where a node
lies in the clip area: Belgium plus a margin), then the adjacency list, parsing only
the entries of kept nodes. The result is cached under
``settings.cache_folder / "embedded"`` keyed by the package version, the reader
version and the clip parameters.

Edges are measured by the source's length (``source_km``, the road or track
length the file gives), never shorter than the straight line between their
nodes; the geometry is that straight line. The graph has no road class, so every
road is one class to the march planner (:mod:`.speeds`).

Data © OpenStreetMap contributors, ODbL 1.0 (through ``scgraph-data``).
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import metadata, resources
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from .. import settings
from .._io import atomic_dir
from ..defaults import figure
from ..errors import NetworkError
from .model import CRS, Network, hilbert_order

__all__ = [
    "ATTRIBUTION",
    "READER_VERSION",
    "ScgraphSubset",
    "clip_area",
    "load_embedded_network",
    "read_scgraph_file",
    "route_length_m",
]

logger = logging.getLogger(__name__)

READER_VERSION = "2"
"""Version of the reader and of what it computes (2: edges measure the source's length); in the cache key."""
ATTRIBUTION = "© OpenStreetMap contributors, ODbL 1.0 (via the scgraph-data package)"
_CHUNK = 1 << 22  # 4 MiB of text per read
_MODULES = {"road": "world_highways.py", "rail": "world_railways.py"}
_TO_3812 = pyproj.Transformer.from_crs("EPSG:4326", CRS, always_xy=True)


@dataclass(frozen=True)
class ScgraphSubset:
    """Nodes and edges of an scgraph file that fall inside a clip area.

    Attributes
    ----------
    node_ids
        Original indices (int64) of kept nodes, ascending.
    lat, lon
        Coordinates of kept nodes (degrees).
    u, v
        Original indices of the ends of each directed edge between kept nodes.
    km
        Edge length as written in the file (km).
    n_total
        Number of nodes in the whole file.
    """

    node_ids: np.ndarray
    lat: np.ndarray
    lon: np.ndarray
    u: np.ndarray
    v: np.ndarray
    km: np.ndarray
    n_total: int


def _find(path: Path, token: bytes, start: int = 0) -> int:
    """Byte offset of the first ``token`` at or after ``start`` (streaming)."""
    with path.open("rb") as fh:
        fh.seek(start)
        offset = start
        carry = b""
        while True:
            block = fh.read(_CHUNK)
            if not block:
                msg = f"{path}: no '{token.decode()}' found; is this an scgraph-data graph file?"
                raise NetworkError(msg)
            data = carry + block
            hit = data.find(token)
            if hit >= 0:
                return offset - len(carry) + hit
            keep = len(token) - 1
            carry = data[-keep:] if keep else b""
            offset += len(block)


def _iter_text(path: Path, start: int, stop: int | None) -> Iterator[str]:
    """Yield decoded text blocks of ``path`` between byte offsets ``start`` and ``stop``."""
    with path.open("rb") as fh:
        fh.seek(start)
        remaining = None if stop is None else stop - start
        while remaining is None or remaining > 0:
            size = _CHUNK if remaining is None else min(_CHUNK, remaining)
            block = fh.read(size)
            if not block:
                return
            if remaining is not None:
                remaining -= len(block)
            yield block.decode("ascii")


def _read_nodes(path: Path, start: int) -> np.ndarray:
    """Parse ``nodes=[[lat, lon], …]`` from byte ``start`` into an (n, 2) array."""
    pieces: list[np.ndarray] = []
    carry = ""
    first = True
    for text in _iter_text(path, start, None):
        data = carry + text
        if first:
            data = data[data.index("[") + 1 :]
            first = False
        end = data.find("]]")
        if end >= 0:  # end of the list: the rest of the file is other statements
            data = data[: end + 1]
            cut = len(data)
        else:
            cut = data.rfind("]") + 1
        body = data[:cut].replace("[", "").replace("]", "").strip(" ,\n")
        if body:
            pieces.append(np.array(body.split(","), dtype=np.float64))
        carry = data[cut:]
        if end >= 0:
            break
    if not pieces:
        return np.empty((0, 2))
    flat = np.concatenate(pieces)
    if flat.size % 2:
        msg = f"{path}: the node list has an odd number of coordinates"
        raise NetworkError(msg)
    return flat.reshape(-1, 2)


def _read_graph(
    path: Path, start: int, stop: int, keep: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Parse the adjacency dicts of kept nodes between byte offsets ``start`` and ``stop``."""
    us: list[int] = []
    vs: list[int] = []
    kms: list[float] = []
    index = 0  # original index of the next dict
    carry = ""
    first = True
    n = keep.shape[0]
    for text in _iter_text(path, start, stop):
        data = carry + text
        if first:
            data = data[data.index("[") + 1 :]
            first = False
        cut = data.rfind("}") + 1
        parts = data[:cut].split("}")[:-1]  # each is ", {k: v, …" or "{k: v, …"
        carry = data[cut:]
        count = len(parts)
        hi = min(index + count, n)
        for local in np.flatnonzero(keep[index:hi]):
            body = parts[local]
            body = body[body.index("{") + 1 :]
            if not body.strip():
                continue
            u = index + int(local)
            for item in body.split(","):
                k, _, val = item.partition(":")
                j = int(k)
                if j < n and keep[j] and j != u:
                    us.append(u)
                    vs.append(j)
                    kms.append(float(val))
        index += count
    if index != n:
        msg = f"{path}: {index} adjacency entries for {n} nodes; the file is damaged"
        raise NetworkError(msg)
    return (
        np.asarray(us, dtype=np.int64),
        np.asarray(vs, dtype=np.int64),
        np.asarray(kms, dtype=np.float64),
    )


def read_scgraph_file(path: str | Path, area: shapely.Polygon | shapely.MultiPolygon) -> ScgraphSubset:
    """Read the part of an scgraph-data graph file inside ``area`` (EPSG:3812).

    Parameters
    ----------
    path
        A file holding ``graph=[…]`` then ``nodes=[…]`` literals.
    area
        Clip polygon in EPSG:3812; a node is kept when it lies inside.

    Returns
    -------
    ScgraphSubset
        Kept nodes and the directed edges joining two kept nodes.
    """
    path = Path(path)
    g_start = _find(path, b"graph=[")
    n_start = _find(path, b"nodes=[", g_start)
    nodes = _read_nodes(path, n_start)
    lat, lon = nodes[:, 0], nodes[:, 1]
    minx, miny, maxx, maxy = gpd.GeoSeries([area], crs=CRS).to_crs(4326).total_bounds
    keep = (lon >= minx - 0.1) & (lon <= maxx + 0.1) & (lat >= miny - 0.1) & (lat <= maxy + 0.1)
    cand = np.flatnonzero(keep)
    x, y = _TO_3812.transform(lon[cand], lat[cand])
    shapely.prepare(area)
    keep[cand] = shapely.contains_xy(area, x, y)
    u, v, km = _read_graph(path, g_start, n_start, keep)
    ids = np.flatnonzero(keep)
    return ScgraphSubset(ids, lat[ids], lon[ids], u, v, km, n_total=int(nodes.shape[0]))


def clip_area(margin_m: float = 30_000.0) -> shapely.Polygon | shapely.MultiPolygon:
    """Belgium (the package's outline) buffered by ``margin_m``, in EPSG:3812."""
    ref = resources.files("enablement") / "data" / "belgium-outline.geojson"
    with resources.as_file(ref) as p:
        outline = gpd.read_file(p).to_crs(CRS).union_all()
    return outline.buffer(margin_m)


def _scgraph_folder() -> Path:
    try:
        files = metadata.files("scgraph-data") or []
    except metadata.PackageNotFoundError as exc:
        msg = "the package scgraph-data is not installed; run `pip install scgraph-data` (or `make demo`)"
        raise NetworkError(msg) from exc
    for f in files:
        if f.name == _MODULES["road"]:
            return Path(str(f.locate())).parent
    msg = "scgraph-data is installed but its world_highways.py is missing; reinstall it"
    raise NetworkError(msg)


def _cache_key(margin_m: float) -> str:
    version = metadata.version("scgraph-data")
    outline = (resources.files("enablement") / "data" / "belgium-outline.geojson").read_bytes()
    speeds = (figure("road_speed_kmh"), figure("rail_speed_kmh"))
    blob = json.dumps([version, READER_VERSION, margin_m, speeds]).encode() + outline
    return f"scgraph-data-{version}-r{READER_VERSION}-{hashlib.sha1(blob).hexdigest()[:12]}"


def _largest_component(n: int, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Boolean mask of nodes in the largest weakly connected component."""
    if n == 0:
        return np.zeros(0, dtype=bool)
    adj = coo_matrix((np.ones(u.size), (u, v)), shape=(n, n)).tocsr()
    _, labels = connected_components(adj, directed=True, connection="weak")
    largest: np.ndarray = labels == np.bincount(labels).argmax()
    return largest


def build_embedded_network(margin_m: float = 30_000.0) -> Network:
    """Build the embedded network from ``scgraph-data`` (no cache).

    Parameters
    ----------
    margin_m
        Margin around Belgium kept, in metres.

    Returns
    -------
    Network
        Road and rail nodes and edges, each mode reduced to its largest connected
        component, nodes renumbered in Hilbert order.
    """
    folder = _scgraph_folder()
    area = clip_area(margin_m)
    node_frames: list[pd.DataFrame] = []
    edge_frames: list[pd.DataFrame] = []
    counts: dict[str, dict[str, int]] = {}
    offset = 0
    for mode, fname in _MODULES.items():
        t0 = time.perf_counter()
        sub = read_scgraph_file(folder / fname, area)
        local = np.full(sub.n_total, -1, dtype=np.int64)
        local[sub.node_ids] = np.arange(sub.node_ids.size)
        lu, lv = local[sub.u], local[sub.v]
        in_lcc = _largest_component(sub.node_ids.size, lu, lv)
        edge_keep = in_lcc[lu] & in_lcc[lv]
        new = np.full(sub.node_ids.size, -1, dtype=np.int64)
        new[in_lcc] = np.arange(int(in_lcc.sum())) + offset
        x, y = _TO_3812.transform(sub.lon[in_lcc], sub.lat[in_lcc])
        node_frames.append(
            pd.DataFrame(
                {
                    "mode": mode,
                    "x": x,
                    "y": y,
                    "source_id": sub.node_ids[in_lcc],
                }
            )
        )
        edge_frames.append(
            pd.DataFrame(
                {
                    "u": new[lu[edge_keep]],
                    "v": new[lv[edge_keep]],
                    "mode": mode,
                    "source_km": sub.km[edge_keep],
                }
            )
        )
        counts[mode] = {
            "file_nodes": sub.n_total,
            "clipped_nodes": int(sub.node_ids.size),
            "kept_nodes": int(in_lcc.sum()),
            "dropped_outside_largest_component": int((~in_lcc).sum()),
            "kept_edges": int(edge_keep.sum()),
        }
        offset += int(in_lcc.sum())
        logger.info("read %s: %s in %.2f s", fname, counts[mode], time.perf_counter() - t0)
    nodes = pd.concat(node_frames, ignore_index=True)
    edges = pd.concat(edge_frames, ignore_index=True)
    return _finish(
        nodes,
        edges,
        {
            "source": "embedded",
            "source_detail": (
                f"scgraph-data {metadata.version('scgraph-data')} world_highways + world_railways"
            ),
            "reader_version": READER_VERSION,
            "margin_m": margin_m,
            "attribution": ATTRIBUTION,
            "counts": counts,
        },
    )


def route_length_m(source_km: np.ndarray, dx: np.ndarray, dy: np.ndarray) -> np.ndarray:
    """Length (m) to route on: the source's length where it gives one, never shorter than the straight line.

    Parameters
    ----------
    source_km
        Edge length as the source writes it (km); NaN, infinite or not above 0 where it gives none.
    dx, dy
        Offsets between the edge's end nodes in EPSG:3812 (m).

    Returns
    -------
    numpy.ndarray
        ``max(source_km * 1000, straight line)``, or the straight line where the source has no length.
    """
    straight = np.hypot(dx, dy)
    given = np.isfinite(source_km) & (source_km > 0)
    source_m = np.where(given, source_km, 0.0) * 1000.0
    out: np.ndarray = np.where(given, np.maximum(source_m, straight), straight)
    return out


def _finish(nodes: pd.DataFrame, edges: pd.DataFrame, meta: dict[str, object]) -> Network:
    """Renumber nodes in Hilbert order, compute lengths (the source's), speeds and geometry."""
    order = hilbert_order(nodes["x"].to_numpy(), nodes["y"].to_numpy())
    rank = np.empty_like(order)
    rank[order] = np.arange(order.size)
    nodes = nodes.iloc[order].reset_index(drop=True)
    edges = edges.assign(u=rank[edges["u"].to_numpy()], v=rank[edges["v"].to_numpy()])
    edges = edges.sort_values(["u", "v"], kind="stable").reset_index(drop=True)
    x, y = nodes["x"].to_numpy(), nodes["y"].to_numpy()
    u, v = edges["u"].to_numpy(), edges["v"].to_numpy()
    edges["length_m"] = route_length_m(edges["source_km"].to_numpy(np.float64), x[u] - x[v], y[u] - y[v])
    speed = np.where(edges["mode"].to_numpy() == "road", figure("road_speed_kmh"), figure("rail_speed_kmh"))
    edges["speed_kmh"] = speed.astype(np.float64)
    edges["time_s"] = edges["length_m"] / (edges["speed_kmh"] / 3.6)
    coords = np.stack([np.stack([x[u], y[u]], axis=1), np.stack([x[v], y[v]], axis=1)], axis=1)
    node_gdf = gpd.GeoDataFrame(nodes, geometry=gpd.points_from_xy(x, y), crs=CRS)
    node_gdf.index.name = "node"
    edge_gdf = gpd.GeoDataFrame(edges, geometry=shapely.linestrings(coords), crs=CRS)
    return Network(node_gdf, edge_gdf, meta=dict(meta))


def load_embedded_network(margin_m: float = 30_000.0, *, refresh: bool = False) -> Network:
    """Return the embedded network of Belgium, from the cache when present.

    Parameters
    ----------
    margin_m
        Margin around Belgium, in metres.
    refresh
        Rebuild even when a cached copy exists.

    Returns
    -------
    Network
        The road and rail network, without sites (apply an overlay for them).
    """
    key = _cache_key(margin_m)
    folder = Path(settings.cache_folder) / "embedded" / key
    if settings.use_cache and not refresh and (folder / "meta.json").exists():
        t0 = time.perf_counter()
        meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
        net = Network(
            gpd.read_parquet(folder / "nodes.parquet"),
            gpd.read_parquet(folder / "edges.parquet"),
            meta=meta,
        )
        logger.info("loaded the embedded network from %s in %.2f s", folder, time.perf_counter() - t0)
        return net
    t0 = time.perf_counter()
    net = build_embedded_network(margin_m)
    net.meta["build_seconds"] = round(time.perf_counter() - t0, 2)
    net.meta["cache_key"] = key
    if settings.use_cache:
        with atomic_dir(folder) as tmp:
            net.nodes.to_parquet(tmp / "nodes.parquet")
            net.edges.to_parquet(tmp / "edges.parquet")
            (tmp / "meta.json").write_text(json.dumps(net.meta, indent=1), encoding="utf-8")
    return net
