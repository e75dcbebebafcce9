"""The plan in the tools planners use: ``plan.gpkg`` (QGIS, ArcGIS), ``plan.kml`` (Google Earth), GPX.

Everything here is drawn from the :class:`~enablement.plan.Plan` and from the march
and train tables the CSV files hold (:func:`~.tables.march_table`,
:func:`~.tables.train_table`), so a control point, a time or a distance reads the
same in every file: nothing here routes or solves.

``plan.gpkg``
    One GeoPackage, layers :data:`LAYERS` with the typed fields of :data:`LAYER_FIELDS`,
    in **EPSG:4326** (WGS84 longitude, latitude). The network's own files are in
    EPSG:3812 (Belgian Lambert 2008, the planner's internal CRS); the plan's exchange
    file is in WGS84 so that it lies under any base map or other nation's data without
    a reprojection, matches the ``lon``/``lat`` columns of ``march_table.csv`` exactly
    (points are written from them) and the MGRS references (WGS84 by definition).
    Times are written twice: ``depart``/``arrive`` as the CSV writes them (ISO 8601 local
    time of the scenario's zone with its offset, text) and ``depart_utc``/``arrive_utc``
    as typed GeoPackage ``DATETIME`` fields, which the GeoPackage standard keeps in UTC.
``plan.kml``
    One file for Google Earth: a Folder per unit (its corridor) with its distinct road
    routes (LineStrings, in the unit's colour of ``map.html``, with a ``TimeSpan`` from the
    first departure to the last arrival) and the control points its march units pass
    (Placemarks named as in the march table, with the MGRS reference); a Folder of the
    trains' routes. One file rather than ``kml/<corridor>.kml``: the plan folder holds
    files only, each in the manifest of ``summary.json``.
``routes.gpx``
    GPX 1.1 for GPS units and navigation apps: one ``<rte>`` per march unit (named by its
    march unit and movement number), its ``<rtept>`` the control points of its march table
    rows in order, each with its name, its arrival time (UTC, as GPX wants) and the local
    times in its description. One file with a route per march unit, not a file per march
    unit: a plan has hundreds of march units, GPX holds any number of routes in one file
    (BaseCamp, OsmAnd and QGIS import each as its own route), and the plan folder is
    written and swapped as a flat set of files listed in one manifest.

Text from data (names, ids) reaches the KML and GPX through :mod:`xml.etree.ElementTree`,
which escapes it, after :func:`~.escape.xml_chars`, which keeps it to the characters XML
allows: never by string concatenation.
"""

from __future__ import annotations

import os
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from .._io import write_with_atomic
from ..network.model import CRS
from ..plan import Plan
from .escape import xml_chars
from .maps import unit_colours
from .tables import march_table, train_table

__all__ = [
    "LAYERS",
    "LAYER_FIELDS",
    "plan_gpx",
    "plan_kml",
    "plan_layers",
    "plan_metadata",
    "write_geopackage",
    "write_xml",
]

WGS84 = "EPSG:4326"
"""CRS of the plan's exchange files (see the module's notes)."""

