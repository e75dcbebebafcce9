"""End-to-end: the default scenario planned on the embedded network, checked from its outputs."""

import datetime as dt
import json

import numpy as np
import pandas as pd
import pytest

from enablement.network.sites import site_records
from enablement.outputs import write_outputs
from enablement.routing import Router
from enablement.scheduling.march import HALT_PLACE_KINDS
from tests.helpers import halt_violations, overlap_violations, seconds, window_violations

pytestmark = pytest.mark.slow  # end-to-end plans of the packaged scenarios on the embedded network


@pytest.fixture(scope="module")
def outputs(default_plan, tmp_path_factory):
    folder = tmp_path_factory.mktemp("demo")
    paths = write_outputs(default_plan, folder)
    return default_plan, folder, paths


def test_every_output_written(outputs):
    _, folder, _paths = outputs
    for name in (
        "map.html",
        "report.html",
        "quay_gantt.svg",
        "march_table.csv",
        "summary.json",
        "trains.csv",
        "units.csv",
    ):
        assert (folder / name).stat().st_size > 0, name
    assert not list(folder.glob(".*.tmp*"))  # no temporary leftovers


def test_every_unit_arrives_and_closure_is_consistent(outputs):
    plan, folder, _ = outputs
    summary = json.loads((folder / "summary.json").read_text())
    sc = plan.scenario
    units = {u["unit"]: u for u in summary["units"]}
    assert set(units) == {m.unit for m in sc.movements}
    start = sc.start
    closure = dt.datetime.fromisoformat(summary["kpis"]["closure"])
    assert closure == max(dt.datetime.fromisoformat(u["closure"]) for u in units.values())
    # closure is no earlier than the first arrival plus the shortest road travel to any destination
    road = Router(plan.network, "road")
    sites = plan.network.sites
    for mv in sc.movements:
        u = units[mv.unit]
        arrival = min(a.time for a in sc.arrivals for e in a.equipment if e.unit == mv.unit)
        if u["mode"] == "road":
            origin = mv.from_ or next(a.site for a in sc.arrivals for e in a.equipment if e.unit == mv.unit)
            shortest = road.route(
                int(sites.loc[origin, "node_road"]), int(sites.loc[mv.to, "node_road"])
            ).time_s
            assert dt.datetime.fromisoformat(u["closure"]) >= arrival + dt.timedelta(seconds=shortest)
        else:
            assert u["mode"] == "rail"
            assert dt.datetime.fromisoformat(u["closure"]) > arrival
    assert summary["kpis"]["vehicles"] == sum(e.count for a in sc.arrivals for e in a.equipment)
    assert (closure - start).total_seconds() / 3600 == pytest.approx(
        summary["kpis"]["closure_hours_from_start"], abs=0.01
    )


def test_march_table_respects_the_rules(outputs):
    plan, folder, _ = outputs
    table = pd.read_csv(folder / "march_table.csv")
    assert (table["vehicles"] <= plan.scenario.policy.march_unit_max_vehicles).all()
    t = seconds(table, plan.scenario.start)
    pol = plan.scenario.policy
    assert overlap_violations(t, headway_s=pol.headway_min * 60) == []
    assert (
        halt_violations(
            t,
            pol.halts.first_after_min,
            pol.halts.first_duration_min,
            pol.halts.every_min,
            pol.halts.duration_min,
            late=pol.halts.late_max_min,
            places=set(plan.network.sites.loc[plan.network.sites["kind"].isin(HALT_PLACE_KINDS), "id"]),
        )
        == []
    )
    if pol.movement_window is not None:
        spans = plan.clock.daily(pol.movement_window.start, pol.movement_window.end).spans
        assert window_violations(t, spans) == []
    # each march unit starts no earlier than it is ashore, and every one reaches its last site
    last = table.sort_values("seq").groupby("march_unit").tail(1)
    crossing = last["control_point"].map(lambda s: plan.network.sites.loc[s, "kind"] == "border_crossing")
    assert (last["kind"] == crossing.map({True: "handover", False: "release"})).all()
    assert set(last["march_unit"]) == {m.id for m in plan.march_units}
    assert table["movement_number"].str.fullmatch(r"\d{2}-[A-Z0-9]{1,6}-\d{2}").all()


