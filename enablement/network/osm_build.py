"""Building a :class:`~enablement.network.model.Network` from a way table, on arrays.

:func:`network_from_ways` splits ways at shared nodes, joins pass-through nodes
where no tag read changes (a bridge with its own tags stays its own edge; a named
motorway junction stays a node, with ``junction_ref``/``junction_name``), parses
each tag set once into typed columns with raw strings and provenance, projects to
EPSG:3812, renumbers nodes in Hilbert order, sets speeds and travel times per mode
and links tagged loading ramps to the road and the railway by transfer edges; frames
are made once, at the end.
"""

from __future__ import annotations

import math
import time
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from ..defaults import figure
from ..errors import NetworkError
from .model import CRS, MODES, Network, hilbert_order, with_transfer_edges
from .osm_table import _COLUMN_KEYS, RAIL_TAGS, ROAD_TAGS, TEXT_TAGS, BuildReport, WayTable

__all__ = ["network_from_ways"]

_TO_3812 = pyproj.Transformer.from_crs("EPSG:4326", CRS, always_xy=True)


def _oneway(tags: dict[str, str]) -> int:
    """+1 forward only, -1 backward only, 0 both directions."""
    value = tags.get("oneway", "").lower()
    if value in ("yes", "true", "1"):
        return 1
    if value in ("-1", "reverse"):
        return -1
    if value in ("no", "false", "0"):
        return 0
    if tags.get("junction") in ("roundabout", "circular"):
        return 1
    if tags.get("highway") in ("motorway", "motorway_link"):
        return 1  # implied by the highway class (OSM wiki Key:oneway)
    return 0


def _restrictions(attrs: pd.DataFrame) -> pd.DataFrame:
    """Network restriction columns (see ``EDGE_RESTRICTION_COLUMNS``) from parsed tags."""

    def col(name: str) -> pd.Series:
        return attrs[name] if name in attrs.columns else pd.Series(np.nan, index=attrs.index)

    out = pd.DataFrame(index=attrs.index)
    out["maxweight_t"] = np.fmin(col("maxweight_tag_t"), col("maxweightrating_hgv_t"))
    out["maxaxleload_t"] = col("maxaxleload_t")
    out["maxheight_m"] = col("maxheight_m")
    out["maxwidth_m"] = col("maxwidth_m")
    out["maxlength_m"] = col("maxlength_m")
    for kind in ("wheeled", "tracked"):
        two = col(f"mlc_{kind}").fillna(col("mlc"))
        out[f"mlc_{kind}_twoway"] = two
        out[f"mlc_{kind}_oneway"] = np.fmax(col("mlc_oneway"), two)
    return out


def _tagset_columns(table: WayTable, weights: np.ndarray, report: BuildReport) -> pd.DataFrame:
    """One row per tag set: mode, text tags, typed values with raw strings and provenance, speeds.

    Each tag set is parsed once; unparseable values are counted once per OSM way
    (``weights``: ways per tag set).
    """
    sets, modes = table.tagsets, table.modes
    n = len(sets)
    cols: dict[str, list[Any]] = {"mode": list(modes)}
    for key in TEXT_TAGS:
        values = [t.get(key) for t in sets]
        if any(v is not None for v in values):
            cols[key.replace(":", "_")] = values
    text = set(cols)
    parsed: dict[tuple[str, str], tuple[float, bool]] = {}
    for mode, spec in (("road", ROAD_TAGS), ("rail", RAIL_TAGS)):
        rows = [i for i in range(n) if modes[i] == mode]
        for key, (col, parser) in spec.items():
            hits = [(i, sets[i][key]) for i in rows if key in sets[i]]
            if not hits:
                continue
            if col not in cols:
                cols[col] = [math.nan] * n
                cols[f"{col}_raw"] = [None] * n
                cols[f"{col}_src"] = [None] * n
                text |= {f"{col}_raw", f"{col}_src"}
            for i, raw in hits:
                got = parsed.get((key, raw))
                if got is None:
                    got = parsed[(key, raw)] = parser(raw)
                value, ok = got
                cols[col][i] = value
                cols[f"{col}_raw"][i] = raw
                cols[f"{col}_src"][i] = "osm"
                if not ok:
                    report.unparsed[key] += int(weights[i])
    # text as object columns (one shared str per tag set, 8 bytes per edge), as a network loaded from a
    # GeoPackage has them; numbers as float64
    attrs = pd.DataFrame(
        {k: np.asarray(v, dtype=object if k in text else float) for k, v in cols.items()}, index=range(n)
    )
    restr = _restrictions(attrs)
    attrs = pd.concat([attrs.drop(columns=[c for c in restr.columns if c in attrs.columns]), restr], axis=1)
    defaults = figure("osm_default_speed_kmh")
    cls = np.where(attrs["mode"] == "rail", "rail", attrs.get("highway", pd.Series("", index=attrs.index)))
    default_speed = pd.Series(cls).map(defaults).fillna(50.0).to_numpy(dtype=float)
    speed = attrs["maxspeed_kmh"].to_numpy(dtype=float) if "maxspeed_kmh" in attrs else np.full(n, np.nan)
    tagged = np.isfinite(speed) & (speed > 0)
    attrs["speed_kmh"] = np.where(tagged, speed, default_speed)
    attrs["speed_src"] = np.where(tagged, "osm", "default").astype(object)
    return attrs


