"""The plan in the planners' tools: plan.gpkg, march_table.xlsx, plan.kml and routes.gpx read back.

A small world with a halt (slow convoys), a road closure and a staging area named with
markup, planned once; each file is read with an independent reader (pyogrio, openpyxl,
xml.etree) and checked against the march table CSV and the plan.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import xml.etree.ElementTree as ET

import pandas as pd
import pyogrio
import pytest

from enablement.outputs import write_outputs
from enablement.outputs.gis import LAYER_FIELDS, LAYERS
from enablement.outputs.workbook import SUMMARY_COLUMNS, sheet_names
from enablement.plan import make_plan
from tests.small_world import DLON, LAT0, LON0, write_world

openpyxl = pytest.importorskip("openpyxl", reason="openpyxl (a test dependency) reads the workbook back")

HOSTILE = "Staging <script>&\"' ]]> \x07"
"""The staging area's name: markup, quotes, a CDATA end and a control character XML does not allow."""
SHOWN = HOSTILE.replace("\x07", "\ufffd")
KML = "{http://www.opengis.net/kml/2.2}"
GPX = "{http://www.topografix.com/GPX/1/1}"


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    folder = tmp_path_factory.mktemp("formats")
    at = f"[{LON0 + 3.5 * DLON}, {LAT0}]"  # a secondary road of the bottom row, closed until further notice
    cut = f"[{{id: cut, kind: close_road, at: {at}, start: '2026-03-02T06:00:00+01:00'}}]"
    scenario = write_world(folder / "in", disruptions=cut)
    # 6 km/h: the 8.5 km drive to the border takes over an hour, so the column halts
    scenario.write_text(
        scenario.read_text().replace("  headway_min: 2\n", "  headway_min: 2\n  convoy_speed_kmh: 6\n")
    )
    sites = folder / "in" / "overlay" / "sites.geojson"
    layer = json.loads(sites.read_text())
    for f in layer["features"]:
        if f["properties"]["id"] == "staging-m":
            f["properties"]["name"] = HOSTILE
    sites.write_text(json.dumps(layer))
    plan = make_plan(scenario)
    paths = write_outputs(plan, folder / "out")
    march = pd.read_csv(paths["march_table"], keep_default_na=False)
    return plan, paths, march


_KINDS = {"str": ("object", "str"), "int": ("int64",), "float": ("float64",), "bool": ("bool",)}


def test_the_new_files_are_in_the_summary_and_its_manifest(written):
    _plan, paths, _march = written
    names = {
        "march_workbook": "march_table.xlsx",
        "geopackage": "plan.gpkg",
        "kml": "plan.kml",
        "gpx": "routes.gpx",
    }
    summary = json.loads(paths["summary"].read_text())
    for key, name in names.items():
        assert paths[key].name == name and summary["files"][key] == name
        data = paths[key].read_bytes()
        assert summary["manifest"][name] == {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()}


def test_every_layer_has_its_crs_fields_types_and_rows(written):
    plan, paths, march = written
    assert [name for name, _ in pyogrio.list_layers(paths["geopackage"])] == list(LAYERS)
    about = pyogrio.read_info(paths["geopackage"], layer="sites")["dataset_metadata"]
    assert about["scenario"] == "Small world" and about["timezone"] == "Europe/Brussels"
    assert "OpenStreetMap" in about["attribution"]
    legs = march.drop_duplicates(["march_unit", "leg"])
    rows = {
        "march_unit_routes": len(legs),
        "control_points": march["control_point"].nunique(),
        "halts_and_holds": int(march["kind"].isin(["halt", "hold"]).sum()),
        "sites": len(plan.network.sites),
        "disruptions": len(plan.closures),
        "train_routes": len(plan.trains),
    }
    assert rows["halts_and_holds"] == 1 and rows["disruptions"] == 1 and rows["train_routes"] == 1
    for name, (geometry_type, _) in LAYERS.items():
        info = pyogrio.read_info(paths["geopackage"], layer=name)
        assert info["crs"] == "EPSG:4326" and info["geometry_type"] == geometry_type, name
        assert info["features"] == rows[name], name
        frame = pyogrio.read_dataframe(paths["geopackage"], layer=name)
        assert list(frame.columns) == [*LAYER_FIELDS[name], "geometry"], name
        ogr = dict(zip(info["fields"], info["ogr_types"], strict=True))
        for field, kind in LAYER_FIELDS[name].items():
            dtype = frame[field].dtype
            if kind == "datetime":
                assert ogr[field] == "OFTDateTime" and pd.api.types.is_datetime64_any_dtype(dtype), (
                    name,
                    field,
                )
                if frame[field].notna().any():  # a column of nulls reads back without its zone
                    assert isinstance(dtype, pd.DatetimeTZDtype) and str(dtype.tz) == "UTC", (name, field)
            else:
                assert str(dtype) in _KINDS[kind], (name, field, dtype)