def test_no_row_and_no_train_leaves_belgium_except_at_a_crossing(outputs):
    from enablement.network.territory import countries_of

    plan, folder, _ = outputs
    table = pd.read_csv(folder / "march_table.csv")
    sites = plan.network.sites
    crossings = set(sites.index[sites["kind"] == "border_crossing"])
    at = countries_of(table["lon"].to_numpy(), table["lat"].to_numpy())
    abroad = table[(at != "BE") & ~table["control_point"].isin(crossings)]
    assert abroad.empty, abroad[["march_unit", "control_point", "lon", "lat"]].head().to_string()
    # the columns to Lichtenbusch are handed over there, reached from the Belgian side (E40)
    assert set(plan.handovers) == {mv.unit for mv in plan.scenario.movements}
    assert {h.crossing for h in plan.handovers.values()} == {"border-e40-lichtenbusch", "border-rail-montzen"}
    # every train runs in Belgium up to its border point (its node, on the border, excepted)
    gates = {int(n) for n in sites.loc[sorted(crossings), "node_rail"] if n >= 0}
    countries = plan.network.node_countries()
    trains = [r for r in plan.routes if r.kind == "rail"]
    assert trains
    assert all(countries[n] == "BE" or n in gates for r in trains for n in r.nodes)


def test_trains_carry_every_rail_vehicle(outputs):
    plan, folder, _ = outputs
    trains = pd.read_csv(folder / "trains.csv")
    rail_units = [u for u in plan.units if u.mode == "rail"]
    assert rail_units, "the default scenario moves its tracked vehicles by rail"
    for u in rail_units:
        assert trains.loc[trains["unit"] == u.unit, "vehicles"].sum() == u.vehicles
    assert (trains["length_m"] <= 740).all()
    for _, group in trains.groupby(["quay", "track"]):  # one train at a time per ramp track
        g = group.sort_values("load_start")
        assert (
            pd.to_datetime(g["load_start"]).iloc[1:].to_numpy()
            >= pd.to_datetime(g["load_end"]).iloc[:-1].to_numpy()
        ).all()


def test_no_train_unloads_at_a_border_point(outputs):
    plan, folder, _ = outputs
    trains = pd.read_csv(folder / "trains.csv", keep_default_na=False)
    kinds = {sid: s.kind for sid, s in site_records(plan.network).items()}
    at_border = trains[trains["destination"].map(kinds) == "border_crossing"]
    assert len(at_border) == len(trains) > 0  # the default scenario's trains go to Montzen
    assert (at_border["unloaded"] == "").all() and (at_border["handed_over"] != "").all()
    assert plan.kpis()["trains_handed_over_at_border"] == len(trains)
    assert plan.kpis()["tracked_over_road_limit"] == 0  # port to quay is a few km


def test_map_contains_every_route_and_attribution(outputs):
    plan, folder, _ = outputs
    text = (folder / "map.html").read_text()
    assert "© OpenStreetMap contributors" in text or "&copy; OpenStreetMap contributors" in text
    for u in plan.units:
        if u.mode == "road" or u.march_units:
            assert f'"unit": "{u.unit}"' in text, u.unit
    # one line per distinct planned route of a unit (columns of a unit on one road share it)
    n_routes = text.count('"kind": "road route"')
    assert n_routes == len({(r.unit, r.edges) for r in plan.routes if r.kind == "road"})
    assert text.count('"kind": "rail route"') == len({r.edges for r in plan.routes if r.kind == "rail"})
    for sid in plan.network.sites.index:
        assert sid in text
    assert (folder / "map.html").stat().st_size < 5_000_000


