"""The plan's Folium map: network drawn lightly, routes, trains, sites with popups, legend, attribution.

The map only draws: every line and mark comes from the :class:`~enablement.plan.Plan`
(its planned routes, corridors, closures and staging peaks); nothing here routes or
solves. All text that comes from data (site names and ids, bridge and closure ids,
unit ids, scenario name, attribution) reaches the page through
:mod:`~enablement.outputs.escape`, by where it lands: :func:`.template_html` for
folium's tooltips and popups (written inside JavaScript template literals),
:func:`.html_text` for the legend, title, layer names and GeoJSON properties (which
folium's ``GeoJsonTooltip`` inserts as HTML), and :func:`.json_script` for the time
slider's data.
"""

from __future__ import annotations

import base64
import json
import os
import re
import sys
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import Any, Protocol

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from branca.element import Figure
from scipy.spatial import cKDTree

from .._io import write_with_atomic
from ..defaults import figure
from ..network.model import CRS, Network
from ..plan import Plan
from ..scheduling.corridors import PlannedRoute
from ..scheduling.rail import Train
from ..timeline import Clock
from .escape import html_text, json_script, template_html

__all__ = ["SITE_STYLE", "leaflet_assets", "slider_labels", "unit_colours", "write_map", "write_route_map"]

SITE_STYLE = {
    "seaport": ("#1f3b8a", "P"),
    "airport": ("#3a8fa8", "A"),
    "rail_quay": ("#8b1a1a", "Q"),
    "staging_area": ("#2e7d32", "S"),
    "convoy_support_centre": ("#e67e00", "C"),
    "day_harbour": ("#6d4c41", "H"),
    "rest_area": ("#9e9d24", "R"),
    "border_crossing": ("#222222", "B"),
}
"""Colour and letter of each site kind (drawn with Leaflet's own div icons: nothing to fetch)."""
_PALETTE = [
    "#e41a1c",
    "#377eb8",
    "#4daf4a",
    "#984ea3",
    "#ff7f00",
    "#a65628",
    "#f781bf",
    "#1b9e77",
    "#d95f02",
    "#7570b3",
    "#e7298a",
    "#66a61e",
    "#e6ab02",
    "#17becf",
    "#bcbd22",
    "#8c564b",
]


def unit_colours(units: Iterable[str]) -> dict[str, str]:
    """Give each unit its colour: the palette in turn, units in sorted order (map, slider, KML)."""
    return {u: _PALETTE[i % len(_PALETTE)] for i, u in enumerate(sorted(set(units)))}


# a 1x1 light grey PNG: a tile layer that needs no network
_PLAIN_TILE = (
    "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4"
    "//8/AAX+Av4N70a4AAAAAElFTkSuQmCC"
)


def _root(m: folium.Map) -> Figure:
    """Return the page a map is drawn on (folium types it as a bare element)."""
    root = m.get_root()
    assert isinstance(root, Figure)
    return root


def _to_wgs84(geoms: list[shapely.Geometry]) -> list[shapely.Geometry]:
    return list(gpd.GeoSeries(geoms, crs=CRS).to_crs(4326).set_precision(1e-5))


_MAIN_ROADS = frozenset(
    (
        "motorway",
        "motorway_link",
        "trunk",
        "trunk_link",
        "primary",
        "primary_link",
        "secondary",
        "secondary_link",
    )
)


def _network_layer(plan: Plan, mode: str, color: str, dash: str | None) -> folium.GeoJson:
    """Draw the network of ``mode`` within the map's budget.

    Near the planned routes and corridors (``map_detail_within_m``) every link is drawn,
    simplified to ``map_detail_simplify_m``; elsewhere only main roads (and running rail
    lines) are, simplified to ``map_overview_simplify_m``. Each link once, whichever
    direction.
    """
    e = plan.network.edges
    rows = np.flatnonzero((e["mode"] == mode).to_numpy())
    u, v = e["u"].to_numpy()[rows], e["v"].to_numpy()[rows]
    pair = np.minimum(u, v).astype(np.int64) * (plan.network.n_nodes + 1) + np.maximum(u, v)
    rows = rows[np.sort(np.unique(pair, return_index=True)[1])]
    geoms = e.geometry.to_numpy()[rows]
    near = np.zeros(len(rows), bool)
    lines = [r.geometry for r in plan.routes] + [c.geometry for k in plan.corridors for c in k.routes]
    lines = [g for g in lines if g is not None and not g.is_empty]
    if lines and len(rows):
        # a link is near when one of its ends is near a vertex of a route (densified to half the reach)
        within = float(figure("map_detail_within_m"))
        vertices = shapely.get_coordinates(shapely.segmentize(np.array(lines, dtype=object), within / 2))
        nodes = plan.network.nodes
        xy = np.column_stack([nodes["x"].to_numpy(float), nodes["y"].to_numpy(float)])
        close = np.isfinite(cKDTree(vertices).query(xy, distance_upper_bound=within)[0])
        near = close[e["u"].to_numpy()[rows]] | close[e["v"].to_numpy()[rows]]
    if mode == "road" and "highway" in e.columns:
        highway = e["highway"].to_numpy()[rows]
        main = np.array([h in _MAIN_ROADS or not isinstance(h, str) for h in highway.tolist()], bool)
    elif "service" in e.columns:
        main = e["service"].isna().to_numpy()[rows]
    else:
        main = np.ones(len(rows), bool)
    far = ~near & main
    parts = np.concatenate(
        [
            shapely.simplify(geoms[near], float(figure("map_detail_simplify_m")), preserve_topology=False),
            shapely.simplify(geoms[far], float(figure("map_overview_simplify_m")), preserve_topology=False),
        ]
    )
    merged = shapely.multilinestrings(parts[~shapely.is_empty(parts)])
    geom = shapely.set_precision(_to_wgs84([merged])[0], 1e-5)
    style = {"color": color, "weight": 1, "opacity": 0.5}
    if dash:
        style["dashArray"] = dash
    return folium.GeoJson(
        {"type": "Feature", "properties": {"mode": mode}, "geometry": shapely.geometry.mapping(geom)},
        name=f"Network: {mode}",
        style_function=lambda _f, s=style: s,
    )


