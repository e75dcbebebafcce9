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
import os
import re
import sys
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from branca.element import Figure

from .._io import write_with_atomic
from ..network.model import CRS, Network
from ..plan import Plan
from ..scheduling.corridors import PlannedRoute
from ..timeline import Clock
from .escape import html_text, json_script, template_html

__all__ = ["SITE_STYLE", "leaflet_assets", "slider_labels", "write_map", "write_route_map"]

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


def _network_layer(plan: Plan, mode: str, color: str, dash: str | None) -> folium.GeoJson:
    e = plan.network.edges
    sub = e[e["mode"] == mode]
    lo = np.minimum(sub["u"].to_numpy(), sub["v"].to_numpy())
    hi = np.maximum(sub["u"].to_numpy(), sub["v"].to_numpy())
    keep = ~gpd.pd.DataFrame({"lo": lo, "hi": hi}).duplicated().to_numpy()
    # drawn lightly: simplified to 20 m and to 1e-5 degrees (about 1 m), which is all a screen shows
    merged = shapely.simplify(shapely.multilinestrings(sub.geometry.to_numpy()[keep]), 20.0)
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
    colour = {u: _PALETTE[i % len(_PALETTE)] for i, u in enumerate(sorted({r.unit for r in road}))}
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


def _site_use(plan: Plan) -> dict[str, str]:
    """Summarise what the plan asks of each site: vehicles received, peak in staging, quay loading."""
    use: dict[str, list[str]] = defaultdict(list)
    for a in plan.scenario.arrivals:
        use[a.site].append(f"{sum(e.count for e in a.equipment)} vehicles received ({a.id})")
    sites = plan.network.sites
    for sid, (peak, when) in plan.staging.items():
        cap = sites.loc[sid].get("capacity_vehicles") if sid in sites.index else None
        of = f" of {int(cap)}" if cap is not None and not pd.isna(cap) else ""
        use[sid].append(f"peak {peak}{of} vehicles held at {plan.clock.iso(when)}")
    if plan.hets is not None and plan.het_places:
        res = plan.scenario.resources
        use[plan.het_places[0]].append(f"HET park: {res.hets} HETs ({res.het_type})")
        picked: dict[str, int] = defaultdict(int)
        dropped: dict[str, int] = defaultdict(int)
        for trip in plan.hets.trips:
            picked[plan.het_places[trip.pickup]] += 1
            dropped[plan.het_places[trip.delivery]] += 1
        for sid, n in sorted(picked.items()):
            use[sid].append(f"{n} vehicles loaded on HETs")
        for sid, n in sorted(dropped.items()):
            use[sid].append(f"{n} vehicles off HETs")
    if plan.rail is not None:
        for key, share in plan.rail.utilisation.items():
            if key.startswith("quay "):
                use[key.split()[1]].append(f"ramp tracks busy {share:.0%} of the rail period")
        for t in plan.trains:
            use[t.quay].append(f"train {t.id}: {t.wagons} wagons, loading {plan.clock.iso(t.load_start_s)}")
    return {sid: "; ".join(lines[:6]) + (" …" if len(lines) > 6 else "") for sid, lines in use.items()}