def test_the_layers_hold_the_march_tables_values(written):
    plan, paths, march = written
    gpkg = paths["geopackage"]
    routes = pyogrio.read_dataframe(gpkg, layer="march_unit_routes").set_index(["march_unit", "leg"])
    for (mu, leg), rows in march.groupby(["march_unit", "leg"]):
        r = routes.loc[(mu, leg)]
        assert (r["start"], r["end"]) == (rows["control_point"].iloc[0], rows["control_point"].iloc[-1])
        assert (r["depart"], r["arrive"]) == (rows["depart"].iloc[0], rows["arrive"].iloc[-1])
        assert r["depart_utc"] == pd.Timestamp(rows["depart"].iloc[0]).tz_convert("UTC")
        assert r["km"] == pytest.approx(rows["km"].iloc[-1] - rows["km"].iloc[0], abs=0.011)
        planned = next(p for p in plan.routes if p.kind == "road" and (p.owner, p.leg + 1) == (mu, leg))
        assert r.geometry.coords[0] == pytest.approx((rows["lon"].iloc[0], rows["lat"].iloc[0]), abs=1e-4)
        assert len(r.geometry.coords) == len(planned.geometry.coords)
    cps = pyogrio.read_dataframe(gpkg, layer="control_points").set_index("control_point")
    staging = cps.loc["staging-m"]
    assert staging["name"] == SHOWN.replace("\ufffd", "\x07") or staging["name"] == SHOWN
    first = march[march["control_point"] == "staging-m"].iloc[0]
    assert (staging["mgrs"], staging.geometry.x, staging.geometry.y) == (
        first["mgrs"],
        first["lon"],
        first["lat"],
    )
    (halt,) = pyogrio.read_dataframe(gpkg, layer="halts_and_holds").itertuples()
    row = march[march["kind"].isin(["halt", "hold"])].iloc[0]
    assert (halt.march_unit, halt.arrive, halt.depart) == (row["march_unit"], row["arrive"], row["depart"])
    assert halt.minutes == pytest.approx(
        (dt.datetime.fromisoformat(row["depart"]) - dt.datetime.fromisoformat(row["arrive"])).total_seconds()
        / 60
    )
    (cut,) = pyogrio.read_dataframe(gpkg, layer="disruptions").itertuples()
    assert (cut.id, cut.kind, cut.end, cut.edges) == ("cut", "close_road", "", len(plan.closures[0].edges))
    assert pd.isna(cut.end_utc) and cut.geometry is not None
    sites = pyogrio.read_dataframe(gpkg, layer="sites").set_index("id")
    assert sites["used"].all() and sites.loc["staging-m", "capacity_vehicles"] == 40
    (train,) = pyogrio.read_dataframe(gpkg, layer="train_routes").itertuples()
    assert (train.train, train.wagons) == (
        plan.trains[0].id,
        plan.trains[0].wagons,
    ) and train.geometry.length > 0


def test_an_empty_layer_keeps_its_fields(written, tmp_path):
    from enablement.outputs.gis import plan_layers, write_geopackage

    plan, _paths, _march = written
    layers = plan_layers(plan)
    layers["disruptions"] = layers["disruptions"].iloc[0:0]
    write_geopackage(layers, tmp_path / "p.gpkg")
    info = pyogrio.read_info(tmp_path / "p.gpkg", layer="disruptions")
    assert info["features"] == 0 and list(info["fields"]) == list(LAYER_FIELDS["disruptions"])
    assert info["crs"] == "EPSG:4326" and info["geometry_type"] == "Point"