def test_restricted_bridge_is_respected(default_plan):
    edges = default_plan.network.edges
    for (mu_id, _), route in default_plan.march.routes.items():
        mu = next(m for m in default_plan.march_units if m.id == mu_id)
        for e in route.edges:
            row = edges.iloc[e]
            for kind, cls in (("wheeled", mu.profile.mlc_wheeled), ("tracked", mu.profile.mlc_tracked)):
                limit = row[f"mlc_{kind}_oneway"]
                assert not (cls > 0 and pd.notna(limit) and cls > limit), (mu_id, row["bridge_id"])


def test_same_inputs_same_plan(default_plan, belgium_network):
    from enablement.plan import make_plan

    again = make_plan(default_plan.scenario, network=belgium_network)
    assert again.kpis() == default_plan.kpis()
    assert [(r.march_unit, r.depart_s) for r in again.march.rows] == [
        (r.march_unit, r.depart_s) for r in default_plan.march.rows
    ]


def test_bridge_closed_mid_move_is_never_crossed_while_closed(belgium_network):
    from enablement.plan import make_plan
    from enablement.scenario import load_scenario

    plan = make_plan(
        load_scenario("enablement:bridge-closure"), network=belgium_network, solver={"time_limit_s": 4}
    )
    dis = plan.scenario.disruptions[0]
    start, end = plan.clock.seconds(dis.start), plan.clock.seconds(dis.end)
    edges = plan.network.edges
    bridge = set(edges.index[edges["bridge_id"] == dis.target])
    assert bridge
    assert plan.march.rerouted, "some columns meet the closure and go round it"
    crossed_before = 0
    lengths = edges["length_m"].to_numpy()
    for r, nxt in zip(plan.march.rows, plan.march.rows[1:], strict=False):
        if r.kind in ("release", "handover", "staging_arrive") or nxt.march_unit != r.march_unit:
            continue
        route = plan.march.routes[(r.march_unit, r.leg - 1)]
        # the segment from this control point to the next, along the route, by the km driven (a control
        # point stands for its junction area, so its node need not be on every route through it)
        leg_km = next(x.km for x in plan.march.rows if x.march_unit == r.march_unit and x.leg == r.leg)
        at = leg_km + np.concatenate([[0.0], np.cumsum(lengths[list(route.edges)])[:-1]]) / 1000.0
        seg_edges = {e for e, k in zip(route.edges, at, strict=True) if r.km - 0.006 <= k < nxt.km - 0.006}
        if seg_edges & bridge:
            assert r.depart_s + 1 < start or r.depart_s >= end, r.march_unit
            crossed_before += r.depart_s < start
    assert crossed_before > 0, "columns that passed before the closure kept the direct route"
    assert plan.kpis()["units_late"] == 0


def test_map_escapes_text_from_data(default_plan, tmp_path):
    import copy

    from enablement.outputs import write_map

    plan = copy.copy(default_plan)
    plan.network = default_plan.network.copy()
    evil = "<script>alert(1)</script>"
    plan.network.sites.loc["port-antwerp", "name"] = evil
    text = write_map(plan, tmp_path / "map.html").read_text()
    assert evil not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text


GREEDY = {"road": "greedy"}  # where the road optimiser is not what is tested