def _pieces(table: WayTable) -> dict[str, np.ndarray]:
    """Split ways at graph nodes: way ends, nodes used more than once (per mode) and motorway junctions.

    Returns the pieces (first and last position in the flat node arrays, end nodes
    in a compact numbering), each node's first position and whether it is a named
    motorway junction (a road node in ``table.junctions``).
    """
    sizes = np.diff(table.offsets)
    row = np.repeat(np.arange(len(table), dtype=np.int64), sizes)
    mode_code = np.asarray([MODES.index(m) if m else 0 for m in table.modes], np.int64)[table.tagset]
    # road and rail never share a node: mode changes go through transfer edges
    key = table.refs * 2 + mode_code[row]
    _, inv, counts = np.unique(key, return_inverse=True, return_counts=True)
    del key
    graph = counts[inv] > 1
    ends = sizes > 0
    graph[table.offsets[:-1][ends]] = True
    graph[table.offsets[1:][ends] - 1] = True
    junction = np.zeros(table.refs.size, bool)
    if table.junctions:
        ids = np.fromiter(table.junctions, np.int64, len(table.junctions))
        junction = np.isin(table.refs, ids) & (mode_code[row] == MODES.index("road"))
        graph |= junction
    gp = np.flatnonzero(graph)
    del graph
    same = row[gp[:-1]] == row[gp[1:]]
    a, b = gp[:-1][same], gp[1:][same]
    ka, kb = inv[a], inv[b]
    keep = (ka != kb) | (b - a > 1)  # a repeated node in a row is no edge
    a, b, ka, kb = a[keep], b[keep], ka[keep], kb[keep]
    used = np.unique(np.concatenate([ka, kb]))
    node_of_key = np.full(counts.size, -1, np.int64)
    node_of_key[used] = np.arange(used.size)
    first = np.empty(counts.size, np.int64)
    first[inv[::-1]] = np.arange(inv.size - 1, -1, -1)
    node_pos = first[used]
    return {
        "a": a,
        "b": b,
        "u": node_of_key[ka],
        "v": node_of_key[kb],
        "row": row[a],
        "node_pos": node_pos,
        "node_mode": mode_code[row[node_pos]],
        "node_junction": junction[node_pos],
    }


