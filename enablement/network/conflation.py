"""Conflation: overlay features matched to network edges, and edges split where a feature ends.

Geometry only: these functions know edges and features as shapely geometries in
EPSG:3812 and return matches; :mod:`enablement.network.overlays` decides what
the matches change.

- A **point** matches the nearest *road* (a directed edge and its reverse twin)
  within the tolerance. When a second road lies about as close (within
  ``max(1 m, 1 %)`` of the nearest distance, and not merely continuing the nearest edge
  from a shared node) the point is *ambiguous*, unless
  the feature names its road (``road``: a ref or a name) and exactly one of the
  candidates carries that name.
- A **line** matches the edges that run along it: an edge must overlap the
  line's flat-capped buffer for at least half its length, three tolerances or
  half the line's length (whichever is least),
  and its covered part must run within 30° of the line's direction (a road that
  crosses the line is no match). The line's ``direction`` (``both``, ``forward``
  along its digitisation, ``backward``) keeps only edges of that direction. Two
  different roads running along the same stretch at about the same distance
  make the line ambiguous; otherwise the closer one wins.
- A match covers an interval ``[start_m, end_m]`` of the edge's geometry; where it
  covers only part of an edge, :func:`split_edges` cuts the edge (and its twin at
  the same point) so that the feature's attributes land on its own piece.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.ops import substring

from .model import renumber_spatially

__all__ = ["EdgeMatch", "FeatureMatch", "match_lines", "match_points", "split_edges", "twins"]

MAX_ANGLE_DEG = 30.0
"""Largest angle between a line and an edge that runs along it."""
TIE_M = 1.0
"""Two candidates closer than ``max(TIE_M, TIE_SHARE × distance)`` to each other are a tie."""
TIE_SHARE = 0.01


@dataclass(frozen=True)
class EdgeMatch:
    """A directed edge matched by a feature over ``[start_m, end_m]`` of its geometry."""

    edge: int
    start_m: float
    end_m: float
    distance_m: float
    same_direction: bool


@dataclass
class FeatureMatch:
    """Result for one feature: status ``matched``, ``ambiguous`` or ``unmatched``, with the reason."""

    feature: int
    status: str
    reason: str
    edges: list[EdgeMatch] = field(default_factory=list)
    distance_m: float = math.nan
    share: float = math.nan


def twins(edges: gpd.GeoDataFrame) -> np.ndarray:
    """Row of each edge's reverse twin (same nodes, opposite way, same length ± 0.5 m), or -1."""
    u = edges["u"].to_numpy(np.int64)
    v = edges["v"].to_numpy(np.int64)
    length = edges.geometry.length.to_numpy()
    out = np.full(len(edges), -1, np.int64)
    by_pair: dict[tuple[int, int], list[int]] = defaultdict(list)
    for i, (a, b) in enumerate(zip(u.tolist(), v.tolist(), strict=True)):
        by_pair[(a, b)].append(i)
    for i, (a, b) in enumerate(zip(u.tolist(), v.tolist(), strict=True)):
        for j in by_pair.get((b, a), ()):
            if j != i and abs(length[j] - length[i]) <= 0.5:
                out[i] = j
                break
    return out


def _road_key(i: int, twin: np.ndarray) -> int:
    return i if twin[i] < 0 else min(i, int(twin[i]))


def _names(edges: gpd.GeoDataFrame, i: int) -> set[str]:
    out: set[str] = set()
    for col in ("ref", "name"):
        if col in edges.columns:
            val = edges[col].iloc[i]
            if isinstance(val, str) and val:
                out |= {p.strip().replace(" ", "").upper() for p in val.split(";")}
    return out