def test_auto_mode_is_decided_by_resources_and_estimated_closure(belgium_network):
    from enablement.errors import InfeasibleError
    from enablement.plan import make_plan
    from enablement.scenario import load_scenario

    sc = load_scenario("enablement:brigade-antwerp-aachen")

    def auto(**update):
        upd = {"mode": "auto", **update}
        return [m.model_copy(update=upd) if m.unit == "1-CAB-TRK" else m for m in sc.movements]

    # a destination on both networks (the Leopoldsburg railhead), tracked vehicles, no HETs: rail
    plan = make_plan(
        sc.model_copy(update={"movements": auto(to="quay-leopoldsburg")}),
        network=belgium_network,
        solver=GREEDY,
    )
    assert {u.unit: u.mode for u in plan.units}["1-CAB-TRK"] == "rail"
    assert "HETs" in plan.modes["1-CAB-TRK"]
    # with a HET for every vehicle both options are estimated and compared
    many = sc.resources.model_copy(update={"hets": 500})
    plan = make_plan(
        sc.model_copy(update={"movements": auto(to="quay-leopoldsburg"), "resources": many}),
        network=belgium_network,
        solver=GREEDY,
    )
    why = plan.modes["1-CAB-TRK"]
    assert "rail ~" in why and "road ~" in why
    # the rail-only border point cannot be reached by road, HETs or not
    plan = make_plan(
        sc.model_copy(update={"movements": auto(), "resources": many}), network=belgium_network, solver=GREEDY
    )
    assert "rail network only" in plan.modes["1-CAB-TRK"]
    # neither rail (no quay) nor HETs: one clear error naming the unit
    with pytest.raises(InfeasibleError, match="1-CAB-TRK"):
        make_plan(
            sc.model_copy(update={"movements": auto(quay=None, to="quay-leopoldsburg")}),
            network=belgium_network,
            solver=GREEDY,
        )


def test_report_is_self_contained_complete_and_escaped(outputs):
    import re
    import xml.etree.ElementTree as ET
    from html.parser import HTMLParser

    from enablement.outputs.report import report_html
    from enablement.outputs.tables import march_table, train_table

    plan, folder, _ = outputs
    text = (folder / "report.html").read_text()
    # offline: no script and nothing fetched from elsewhere (the only URLs are SVG namespaces)
    assert "<script" not in text.lower()
    urls = set(re.findall(r"https?://[^\"' <>]+", text))
    assert urls <= {"http://www.w3.org/2000/svg"}
    assert "href='map.html'" in text
    for u in plan.units:
        assert u.unit in text
    for section in ("Key figures", "Closure per unit", "Bottlenecks", "Solver status", "Train timetable"):
        assert section in text
    # every chart is well-formed SVG; the time-distance diagram has a line per march unit and leg
    svgs = re.findall(r"<svg.*?</svg>", text, flags=re.S)
    assert len(svgs) >= 4
    trees = [ET.fromstring(s) for s in svgs]
    lines = sum(len(t.findall("{http://www.w3.org/2000/svg}polyline")) for t in trees)
    legs = march_table(plan)[["march_unit", "leg"]].drop_duplicates()
    assert lines == len(legs)
    # one movement graph per corridor (march units sharing their final control point)
    mt = march_table(plan).sort_values(["march_unit", "leg", "seq"])
    corridors = mt.groupby("march_unit")["control_point"].last().nunique()
    assert text.count("<h3>to ") == corridors

    class Tags(HTMLParser):
        def __init__(self):
            super().__init__()
            self.stack: list[str] = []

        def handle_starttag(self, tag, attrs):
            if tag not in {"meta", "br", "line", "rect", "polyline"}:
                self.stack.append(tag)

        def handle_endtag(self, tag):
            if tag in {"line", "rect", "polyline"} and (not self.stack or self.stack[-1] != tag):
                return
            assert self.stack and self.stack[-1] == tag, (tag, self.stack[-5:])
            self.stack.pop()

    Tags().feed(text)
    # text from data is escaped
    evil = plan.scenario.model_copy(update={"name": "<script>alert(1)</script>"})
    plan.scenario, keep = evil, plan.scenario
    try:
        html = report_html(plan, march_table(plan), train_table(plan))
    finally:
        plan.scenario = keep
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_map_time_slider_moves_every_march_unit_and_train(outputs):
    import re

    plan, folder, _ = outputs
    text = (folder / "map.html").read_text()
    assert "id='enablement-slider'" in text
    assert (folder / "map.html").stat().st_size <= 5 * 2**20  # the default scenario's size budget
    assert "Road load (vehicles per link)" in text
    data = json.loads(re.search(r"var D=(\{.*?\});var map=", text).group(1))
    names = [t["n"] for t in data["tracks"]]
    assert len(names) == len(plan.march_units) + len(plan.trains)
    for t in data["tracks"]:
        times = [p[0] for p in t["p"]]
        assert times == sorted(times) and len(times) >= 2
    assert data["end"] == max(t["p"][-1][0] for t in data["tracks"])  # the slider spans every movement
    assert data["end"] >= max(t.arrive_s for t in plan.trains) / 60
    # corridors, critical elements and the restrictions layer are on the map, hidden or shown
    for layer in ("Corridors (MSR / ASR)", "Critical elements", "Restrictions and disruptions"):
        assert layer in text
    # site popups say what the plan asks of each site
    # site and bridge popups say what the plan asks of each
    bridges = plan.network.edges["bridge_id"].dropna().nunique()
    assert text.count("<b>In this plan</b>") == len(plan.network.sites) + bridges
    assert "vehicles received" in text and "ramp tracks busy" in text and "vehicles staged at" in text
    assert "trains loaded" in text
    # trains move along their rail routes on the slider (not in a straight line), HET columns apart
    import geopandas as gpd
    import shapely

    from enablement.network.model import CRS

    rail = {r.owner: r.geometry for r in plan.routes if r.kind == "rail"}
    trains = [t for t in data["tracks"] if t["k"] == "train"]
    assert len(trains) == len(plan.trains)
    for t, train in zip(trains, plan.trains, strict=True):
        assert t["n"] == f"train {train.id}" and len(t["p"]) > 2
        pts = gpd.GeoSeries([shapely.Point(lon, lat) for _, lat, lon in t["p"]], crs=4326).to_crs(CRS)
        assert float(pts.distance(rail[train.id]).max()) < 50.0  # metres off the planned line
        assert t["p"][0][0] == round(train.depart_s / 60, 1) and t["p"][-1][0] == round(
            train.arrive_s / 60, 1
        )
    hets = {m.id for m in plan.march_units if m.purpose == "het"}
    assert all(
        (t["k"] == "het") == (t["n"].removeprefix("HET column ") in hets)
        for t in data["tracks"]
        if t["k"] != "train"
    )


