"""Conflation: a validated overlay applied onto a network, with provenance and a report.

:func:`conflate` matches an overlay's features to edges (see
:mod:`enablement.network.conflation`), splits edges where a feature covers only
part of one, writes attributes with their provenance (``<column>_src``:
overlay > OSM tag > default), snaps sites to the nodes of their modes, adds
road↔rail transfer edges at rail quays and returns a :class:`ConflationReport`.
:func:`apply_overlay` is the planner's strict variant: every site and restriction
must fit. :func:`closure_spans` reads the timed closures back for the scheduler.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import math
import os
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..._io import write_with_atomic
from ...defaults import figure
from ...errors import NetworkError
from ..conflation import FeatureMatch, match_lines, match_points, split_edges
from ..model import CRS, Network, with_transfer_edges
from ..snapping import SiteSnap, border_cuts, network_grain, snap_sites, snap_tolerance
from .links import add_links
from .read import Overlay
from .schema import BRIDGE_FIELDS, LAYERS, _missing

__all__ = ["ConflationReport", "apply_overlay", "closure_spans", "conflate"]

logger = logging.getLogger(__name__)

# What each restriction layer writes on the edges it matches: overlay field -> edge column
_WRITES: dict[str, dict[str, str]] = {
    "roads": {
        "highway": "highway",
        "lanes": "lanes",
        "width_m": "width_m",
        "ref": "ref",
        "name": "name",
        "road_category": "road_category",
        "morphology": "morphology",
        "maxspeed_kmh": "maxspeed_kmh",
        "maxweight_t": "maxweight_t",
        "maxaxleload_t": "maxaxleload_t",
        "maxheight_m": "maxheight_m",
        "maxwidth_m": "maxwidth_m",
    },
    "rail_lines": {
        # every attribute of the layer (the section's end points only describe it)
        **{
            f: f
            for f in (*LAYERS["rail_lines"].ranges, *LAYERS["rail_lines"].text)
            if not f.endswith("_point")
        },
        "id": "rail_section_id",
    },
    "clearances": {"maxheight_m": "maxheight_m", "id": "clearance_id"},
    "width_restrictions": {"maxwidth_m": "maxwidth_m", "id": "width_restriction_id"},
    "bridges": {
        **{f: f for f in BRIDGE_FIELDS},
        "max_weight_t": "maxweight_t",
        "max_axle_load_t": "maxaxleload_t",
        "id": "bridge_id",
    },
}
_ORDER = ("rail_lines", "roads", "clearances", "width_restrictions", "bridges", "closures")
"""Order of application: later layers override earlier ones on the same edge."""


@dataclass
class ConflationReport:
    """What happened to every conflated feature.

    Attributes
    ----------
    table
        One row per feature: ``layer``, ``id``, ``status`` (``matched``,
        ``ambiguous``, ``unmatched``), ``reason``, ``edges`` (number of network
        edges given its attributes), ``edge_rows`` (their rows, ``;``-separated),
        ``distance_m``, ``share`` (of a line's length along the network) and the
        feature's geometry (EPSG:3812).
    """

    table: gpd.GeoDataFrame

    def counts(self) -> dict[str, dict[str, int]]:
        """Features per layer and status."""
        out: dict[str, dict[str, int]] = {}
        for (layer, status), n in self.table.groupby(["layer", "status"]).size().items():
            out.setdefault(str(layer), {})[str(status)] = int(n)
        return out

    def problems(
        self, layers: tuple[str, ...] = ("bridges", "clearances", "width_restrictions", "closures")
    ) -> list[str]:
        """One line per ambiguous or unmatched feature of ``layers``."""
        bad = self.table[self.table["layer"].isin(layers) & (self.table["status"] != "matched")]
        return [f"{r.layer} '{r.id}' is {r.status}: {r.reason}" for r in bad.itertuples()]

    def write(self, folder: str | os.PathLike[str]) -> dict[str, Path]:
        """Write ``conflation.csv`` and ``conflation.geojson`` (EPSG:4326) atomically."""
        out = Path(folder)
        csv = write_with_atomic(
            out / "conflation.csv", lambda p: self.table.drop(columns="geometry").to_csv(p, index=False)
        )
        gj = write_with_atomic(
            out / "conflation.geojson",
            lambda p: self.table.to_crs(4326).to_file(p, driver="GeoJSON", engine="pyogrio"),
        )
        return {"conflation_csv": csv, "conflation_geojson": gj}


def _matches(
    layer: str,
    gdf: gpd.GeoDataFrame,
    road: gpd.GeoDataFrame,
    point_tol: float,
    line_tol: float,
    main_only: bool = False,
) -> list[FeatureMatch]:
    """Match a layer's features (points and lines separately) to road edges."""
    geoms = gdf.geometry
    is_point = (geoms.geom_type == "Point").to_numpy()
    results: list[FeatureMatch | None] = [None] * len(gdf)
    if is_point.any():
        idx = np.flatnonzero(is_point)
        half = None
        if layer == "bridges" and "length_m" in gdf.columns:
            half = pd.to_numeric(gdf["length_m"], errors="coerce").to_numpy()[idx] / 2.0
        names = gdf["road"].iloc[idx] if "road" in gdf.columns else None
        for m in match_points(road, geoms.iloc[idx], point_tol, half_length_m=half, road=names):
            m.feature = int(idx[m.feature])
            results[m.feature] = m
    if (~is_point).any():
        col = "lanes_direction" if layer == "roads" and "lanes_direction" in gdf.columns else "direction"
        # road-attribute lines only match edges of a compatible class (a lane count of a
        # local street must not land on the motorway running beside it)
        tiers = (
            gdf["highway"].map(_tier).to_numpy()
            if layer == "roads" and "highway" in gdf.columns
            else np.zeros(len(gdf), np.int64)
        )
        edge_tier = (
            road["highway"].map(_tier).to_numpy()
            if "highway" in road.columns
            else np.full(len(road), _MAIN_ONLY if main_only else 0)
        )
        for tier in np.unique(tiers[~is_point]).tolist():
            idx = np.flatnonzero(~is_point & (tiers == tier))
            ok = np.ones(len(road), bool)
            if tier:
                ok = (edge_tier == 0) | (np.abs(edge_tier - tier) <= 1)
                if main_only and "highway" not in road.columns and tier == _LOCAL:
                    ok[:] = False
            sub = np.flatnonzero(ok)
            direction = gdf[col].iloc[idx] if col in gdf.columns else None
            if sub.size == 0:
                for i in idx.tolist():
                    why = "the network holds main roads only; a local road has no counterpart in it"
                    results[i] = FeatureMatch(i, "unmatched", why)
                continue
            edges_sub = road.iloc[sub].reset_index(drop=True)
            lines = match_lines(
                edges_sub, geoms.iloc[idx], line_tol, direction=direction, keep_parallel=layer == "rail_lines"
            )
            for m in lines:
                m.feature = int(idx[m.feature])
                m.edges = [dataclasses.replace(e, edge=int(sub[e.edge])) for e in m.edges]
                results[m.feature] = m
    return [r for r in results if r is not None]


_TIERS = {
    **dict.fromkeys(("motorway", "motorway_link", "trunk", "trunk_link"), 1),
    **dict.fromkeys(("primary", "primary_link", "secondary", "secondary_link"), 2),
    **dict.fromkeys(
        (
            "tertiary",
            "tertiary_link",
            "unclassified",
            "residential",
            "living_street",
            "service",
            "track",
            "path",
            "pedestrian",
            "road",
        ),
        3,
    ),
}
_MAIN_ONLY = 2
_LOCAL = 3


def _tier(highway: object) -> int:
    """Road tier of a highway class: 1 motorway/trunk, 2 primary/secondary, 3 local, 0 unknown."""
    return _TIERS.get(highway, 0) if isinstance(highway, str) else 0


def _provenance(edges: gpd.GeoDataFrame, column: str, base: str) -> None:
    """Make sure ``column`` and ``column_src`` exist (``base`` where a value is known, else ``default``)."""
    if column not in edges.columns:
        edges[column] = np.nan if column not in {"highway", "ref", "name", "road_category"} else None
    src = f"{column}_src"
    if src not in edges.columns:
        known = edges[column].notna().to_numpy()
        edges[src] = np.where(known, base, "default")


def conflate(
    network: Network,
    overlay: Overlay,
    *,
    tolerance_m: float | None = None,
    point_tolerance_m: float | None = None,
    line_tolerance_m: float | None = None,
) -> tuple[Network, ConflationReport]:
    """Conflate an overlay onto a copy of ``network`` and report every feature.

    Parameters
    ----------
    network
        The network (not modified).
    overlay
        A validated overlay.
    tolerance_m
        Largest snapping distance of a site to a node of its mode(s), for every kind (default:
        the tolerance of each site's kind on this network's grain, see
        :mod:`enablement.network.snapping`).
    point_tolerance_m
        Largest distance of a point feature (bridge, clearance, closure…) to its road (default:
        the ``bridge`` tolerance of the network's grain).
    line_tolerance_m
        Buffer half-width for line features.

    Returns
    -------
    network
        A copy with edges split where a feature covers part of one, the features'
        attributes on the matched edges (``<column>_src`` says which feature set
        each value), sites snapped (``node_road``, ``node_rail``, ``snap_*_m``) and
        road↔rail transfer edges at quays.
    report
        Matched, ambiguous and unmatched features with their reasons; sites beyond their
        tolerance, off the main component of their mode or only near nodes abroad are
        ``unmatched`` with the distance and the fix.
    """
    grain = network_grain(network)
    ptol = snap_tolerance("bridge", grain, point_tolerance_m)
    ltol = float(figure("line_tolerance_m") if line_tolerance_m is None else line_tolerance_m)
    # the network's frames are shared, not copied: every step below makes new frames before it
    # writes (one copy of a country-sized network less at the peak)
    net = Network(network.nodes, network.edges, network.sites, dict(network.meta), network.features)
    base = str(net.meta.get("source", "network"))
    # roads and lines the network lacks come first: every later layer and site may use them
    net.nodes, net.edges, link_records = add_links(
        net.nodes, net.edges.reset_index(drop=True), overlay.layer("links")
    )
    edges = (
        net.edges
        if net.edges.index.equals(pd.RangeIndex(len(net.edges)))
        else net.edges.reset_index(drop=True)
    )
    mode = edges["mode"].to_numpy()
    # rail lines enrich running lines only: OSM yard tracks, sidings and spurs keep their own tags
    running = edges["service"].isna().to_numpy() if "service" in edges.columns else np.ones(len(edges), bool)
    candidates = {
        "road": np.flatnonzero(mode == "road"),
        "rail": np.flatnonzero((mode == "rail") & running),
    }
    # the matchers read the geometry, ends, mode and road names and classes only
    used = [
        c for c in ("u", "v", "mode", "highway", "ref", "name", "oneway", "geometry") if c in edges.columns
    ]
    frames = {k: edges[used].iloc[rows].reset_index(drop=True) for k, rows in candidates.items()}
    main_only = bool(net.meta.get("main_roads_only", net.meta.get("source") == "embedded"))
    found: dict[str, list[FeatureMatch]] = {}
    cuts: dict[int, list[float]] = {}
    for layer in _ORDER:
        gdf = overlay.layer(layer)
        if not len(gdf):
            continue
        kind = "rail" if layer == "rail_lines" else "road"
        found[layer] = _matches(layer, gdf, frames[kind], ptol, ltol, main_only)
        road_rows = candidates[kind]
        if layer == "closures":  # a closure closes the whole edges it lies on: nothing to cut
            continue
        for m in found[layer]:
            if m.status != "matched":
                continue
            for em in m.edges:
                cuts.setdefault(int(road_rows[em.edge]), []).extend([em.start_m, em.end_m])
    # a border crossing gets a node on the border, where its road or line leaves the country
    _add_cuts(cuts, border_cuts(net.nodes, edges, overlay.sites, grain=grain, override_m=tolerance_m))
    nodes, edges, pieces = split_edges(net.nodes, edges, cuts)
    closures_meta: dict[str, dict[str, Any]] = dict(net.meta.get("closures", {}))
    records = list(link_records)
    for layer in _ORDER:
        gdf = overlay.layer(layer)
        road_rows = candidates["rail" if layer == "rail_lines" else "road"]
        for m in found.get(layer, []):
            rows: list[int] = []
            for em in m.edges:
                old = int(road_rows[em.edge])
                for new, a, b in pieces.get(old, [(old, em.start_m, em.end_m)]):
                    if em.start_m - 0.5 <= (a + b) / 2 <= em.end_m + 0.5:  # the piece lies in the match
                        rows.append(new)
            rows = sorted(set(rows))
            feat = gdf.iloc[m.feature]
            fid = str(feat["id"])
            if m.status == "matched" and rows:
                _write(edges, rows, layer, feat, base)
                if layer == "closures":
                    closures_meta[fid] = {
                        "start": feat.get("start"),
                        "end": None if _missing(feat.get("end")) else feat.get("end"),
                        "reason": None if _missing(feat.get("reason")) else str(feat.get("reason")),
                    }
            records.append(
                {
                    "layer": layer,
                    "id": fid,
                    "status": m.status,
                    "reason": m.reason,
                    "edges": len(rows) if m.status == "matched" else 0,
                    "edge_rows": ";".join(map(str, rows)) if m.status == "matched" else "",
                    "distance_m": None if math.isnan(m.distance_m) else round(m.distance_m, 1),
                    "share": None if math.isnan(m.share) else round(m.share, 3),
                    "geometry": feat.geometry,
                }
            )
    net.nodes, net.edges = nodes, gpd.GeoDataFrame(edges, crs=CRS)
    net.nodes, net.edges, sites, snaps = snap_sites(
        net.nodes, net.edges, overlay.sites, grain=grain, override_m=tolerance_m
    )
    records += _site_records(sites, snaps)
    net.sites = sites
    net.edges = _with_transfers(net, sites)
    if overlay.features is not None and len(overlay.features):
        # only the points within the network's extent (national layers on a city network)
        x0, y0, x1, y1 = (
            shapely.MultiPoint(net.nodes.geometry.to_numpy()).bounds if len(net.nodes) else (0, 0, 0, 0)
        )
        inside = overlay.features.cx[x0 - 1000 : x1 + 1000, y0 - 1000 : y1 + 1000]
        parts = [f for f in (net.features, inside) if len(f)]
        net.features = gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), crs=CRS)
    matched = {layer: sum(m.status == "matched" for m in ms) for layer, ms in found.items()}
    credits = [net.meta.get("attribution", ""), *overlay.attribution]
    net.meta = {
        **net.meta,
        "attribution": "; ".join(dict.fromkeys(c for c in credits if c)),
        "overlay": overlay.name,
        "bridges_conflated": matched.get("bridges", 0),
        "conflated": matched,
        **({"closures": closures_meta} if closures_meta else {}),
    }
    columns = ["layer", "id", "status", "reason", "edges", "edge_rows", "distance_m", "share", "geometry"]
    table = gpd.GeoDataFrame(pd.DataFrame(records, columns=columns), geometry="geometry", crs=CRS)
    logger.info(
        "applied overlay %s: %d sites, %s",
        overlay.name,
        len(sites),
        ", ".join(f"{k} {v}" for k, v in matched.items()),
    )
    return net, ConflationReport(table)