def _grouped(routes: Sequence[PlannedRoute], shuttles: set[str]) -> list[list[PlannedRoute]]:
    """Planned routes grouped by unit, HET or not, and identical edges (columns on the same road)."""
    groups: dict[tuple[str, bool, tuple[int, ...]], list[PlannedRoute]] = {}
    for r in routes:
        groups.setdefault((r.unit, r.owner in shuttles, r.edges), []).append(r)
    return list(groups.values())


def _route_features(plan: Plan) -> list[dict[str, Any]]:
    """One feature per distinct planned road route of a unit, naming the march units that drive it.

    The loaded runs of the HET shuttles are features of their own (``HET shuttle``, dashed),
    counting the HETs and the vehicles they carry.
    """
    results = {u.unit: u for u in plan.units}
    road = [r for r in plan.routes if r.kind == "road"]
    shuttles = {m.id: m for m in plan.march_units if m.purpose == "het"}
    carried: dict[str, int] = defaultdict(int)
    for mu in plan.het_columns.values():
        carried[mu] += 1
    colour = unit_colours(r.unit for r in road)
    groups = _grouped(road, set(shuttles))
    geoms = _to_wgs84([g[0].geometry for g in groups])
    feats = []
    for group, geom in zip(groups, geoms, strict=True):
        unit = group[0].unit
        r = results.get(unit)
        het = group[0].owner in shuttles
        props: dict[str, Any] = {
            "kind": "road route",
            "unit": html_text(unit),
            "mode": html_text(r.mode if r else "road"),
            "vehicles": sum(p.vehicles for p in group),
            "closure": html_text(plan.clock.iso(r.closure_s)) if r else "",
            "rdd": html_text(plan.clock.iso(r.rdd_s)) if r else "",
            "color": colour[unit],
            "dash": None,
            "planned": [[html_text(p.owner), p.leg] for p in group],
        }
        if het:
            loads = sum(carried[p.owner] for p in group)
            props |= {
                "kind": "HET shuttle (laden HETs)",
                "mode": "HET",
                "vehicles": f"{loads} carried by {sum(len(shuttles[p.owner].hets) for p in group)} HET runs",
                "dash": "8 6",
            }
        feats.append({"type": "Feature", "geometry": shapely.geometry.mapping(geom), "properties": props})
    return feats


def _train_features(plan: Plan) -> list[dict[str, Any]]:
    """One feature per distinct planned train route, naming the trains that run it."""
    rail = [r for r in plan.routes if r.kind == "rail"]
    if not rail:
        return []
    trains = {t.id: t for t in plan.trains}
    groups: dict[tuple[int, ...], list[PlannedRoute]] = {}
    for r in rail:
        groups.setdefault(r.edges, []).append(r)
    geoms = _to_wgs84([g[0].geometry for g in groups.values()])
    feats = []
    for group, geom in zip(groups.values(), geoms, strict=True):
        ts = [trains[p.owner] for p in group]
        feats.append(
            {
                "type": "Feature",
                "geometry": shapely.geometry.mapping(geom),
                "properties": {
                    "kind": "rail route",
                    "unit": html_text(", ".join(sorted({t.unit for t in ts}))),
                    "mode": "rail",
                    "vehicles": sum(len(t.vehicles) for t in ts),
                    "closure": html_text(plan.clock.iso(max(t.unloaded_s for t in ts))),
                    "rdd": "",
                    "color": "#5a3e1b",
                    "trains": len(ts),
                    "from": html_text(", ".join(sorted({t.quay for t in ts}))),
                    "to": html_text(", ".join(sorted({t.destination for t in ts}))),
                    "planned": [[html_text(p.owner), p.leg] for p in group],
                },
            }
        )
    return feats


_SITE_FIGURES = (
    ("berths", "berths", ""),
    ("stands", "aircraft stands", ""),
    ("discharge_rate_vph", "discharge rate", " vehicles/h per berth"),
    ("marshalling_area_m2", "marshalling area", " m²"),
    ("marshalling_capacity_vehicles", "marshalling area", " vehicles"),
    ("capacity_vehicles", "holds", " vehicles"),
    ("ramp_tracks", "ramp tracks", ""),
    ("ramp_type", "ramp", ""),
    ("usable_length_m", "usable track length", " m"),
    ("loading_rate_wagons_per_h", "loading rate", " wagons/h"),
    ("hours", "working hours", ""),
    ("road", "road", ""),
    ("line", "rail line", ""),
    ("neighbour", "next country", ""),
)
"""Site fields a popup shows (field, label, unit), when the site has them."""
_MAX_USE_LINES = 8
_SITE_OWN = {"geometry", "id", "name", "kind", "country", "source", "illustrative", "mode"}
"""Site fields a popup shows in its heading and footer (the rest are under "other fields")."""


def _given(value: Any) -> bool:
    """Tell whether a site field holds a value (not empty, not NaN, not the -1 of a missing number)."""
    if value is None:
        return False
    if isinstance(value, float) and not np.isfinite(value):
        return False
    return str(value) not in ("", "nan", "-1", "None")