def test_road_optimiser_reports_its_bound_gap_and_yardstick(default_plan):
    road = default_plan.summary()["solver"]["road"]
    assert road["method"].startswith(("cp-sat", "greedy (cp-sat"))  # or the baseline it could not beat
    assert road["status"] in ("optimal", "feasible")
    assert road["bound_hours"] <= road["closure_hours"] + 1e-6
    assert road["gap"] <= 0.02  # the target for the default brigade
    # the greedy baseline counts queueing waits as halts, the model plans every halt at a control point:
    # the two stay within the gap of each other on the default brigade
    assert road["closure_hours"] <= road["baseline_closure_hours"] * 1.01
    assert road["binding"]


def test_tracked_unit_by_road_rides_het_shuttles_in_deconflicted_columns(belgium_network, tmp_path):
    from enablement.outputs import march_table
    from enablement.plan import make_plan
    from enablement.scenario import load_scenario
    from enablement.scheduling.checks import check_march_table, read_march_table
    from enablement.timeline import Clock

    sc = load_scenario("enablement:brigade-antwerp-aachen")
    road = {"mode": "road", "quay": None, "to": "border-e40-lichtenbusch"}
    mv = [m.model_copy(update=road) if m.unit == "1-CAB-TRK" else m for m in sc.movements]
    sc = sc.model_copy(update={"movements": mv, "resources": sc.resources.model_copy(update={"hets": 24})})
    plan = make_plan(sc, network=belgium_network, solver={"road": "greedy"})
    assert plan.hets is not None and plan.hets.status in ("optimal", "feasible")
    assert len(plan.hets.trips) == 64  # every vehicle of 1-CAB-TRK is tracked: all ride a HET
    columns = [m for m in plan.march_units if m.purpose == "het"]
    assert columns and all(m.vehicles[0] == "m1070_m1000_het" for m in columns)
    assert sum(len(m.vehicles) for m in columns) <= 64
    assert not [m for m in plan.march_units if m.unit == "1-CAB-TRK" and m.purpose != "het"]
    # the columns are in the march table, deconflicted with everyone else
    t = seconds(march_table(plan), plan.scenario.start)
    assert overlap_violations(t, headway_s=plan.scenario.policy.headway_min * 60) == []
    assert {m.id for m in columns} <= set(t["march_unit"])
    # the unit closes when its last column has arrived and the last vehicle is unloaded
    unit = next(u for u in plan.units if u.unit == "1-CAB-TRK")
    assert unit.closure_s >= max(plan.march.closure_s[m.id] for m in columns if m.unit == "1-CAB-TRK")
    summary = plan.summary()["solver"]["het"]
    assert summary["vehicles_carried"] == 64 and summary["bound_hours"] <= summary["closure_hours"]
    assert any("payload" in w for w in plan.warnings)  # the M1A2 SEPv3 is heavier than an M1070's rating
    assert len({tr.task for tr in plan.hets.trips}) == 64  # each vehicle carried once
    from enablement.outputs.tables import het_table

    trips = het_table(plan)
    assert len(trips) == 64 and set(trips["delivery"]) == {"border-e40-lichtenbusch"}
    assert plan.tracked_excess == []  # beyond the tracked road distance, by HET
    # the shuttle plan's loaded runs keep to the night window (21:00-05:00), and on the road each
    # HET is in one place at a time: the checker reads the columns' HETs from the march table
    spans = Clock(plan.scenario.start, plan.scenario.zone).daily("21:00", "05:00").spans
    assert plan.het_planned is not None
    assert all(
        any(a - 1 <= t.depart_s and t.arrive_s <= b + 1 for a, b in spans) for t in plan.het_planned.trips
    )
    path = tmp_path / "march_table.csv"
    march_table(plan).to_csv(path, index=False)
    found = check_march_table(read_march_table(path), plan.rules, plan.network)
    assert [v for v in found if v.kind in ("het", "window", "overlap", "halt")] == []
    assert set(trips["column"]) == {m.id for m in columns}
    # without HETs the tracked unit drives ~150 km on its tracks: a violation naming the unit
    sc = sc.model_copy(update={"resources": sc.resources.model_copy(update={"hets": 0})})
    plan = make_plan(sc, network=belgium_network, solver={"road": "greedy"})
    over = [x for x in plan.tracked_excess if x.unit == "1-CAB-TRK"]
    assert over and sum(x.tracked for x in over) == 64
    assert all(x.km > plan.scenario.policy.tracked_road_max_km for x in over)
    assert plan.kpis()["tracked_over_road_limit_units"] == ["1-CAB-TRK"]
    assert any("unit 1-CAB-TRK" in w and "tracked vehicles" in w for w in plan.warnings)


def test_unknown_het_type_or_park_names_the_field(belgium_network):
    from enablement.errors import ScenarioError
    from enablement.plan import make_plan
    from enablement.scenario import load_scenario

    sc = load_scenario("enablement:brigade-antwerp-aachen")
    road = {"mode": "road", "quay": None, "to": "border-e40-lichtenbusch"}
    mv = [m.model_copy(update=road) if m.unit == "1-CAB-TRK" else m for m in sc.movements]
    for bad, field in (
        ({"het_type": "boxer9"}, "resources.het_type"),
        ({"het_park": "nowhere"}, "resources.het_park"),
    ):
        res = sc.resources.model_copy(update={"hets": 4, **bad})
        with pytest.raises(ScenarioError, match=field):
            make_plan(sc.model_copy(update={"movements": mv, "resources": res}), network=belgium_network)