def _site_popup(row: dict[str, Any]) -> str:
    """Return a site's popup: name, id and other fields (folium puts it in a JavaScript template literal)."""
    skip = {"geometry", "id", "name"}
    t = template_html
    cells = "".join(
        f"<tr><th style='text-align:left;padding-right:6px'>{t(k)}</th><td>{t(v)}</td></tr>"
        for k, v in row.items()
        if k not in skip and v is not None and str(v) not in ("nan", "", "-1")
    )
    return f"<b>{t(row.get('name', ''))}</b><br><code>{t(row.get('id', ''))}</code><table>{cells}</table>"


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

    Each label is the clock's local time with its offset, e.g. ``2026-03-29 03:10 +02:00``.
    """
    out = []
    for minute in range(0, top_min + 1, step_min):
        when = clock.at(minute * 60.0)
        out.append(f"{when:%Y-%m-%d %H:%M} {when.isoformat()[-6:]}")
    return out


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
    colour = (
        {u: _PALETTE[i % len(_PALETTE)] for i, u in enumerate(sorted(mt["unit"].unique()))} if len(mt) else {}
    )
    if len(mt):
        mt = mt.assign(a=minutes(mt["arrive"]), d=minutes(mt["depart"]))
        for mu, g in mt.sort_values(["march_unit", "leg", "seq"]).groupby("march_unit", sort=True):
            pts = []
            for r in g.itertuples():
                pts.append([round(float(r.a), 1), round(float(r.lat), 5), round(float(r.lon), 5)])
                pts.append([round(float(r.d), 1), round(float(r.lat), 5), round(float(r.lon), 5)])
            tracks.append({"n": html_text(mu), "c": colour[g["unit"].iloc[0]], "p": pts})
    sites = plan.network.sites.to_crs(4326)
    for t in plan.trains:
        a, b = sites.geometry.loc[t.quay], sites.geometry.loc[t.destination]
        pts = [
            [round(t.depart_s / 60, 1), round(a.y, 5), round(a.x, 5)],
            [round(t.arrive_s / 60, 1), round(b.y, 5), round(b.x, 5)],
        ]
        tracks.append({"n": html_text(f"train {t.id}"), "c": "#5a3e1b", "p": pts})
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
        f"<b>Movements over time</b> ({zone}) <span id='enablement-clock'></span><br>"
        f"<input id='enablement-slider' type='range' min='0' max='{top}' step='{_SLIDER_STEP_MIN}' "
        "value='0' style='width:360px'></div>"
    )
    _root(m).html.add_child(folium.Element(panel))
    js = (
        # run once the page has loaded: folium writes the map's own script after this one
        f"window.addEventListener('load',function(){{var D={data};var map={m.get_name()};"
        "var layer=L.layerGroup().addTo(map);"
        "var marks=D.tracks.map(function(t){"
        "return L.circleMarker([t.p[0][1],t.p[0][2]],{radius:5,color:'#fff',weight:1,fillColor:t.c,"
        "fillOpacity:0.95}).bindTooltip(t.n);});"
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
    for (mu_id, _leg), route in plan.march.routes.items():
        for row in route.edges:
            a, b = int(e["u"].iloc[row]), int(e["v"].iloc[row])
            key = (min(a, b), max(a, b))
            load[key] += size.get(mu_id, 0)
            first.setdefault(key, row)
    if not load:
        return None
    top = max(load.values())
    steps = [(0.25, "#fee08b"), (0.5, "#fdae61"), (0.75, "#f46d43"), (1.01, "#a50026")]
    feats = []
    geoms = _to_wgs84([e.geometry.iloc[first[k]] for k in load])
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


def _legend(plan: Plan) -> str:
    kinds = "".join(
        f"<div>{_badge(c, letter)} {html_text(k.replace('_', ' '))}</div>"
        for k, (c, letter) in SITE_STYLE.items()
    )
    attributions = "<br>".join(html_text(a) for a in plan.summary()["attribution"] if a)
    k = plan.kpis()
    return (
        "<div id='enablement-legend' style='position:fixed;bottom:24px;left:12px;z-index:9999;"
        "background:white;padding:8px 10px;border:1px solid #888;border-radius:4px;font:12px sans-serif;"
        "max-width:320px'>"
        f"<b>{html_text(plan.scenario.name)}</b><br>closure {html_text(k['closure'])}<br>"
        f"{k['vehicles']} vehicles, {k['march_units']} march units, {k['trains']} trains"
        "<hr style='margin:4px 0'>"
        "<div><span style='color:#999'>&#9472;&#9472;</span> road network</div>"
        "<div><span style='color:#8b5a2b'>- - -</span> rail network</div>"
        "<div><span style='color:#e41a1c'>&#9473;&#9473;</span> road route (one colour per unit)</div>"
        "<div><span style='color:#5a3e1b'>&#9473;&#9473;</span> rail route</div>"
        "<div><span style='color:#e41a1c'>- - -</span> HET shuttle: laden HETs (unit's colour)</div>"
        "<div><span style='color:#444'>&#9473;&#9473;</span> MSR, <span style='color:#444'>- -</span> ASR "
        "(corridors layer)</div>"
        "<div><span style='color:#f46d43'>&#9473;&#9473;</span> road load (vehicles per link layer)</div>"
        "<div><span style='color:#f55'>&#9679;</span> critical element &nbsp;"
        "<span style='color:#ff8c00'>&#9670;</span> caution crossing &nbsp;"
        "<span style='color:#6a0dad'>&#9670;</span> clearance / width &nbsp;"
        "<span style='color:#000'>&#9670;</span> closure</div>"
        f"{kinds}<hr style='margin:4px 0'><span style='font-size:10px'>{attributions}</span></div>"
    )


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
    m = folium.Map(location=[50.75, 4.6], zoom_start=8, tiles=None, control_scale=True, prefer_canvas=True)
    # the plain background first, so that the map opens offline; OpenStreetMap tiles one click away
    folium.TileLayer(tiles=_PLAIN_TILE, name="Plain (offline)", attr=osm_attr + " (network data)").add_to(m)
    folium.TileLayer("OpenStreetMap", name="OpenStreetMap (online)", attr=osm_attr, show=False).add_to(m)
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
    use = _site_use(plan)
    for sid, row in sites.iterrows():
        color, letter = SITE_STYLE.get(str(row["kind"]), ("#666666", "?"))
        data = {"use in this plan": use.get(str(sid), "not used")} | row.drop(labels="geometry").to_dict()
        data["id"] = sid
        folium.Marker(
            [row.geometry.y, row.geometry.x],
            popup=folium.Popup(_site_popup(data), max_width=360),
            tooltip=template_html(row["name"]),
            icon=folium.DivIcon(html=_badge(color, letter), icon_size=(18, 18), icon_anchor=(9, 9)),
        ).add_to(sites_layer)
    sites_layer.add_to(m)
    bridges = plan.network.edges[plan.network.edges["bridge_id"].notna()]
    if len(bridges):
        layer = folium.FeatureGroup(name="Bridges (MLC)")
        pts = _to_wgs84(list(bridges.geometry.interpolate(0.5, normalized=True)))
        seen: set[str] = set()
        for (_, row), pt in zip(bridges.iterrows(), pts, strict=True):
            if row["bridge_id"] in seen:
                continue
            seen.add(row["bridge_id"])
            text = (
                f"<b>{template_html(row['bridge_id'])}</b><br>MLC wheeled {row['mlc_wheeled_twoway']:g}/"
                f"{row['mlc_wheeled_oneway']:g}, tracked {row['mlc_tracked_twoway']:g}/"
                f"{row['mlc_tracked_oneway']:g} (two-way/one-way)"
            )
            folium.CircleMarker(
                [pt.y, pt.x],
                radius=6,
                color="#222",
                fill=True,
                fill_color="#ffd700",
                popup=folium.Popup(text, max_width=300),
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
    folium.LayerControl(collapsed=False).add_to(m)
    _time_slider(plan, m)
    _self_contained(m)
    _root(m).html.add_child(folium.Element(_legend(plan)))
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