def _number(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _site_popup(sid: str, row: Mapping[str, Any], use: Sequence[str]) -> str:
    """Return a site's popup: name, kind, what the plan asks of it, its key figures, source and status.

    Folium writes it inside a JavaScript template literal: every value goes through
    :func:`~enablement.outputs.escape.template_html`.
    """
    t = template_html
    kind = str(row.get("kind", "")).replace("_", " ")
    lines = list(use[:_MAX_USE_LINES]) + (
        [f"… {len(use) - _MAX_USE_LINES} more"] if len(use) > _MAX_USE_LINES else []
    )
    asks = (
        "<ul style='margin:2px 0 4px 16px;padding:0'>" + "".join(f"<li>{t(x)}</li>" for x in lines) + "</ul>"
        if lines
        else "<p style='margin:2px 0'>not used by this plan</p>"
    )
    figures = "".join(
        f"<tr><th style='text-align:left;padding-right:6px;font-weight:normal;color:#555'>{t(label)}</th>"
        f"<td>{t(_number(row[key]) + unit)}</td></tr>"
        for key, label, unit in _SITE_FIGURES
        if key in row and _given(row[key])
    )
    illustrative = bool(row.get("illustrative")) if _given(row.get("illustrative")) else False
    status = "illustrative exercise values" if illustrative else "values as the source gives them"
    source = t(row["source"]) if _given(row.get("source")) else "not given"
    shown = {key for key, _, _ in _SITE_FIGURES} | _SITE_OWN
    others = "".join(
        f"<tr><th style='text-align:left;padding-right:6px;font-weight:normal;color:#555'>{t(k)}</th>"
        f"<td>{t(_number(v))}</td></tr>"
        for k, v in row.items()
        if k not in shown and not str(k).startswith(("node_", "snap_")) and _given(v)
    )
    country = f" · {t(row['country'])}" if _given(row.get("country")) else ""
    return (
        f"<b>{t(row.get('name', sid))}</b><br>{t(kind)}{country} · <code>{t(sid)}</code>"
        f"<div style='margin-top:4px'><b>In this plan</b>{asks}</div>"
        + (f"<table style='font-size:11px'>{figures}</table>" if figures else "")
        + f"<div style='font-size:11px;color:#444'>Source: {source}<br><i>{t(status)}</i></div>"
        + (
            "<details style='font-size:11px'><summary>other fields</summary>"
            f"<table>{others}</table></details>"
            if others
            else ""
        )
    )


def _bridge_popup(bid: str, row: Mapping[str, Any], use: Sequence[str]) -> str:
    """Return a bridge's popup: id, MLC classes, what the plan asks of it, where its values come from."""
    t = template_html
    mlc = (
        f"MLC wheeled {_number(row['mlc_wheeled_twoway'])}/{_number(row['mlc_wheeled_oneway'])}, "
        f"tracked {_number(row['mlc_tracked_twoway'])}/{_number(row['mlc_tracked_oneway'])} (two-way/one-way)"
    )
    asks = "".join(f"<li>{t(x)}</li>" for x in use) or "<li>no column crosses it in this plan</li>"
    src = row.get("bridge_id_src") if _given(row.get("bridge_id_src")) else "not given"
    return (
        f"<b>{t(bid)}</b><br>bridge · {t(mlc)}"
        "<div style='margin-top:4px'><b>In this plan</b>"
        f"<ul style='margin:2px 0 4px 16px;padding:0'>{asks}</ul></div>"
        f"<div style='font-size:11px;color:#444'>Classes from: {t(src)}</div>"
    )


def _badge(color: str, letter: str) -> str:
    """Return a round site badge (a Leaflet div icon): a coloured disc with a white letter."""
    return (
        f"<div style='display:inline-block;vertical-align:middle;width:18px;height:18px;border-radius:9px;"
        f"background:{color};color:#fff;"
        f"font:bold 11px/18px sans-serif;text-align:center;border:1px solid #fff'>{html_text(letter)}</div>"
    )


def leaflet_assets() -> Path | None:
    """Folder of a local Leaflet distribution (``leaflet.js``, ``leaflet.css``, ``images/``), if any.

    ``make`` puts one in ``.venv/vendor/leaflet/dist`` (``npm pack leaflet``); the
    ``ENABLEMENT_LEAFLET_DIR`` environment variable may name another.
    """
    for folder in (
        os.environ.get("ENABLEMENT_LEAFLET_DIR"),
        Path(sys.prefix) / "vendor" / "leaflet" / "dist",
    ):
        if folder and (Path(folder) / "leaflet.js").is_file() and (Path(folder) / "leaflet.css").is_file():
            return Path(folder)
    return None


_DOLLAR = (
    "window.$=window.$||function(h){var t=document.createElement('template');"
    "t.innerHTML=String(h).trim();return [t.content.firstElementChild];};"
)


def _self_contained(m: folium.Map) -> None:
    """Load only Leaflet, inlined from a local copy when there is one, so the map opens offline.

    The map draws with Leaflet alone (div icons, circle markers, its layer control
    and scale), so folium's jQuery, Bootstrap and Font Awesome are not loaded. The
    CSS's images are inlined as data URIs. Without a local copy Leaflet comes from
    its CDN (online only).
    """
    folder = leaflet_assets()
    m.default_js = [js for js in m.default_js if js[0] == "leaflet"]
    m.default_css = [css for css in m.default_css if css[0] == "leaflet_css"]
    # folium builds popup contents with jQuery's `$(html)[0]`; this is all of jQuery it needs
    _root(m).header.add_child(folium.Element(f"<script>{_DOLLAR}</script>"), name="dollar_shim")
    if folder is None:
        return
    css = (folder / "leaflet.css").read_text(encoding="utf-8")

    def inline(match: re.Match[str]) -> str:
        img = folder / match.group(1)
        if not img.is_file():
            return match.group(0)
        data = base64.b64encode(img.read_bytes()).decode("ascii")
        return f"url(data:image/{img.suffix.lstrip('.')};base64,{data})"

    css = re.sub(r"url\((images/[^)]+)\)", inline, css)
    js = (folder / "leaflet.js").read_text(encoding="utf-8").replace("</script", "<\\/script")
    m.default_js = []
    m.default_css = []
    header = _root(m).header
    header.add_child(folium.Element(f"<style>{css}</style>"), name="leaflet_css_inline", index=0)
    header.add_child(folium.Element(f"<script>{js}</script>"), name="leaflet_js_inline", index=1)


def _line_feature(geom: shapely.Geometry, **props: Any) -> dict[str, Any]:
    return {"type": "Feature", "geometry": shapely.geometry.mapping(geom), "properties": props}


def _corridor_layers(plan: Plan) -> tuple[folium.GeoJson, folium.FeatureGroup]:
    """Draw each unit's main and alternate supply routes and the critical elements of its MSR."""
    feats = []
    critical = folium.FeatureGroup(name="Critical elements (top 3 per MSR)", show=False)
    for corridor in plan.corridors:
        geoms = _to_wgs84([r.geometry for r in corridor.routes])
        for route, geom in zip(corridor.routes, geoms, strict=True):
            feats.append(
                _line_feature(
                    geom,
                    name=html_text(f"{route.kind} {corridor.unit}"),
                    km=round(route.length_m / 1000, 1),
                    overlap=f"{route.overlap:.0%}",
                    detour=f"{route.detour:.2f}",
                    dash="" if route.kind == "MSR" else "8 6",
                )
            )
        points = _to_wgs84([c.where for c in corridor.critical])
        for c, mid in zip(corridor.critical, points, strict=True):
            extra = "cut off" if not np.isfinite(c.extra_s) else f"+{c.extra_s / 60:.0f} min"
            what = f"bridge {template_html(c.bridge_id)}" if c.bridge_id else "link"
            label = (
                f"{template_html(corridor.unit)}: closing this {what} costs {extra} "
                f"({template_html(corridor.profile)})"
            )
            folium.CircleMarker(
                [mid.y, mid.x],
                radius=7,
                color="#b00",
                fill=True,
                fill_color="#f55",
                fill_opacity=0.8,
                tooltip=label,
            ).add_to(critical)
    corridors = folium.GeoJson(
        {"type": "FeatureCollection", "features": feats},
        name="Corridors (MSR / ASR)",
        show=False,
        style_function=lambda f: {
            "color": "#444",
            "weight": 3,
            "dashArray": f["properties"]["dash"],
            "opacity": 0.8,
        },
        tooltip=folium.GeoJsonTooltip(fields=["name", "km", "overlap", "detour"]),
    )
    return corridors, critical


def _restriction_layer(plan: Plan) -> folium.FeatureGroup:
    """Draw caution crossings, clearances, width limits and closures (scenario and overlay)."""
    layer = folium.FeatureGroup(name="Restrictions and disruptions")
    e = plan.network.edges
    caution = set(plan.kpis()["caution_crossings"])
    marks: list[tuple[shapely.Geometry, str, str]] = []
    for bid in sorted(caution):
        rows = e.index[e["bridge_id"] == bid]
        if len(rows):
            marks.append(
                (e.geometry.loc[rows[0]], f"caution crossing: bridge {template_html(bid)}", "#ff8c00")
            )
    for col, what in (("clearance_id", "clearance"), ("width_restriction_id", "width limit")):
        if col in e.columns:
            for fid, rows in e.groupby(col).groups.items():
                marks.append((e.geometry.loc[rows[0]], f"{what} {template_html(fid)}", "#6a0dad"))
    for c in plan.closures:
        if c.where is None:
            continue
        t = template_html
        until = "further notice" if not np.isfinite(c.end_s) else plan.clock.iso(c.end_s)
        if c.kind == "restriction":
            text = f"{t(c.label)}: {len(c.edges)} road links"
        elif c.kind == "overlay":
            text = f"closure {t(c.id)} from {t(plan.clock.iso(c.start_s))} until {t(until)}"
        else:
            text = (
                f"{t(c.id)}: {t(c.kind.replace('_', ' '))} {t(c.target)} "
                f"from {t(plan.clock.iso(c.start_s))} until {t(until)}"
            )
        marks.append((c.where, text, "#000"))
    for geom, text, colour in marks:
        pt = geom if geom.geom_type == "Point" else geom.interpolate(0.5, normalized=True)
        p = _to_wgs84([pt])[0]
        diamond = (
            f"<div style='width:12px;height:12px;transform:rotate(45deg);background:{colour};"
            "border:1px solid #fff'></div>"
        )
        folium.Marker(
            [p.y, p.x],
            tooltip=text,
            icon=folium.DivIcon(html=diamond, icon_size=(14, 14), icon_anchor=(7, 7)),
        ).add_to(layer)
    return layer


_SLIDER_STEP_MIN = 10
"""Minutes between two positions of the map's time slider."""


def slider_labels(clock: Clock, top_min: int, step_min: int = _SLIDER_STEP_MIN) -> list[str]:
    """Local time of every position of the time slider (0, ``step_min``, … up to ``top_min`` minutes).

    Each label is the day and the clock's local time with its UTC offset, e.g.
    ``Sun 2026-03-29 03:10 UTC+02:00``.
    """
    out = []
    for minute in range(0, top_min + 1, step_min):
        when = clock.at(minute * 60.0)
        out.append(f"{when:%a %Y-%m-%d %H:%M} UTC{when.isoformat()[-6:]}")
    return out


_TRAIN_STEP_M = 2000.0
"""Spacing (m) of the points a train follows along its route on the time slider."""


def _train_track(plan: Plan, train: Train, geom: shapely.Geometry | None) -> list[list[float]]:
    """Return ``[minute, lat, lon]`` points of a train along its planned route, at an even speed."""
    sites = plan.network.sites
    if geom is None or geom.length <= 0:
        ends = _to_wgs84([sites.geometry.loc[train.quay], sites.geometry.loc[train.destination]])
        stops = [(train.depart_s, ends[0]), (train.arrive_s, ends[1])]
    else:
        n = max(2, int(geom.length // _TRAIN_STEP_M) + 1)
        fractions = np.linspace(0.0, 1.0, n)
        pts = _to_wgs84([geom.interpolate(f, normalized=True) for f in fractions])
        span = train.arrive_s - train.depart_s
        stops = [(train.depart_s + f * span, pt) for f, pt in zip(fractions, pts, strict=True)]
    return [[round(t / 60, 1), round(p.y, 5), round(p.x, 5)] for t, p in stops]


def _time_slider(plan: Plan, m: folium.Map) -> None:
    """Add a time slider moving every march unit along its control points and every train to its railhead.

    Plain Leaflet and a range input, no plugin: positions are interpolated between
    the march table's control-point times, so the map stays self-contained. The clock
    beside the slider shows local time in the scenario's zone with its offset, one label
    per step made here (:func:`slider_labels`), so the page and the tables agree across a
    daylight-saving change whatever the browser's own zone.
    """
    from .tables import march_table

    mt = march_table(plan)
    if mt.empty and not plan.trains:
        return
    start = plan.clock.start
    t0 = pd.Timestamp(start)

    def minutes(iso: pd.Series) -> np.ndarray:
        since = pd.to_datetime(iso, format="ISO8601", utc=True) - t0.tz_convert("UTC")
        return np.asarray(since.dt.total_seconds().to_numpy() / 60, dtype=float)

    tracks: list[dict[str, Any]] = []
    het_columns = {m.id for m in plan.march_units if m.purpose == "het"}
    colour = unit_colours(mt["unit"]) if len(mt) else {}
    if len(mt):
        mt = mt.assign(a=minutes(mt["arrive"]), d=minutes(mt["depart"]))
        for mu, g in mt.sort_values(["march_unit", "leg", "seq"]).groupby("march_unit", sort=True):
            pts = []
            for r in g.itertuples():
                pts.append([round(float(r.a), 1), round(float(r.lat), 5), round(float(r.lon), 5)])
                pts.append([round(float(r.d), 1), round(float(r.lat), 5), round(float(r.lon), 5)])
            het = str(mu) in het_columns
            name = f"HET column {mu}" if het else f"march unit {mu}"
            tracks.append(
                {
                    "n": html_text(name),
                    "c": colour[g["unit"].iloc[0]],
                    "k": "het" if het else "road",
                    "p": pts,
                }
            )
    rail = {r.owner: r.geometry for r in plan.routes if r.kind == "rail"}
    for t in plan.trains:
        pts = _train_track(plan, t, rail.get(t.id))
        tracks.append({"n": html_text(f"train {t.id}"), "c": "#5a3e1b", "k": "train", "p": pts})
    t_max = max(float(tr["p"][-1][0]) for tr in tracks)
    top = int(t_max) + 1
    labels = slider_labels(plan.clock, top, _SLIDER_STEP_MIN)
    # the names are HTML (Leaflet's tooltips insert them so), the labels plain text (set as textContent),
    # the whole a JSON literal in the page's script
    data = json_script({"end": t_max, "step": _SLIDER_STEP_MIN, "labels": labels, "tracks": tracks})
    zone = html_text(plan.clock.zone_name)
    panel = (
        "<div id='enablement-time' style='position:fixed;top:12px;left:60px;z-index:9999;background:white;"
        "padding:6px 10px;border:1px solid #888;border-radius:4px;font:12px sans-serif'>"
        f"<b>Movements over time</b> (local time, {zone}): <span id='enablement-clock'></span><br>"
        f"<input id='enablement-slider' type='range' min='0' max='{top}' step='{_SLIDER_STEP_MIN}' "
        "value='0' style='width:min(360px,60vw)'></div>"
    )
    _root(m).html.add_child(folium.Element(panel))
    js = (
        # run once the page has loaded: folium writes the map's own script after this one
        f"window.addEventListener('load',function(){{var D={data};var map={m.get_name()};"
        "var layer=L.layerGroup().addTo(map);"
        "var marks=D.tracks.map(function(t){var o=t.k==='het'?{radius:5,color:t.c,weight:3,fillColor:'#fff',"
        "fillOpacity:1}:(t.k==='train'?{radius:6,color:'#000',weight:2,fillColor:t.c,fillOpacity:1}:"
        "{radius:5,color:'#fff',weight:1,fillColor:t.c,fillOpacity:0.95});"
        "return L.circleMarker([t.p[0][1],t.p[0][2]],o).bindTooltip(t.n);});"
        "function at(p,m){if(m<p[0][0]||m>p[p.length-1][0])return null;for(var i=1;i<p.length;i++){"
        "if(m<=p[i][0]){var a=p[i-1],b=p[i],f=b[0]>a[0]?(m-a[0])/(b[0]-a[0]):0;"
        "return [a[1]+f*(b[1]-a[1]),a[2]+f*(b[2]-a[2])];}}return null;}"
        "function show(m){layer.clearLayers();D.tracks.forEach(function(t,i){var q=at(t.p,m);"
        "if(q){marks[i].setLatLng(q);layer.addLayer(marks[i]);}});"
        "var k=Math.min(D.labels.length-1,Math.max(0,Math.round(m/D.step)));"
        "document.getElementById('enablement-clock').textContent=D.labels[k];}"
        "var s=document.getElementById('enablement-slider');"
        "s.addEventListener('input',function(){show(+s.value);});"
        "show(0);});"
    )
    _root(m).script.add_child(folium.Element(js))


def _load_layer(plan: Plan) -> folium.GeoJson | None:
    """Road links coloured by the number of vehicles the plan sends over them (both directions)."""
    e = plan.network.edges
    load: dict[tuple[int, int], int] = defaultdict(int)
    first: dict[tuple[int, int], int] = {}  # a row drawing the link
    size = {mu.id: len(mu.vehicles) for mu in plan.march_units}
    us, vs = e["u"].to_numpy(), e["v"].to_numpy()
    for (mu_id, _leg), route in plan.march.routes.items():
        for row in route.edges:
            a, b = int(us[row]), int(vs[row])
            key = (min(a, b), max(a, b))
            load[key] += size.get(mu_id, 0)
            first.setdefault(key, row)
    if not load:
        return None
    top = max(load.values())
    steps = [(0.25, "#fee08b"), (0.5, "#fdae61"), (0.75, "#f46d43"), (1.01, "#a50026")]
    feats = []
    edge_geoms = e.geometry.to_numpy()
    geoms = _to_wgs84([edge_geoms[first[k]] for k in load])
    for n, g in zip(load.values(), geoms, strict=True):
        colour = next(c for q, c in steps if n <= q * top)
        feats.append(_line_feature(g, vehicles=n, color=colour))
    return folium.GeoJson(
        {"type": "FeatureCollection", "features": feats},
        name="Road load (vehicles per link)",
        show=False,
        style_function=lambda f: {"color": f["properties"]["color"], "weight": 5, "opacity": 0.9},
        tooltip=folium.GeoJsonTooltip(fields=["vehicles"], aliases=["vehicles over this link"]),
    )


def _package_geojson(name: str) -> dict[str, Any]:
    """Read a GeoJSON file the package ships in ``enablement/data``."""
    data: dict[str, Any] = json.loads((resources.files("enablement") / "data" / name).read_text("utf-8"))
    return data


def _background(m: folium.Map) -> str:
    """Draw the offline background: country outlines and major towns; return the towns' source.

    Both ship with the package: ``countries.geojson`` (Natural Earth) and
    ``places.geojson`` (GeoNames, written by ``tools/places.py``).
    """
    countries = _package_geojson("countries.geojson")
    feats = [
        {
            "type": "Feature",
            "geometry": f["geometry"],
            "properties": {
                "name": html_text(f["properties"].get("name", "")),
                "home": f["properties"].get("country") == "BE",
            },
        }
        for f in countries["features"]
    ]
    group = folium.FeatureGroup(name="Background: countries and towns (offline)")
    folium.GeoJson(
        {"type": "FeatureCollection", "features": feats},
        style_function=lambda f: {
            "color": "#777",
            "weight": 1.5 if f["properties"]["home"] else 1,
            "fillColor": "#fbfaf5" if f["properties"]["home"] else "#ecebe6",
            "fillOpacity": 1,
        },
        interactive=False,
    ).add_to(group)
    places = _package_geojson("places.geojson")
    for f in places["features"]:
        lon, lat = f["geometry"]["coordinates"]
        name = f["properties"]["name"]
        label = (
            "<div class='enablement-town'><span style='display:inline-block;width:5px;height:5px;"
            "border-radius:3px;background:#555;margin-right:3px'></span>"
            f"{html_text(name)}</div>"
        )
        folium.Marker(
            [lat, lon],
            icon=folium.DivIcon(
                html=label, icon_size=(120, 14), icon_anchor=(3, 7), class_name="enablement-label"
            ),
            interactive=False,
        ).add_to(group)
    group.add_to(m)
    css = (
        "<style>.enablement-label{background:none;border:none}"
        ".enablement-town{font:11px sans-serif;color:#333;white-space:nowrap;"
        "text-shadow:0 0 2px #fff,0 0 2px #fff}</style>"
    )
    _root(m).header.add_child(folium.Element(css), name="enablement_town_css")
    return str(places.get("source", ""))


def _line(colour: str, dash: bool = False, weight: int = 3) -> str:
    """Return a short line sample for the legend (an inline SVG)."""
    d = " stroke-dasharray='5 3'" if dash else ""
    return (
        f"<svg width='26' height='10' style='vertical-align:middle'><line x1='1' y1='5' x2='25' y2='5' "
        f"stroke='{colour}' stroke-width='{weight}'{d}/></svg>"
    )


def _dot(fill: str, ring: str = "#fff", size: int = 10, square: bool = False) -> str:
    """Return a marker sample for the legend: a disc (or a square) with a ring."""
    radius = "2px" if square else "50%"
    return (
        f"<span style='display:inline-block;vertical-align:middle;width:{size}px;height:{size}px;"
        f"border-radius:{radius};background:{fill};border:2px solid {ring}'></span>"
    )


def _diamond(colour: str) -> str:
    return (
        "<span style='display:inline-block;vertical-align:middle;width:9px;height:9px;margin:0 3px;"
        f"transform:rotate(45deg);background:{colour}'></span>"
    )


def _legend(plan: Plan, places_source: str) -> str:
    """Return the legend: one entry for every layer the map draws, the plan's key figures, the sources."""
    kinds = "".join(
        f"<div>{_badge(c, letter)} {html_text(k.replace('_', ' '))}</div>"
        for k, (c, letter) in SITE_STYLE.items()
    )
    attributions = "<br>".join(html_text(a) for a in plan.summary()["attribution"] if a)
    k = plan.kpis()
    rows = [
        (
            "Background: countries and towns (offline)",
            f"{_line('#777', weight=1)} country border, {_dot('#555', '#555', 5)} town",
        ),
        ("Network: road", f"{_line('#999999', weight=1)} road network"),
        ("Network: rail", f"{_line('#8b5a2b', dash=True, weight=1)} rail network"),
        ("Routes", f"{_line('#e41a1c')} road route (one colour per unit)"),
        ("Routes", f"{_line('#5a3e1b')} rail route"),
        ("Routes", f"{_line('#e41a1c', dash=True)} HET shuttle: laden HETs (unit's colour)"),
        ("Bridges (MLC)", f"{_dot('#ffd700', '#222')} bridge with MLC classes"),
        ("Road load (vehicles per link)", f"{_line('#f46d43', weight=5)} vehicles per link (off at first)"),
        ("Corridors (MSR / ASR)", f"{_line('#444')} MSR, {_line('#444', dash=True)} ASR (off at first)"),
        (
            "Critical elements (top 3 per MSR)",
            f"{_dot('#f55', '#b00')} critical element of an MSR (off at first)",
        ),
        (
            "Restrictions and disruptions",
            f"{_diamond('#ff8c00')}caution crossing {_diamond('#6a0dad')}clearance / width "
            f"{_diamond('#000')}closure",
        ),
        (
            "Time slider",
            f"{_dot('#e41a1c')} march unit, {_dot('#fff', '#e41a1c', 8, True)} HET column, "
            f"{_dot('#5a3e1b', '#000')} train",
        ),
    ]
    entries = "".join(
        f"<div data-layer='{html_text(layer)}'>{sample} "
        f"<span style='color:#666'>({html_text(layer)})</span></div>"
        for layer, sample in rows
    )
    return (
        "<details id='enablement-legend' open style='position:fixed;bottom:22px;right:10px;z-index:9999;"
        "background:white;padding:6px 8px;border:1px solid #888;border-radius:4px;font:11px sans-serif;"
        "max-width:300px;max-height:70vh;overflow:auto'>"
        f"<summary style='cursor:pointer'><b>{html_text(plan.scenario.name)}</b></summary>"
        f"closure {html_text(k['closure'])}<br>"
        f"{k['vehicles']} vehicles, {k['march_units']} march units, {k['trains']} trains"
        f"<hr style='margin:4px 0'>{entries}"
        f"<div data-layer='Sites' style='margin-top:3px'><b>Sites</b></div>{kinds}"
        f"<hr style='margin:4px 0'><span style='font-size:10px'>{attributions}<br>"
        f"Towns: {html_text(places_source)}<br>Borders: Natural Earth (public domain)</span></details>"
        # closed at first on a narrow screen, where it would cover the map
        "<script>if(window.innerWidth<1000){document.getElementById('enablement-legend').open=false;}</script>"
    )


def _scale(m: folium.Map) -> None:
    """Add Leaflet's scale bar, metric only, at the bottom left (the legend sits at the bottom right)."""
    js = (
        f"window.addEventListener('load',function(){{L.control.scale({{metric:true,imperial:false,"
        f"position:'bottomleft',maxWidth:160}}).addTo({m.get_name()});}});"
    )
    _root(m).script.add_child(folium.Element(js))


def build_map(plan: Plan) -> folium.Map:
    """Build the plan's map as a :class:`folium.Map`.

    Parameters
    ----------
    plan
        The plan.

    Returns
    -------
    folium.Map
        Layers: base maps (OpenStreetMap online, plain offline), the network by
        mode, road and rail routes, sites; a layer control, legend and scale.
    """
    osm_attr = "&copy; OpenStreetMap contributors, ODbL"
    m = folium.Map(location=[50.75, 4.6], zoom_start=8, tiles=None, control_scale=False, prefer_canvas=True)
    # the plain background first, so that the map opens offline; OpenStreetMap tiles one click away
    folium.TileLayer(tiles=_PLAIN_TILE, name="Plain (offline)", attr=osm_attr + " (network data)").add_to(m)
    folium.TileLayer("OpenStreetMap", name="OpenStreetMap (online)", attr=osm_attr, show=False).add_to(m)
    places_source = _background(m)
    _network_layer(plan, "road", "#999999", None).add_to(m)
    _network_layer(plan, "rail", "#8b5a2b", "4 4").add_to(m)
    fields = ["kind", "unit", "mode", "vehicles", "closure", "rdd"]
    routes = {"type": "FeatureCollection", "features": _route_features(plan) + _train_features(plan)}
    folium.GeoJson(
        routes,
        name="Routes",
        style_function=lambda f: {
            "color": f["properties"]["color"],
            "weight": 4,
            "opacity": 0.85,
            "dashArray": f["properties"].get("dash"),
        },
        tooltip=folium.GeoJsonTooltip(fields=fields),
    ).add_to(m)
    sites_layer = folium.FeatureGroup(name="Sites")
    sites = plan.network.sites.to_crs(4326)
    use = plan.site_use()
    for sid, row in sites.iterrows():
        color, letter = SITE_STYLE.get(str(row["kind"]), ("#666666", "?"))
        folium.Marker(
            [row.geometry.y, row.geometry.x],
            popup=folium.Popup(_site_popup(str(sid), row.to_dict(), use.get(str(sid), [])), max_width=360),
            tooltip=template_html(row["name"]),
            icon=folium.DivIcon(html=_badge(color, letter), icon_size=(18, 18), icon_anchor=(9, 9)),
        ).add_to(sites_layer)
    sites_layer.add_to(m)
    bridges = plan.network.edges[plan.network.edges["bridge_id"].notna()]
    if len(bridges):
        layer = folium.FeatureGroup(name="Bridges (MLC)")
        bridge_use = plan.bridge_use()
        pts = _to_wgs84(list(bridges.geometry.interpolate(0.5, normalized=True)))
        seen: set[str] = set()
        for (_, row), pt in zip(bridges.iterrows(), pts, strict=True):
            if row["bridge_id"] in seen:
                continue
            seen.add(row["bridge_id"])
            bid = str(row["bridge_id"])
            text = _bridge_popup(bid, row.to_dict(), bridge_use.get(bid, []))
            folium.CircleMarker(
                [pt.y, pt.x],
                radius=6,
                color="#222",
                fill=True,
                fill_color="#ffd700",
                fill_opacity=0.9,
                popup=folium.Popup(text, max_width=320),
                tooltip=template_html(bid),
            ).add_to(layer)
        layer.add_to(m)
    load = _load_layer(plan)
    if load is not None:
        load.add_to(m)
    if plan.corridors:
        corridors, critical = _corridor_layers(plan)
        corridors.add_to(m)
        critical.add_to(m)
    _restriction_layer(plan).add_to(m)
    folium.LayerControl(collapsed=True).add_to(m)
    _time_slider(plan, m)
    _scale(m)
    _self_contained(m)
    _root(m).html.add_child(folium.Element(_legend(plan, places_source)))
    _root(m).header.add_child(folium.Element(f"<title>{html_text(plan.scenario.name)} — enablement</title>"))
    return m


def write_map(plan: Plan, path: str | Path) -> Path:
    """Write the plan's map to ``path`` (HTML, atomically) and return the path."""
    m = build_map(plan)
    return write_with_atomic(path, lambda p: m.save(str(p)))


class _Drawn(Protocol):
    """What a drawn route needs: its nodes and network edge rows, in order."""

    @property
    def nodes(self) -> tuple[int, ...]: ...

    @property
    def edges(self) -> tuple[int, ...]: ...


def write_route_map(
    network: Network, routes: Sequence[_Drawn], labels: Sequence[str], path: str | Path, title: str
) -> Path:
    """Write a small map of one or more routes (the first drawn boldest) atomically.

    Parameters
    ----------
    network
        The network the routes run on.
    routes, labels
        Routes and their tooltips (escaped here).
    path
        Target HTML file.
    title
        Page title and legend heading.
    """
    edges = network.edges.geometry.to_numpy()
    m = folium.Map(location=[50.75, 4.6], zoom_start=8, tiles=None, control_scale=True)
    attr = "&copy; OpenStreetMap contributors, ODbL"
    folium.TileLayer(tiles=_PLAIN_TILE, name="Plain (offline)", attr=attr + " (network data)").add_to(m)
    folium.TileLayer("OpenStreetMap", name="OpenStreetMap (online)", attr=attr, show=False).add_to(m)
    bounds = []
    for i, (route, label) in enumerate(zip(routes, labels, strict=True)):
        style = {"color": _PALETTE[i % len(_PALETTE)], "weight": 6 if i == 0 else 3}
        geom = _to_wgs84([shapely.line_merge(shapely.multilinestrings(edges[list(route.edges)]))])[0]
        folium.GeoJson(
            {
                "type": "Feature",
                "geometry": shapely.geometry.mapping(geom),
                "properties": {"route": html_text(label)},
            },
            name=html_text(label),
            style_function=lambda _f, st=style: st,
            tooltip=folium.GeoJsonTooltip(fields=["route"]),
        ).add_to(m)
        minx, miny, maxx, maxy = geom.bounds
        bounds += [[miny, minx], [maxy, maxx]]
    ends = _to_wgs84(
        [network.nodes.geometry.iloc[routes[0].nodes[0]], network.nodes.geometry.iloc[routes[0].nodes[-1]]]
    )
    for pt, name in zip(ends, ("start", "end"), strict=True):
        folium.CircleMarker(
            [pt.y, pt.x], radius=7, color="#222", fill=True, fill_color="#fff", tooltip=name
        ).add_to(m)
    if bounds:
        m.fit_bounds(bounds)
    folium.LayerControl(collapsed=False).add_to(m)
    _self_contained(m)
    _root(m).html.add_child(
        folium.Element(
            "<div style='position:fixed;bottom:24px;left:12px;z-index:9999;background:white;padding:6px 8px;"
            f"border:1px solid #888;font:12px sans-serif'><b>{html_text(title)}</b><br>"
            f"<span style='font-size:10px'>{html_text(network.meta.get('attribution', ''))}</span></div>"
        )
    )
    return write_with_atomic(path, lambda p: m.save(str(p)))