def match_points(
    edges: gpd.GeoDataFrame,
    points: gpd.GeoSeries,
    tolerance_m: float,
    *,
    half_length_m: np.ndarray | None = None,
    road: pd.Series | None = None,
) -> list[FeatureMatch]:
    """Match points to the nearest road within ``tolerance_m``.

    Parameters
    ----------
    edges
        Candidate directed edges (their row positions are the ids returned).
    points
        Point geometries.
    tolerance_m
        Largest distance from a point to its road.
    half_length_m
        Per point, half the feature's extent along the road (a bridge's length / 2):
        the match covers ``[p - h, p + h]`` around the projected point; NaN or ``None``
        covers the whole edge.
    road
        Per point, the ref or name of its road, used to break ties.

    Returns
    -------
    list of FeatureMatch
        One per point; a matched point lists the edge and its twin.
    """
    geoms = edges.geometry.to_numpy()
    u = edges["u"].to_numpy()
    v = edges["v"].to_numpy()
    twin = twins(edges)
    tree = shapely.STRtree(geoms)
    p_idx, e_idx = tree.query(points.to_numpy(), predicate="dwithin", distance=tolerance_m)
    cands: dict[int, list[int]] = defaultdict(list)
    for p, e in zip(p_idx.tolist(), e_idx.tolist(), strict=True):
        cands[p].append(e)
    out = []
    for i, pt in enumerate(points):
        if not cands.get(i):
            out.append(FeatureMatch(i, "unmatched", f"no road edge within {tolerance_m:g} m"))
            continue
        best: dict[int, tuple[float, int]] = {}
        for e in cands[i]:
            d = float(geoms[e].distance(pt))
            key = _road_key(e, twin)
            if key not in best or d < best[key][0]:
                best[key] = (d, e)
        ranked = sorted(best.values())
        d0, e0 = ranked[0]
        # roads about as near; an edge sharing a node with the nearest one continues it (the
        # point lies off their common end), which is no second candidate
        ends0 = {int(u[e0]), int(v[e0])}
        tied = [
            r
            for r in ranked
            if r[0] - d0 <= max(TIE_M, TIE_SHARE * d0)
            and (r[1] == e0 or not ends0 & {int(u[r[1]]), int(v[r[1]])})
        ]
        reason = f"nearest road at {d0:.1f} m"
        if len(tied) > 1:
            wanted = road.iloc[i] if road is not None else None
            name = str(wanted).replace(" ", "").upper() if isinstance(wanted, str) and wanted else None
            named = [r for r in tied if name is not None and name in _names(edges, r[1])]
            if len(named) != 1:
                listed = ", ".join(f"edge {e} at {d:.1f} m" for d, e in tied[:3])
                hint = "give the feature its 'road' (ref or name) or move it onto its road"
                out.append(
                    FeatureMatch(
                        i, "ambiguous", f"{len(tied)} roads about as near ({listed}); {hint}", [], d0
                    )
                )
                continue
            d0, e0 = named[0]
            reason = f"{len(tied)} roads about as near; the one named '{wanted}' at {d0:.1f} m"
        matches = []
        for e in (e0, int(twin[e0])):
            if e < 0:
                continue
            g = geoms[e]
            h = math.nan if half_length_m is None else float(half_length_m[i])
            if math.isfinite(h) and h > 0:
                p = float(g.project(pt))
                a, b = max(0.0, p - h), min(g.length, p + h)
            else:
                a, b = 0.0, float(g.length)
            matches.append(EdgeMatch(e, a, b, d0, True))
        out.append(FeatureMatch(i, "matched", reason, matches, d0, 1.0))
    return out


def _covered(edge: shapely.LineString, buf: shapely.Geometry) -> tuple[float, float, float]:
    """Covered length and the interval ``[a, b]`` of ``edge`` inside ``buf``."""
    inter = edge.intersection(buf)
    if inter.is_empty or inter.length == 0:
        return 0.0, 0.0, 0.0
    coords = shapely.get_coordinates(inter)
    pos = edge.project(shapely.points(coords))
    return float(inter.length), float(pos.min()), float(pos.max())


_Road = tuple[float, int, float, float, list[EdgeMatch]]
"""A road along a line: its distance, key, the stretch ``[lo, hi]`` of the line it covers, its edges."""