LAYER_FIELDS: dict[str, dict[str, str]] = {
    "march_unit_routes": {
        "march_unit": "str",
        "movement_number": "str",
        "unit": "str",
        "serial": "int",
        "leg": "int",
        "start": "str",
        "start_name": "str",
        "end": "str",
        "end_name": "str",
        "depart": "str",
        "arrive": "str",
        "depart_utc": "datetime",
        "arrive_utc": "datetime",
        "km": "float",
        "vehicles": "int",
        "tracked": "int",
        "hets": "str",
    },
    "control_points": {
        "control_point": "str",
        "name": "str",
        "kind": "str",
        "mgrs": "str",
        "lon": "float",
        "lat": "float",
        "march_units": "int",
        "first_arrive": "str",
        "last_depart": "str",
        "first_arrive_utc": "datetime",
        "last_depart_utc": "datetime",
    },
    "halts_and_holds": {
        "movement_number": "str",
        "march_unit": "str",
        "unit": "str",
        "kind": "str",
        "control_point": "str",
        "place": "str",
        "mgrs": "str",
        "arrive": "str",
        "depart": "str",
        "arrive_utc": "datetime",
        "depart_utc": "datetime",
        "minutes": "float",
        "vehicles": "int",
    },
    "sites": {
        "id": "str",
        "name": "str",
        "kind": "str",
        "mode": "str",
        "country": "str",
        "capacity_vehicles": "float",
        "discharge_rate_vph": "float",
        "berths": "float",
        "ramp_tracks": "float",
        "usable_length_m": "float",
        "source": "str",
        "illustrative": "bool",
        "used": "bool",
    },
    "disruptions": {
        "id": "str",
        "kind": "str",
        "target": "str",
        "label": "str",
        "start": "str",
        "end": "str",
        "start_utc": "datetime",
        "end_utc": "datetime",
        "recurring": "str",
        "edges": "int",
        "nodes": "int",
    },
    "train_routes": {
        "train": "str",
        "unit": "str",
        "quay": "str",
        "track": "int",
        "destination": "str",
        "border": "str",
        "wagons": "int",
        "vehicles": "int",
        "length_m": "float",
        "gross_t": "float",
        "out_of_gauge": "bool",
        "locomotive": "str",
        "depart": "str",
        "arrive": "str",
        "depart_utc": "datetime",
        "arrive_utc": "datetime",
        "km": "float",
    },
}
"""The fields of each layer of ``plan.gpkg`` and their types: str, int, float, bool or datetime."""

LAYERS: dict[str, tuple[str, str]] = {
    "march_unit_routes": ("LineString", "the road route of each march unit and leg, as the plan drives it"),
    "control_points": ("Point", "every control point of the march table, with its MGRS reference"),
    "halts_and_holds": ("Point", "every halt and hold of the march table"),
    "sites": ("Point", "the network's sites; used: named by the plan"),
    "disruptions": ("Point", "the scenario's disruptions and overlay closures the plan applied"),
    "train_routes": ("LineString", "the route of each train"),
}
"""Geometry type and description of each layer of ``plan.gpkg``, in the order written."""

_DTYPES = {
    "str": "str",
    "int": "int64",
    "float": "float64",
    "bool": "bool",
    "datetime": "datetime64[ms, UTC]",
}
_SYNCHRONOUS = "OGR_SQLITE_SYNCHRONOUS"
_KML = "http://www.opengis.net/kml/2.2"
_GPX = "http://www.topografix.com/GPX/1/1"


def _utc(texts: pd.Series) -> pd.Series:
    """Parse ISO 8601 texts with offsets into UTC datetimes (empty text: NaT)."""
    return pd.to_datetime(texts.where(texts != ""), format="ISO8601", utc=True).astype(_DTYPES["datetime"])


def _frame(layer: str, data: pd.DataFrame, geometry: object) -> gpd.GeoDataFrame:
    """Return the layer's fields of ``data``, each of its type, on ``geometry`` (EPSG:4326)."""
    fields = LAYER_FIELDS[layer]
    columns = {}
    for name, kind in fields.items():
        col = data[name] if name in data.columns else pd.Series([None] * len(data), index=data.index)
        if kind == "str":
            col = col.fillna("").astype(str)
        elif kind in ("int", "bool"):
            col = col.fillna(0)
        columns[name] = col.astype(_DTYPES[kind])
    frame = pd.DataFrame(columns, index=data.index).reset_index(drop=True)
    geoms = gpd.GeoSeries(geometry, crs=WGS84).reset_index(drop=True)
    return gpd.GeoDataFrame(frame, geometry=geoms, crs=WGS84)


def _to_wgs84(geoms: list[shapely.Geometry | None]) -> gpd.GeoSeries:
    return gpd.GeoSeries(geoms, crs=CRS).to_crs(WGS84)


def _legs(plan: Plan, march: pd.DataFrame) -> gpd.GeoDataFrame:
    """One row per march unit and leg: its first and last march table rows, on its planned route."""
    if march.empty:
        return _frame("march_unit_routes", pd.DataFrame(), [])
    keys = ["march_unit", "leg"]
    grouped = march.groupby(keys, sort=False)
    first, last = grouped.first(), grouped.last()
    legs = first[["movement_number", "unit", "serial", "vehicles", "tracked", "hets"]].copy()
    legs["start"], legs["start_name"] = first["control_point"], first["control_point_name"]
    legs["end"], legs["end_name"] = last["control_point"], last["control_point_name"]
    legs["depart"], legs["arrive"] = first["depart"], last["arrive"]
    legs["depart_utc"], legs["arrive_utc"] = _utc(legs["depart"]), _utc(legs["arrive"])
    legs["km"] = (last["km"] - first["km"]).round(2)
    # the plan's routes count legs from 0, the march table from 1
    route = {(r.owner, r.leg + 1): r.geometry for r in plan.routes if r.kind == "road"}
    geoms = _to_wgs84([route.get(k) for k in legs.index])
    return _frame("march_unit_routes", legs.reset_index(), geoms.to_numpy())