def test_the_workbook_has_a_sheet_per_unit_frozen_headers_and_real_times(written):
    _plan, paths, march = written
    book = openpyxl.load_workbook(paths["march_workbook"])
    units = list(dict.fromkeys(march["unit"]))
    assert book.sheetnames == ["Summary", *units]
    for ws in book.worksheets:
        assert ws.freeze_panes == "A2" and ws.auto_filter.ref
    ws = book[units[0]]
    header = [c.value for c in ws[1]]

    def width(column: str) -> float:
        letter = openpyxl.utils.get_column_letter(header.index(column) + 1)
        return ws.column_dimensions[letter].width

    assert width("depart") >= len("2026-03-02 06:00:00") and width("depart_offset") >= len("depart_offset")
    assert width("movement_number") >= len("movement_number") and width("mgrs") >= len("31UES9157130613")
    rows = march[march["unit"] == units[0]]
    assert ws.max_row == len(rows) + 1
    depart = ws.cell(row=2, column=header.index("depart") + 1).value
    offset = ws.cell(row=2, column=header.index("depart_offset") + 1).value
    local = dt.datetime.fromisoformat(rows["depart"].iloc[0])
    assert isinstance(depart, dt.datetime) and depart.tzinfo is None
    assert depart == local.replace(tzinfo=None) and offset == rows["depart"].iloc[0][-6:] == "+01:00"
    assert ws.cell(row=2, column=header.index("dtg") + 1).value == rows["dtg"].iloc[0]
    assert ws.cell(row=2, column=header.index("vehicles") + 1).value == rows["vehicles"].iloc[0]
    summary = book["Summary"]
    assert [c.value for c in summary[1]] == list(SUMMARY_COLUMNS)
    assert summary.max_row == march["march_unit"].nunique() + 1
    first = dict(zip(SUMMARY_COLUMNS, (c.value for c in summary[2]), strict=True))
    mu = march[march["march_unit"] == first["march_unit"]]
    assert first["last_arrival"] == dt.datetime.fromisoformat(mu["arrive"].iloc[-1]).replace(tzinfo=None)
    assert (first["km"], first["vehicles"], first["sheet"]) == (
        mu["km"].iloc[-1],
        mu["vehicles"].iloc[0],
        mu["unit"].iloc[0],
    )
    names = {c.value for row in book[book.sheetnames[1]].iter_rows() for c in row}
    assert HOSTILE in names or SHOWN in names  # written as text, not markup


def test_sheet_names_fit_excel_and_are_unique():
    units = ["A/B:C*D?E[F]G\\H", "x" * 40, "x" * 40 + "y", "summary", "'quoted'", "History", "a", "A"]
    names = sheet_names(units)
    assert names["A/B:C*D?E[F]G\\H"] == "A_B_C_D_E_F_G_H"
    assert names["x" * 40] == "x" * 31 and names["x" * 40 + "y"] == "x" * 29 + "~2"
    assert names["summary"] == "summary~2" and names["History"] == "History~2"
    assert names["'quoted'"] == "quoted" and names["A"] == "A~2"
    assert all(len(n) <= 31 for n in names.values())
    assert len({n.casefold() for n in names.values()} | {"summary"}) == len(units) + 1


def test_the_kml_has_a_folder_per_unit_with_routes_points_and_escaped_names(written):
    plan, paths, march = written
    text = paths["kml"].read_text(encoding="utf-8")
    assert "<script>" not in text and "&lt;script&gt;&amp;" in text
    root = ET.fromstring(text)
    doc = root.find(f"{KML}Document")
    folders = {f.findtext(f"{KML}name"): f for f in doc.findall(f"{KML}Folder")}
    assert set(folders) == {*march["unit"], "Trains"}
    for unit, rows in march.groupby("unit"):
        routes, points = folders[unit].findall(f"{KML}Folder")
        distinct = {p.edges for p in plan.routes if p.kind == "road" and p.unit == unit}
        assert len(routes.findall(f"{KML}Placemark")) == len(distinct)
        assert len(points.findall(f"{KML}Placemark")) == rows["control_point"].nunique()
        for pm in routes.iter(f"{KML}Placemark"):
            assert len(pm.findtext(f".//{KML}coordinates").split()) >= 2
    names = {pm.findtext(f"{KML}name") for pm in root.iter(f"{KML}Placemark")}
    assert SHOWN in names  # the name read back as written (its control character replaced)
    assert len(folders["Trains"].findall(f"{KML}Placemark")) == len(plan.trains)