def match_lines(
    edges: gpd.GeoDataFrame,
    lines: gpd.GeoSeries,
    tolerance_m: float,
    *,
    direction: pd.Series | None = None,
    keep_parallel: bool = False,
) -> list[FeatureMatch]:
    """Match lines to the edges that run along them (buffered overlap and direction).

    Parameters
    ----------
    edges
        Candidate directed edges.
    lines
        LineString geometries.
    tolerance_m
        Buffer half-width around each line.
    direction
        Per line: ``both`` (default), ``forward`` or ``backward`` (relative to the
        line's digitisation) — which edge directions it applies to.
    keep_parallel
        Keep every edge running along the line, parallel ones included (the tracks
        of a multi-track railway line are separate edges); no ambiguity then.

    Returns
    -------
    list of FeatureMatch
        One per line, with the covered interval of every matched edge and the
        share of the line's length that the matched edges cover.
    """
    geoms = edges.geometry.to_numpy()
    twin = twins(edges)
    tree = shapely.STRtree(geoms)
    out = []
    for i, line in enumerate(lines):
        want = "both" if direction is None or not isinstance(direction.iloc[i], str) else direction.iloc[i]
        found, crossing, wrong_way = _edges_along(line, geoms, tree, twin, tolerance_m, want)
        if not found:
            why = [f"no edge runs along it within {tolerance_m:g} m"]
            if crossing:
                why.append(f"{crossing} edge(s) only cross it")
            if wrong_way:
                why.append(f"{wrong_way} run the other way (direction '{want}')")
            out.append(FeatureMatch(i, "unmatched", "; ".join(why)))
            continue
        kept, tie = _roads_along(found, keep_parallel)
        if tie is not None:
            (d1, k1, *_), (d2, k2, *_) = tie
            out.append(
                FeatureMatch(
                    i,
                    "ambiguous",
                    f"two roads run along it at about the same distance (edge {k1} at {d1:.1f} m, "
                    f"edge {k2} at {d2:.1f} m); check its geometry",
                    [],
                    d1,
                )
            )
            continue
        share = _share_covered([(k[2], k[3]) for k in kept], line.length)
        matches = [m for k in kept for m in k[4]]
        dist = max(k[0] for k in kept)
        reason = f"{len(matches)} edge(s) along {share:.0%} of its length, within {dist:.1f} m"
        out.append(FeatureMatch(i, "matched", reason, matches, dist, share))
    return out


def _edges_along(
    line: shapely.LineString,
    geoms: np.ndarray,
    tree: shapely.STRtree,
    twin: np.ndarray,
    tolerance_m: float,
    want: str,
) -> tuple[dict[int, list[tuple[EdgeMatch, float, float]]], int, int]:
    """Edges running along ``line`` in the direction wanted, grouped by road.

    Returns
    -------
    found, crossing, wrong_way
        Road key → its edges' matches with the stretch ``(lo, hi)`` of the line each
        covers; the number of edges that only cross the line; and of those running
        along it the other way.
    """
    cos_max = math.cos(math.radians(MAX_ANGLE_DEG))
    buf = line.buffer(tolerance_m, cap_style="flat")
    found: dict[int, list[tuple[EdgeMatch, float, float]]] = defaultdict(list)
    crossing = wrong_way = 0
    for e in tree.query(buf, predicate="intersects").tolist():
        g = geoms[e]
        covered, a, b = _covered(g, buf)
        if covered <= 0 or covered < min(0.5 * g.length, 3 * tolerance_m, 0.5 * line.length):
            crossing += covered > 0
            continue
        pa, pb = g.interpolate(a), g.interpolate(b)
        la, lb = float(line.project(pa)), float(line.project(pb))
        # the line's own direction over the stretch the edge covers (low to high position)
        q0, q1 = line.interpolate(min(la, lb)), line.interpolate(max(la, lb))
        ev = np.array([pb.x - pa.x, pb.y - pa.y])
        lv = np.array([q1.x - q0.x, q1.y - q0.y])
        norm = float(np.hypot(*ev) * np.hypot(*lv))
        cos = float(ev @ lv) / norm if norm > 0 else 0.0
        if abs(cos) < cos_max:
            crossing += 1
            continue
        same = cos > 0
        if (want == "forward" and not same) or (want == "backward" and same):
            wrong_way += 1
            continue
        d = float(line.distance(g.interpolate((a + b) / 2)))
        found[_road_key(e, twin)].append((EdgeMatch(e, a, b, d, same), min(la, lb), max(la, lb)))
    return found, crossing, wrong_way