def _first_last(march: pd.DataFrame, by: str) -> pd.DataFrame:
    """Per ``by``: the earliest arrival and the latest departure (local text and UTC)."""
    arrive, depart = _utc(march["arrive"]), _utc(march["depart"])
    keyed = march.assign(_a=arrive, _d=depart)
    g = keyed.groupby(by, sort=False)
    out = pd.DataFrame(
        {
            "first_arrive": march["arrive"].loc[g["_a"].idxmin()].to_numpy(),
            "last_depart": march["depart"].loc[g["_d"].idxmax()].to_numpy(),
            "first_arrive_utc": g["_a"].min().to_numpy(),
            "last_depart_utc": g["_d"].max().to_numpy(),
        },
        index=g["_a"].min().index,
    )
    return out


def _control_points(march: pd.DataFrame) -> gpd.GeoDataFrame:
    """One point per control point of the march table (its kinds in order of first use)."""
    if march.empty:
        return _frame("control_points", pd.DataFrame(), [])
    g = march.groupby("control_point", sort=False)
    cps = (
        g[["control_point_name", "mgrs", "lon", "lat"]].first().rename(columns={"control_point_name": "name"})
    )
    cps["kind"] = g["kind"].unique().map(";".join)
    cps["march_units"] = g["march_unit"].nunique()
    cps = cps.join(_first_last(march, "control_point"))
    points = shapely.points(cps["lon"].to_numpy(float), cps["lat"].to_numpy(float))
    return _frame("control_points", cps.reset_index(), points)


def _halts(march: pd.DataFrame) -> gpd.GeoDataFrame:
    """One point per halt or hold row of the march table."""
    rows = march[march["kind"].isin(("halt", "hold"))].rename(columns={"control_point_name": "place"})
    rows = rows.assign(arrive_utc=_utc(rows["arrive"]), depart_utc=_utc(rows["depart"]))
    rows["minutes"] = ((rows["depart_utc"] - rows["arrive_utc"]).dt.total_seconds() / 60.0).round(2)
    points = shapely.points(rows["lon"].to_numpy(float), rows["lat"].to_numpy(float))
    return _frame("halts_and_holds", rows, points)


def _sites(plan: Plan, march: pd.DataFrame) -> gpd.GeoDataFrame:
    """Return the sites, ``used`` when the plan names them (control point, quay, border, arrival)."""
    sites = plan.network.sites
    named = set(march["control_point"]) if not march.empty else set()
    named |= {s for t in plan.trains for s in (t.quay, t.destination, t.border) if s}
    named |= {a.site for a in plan.scenario.arrivals}
    data = pd.DataFrame(sites.drop(columns="geometry")).copy()
    data["id"] = sites.index.astype(str)
    data["used"] = data["id"].isin(named)
    return _frame("sites", data, sites.geometry.to_crs(WGS84).to_numpy())


def _disruptions(plan: Plan) -> gpd.GeoDataFrame:
    """Return the closures in force: scenario disruptions and restrictions, overlay closures."""
    iso = plan.clock.iso
    data = pd.DataFrame(
        {
            "id": [c.id for c in plan.closures],
            "kind": [c.kind for c in plan.closures],
            "target": [c.target for c in plan.closures],
            "label": [c.label for c in plan.closures],
            "start": [iso(c.start_s) for c in plan.closures],
            "end": [iso(c.end_s) if np.isfinite(c.end_s) else "" for c in plan.closures],
            "recurring": [c.when for c in plan.closures],
            "edges": [len(c.edges) for c in plan.closures],
            "nodes": [len(c.nodes) for c in plan.closures],
        },
        dtype=object,
    )
    data["start_utc"], data["end_utc"] = _utc(data["start"].astype(str)), _utc(data["end"].astype(str))
    return _frame("disruptions", data, _to_wgs84([c.where for c in plan.closures]).to_numpy())