def test_the_gpx_has_a_route_per_march_unit_with_its_control_points(written):
    _plan, paths, march = written
    text = paths["gpx"].read_text(encoding="utf-8")
    assert "<script>" not in text
    root = ET.fromstring(text)
    routes = root.findall(f"{GPX}rte")
    assert len(routes) == march["march_unit"].nunique()
    for rte, (mu, rows) in zip(routes, march.groupby("march_unit", sort=False), strict=True):
        assert rte.findtext(f"{GPX}name") == f"{mu} ({rows['movement_number'].iloc[0]})"
        points = rte.findall(f"{GPX}rtept")
        assert len(points) == len(rows)
        first = points[0]
        assert (float(first.get("lat")), float(first.get("lon"))) == (
            rows["lat"].iloc[0],
            rows["lon"].iloc[0],
        )
        utc = dt.datetime.fromisoformat(rows["arrive"].iloc[0]).astimezone(dt.UTC)
        assert first.findtext(f"{GPX}time") == utc.strftime("%Y-%m-%dT%H:%M:%SZ")
        assert [p.findtext(f"{GPX}type") for p in points] == list(rows["kind"])
    names = {p.findtext(f"{GPX}name") for p in root.iter(f"{GPX}rtept")}
    assert SHOWN in names


def test_hostile_names_in_every_field_read_back_as_written(tmp_path):
    """The planted world of the hostile-names tests: every site id and name, as written, in each file."""
    from tests.outputs.test_hostile_names import SITE_IDS, plant, site_text

    plan = make_plan(plant(tmp_path / "in"))
    paths = write_outputs(plan, tmp_path / "out")
    march = pd.read_csv(paths["march_table"], keep_default_na=False)
    on_road = [sid for sid in SITE_IDS.values() if sid in set(march["control_point"])]
    names = {sid: site_text(key)["name"] for key, sid in SITE_IDS.items()}
    assert len(on_road) >= 3
    kml = ET.parse(paths["kml"]).getroot()
    placemarks = {pm.findtext(f"{KML}name") for pm in kml.iter(f"{KML}Placemark")}
    gpx = ET.parse(paths["gpx"]).getroot()
    points = {p.findtext(f"{GPX}desc").split(" (")[0] for p in gpx.iter(f"{GPX}rtept")}
    cps = pyogrio.read_dataframe(paths["geopackage"], layer="control_points")
    book = openpyxl.load_workbook(paths["march_workbook"])
    cells = {c.value for ws in book.worksheets[1:] for row in ws.iter_rows() for c in row}
    for sid in on_road:
        assert names[sid] in placemarks and sid in points and sid in cells
        assert cps.loc[cps["control_point"] == sid, "name"].tolist() == [names[sid]]


def test_workbook_times_keep_the_wall_clock_and_the_offset_across_the_spring_change(tmp_path):
    """29 March 2026 in Brussels: 01:30 +01:00, then 03:30 +02:00; Excel gets the clock, the offset beside."""
    from enablement.outputs.tables import MARCH_TABLE_COLUMNS
    from enablement.outputs.workbook import workbook_frames, write_workbook

    rows = [
        dict.fromkeys(MARCH_TABLE_COLUMNS, "")
        | {"march_unit": "U/01", "unit": "U", "leg": 1, "km": km, "arrive": a, "depart": d, "ashore": ash}
        for km, a, d, ash in [
            (0.0, "2026-03-29T01:00:00+01:00", "2026-03-29T01:30:00+01:00", "2026-03-29T00:40:00+01:00"),
            (50.0, "2026-03-29T03:30:00+02:00", "2026-03-29T03:45:10+02:00", ""),
        ]
    ]
    march = pd.DataFrame(rows, columns=list(MARCH_TABLE_COLUMNS))
    sheet = workbook_frames(march)["U"]
    assert list(sheet["depart_offset"]) == ["+01:00", "+02:00"] and list(sheet["ashore_offset"]) == [
        "+01:00",
        "",
    ]
    assert list(sheet["depart"]) == [pd.Timestamp("2026-03-29 01:30:00"), pd.Timestamp("2026-03-29 03:45:10")]
    write_workbook(march, tmp_path / "m.xlsx")
    ws = openpyxl.load_workbook(tmp_path / "m.xlsx")["U"]
    header = [c.value for c in ws[1]]
    col = {name: header.index(name) + 1 for name in ("ashore", "depart", "depart_offset")}
    assert ws.cell(3, col["depart"]).value == dt.datetime(2026, 3, 29, 3, 45, 10)
    assert ws.cell(3, col["depart_offset"]).value == "+02:00" and ws.cell(3, col["ashore"]).value is None
    assert ws.cell(2, col["depart"]).number_format == "yyyy-mm-dd hh:mm:ss"
    summary = openpyxl.load_workbook(tmp_path / "m.xlsx")["Summary"]
    assert [c.value for c in summary[2]][SUMMARY_COLUMNS.index("last_arrival")] == dt.datetime(
        2026, 3, 29, 3, 30
    )