def _roads_along(
    found: dict[int, list[tuple[EdgeMatch, float, float]]], keep_parallel: bool
) -> tuple[list[_Road], tuple[_Road, _Road] | None]:
    """Choose the roads along a line, nearest first, or return the first two that tie for a stretch.

    A road clashes with a kept one when they cover more than half of the shorter of
    their stretches of the line; the nearer wins unless the two are about as near
    (a tie). With ``keep_parallel`` every road is kept.
    """
    roads: list[_Road] = []
    for key, ms in found.items():
        lo = min(m[1] for m in ms)
        hi = max(m[2] for m in ms)
        dist = min(m[0].distance_m for m in ms)
        roads.append((dist, key, lo, hi, [m[0] for m in ms]))
    roads.sort(key=lambda r: (r[0], r[1]))
    kept: list[_Road] = []
    for r in roads:
        clash = None
        for k in kept:
            overlap = min(r[3], k[3]) - max(r[2], k[2])
            if overlap > 0.5 * min(r[3] - r[2], k[3] - k[2]):
                clash = k
                break
        if clash is None or keep_parallel:
            kept.append(r)
        elif r[0] - clash[0] <= max(TIE_M, TIE_SHARE * clash[0]):
            return kept, (clash, r)
    return kept, None


def _share_covered(spans: list[tuple[float, float]], length: float) -> float:
    """Share of a line of ``length`` covered by the union of the stretches ``spans`` (at most 1)."""
    spans = sorted(spans)
    total, cur_lo, cur_hi = 0.0, spans[0][0], spans[0][1]
    for lo, hi in spans[1:]:
        if lo > cur_hi:
            total += cur_hi - cur_lo
            cur_lo, cur_hi = lo, hi
        else:
            cur_hi = max(cur_hi, hi)
    total += cur_hi - cur_lo
    return min(1.0, total / length) if length > 0 else 1.0


def split_edges(
    nodes: gpd.GeoDataFrame,
    edges: gpd.GeoDataFrame,
    cuts: dict[int, list[float]],
    *,
    min_piece_m: float = 10.0,
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, dict[int, list[tuple[int, float, float]]]]:
    """Cut edges at positions along their geometry; the reverse twin is cut at the same points.

    Parameters
    ----------
    nodes, edges
        The network's frames (nodes indexed 0…n-1).
    cuts
        Edge row → positions (m along its geometry). Positions closer than
        ``min_piece_m`` to an end or to each other are dropped.
    min_piece_m
        Shortest piece made.

    Returns
    -------
    nodes, edges
        New frames: new nodes are appended then every node renumbered in spatial
        (Hilbert) order; ``length_m`` and ``time_s`` are shared pro rata.
    pieces
        Old edge row → ``(new row, start_m, end_m)`` of each of its pieces, in the
        old edge's geometry.
    """
    twin = twins(edges)
    geoms = edges.geometry.to_numpy()
    n0 = len(nodes)
    plan, new_xy, new_modes = _cut_plan(
        _canonical_cuts(cuts, twin, geoms, min_piece_m), edges, twin, n0, min_piece_m
    )
    rows, pieces, keep = _cut_pieces(plan, edges, new_xy, n0)
    if not rows:
        return nodes, edges, {e: [(e, 0.0, float(geoms[e].length))] for e in range(len(edges))}
    old_rows = np.flatnonzero(keep)
    kept = edges.iloc[old_rows]
    added = gpd.GeoDataFrame(pd.DataFrame(rows), geometry="geometry", crs=edges.crs)
    base = len(kept)
    pieces = {e: [(base + r, a, b) for r, a, b in ps] for e, ps in pieces.items()}
    xy = np.array(new_xy, dtype=float).reshape(-1, 2)
    extra = gpd.GeoDataFrame(
        {
            "mode": new_modes,
            "x": xy[:, 0],
            "y": xy[:, 1],
            "source_id": [f"split:{x:.2f},{y:.2f}" for x, y in xy],
        },
        geometry=shapely.points(xy),
        crs=nodes.crs,
        index=pd.RangeIndex(n0, n0 + len(new_xy), name=nodes.index.name),
    )
    all_nodes = gpd.GeoDataFrame(pd.concat([nodes, extra]), crs=nodes.crs)
    new_edges = gpd.GeoDataFrame(pd.concat([kept, added], ignore_index=True), crs=edges.crs)
    # unsplit edges keep a record too, so callers can map every old row
    for new_pos, old in enumerate(old_rows.tolist()):
        pieces.setdefault(old, [(new_pos, 0.0, float(geoms[old].length))])
    out_nodes, out_edges = renumber_spatially(all_nodes, new_edges)  # spatial order, as the builders do
    return out_nodes, out_edges, pieces


_Plan = dict[int, tuple[list[float], list[int]]]
"""Edge row → its cut positions (ends included) and the new nodes at the inner ones, in order."""