def _trains(plan: Plan, trains: pd.DataFrame) -> gpd.GeoDataFrame:
    """One line per train, on its planned route, with the columns of ``trains.csv``."""
    route = {r.owner: r.geometry for r in plan.routes if r.kind == "rail"}
    data = trains.rename(columns={"route_km": "km"})
    data = data.assign(depart_utc=_utc(data["depart"]), arrive_utc=_utc(data["arrive"]))
    return _frame("train_routes", data, _to_wgs84([route.get(t) for t in data["train"]]).to_numpy())


def plan_layers(
    plan: Plan, march: pd.DataFrame | None = None, trains: pd.DataFrame | None = None
) -> dict[str, gpd.GeoDataFrame]:
    """Make the layers of ``plan.gpkg``, in EPSG:4326, with the fields of :data:`LAYER_FIELDS`.

    Parameters
    ----------
    plan
        The plan.
    march, trains
        Its march and train tables (:func:`~.tables.march_table`, :func:`~.tables.train_table`),
        when already made; made here otherwise.

    Returns
    -------
    dict
        A GeoDataFrame by layer name, in the order of :data:`LAYERS` (a layer with no rows
        keeps its fields).
    """
    march = march_table(plan) if march is None else march
    trains = train_table(plan) if trains is None else trains
    return {
        "march_unit_routes": _legs(plan, march),
        "control_points": _control_points(march),
        "halts_and_holds": _halts(march),
        "sites": _sites(plan, march),
        "disruptions": _disruptions(plan),
        "train_routes": _trains(plan, trains),
    }


def plan_metadata(plan: Plan) -> dict[str, str]:
    """Return what the exchange files say of the plan as a whole: scenario, time zone, attribution."""
    attribution = "; ".join(a for a in plan.summary()["attribution"] if a)
    return {"scenario": plan.scenario.name, "timezone": plan.clock.zone_name, "attribution": attribution}


def write_geopackage(
    layers: Mapping[str, gpd.GeoDataFrame],
    path: str | os.PathLike[str],
    metadata: Mapping[str, str] | None = None,
) -> Path:
    """Write the layers of :func:`plan_layers` into one GeoPackage at ``path`` (atomically).

    The file is complete when this returns, but not yet flushed to disk: a plan folder
    flushes all its files at once before it is swapped in (:meth:`.OutputFolder.commit`).

    Parameters
    ----------
    layers
        GeoDataFrames by layer name (those of :data:`LAYERS`).
    path
        The file (``plan.gpkg``).
    metadata
        The dataset's metadata (GDAL metadata of the GeoPackage), e.g. :func:`plan_metadata`.

    Returns
    -------
    pathlib.Path
        ``path``.
    """

    def write(tmp: Path) -> None:
        tmp.unlink()  # GDAL creates the GeoPackage itself: it cannot open the empty placeholder
        for i, (name, frame) in enumerate(layers.items()):
            geometry_type, description = LAYERS[name]
            pyogrio.write_dataframe(
                frame,
                tmp,
                layer=name,
                driver="GPKG",
                geometry_type=geometry_type,
                promote_to_multi=False,
                layer_options={"DESCRIPTION": description},
                dataset_metadata=dict(metadata) if metadata and i == 0 else None,
            )

    # SQLite flushes to disk at every commit of every layer (0.6 s of a 0.7 s write of the brigade's
    # plan); like every file of a plan, this one is flushed once, by the output folder's commit
    before = pyogrio.get_gdal_config_option(_SYNCHRONOUS)
    pyogrio.set_gdal_config_options({_SYNCHRONOUS: "OFF"})
    try:
        return write_with_atomic(path, write)
    finally:
        pyogrio.set_gdal_config_options({_SYNCHRONOUS: before})


def _sub(parent: ET.Element, tag: str, text: object = None, **attrib: str) -> ET.Element:
    """Add a child element; its text (from data) made fit for XML (escaped by the serialiser)."""
    el = ET.SubElement(parent, tag, {k: xml_chars(v) for k, v in attrib.items()})
    if text is not None:
        el.text = xml_chars(text)
    return el