def _chains(
    pu: np.ndarray,
    pv: np.ndarray,
    sig: np.ndarray,
    oneway: np.ndarray,
    n_nodes: int,
    keep: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Join pieces through pass-through nodes where nothing changes.

    A node is passed through when exactly two pieces touch it, they lead to two
    different other nodes, their tag signatures are equal and, on one-way roads,
    one flows in and the other out; nodes flagged in ``keep`` (named motorway
    junctions) never are. Rings made only of such nodes stay as they are.

    Returns
    -------
    piece, reverse, segment, removed
        The pieces in order along each output segment, whether each is walked
        against its digitised direction, the segment of each, and the nodes removed.
    """
    n_pieces = pu.size
    ends_node = np.concatenate([pu, pv])
    ends_piece = np.concatenate([np.arange(n_pieces), np.arange(n_pieces)])
    ends_side = np.concatenate([np.zeros(n_pieces, np.int64), np.ones(n_pieces, np.int64)])
    degree = np.bincount(ends_node, minlength=n_nodes)
    order = np.argsort(ends_node, kind="stable")
    start = np.cumsum(degree) - degree
    x = np.flatnonzero(degree == 2)
    e1, e2 = order[start[x]], order[start[x] + 1]
    p, q = ends_piece[e1], ends_piece[e2]
    sp, sq = ends_side[e1], ends_side[e2]
    other_p = np.where(sp == 0, pv[p], pu[p])
    other_q = np.where(sq == 0, pv[q], pu[q])
    enters_p = ((sp == 1) & (oneway[p] == 1)) | ((sp == 0) & (oneway[p] == -1))
    enters_q = ((sq == 1) & (oneway[q] == 1)) | ((sq == 0) & (oneway[q] == -1))
    ok = (p != q) & (other_p != other_q) & (sig[p] == sig[q]) & ((oneway[p] == 0) | (enters_p != enters_q))
    if keep is not None:
        ok &= ~keep[x]
    x, p, q, sp, sq = x[ok], p[ok], q[ok], sp[ok], sq[ok]
    link = np.full((n_pieces, 2), -1, np.int64)
    link[p, sp] = q
    link[q, sq] = p
    linked = link >= 0
    walk_from = np.flatnonzero(linked.any(axis=1) & ~linked.all(axis=1))
    links, us, vs = link.tolist(), pu.tolist(), pv.tolist()
    seen = bytearray(n_pieces)
    piece: list[int] = []
    reverse: list[bool] = []
    segment: list[int] = []
    n_seg = 0
    for s in walk_from.tolist():
        if seen[s]:
            continue
        cur, entry = s, (0 if links[s][0] == -1 else 1)
        while True:
            seen[cur] = 1
            piece.append(cur)
            reverse.append(entry == 1)
            segment.append(n_seg)
            node = vs[cur] if entry == 0 else us[cur]
            nxt = links[cur][1 - entry]
            if nxt == -1 or seen[nxt]:
                break
            entry = 0 if us[nxt] == node else 1
            cur = nxt
        n_seg += 1
    single = np.flatnonzero(np.frombuffer(seen, np.uint8) == 0)
    removed = np.zeros(n_nodes, bool)
    removed[x] = True
    ring = single[linked[single].any(axis=1)]  # rings of pass-through nodes keep their nodes
    removed[pu[ring]] = False
    removed[pv[ring]] = False
    return (
        np.concatenate([np.asarray(piece, np.int64), single]),
        np.concatenate([np.asarray(reverse, bool), np.zeros(single.size, bool)]),
        np.concatenate([np.asarray(segment, np.int64), n_seg + np.arange(single.size)]),
        removed,
    )


def _segment_lines(
    a: np.ndarray, b: np.ndarray, piece: np.ndarray, reverse: np.ndarray, segment: np.ndarray, xy: np.ndarray
) -> np.ndarray:
    """One linestring per segment from its pieces' coordinates (shared end points once)."""
    first = np.concatenate([[True], segment[1:] != segment[:-1]])
    pa, pb = a[piece], b[piece]
    skip = (~first).astype(np.int64)
    n_coords = pb - pa + 1 - skip
    rep = np.repeat(np.arange(piece.size), n_coords)
    k = np.arange(int(n_coords.sum())) - np.repeat(np.cumsum(n_coords) - n_coords, n_coords) + skip[rep]
    pos = np.where(reverse[rep], pb[rep] - k, pa[rep] + k)
    lines: np.ndarray = shapely.linestrings(xy[pos], indices=segment[rep])
    return lines


def network_from_ways(
    table: WayTable,
    report: BuildReport | None = None,
    *,
    meta: dict[str, Any] | None = None,
    simplify: bool = True,
) -> Network:
    """Build a :class:`Network` from a way table.

    Ways are split at nodes shared with other ways (or repeated in the same way)
    and at their ends; the pieces become edges whose geometry keeps every
    intermediate node. With ``simplify``, pieces are joined through nodes that only
    link two of them when no tag read into a column changes there (so a bridge with
    its own MLC stays its own edge). One-way roads get one direction, others and
    rail get two. Everything runs on arrays; frames are made once, at the end.

    Parameters
    ----------
    table
        Ways (already trimmed of missing nodes).
    report
        Filled with unparsed-tag counts, merged nodes and timings.
    meta
        Extra metadata for the network.
    simplify
        Join pass-through nodes where nothing changes.

    Returns
    -------
    Network
        Nodes in Hilbert order, EPSG:3812, speeds and travel times per mode.
    """
    report = report if report is not None else BuildReport()
    where = str((meta or {}).get("source_detail") or "the data")
    if not len(table):
        msg = (
            f"{where}: no highway or railway ways of the classes asked for; check the area, the file or "
            "the road classes (--highways)"
        )
        raise NetworkError(msg)
    t0 = time.perf_counter()
    _, first_rows = np.unique(table.way_id, return_index=True)
    weights = np.bincount(table.tagset[first_rows], minlength=len(table.tagsets))
    attrs = _tagset_columns(table, weights, report)
    pcs = _pieces(table)
    if not pcs["a"].size:
        msg = (
            f"{where}: no highway or railway edges: every way kept has fewer than two nodes with a "
            "location; check the file or the area"
        )
        raise NetworkError(msg)
    ts = table.tagset[pcs["row"]].astype(np.int64)
    oneway_of_set = np.array(
        [_oneway(t) if m == "road" else 0 for t, m in zip(table.tagsets, table.modes, strict=True)], np.int64
    )
    sig_ids: dict[tuple[str, tuple[tuple[str, str], ...]], int] = {}
    sig_of_set = np.array(
        [
            sig_ids.setdefault(
                (m, tuple(kv for kv in t.items() if kv[0] in _COLUMN_KEYS.get(m, ()))), len(sig_ids)
            )
            for t, m in zip(table.tagsets, table.modes, strict=True)
        ],
        np.int64,
    )
    attrs["oneway"] = oneway_of_set != 0  # replaces the raw tag column, as a flag
    n_nodes = pcs["node_pos"].size
    oneway = oneway_of_set[ts]
    if simplify:
        piece, reverse, segment, removed = _chains(
            pcs["u"], pcs["v"], sig_of_set[ts], oneway, n_nodes, pcs["node_junction"]
        )
    else:
        piece = np.arange(pcs["u"].size)
        reverse = np.zeros(piece.size, bool)
        segment = piece.copy()
        removed = np.zeros(n_nodes, bool)
    first_item = np.flatnonzero(np.concatenate([[True], segment[1:] != segment[:-1]]))
    last_item = np.concatenate([first_item[1:] - 1, [piece.size - 1]])
    fp, fr, lp, lr = piece[first_item], reverse[first_item], piece[last_item], reverse[last_item]
    seg_u = np.where(fr, pcs["v"][fp], pcs["u"][fp])
    seg_v = np.where(lr, pcs["u"][lp], pcs["v"][lp])
    seg_oneway = oneway[fp] * np.where(fr, -1, 1)
    seg_set = ts[fp]
    seg_way = table.way_id[pcs["row"][fp]]
    # project every coordinate once
    px, py = _TO_3812.transform(table.lon, table.lat)
    lines = _segment_lines(pcs["a"], pcs["b"], piece, reverse, segment, np.column_stack([px, py]))
    seg_len = shapely.length(lines)
    # nodes kept, in Hilbert order
    kept = np.flatnonzero(~removed)
    node_pos = pcs["node_pos"][kept]
    x, y = px[node_pos], py[node_pos]
    del px, py
    order = hilbert_order(x, y)
    rank = np.full(n_nodes, -1, np.int64)
    rank[kept[order]] = np.arange(kept.size)
    # directed edges: forward unless one-way against the digitised direction, backward unless one-way
    fwd, bwd = np.flatnonzero(seg_oneway >= 0), np.flatnonzero(seg_oneway <= 0)
    e_seg = np.concatenate([fwd, bwd])
    e_u = rank[np.concatenate([seg_u[fwd], seg_v[bwd]])]
    e_v = rank[np.concatenate([seg_v[fwd], seg_u[bwd]])]
    geoms = np.concatenate([lines[fwd], shapely.reverse(lines[bwd])])
    del lines
    order_e = np.lexsort((e_v, e_u))
    e_seg, e_u, e_v, geoms = e_seg[order_e], e_u[order_e], e_v[order_e], geoms[order_e]
    edges = attrs.take(seg_set[e_seg]).reset_index(drop=True)
    edges.insert(0, "osm_way", seg_way[e_seg])
    at = edges.columns.get_loc("speed_kmh")
    for k, (name, values) in enumerate((("u", e_u), ("v", e_v), ("length_m", seg_len[e_seg]))):
        edges.insert(at + k, name, values)
    edges["time_s"] = edges["length_m"] / (edges["speed_kmh"] / 3.6)
    edges["source"] = "osm"
    node_mode = np.asarray(MODES, dtype=object)[pcs["node_mode"][kept][order]]
    x, y = x[order], y[order]
    refs = table.refs[node_pos[order]]
    nodes = pd.DataFrame({"mode": node_mode, "x": x, "y": y, "source_id": refs})
    if table.junctions:
        nodes["junction_ref"], nodes["junction_name"] = _junction_columns(
            table.junctions, refs, node_mode == "road"
        )
    node_gdf = gpd.GeoDataFrame(nodes, geometry=shapely.points(x, y), crs=CRS, copy=False)
    node_gdf.index.name = "node"
    edge_gdf = gpd.GeoDataFrame(edges, geometry=geoms, crs=CRS, copy=False)
    features = _features_frame(report)
    edge_gdf = _ramp_transfers(node_gdf, edge_gdf, features)
    if simplify:
        report.merged_nodes = int(removed.sum())
    report.seconds["build"] = time.perf_counter() - t0
    lcc = _largest_components(node_gdf, edge_gdf)
    info = {
        "source": "osm",
        "attribution": "© OpenStreetMap contributors, ODbL 1.0",
        "report": report.as_dict(),
        "largest_strong_component": lcc,
    }
    return Network(node_gdf, edge_gdf, meta={**info, **(meta or {})}, features=features)


def _junction_columns(
    junctions: dict[int, tuple[str, str]], refs: np.ndarray, road: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """``junction_ref`` and ``junction_name`` of road nodes by their ids (object arrays, None elsewhere)."""
    ref = np.full(refs.size, None, dtype=object)
    name = np.full(refs.size, None, dtype=object)
    for i in np.flatnonzero(road).tolist():
        label = junctions.get(int(refs[i]))
        if label is not None:
            ref[i], name[i] = label[0] or None, label[1] or None
    return ref, name


def _largest_components(nodes: pd.DataFrame, edges: pd.DataFrame) -> dict[str, int]:
    """Size (nodes) of the largest strongly connected component of each mode."""
    n = len(nodes)
    lcc = {}
    for mode in ("road", "rail"):
        sel = (edges["mode"] == mode).to_numpy()
        if not sel.any():
            continue
        adj = coo_matrix((np.ones(int(sel.sum())), (edges["u"][sel], edges["v"][sel])), shape=(n, n)).tocsr()
        _, labels = connected_components(adj, directed=True, connection="strong")
        members = labels[(nodes["mode"] == mode).to_numpy()]
        lcc[mode] = int(np.bincount(members).max())
    return lcc


def _features_frame(report: BuildReport) -> gpd.GeoDataFrame:
    """Yards, platforms and loading ramps as points in EPSG:3812."""
    cols = ["kind", "osm_type", "osm_id", "lon", "lat", "name"]
    frame = pd.DataFrame(report.feature_points, columns=cols)
    x, y = _TO_3812.transform(frame["lon"].to_numpy(float), frame["lat"].to_numpy(float))
    return gpd.GeoDataFrame(frame.drop(columns=["lon", "lat"]), geometry=gpd.points_from_xy(x, y), crs=CRS)


def _ramp_transfers(
    nodes: gpd.GeoDataFrame, edges: gpd.GeoDataFrame, features: gpd.GeoDataFrame
) -> gpd.GeoDataFrame:
    """Road↔rail transfer edges at tagged loading ramps with a road and a rail node close by."""
    ramps = features[features["kind"] == "loading_ramp"]
    tol = float(figure("ramp_snap_tolerance_m"))
    xy = np.column_stack([nodes["x"].to_numpy(), nodes["y"].to_numpy()])
    by_mode = {m: np.flatnonzero((nodes["mode"] == m).to_numpy()) for m in ("road", "rail")}
    links = []
    for _, ramp in ramps.iterrows():
        p = np.array([ramp.geometry.x, ramp.geometry.y])
        ends = []
        for ids in by_mode.values():
            d = np.hypot(*(xy[ids] - p).T) if ids.size else np.empty(0)
            if ids.size and d.min() <= tol:
                ends.append(int(ids[np.argmin(d)]))
        if len(ends) == 2:
            links.append((ends[0], ends[1], {"osm_way": ramp["osm_id"], "source": "osm ramp"}))
    return with_transfer_edges(edges, nodes, links, float(figure("transfer_time_min")) * 60.0)