def _add_cuts(cuts: dict[int, list[float]], more: dict[int, list[float]]) -> None:
    """Add the cut positions ``more`` to ``cuts`` (edge row → positions)."""
    for row, at in more.items():
        cuts.setdefault(row, []).extend(at)


def _write(edges: pd.DataFrame, rows: list[int], layer: str, feat: pd.Series, base: str) -> None:
    """Write a matched feature's attributes and provenance on ``rows`` (overlay > OSM > default)."""
    tag = f"overlay:{layer}:{feat['id']}"
    if layer == "closures":
        col = "closure_id"
        if col not in edges.columns:
            edges[col] = None
        for r in rows:
            old = edges.at[r, col]
            edges.at[r, col] = str(feat["id"]) if _missing(old) else f"{old};{feat['id']}"
        return
    for src_field, col in _WRITES[layer].items():
        if src_field not in feat.index or _missing(feat[src_field]):
            continue
        _provenance(edges, col, base)
        value = feat[src_field]
        if edges[col].dtype.kind == "f" and not isinstance(value, str):
            value = float(value)
        elif edges[col].dtype.kind == "f":
            edges[col] = edges[col].astype(object)
        for r in rows:
            edges.at[r, col] = value
        edges.loc[rows, f"{col}_src"] = tag


def _site_records(sites: gpd.GeoDataFrame, snaps: list[SiteSnap]) -> list[dict[str, Any]]:
    """One report row per site: ``matched`` within its tolerance and country, else ``unmatched`` and why."""
    bad: dict[str, list[str]] = {}
    for s in snaps:
        if s.problem is not None:
            bad.setdefault(s.site, []).append(f"{s.mode}: {s.problem}")
    records = []
    for sid, row in sites.iterrows():
        near = [
            (m, float(row[f"snap_{m}_m"]), str(row.get(f"node_country_{m}", "")))
            for m in ("road", "rail")
            if not _missing(row.get(f"snap_{m}_m"))
        ]
        problems = bad.get(str(sid))
        shown = ", ".join(f"{m} {d:.0f} m ({c or 'no country'})" for m, d, c in near)
        within = f"snapped within {float(row['snap_tolerance_m']):.0f} m in {row['country'] or 'no country'}"
        records.append(
            {
                "layer": "sites",
                "id": str(sid),
                "status": "unmatched" if problems else "matched",
                "reason": "; ".join(problems) if problems else f"{within}: {shown}",
                "edges": 0,
                "edge_rows": "",
                "distance_m": max((d for _, d, _ in near), default=None)
                if not problems
                else max((s.distance_m for s in snaps if s.site == str(sid)), default=None),
                "share": None,
                "geometry": row.geometry,
            }
        )
    return records