def _canonical_cuts(
    cuts: dict[int, list[float]], twin: np.ndarray, geoms: np.ndarray, min_piece_m: float
) -> dict[int, set[float]]:
    """Cut positions per road, on its canonical edge (the lower row of an edge and its twin).

    Deciding once per road cuts both directions at exactly the same points and the
    same nodes; positions on the twin are mirrored, rounded to the millimetre, and
    those closer than ``min_piece_m`` to an end are dropped.
    """
    canon_cuts: dict[int, set[float]] = defaultdict(set)
    for e, positions in cuts.items():
        t = int(twin[e])
        c = e if t < 0 or e < t else t
        g_len = float(geoms[c].length)
        for p in positions:
            q = float(p) if c == e else float(geoms[e].length) - float(p)
            if min_piece_m <= q <= g_len - min_piece_m:
                canon_cuts[c].add(round(q, 3))
    return canon_cuts


def _cut_plan(
    canon_cuts: dict[int, set[float]], edges: gpd.GeoDataFrame, twin: np.ndarray, n0: int, min_piece_m: float
) -> tuple[_Plan, list[tuple[float, float]], list[str]]:
    """Where each edge is cut and the nodes made there (numbered from ``n0``).

    Positions closer than ``min_piece_m`` to the previous cut or to the end are
    dropped; a twin gets the mirrored positions and the same nodes in reverse.

    Returns
    -------
    plan, new_xy, new_modes
        The cuts per edge, and the coordinates and mode of each new node.
    """
    geoms = edges.geometry.to_numpy()
    plan: _Plan = {}
    new_xy: list[tuple[float, float]] = []
    new_modes: list[str] = []
    for c, wanted in sorted(canon_cuts.items()):
        g = geoms[c]
        ps = [0.0]
        for q in sorted(wanted):
            if q - ps[-1] >= min_piece_m and g.length - q >= min_piece_m:
                ps.append(q)
        if len(ps) == 1:
            continue
        ids = []
        for q in ps[1:]:
            pt = g.interpolate(q)
            ids.append(n0 + len(new_xy))
            new_xy.append((pt.x, pt.y))
            new_modes.append(str(edges["mode"].iloc[c]))
        plan[c] = ([*ps, float(g.length)], ids)
        t = int(twin[c])
        if t >= 0:  # the twin runs the other way: mirrored positions, the same nodes in reverse
            t_len = float(geoms[t].length)
            plan[t] = ([0.0, *[t_len - q for q in reversed(ps[1:])], t_len], list(reversed(ids)))
    return plan, new_xy, new_modes


def _cut_pieces(
    plan: _Plan, edges: gpd.GeoDataFrame, new_xy: list[tuple[float, float]], n0: int
) -> tuple[list[pd.Series], dict[int, list[tuple[int, float, float]]], np.ndarray]:
    """Cut the planned edges: the piece rows, the pieces of each old edge, which old edges stay whole.

    A piece keeps its edge's attributes, ``length_m``, ``time_s`` and ``source_km`` pro rata, and
    the new nodes' exact coordinates at its cut ends, so both directions meet there.
    """
    geoms = edges.geometry.to_numpy()
    rows = []
    pieces: dict[int, list[tuple[int, float, float]]] = {}
    keep = np.ones(len(edges), bool)
    for e, (ps, ids) in sorted(plan.items()):
        g = geoms[e]
        keep[e] = False
        row = edges.iloc[e]
        ends = [int(row["u"]), *ids, int(row["v"])]
        pieces[e] = []
        for k in range(len(ps) - 1):
            share = (ps[k + 1] - ps[k]) / g.length
            piece = row.copy()
            piece["u"], piece["v"] = ends[k], ends[k + 1]
            seg = substring(g, ps[k], ps[k + 1])
            coords = shapely.get_coordinates(seg).copy()
            if k > 0:
                coords[0] = new_xy[ends[k] - n0]
            if k < len(ps) - 2:
                coords[-1] = new_xy[ends[k + 1] - n0]
            piece["geometry"] = shapely.LineString(coords)
            for col in ("length_m", "time_s", "source_km"):  # source_km: the embedded source's length
                if col in piece.index:
                    piece[col] = float(row[col]) * share
            rows.append(piece)
            pieces[e].append((len(rows) - 1, ps[k], ps[k + 1]))
    return rows, pieces, keep