def _coordinates(geom: shapely.Geometry) -> str:
    xy = shapely.get_coordinates(geom)
    return " ".join(map("{:.6f},{:.6f}".format, xy[:, 0], xy[:, 1]))


def _kml_colour(hex_rgb: str, alpha: str = "ff") -> str:
    """KML's ``aabbggrr`` of a ``#rrggbb`` colour."""
    r, g, b = hex_rgb[1:3], hex_rgb[3:5], hex_rgb[5:7]
    return f"{alpha}{b}{g}{r}"


def _kml_routes(folder: ET.Element, plan: Plan, legs: pd.DataFrame, unit: str, style: str) -> None:
    """One Placemark per distinct road route of ``unit``, naming the march units that drive it."""
    groups: dict[tuple[int, ...], list[tuple[str, int]]] = {}
    for r in plan.routes:
        if r.kind == "road" and r.unit == unit:
            groups.setdefault(r.edges, []).append((r.owner, r.leg + 1))
    routes = _sub(folder, "Folder")
    _sub(routes, "name", "Routes")
    for members in groups.values():
        rows = legs.loc[[m for m in members if m in legs.index]]
        if rows.empty:
            continue
        head = rows.iloc[0]
        pm = _sub(routes, "Placemark")
        _sub(pm, "name", f"{unit}: {head['start_name'] or head['start']} → {head['end_name'] or head['end']}")
        lines = [
            f"{mu} leg {leg}: depart {d}, arrive {a}"
            for (mu, leg), d, a in zip(rows.index, rows["depart"], rows["arrive"], strict=True)
        ]
        _sub(
            pm,
            "description",
            f"{head['km']:g} km, {int(rows['vehicles'].sum())} vehicles\n" + "\n".join(lines),
        )
        span = _sub(pm, "TimeSpan")
        _sub(span, "begin", rows["depart"].loc[rows["depart_utc"].idxmin()])
        _sub(span, "end", rows["arrive"].loc[rows["arrive_utc"].idxmax()])
        _sub(pm, "styleUrl", f"#{style}")
        line = _sub(pm, "LineString")
        _sub(line, "tessellate", 1)
        _sub(line, "coordinates", _coordinates(head["geometry"]))


def _kml_points(folder: ET.Element, march: pd.DataFrame) -> None:
    """One Placemark per control point the rows of ``march`` pass."""
    g = march.groupby("control_point", sort=False)
    cps = g[["control_point_name", "mgrs", "lon", "lat"]].first()
    cps["kind"] = g["kind"].unique().map(", ".join)
    points = _sub(folder, "Folder")
    _sub(points, "name", "Control points")
    for cp, name, grid, lon, lat, kind in zip(
        cps.index, cps["control_point_name"], cps["mgrs"], cps["lon"], cps["lat"], cps["kind"], strict=True
    ):
        pm = _sub(points, "Placemark")
        _sub(pm, "name", name or cp)
        _sub(pm, "description", f"{cp}: {kind}; MGRS {grid}")
        _sub(pm, "styleUrl", "#control-point")
        _sub(_sub(pm, "Point"), "coordinates", f"{lon:.5f},{lat:.5f}")