def _with_transfers(net: Network, sites: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Add road↔rail transfer edges at sites where loading is possible (rail quays)."""
    if not len(sites):
        return net.edges
    quays = sites[(sites["kind"] == "rail_quay") & (sites["node_road"] >= 0) & (sites["node_rail"] >= 0)]
    links = [(int(q["node_road"]), int(q["node_rail"]), {"site_id": sid}) for sid, q in quays.iterrows()]
    base = net.edges[net.edges["mode"] != "transfer"].reset_index(drop=True)
    return with_transfer_edges(base, net.nodes, links, float(figure("transfer_time_min")) * 60.0)


def apply_overlay(
    network: Network,
    overlay: Overlay,
    *,
    tolerance_m: float | None = None,
    bridge_tolerance_m: float | None = None,
    line_tolerance_m: float | None = None,
    used_sites: Collection[str] | None = None,
) -> Network:
    """Conflate an overlay onto a copy of ``network``; every restriction and site must fit.

    The planner's entry point: like :func:`conflate`, but a site beyond the
    tolerance or a bridge, clearance, width restriction or closure that is
    unmatched or ambiguous is an error (a restriction silently dropped would
    route a tank over a bridge it must not cross). Road-attribute lines that do
    not match are only logged.

    With ``used_sites`` (the sites a scenario names), a national overlay fits a regional
    network: a site that does not fit and is not used is left out of the network's sites
    (the planner cannot choose it, e.g. as a halt place or a crossing), and a link or
    restriction that lies outside the network's extent (beyond the convex hull of the
    nodes of its mode, widened by its tolerance) is left out, as no route can reach it.
    Each is named in ``meta["left_out"]`` with why; the plan warns about them. A used
    site that does not fit, and a restriction inside the extent that does not match,
    stay errors.

    Raises
    ------
    NetworkError
        Naming every feature that does not fit the network.
    """
    net, report = conflate(
        network,
        overlay,
        tolerance_m=tolerance_m,
        point_tolerance_m=bridge_tolerance_m,
        line_tolerance_m=line_tolerance_m,
    )
    layers = ("links", "sites", "bridges", "clearances", "width_restrictions", "closures")
    table = report.table
    bad = table[table["layer"].isin(layers) & (table["status"] != "matched")]
    left_out: list[str] = []
    if used_sites is not None and len(bad):
        spare = _left_out(
            network,
            overlay,
            bad,
            set(used_sites),
            snap_tolerance("bridge", network_grain(network), bridge_tolerance_m),
        )
        left_out = [
            f"{r.layer} '{r.id}' left out: {str(r.reason).split('; fix:')[0]}"
            + (" (the scenario does not use it)" if r.layer == "sites" else " (it lies outside the network)")
            for r in bad[spare].itertuples()
        ]
        dropped = set(bad.loc[spare & (bad["layer"] == "sites").to_numpy(), "id"].astype(str))
        if dropped:
            net.sites = net.sites[~net.sites.index.astype(str).isin(dropped)]
            net.edges = _with_transfers(net, net.sites)
        bad = bad[~spare]
    if len(bad):
        problems = [f"{r.layer} '{r.id}' is {r.status}: {r.reason}" for r in bad.itertuples()]
        raise NetworkError(
            f"{len(problems)} overlay feature(s) do not fit the network:\n"
            + "\n".join(f"  - {p}" for p in problems)
        )
    if left_out:
        logger.info(
            "%d overlay feature(s) left out: unused sites or features outside the network", len(left_out)
        )
        net.meta = {**net.meta, "left_out": left_out}
    roads = table[(table["layer"] == "roads") & (table["status"] != "matched")]
    if len(roads):
        logger.info("%d road-attribute lines did not match the network", len(roads))
    return net


def _left_out(
    network: Network, overlay: Overlay, bad: pd.DataFrame, used: set[str], tolerance_m: float
) -> np.ndarray:
    """Which of the features ``bad`` that do not fit may be left out (:func:`apply_overlay`).

    A site the scenario does not use; a link or restriction outside the extent of the
    network's nodes of its mode (their convex hull widened by ``tolerance_m``).
    """
    layer = bad["layer"].to_numpy()
    spare: np.ndarray = np.asarray((layer == "sites") & ~bad["id"].astype(str).isin(used).to_numpy(), bool)
    others = np.flatnonzero(layer != "sites")
    if not others.size:
        return spare
    nodes = network.nodes
    modes = nodes["mode"].to_numpy()
    xy = shapely.points(nodes["x"].to_numpy(float), nodes["y"].to_numpy(float))
    hulls = {
        m: shapely.convex_hull(shapely.multipoints(xy[modes == m])).buffer(tolerance_m)
        for m in ("road", "rail")
    }
    links = overlay.layer("links")
    link_mode = (
        dict(zip(links["id"].astype(str), links["mode"].astype(str), strict=True)) if len(links) else {}
    )
    for i in others.tolist():
        row = bad.iloc[i]
        mode = link_mode.get(str(row["id"]), "road") if row["layer"] == "links" else "road"
        spare[i] = not hulls[mode].intersects(row.geometry)
    return spare


def closure_spans(network: Network) -> dict[int, list[tuple[str, str | None]]]:
    """Edge row → ``(start, end)`` ISO times of the overlay closures on it."""
    meta = network.meta.get("closures", {})
    if isinstance(meta, str):
        meta = json.loads(meta)
    out: dict[int, list[tuple[str, str | None]]] = {}
    if "closure_id" not in network.edges.columns:
        return out
    for row, ids in enumerate(network.edges["closure_id"].tolist()):
        if _missing(ids) or not ids:
            continue
        for cid in str(ids).split(";"):
            if cid in meta:
                out.setdefault(row, []).append((meta[cid]["start"], meta[cid].get("end")))
    return out