def plan_kml(plan: Plan, layers: Mapping[str, gpd.GeoDataFrame], march: pd.DataFrame) -> ET.ElementTree:
    """Draw the plan as KML: a Folder per unit (routes and control points) and one of the trains' routes.

    Parameters
    ----------
    plan
        The plan (its routes say which legs share a road route).
    layers
        Its layers (:func:`plan_layers`): the routes and trains drawn from them.
    march
        Its march table: the control points drawn from it.

    Returns
    -------
    xml.etree.ElementTree.ElementTree
        The KML document (``kml`` in the OGC KML 2.2 namespace).
    """
    ET.register_namespace("", _KML)
    root = ET.Element(f"{{{_KML}}}kml")
    doc = _sub(root, "Document")
    meta = plan_metadata(plan)
    _sub(doc, "name", meta["scenario"])
    _sub(doc, "description", f"Times in {meta['timezone']} with their offset. {meta['attribution']}")
    colours = unit_colours(march["unit"]) if not march.empty else {}
    for i, colour in enumerate(colours.values()):
        style = _sub(doc, "Style", id=f"unit-{i}")
        line = _sub(style, "LineStyle")
        _sub(line, "color", _kml_colour(colour))
        _sub(line, "width", 4)
    style = _sub(doc, "Style", id="rail")
    line = _sub(style, "LineStyle")
    _sub(line, "color", _kml_colour("#5a3e1b"))
    _sub(line, "width", 4)
    style = _sub(doc, "Style", id="control-point")
    _sub(_sub(style, "IconStyle"), "scale", 0.6)
    legs = layers["march_unit_routes"].set_index(["march_unit", "leg"])
    for i, unit in enumerate(colours):
        folder = _sub(doc, "Folder")
        _sub(folder, "name", unit)
        _kml_routes(folder, plan, legs, unit, f"unit-{i}")
        _kml_points(folder, march[march["unit"] == unit])
    trains = layers["train_routes"]
    if len(trains):
        folder = _sub(doc, "Folder")
        _sub(folder, "name", "Trains")
        for t in trains.itertuples():
            pm = _sub(folder, "Placemark")
            _sub(pm, "name", f"train {t.train} ({t.unit}): {t.quay} → {t.destination}")
            _sub(pm, "description", f"{t.wagons} wagons, {t.vehicles} vehicles, {t.km:g} km")
            span = _sub(pm, "TimeSpan")
            _sub(span, "begin", t.depart)
            _sub(span, "end", t.arrive)
            _sub(pm, "styleUrl", "#rail")
            if t.geometry is not None:
                line = _sub(pm, "LineString")
                _sub(line, "coordinates", _coordinates(t.geometry))
    return ET.ElementTree(root)


def plan_gpx(plan: Plan, march: pd.DataFrame) -> ET.ElementTree:
    """Write the march units as GPX 1.1 routes: one ``<rte>`` each, its control points as ``<rtept>``.

    Parameters
    ----------
    plan
        The plan.
    march
        Its march table (:func:`~.tables.march_table`): one route point per row, in order.

    Returns
    -------
    xml.etree.ElementTree.ElementTree
        The GPX document (GPX 1.1 namespace). A point's ``<time>`` is the column head's
        arrival in UTC; its ``<desc>`` gives the local arrival and departure.
    """
    ET.register_namespace("", _GPX)
    root = ET.Element(f"{{{_GPX}}}gpx", version="1.1", creator="enablement")
    about = plan_metadata(plan)
    meta = _sub(root, "metadata")
    _sub(meta, "name", about["scenario"])
    _sub(meta, "desc", f"March units of the plan; local times in {about['timezone']}. {about['attribution']}")
    if march.empty:
        return ET.ElementTree(root)
    rows = march.assign(
        _time=_utc(march["arrive"]).dt.strftime("%Y-%m-%dT%H:%M:%SZ"),
        _name=march["control_point_name"].where(march["control_point_name"] != "", march["control_point"]),
    )
    for number, (mu, g) in enumerate(rows.groupby("march_unit", sort=False), start=1):
        head = g.iloc[0]
        rte = _sub(root, "rte")
        _sub(rte, "name", f"{mu} ({head['movement_number']})")
        _sub(rte, "desc", f"unit {head['unit']}, {head['vehicles']} vehicles, {g['km'].iloc[-1]:g} km")
        _sub(rte, "number", number)
        for lat, lon, when, name, kind, cp, grid, arrive, depart in zip(
            g["lat"],
            g["lon"],
            g["_time"],
            g["_name"],
            g["kind"],
            g["control_point"],
            g["mgrs"],
            g["arrive"],
            g["depart"],
            strict=True,
        ):
            pt = _sub(rte, "rtept", lat=f"{lat:.5f}", lon=f"{lon:.5f}")
            _sub(pt, "time", when)
            _sub(pt, "name", name)
            _sub(pt, "desc", f"{cp} ({kind}), MGRS {grid}: arrive {arrive}, depart {depart}")
            _sub(pt, "type", kind)
    return ET.ElementTree(root)


def write_xml(tree: ET.ElementTree, path: str | os.PathLike[str]) -> Path:
    """Write an element tree (KML, GPX) as UTF-8 XML with its declaration, atomically."""
    ET.indent(tree, space=" ")
    return write_with_atomic(path, lambda p: tree.write(p, encoding="utf-8", xml_declaration=True))
